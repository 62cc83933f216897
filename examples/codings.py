"""
The same clinical facts in the code systems real feeds use, for the coding styles of
examples/coding_styles.py. Every code was checked against a public source (named per
table); a fact without a checked equivalent in a system has none here, and the style
generator then keeps the code it has (as feeds keep ICD-10-CM beside SNOMED CT when
SNOMED CT says more, e.g. a histology).

Sources: VSAC value-set expansions as published in cqframework/ecqm-content-qicore-2024
(SNOMED CT, ICD-10-CM, CPT and RxNorm clinical drugs), WHO ATC/DDD Index 2025, RxNorm
ingredient codes of the US Core allergy-substance value set and of the trial value sets.
"""

from __future__ import annotations

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CPT = "http://www.ama-assn.org/go/cpt"

#: Diagnoses: ICD-10-CM code -> SNOMED CT (code, display) (VSAC All Primary and
#: Secondary Cancer 2.16.840.1.113762.1.4.1111.161).
CONDITIONS: dict[str, tuple[str, str]] = {
    "C18.7": ("363410008", "Malignant tumor of sigmoid colon"),
    "C34.90": ("363358000", "Malignant tumor of lung"),
    "C78.00": ("94391008", "Secondary malignant neoplasm of lung"),
    "C78.6": ("94627008", "Secondary malignant neoplasm of peritoneum"),
    "C79.51": ("94222008", "Secondary malignant neoplasm of bone"),
    "C74.90": ("363355002", "Malignant tumor of adrenal gland"),
    "Q90.9": ("41040004", "Down syndrome"),
}

#: Drugs: RxNorm ingredient -> (name, ATC, RxNorm clinical drug code, its normalized name)
#: (clinical drugs: VSAC Chemotherapy Agents for Advanced Cancer 2.16.840.1.113762.1.4.1151.60).
DRUGS: dict[str, tuple[str, str, str, str]] = {
    "194000": ("capecitabine", "L01BC06", "200328", "capecitabine 500 MG Oral Tablet"),
    "32592": ("oxaliplatin", "L01XA03", "1736786", "oxaliplatin 100 MG Injection"),
    "40048": ("carboplatin", "L01XA02", "597195", "carboplatin 10 MG/ML Injectable Solution"),
    "4492": ("fluorouracil", "L01BC02", "239177", "fluorouracil 50 MG/ML Injectable Solution"),
    "51499": ("irinotecan", "L01CE02", "1726333", "15 ML irinotecan hydrochloride 20 MG/ML Injection"),
    "68446": ("pemetrexed", "L01BA04", "1728072", "pemetrexed 500 MG Injection"),
    "72962": ("docetaxel", "L01CD02", "1001405", "docetaxel 20 MG/ML Injectable Solution"),
    "3002": ("cyclophosphamide", "L01AA01", "1734917", "cyclophosphamide 500 MG Injection"),
}

#: Procedures: CPT -> SNOMED CT (VSAC Chemotherapy 2.16.840.1.113883.3.526.3.485,
#: Kidney Transplant 2.16.840.1.113883.3.464.1003.109.12.1012).
PROCEDURES: dict[str, tuple[str, str]] = {
    "96547": ("830155008", "Administration of hyperthermic antineoplastic agent into peritoneal cavity"),
    "50360": ("70536003", "Transplant of kidney"),
}
