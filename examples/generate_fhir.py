#!/usr/bin/env python3
"""
Write FHIR R4 versions of the native example patients, or a synthetic Bulk export.

    python examples/generate_fhir.py                       # examples/patients -> examples/fhir
    python examples/generate_fhir.py --bulk 10000 --out /tmp/export --seed 1

The first form turns every native record ``examples/patients/<trial>/<name>.json``
into a collection Bundle ``examples/fhir/<trial>-<name>.json`` and writes the same
patients as a Bulk Data export in ``examples/fhir/bulk/`` (patient ids prefixed
with the trial so they stay unique). The second writes N synthetic patients
(about 50 Observations, 10 Conditions and 10 medication resources each) for the
benchmark. Output is deterministic: same input and seed, same bytes. Every patient
is invented; nothing here comes from a real person.

The mapping is written from the FHIR R4 specification, independently of the
adapter in ``trialrules/fhir``, so reading these files back tests that adapter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
NAMESPACE = uuid.UUID("6f1c1f0e-6b1e-4c55-9a43-5f0f8c0f2a11")  # fixed: fullUrls are reproducible

#: LOINC code -> (display, category, usual UCUM unit or None, reference low, high).
LABS: dict[str, tuple[str, str, str | None, float | None, float | None]] = {
    "751-8": ("Neutrophils [#/volume] in Blood by Automated count", "laboratory", "10*9/L", 1.8, 7.7),
    "731-0": ("Lymphocytes [#/volume] in Blood by Automated count", "laboratory", "10*9/L", 1.0, 4.8),
    "6690-2": ("Leukocytes [#/volume] in Blood by Automated count", "laboratory", "10*3/uL", 4.5, 11.0),
    "777-3": ("Platelets [#/volume] in Blood by Automated count", "laboratory", "10*3/uL", 150.0, 400.0),
    "718-7": ("Hemoglobin [Mass/volume] in Blood", "laboratory", "g/dL", 12.0, 16.0),
    "2160-0": ("Creatinine [Mass/volume] in Serum or Plasma", "laboratory", "mg/dL", 0.6, 1.2),
    "14682-9": ("Creatinine [Moles/volume] in Serum or Plasma", "laboratory", "umol/L", 53.0, 106.0),
    "1975-2": ("Bilirubin.total [Mass/volume] in Serum or Plasma", "laboratory", "mg/dL", 0.1, 1.2),
    "1920-8": ("Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
               "laboratory", "U/L", 10.0, 40.0),
    "1742-6": ("Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
               "laboratory", "U/L", 7.0, 56.0),
    "6768-6": ("Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
               "laboratory", "U/L", 44.0, 147.0),
    "1751-7": ("Albumin [Mass/volume] in Serum or Plasma", "laboratory", "g/dL", 3.5, 5.0),
    "3094-0": ("Urea nitrogen [Mass/volume] in Serum or Plasma", "laboratory", "mg/dL", 7.0, 20.0),
    "6301-6": ("INR in Platelet poor plasma by Coagulation assay", "laboratory", "{INR}", 0.8, 1.2),
    "5902-2": ("Prothrombin time (PT)", "laboratory", "s", 11.0, 13.5),
    "3173-2": ("aPTT in Blood by Coagulation assay", "laboratory", "s", 25.0, 35.0),
    "10230-1": ("Left ventricular Ejection fraction", "exam", "%", None, None),
    "59408-5": ("Oxygen saturation in Arterial blood by Pulse oximetry", "vital-signs", "%", None, None),
    "29463-7": ("Body weight", "vital-signs", "kg", None, None),
    "8302-2": ("Body height", "vital-signs", "cm", None, None),
    "89247-1": ("ECOG Performance Status score", "survey", None, None, None),
    "8636-3": ("QT interval corrected", "exam", "ms", None, None),
    "8867-4": ("Heart rate", "vital-signs", "/min", None, None),
    "2106-3": ("Choriogonadotropin (pregnancy test) [Presence] in Urine", "laboratory", None, None, None),
    "7917-8": ("HIV 1+2 Ab [Presence] in Serum", "laboratory", None, None, None),
    "5196-1": ("Hepatitis B virus surface Ag [Presence] in Serum", "laboratory", None, None, None),
    "16128-1": ("Hepatitis C virus Ab [Presence] in Serum", "laboratory", None, None, None),
}

MS_STATUSES = {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold",
               "unknown", "not-taken"}
MA_STATUSES = {"in-progress", "on-hold", "completed", "stopped", "unknown"}
MR_STATUSES = {"active", "on-hold", "completed", "stopped", "unknown"}


# ---------------------------------------------------------------------------
# native record -> FHIR resources
# ---------------------------------------------------------------------------


def _codes(item: dict[str, Any]) -> list[dict[str, Any]]:
    """A native item's codes (``codes`` list or single ``code``) as FHIR Codings."""
    raw = item.get("codes") or ([item["code"]] if item.get("code") else [])
    out = []
    for c in raw:
        coding = {k: c[k] for k in ("system", "code", "display") if c.get(k) is not None}
        if coding.get("system") == LOINC and "display" not in coding and c["code"] in LABS:
            coding["display"] = LABS[c["code"]][0]
        out.append(coding)
    return out


def _concept(codings: list[dict[str, Any]]) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": codings}
    text = next((c["display"] for c in codings if "display" in c), None)
    if text:
        concept["text"] = text
    return concept


def _status_concept(system: str, code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {"coding": [{"system": TERMINOLOGY + system, "code": code}]}


def _ucum(value: Any, unit: str | None) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value}
    if unit is not None:
        q.update(unit=unit, system=UCUM, code=unit)
    return q


def _observation(o: dict[str, Any], subject: dict[str, str]) -> dict[str, Any]:
    codings = _codes(o)
    first = codings[0]["code"] if codings else ""
    category = LABS.get(first, ("", "laboratory"))[1]
    r: dict[str, Any] = {
        "resourceType": "Observation", "id": o["id"], "status": o.get("status") or "final",
        "category": [{"coding": [{"system": TERMINOLOGY + "observation-category", "code": category}]}],
        "code": _concept(codings), "subject": subject,
    }
    if o.get("date"):
        r["effectiveDateTime"] = o["date"]
        r["issued"] = o["date"] + "T12:00:00Z"
    value = o.get("value")
    if isinstance(value, bool):
        r["valueBoolean"] = value
    elif isinstance(value, int):
        r["valueInteger"] = value
    elif isinstance(value, float):
        r["valueQuantity"] = _ucum(value, "1")  # a unitless number: UCUM unity
    elif isinstance(value, str):
        r["valueString"] = value
    elif isinstance(value, dict) and "code" in value:
        coding = {k: value[k] for k in ("system", "code", "display") if value.get(k) is not None}
        r["valueCodeableConcept"] = _concept([coding])
    elif isinstance(value, dict):
        r["valueQuantity"] = _ucum(value["value"], value.get("unit"))
    rr = o.get("reference_range")
    if rr:
        # A limit without a unit is in the value's unit; for a plain number that is UCUM unity
        # (a Quantity without a code would be a unit-less, unusable limit).
        plain = None if isinstance(value, dict) else "1"
        r["referenceRange"] = [{side: _ucum(rr[side]["value"], rr[side].get("unit") or plain)
                                for side in ("low", "high") if rr.get(side)}]
    return r


def _condition(c: dict[str, Any], subject: dict[str, str]) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Condition", "id": c["id"]}
    clinical = _status_concept("condition-clinical", c.get("clinical_status"))
    verification = _status_concept("condition-ver-status", c.get("verification_status"))
    if clinical:
        r["clinicalStatus"] = clinical
    if verification:
        r["verificationStatus"] = verification
    r["category"] = [{"coding": [{"system": TERMINOLOGY + "condition-category",
                                  "code": "problem-list-item"}]}]
    r["code"] = _concept(_codes(c))
    r["subject"] = subject
    for key, fhir in (("onset", "onsetDateTime"), ("abatement", "abatementDateTime"),
                      ("recorded", "recordedDate")):
        if c.get(key):
            r[fhir] = c[key]
    return r


def _medication(m: dict[str, Any], i: int, subject: dict[str, str], med_url: str,
                med_id: str, styles: tuple[int, ...] = (0, 1, 2, 3)) -> list[dict[str, Any]]:
    """The medication resource(s) for a native medication: rotating (over ``styles``)
    between a coded MedicationStatement (0), one with a contained Medication (1), a
    MedicationAdministration with a bundled Medication (2), a MedicationRequest (3) and a
    coded MedicationAdministration (4)."""
    codings = _codes(m)
    status, start, end = m.get("status") or "completed", m.get("start"), m.get("end")
    style = styles[i % len(styles)]
    if style in (2, 4) and (status not in MA_STATUSES or not start):
        style = 0
    if style == 3 and (status not in MR_STATUSES or not start):
        style = 1
    kind = {0: "MedicationStatement", 1: "MedicationStatement", 2: "MedicationAdministration",
            3: "MedicationRequest", 4: "MedicationAdministration"}[style]
    r: dict[str, Any] = {"resourceType": kind, "id": m["id"], "status": status}
    extra: list[dict[str, Any]] = []
    name = next((c["display"] for c in codings if "display" in c), "medication")
    if style == 1:
        r["contained"] = [{"resourceType": "Medication", "id": "med", "code": _concept(codings)}]
        r["medicationReference"] = {"reference": "#med"}
    elif style == 2:
        # product-level Medication whose ingredients carry the (RxNorm ingredient) codes
        extra.append({"resourceType": "Medication", "id": med_id, "code": {"text": name},
                      "ingredient": [{"itemCodeableConcept": _concept([c]), "isActive": True}
                                     for c in codings]})
        r["medicationReference"] = {"reference": med_url, "display": name}
    else:
        r["medicationCodeableConcept"] = _concept(codings)
    r["subject"] = subject
    if kind == "MedicationRequest":
        r["intent"] = "order"
        r["authoredOn"] = start
        if end:
            r["dosageInstruction"] = [{"text": "as directed", "timing": {"repeat": {
                "boundsPeriod": {"start": start, "end": end}}}}]
    elif start and start == end:
        r["effectiveDateTime"] = start
    elif start or end:
        r["effectivePeriod"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    return [*extra, r]


def _procedure(p: dict[str, Any], subject: dict[str, str]) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Procedure", "id": p["id"],
                         "status": p.get("status") or "completed", "code": _concept(_codes(p)),
                         "subject": subject}
    if p.get("end"):
        r["performedPeriod"] = {k: v for k, v in (("start", p.get("date")), ("end", p["end"])) if v}
    elif p.get("date"):
        r["performedDateTime"] = p["date"]
    return r


def _allergy(a: dict[str, Any], subject: dict[str, str]) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "AllergyIntolerance", "id": a["id"]}
    clinical = _status_concept("allergyintolerance-clinical", a.get("clinical_status"))
    verification = _status_concept("allergyintolerance-verification", a.get("verification_status"))
    if clinical:
        r["clinicalStatus"] = clinical
    if verification:
        r["verificationStatus"] = verification
    r.update(code=_concept(_codes(a)), patient=subject)
    if a.get("date"):
        r["onsetDateTime"] = a["date"]
    return r


def _immunization(m: dict[str, Any], subject: dict[str, str]) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Immunization", "id": m["id"],
                         "status": m.get("status") or "completed",
                         "vaccineCode": _concept(_codes(m)), "patient": subject}
    if m.get("date"):
        r["occurrenceDateTime"] = m["date"]
    else:
        r["occurrenceString"] = "date not recorded"
    return r


def _questionnaire_response(pid: str, answers: dict[str, bool], subject: dict[str, str],
                            authored: str | None) -> dict[str, Any]:
    r: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "id": f"{pid}-attestations",
        "questionnaire": "https://example.org/fhir/Questionnaire/trialrules-screening",
        "status": "completed", "subject": subject,
    }
    if authored:
        r["authored"] = authored
    r["item"] = [{"linkId": "screening", "text": "Investigator attestations", "item": [
        {"linkId": key, "answer": [{"valueBoolean": value}]} for key, value in answers.items()]}]
    return r


def resources(record: dict[str, Any], *, bulk: bool, prefix: str = "",
              medication_styles: tuple[int, ...] = (0, 1, 2, 3)) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(fullUrl, resource)`` for every resource of a native record.

    ``bulk``: references are ``Patient/id`` (a Bulk export has no fullUrls);
    otherwise ``urn:uuid:`` fullUrls as a collection Bundle built by a client has.
    ``prefix`` is put before every id (Bulk exports need unique ids per type).
    """
    pid = prefix + record["id"]

    def url(kind: str, rid: str) -> str:
        return "urn:uuid:" + str(uuid.uuid5(NAMESPACE, f"{pid}/{kind}/{rid}"))

    p_url = url("Patient", pid)
    subject = {"reference": f"Patient/{pid}" if bulk else p_url}
    patient: dict[str, Any] = {"resourceType": "Patient", "id": pid}
    if record.get("sex"):
        patient["gender"] = record["sex"]
    if record.get("birth_date"):
        patient["birthDate"] = record["birth_date"]
    yield p_url, patient

    def renamed(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "id": prefix + item["id"]}

    for o in record.get("observations", []):
        yield url("Observation", o["id"]), _observation(renamed(o), subject)
    for c in record.get("conditions", []):
        yield url("Condition", c["id"]), _condition(renamed(c), subject)
    for i, m in enumerate(record.get("medications", [])):
        med_id = f"{prefix}{m['id']}-product"
        med_url = url("Medication", med_id)
        for r in _medication(renamed(m), i, subject, f"Medication/{med_id}" if bulk else med_url, med_id,
                             medication_styles):
            yield url(r["resourceType"], r["id"]), r
    for p in record.get("procedures", []):
        yield url("Procedure", p["id"]), _procedure(renamed(p), subject)
    for a in record.get("allergies", []):
        yield url("AllergyIntolerance", a["id"]), _allergy(renamed(a), subject)
    for m in record.get("immunizations", []):
        yield url("Immunization", m["id"]), _immunization(renamed(m), subject)
    if record.get("attestations"):
        qr = _questionnaire_response(pid, record["attestations"], subject, record.get("as_of"))
        yield url("QuestionnaireResponse", qr["id"]), qr


def bundle(record: dict[str, Any], medication_styles: tuple[int, ...] = (0, 1, 2, 3)) -> dict[str, Any]:
    """A FHIR R4 collection Bundle of one native record (``medication_styles``: see _medication)."""
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(NAMESPACE, "bundle/" + record["id"])),
        "type": "collection",
        "entry": [{"fullUrl": u, "resource": r}
                  for u, r in resources(record, bulk=False, medication_styles=medication_styles)],
    }


class BulkWriter:
    """Writes resources to ``<Type>.ndjson`` files in a directory, one line each."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.ndjson"):
            old.unlink()
        self.out = out
        self.files: dict[str, Any] = {}

    def write(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        fh = self.files.get(kind)
        if fh is None:
            fh = self.files[kind] = (self.out / f"{kind}.ndjson").open("w", encoding="utf-8")
        fh.write(json.dumps(resource, separators=(",", ":")) + "\n")

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


# ---------------------------------------------------------------------------
# synthetic patients (benchmark)
# ---------------------------------------------------------------------------

CONDITIONS = [
    ("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung"),
    ("C50.911", "Malignant neoplasm of unspecified site of right female breast"),
    ("C92.00", "Acute myeloblastic leukemia, not having achieved remission"),
    ("C83.30", "Diffuse large B-cell lymphoma, unspecified site"),
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified"),
    ("N18.3", "Chronic kidney disease, stage 3 (moderate)"),
    ("I48.91", "Unspecified atrial fibrillation"),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis"),
    ("E78.5", "Hyperlipidemia, unspecified"),
    ("F32.9", "Major depressive disorder, single episode, unspecified"),
]
DRUGS = [
    ("40048", "carboplatin"), ("6809", "metformin"), ("29046", "lisinopril"),
    ("83367", "atorvastatin"), ("5640", "ibuprofen"), ("161", "acetaminophen"),
    ("3002", "cyclophosphamide"), ("56946", "paclitaxel"), ("7646", "omeprazole"),
    ("6918", "metoprolol"),
]
CODED_RESULTS = [("260385009", "Negative"), ("10828004", "Positive")]


def _allergies(pid: str) -> list[dict[str, Any]]:
    """A quarter of the patients allergic to penicillin (which excludes them from CEL001), a
    quarter to peanuts, half with none: chosen by the id, so the random stream, and with it
    every other field of the population, stays as it was when every patient had the penicillin
    allergy (and the benchmarks never timed an eligible CEL001 patient, issue 19)."""
    if pid[0] in "0123":
        return [{"id": f"{pid}-alg-0", "codes": [{"system": RXNORM, "code": "7980", "display": "penicillin G"}],
                 "clinical_status": "active", "verification_status": "confirmed"}]
    if pid[0] in "4567":  # SNOMED CT 91935009 |Allergy to peanut|
        return [{"id": f"{pid}-alg-0", "codes": [{"system": SNOMED, "code": "91935009", "display": "Allergy to peanut"}],
                 "clinical_status": "active", "verification_status": "confirmed"}]
    return []


def synthetic_record(rng: random.Random, as_of: dt.date = dt.date(2026, 1, 15)) -> dict[str, Any]:
    """A synthetic native record: ~50 observations, 10 conditions, 10 medications."""
    pid = f"{rng.getrandbits(128):032x}"

    def day(back: int) -> str:
        return (as_of - dt.timedelta(days=rng.randint(0, back))).isoformat()

    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 65 * 365))
    observations = []
    labs = list(LABS)
    for i in range(50):
        code = labs[i % len(labs)] if i < len(labs) else rng.choice(labs)
        _, _, unit, low, high = LABS[code]
        o: dict[str, Any] = {"id": f"{pid}-obs-{i}", "code": {"system": LOINC, "code": code},
                             "date": day(400)}
        if code == "89247-1":
            o["value"] = rng.randint(0, 4)
        elif unit is None:
            result = rng.choice(CODED_RESULTS)
            o["value"] = {"system": SNOMED, "code": result[0], "display": result[1]}
        else:
            mid = (low + high) / 2 if low is not None and high is not None else 60.0
            o["value"] = {"value": round(rng.uniform(0.3, 1.7) * mid, 2), "unit": unit}
        if low is not None and high is not None and unit is not None:
            o["reference_range"] = {"low": {"value": low, "unit": unit}, "high": {"value": high, "unit": unit}}
        observations.append(o)
    conditions = []
    for i in range(10):
        code, display = rng.choice(CONDITIONS)
        c: dict[str, Any] = {"id": f"{pid}-cond-{i}",
                             "codes": [{"system": ICD10CM, "code": code, "display": display}],
                             "clinical_status": rng.choice(["active", "active", "resolved", "remission"]),
                             "verification_status": rng.choice(["confirmed"] * 8 + ["provisional", "refuted"]),
                             "onset": day(3650), "recorded": day(3650)}
        if c["clinical_status"] == "resolved":
            c["abatement"] = day(365)
        conditions.append(c)
    medications = []
    for i in range(10):
        code, display = rng.choice(DRUGS)
        start = as_of - dt.timedelta(days=rng.randint(30, 1500))
        m: dict[str, Any] = {"id": f"{pid}-med-{i}",
                             "codes": [{"system": RXNORM, "code": code, "display": display}],
                             "status": rng.choice(["completed", "completed", "active", "stopped"]),
                             "start": start.isoformat()}
        if m["status"] != "active":
            m["end"] = (start + dt.timedelta(days=rng.randint(1, 200))).isoformat()
        medications.append(m)
    return {
        "id": pid, "birth_date": born.isoformat(), "sex": rng.choice(["female", "male"]),
        "observations": observations, "conditions": conditions, "medications": medications,
        "procedures": [{"id": f"{pid}-proc-0", "codes": [{"system": SNOMED, "code": "387713003",
                        "display": "Surgical procedure"}], "date": day(2000), "status": "completed"}],
        "immunizations": [{"id": f"{pid}-imm-0", "codes": [{"system": CVX, "code": "141",
                           "display": "Influenza, seasonal, injectable"}], "date": day(400),
                           "status": "completed"}],
        "allergies": _allergies(pid),
        "attestations": {"inc_consent": True, "exc_investigator": False},
    }


def write_synthetic_bulk(n: int, out: Path, seed: int) -> None:
    """Write N synthetic patients as a Bulk export (streamed: memory stays flat)."""
    rng = random.Random(seed)
    writer = BulkWriter(out)
    try:
        for _ in range(n):
            for _, r in resources(synthetic_record(rng), bulk=True):
                writer.write(r)
    finally:
        writer.close()


# ---------------------------------------------------------------------------
# examples
# ---------------------------------------------------------------------------


def write_examples(patients: Path, out: Path) -> list[Path]:
    """Bundles and a Bulk export for every native example; returns the Bundles written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    writer = BulkWriter(out / "bulk")
    try:
        for trial_dir in sorted(p for p in patients.iterdir() if p.is_dir()) if patients.is_dir() else []:
            for native in sorted(trial_dir.glob("*.json")):
                try:
                    record = json.loads(native.read_text(encoding="utf-8"))
                    target = out / f"{trial_dir.name}-{native.stem}.json"
                    text = json.dumps(bundle(record), indent=1, ensure_ascii=False) + "\n"
                    records = list(resources(record, bulk=True, prefix=f"{trial_dir.name}-"))
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    print(f"{native}: skipped, not a native record ({type(exc).__name__}: {exc})",
                          file=sys.stderr)
                    continue
                target.write_text(text, encoding="utf-8")
                written.append(target)
                for _, r in records:
                    writer.write(r)
    finally:
        writer.close()
    return written


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--patients", type=Path, default=here / "patients", help="native examples")
    ap.add_argument("--out", type=Path, default=None, help="output directory")
    ap.add_argument("--bulk", type=int, default=None, metavar="N", help="write N synthetic patients")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.bulk is not None:
        out = args.out or Path("bulk-export")
        write_synthetic_bulk(args.bulk, out, args.seed)
        print(f"wrote {args.bulk} synthetic patients to {out}")
        return 0
    written = write_examples(args.patients, args.out or here / "fhir")
    print(f"wrote {len(written)} Bundles and a Bulk export of the same patients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
