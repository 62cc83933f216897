# One-off generator of tests/cases/*.yaml (kept for reference; the YAML is the source of truth).
import yaml, copy, json
L="http://loinc.org"; SN="http://snomed.info/sct"; ICD="http://hl7.org/fhir/sid/icd-10-cm"; RX="http://www.nlm.nih.gov/research/umls/rxnorm"; ATC="http://www.whocc.no/atc"; CPT="http://www.ama-assn.org/go/cpt"
D="2026-01-10"
def q(v,u): return {"value":v,"unit":u}
def obs(id,code,value,date=D,low=None,high=None,unit=None):
    o={"id":id,"code":{"system":L,"code":code},"value":value,"date":date}
    if high is not None:
        rr={"high":q(high,unit)}
        if low is not None: rr["low"]=q(low,unit)
        o["reference_range"]=rr
    return o
NEG={"system":SN,"code":"260385009","display":"Negative"}
POS={"system":SN,"code":"10828004","display":"Positive"}
DET={"system":SN,"code":"260373001","display":"Detected"}
NDET={"system":SN,"code":"260415000","display":"Not detected"}
def cond(id,codes,status="active",onset="2024-03-01",abatement=None):
    c={"id":id,"codes":[{"system":s,"code":k} for s,k in codes],"clinical_status":status,"verification_status":"confirmed","onset":onset}
    if abatement: c["abatement"]=abatement
    return c
def med(id,sys,code,start,end,display=None,status="completed"):
    c={"system":sys,"code":code}
    if display: c["display"]=display
    m={"id":id,"codes":[c],"start":start,"status":status}
    if end: m["end"]=end
    return m
def proc(id,sys,code,date):
    return {"id":id,"codes":[{"system":sys,"code":code}],"date":date,"status":"completed"}
labs=[
 obs("obs-anc","751-8",q(3.2,"10*9/L")),
 obs("obs-plt","777-3",q(210,"10*9/L")),
 obs("obs-hb","718-7",q(130,"g/L")),
 obs("obs-creat","2160-0",q(0.9,"mg/dL"),low=0.6,high=1.2,unit="mg/dL"),
 obs("obs-weight","29463-7",q(70,"kg")),
 obs("obs-bili","1975-2",q(0.8,"mg/dL"),low=0.2,high=1.2,unit="mg/dL"),
 obs("obs-ast","1920-8",q(25,"U/L"),low=10,high=40,unit="U/L"),
 obs("obs-alt","1742-6",q(22,"U/L"),low=7,high=40,unit="U/L"),
 {"id":"obs-inr","code":{"system":L,"code":"6301-6"},"value":1.0,"date":D,"reference_range":{"low":{"value":0.8},"high":{"value":1.2}}},
 obs("obs-pt","5902-2",q(12,"s"),low=10,high=13,unit="s"),
 obs("obs-aptt","3173-2",q(30,"s"),low=25,high=40,unit="s"),
 obs("obs-ecog","89247-1",1),
 obs("obs-lvef","10230-1",q(60,"%")),
 obs("obs-qtcf","8636-3",q(420,"ms")),
 obs("obs-hiv","7917-8",NEG),
 obs("obs-hbsag","5196-1",NEG),
 obs("obs-hcvab","16128-1",NEG),
]
ATT_COMMON={"inc03_diagnosis":True,"inc05_life_expectancy":True,"inc06_measurable_lesion":True,"inc08_contraception":True,
 "exc01_components":False,"exc02_other_trial":False,"exc03_chinese_medicine":False,"exc05_unresolved_toxicity":False,
 "exc06_not_recovered":False,"exc08_active_infection":False,"exc12_nyha":False,"exc13_concurrent_anticancer_therapy":False,
 "exc14_other_disorders":False,"exc15_investigator_judgement":False}
man={"id":"cel001-man","birth_date":"1965-06-01","sex":"male","observations":labs,
 "conditions":[cond("c-nsclc",[(ICD,"C34.90"),(SN,"254637007")]),cond("c-bone-mets",[(ICD,"C79.51")],onset="2024-03-01")],
 "medications":[med("m-carbo",RX,"40048","2024-04-01","2024-08-01","carboplatin"),med("m-pem",RX,"68446","2024-04-01","2024-09-01","pemetrexed"),
                med("m-doce",RX,"72962","2024-11-01","2025-11-30","docetaxel")],
 "attestations":dict(ATT_COMMON)}
wlabs=copy.deepcopy(labs); 
for o in wlabs:
    if o["id"]=="obs-weight": o["value"]=q(52,"kg")
    if o["id"]=="obs-creat": o["value"]=q(0.7,"mg/dL"); o["reference_range"]={"low":q(0.5,"mg/dL"),"high":q(1.0,"mg/dL")}
wlabs.append(obs("obs-hcg","2118-8",NEG,date="2026-01-12"))
woman={"id":"cel001-woman","birth_date":"1972-03-15","sex":"female","observations":wlabs,
 "conditions":[cond("c-crc",[(ICD,"C18.7")],onset="2024-02-01"),cond("c-lung-mets",[(ICD,"C78.00")],onset="2024-02-01")],
 "medications":[med("m-5fu-1",RX,"4492","2024-03-01","2024-08-15","fluorouracil"),med("m-oxali",RX,"32592","2024-03-01","2024-08-15","oxaliplatin"),
                med("m-5fu-2",RX,"4492","2024-10-01","2025-11-20","fluorouracil"),med("m-iri",RX,"51499","2024-10-01","2025-11-20","irinotecan")],
 "attestations":dict(ATT_COMMON,inc08_not_lactating=True,inc03_stf_colorectal_braf=True,inc03_stf_colorectal_msi=True)}
PATIENTS={"man":man,"woman":woman}

def with_obs(base, id, value, extra_remove=(), **kw):
    return None

cases_files={}
def case(file,name,inp,out,as_of=None,kw=None):
    c={"name":name,"input":inp,"output":out}
    if as_of: c["as_of"]=as_of
    if kw: c["keywords"]=kw
    cases_files.setdefault(file,[]).append(c)
def replace_obs(base,id,o):
    return {"base":base,"remove":[id],"add":{"observations":[o]}}

# ---------------- verdicts ----------------
F="verdicts"
case(F,"The NSCLC man with every attestation is eligible",{"base":"man"},{"verdict":"eligible","criteria":{"inc03_stf_nsclc_no_driver":"met","inc03_stf_nsclc_driver":"met","inc03_stf_colorectal":"met","inc03_stf_other":"met"}})
case(F,"The colorectal woman with every attestation is eligible",{"base":"woman"},{"verdict":"eligible","criteria":{"inc03_stf_colorectal":"met","inc08_pregnancy_test":"met","inc08_not_lactating":"met"}})
case(F,"Without attestations the man needs review",{"base":"man","set":{"attestations":{}}},{"verdict":"needs_review","criteria":{"inc05_life_expectancy":"unknown","exc15_investigator_judgement":"unknown","inc01_age":"met","inc07_organ_function":"met"}})
case(F,"An attestation addressed to the trial counts",{"base":"man","set":{"attestations":dict({"cel001:"+k:v for k,v in ATT_COMMON.items()})}},{"verdict":"eligible"})
case(F,"An empty record needs review",{"id":"empty"},{"verdict":"needs_review","criteria":{"inc01_age":"unknown","inc02_ecog":"unknown","inc04_weight":"unknown","inc07_1_blood_routine":"unknown","inc08_pregnancy_test":"unknown","exc09_immunodeficiency":"unknown","exc12_qtcf":"unknown","exc12_lvef":"unknown"}})
case(F,"A failed attestation makes the patient ineligible",{"base":"man","add":{"attestations":{"exc15_investigator_judgement":True}}},{"verdict":"ineligible","criteria":{"exc15_investigator_judgement":"met"}})

# ---------------- inclusion 1, 2, 4, 5, 6 ----------------
F="inclusion"
case(F,"Age: the 18th birthday is eligible",{"base":"man","set":{"birth_date":"2008-01-15"}},{"criteria":{"inc01_age":"met"}})
case(F,"Age: the day before the 18th birthday is not",{"base":"man","set":{"birth_date":"2008-01-16"}},{"verdict":"ineligible","criteria":{"inc01_age":"not_met"}})
case(F,"Age: no birth date is unknown",{"base":"man","set":{"birth_date":None}},{"criteria":{"inc01_age":"unknown"}})
for v,r in ((0,"met"),(1,"met"),(2,"not_met")):
    case(F,f"ECOG {v} is {r}",replace_obs("man","obs-ecog",obs("e","89247-1",v)),{"criteria":{"inc02_ecog":r}})
case(F,"ECOG assessed 28 days before is used",replace_obs("man","obs-ecog",obs("e","89247-1",1,date="2025-12-18")),{"criteria":{"inc02_ecog":"met"}})
case(F,"ECOG assessed 29 days before is too old",replace_obs("man","obs-ecog",obs("e","89247-1",1,date="2025-12-17")),{"criteria":{"inc02_ecog":"unknown"}})
case(F,"ECOG missing is unknown",{"base":"man","remove":["obs-ecog"]},{"criteria":{"inc02_ecog":"unknown"}})
W="29463-7"
for sex,base,val,unit,res in (("male","man",50,"kg","met"),("male","man",49.9,"kg","not_met"),("male","man",110.3,"[lb_av]","met"),("male","man",110.2,"[lb_av]","not_met"),
                              ("female","woman",45,"kg","met"),("female","woman",44.9,"kg","not_met"),("female","woman",99.3,"[lb_av]","met"),("female","woman",99.2,"[lb_av]","not_met"),
                              ("female","woman",45000,"g","met")):
    case(F,f"Weight: a {'man' if sex=='male' else 'woman'} of {val} {unit} is {res}",replace_obs(base,"obs-weight",obs("w",W,q(val,unit))),{"criteria":{"inc04_weight":res}})
case(F,"Weight: a woman of 48 kg is met, the male limit does not apply",replace_obs("woman","obs-weight",obs("w",W,q(48,"kg"))),{"criteria":{"inc04_weight":"met"}})
for val,res in ((50,"met"),(48,"unknown"),(44,"not_met")):
    c=replace_obs("man","obs-weight",obs("w",W,q(val,"kg"))); c["set"]={"sex":None}
    case(F,f"Weight: sex unknown and {val} kg is {res}",c,{"criteria":{"inc04_weight":res}})
case(F,"Weight missing is unknown",{"base":"man","remove":["obs-weight"]},{"criteria":{"inc04_weight":"unknown"}})
case(F,"Weight without a unit is unknown",replace_obs("man","obs-weight",{"id":"w","code":{"system":L,"code":W},"value":70,"date":D}),{"criteria":{"inc04_weight":"unknown"}})
for cid in ("inc05_life_expectancy","inc06_measurable_lesion"):
    for v,r in ((True,"met"),(False,"not_met")):
        case(F,f"{cid} attested {v} is {r}",{"base":"man","add":{"attestations":{cid:v}}},{"criteria":{cid:r}})
    a=dict(ATT_COMMON); del a[cid]
    case(F,f"{cid} not attested is unknown",{"base":"man","set":{"attestations":a}},{"criteria":{cid:"unknown"}})

# ---------------- inclusion 3 ----------------
F="inclusion_03"
case(F,"Diagnosis: no tumour recorded is unknown",{"base":"man","remove":["c-nsclc","c-bone-mets"]},{"criteria":{"inc03_diagnosis":"unknown","inc03_stf_other":"unknown"}})
case(F,"Diagnosis: histology not attested is unknown",{"base":"man","set":{"attestations":{k:v for k,v in ATT_COMMON.items() if k!="inc03_diagnosis"}}},{"criteria":{"inc03_diagnosis":"unknown"}})
case(F,"Diagnosis: histology attested false is not met",{"base":"man","add":{"attestations":{"inc03_diagnosis":False}}},{"verdict":"ineligible","criteria":{"inc03_diagnosis":"not_met"}})
case(F,"Diagnosis: a resolved tumour only is unknown",{"base":"man","remove":["c-nsclc","c-bone-mets"],"add":{"conditions":[cond("c-old",[(ICD,"C34.90"),(SN,"254637007")],status="resolved",abatement="2025-01-01")]}},{"criteria":{"inc03_diagnosis":"unknown"}})
case(F,"NSCLC: one line of therapy is unknown until attested",{"base":"man","remove":["m-doce"]},{"criteria":{"inc03_stf_nsclc_no_driver":"unknown"}})
case(F,"NSCLC: one line, failure attested, is met",{"base":"man","remove":["m-doce"],"add":{"attestations":{"inc03_stf_nsclc_no_driver":True}}},{"criteria":{"inc03_stf_nsclc_no_driver":"met"}})
case(F,"NSCLC: one line, attested false, is not met",{"base":"man","remove":["m-doce"],"add":{"attestations":{"inc03_stf_nsclc_no_driver":False}}},{"verdict":"ineligible","criteria":{"inc03_stf_nsclc_no_driver":"not_met","inc03_advanced_tumour_failed_standard_treatment":"not_met"}})
case(F,"NSCLC: two lines without platinum are unknown",{"base":"man","remove":["m-carbo"]},{"criteria":{"inc03_stf_nsclc_no_driver":"unknown"}})
case(F,"NSCLC: no anticancer medication at all is unknown",{"base":"man","set":{"medications":[]}},{"criteria":{"inc03_stf_nsclc_no_driver":"unknown"}})
case(F,"NSCLC: a restart of the same drug after 120 days is a new line",{"base":"man","remove":["m-doce"],"add":{"medications":[med("m-pem2",RX,"68446","2025-01-05","2025-06-01","pemetrexed")]}},{"criteria":{"inc03_stf_nsclc_no_driver":"met"}})
case(F,"NSCLC: the same drug resumed within 120 days is the same line",{"base":"man","remove":["m-doce"],"add":{"medications":[med("m-pem2",RX,"68446","2024-12-29","2025-06-01","pemetrexed")]}},{"criteria":{"inc03_stf_nsclc_no_driver":"unknown"}})
case(F,"NSCLC: a drug added within 28 days belongs to the first line",{"base":"man","remove":["m-doce"],"add":{"medications":[med("m-bev",RX,"253337","2024-04-29","2024-09-01","bevacizumab")]}},{"criteria":{"inc03_stf_nsclc_no_driver":"unknown"}})
case(F,"NSCLC: a drug added on day 29 starts a second line",{"base":"man","remove":["m-doce"],"add":{"medications":[med("m-bev",RX,"253337","2024-04-30","2024-09-01","bevacizumab")]}},{"criteria":{"inc03_stf_nsclc_no_driver":"met"}})
gef=med("m-gef",RX,"328134","2023-01-01","2024-02-01","gefitinib")
case(F,"NSCLC with EGFR therapy: item (2) applies and is met",{"base":"man","add":{"medications":[gef]}},{"verdict":"eligible","criteria":{"inc03_stf_nsclc_no_driver":"met","inc03_stf_nsclc_driver":"met"}})
case(F,"NSCLC with EGFR therapy only: item (2) unknown",{"base":"man","set":{"medications":[gef]}},{"criteria":{"inc03_stf_nsclc_driver":"unknown","inc03_stf_nsclc_no_driver":"met"}})
case(F,"NSCLC with EGFR therapy only, failure attested false: not met",{"base":"man","set":{"medications":[gef]},"add":{"attestations":{"inc03_stf_nsclc_driver":False}}},{"criteria":{"inc03_stf_nsclc_driver":"not_met"}})
case(F,"NSCLC with an ATC-coded ALK inhibitor: item (2) applies",{"base":"man","add":{"medications":[med("m-alk",ATC,"L01ED01","2023-01-01","2024-02-01","crizotinib")]}},{"criteria":{"inc03_stf_nsclc_driver":"met"}})
def tumour(base_cond, extra=None):
    return {"base":"man","remove":["c-nsclc"],"add":{"conditions":[base_cond]+(extra or [])}}
case(F,"Lung cancer coded without histology falls to 'other' (unknown)",tumour(cond("c-lung",[(ICD,"C34.90")])),{"criteria":{"inc03_stf_other":"unknown","inc03_stf_nsclc_no_driver":"met"}})
c=tumour(cond("c-lung",[(ICD,"C34.90")])); c["add"]["attestations"]={"inc03_stf_other":True}
case(F,"Other tumour with failure attested is met",c,{"verdict":"eligible","criteria":{"inc03_stf_other":"met"}})
c=tumour(cond("c-panc",[(ICD,"C25.9")])); c["add"]["attestations"]={"inc03_stf_other":False}
case(F,"Other tumour attested false is not met",c,{"verdict":"ineligible","criteria":{"inc03_stf_other":"not_met"}})
case(F,"SCLC with two lines is met",tumour(cond("c-sclc",[(ICD,"C34.11"),(SN,"254632001")])),{"criteria":{"inc03_stf_sclc":"met","inc03_stf_other":"met"}})
c=tumour(cond("c-sclc",[(SN,"254632001")])); c["remove"]+=["m-doce"]
case(F,"SCLC with one line is unknown",c,{"criteria":{"inc03_stf_sclc":"unknown"}})
case(F,"Colorectal: the woman's FOLFOX then FOLFIRI is met",{"base":"woman"},{"criteria":{"inc03_stf_colorectal":"met","inc03_stf_colorectal_braf":"met","inc03_stf_colorectal_msi":"met"}})
case(F,"Colorectal: no irinotecan is unknown",{"base":"woman","remove":["m-iri"]},{"criteria":{"inc03_stf_colorectal":"unknown"}})
case(F,"Colorectal: BRAF and MSI not attested are unknown",{"base":"woman","set":{"attestations":dict(ATT_COMMON,inc08_not_lactating=True)}},{"criteria":{"inc03_stf_colorectal_braf":"unknown","inc03_stf_colorectal_msi":"unknown","inc03_stf_colorectal":"unknown"}})
c={"base":"woman","set":{"attestations":dict(ATT_COMMON,inc08_not_lactating=True)}, "add":{"medications":[med("m-enc",ATC,"L01EC03","2025-01-01","2025-03-01","encorafenib"),med("m-pembro",RX,"1547545","2024-12-01","2025-01-01","pembrolizumab")]}}
case(F,"Colorectal: a BRAF inhibitor and PD-1 given meet the sub-items (and exclusion 11 applies)",c,{"verdict":"ineligible","criteria":{"inc03_stf_colorectal_braf":"met","inc03_stf_colorectal_msi":"met","exc11_prior_immunotherapy":"met"}})
case(F,"Colorectal: BRAF attested false is not met",{"base":"woman","add":{"attestations":{"inc03_stf_colorectal_braf":False}}},{"verdict":"ineligible","criteria":{"inc03_stf_colorectal_braf":"not_met"}})
case(F,"Head and neck: two lines with platinum is met",tumour(cond("c-hn",[(ICD,"C32.9")])),{"verdict":"eligible","criteria":{"inc03_stf_head_neck":"met"}})
c=tumour(cond("c-hn",[(ICD,"C32.9")])); c["remove"]+=["m-carbo"]
case(F,"Head and neck: no platinum is unknown",c,{"criteria":{"inc03_stf_head_neck":"unknown"}})
case(F,"Urothelial: two lines, FGFR not attested: the item and its parent are unknown",tumour(cond("c-uro",[(ICD,"C67.9")])),{"criteria":{"inc03_stf_urothelial":"unknown","inc03_stf_urothelial_fgfr":"unknown"}})
c=tumour(cond("c-uro",[(ICD,"C67.9")])); c["add"]["medications"]=[med("m-erda",ATC,"L01EN01","2025-05-01","2025-10-01","erdafitinib")]
case(F,"Urothelial: ATC-coded erdafitinib meets the FGFR item",c,{"verdict":"eligible","criteria":{"inc03_stf_urothelial_fgfr":"met"}})
c=tumour(cond("c-uro",[(ICD,"C67.9")])); c["remove"]+=["m-doce"]
case(F,"Urothelial: one line is unknown",c,{"criteria":{"inc03_stf_urothelial":"unknown"}})
case(F,"Oesophageal: two lines with platinum is met",tumour(cond("c-oes",[(ICD,"C15.5")])),{"criteria":{"inc03_stf_oesophageal":"met"}})
c=tumour(cond("c-oes",[(ICD,"C15.5")])); c["remove"]+=["m-carbo","m-pem"]
case(F,"Oesophageal: one line without platinum is unknown",c,{"criteria":{"inc03_stf_oesophageal":"unknown"}})
case(F,"Cervical: PD-L1 item not attested is unknown",tumour(cond("c-cx",[(ICD,"C53.9")])),{"criteria":{"inc03_stf_cervical":"unknown","inc03_stf_cervical_pd1":"unknown"}})
c=tumour(cond("c-cx",[(ICD,"C53.9")])); c["add"]["attestations"]={"inc03_stf_cervical_pd1":True}
case(F,"Cervical: PD-L1 item attested is met",c,{"criteria":{"inc03_stf_cervical_pd1":"met"}})
case(F,"HCC: two lines is met",tumour(cond("c-hcc",[(ICD,"C22.0")])),{"criteria":{"inc03_stf_hcc":"met"}})
c=tumour(cond("c-hcc",[(ICD,"C22.0")])); c["remove"]+=["m-doce"]
case(F,"HCC: one line is unknown",c,{"criteria":{"inc03_stf_hcc":"unknown"}})
case(F,"RCC: two lines is met",tumour(cond("c-rcc",[(ICD,"C64.1")])),{"criteria":{"inc03_stf_rcc":"met"}})
c=tumour(cond("c-rcc",[(ICD,"C64.1")])); c["remove"]+=["m-doce"]; c["add"]["attestations"]={"inc03_stf_rcc":False}
case(F,"RCC: one line attested false is not met",c,{"criteria":{"inc03_stf_rcc":"not_met"}})
def neg(name, cond_, remove, atts, expect):
    c=tumour(cond_); c["remove"]+=remove; c["add"]["attestations"]=atts
    case(F,name,c,{"verdict":"ineligible","criteria":expect})
neg("SCLC: one line attested false is not met",cond("c-sclc",[(SN,"254632001")]),["m-doce"],{"inc03_stf_sclc":False},{"inc03_stf_sclc":"not_met"})
neg("Head and neck: no platinum attested false is not met",cond("c-hn",[(ICD,"C32.9")]),["m-carbo"],{"inc03_stf_head_neck":False},{"inc03_stf_head_neck":"not_met"})
neg("Urothelial: one line attested false is not met",cond("c-uro",[(ICD,"C67.9")]),["m-doce"],{"inc03_stf_urothelial":False,"inc03_stf_urothelial_fgfr":True},{"inc03_stf_urothelial":"not_met"})
neg("Urothelial: FGFR item attested false is not met",cond("c-uro",[(ICD,"C67.9")]),[],{"inc03_stf_urothelial_fgfr":False},{"inc03_stf_urothelial_fgfr":"not_met","inc03_stf_urothelial":"not_met"})
neg("Oesophageal: one line without platinum attested false is not met",cond("c-oes",[(ICD,"C15.5")]),["m-carbo","m-pem"],{"inc03_stf_oesophageal":False},{"inc03_stf_oesophageal":"not_met"})
neg("Cervical: one line attested false is not met",cond("c-cx",[(ICD,"C53.9")]),["m-doce"],{"inc03_stf_cervical":False,"inc03_stf_cervical_pd1":True},{"inc03_stf_cervical":"not_met"})
neg("Cervical: PD-L1 item attested false is not met",cond("c-cx",[(ICD,"C53.9")]),[],{"inc03_stf_cervical_pd1":False},{"inc03_stf_cervical_pd1":"not_met"})
neg("HCC: one line attested false is not met",cond("c-hcc",[(ICD,"C22.0")]),["m-doce"],{"inc03_stf_hcc":False},{"inc03_stf_hcc":"not_met"})
c=tumour(cond("c-rcc",[(ICD,"C64.1")])); c["remove"]+=["m-doce"]
case(F,"RCC: one line is unknown",c,{"criteria":{"inc03_stf_rcc":"unknown"}})
case(F,"Colorectal: MSI item attested false is not met",{"base":"woman","add":{"attestations":{"inc03_stf_colorectal_msi":False}}},{"verdict":"ineligible","criteria":{"inc03_stf_colorectal_msi":"not_met"}})
for cid in ("inc03_stf_sclc","inc03_stf_head_neck","inc03_stf_urothelial","inc03_stf_urothelial_fgfr","inc03_stf_oesophageal","inc03_stf_cervical","inc03_stf_cervical_pd1","inc03_stf_hcc","inc03_stf_colorectal_msi"):
    pass

# ---------------- inclusion 7 ----------------
F="inclusion_07_organ_function"
def lab(base,id,code,val,unit,res,cid,name,high=None,low=None,rr_unit=None,extra=None):
    o=obs("x-"+id,code,q(val,unit) if unit else val,high=high,low=low,unit=rr_unit or unit)
    c=replace_obs(base,"obs-"+id,o)
    if extra:
        for k,v in extra.items(): c.setdefault("add",{}).setdefault(k,[]).extend(v)
    case(F,name,c,{"criteria":{cid:res}})
B="inc07_1_blood_routine"
for v,u,r in ((1.5,"10*9/L","met"),(1.49,"10*9/L","not_met"),(1500,"/uL","met"),(1490,"/uL","not_met"),(1.5,"10*3/uL","met"),(1500,"/mm3","met")):
    lab("man","anc","751-8",v,u,r,B,f"ANC {v} {u} is {r}")
lab("man","anc","26499-4",1.5,"10*9/L","met",B,"ANC under LOINC 26499-4 is read")
case(F,"ANC in a unit that cannot convert is unknown",replace_obs("man","obs-anc",obs("x","751-8",q(1.5,"g/L"))),{"criteria":{B:"unknown"}})
case(F,"ANC missing is unknown",{"base":"man","remove":["obs-anc"]},{"criteria":{B:"unknown","inc07_organ_function":"unknown"}})
case(F,"ANC 15 days old is unknown",replace_obs("man","obs-anc",obs("x","751-8",q(3,"10*9/L"),date="2025-12-31")),{"criteria":{B:"unknown"}})
case(F,"ANC 14 days old is used",replace_obs("man","obs-anc",obs("x","751-8",q(3,"10*9/L"),date="2026-01-01")),{"criteria":{B:"met"}})
for v,u,r in ((90,"10*9/L","met"),(89,"10*9/L","not_met"),(90000,"/uL","met"),(89900,"/uL","not_met"),(90,"10*3/uL","met")):
    lab("man","plt","777-3",v,u,r,B,f"Platelets {v} {u} is {r}")
for v,u,r in ((90,"g/L","met"),(89,"g/L","not_met"),(9.0,"g/dL","met"),(8.9,"g/dL","not_met"),(5.6,"mmol/L","met"),(5.5,"mmol/L","not_met"),(90000,"mg/L","met")):
    lab("man","hb","718-7",v,u,r,B,f"Haemoglobin {v} {u} is {r}")
case(F,"Haemoglobin in mmol/L under LOINC 59260-0 is read",replace_obs("man","obs-hb",obs("x","59260-0",q(5.6,"mmol/L"))),{"criteria":{B:"met"}})
K="inc07_2_kidney"
lab("man","creat","2160-0",1.8,"mg/dL","met",K,"Creatinine exactly 1.5 x ULN is met",high=1.2,low=0.6)
lab("man","creat","2160-0",1.81,"mg/dL","not_met",K,"Creatinine 1.51 x ULN with clearance 43 mL/min is not met",high=1.2,low=0.6)
lab("man","creat","14682-9",159,"umol/L","met",K,"Creatinine 159 umol/L with ULN 106 umol/L (1.5 x) is met",high=106,low=50)
lab("man","creat","14682-9",160,"umol/L","not_met",K,"Creatinine 160 umol/L with ULN 106 umol/L (clearance 43 mL/min) is not met",high=106,low=50)
c=replace_obs("man","obs-creat",obs("x","2160-0",q(2.0,"mg/dL"),high=1.2,low=0.6,unit="mg/dL")); c["remove"].append("obs-weight"); c["add"]["observations"].append(obs("w","29463-7",q(90,"kg")))
case(F,"Creatinine 1.67 x ULN but Cockcroft-Gault exactly 50 mL/min is met",c,{"criteria":{K:"met"}})
c=replace_obs("man","obs-creat",obs("x","2160-0",q(2.0,"mg/dL"),high=1.2,low=0.6,unit="mg/dL")); c["remove"].append("obs-weight"); c["add"]["observations"].append(obs("w","29463-7",q(89.9,"kg")))
case(F,"Creatinine 1.67 x ULN and Cockcroft-Gault 49.9 mL/min is not met",c,{"criteria":{K:"not_met"}})
c=replace_obs("man","obs-creat",obs("x","2160-0",q(2.0,"mg/dL"))); c["remove"].append("obs-weight"); c["add"]["observations"].append(obs("w","29463-7",q(90,"kg")))
case(F,"Creatinine without a reference range: Cockcroft-Gault 50 mL/min decides",c,{"criteria":{K:"met"}})
c=replace_obs("man","obs-creat",obs("x","2160-0",q(2.0,"mg/dL"))); c["remove"].append("obs-weight")
case(F,"Creatinine without a range and no weight is unknown",c,{"criteria":{K:"unknown"}})
c=replace_obs("woman","obs-creat",obs("x","2160-0",q(1.6,"mg/dL"),high=1.0,low=0.5,unit="mg/dL")); c["remove"].append("obs-weight"); c["add"]["observations"].append(obs("w","29463-7",q(80,"kg")))
# woman born 1972-03-15 -> 53 on 2026-01-15: (140-53)*80/(72*1.6)*0.85 = 51.35
case(F,"A woman's Cockcroft-Gault carries the 0.85 factor (51.4 mL/min, met)",c,{"criteria":{K:"met"}})
c=replace_obs("woman","obs-creat",obs("x","2160-0",q(1.7,"mg/dL"),high=1.0,low=0.5,unit="mg/dL")); c["remove"].append("obs-weight"); c["add"]["observations"].append(obs("w","29463-7",q(80,"kg")))
case(F,"A woman's Cockcroft-Gault 48.3 mL/min is not met",c,{"criteria":{K:"not_met"}})
case(F,"Creatinine missing is unknown",{"base":"man","remove":["obs-creat"]},{"criteria":{K:"unknown"}})
LV="inc07_3_liver"
lab("man","bili","1975-2",1.8,"mg/dL","met",LV,"Bilirubin exactly 1.5 x ULN is met",high=1.2,low=0.2)
lab("man","bili","1975-2",1.81,"mg/dL","not_met",LV,"Bilirubin 1.51 x ULN is not met",high=1.2,low=0.2)
lab("man","bili","14631-6",31.5,"umol/L","met",LV,"Bilirubin 31.5 umol/L with ULN 21 umol/L is met",high=21,low=3)
lab("man","bili","14631-6",31.6,"umol/L","not_met",LV,"Bilirubin 31.6 umol/L with ULN 21 umol/L is not met",high=21,low=3)
lab("man","bili","1975-2",1.0,"mg/dL","met",LV,"Bilirubin in mg/dL against a range in umol/L converts",high=21,low=3,rr_unit="umol/L")
LM=[cond("c-livmet",[(ICD,"C78.7")])]
lab("man","bili","1975-2",1.81,"mg/dL","not_met",LV,"Bilirubin 1.51 x ULN with liver metastases is still not met",high=1.2,low=0.2,extra={"conditions":LM})
for enz in ("ast","alt"):
    code={"ast":"1920-8","alt":"1742-6"}[enz]
    lab("man",enz,code,100,"U/L","met",LV,f"{enz.upper()} exactly 2.5 x ULN is met",high=40,low=5)
    lab("man",enz,code,100.1,"U/L","not_met",LV,f"{enz.upper()} above 2.5 x ULN without liver involvement is not met",high=40,low=5)
    lab("man",enz,code,200,"U/L","met",LV,f"{enz.upper()} exactly 5 x ULN with liver metastases is met",high=40,low=5,extra={"conditions":LM})
    lab("man",enz,code,200.1,"U/L","not_met",LV,f"{enz.upper()} above 5 x ULN with liver metastases is not met",high=40,low=5,extra={"conditions":LM})
    lab("man",enz,code,150,"U/L","met",LV,f"{enz.upper()} 3.75 x ULN with primary liver cancer is met",high=40,low=5,extra={"conditions":[cond("c-hcc",[(ICD,"C22.0")])]})
lab("man","ast","1920-8",150,"U/L","not_met",LV,"AST 3.75 x ULN with resolved liver metastases is not met",high=40,low=5,extra={"conditions":[cond("c-lm-old",[(ICD,"C78.7")],status="resolved",abatement="2025-01-01")]})
case(F,"AST without a reference range is unknown",replace_obs("man","obs-ast",obs("x","1920-8",q(25,"U/L"))),{"criteria":{LV:"unknown"}})
C="inc07_4_coagulation"
def inr(v,high=1.2): 
    o={"id":"x-inr","code":{"system":L,"code":"6301-6"},"value":v,"date":D}
    if high is not None: o["reference_range"]={"high":{"value":high}}
    return o
case(F,"INR exactly 1.5 x ULN is met",replace_obs("man","obs-inr",inr(1.8)),{"criteria":{C:"met"}})
c=replace_obs("man","obs-inr",inr(1.81)); c["remove"].append("obs-pt"); c["add"]["observations"].append(obs("x-pt","5902-2",q(19.6,"s"),high=13,low=10,unit="s"))
case(F,"INR and PT both above 1.5 x ULN is not met",c,{"criteria":{C:"not_met"}})
c=replace_obs("man","obs-inr",inr(2.0)); c["remove"].append("obs-pt"); c["add"]["observations"].append(obs("x-pt","5902-2",q(19.5,"s"),high=13,low=10,unit="s"))
case(F,"INR high but PT exactly 1.5 x ULN is met (alternatives)",c,{"criteria":{C:"met"}})
c=replace_obs("man","obs-inr",inr(1.0,high=None)); c["remove"].append("obs-pt")
case(F,"INR without a range and no PT is unknown",c,{"criteria":{C:"unknown"}})
case(F,"INR without a range but PT normal is met",replace_obs("man","obs-inr",inr(1.0,high=None)),{"criteria":{C:"met"}})
lab("man","aptt","3173-2",60,"s","met",C,"aPTT exactly 1.5 x ULN is met",high=40,low=25)
lab("man","aptt","3173-2",60.1,"s","not_met",C,"aPTT above 1.5 x ULN is not met",high=40,low=25)
lab("man","aptt","14979-9",60000,"ms","met",C,"aPTT in ms against a range in s converts",high=40,low=25,rr_unit="s")
case(F,"aPTT missing is unknown",{"base":"man","remove":["obs-aptt"]},{"criteria":{C:"unknown"}})
O="inc07_organ_function"
case(F,"Transfusion 14 days before is not met",{"base":"man","add":{"procedures":[proc("p-tx",CPT,"36430","2026-01-01")]}},{"verdict":"ineligible","criteria":{O:"not_met"}})
case(F,"Transfusion 15 days before is met",{"base":"man","add":{"procedures":[proc("p-tx",SN,"116859006","2025-12-31")]}},{"criteria":{O:"met"}})
case(F,"Pegfilgrastim 14 days before is not met",{"base":"man","add":{"medications":[med("m-peg",RX,"338036","2026-01-01","2026-01-01","pegfilgrastim")]}},{"criteria":{O:"not_met"}})
case(F,"Pegfilgrastim 15 days before is met",{"base":"man","add":{"medications":[med("m-peg",RX,"338036","2025-12-31","2025-12-31","pegfilgrastim")]}},{"criteria":{O:"met"}})
case(F,"Darbepoetin (ATC) 10 days before is not met",{"base":"man","add":{"medications":[med("m-darb",ATC,"B03XA02","2026-01-05","2026-01-05","darbepoetin alfa")]}},{"criteria":{O:"not_met"}})
case(F,"Filgrastim 7 days before is not met",{"base":"man","add":{"medications":[med("m-fil",RX,"68442","2026-01-06","2026-01-08","filgrastim")]}},{"criteria":{O:"not_met"}})
case(F,"Filgrastim 8 days before is met",{"base":"man","add":{"medications":[med("m-fil",RX,"68442","2026-01-03","2026-01-07","filgrastim")]}},{"criteria":{O:"met"}})
case(F,"Epoetin alfa 7 days before is not met",{"base":"man","add":{"medications":[med("m-epo",RX,"105694","2026-01-08","2026-01-08","epoetin alfa")]}},{"criteria":{O:"not_met"}})

# ---------------- inclusion 8 ----------------
F="inclusion_08_reproductive"
P="inc08_pregnancy_test"
def hcg(v,date="2026-01-12"): return replace_obs("woman","obs-hcg",obs("x-hcg","2118-8",v,date=date))
case(F,"Pregnancy test negative 7 days before is met",hcg(NEG,"2026-01-08"),{"criteria":{P:"met"}})
case(F,"Pregnancy test negative 8 days before is unknown",hcg(NEG,"2026-01-07"),{"verdict":"needs_review","criteria":{P:"unknown"}})
case(F,"Pregnancy test positive is not met",hcg(POS),{"verdict":"ineligible","criteria":{P:"not_met"}})
case(F,"Pregnancy test as text 'negative' is met",hcg("negative"),{"criteria":{P:"met"}})
case(F,"Quantitative hCG 4.9 IU/L is met",hcg(q(4.9,"[IU]/L")),{"criteria":{P:"met"}})
case(F,"Quantitative hCG 5 mIU/mL is not met",hcg(q(5,"m[IU]/mL")),{"criteria":{P:"not_met"}})
case(F,"Quantitative hCG in an unknown unit is unknown",hcg(q(1,"mg/L")),{"criteria":{P:"unknown"}})
case(F,"Only a urine pregnancy test is unknown",replace_obs("woman","obs-hcg",obs("x","2106-3",NEG,date="2026-01-12")),{"criteria":{P:"unknown"}})
case(F,"A man needs no pregnancy test",{"base":"man"},{"criteria":{P:"met","inc08_not_lactating":"met"}})
case(F,"Sex unknown without a test is unknown",{"base":"man","set":{"sex":None}},{"criteria":{P:"unknown","inc08_not_lactating":"unknown"}})
case(F,"Lactation not attested is unknown",{"base":"woman","set":{"attestations":dict(ATT_COMMON,inc03_stf_colorectal_braf=True,inc03_stf_colorectal_msi=True)}},{"criteria":{"inc08_not_lactating":"unknown"}})
case(F,"Lactating (attested false) is not met",{"base":"woman","add":{"attestations":{"inc08_not_lactating":False}}},{"verdict":"ineligible","criteria":{"inc08_not_lactating":"not_met"}})
case(F,"Contraception refused is not met",{"base":"man","add":{"attestations":{"inc08_contraception":False}}},{"verdict":"ineligible","criteria":{"inc08_contraception":"not_met","inc08_reproductive":"not_met"}})
a=dict(ATT_COMMON); del a["inc08_contraception"]
case(F,"Contraception not attested is unknown",{"base":"man","set":{"attestations":a}},{"criteria":{"inc08_contraception":"unknown"}})

# ---------------- exclusions ----------------
F="exclusion"
def attcases(cid, extra_name=""):
    case(F,f"{cid} attested true is met",{"base":"man","add":{"attestations":{cid:True}}},{"verdict":"ineligible","criteria":{cid:"met"}})
    a=dict(ATT_COMMON); a.pop(cid,None)
    case(F,f"{cid} not attested is unknown",{"base":"man","set":{"attestations":a}},{"verdict":"needs_review","criteria":{cid:"unknown"}})
for cid in ("exc01_components","exc02_other_trial","exc03_chinese_medicine","exc05_unresolved_toxicity","exc06_not_recovered","exc08_active_infection","exc12_nyha","exc13_concurrent_anticancer_therapy","exc14_other_disorders","exc15_investigator_judgement"):
    attcases(cid)
case(F,"Penicillin allergy (SNOMED) excludes",{"base":"man","add":{"allergies":[{"id":"a-pen","codes":[{"system":SN,"code":"91936005"}],"clinical_status":"active","verification_status":"confirmed"}]}},{"verdict":"ineligible","criteria":{"exc01_penicillin":"met","exc01_allergy":"met"}})
case(F,"Amoxicillin allergy (RxNorm) excludes",{"base":"man","add":{"allergies":[{"id":"a-amox","codes":[{"system":RX,"code":"723"}],"clinical_status":"active","verification_status":"confirmed"}]}},{"criteria":{"exc01_penicillin":"met"}})
case(F,"Refuted penicillin allergy does not exclude",{"base":"man","add":{"allergies":[{"id":"a-pen","codes":[{"system":SN,"code":"91936005"}],"clinical_status":"active","verification_status":"refuted"}]}},{"criteria":{"exc01_penicillin":"not_met"}})
case(F,"Penicillin allergy status Z88.0 as a condition excludes",{"base":"man","add":{"conditions":[cond("c-z88",[(ICD,"Z88.0")])]}},{"criteria":{"exc01_penicillin":"met"}})
case(F,"No allergy recorded: penicillin item not met",{"base":"man"},{"criteria":{"exc01_penicillin":"not_met","exc01_allergy":"not_met"}})
E2="exc02_systemic_therapy"
def lastdose(id,sys,code,end,disp,start="2025-09-01"): return {"base":"man","add":{"medications":[med(id,sys,code,start,end,disp)]}}
case(F,"Docetaxel ending 28 days before excludes (4 weeks)",lastdose("m-x",RX,"72962","2025-12-18","docetaxel"),{"verdict":"ineligible","criteria":{E2:"met"}})
case(F,"Docetaxel ending 29 days before does not",lastdose("m-x",RX,"72962","2025-12-17","docetaxel"),{"criteria":{E2:"not_met"}})
case(F,"Gefitinib ending 10 days before excludes (5 half-lives = 10 days)",lastdose("m-x",RX,"328134","2026-01-05","gefitinib"),{"criteria":{E2:"met"}})
case(F,"Gefitinib ending 11 days before does not (5 half-lives shorter than 4 weeks)",lastdose("m-x",RX,"328134","2026-01-04","gefitinib"),{"criteria":{E2:"not_met"}})
case(F,"Dabrafenib ending 2 days before does not exclude (5 x 8 h)",lastdose("m-x",RX,"1424911","2026-01-13","dabrafenib"),{"criteria":{E2:"not_met"}})
case(F,"Dabrafenib ending 1 day before excludes",lastdose("m-x",RX,"1424911","2026-01-14","dabrafenib"),{"criteria":{E2:"met"}})
case(F,"Bevacizumab ending 28 days before excludes (5 half-lives longer than 4 weeks)",lastdose("m-x",RX,"253337","2025-12-18","bevacizumab"),{"criteria":{E2:"met"}})
case(F,"Bevacizumab ending 29 days before does not",lastdose("m-x",RX,"253337","2025-12-17","bevacizumab"),{"criteria":{E2:"not_met"}})
case(F,"An ATC-coded antineoplastic without a half-life uses 4 weeks",lastdose("m-x",ATC,"L01XE99","2025-12-20","an antineoplastic"),{"criteria":{E2:"met"}})
case(F,"Endocrine therapy (ATC L02) ongoing excludes",{"base":"man","add":{"medications":[med("m-x",ATC,"L02BB03","2025-06-01",None,"bicalutamide",status="active")]}},{"criteria":{E2:"met"}})
case(F,"Radiotherapy 28 days before excludes",{"base":"man","add":{"procedures":[proc("p-rt",CPT,"77412","2025-12-18")]}},{"verdict":"ineligible","criteria":{"exc02_radiotherapy":"met"}})
case(F,"Radiotherapy 29 days before does not",{"base":"man","add":{"procedures":[proc("p-rt",SN,"108290001","2025-12-17")]}},{"criteria":{"exc02_radiotherapy":"not_met","exc02_recent_anticancer_therapy":"not_met"}})
case(F,"An anticancer drug record without any date is unknown",{"base":"man","add":{"medications":[{"id":"m-nodate","codes":[{"system":RX,"code":"328134"}],"status":"completed"}]}},{"criteria":{E2:"unknown"}})
case(F,"A radiotherapy record without a date is unknown",{"base":"man","add":{"procedures":[{"id":"p-nodate","codes":[{"system":CPT,"code":"77412"}],"status":"completed"}]}},{"criteria":{"exc02_radiotherapy":"unknown"}})
case(F,"A surgery record without a date is unknown",{"base":"man","add":{"procedures":[{"id":"p-nodate","codes":[{"system":SN,"code":"387713003"}],"status":"completed"}]}},{"criteria":{"exc06_recent_surgery":"unknown"}})
E4="exc04_other_malignancy"
case(F,"One malignancy: no other malignancy",{"base":"man"},{"criteria":{E4:"not_met"}})
case(F,"A second primary in 5 years asks the investigator",{"base":"man","add":{"conditions":[cond("c-crc",[(ICD,"C18.9")],status="resolved",onset="2022-01-01",abatement="2022-06-01")]}},{"criteria":{E4:"unknown"}})
case(F,"A second primary attested as another malignancy excludes",{"base":"man","add":{"conditions":[cond("c-crc",[(ICD,"C18.9")],status="resolved",onset="2022-01-01",abatement="2022-06-01")],"attestations":{E4:True}}},{"verdict":"ineligible","criteria":{E4:"met"}})
case(F,"A second primary ended 5 years and one day before is outside the window",{"base":"man","add":{"conditions":[cond("c-crc",[(ICD,"C18.9")],status="resolved",onset="2019-01-01",abatement="2021-01-14")]}},{"criteria":{E4:"not_met"}})
case(F,"A second primary ending exactly 5 years before is inside",{"base":"man","add":{"conditions":[cond("c-crc",[(ICD,"C18.9")],status="resolved",onset="2019-01-01",abatement="2021-01-15")]}},{"criteria":{E4:"unknown"}})
case(F,"Basal cell carcinoma of skin is excepted",{"base":"man","add":{"conditions":[cond("c-bcc",[(ICD,"C44.91")],status="resolved",onset="2023-01-01",abatement="2023-03-01")]}},{"criteria":{E4:"not_met"}})
case(F,"Cervical carcinoma in situ is excepted",{"base":"woman","add":{"conditions":[cond("c-cin",[(ICD,"D06.9")],status="resolved",onset="2023-01-01",abatement="2023-03-01")]}},{"criteria":{E4:"not_met"}})
case(F,"Cured thyroid cancer is excepted",{"base":"man","add":{"conditions":[cond("c-thy",[(ICD,"C73")],status="resolved",onset="2022-01-01",abatement="2022-06-01")]}},{"criteria":{E4:"not_met"}})
case(F,"Active thyroid cancer asks the investigator",{"base":"man","add":{"conditions":[cond("c-thy",[(ICD,"C73")])]}},{"criteria":{E4:"unknown"}})
case(F,"Surgery 28 days before excludes",{"base":"man","add":{"procedures":[proc("p-s",SN,"387713003","2025-12-18")]}},{"verdict":"ineligible","criteria":{"exc06_recent_surgery":"met"}})
case(F,"Surgery 29 days before does not",{"base":"man","add":{"procedures":[proc("p-s",SN,"387713003","2025-12-17")]}},{"criteria":{"exc06_recent_surgery":"not_met","exc06_surgery":"not_met"}})
E7="exc07_cns_metastases"
case(F,"No brain metastasis: not met",{"base":"man"},{"criteria":{E7:"not_met"}})
case(F,"Brain metastasis asks whether controlled",{"base":"man","add":{"conditions":[cond("c-brain",[(ICD,"C79.31")])]}},{"criteria":{E7:"unknown"}})
case(F,"Brain metastasis attested uncontrolled excludes",{"base":"man","add":{"conditions":[cond("c-brain",[(ICD,"C79.31")])],"attestations":{E7:True}}},{"verdict":"ineligible","criteria":{E7:"met"}})
case(F,"Meningeal metastasis attested controlled does not exclude",{"base":"man","add":{"conditions":[cond("c-men",[(ICD,"C79.32")])],"attestations":{E7:False}}},{"verdict":"eligible","criteria":{E7:"not_met"}})
E9="exc09_immune_disorders"
case(F,"Rheumatoid arthritis in the history excludes",{"base":"man","add":{"conditions":[cond("c-ra",[(ICD,"M05.79")],status="inactive")]}},{"verdict":"ineligible","criteria":{"exc09_autoimmune":"met"}})
case(F,"Common variable immunodeficiency excludes",{"base":"man","add":{"conditions":[cond("c-cvid",[(ICD,"D83.9")])]}},{"criteria":{"exc09_immunodeficiency":"met"}})
case(F,"HIV disease diagnosis excludes",{"base":"man","add":{"conditions":[cond("c-hiv",[(ICD,"B20")])]}},{"criteria":{"exc09_immunodeficiency":"met"}})
case(F,"A positive HIV test in 2020 excludes",{"base":"man","add":{"observations":[obs("o-hiv-old","7917-8",POS,date="2020-05-01")]}},{"criteria":{"exc09_immunodeficiency":"met"}})
case(F,"A reactive HIV test (text) excludes",replace_obs("man","obs-hiv",obs("x","7917-8","Reactive")),{"criteria":{"exc09_immunodeficiency":"met"}})
case(F,"No HIV test is unknown",{"base":"man","remove":["obs-hiv"]},{"criteria":{"exc09_immunodeficiency":"unknown",E9:"unknown"}})
case(F,"A negative HIV test 29 days old is unknown",replace_obs("man","obs-hiv",obs("x","7917-8",NEG,date="2025-12-17")),{"criteria":{"exc09_immunodeficiency":"unknown"}})
case(F,"A negative HIV test 28 days old is not met",replace_obs("man","obs-hiv",obs("x","7917-8",NEG,date="2025-12-18")),{"criteria":{"exc09_immunodeficiency":"not_met"}})
case(F,"Kidney transplant status excludes",{"base":"man","add":{"conditions":[cond("c-tx",[(ICD,"Z94.0")])]}},{"criteria":{"exc09_organ_transplant":"met"}})
case(F,"No immune disorder: not met",{"base":"man"},{"criteria":{"exc09_autoimmune":"not_met","exc09_organ_transplant":"not_met",E9:"not_met"}})
HB="exc10_hepatitis_b"; HC="exc10_hepatitis_c"
case(F,"HBsAg positive with HBV DNA detected excludes",{"base":"man","remove":["obs-hbsag"],"add":{"observations":[obs("x","5196-1",POS),obs("y","29615-2",DET)]}},{"verdict":"ineligible","criteria":{HB:"met"}})
case(F,"HBsAg positive with HBV DNA not detected asks the investigator",{"base":"man","remove":["obs-hbsag"],"add":{"observations":[obs("x","5196-1",POS),obs("y","29615-2",NDET)]}},{"criteria":{HB:"unknown"}})
case(F,"HBsAg positive, HBV DNA not detected, attested inactive: not met",{"base":"man","remove":["obs-hbsag"],"add":{"observations":[obs("x","5196-1",POS),obs("y","29615-2",NDET)],"attestations":{HB:False}}},{"criteria":{HB:"not_met"}})
case(F,"HBsAg positive with a numeric HBV DNA asks the investigator",{"base":"man","remove":["obs-hbsag"],"add":{"observations":[obs("x","5196-1",POS),obs("y","29615-2",q(1200,"[IU]/mL"))]}},{"criteria":{HB:"unknown"}})
case(F,"Active chronic hepatitis B diagnosis excludes",{"base":"man","add":{"conditions":[cond("c-hbv",[(ICD,"B18.1")])]}},{"criteria":{HB:"met"}})
case(F,"No HBsAg test is unknown",{"base":"man","remove":["obs-hbsag"]},{"criteria":{HB:"unknown","exc10_active_hepatitis":"unknown"}})
case(F,"HBsAg negative 29 days old is unknown",replace_obs("man","obs-hbsag",obs("x","5196-1",NEG,date="2025-12-17")),{"criteria":{HB:"unknown"}})
case(F,"HBsAg 'non-reactive' text is negative",replace_obs("man","obs-hbsag",obs("x","5196-1","Non-reactive")),{"criteria":{HB:"not_met"}})
case(F,"HCV antibody positive with RNA detected excludes",{"base":"man","remove":["obs-hcvab"],"add":{"observations":[obs("x","16128-1",POS),obs("y","11011-4",DET)]}},{"verdict":"ineligible","criteria":{HC:"met"}})
case(F,"HCV antibody positive with RNA not detected does not exclude",{"base":"man","remove":["obs-hcvab"],"add":{"observations":[obs("x","16128-1",POS),obs("y","11011-4",NDET)]}},{"criteria":{HC:"not_met"}})
case(F,"HCV antibody positive without RNA is unknown",{"base":"man","remove":["obs-hcvab"],"add":{"observations":[obs("x","16128-1",POS)]}},{"criteria":{HC:"unknown"}})
case(F,"No HCV test is unknown",{"base":"man","remove":["obs-hcvab"]},{"criteria":{HC:"unknown"}})
case(F,"Chronic hepatitis C diagnosis excludes",{"base":"man","add":{"conditions":[cond("c-hcv",[(ICD,"B18.2")])]}},{"criteria":{HC:"met"}})
case(F,"Nivolumab in 2023 excludes (previous immunotherapy)",{"base":"man","add":{"medications":[med("m-nivo",RX,"1597876","2023-01-01","2023-06-01","nivolumab")]}},{"verdict":"ineligible","criteria":{"exc11_prior_immunotherapy":"met","exc02_systemic_therapy":"not_met"}})
case(F,"An ATC-coded PD-1 inhibitor excludes",{"base":"man","add":{"medications":[med("m-pd1",ATC,"L01FF09","2023-01-01","2023-06-01","tislelizumab")]}},{"criteria":{"exc11_prior_immunotherapy":"met"}})
case(F,"Ipilimumab excludes",{"base":"man","add":{"medications":[med("m-ipi",RX,"1094833","2023-01-01","2023-06-01","ipilimumab")]}},{"criteria":{"exc11_prior_immunotherapy":"met"}})
case(F,"No immunotherapy: not met",{"base":"man"},{"criteria":{"exc11_prior_immunotherapy":"not_met"}})
def hist(name,cid,codes,res="met",status="resolved",kind="conditions"):
    case(F,name,{"base":"man","add":{"conditions":[cond("c-h",codes,status=status,onset="2015-01-01",abatement="2015-02-01" if status=="resolved" else None)]}},{"criteria":{cid:res}})
hist("Third-degree AV block in the history excludes","exc12_arrhythmia",[(ICD,"I44.2")])
hist("Second-degree AV block excludes","exc12_arrhythmia",[(ICD,"I44.1")])
hist("First-degree AV block does not exclude","exc12_arrhythmia",[(ICD,"I44.0")],"not_met")
hist("Ventricular tachycardia asks whether it required intervention","exc12_arrhythmia",[(ICD,"I47.20")],"unknown")
case(F,"Ventricular tachycardia attested as requiring intervention excludes",{"base":"man","add":{"conditions":[cond("c-vt",[(ICD,"I47.20")])],"attestations":{"exc12_arrhythmia":True}}},{"verdict":"ineligible","criteria":{"exc12_arrhythmia":"met"}})
hist("Old myocardial infarction excludes","exc12_myocardial_infarction",[(ICD,"I25.2")])
hist("Acute MI (SNOMED) excludes","exc12_myocardial_infarction",[(SN,"22298006")])
hist("Aortocoronary bypass graft status excludes","exc12_cabg",[(ICD,"Z95.1")])
case(F,"A CABG procedure (CPT) excludes",{"base":"man","add":{"procedures":[proc("p-cabg",CPT,"33533","2015-01-01")]}},{"criteria":{"exc12_cabg":"met"}})
hist("Heart failure excludes","exc12_heart_failure",[(ICD,"I50.22")])
hist("Deep vein thrombosis excludes","exc12_thrombosis",[(ICD,"I82.401")])
hist("Pulmonary embolism excludes","exc12_thrombosis",[(ICD,"I26.99")])
hist("Stroke excludes","exc12_stroke",[(ICD,"I63.9")])
hist("History of TIA/cerebral infarction (Z86.73) excludes","exc12_stroke",[(ICD,"Z86.73")])
case(F,"No cardiovascular history: not met",{"base":"man"},{"criteria":{"exc12_myocardial_infarction":"not_met","exc12_cabg":"not_met","exc12_heart_failure":"not_met","exc12_thrombosis":"not_met","exc12_stroke":"not_met","exc12_arrhythmia":"not_met","exc12_cardiovascular":"not_met"}})
for v,r in ((50,"met"),(51,"not_met")):
    case(F,f"LVEF {v}% is {r}",replace_obs("man","obs-lvef",obs("x","10230-1",q(v,"%"))),{"criteria":{"exc12_lvef":r}})
case(F,"LVEF missing is unknown",{"base":"man","remove":["obs-lvef"]},{"criteria":{"exc12_lvef":"unknown"}})
case(F,"LVEF 29 days old is unknown",replace_obs("man","obs-lvef",obs("x","10230-1",q(60,"%"),date="2025-12-17")),{"criteria":{"exc12_lvef":"unknown"}})
Q="exc12_qtcf"
for base,v,r in (("man",450,"not_met"),("man",451,"met"),("woman",470,"not_met"),("woman",471,"met"),("woman",460,"not_met")):
    case(F,f"QTcF {v} ms in a {base} is {r}",replace_obs(base,"obs-qtcf",obs("x","8636-3",q(v,"ms"))),{"criteria":{Q:r}})
case(F,"QTcF 0.451 s in a man is met",replace_obs("man","obs-qtcf",obs("x","8636-3",q(0.451,"s"))),{"criteria":{Q:"met"}})
for v,r in ((460,"unknown"),(471,"met"),(450,"not_met")):
    c=replace_obs("man","obs-qtcf",obs("x","8636-3",q(v,"ms"))); c["set"]={"sex":None}
    case(F,f"QTcF {v} ms with the sex unknown is {r}",c,{"criteria":{Q:r}})
c={"base":"man","remove":["obs-qtcf"],"add":{"observations":[obs("qt","8634-8",q(450,"ms")),obs("hr","8867-4",q(60,"/min"))]}}
case(F,"QTcF from QT 450 ms at 60/min is 450 ms (not met in a man)",c,{"criteria":{Q:"not_met"}})
c={"base":"man","remove":["obs-qtcf"],"add":{"observations":[obs("qt","8634-8",q(420,"ms")),obs("hr","8867-4",q(90,"/min"))]}}
case(F,"QTcF from QT 420 ms at 90/min is 480.8 ms (met)",c,{"criteria":{Q:"met"}})
case(F,"No ECG is unknown",{"base":"man","remove":["obs-qtcf"]},{"criteria":{Q:"unknown"}})
hist("Epilepsy excludes","exc14_epilepsy_dementia",[(ICD,"G40.909")])
hist("Alzheimer dementia excludes","exc14_epilepsy_dementia",[(ICD,"G30.9")],status="active")
case(F,"No epilepsy or dementia: not met",{"base":"man"},{"criteria":{"exc14_epilepsy_dementia":"not_met"}})

# ---------------- dump ----------------
class Dm(yaml.SafeDumper):
    def ignore_aliases(self, data): return True
import os
os.makedirs("/work/main/plugins/cel001/tests/cases",exist_ok=True)
for f,cases in cases_files.items():
    doc={"trial":"cel001","as_of":"2026-01-15","description":f"CEL001 {f.replace('_',' ')} cases. Generated once from a script, then maintained by hand.","patients":PATIENTS,"cases":cases}
    open(f"/work/main/plugins/cel001/tests/cases/{f}.yaml","w").write(yaml.dump(doc,Dumper=Dm,sort_keys=False,allow_unicode=True,width=110,default_flow_style=None))
    print(f,len(cases))
json.dump(PATIENTS,open("/tmp/cel/patients.json","w"),indent=1)
