"""
The core's own plugin: shared value sets (CONTRACT.md section 5) and the
derived-value functions every trial may call. It registers through the same
hooks as any trial plugin, the way pytest's built-ins do.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from trialrules.calendar_arithmetic import age_in_completed_months, age_in_years
from trialrules.engine.latest import when_of
from trialrules.engine.measure import evidence_of
from trialrules.errors import RuleFileError, UnitError
from trialrules.functions import DerivedValue, FunctionContext, Latest, SqlValue
from trialrules.language import units
from trialrules.language.converters import converter
from trialrules.language.loader import parse_file
from trialrules.language.models import Evidence, Observation, Quantity, ValueSet, Window
from trialrules.language.qualitative import INDETERMINATE, NEGATIVE, POSITIVE, codes_reading
from trialrules.language.registry import Registry
from trialrules.language.schema import RuleProblem
from trialrules.plugin import hookimpl

# name: (title, LOINC codes (first is the usual one), canonical UCUM unit, molar mass g/mol)
# LOINC codes from CONTRACT.md section 5. Molar masses: creatinine 113.12 g/mol,
# bilirubin 584.66 g/mol (CONTRACT.md); haemoglobin counted as haem monomer,
# 16114 g/mol (16.114 g/mmol, the SI convention for Hb in mmol/L); urea
# nitrogen 28.0134 g/mol (two N atoms per urea: BUN mg/dL <-> urea mmol/L).
SHARED_MEASUREMENTS: dict[str, tuple[str, tuple[str, ...], str | None, float | None]] = {
    "anc": ("absolute neutrophil count", ("751-8", "26499-4", "753-4"), "10*9/L", None),
    "alc": ("absolute lymphocyte count", ("731-0", "26474-7"), "10*9/L", None),
    "wbc": ("white blood cell count", ("6690-2", "26464-8"), "10*9/L", None),
    "platelets": ("platelet count", ("777-3", "26515-7"), "10*9/L", None),
    "haemoglobin": ("haemoglobin", ("718-7", "59260-0"), "g/L", 16114.0),
    "creatinine": ("serum creatinine", ("2160-0", "14682-9", "38483-4"), "mg/dL", 113.12),
    "creatinine_clearance": ("creatinine clearance", ("2164-2",), "mL/min", None),
    "bilirubin": ("total bilirubin", ("1975-2", "14631-6"), "mg/dL", 584.66),
    "ast": ("AST", ("1920-8",), "U/L", None),
    "alt": ("ALT", ("1742-6",), "U/L", None),
    "alp": ("alkaline phosphatase", ("6768-6",), "U/L", None),
    "albumin": ("serum albumin", ("1751-7",), "g/L", None),
    "bun": ("blood urea nitrogen", ("3094-0",), "mg/dL", 28.0134),
    "inr": ("INR", ("6301-6", "34714-6"), None, None),
    "pt": ("prothrombin time", ("5902-2",), "s", None),
    "aptt": ("aPTT", ("3173-2", "14979-9"), "s", None),
    "lvef": ("left ventricular ejection fraction", ("10230-1", "8806-2"), "%", None),
    "spo2": ("oxygen saturation on room air", ("59408-5", "2708-6"), "%", None),
    "body_weight": ("body weight", ("29463-7", "3141-9"), "kg", None),
    "body_height": ("body height", ("8302-2",), "cm", None),
    "ecog": ("ECOG performance status", ("89247-1",), None, None),
    # 44975-1 Q-T interval {EKG lead}: the code of US Core's ECG example (often a component)
    "qt_interval": ("QT interval", ("8634-8", "44975-1"), "ms", None),
    "heart_rate": ("heart rate", ("8867-4",), "/min", None),
    "qtcf": ("QTcF", ("8636-3",), "ms", None),
    # Components of the blood-pressure panel 85354-9 (FHIR R4 vital-signs profile)
    "systolic_bp": ("systolic blood pressure", ("8480-6",), "mm[Hg]", None),
    "diastolic_bp": ("diastolic blood pressure", ("8462-4",), "mm[Hg]", None),
    # mCODE's Karnofsky Performance Status profile (LOINC 89243-0, valueInteger 0-100)
    "karnofsky": ("Karnofsky performance status", ("89243-0",), None, None),
    "hcg_serum": ("serum hCG (pregnancy test)", ("2118-8",), None, None),
    "hcg_urine": ("urine hCG (pregnancy test)", ("2106-3",), None, None),
    "hiv_ab": ("HIV-1/2 antibody", ("7917-8", "75622-1"), None, None),
    "hbsag": ("HBsAg", ("5196-1",), None, None),
    "hbeag": ("HBeAg", ("13954-3",), None, None),
    "hbcab": ("HBcAb", ("16933-4",), None, None),
    "hbv_dna": ("HBV DNA", ("29615-2",), None, None),
    "hcv_ab": ("HCV antibody", ("16128-1",), None, None),
    "hcv_rna": ("HCV RNA", ("11011-4",), None, None),
}

# Measurements coded outside LOINC: name: (title, system, codes). mCODE STU4 codes the
# Lansky Play-Performance Status observation as NCI Thesaurus C38144 (profile
# mcode-lansky-play-performance-status, example lansky-performance-status-brian-l, valueInteger 0-100).
OTHER_MEASUREMENTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "lansky": ("Lansky play-performance status", "ncit", ("C38144",)),
}

# Qualitative results: the codes of the core vocabulary (trialrules.language.qualitative).
RESULT_SETS = {
    "positive_results": ("positive, detected or reactive result", POSITIVE),
    "negative_results": ("negative, not detected or non-reactive result", NEGATIVE),
    "indeterminate_results": ("indeterminate, equivocal or weakly reactive result", INDETERMINATE),
}


#: Shared clinical value sets (facts more than one trial needs), one YAML file per set,
#: in the same shape and schema as a trial's ``rules/valuesets/*.yaml``.
SHARED_VALUESET_DIR = Path(__file__).parent.parent / "valuesets"


@cache
def _shared_files() -> tuple[ValueSet, ...]:
    # Read once per process: every Registry registers the same frozen sets.
    out: list[ValueSet] = []
    for path in sorted(SHARED_VALUESET_DIR.glob("*.yaml")):
        problems: list[RuleProblem] = []
        parsed = parse_file(path, "valuesetFile", problems)
        if parsed is None:  # a broken core file is a packaging bug: say where
            raise RuleFileError(str(path), problems)
        out.extend(converter.structure(vs, ValueSet) for vs in parsed.data)
    return tuple(out)


def shared_valuesets() -> list[ValueSet]:
    """The value sets every trial can reference without defining them."""
    out = list(_shared_files())
    for name, (title, codes, unit, molar) in SHARED_MEASUREMENTS.items():
        out.append(converter.structure(
            {"name": name, "title": title, "unit": unit, "molar_mass": molar,
             "codes": [{"system": "loinc", "code": c} for c in codes]}, ValueSet))
    for name, (title, system, codes) in OTHER_MEASUREMENTS.items():
        out.append(converter.structure(
            {"name": name, "title": title, "codes": [{"system": system, "code": c} for c in codes]}, ValueSet))
    for name, (title, reading) in RESULT_SETS.items():
        out.append(converter.structure(
            {"name": name, "title": title,
             "codes": [{"system": s, "code": c, "display": d} for s, c, d in codes_reading(reading)]}, ValueSet))
    return out


@hookimpl
def trialrules_register_valuesets(registry: Registry) -> None:
    for vs in shared_valuesets():
        registry.add_valueset(vs)


# --------------------------------------------------------------------------
# Derived values
# --------------------------------------------------------------------------


def _window(args: Mapping[str, Any]) -> Window | None:
    raw = args.get("window")
    if raw is None:
        return None
    try:
        return _window_of(tuple(sorted(raw.items())))
    except (TypeError, AttributeError):  # not a mapping of plain values: let the converter say why
        return converter.structure(raw, Window)


@lru_cache(maxsize=256)
def _window_of(items: tuple[tuple[str, Any], ...]) -> Window:
    """A function's ``window`` argument as a :class:`Window`, structured once per distinct value."""
    return converter.structure(dict(items), Window)


def latest_quantity(ctx: FunctionContext, concept: str, unit: str, window: Window | None) -> Latest:
    """The newest value of a concept in the window, converted to ``unit`` (the
    latest-value rule: when the newest result cannot be used, the value is None and
    ``reason`` says why; an older result never stands in)."""
    molar = SHARED_MEASUREMENTS.get(concept, (None, None, None, None))[3]

    def read(obs: Observation) -> tuple[Any, str]:
        value = obs.value
        if isinstance(value, Quantity) and value.comparator is not None:
            return None, f"{value.comparator}{value.value:g} is a bound, not a value"
        number = value.value if isinstance(value, Quantity) else value
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            return None, "has no numeric value"
        if isinstance(value, Quantity) and value.unit:
            try:
                return units.convert(value.value, value.unit, unit, molar), ""
            except UnitError as exc:
                return None, str(exc)
        if not isinstance(value, Quantity) and unit in ("1", ""):
            return float(number), ""
        return None, "has no unit"

    return ctx.latest(concept, window, read)


def _ev(obs: Observation) -> Evidence:
    return evidence_of(obs)


def _all_ev(*found: Latest) -> tuple[Evidence, ...]:
    return tuple(dict.fromkeys(evidence_of(o) for f in found for o in f.results))


def _patient_evidence(ctx: FunctionContext) -> Evidence:
    pid = ctx.patient.id
    return Evidence(pid if "/" in pid else f"Patient/{pid}", ctx.patient.birth_date.isoformat() if ctx.patient.birth_date else None, None, ctx.patient.birth_date)


def age_years(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Age in completed years at the as-of date."""
    birth = ctx.patient.birth_date
    if birth is None:
        return DerivedValue(None, reason="the record has no birth date")
    # No unit: rules compare completed years as a plain count ("age >= 18").
    return DerivedValue(age_in_years(birth, ctx.as_of), None, (_patient_evidence(ctx),),
                        f"born {birth.isoformat()}")


def age_months(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Age in completed months at the as-of date."""
    birth = ctx.patient.birth_date
    if birth is None:
        return DerivedValue(None, reason="the record has no birth date")
    return DerivedValue(age_in_completed_months(birth, ctx.as_of), None, (_patient_evidence(ctx),), f"born {birth.isoformat()}")


def cockcroft_gault(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Creatinine clearance by Cockcroft–Gault (1976), mL/min.

    (140 − age) × weight / (72 × serum creatinine [mg/dL]), × 0.85 for women;
    actual body weight (the protocols name no weight correction). Creatinine in
    µmol/L is converted with 113.12 g/mol.
    """
    window = _window(args)
    if ctx.patient.sex not in ("female", "male"):
        return DerivedValue(None, reason="Cockcroft–Gault needs the patient's sex, which the record does not state")
    if ctx.patient.birth_date is None:
        return DerivedValue(None, reason="Cockcroft–Gault needs the age, and the record has no birth date")
    scr = latest_quantity(ctx, "creatinine", "mg/dL", window)
    if scr.value is None:
        return DerivedValue(None, evidence=_all_ev(scr), reason=f"Cockcroft–Gault needs serum creatinine: {scr.reason}")
    weight = latest_quantity(ctx, "body_weight", "kg", _window(args) if args.get("weight_window", True) else None)
    if weight.value is None:
        return DerivedValue(None, evidence=_all_ev(weight), reason=f"Cockcroft–Gault needs body weight: {weight.reason}")
    age = age_in_years(ctx.patient.birth_date, ctx.as_of)
    if scr.value <= 0:
        return DerivedValue(None, evidence=_all_ev(scr), reason="serum creatinine is not positive")
    value = (140 - age) * weight.value / (72 * scr.value)
    if ctx.patient.sex == "female":
        value *= 0.85
    reason = f"Cockcroft–Gault from age {age}, {ctx.patient.sex}, weight {weight.value:.4g} kg, creatinine {scr.value:.4g} mg/dL"
    return DerivedValue(round(value, 4), "mL/min", (_patient_evidence(ctx), *_all_ev(scr, weight)), reason)


def schwartz_bedside(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Bedside Schwartz eGFR (Schwartz 2009): 0.413 × height [cm] / creatinine [mg/dL],
    in mL/min/1.73 m²."""
    window = _window(args)
    scr = latest_quantity(ctx, "creatinine", "mg/dL", window)
    if scr.value is None:
        return DerivedValue(None, evidence=_all_ev(scr), reason=f"bedside Schwartz needs serum creatinine: {scr.reason}")
    height = latest_quantity(ctx, "body_height", "cm", window)
    if height.value is None:
        return DerivedValue(None, evidence=_all_ev(height), reason=f"bedside Schwartz needs height: {height.reason}")
    if scr.value <= 0:
        return DerivedValue(None, evidence=_all_ev(scr), reason="serum creatinine is not positive")
    value = 0.413 * height.value / scr.value
    return DerivedValue(round(value, 4), "mL/min/{1.73_m2}", _all_ev(scr, height),
                        f"bedside Schwartz from height {height.value:.4g} cm, creatinine {scr.value:.4g} mg/dL")


def _day(found: Latest) -> dt.date | None:
    """The last day the newest result(s) may mean."""
    days = [w.last_day for w in (when_of(o) for o in found.results) if w is not None]
    return max(days) if days else None


def qtcf(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """QTcF (Fridericia): the newest of a reported QTcF and QT / (RR/1000)^(1/3), RR = 60000/HR,
    from the newest QT interval and a heart rate measured on its day. When the newest of them
    cannot be used, QTcF is unknown (an older ECG never stands in)."""
    window = _window(args)
    reported = latest_quantity(ctx, "qtcf", "ms", window)
    qt = latest_quantity(ctx, "qt_interval", "ms", window)
    if reported.results and (not qt.results or (_day(reported) or dt.date.min) >= (_day(qt) or dt.date.min)):
        if reported.value is None:
            return DerivedValue(None, evidence=_all_ev(reported), reason=f"QTcF: {reported.reason}")
        return DerivedValue(round(reported.value, 2), "ms", _all_ev(reported), "reported QTcF")
    if not qt.results:
        return DerivedValue(None, reason="no QTcF, and no QT interval with a heart rate on the same day")
    if qt.value is None:
        return DerivedValue(None, evidence=_all_ev(qt), reason=f"QTcF needs the QT interval: {qt.reason}")
    hr = latest_quantity(ctx, "heart_rate", "/min", window)
    if hr.value is None or _day(hr) != _day(qt) or hr.value <= 0:
        why = hr.reason or f"the newest heart rate is not from the day of the QT interval ({_day(qt)})"
        return DerivedValue(None, evidence=_all_ev(qt, hr), reason=f"QTcF needs a heart rate with the QT interval: {why}")
    rr = 60000.0 / hr.value
    value = qt.value / (rr / 1000.0) ** (1.0 / 3.0)
    return DerivedValue(round(value, 2), "ms", _all_ev(qt, hr),
                        f"Fridericia from QT {qt.value:.4g} ms and heart rate {hr.value:.4g}/min on {_day(qt)}")


def bmi(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Body-mass index, kg/m²."""
    window = _window(args)
    w = latest_quantity(ctx, "body_weight", "kg", window)
    h = latest_quantity(ctx, "body_height", "m", window)
    if w.value is None or h.value is None or h.value <= 0:
        return DerivedValue(None, evidence=_all_ev(w, h),
                            reason=f"BMI needs weight and height: {w.reason or h.reason or 'height is not positive'}")
    return DerivedValue(round(w.value / h.value ** 2, 4), "kg/m2", _all_ev(w, h))


def bsa_mosteller(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Body-surface area by Mosteller (1987): sqrt(height [cm] × weight [kg] / 3600), m²."""
    window = _window(args)
    w = latest_quantity(ctx, "body_weight", "kg", window)
    h = latest_quantity(ctx, "body_height", "cm", window)
    if w.value is None or h.value is None or h.value * w.value < 0:
        return DerivedValue(None, evidence=_all_ev(w, h),
                            reason=f"BSA needs weight and height: {w.reason or h.reason or 'a negative value'}")
    return DerivedValue(round(math.sqrt(h.value * w.value / 3600.0), 4), "m2", _all_ev(w, h))


# --------------------------------------------------------------------------
# SQL forms (docs/plugin-guide.md, "SQL forms"): the same inputs, chosen by the same
# latest-value rule, read and converted as ``latest_quantity`` reads them, in the same
# arithmetic; what SQL cannot reproduce exactly is deferred to the Python function.
# --------------------------------------------------------------------------

def _latest_quantity_sql(q: Any, concept: str, unit: str, window: Any) -> Any:
    """``latest_quantity(ctx, concept, unit, window)`` for every patient (``q``: the population
    compiler's ``SqlContext``)."""
    molar = SHARED_MEASUREMENTS.get(concept, (None, None, None, None))[3]
    return q.latest(q.observations(concept, unit=unit, molar_mass=molar), window)


def _plain_window(args: Mapping[str, Any]) -> bool:
    """Whether ``args``' window reads as ``_window`` reads it (absent, or a mapping that structures);
    anything else makes the Python function raise (unknown): the form leaves it to Python."""
    raw = args.get("window")
    if raw is None:
        return True
    if not isinstance(raw, Mapping):
        return False
    try:
        _window(args)
    except Exception:
        return False
    return True


def _sql_any(*conditions: str) -> str:
    return "(" + " OR ".join(f"COALESCE({c}, FALSE)" for c in conditions) + ")"


def cockcroft_gault_sql(q: Any, args: Mapping[str, Any]) -> SqlValue | None:
    """``builtins.cockcroft_gault``: unknown when sex (female/male), birth date, the newest
    creatinine or weight is missing or unusable, or creatinine is not positive."""
    if not _plain_window(args):
        return None
    window = args.get("window")
    scr = _latest_quantity_sql(q, "creatinine", "mg/dL", window)
    weight = _latest_quantity_sql(q, "body_weight", "kg", window if args.get("weight_window", True) else None)
    p = q.patient
    age = q.age_years()
    unknown = _sql_any(f"{p}.sex IS NULL", f"{p}.sex NOT IN ('female', 'male')", f"{p}.birth_date IS NULL",
                   scr.unknown, weight.unknown, f"({scr.ok} AND {scr.value} <= 0)")
    defer = _sql_any(scr.defer, weight.defer)
    value = (f"(CASE WHEN {scr.value} > 0 THEN (140 - {age}) * {weight.value} / (72 * {scr.value}) "
             f"* (CASE WHEN {p}.sex = 'female' THEN 0.85 ELSE 1.0 END) END)")
    # the function rounds to 4 decimals
    return SqlValue(value, unknown=unknown, defer=f"(NOT {unknown} AND {defer})", unit="mL/min", tolerance=1e-4)


def qtcf_sql(q: Any, args: Mapping[str, Any]) -> SqlValue | None:
    """``builtins.qtcf``: the reported QTcF when it is at least as new as the QT interval (by the
    last day each may mean), else Fridericia from the newest QT interval and a heart rate whose
    newest results fall on the same day."""
    if not _plain_window(args):
        return None
    window = args.get("window")
    reported = _latest_quantity_sql(q, "qtcf", "ms", window)
    qt = _latest_quantity_sql(q, "qt_interval", "ms", window)
    hr = _latest_quantity_sql(q, "heart_rate", "/min", window)
    low = "DATE '0001-01-01'"  # ``dt.date.min``, where a newest result has no date
    use_reported = (f"({reported.n} > 0 AND ({qt.n} = 0 OR COALESCE({reported.last_day}, {low}) >= "
                    f"COALESCE({qt.last_day}, {low})))")
    same_day = (f"(({hr.last_day} IS NULL AND {qt.last_day} IS NULL) OR {hr.last_day} = {qt.last_day})")
    computed_unknown = _sql_any(f"{qt.n} = 0", qt.unknown, hr.unknown, f"NOT {same_day}",
                            f"({hr.ok} AND {hr.value} <= 0)")
    computed_defer = _sql_any(qt.defer, hr.defer)
    unknown = (f"(CASE WHEN {use_reported} THEN {reported.unknown} ELSE {computed_unknown} END)")
    defer = (f"(CASE WHEN {use_reported} THEN {reported.defer} "
             f"ELSE (NOT {computed_unknown} AND {computed_defer}) END)")
    fridericia = (f"(CASE WHEN {hr.value} > 0 THEN {qt.value} / POWER((60000.0 / {hr.value}) / 1000.0, 1.0 / 3.0) END)")
    value = f"(CASE WHEN {use_reported} THEN {reported.value} ELSE {fridericia} END)"
    # the function rounds to 2 decimals
    return SqlValue(value, unknown=unknown, defer=defer, unit="ms", tolerance=1e-2)


@hookimpl
def trialrules_register_functions(registry: Registry) -> None:
    registry.add_function("age_years", age_years, description="age in completed years")
    registry.add_function("age_months", age_months, description="age in completed months")
    registry.add_function("cockcroft_gault", cockcroft_gault, description="creatinine clearance (Cockcroft–Gault)",
                          sql=cockcroft_gault_sql)
    registry.add_function("schwartz_bedside", schwartz_bedside, description="eGFR (bedside Schwartz)")
    registry.add_function("qtcf", qtcf, description="QTcF (Fridericia)", sql=qtcf_sql)
    registry.add_function("bmi", bmi, description="body-mass index")
    registry.add_function("bsa_mosteller", bsa_mosteller, description="body-surface area (Mosteller)")
