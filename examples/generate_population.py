#!/usr/bin/env python3
"""
Write a seeded synthetic population as a FHIR Bulk export, hostile the way real
feeds are, for comparing screening engines (tests/test_population.py) and for
the population benchmark.

    python examples/generate_population.py --patients 2000 --out /tmp/pop --seed 7

It starts from ``generate_fhir.synthetic_record`` (about 50 labs, 10 conditions,
10 medications a patient) and then, at random but reproducibly, adds what makes
engines disagree when they are careless: two results of one test on one day
(ties, with and without a time), a newest value that cannot be judged (text only,
no value, an unknown unit, a comparator such as ``<0.5``), results dated exactly
on and just outside 7/14/28-day windows, in the future, to the month only or
with a time and zone, or only by the DiagnosticReport listing them, age- and sex-banded reference ranges, ICD-10-CM codes below
a value set's prefix, diagnoses coded only in SNOMED CT or only in text,
provisional and refuted diagnoses, ATC-coded and text-only medications, records
with statuses that must be ignored, onsets, abatements, medication starts and ends and
procedure dates given only as a month or year, courses dated by one day (a finished
MedicationStatement, a MedicationDispense with and without daysSupply), ages around the trials' age limits, and
attestations answered true, false or not at all. Every patient is invented.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2026, 1, 15)
ATC = "http://www.whocc.no/atc"


def _generate_fhir() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_fhir", HERE / "generate_fhir.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


G = _generate_fhir()

# Window edges the five trials use (days before the as-of date), and one day either side.
EDGES = (0, 1, 6, 7, 8, 13, 14, 15, 27, 28, 29, 30, 31, 90, 91, 183, 365, 366)
# Age limits in the trials (years): patients born on and around those birthdays.
AGES = (0, 1, 2, 12, 13, 17, 18, 19, 65, 70, 75, 76)
EXTRA_CONDITIONS = [
    ("C92.02", "Acute myeloblastic leukemia, in relapse"),
    ("C92.01", "Acute myeloblastic leukemia, in remission"),
    ("C92.00", "Acute myeloblastic leukemia, not having achieved remission"),
    ("Q90.9", "Down syndrome, unspecified"),
    ("C74.90", "Malignant neoplasm of unspecified part of unspecified adrenal gland"),
    ("B20", "Human immunodeficiency virus [HIV] disease"),
    ("C18.9", "Malignant neoplasm of colon, unspecified"),
    ("I21.9", "Acute myocardial infarction, unspecified"),
]
ATC_DRUGS = [("L01XA02", "carboplatin"), ("L01CD01", "paclitaxel"), ("L04AX01", "azathioprine"),
             ("H02AB06", "prednisolone"), ("J01CA04", "amoxicillin")]


def _day(back: int) -> str:
    return (AS_OF - dt.timedelta(days=back)).isoformat()


def _birth(rng: random.Random) -> str:
    years = rng.choice(AGES) if rng.random() < 0.5 else rng.randint(0, 90)
    born = AS_OF.replace(year=AS_OF.year - years)  # 15 January exists every year
    return (born + dt.timedelta(days=rng.choice((-1, 0, 0, 1, 40, -40)))).isoformat()


def _perturb_observation(r: dict[str, Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    """The Observation, edited at random, and any extra ones it spawns."""
    roll = rng.random()
    if roll < 0.25:
        r["effectiveDateTime"] = _day(rng.choice(EDGES))
        r.pop("issued", None)
    elif roll < 0.28:
        r["effectiveDateTime"] = _day(-rng.randint(1, 5))  # after the as-of date
    elif roll < 0.30:
        r["effectiveDateTime"] = _day(rng.choice(EDGES))[:7]  # month only
    elif roll < 0.33:
        r["effectiveDateTime"] = _day(rng.choice(EDGES)) + rng.choice(("T08:30:00+01:00", "T23:10:00-05:00", "T00:00:00Z"))
    elif roll < 0.34:
        r.pop("effectiveDateTime", None)
    status_roll = rng.random()
    if status_roll < 0.03:
        r["status"] = rng.choice(("entered-in-error", "preliminary", "cancelled", "amended", "corrected"))
    quantity = r.get("valueQuantity")
    if quantity is not None:
        q = rng.random()
        if q < 0.04:
            quantity["comparator"] = rng.choice(("<", "<=", ">", ">="))
        elif q < 0.06:
            quantity["code"] = quantity["unit"] = rng.choice(("[foo]", "mmol/L", "g/L", "mg/dL", "umol/L"))
        elif q < 0.07:
            quantity.pop("code", None)
        ranges = r.get("referenceRange")
        if ranges and rng.random() < 0.15:
            base = ranges[0]
            ranges[:] = [
                {**base, "age": {"low": {"value": 0, "unit": "a", "system": G.UCUM, "code": "a"},
                                 "high": {"value": 17, "unit": "a", "system": G.UCUM, "code": "a"}}},
                {**{k: v for k, v in base.items() if k != "high"},
                 "high": {**base.get("high", {"value": 1.0}), "value": round(base.get("high", {"value": 1.0})["value"] * 1.25, 2)},
                 "age": {"low": {"value": 18, "unit": "a", "system": G.UCUM, "code": "a"}},
                 "appliesTo": [{"coding": [{"system": "http://hl7.org/fhir/administrative-gender",
                                            "code": rng.choice(("male", "female"))}]}]},
            ]
        elif ranges and rng.random() < 0.05:
            del r["referenceRange"]
    yield r
    if 0.33 <= roll < 0.337:
        # dated only by the DiagnosticReport that lists it (as the R4 complete-blood-count example);
        # its date comes from the roll already drawn, so the rest of the population is unchanged
        yield {"resourceType": "DiagnosticReport", "id": r["id"] + "-report", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]},
               "subject": r["subject"], "effectiveDateTime": _day(EDGES[int(roll * 1e6) % len(EDGES)]),
               "result": [{"reference": "Observation/" + r["id"]}]}
    extra = rng.random()
    if extra < 0.06:  # the same test again on the same day (a tie), another value
        tie = {**r, "id": r["id"] + "-tie"}
        if "valueQuantity" in r:
            tie["valueQuantity"] = {**r["valueQuantity"], "value": round(r["valueQuantity"]["value"] * rng.choice((0.5, 1.0, 2.0)), 2)}
        yield tie
    elif extra < 0.12:  # a newer result that cannot be judged
        newer = {k: v for k, v in r.items() if not k.startswith("value")}
        newer["id"] = r["id"] + "-newer"
        newer["effectiveDateTime"] = _day(rng.choice((0, 1, 2)))
        kind = rng.randrange(4)
        if kind == 0:
            newer["valueString"] = rng.choice(("see report", "equivocal", "haemolysed sample"))
        elif kind == 1:
            newer["dataAbsentReason"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error"}]}
        elif kind == 2 and "valueQuantity" in r:
            newer["valueQuantity"] = {**r["valueQuantity"], "comparator": "<", "value": 0.5}
        else:
            newer["valueCodeableConcept"] = {"coding": [{"system": G.SNOMED, "code": "42425007", "display": "Equivocal"}]}
        yield newer


def _perturb_condition(r: dict[str, Any], rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.15:
        code, display = rng.choice(EXTRA_CONDITIONS)
        r["code"] = G._concept([{"system": G.ICD10CM, "code": code, "display": display}])
    elif roll < 0.20:
        r["code"] = {"coding": [{"system": G.SNOMED, "code": "363358000", "display": "Malignant tumor of lung"}]}
    elif roll < 0.23:
        r["code"] = {"text": "history of cancer, details in letter"}
    if rng.random() < 0.1:
        r["verificationStatus"] = G._status_concept("condition-ver-status", rng.choice(("provisional", "differential", "unconfirmed", "refuted", "entered-in-error")))
    if rng.random() < 0.1:
        r["onsetDateTime"] = _day(rng.choice(EDGES))
    if rng.random() < 0.03:
        r["onsetDateTime"] = _day(rng.choice(EDGES))[:4]
    # partial dates on each side of a window's edge: a month or a year that straddles it or not
    if rng.random() < 0.04:
        r["onsetDateTime"] = _day(rng.choice(EDGES))[:7]
    if rng.random() < 0.08:
        r["abatementDateTime"] = _day(rng.choice(EDGES))[:rng.choice((4, 7))]


def _perturb_medication(r: dict[str, Any], rng: random.Random) -> None:
    if r["resourceType"] == "Medication":
        return
    roll = rng.random()
    if roll < 0.1 and "medicationCodeableConcept" in r:
        code, display = rng.choice(ATC_DRUGS)
        r["medicationCodeableConcept"] = G._concept([{"system": ATC, "code": code, "display": display}])
    elif roll < 0.13 and "medicationCodeableConcept" in r:
        r["medicationCodeableConcept"] = {"text": "chemotherapy, see oncology notes"}
    if rng.random() < 0.15:
        start = _day(rng.choice(EDGES))
        if "effectivePeriod" in r:
            r["effectivePeriod"] = {"start": start}
        elif "authoredOn" in r:
            r["authoredOn"] = start
    roll = rng.random()
    if roll < 0.05 and isinstance(r.get("effectivePeriod"), dict):
        # a start or an end given only as a month
        side = rng.choice(("start", "end"))
        r["effectivePeriod"][side] = _day(rng.choice(EDGES))[:7]
    elif roll < 0.09 and r["resourceType"] == "MedicationStatement":
        # a finished course dated by one day (its end not given), or only to a month
        r.pop("effectivePeriod", None)
        r["status"] = rng.choice(("completed", "stopped", "active"))
        r["effectiveDateTime"] = _day(rng.choice(EDGES))[:rng.choice((10, 10, 7))]
    elif roll < 0.12 and r["resourceType"] == "MedicationStatement" and "medicationCodeableConcept" in r:
        # the same drug dispensed: to the end of its days' supply, or without one
        for key in ("effectivePeriod", "effectiveDateTime"):
            r.pop(key, None)
        r["resourceType"] = "MedicationDispense"
        r["status"] = "completed"
        r["whenHandedOver"] = _day(rng.choice(EDGES)) + "T10:00:00Z"
        if rng.random() < 0.5:
            r["daysSupply"] = {"value": rng.choice((7, 14, 28)), "unit": "Day", "system": "http://unitsofmeasure.org",
                               "code": "d"}


def _perturb_procedure(r: dict[str, Any], rng: random.Random) -> None:
    if rng.random() < 0.1 and "performedDateTime" in r:
        r["performedDateTime"] = _day(rng.choice(EDGES))[:rng.choice((4, 7))]


def population(n: int, seed: int, attest_ids: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """The resources of N patients, in patient order, reproducibly."""
    rng = random.Random(seed)
    for _ in range(n):
        record = G.synthetic_record(rng, AS_OF)
        record["birth_date"] = _birth(rng)
        if rng.random() < 0.03:
            record["birth_date"] = record["birth_date"][:4]
        if rng.random() < 0.03:
            record["sex"] = rng.choice(("other", "unknown", None))
        answers = {}
        for key in attest_ids:
            roll = rng.random()
            if roll < 0.5:
                answers[key] = roll < 0.4
        record["attestations"] = answers
        for _, r in G.resources(record, bulk=True):
            kind = r["resourceType"]
            if kind == "Observation":
                yield from _perturb_observation(r, rng)
                continue
            if kind == "Condition":
                _perturb_condition(r, rng)
            elif kind.startswith("Medication"):
                _perturb_medication(r, rng)
            elif kind == "Procedure":
                _perturb_procedure(r, rng)
            yield r


def write_population(n: int, out: Path, seed: int, attest_ids: Sequence[str] = ()) -> Path:
    """Write the population as a Bulk export directory; returns it."""
    writer = G.BulkWriter(out)
    try:
        for r in population(n, seed, attest_ids):
            writer.write(r)
    finally:
        writer.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--attest", nargs="*", default=[], metavar="CRITERION_ID")
    args = ap.parse_args(argv)
    write_population(args.patients, args.out, args.seed, args.attest)
    print(f"wrote {args.patients} synthetic patients to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
