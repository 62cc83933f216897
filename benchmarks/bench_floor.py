"""
The engine against a hand-written floor of all of CEL001's criteria, by history size and
number of trials.

    python benchmarks/bench_floor.py [--patients 200] [--repeat 5] [--histories 10,100,1000,10000]

A seeded synthetic population (eligible, ineligible and needs-review patients alike) is
screened by the engine (full explanations, with and without ``to_dict()``) and by the
hand-written check in benchmarks/cel001_floor.py; both must agree on every patient's
verdict and on every criterion's result, or the benchmark stops. Times are CPU time
(``time.process_time``), min and median of ``--repeat`` runs, ratios taken in the same run
so that the machine's load cancels. A second table gives the engine's cost for the first
1 ... 5 trials on the same patients. Not a timed test: the figures go into the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from cel001_floor import Floor  # type: ignore[import-not-found]

from trialrules import Engine, PatientRecord
from trialrules.engine.patient import PatientIndex
from trialrules.language.converters import converter

AS_OF = dt.date(2026, 1, 15)
LOINC, SNOMED, ICD, RXNORM, ATC, CPT = ("http://loinc.org", "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10-cm",
                                         "http://www.nlm.nih.gov/research/umls/rxnorm", "http://www.whocc.no/atc",
                                         "http://www.ama-assn.org/go/cpt")
# Background history: codes outside every CEL001 value set, coded as real feeds send them.
# (ICD-10-CM, SNOMED CT, display)
BACKGROUND_CONDITIONS = [("I10", "38341003", "Essential hypertension"), ("E11.9", "44054006", "Type 2 diabetes mellitus"),
                         ("K21.9", "235595009", "Gastro-oesophageal reflux disease"), ("E78.5", "55822004", "Hyperlipidaemia"),
                         ("M54.5", "279039007", "Low back pain"), ("J06.9", "54150009", "Upper respiratory infection")]
# (RxNorm ingredient, ATC, display)
BACKGROUND_DRUGS = [("6809", "A10BA02", "metformin"), ("29046", "C09AA03", "lisinopril"), ("83367", "C10AA05", "atorvastatin"),
                    ("7646", "A02BC01", "omeprazole"), ("161", "N02BE01", "acetaminophen")]
# (LOINC, unit, low, high)
BACKGROUND_LABS = [("2345-7", "mg/dL", 70, 140), ("2951-2", "mmol/L", 133, 146), ("2823-3", "mmol/L", 3.4, 5.1)]
# (concept, LOINC, unit, eligible low, eligible high, ULN or None)
LABS = [("anc", "751-8", "10*9/L", 1.6, 6.0, None), ("platelets", "777-3", "10*9/L", 100, 400, None),
        ("haemoglobin", "718-7", "g/L", 95, 160, None), ("creatinine", "2160-0", "mg/dL", 0.5, 1.6, 1.1),
        ("bilirubin", "1975-2", "mg/dL", 0.2, 1.7, 1.2), ("ast", "1920-8", "U/L", 10, 90, 40),
        ("alt", "1742-6", "U/L", 10, 90, 40), ("inr", "6301-6", "1", 0.9, 1.6, 1.1), ("aptt", "3173-2", "s", 25, 55, 40),
        ("body_weight", "29463-7", "kg", 52, 110, None), ("ecog", "89247-1", None, 0, 1, None),
        ("lvef", "10230-1", "%", 55, 70, None), ("qtcf", "8636-3", "ms", 380, 445, None)]
ATTESTED_TRUE = ["inc03_diagnosis", "inc03_stf_other", "inc05_life_expectancy", "inc06_measurable_lesion",
                 "inc08_contraception", "inc08_not_lactating"]
ATTESTED_FALSE = ["exc01_components", "exc02_other_trial", "exc03_chinese_medicine", "exc05_unresolved_toxicity",
                  "exc06_not_recovered", "exc08_active_infection", "exc12_nyha", "exc13_concurrent_anticancer_therapy",
                  "exc14_other_disorders", "exc15_investigator_judgement"]
INELIGIBLE = ["penicillin", "anc", "infarction", "chemo", "young", "immunotherapy"]
REVIEW = ["no_ecog", "old_hiv", "provisional", "unattested", "haemolysed", "text_only", "same_day"]


def _day(days_ago: int) -> str:
    return (AS_OF - dt.timedelta(days=days_ago)).isoformat()


def synthetic_patient(i: int, history: int, rng: random.Random) -> tuple[PatientRecord, str]:
    """One patient: the clinical picture of a scenario plus ``history`` background records."""
    scenario = rng.choice(["eligible"] * 4 + INELIGIBLE + REVIEW)
    sex = rng.choice(["female", "male"])
    obs: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = [{
        "id": f"c{i}-tumour", "codes": [{"system": ICD, "code": "C43.9"}, {"system": SNOMED, "code": "372244006"}],
        "clinical_status": "active", "verification_status": "confirmed", "onset": _day(400)}]
    meds: list[dict[str, Any]] = [{"id": f"m{i}-dacarbazine", "codes": [{"system": RXNORM, "code": "3098", "display": "dacarbazine"}],
                                   "start": _day(300), "end": _day(200), "status": "completed"}]
    allergies: list[dict[str, Any]] = []
    procedures: list[dict[str, Any]] = []
    for concept, code, unit, lo, hi, uln in LABS:
        if scenario == "no_ecog" and concept == "ecog":
            continue
        for k in range(2):  # the newest within the window, an older one outside it
            value: Any = round(rng.uniform(lo, hi), 2) if concept != "ecog" else rng.randint(0, 1)
            if k == 0 and scenario == "anc" and concept == "anc":
                value = 0.9
            o: dict[str, Any] = {"id": f"o{i}-{concept}-{k}", "code": {"system": LOINC, "code": code},
                                 "date": _day(rng.randint(1, 6) + 40 * k),
                                 "value": {"value": value, "unit": unit} if unit else value}
            if k == 0 and scenario == "haemolysed" and concept == "platelets":
                o["value"] = "specimen clotted, platelets not reported"
            if uln:
                o["reference_range"] = {"high": {"value": uln, "unit": unit}}
            obs.append(o)
            if k == 0 and scenario == "same_day" and concept == "aptt":
                obs.append({**o, "id": f"o{i}-aptt-repeat", "value": {"value": 70.0, "unit": unit}})
    for concept, code in (("hiv_ab", "7917-8"), ("hbsag", "5196-1"), ("hcv_ab", "16128-1")):
        obs.append({"id": f"o{i}-{concept}", "code": {"system": LOINC, "code": code},
                    "date": _day(40 if scenario == "old_hiv" and concept == "hiv_ab" else 10), "value": "negative"})
    if sex == "female":
        obs.append({"id": f"o{i}-hcg", "code": {"system": LOINC, "code": "2118-8"}, "date": _day(3), "value": "negative"})
    if scenario == "penicillin":
        allergies.append({"id": f"a{i}", "codes": [{"system": SNOMED, "code": "91936005"}], "clinical_status": "active",
                          "verification_status": "confirmed"})
    elif rng.random() < 0.3:
        allergies.append({"id": f"a{i}", "codes": [{"system": SNOMED, "code": "91935009", "display": "Allergy to peanut"}],
                          "clinical_status": "active"})
    if scenario == "infarction":
        conditions.append({"id": f"c{i}-mi", "codes": [{"system": ICD, "code": "I25.2"}], "clinical_status": "resolved",
                           "onset": _day(2000)})
    if scenario == "provisional":
        conditions.append({"id": f"c{i}-ra", "codes": [{"system": ICD, "code": "M06.9"}], "clinical_status": "active",
                           "verification_status": "provisional", "onset": _day(100)})
    if scenario == "text_only":
        meds.append({"id": f"m{i}-text", "codes": [], "text": "tablets from a clinic abroad", "start": _day(20),
                     "status": "active"})
    if scenario == "chemo":
        meds.append({"id": f"m{i}-carboplatin", "codes": [{"system": RXNORM, "code": "1736854",
                                                           "display": "carboplatin 10 MG/ML Injectable Solution"}],
                     "start": _day(10), "status": "active"})
    if scenario == "immunotherapy":
        meds.append({"id": f"m{i}-pembrolizumab", "codes": [{"system": RXNORM, "code": "1547545", "display": "pembrolizumab"}],
                     "start": _day(500), "end": _day(450), "status": "completed"})
    for n in range(history):
        days_ago = rng.randint(1, 3650)
        kind = n % 3
        if kind == 0:
            icd, sct, text = rng.choice(BACKGROUND_CONDITIONS)
            conditions.append({"id": f"c{i}-{n}", "codes": [{"system": SNOMED, "code": sct, "display": text},
                                                             {"system": ICD, "code": icd}],
                               "clinical_status": rng.choice(["active", "resolved"]), "onset": _day(days_ago)})
        elif kind == 1:
            rx, atc, name = rng.choice(BACKGROUND_DRUGS)
            meds.append({"id": f"m{i}-{n}", "codes": [{"system": RXNORM, "code": rx, "display": name}, {"system": ATC, "code": atc}],
                         "start": _day(days_ago), "end": _day(max(days_ago - 30, 0)), "status": "completed"})
        else:
            code, unit, lo, hi = rng.choice(BACKGROUND_LABS)
            obs.append({"id": f"o{i}-{n}", "code": {"system": LOINC, "code": code}, "date": _day(days_ago),
                        "value": {"value": round(rng.uniform(lo, hi), 1), "unit": unit}})
    attestations = {k: True for k in ATTESTED_TRUE} | {k: False for k in ATTESTED_FALSE}
    if scenario == "unattested":
        del attestations[rng.choice(ATTESTED_TRUE + ATTESTED_FALSE)]
    age_days = rng.randint(16 * 365 + 10, 17 * 365) if scenario == "young" else rng.randint(20 * 365, 80 * 365)
    record = converter.structure({
        "id": f"p{i}", "sex": sex, "birth_date": _day(age_days), "observations": obs, "conditions": conditions,
        "medications": meds, "allergies": allergies, "procedures": procedures, "attestations": attestations,
    }, PatientRecord)
    return record, scenario


def population(n: int, history: int, seed: int = 20261129) -> list[PatientRecord]:
    rng = random.Random(seed + history)
    return [synthetic_patient(i, history, rng)[0] for i in range(n)]


def flatten(results: Iterable[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in results:
        out[r.id] = r.result
        out.update(flatten(r.criteria))
    return out


def check_agreement(engine: Engine, floor: Floor, records: list[PatientRecord]) -> Counter[str]:
    """Stop unless the floor and the engine agree on every verdict and every criterion."""
    verdicts: Counter[str] = Counter()
    compiled = engine.compiled("cel001")
    for p in records:
        got = compiled.evaluate(p, AS_OF)
        verdict, results = floor.evaluate(p, AS_OF)
        engine_results = flatten(got.criteria)
        if got.verdict != verdict or engine_results != results:
            diff = {k: (engine_results.get(k), results.get(k)) for k in engine_results.keys() | results.keys()
                    if engine_results.get(k) != results.get(k)}
            raise SystemExit(f"floor and engine disagree on {p.id}: verdict {got.verdict} vs {verdict}; {diff}")
        verdicts[verdict] += 1
    return verdicts


def cpu(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return times


def row(engine: Engine, floor: Floor, history: int, n: int, repeat: int) -> str:
    """One line of the table: ``n`` patients with ``history`` background records each."""
    compiled = engine.compiled("cel001")
    all_trials = [t.id for t in engine.trials]
    records = population(n, history)
    verdicts = check_agreement(engine, floor, records)
    compiled_all = [engine.compiled(t) for t in all_trials]

    def run_floor() -> None:
        for p in records:
            floor.evaluate(p, AS_OF)

    def run_engine() -> None:
        for p in records:
            compiled.evaluate(p, AS_OF)

    def run_engine_dict() -> None:
        for p in records:
            compiled.evaluate(p, AS_OF).to_dict()

    def run_all() -> None:
        for p in records:
            index = PatientIndex(p)
            for c in compiled_all:
                c.evaluate(p, AS_OF, index)

    f, e, d, a = (cpu(fn, repeat) for fn in (run_floor, run_engine, run_engine_dict, run_all))
    us = 1e6 / n

    def cell(t: list[float]) -> str:
        return f"{min(t) * us:,.0f} / {statistics.median(t) * us:,.0f}"

    def ratio(t: list[float]) -> str:
        return f"{min(t) / min(f):.1f}× / {statistics.median(t) / statistics.median(f):.1f}×"

    return (f"| {history:,} | {n} | {verdicts['eligible']}/{verdicts['ineligible']}/{verdicts['needs_review']} "
          f"| {cell(f)} | {cell(e)} | {ratio(e)} | {cell(d)} | {ratio(d)} | {cell(a)} "
          f"| {min(e) * us / (history + 40):.1f} |")


def trials_row(engine: Engine, history: int, n: int, repeat: int) -> str:
    """Engine cost for the first 1 ... 5 trials (cel001 first) on the same patients, one
    index per patient shared by the trials as in ``Engine.screen``."""
    ids = ["cel001"] + sorted(t.id for t in engine.trials if t.id != "cel001")
    records = population(n, history)
    cells = []
    base = 0.0
    for k in range(1, len(ids) + 1):
        compiled = [engine.compiled(t) for t in ids[:k]]

        def run(compiled: list[Any] = compiled) -> None:
            for p in records:
                index = PatientIndex(p)
                for c in compiled:
                    c.evaluate(p, AS_OF, index)

        t = min(cpu(run, repeat)) * 1e6 / n
        base = base or t
        cells.append(f"{t:,.0f} ({t / base:.1f}×)")
    return f"| {history:,} | {n} | " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--histories", default="10,100,1000,10000")
    args = parser.parse_args()
    engine = Engine()
    floor = Floor(engine.compiled("cel001").valuesets)
    print(f"CPU time per patient (min / median of {args.repeat}); ratios to the hand-written floor in the same run")
    print("| background records | patients | verdicts (E/I/R) | floor µs | engine µs | ratio | engine+to_dict µs | ratio "
          "| 5 trials µs | engine µs/record |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    histories = [int(h) for h in args.histories.split(",")]
    sizes = {h: max(4, min(args.patients, args.patients * 100 // max(h, 1))) for h in histories}
    for history in histories:
        print(row(engine, floor, history, sizes[history], args.repeat), flush=True)
    print(f"\nEngine CPU µs per patient for 1 ... {len(engine.trials)} trials (cel001 first, then by id; "
          "× the one-trial cost), min of the repeats")
    print("| background records | patients | " + " | ".join(f"{k} trial{'s' if k > 1 else ''}"
                                                         for k in range(1, len(engine.trials) + 1)) + " |")
    print("|---|---|" + "---|" * len(engine.trials))
    for history in histories:
        print(trials_row(engine, history, sizes[history], args.repeat), flush=True)


if __name__ == "__main__":
    main()
