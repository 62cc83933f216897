"""
CNK-UT trial plugin for trialrules.

Trial: Chimeric Natural Killer Receptor-Universal T Cells for Relapsed or Refractory
Neuroblastoma (CNK-UT), NCT06751134, sponsor Nanjing Children's Hospital.
Protocol source: the public trial listing (shared/protocols/cnk-ut.txt, dated 3 September 2025).
"""
