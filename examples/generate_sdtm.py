"""
Generate synthetic SDTM CSV data for the example trials cel001 and jk500.

Every value is drawn from ``random.Random(20261122)``; nothing comes from real
people. Run from the repository root::

    python examples/generate_sdtm.py            # writes examples/sdtm/<trial>/

cel001: 13 adults in 3 arms ("Dose group 1" 1, "Dose group 2" 6, "Dose group 3"
6), four infusions (days 1, 20, 24, 28), PK samples to 336 h after the first
dose (log-linear decline), cytokines and immune cells at baseline and day 48,
ADA at baseline, day 20 and day 48, RECIST 1.1 assessments every 6 weeks,
AEs with grade, relatedness and seriousness, deaths in DS and DM.

jk500: 9 children in 3 dose groups of 3, six infusions over two weeks, AML
responses (CR, CRi, PR, NR) in RS, MRD (% cells) in LB, AEs with an AEDLT flag.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from pathlib import Path

SEED = 20261122
OUT = Path(__file__).resolve().parent / "sdtm"

DOMAIN_COLUMNS = {
    "dm": ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFPENDTC", "DTHDTC",
           "DTHFL", "SITEID", "AGE", "AGEU", "SEX", "ARMCD", "ARM", "ACTARMCD", "ACTARM"],
    "ex": ["STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE",
           "EXSTDTC", "EXENDTC"],
    "ae": ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AESER",
           "AEREL", "AETOXGR", "AESTDTC", "AEENDTC"],
    "rs": ["STUDYID", "DOMAIN", "USUBJID", "RSSEQ", "RSTESTCD", "RSTEST", "RSCAT", "RSORRES",
           "RSSTRESC", "VISIT", "RSDTC"],
    "tr": ["STUDYID", "DOMAIN", "USUBJID", "TRSEQ", "TRTESTCD", "TRTEST", "TRSTRESN", "TRSTRESU",
           "VISIT", "TRDTC"],
    "pc": ["STUDYID", "DOMAIN", "USUBJID", "PCSEQ", "PCTESTCD", "PCTEST", "PCSPEC", "PCORRES", "PCSTRESC",
           "PCSTRESN", "PCSTRESU", "PCLLOQ", "PCTPTNUM", "PCELTM", "PCDTC"],
    "lb": ["STUDYID", "DOMAIN", "USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBCAT", "LBSTRESC",
           "LBSTRESN", "LBSTRESU", "LBBLFL", "VISIT", "VISITNUM", "LBDTC"],
    "ds": ["STUDYID", "DOMAIN", "USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "DSSTDTC"],
}

AE_TERMS = [
    ("Pyrexia", "General disorders and administration site conditions"),
    ("Fatigue", "General disorders and administration site conditions"),
    ("Cytokine release syndrome", "Immune system disorders"),
    ("Nausea", "Gastrointestinal disorders"),
    ("Neutrophil count decreased", "Investigations"),
    ("Anaemia", "Blood and lymphatic system disorders"),
    ("Headache", "Nervous system disorders"),
    ("Rash", "Skin and subcutaneous tissue disorders"),
]
RELATEDNESS = ["RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "NOT RELATED", "UNLIKELY RELATED"]
CYTOKINES = [("IL1B", "Interleukin 1 beta", 2.0), ("IL2", "Interleukin 2", 1.5),
             ("IL6", "Interleukin 6", 4.0), ("IL10", "Interleukin 10", 3.0),
             ("TNFA", "Tumor necrosis factor alpha", 6.0), ("IFNG", "Interferon gamma", 5.0)]
IMMUNE = [("NK", "NK cells", 250.0), ("T", "T cells", 1200.0), ("B", "B cells", 200.0),
          ("TH", "T helper cells", 700.0), ("CTL", "Cytotoxic T lymphocytes", 450.0)]
PK_HOURS = [0, 0.5, 2, 6, 24, 48, 96, 168, 240, 336]


def _iso_dur(hours: float) -> str:
    if hours == 0:
        return "PT0H"
    days, rem = divmod(hours, 24)
    text = "P" + (f"{int(days)}D" if days else "")
    if rem:
        text += "T" + (f"{rem:g}H" if rem >= 1 or rem == int(rem) else f"{int(rem * 60)}M")
    return text


def _dtc(when: dt.datetime | dt.date) -> str:
    if isinstance(when, dt.datetime):
        return when.strftime("%Y-%m-%dT%H:%M")
    return when.isoformat()


class Writer:
    """Collects rows per domain and writes them with SEQ numbers per subject."""

    def __init__(self, study: str) -> None:
        self.study = study
        self.rows: dict[str, list[dict[str, object]]] = {d: [] for d in DOMAIN_COLUMNS}
        self.seq: dict[tuple[str, str], int] = {}

    def add(self, domain: str, **values: object) -> None:
        key = (domain, str(values["USUBJID"]))
        self.seq[key] = self.seq.get(key, 0) + 1
        row: dict[str, object] = {"STUDYID": self.study, "DOMAIN": domain.upper()}
        if domain != "dm":
            row[f"{domain.upper()}SEQ"] = self.seq[key]
        row.update(values)
        self.rows[domain].append(row)

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for domain, cols in DOMAIN_COLUMNS.items():
            if not self.rows[domain]:
                continue
            extra = [c for r in self.rows[domain] for c in r if c not in cols]
            header = cols + sorted(set(extra), key=extra.index)
            with (folder / f"{domain}.csv").open("w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
                w.writeheader()
                for r in self.rows[domain]:
                    w.writerow({k: ("" if v is None else v) for k, v in r.items()})


def _aes(w: Writer, rng: random.Random, u: str, start: dt.datetime, dlt_flag: bool) -> None:
    for _ in range(rng.randint(1, 5)):
        term, soc = rng.choice(AE_TERMS)
        day = rng.randint(-3, 60)
        grade = rng.choices([1, 2, 3, 4], weights=[45, 30, 18, 7])[0]
        rel = rng.choice(RELATEDNESS)
        serious = "Y" if grade >= 3 and rng.random() < 0.5 else "N"
        onset = start.date() + dt.timedelta(days=day)
        values: dict[str, object] = {
            "USUBJID": u, "AETERM": term, "AEDECOD": term, "AEBODSYS": soc, "AESER": serious, "AEREL": rel,
            "AETOXGR": grade, "AESTDTC": _dtc(onset), "AEENDTC": _dtc(onset + dt.timedelta(days=rng.randint(1, 14))),
        }
        if dlt_flag:
            values["AEDLT"] = "Y" if 0 <= day <= 28 and grade >= 3 and "NOT" not in rel and "UNLIKELY" not in rel else "N"
        w.add("ae", **values)


#: Cells per administration by arm, as the CEL001 protocol states them.
CEL001_DOSE = {"Dose group 1": 5e8, "Dose group 2": 2e9, "Dose group 3": 5e9}


def generate_cel001(rng: random.Random) -> Writer:
    """Synthetic cel001 study (advanced solid tumours, NK cells, 4 infusions)."""
    w = Writer("CEL001")
    arms = ["Dose group 1"] + ["Dose group 2"] * 6 + ["Dose group 3"] * 6
    base_day = dt.datetime(2025, 3, 3, 9, 0)
    for i, arm in enumerate(arms, start=1):
        u = f"CEL001-01-{i:03d}"
        start = base_day + dt.timedelta(days=21 * i + rng.randint(0, 6))
        doses = [start + dt.timedelta(days=d) for d in (0, 19, 23, 27)]
        # response path: RECIST assessments every 6 weeks until PD or ~12 months
        profile = rng.choices(["PR", "CR", "SD", "PD", "SDPD", "PRPD"], weights=[3, 1, 4, 2, 2, 2])[0]
        assessments: list[tuple[int, str]] = []
        for k, day in enumerate(range(42, 380, 42), start=1):
            if profile == "PD":
                res = "PD" if k == 1 else ""
            elif profile == "SDPD":
                res = "SD" if k < 3 else ("PD" if k == 3 else "")
            elif profile == "PRPD":
                res = "SD" if k == 1 else ("PR" if k in (2, 3) else ("PD" if k == 5 else ("PR" if k < 5 else "")))
            elif profile == "CR":
                res = "PR" if k == 1 else "CR"
            elif profile == "PR":
                res = "SD" if k == 1 else "PR"
            else:
                res = "SD" if rng.random() < 0.9 else "NE"
            if not res:
                break
            assessments.append((day + rng.randint(-3, 3), res))
        last_assess = start.date() + dt.timedelta(days=assessments[-1][0])
        death = None
        if profile in ("PD", "SDPD", "PRPD") and rng.random() < 0.7:
            death = last_assess + dt.timedelta(days=rng.randint(20, 120))
        follow_end = death or (last_assess + dt.timedelta(days=rng.randint(5, 40)))
        w.add("dm", USUBJID=u, SUBJID=f"{i:03d}", RFSTDTC=_dtc(start), RFENDTC=_dtc(doses[-1]),
              RFPENDTC=_dtc(follow_end), DTHDTC=_dtc(death) if death else "", DTHFL="Y" if death else "",
              SITEID="01", AGE=rng.randint(32, 74), AGEU="YEARS", SEX=rng.choice("MF"),
              ARMCD=f"DG{arm[-1]}", ARM=arm, ACTARMCD=f"DG{arm[-1]}", ACTARM=arm)
        for d in doses:
            # the arm's dose (plugins/cel001 arms.yaml: 5×10^8, 2×10^9, 5×10^9 cells per administration)
            w.add("ex", USUBJID=u, EXTRT="CEL001 INJECTION", EXDOSE=CEL001_DOSE[arm], EXDOSU="cells",
                  EXROUTE="INTRAVENOUS",
                  EXSTDTC=_dtc(d), EXENDTC=_dtc(d + dt.timedelta(minutes=45)))
        # RECIST overall response and sum of diameters
        sld = rng.uniform(40, 140)
        w.add("tr", USUBJID=u, TRTESTCD="SUMDIAM", TRTEST="Sum of Diameter", TRSTRESN=round(sld, 1),
              TRSTRESU="mm", VISIT="BASELINE", TRDTC=_dtc(start.date() - dt.timedelta(days=7)))
        factor = {"CR": 0.0, "PR": 0.55, "PRPD": 0.6, "SD": 0.95, "SDPD": 1.05, "PD": 1.3}[profile]
        for k, (day, res) in enumerate(assessments, start=1):
            when = start.date() + dt.timedelta(days=day)
            w.add("rs", USUBJID=u, RSTESTCD="OVRLRESP", RSTEST="Overall Response", RSCAT="RECIST 1.1",
                  RSORRES=res, RSSTRESC=res, VISIT=f"WEEK {day // 7}", RSDTC=_dtc(when))
            level = sld * (factor + (1 - factor) * math.exp(-k / 1.5)) if res != "PD" else sld * 1.3
            if res == "CR":
                level = 0.0
            w.add("tr", USUBJID=u, TRTESTCD="SUMDIAM", TRTEST="Sum of Diameter",
                  TRSTRESN=round(level * rng.uniform(0.97, 1.03), 1), TRSTRESU="mm",
                  VISIT=f"WEEK {day // 7}", TRDTC=_dtc(when))
        # PK after the first infusion: biexponential-free, log-linear decline after a peak
        ke = math.log(2) / rng.uniform(40, 90)
        peak = rng.uniform(80, 160) * (1.0 if arm == "Dose group 1" else 1.6 if arm == "Dose group 2" else 2.4)
        for n, h in enumerate(PK_HOURS, start=1):
            if h == 0:
                conc: float | None = None
            else:
                rise = 1 - math.exp(-3.0 * h)
                conc = peak * rise * math.exp(-ke * h) * math.exp(rng.gauss(0, 0.04))
            lloq = 1.0
            blq = conc is None or conc < lloq
            w.add("pc", USUBJID=u, PCTESTCD="CEL001", PCTEST="CEL001 viable cells", PCSPEC="BLOOD",
                  PCORRES="<1.0" if blq else f"{conc:.3f}", PCSTRESC="<1.0" if blq else f"{conc:.3f}",
                  PCSTRESN="" if blq else round(conc or 0.0, 3), PCSTRESU="cells/uL", PCLLOQ=lloq,
                  PCTPTNUM=n, PCELTM=_iso_dur(h), PCDTC=_dtc(start + dt.timedelta(hours=h)))
        # labs: cytokines, immune cells at baseline and day 48; ADA at baseline, day 20, day 48
        visits = [("BASELINE", 1, start - dt.timedelta(days=1)), ("DAY 48", 48, start + dt.timedelta(days=47))]
        for testcd, name, mean in CYTOKINES:
            base = 0.0 if (testcd == "IL2" and i % 5 == 0) else round(mean * rng.uniform(0.5, 1.5), 2)
            for visit, vnum, when in visits:
                value = base if visit == "BASELINE" else round(max(0.0, mean * rng.uniform(0.6, 3.0)), 2)
                w.add("lb", USUBJID=u, LBTESTCD=testcd, LBTEST=name, LBCAT="CYTOKINES", LBSTRESC=f"{value:g}",
                      LBSTRESN=value, LBSTRESU="pg/mL", LBBLFL="Y" if visit == "BASELINE" else "",
                      VISIT=visit, VISITNUM=vnum, LBDTC=_dtc(when))
        for testcd, name, mean in IMMUNE:
            base = round(mean * rng.uniform(0.6, 1.4))
            for visit, vnum, when in visits:
                value = base if visit == "BASELINE" else round(base * rng.uniform(0.7, 1.6))
                w.add("lb", USUBJID=u, LBTESTCD=testcd, LBTEST=name, LBCAT="IMMUNE CELLS", LBSTRESC=str(value),
                      LBSTRESN=value, LBSTRESU="cells/uL", LBBLFL="Y" if visit == "BASELINE" else "",
                      VISIT=visit, VISITNUM=vnum, LBDTC=_dtc(when))
        base_pos = rng.random() < 0.2
        titre = 40 if base_pos else None
        for visit, vnum, when in [visits[0], ("DAY 20", 20, start + dt.timedelta(days=19, hours=-2)), visits[1]]:
            if visit == "BASELINE":
                pos, t = base_pos, titre
            else:
                pos = base_pos or rng.random() < 0.3
                t = (titre or 10) * rng.choice([1, 2, 4, 8]) if pos else None
            w.add("lb", USUBJID=u, LBTESTCD="ADA", LBTEST="Anti-drug antibody", LBCAT="IMMUNOGENICITY",
                  LBSTRESC="POSITIVE" if pos else "NEGATIVE", LBSTRESN="", LBSTRESU="",
                  LBBLFL="Y" if visit == "BASELINE" else "", VISIT=visit, VISITNUM=vnum, LBDTC=_dtc(when))
            if pos and t:
                w.add("lb", USUBJID=u, LBTESTCD="ADATITER", LBTEST="ADA titer", LBCAT="IMMUNOGENICITY",
                      LBSTRESC=str(t), LBSTRESN=t, LBSTRESU="titer", LBBLFL="Y" if visit == "BASELINE" else "",
                      VISIT=visit, VISITNUM=vnum, LBDTC=_dtc(when))
        _aes(w, rng, u, start, dlt_flag=False)
        if death:
            w.add("ds", USUBJID=u, DSTERM="DEATH DUE TO DISEASE PROGRESSION", DSDECOD="DEATH",
                  DSCAT="DISPOSITION EVENT", DSSTDTC=_dtc(death))
        else:
            w.add("ds", USUBJID=u, DSTERM="COMPLETED FOLLOW-UP", DSDECOD="COMPLETED",
                  DSCAT="DISPOSITION EVENT", DSSTDTC=_dtc(follow_end))
    return w


def generate_jk500(rng: random.Random) -> Writer:
    """Synthetic jk500 study (paediatric R/R AML, 3 dose groups of 3)."""
    w = Writer("JK500")
    groups = ["Dose group 1 (1x10^6/kg)", "Dose group 2 (5x10^6/kg)", "Dose group 3 (3x10^7/kg)"]
    for i in range(1, 10):
        arm = groups[(i - 1) // 3]
        u = f"JK500-01-{i:03d}"
        start = dt.datetime(2025, 1, 6, 10, 0) + dt.timedelta(days=35 * i + rng.randint(0, 5))
        doses = [start + dt.timedelta(days=d) for d in (0, 2, 4, 7, 9, 11)]
        best = rng.choices(["CR", "CRi", "PR", "NR"], weights=[3, 2, 2, 3])[0]
        path = {"CR": ["PR", "CR", "CR", "CR"], "CRi": ["PR", "CRi", "CRi", "RELAPSE"],
                "PR": ["NR", "PR", "PR", "RELAPSE"], "NR": ["NR", "NR"]}[best]
        days = [28, 56, 90, 180][: len(path)]
        death = None
        if path[-1] in ("RELAPSE", "NR") and rng.random() < 0.6:
            death = start.date() + dt.timedelta(days=days[-1] + rng.randint(30, 150))
        follow_end = death or start.date() + dt.timedelta(days=days[-1] + rng.randint(10, 60))
        w.add("dm", USUBJID=u, SUBJID=f"{i:03d}", RFSTDTC=_dtc(start), RFENDTC=_dtc(doses[-1]),
              RFPENDTC=_dtc(follow_end), DTHDTC=_dtc(death) if death else "", DTHFL="Y" if death else "",
              SITEID="01", AGE=rng.randint(2, 17), AGEU="YEARS", SEX=rng.choice("MF"),
              ARMCD=f"DG{(i - 1) // 3 + 1}", ARM=arm, ACTARMCD=f"DG{(i - 1) // 3 + 1}", ACTARM=arm)
        for d in doses:
            w.add("ex", USUBJID=u, EXTRT="JK500 CELL INJECTION", EXDOSE=[1e6, 5e6, 3e7][(i - 1) // 3],
                  EXDOSU="cells/kg", EXROUTE="INTRAVENOUS", EXSTDTC=_dtc(d), EXENDTC=_dtc(d + dt.timedelta(minutes=30)))
        mrd = rng.uniform(5, 40)
        w.add("lb", USUBJID=u, LBTESTCD="MRD", LBTEST="Minimal residual disease (flow)", LBCAT="MRD",
              LBSTRESC=f"{mrd:.3f}", LBSTRESN=round(mrd, 3), LBSTRESU="%", LBBLFL="Y", VISIT="BASELINE",
              VISITNUM=0, LBDTC=_dtc(start - dt.timedelta(days=3)))
        for day, res in zip(days, path, strict=False):
            when = start.date() + dt.timedelta(days=day)
            w.add("rs", USUBJID=u, RSTESTCD="OVRLRESP", RSTEST="Overall Response", RSCAT="ELN 2017",
                  RSORRES=res, RSSTRESC=res.upper(), VISIT=f"DAY {day}", RSDTC=_dtc(when))
            mrd = {"CR": rng.choice([0.01, 0.05, 0.3]), "CRI": rng.choice([0.05, 0.4]), "PR": rng.uniform(1, 5),
                   "NR": rng.uniform(10, 50), "RELAPSE": rng.uniform(5, 30)}[res.upper()]
            w.add("lb", USUBJID=u, LBTESTCD="MRD", LBTEST="Minimal residual disease (flow)", LBCAT="MRD",
                  LBSTRESC=f"{mrd:.3f}", LBSTRESN=round(mrd, 3), LBSTRESU="%", LBBLFL="", VISIT=f"DAY {day}",
                  VISITNUM=day, LBDTC=_dtc(when))
        _aes(w, rng, u, start, dlt_flag=True)
        if death:
            w.add("ds", USUBJID=u, DSTERM="DEATH", DSDECOD="DEATH", DSCAT="DISPOSITION EVENT", DSSTDTC=_dtc(death))
    return w


def main() -> None:
    """Generate both studies into examples/sdtm/."""
    rng = random.Random(SEED)
    generate_cel001(rng).write(OUT / "cel001")
    generate_jk500(rng).write(OUT / "jk500")


if __name__ == "__main__":
    main()
