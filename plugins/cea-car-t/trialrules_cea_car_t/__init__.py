"""
trialrules plugin for the CEA CAR-T trial (id ``cea-car-t``).

A single-arm, open-label, dose-escalation study of CEA-targeted autologous
CAR-T cells by intraperitoneal infusion (1, 3 and 5 x 10^5 CAR+ cells/kg) in
patients with advanced colorectal cancer and peritoneal metastases after
cytoreductive surgery. Protocol source: ``rules/protocol.txt``
(registry record text; no registry id given).
"""
