"""
One patient's FHIR resources to a :class:`PatientRecord` (CONTRACT.md section 5).

:class:`RecordBuilder` takes the Patient first, then each clinical resource in turn
(with where it came from, for warnings). Resources whose status says they never
happened (entered in error, refuted, not done...) are skipped; everything else is
kept, with a warning for any part that could not be read.

Partial dates (``2019``, ``2019-05``) are kept as precise as they are, never resolved
to a guessed day (CONTRACT.md section 5):

* ``birthDate``: None (age unknown, so age criteria stay ``unknown``);
* a date on a record that has a period (onset, abatement, recordedDate, a medication's
  or procedure's start, end or single date, an Age in years): its first day and its
  last day both, as the record's ``onset``/``onset_latest``, ``abatement_earliest``/
  ``abatement``, ``start``/``start_latest``, ``end_earliest``/``end``, ``date``/
  ``date_latest``; a window is judged only where every day between agrees
  (:mod:`trialrules.engine.spans`), else the search is ``unknown`` naming the record;
* a single date on a record without a period (Observation, Immunization,
  AllergyIntolerance): None, because neither end is safe (a lab result dated only
  to the month must not be judged as if it were recent, nor a live vaccine as if
  it were old).

A course dated by one day (README, "FHIR elements read"): a MedicationStatement's
``effectiveDateTime`` and a MedicationRequest's ``authoredOn`` without timing bounds
begin on that day and end on a day the record does not give (ongoing while the status
says so); a MedicationDispense runs to the end of its ``daysSupply``, without one to a
day not given; a MedicationAdministration is one administration, that day only.

Every partial date, and every value that is not a FHIR date, gives a warning.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import attrs

from trialrules.calendar_arithmetic import add_months
from trialrules.errors import shown
from trialrules.inputs.fhir import dates
from trialrules.inputs.fhir.datatypes import (
    UCUM,
    codings,
    concept_text,
    observation_value,
    reference_ranges,
    status_code,
)
from trialrules.inputs.fhir.references import lookup_key, reference_of
from trialrules.inputs.fhir.where import Where, message
from trialrules.language.models import (
    Allergy,
    Coding,
    Condition,
    Immunization,
    Medication,
    Observation,
    PatientRecord,
    Procedure,
    SetAside,
)
from trialrules.language.statuses import (
    IMMUNIZATION_NOT_DONE,
    MEDICATION_NOT_TAKEN_BY_RESOURCE,
    OBSERVATION_UNUSABLE,
    PROCEDURE_NOT_DONE,
    QUESTIONNAIRE_FINISHED,
    REPORT_UNUSABLE,
    VERIFICATION_NOT_PRESENT,
)
from trialrules.limits import MAX_WINDOW_DAYS

#: The first and the last day a date may mean (the same day for a full date; None, None: no date).
Days = tuple["dt.date | None", "dt.date | None"]
NO_DAYS: Days = (None, None)

#: Finds a Medication resource for a (non-contained) reference, or None.
MedicationLookup = Callable[[str], "dict[str, Any] | None"]


SEXES = frozenset({"female", "male", "other", "unknown"})

#: The element naming the patient, by resource type.
SUBJECT_FIELD = {
    "Observation": "subject",
    "Condition": "subject",
    "MedicationStatement": "subject",
    "MedicationAdministration": "subject",
    "MedicationRequest": "subject",
    "MedicationDispense": "subject",
    "Procedure": "subject",
    "AllergyIntolerance": "patient",
    "Immunization": "patient",
    "QuestionnaireResponse": "subject",
    "DiagnosticReport": "subject",  # read only to date the Observations it reports
}

_AGE_UNITS = {"a": 12, "mo": 1}  # in months; weeks and days are added as days
_AGE_DAYS = {"wk": 7, "d": 1}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class RecordBuilder:
    """Accumulates one patient's record; :meth:`build` returns it."""

    def __init__(
        self, patient: dict[str, Any], where: Where, medications: MedicationLookup,
        source: str,
    ) -> None:
        self.warnings: list[str] = []
        self._problems: list[tuple[str, str]] = []
        self._medications = medications
        self._source = source
        self.id = self._id(patient, where)
        label = "Patient/" + self.id
        self.birth_date: dt.date | None = None
        if "birthDate" in patient:
            parsed = self._parse(patient["birthDate"], "date", label, where, ".birthDate")
            if parsed is not None:
                if parsed.partial:
                    self._warn(f"birthDate {patient['birthDate']!r} gives only {parsed.describe()}; "
                               "age is unknown", where, label, ".birthDate")
                else:
                    self.birth_date = parsed.first
        gender = patient.get("gender")
        # (membership tests need hashable values: a hostile document may put a list anywhere)
        self.sex: Any = None
        if isinstance(gender, str) and gender in SEXES:
            self.sex = gender
        elif gender is not None:
            self._warn(f"gender {gender!r} is not a FHIR administrative gender", where, label, ".gender")
        self.observations: list[Observation] = []
        self.conditions: list[Condition] = []
        self.medications: list[Medication] = []
        self.procedures: list[Procedure] = []
        self.allergies: list[Allergy] = []
        self.immunizations: list[Immunization] = []
        self._answers: list[tuple[dt.date, dict[str, bool], Where, str]] = []
        self._handlers: dict[str, Callable[[dict[str, Any], Where, str], None]] = {
            "Observation": self._observation,
            "Condition": self._condition,
            "MedicationStatement": self._medication,
            "MedicationAdministration": self._medication,
            "MedicationRequest": self._medication,
            "MedicationDispense": self._medication,
            "Procedure": self._procedure,
            "AllergyIntolerance": self._allergy,
            "Immunization": self._immunization,
            "QuestionnaireResponse": self._questionnaire_response,
            "DiagnosticReport": self._diagnostic_report,
        }
        # Observations without effective[x] (index, keys a report's ``result`` may use), and
        # the dates reports give the Observations they list: matched in build(), whatever the order.
        self._undated: list[tuple[int, tuple[str, ...]]] = []
        # hasMember references of panels, checked against the Observations read, in build()
        self._members: list[tuple[str, str, Where, str]] = []
        self._observation_urls: set[str] = set()
        self._report_dates: dict[str, tuple[str, dt.date | None, str | None]] = {}
        self._patient = patient
        self._set_aside: list[SetAside] = []

    # -- plumbing ----------------------------------------------------------

    @staticmethod
    def _id(resource: dict[str, Any], where: Where) -> str:
        rid = resource.get("id")
        return rid if type(rid) is str and rid else where.fallback_id()

    def _warn(self, text: str, where: Where, label: str, path: str = "") -> None:
        self.warnings.append(message(text, where, label, path))

    def _flush(self, where: Where, label: str) -> None:
        """Turn the problems the data-type functions found into warnings."""
        for text, path in self._problems:
            self._warn(text, where, label, path)
        self._problems.clear()

    def _parse(self, value: Any, kind: str, label: str, where: Where, path: str) -> dates.FhirDate | None:
        parsed = dates.parse(value, kind)
        if isinstance(parsed, str):
            self._warn(parsed + "; the date is not used", where, label, path)
            return None
        return parsed

    def _point(self, value: Any, label: str, where: Where, path: str) -> dt.date | None:
        """A single date on a record without a period: partial -> None."""
        parsed = self._parse(value, "dateTime", label, where, path)
        if parsed is None:
            return None
        if parsed.partial:
            self._warn(f"{value!r} gives only {parsed.describe()}; the date is not used",
                       where, label, path)
            return None
        return parsed.first

    def _bounds(self, value: Any, label: str, where: Where, path: str) -> Days:
        """A date on a record with a period: the first and the last day it may mean (the
        same day for a full date), so that a window is judged only where all agree."""
        if type(value) is str:  # fast path: a full date from the cache
            quick = dates.cached(value)
            if quick is not None and not quick.partial:
                return quick.first, quick.first
        parsed = self._parse(value, "dateTime", label, where, path)
        if parsed is None:
            return NO_DAYS
        if parsed.partial:
            self._warn(f"{value!r} gives only {parsed.describe()}; a window is judged only where every "
                       "day it may mean agrees", where, label, path)
        return parsed.first, parsed.last

    def _period(self, raw: Any, label: str, where: Where, path: str) -> tuple[Days, Days]:
        """A Period's start and end, each as the days it may mean."""
        if not isinstance(raw, dict):
            self._warn("is not a Period object", where, label, path)
            return NO_DAYS, NO_DAYS
        start = self._bounds(raw["start"], label, where, path + ".start") if "start" in raw else NO_DAYS
        end = self._bounds(raw["end"], label, where, path + ".end") if "end" in raw else NO_DAYS
        return start, end

    def _age(self, raw: Any, label: str, where: Where, path: str, last: bool) -> dt.date | None:
        """An Age as a date from birthDate: the first (or last) day of that year of age."""
        if not isinstance(raw, dict) or isinstance(raw.get("value"), bool) or not isinstance(
            raw.get("value"), (int, float)
        ):
            self._warn("is not an Age with a numeric value", where, label, path)
            return None
        if raw.get("system", UCUM) != UCUM or raw.get("code") not in (*_AGE_UNITS, *_AGE_DAYS):
            self._warn(f"Age unit {raw.get('code')!r} is not a UCUM age unit (a, mo, wk, d)",
                       where, label, path)
            return None
        if self.birth_date is None:
            self._warn("an Age cannot be dated without a full birthDate", where, label, path)
            return None
        value, code = float(raw["value"]), raw["code"]
        try:
            if code in _AGE_DAYS:
                return self.birth_date + dt.timedelta(days=int(value * _AGE_DAYS[code]))
            months = int(value * _AGE_UNITS[code])
            first = add_months(self.birth_date, months)
            if not last:
                return first
            return add_months(self.birth_date, months + _AGE_UNITS[code]) - dt.timedelta(days=1)
        except (ValueError, OverflowError):
            self._warn(f"Age {value:g} {code} is out of range", where, label, path)
            return None

    def _choice(self, resource: dict[str, Any], stem: str, label: str, where: Where, last: bool) -> Days:
        """onset[x] / abatement[x] / performed[x] as one date (the start, or with ``last`` the
        end), as the first and last day it may mean: an Age in years is any day of that year
        of age, a Range any day from its low age to its high one."""
        if stem + "DateTime" in resource:
            return self._bounds(resource[stem + "DateTime"], label, where, f".{stem}DateTime")
        if stem + "Period" in resource:
            start, end = self._period(resource[stem + "Period"], label, where, f".{stem}Period")
            if last:
                return end if end[1] is not None else start
            return start
        if stem + "Age" in resource:
            path = f".{stem}Age"
            first = self._age(resource[stem + "Age"], label, where, path, False)
            if first is None:
                return NO_DAYS
            return first, self._age(resource[stem + "Age"], label, where, path, True)
        if stem + "Range" in resource:
            rng = resource[stem + "Range"]
            if isinstance(rng, dict) and "low" in rng and "high" in rng:
                low = self._age(rng["low"], label, where, f".{stem}Range.low", False)
                high = self._age(rng["high"], label, where, f".{stem}Range.high", True) if low else None
                return (low, high) if low is not None and high is not None and low <= high else NO_DAYS
            self._warn("Range needs both a low and a high age to bound the date; the date is not used",
                       where, label, f".{stem}Range")
            return NO_DAYS
        if stem + "String" in resource:
            self._warn(f"{resource[stem + 'String']!r} is text, not a date; the date is not used",
                       where, label, f".{stem}String")
        return NO_DAYS

    def _codes(self, resource: dict[str, Any], key: str, label: str, where: Where) -> tuple[Coding, ...]:
        found = codings(resource.get(key))
        if not found:
            self._warn(f"has no coded {key} (a coding with a code); it cannot match any value set",
                       where, label, "." + key)
        return found

    # -- resources ---------------------------------------------------------

    def add(self, resource: dict[str, Any], where: Where, rtype: str | None = None) -> None:
        """Add one clinical resource (other resource types are ignored); ``rtype``
        when the caller already knows the resourceType."""
        handler = self._handlers.get(rtype or _str(resource.get("resourceType")) or "")
        if handler is not None:
            rid = resource.get("id")
            handler(resource, where, rid if type(rid) is str and rid else where.fallback_id())

    def set_aside(self, resource: dict[str, Any], where: Where, rtype: str, reason: str, path: str) -> None:
        """A resource whose subject does not resolve to this patient: not read as theirs, but
        counted in their results with what it says (a warning names it too)."""
        label = f"{rtype}/{self._id(resource, where)}"
        self._warn(f"{reason}; skipped", where, label, path)
        # read as if it were the patient's, apart: the evaluator asks whether it would change a verdict
        apart = RecordBuilder(self._patient, where, self._medications, self._source)
        apart.add(resource, where, rtype)
        self._set_aside.append(SetAside(label, reason, apart.build()))

    def _observation(self, r: dict[str, Any], where: Where, rid: str) -> None:
        status = r.get("status")
        if type(status) is not str:
            status = None
        elif status in OBSERVATION_UNUSABLE:
            return
        label = "Observation/" + rid
        problems = self._problems
        codes = codings(r.get("code"))
        if not codes:
            self._warn("has no coded code (a coding with a code); it cannot match any value set",
                       where, label, ".code")
        value = observation_value(r, problems)
        date: dt.date | None = None
        effective: str | None = None
        # the usual full-date string is answered from the date cache without more calls
        raw = r.get("effectiveDateTime")
        parsed = dates.cached(raw) if type(raw) is str else None
        if parsed is not None and not parsed.partial and len(str(raw)) == 10:
            date = parsed.first
        else:
            key, path = None, ""
            if "effectiveDateTime" in r:
                key, path = r["effectiveDateTime"], ".effectiveDateTime"
            elif "effectiveInstant" in r:
                key, path = r["effectiveInstant"], ".effectiveInstant"
            elif "effectivePeriod" in r:
                p = r["effectivePeriod"]
                side = "end" if isinstance(p, dict) and "end" in p else "start"
                if isinstance(p, dict) and side in p:
                    key, path = p[side], f".effectivePeriod.{side}"
            if path:
                date, effective = self._effective(key, label, where, path)
        # ``issued`` never stands in for effective[x] (CONTRACT.md section 5): a result
        # without a date is shown as such and judged only where its date would not matter.
        rr = reference_ranges(r["referenceRange"], problems) if "referenceRange" in r else ()
        if problems:
            self._flush(where, label)
        if where.full_url:
            self._observation_urls.add(where.full_url)
        if "hasMember" in r:
            self._panel_members(r["hasMember"], where, label)
        if date is None and effective is None and not any(k.startswith("effective") for k in r):
            keys = (label, where.full_url) if where.full_url else (label,)
            self._undated.append((len(self.observations), keys))
        self.observations.append(Observation(rid, codes, value, date, rr, status, effective))
        if "component" in r:
            self._components(r["component"], where, rid, date, status, effective)

    def _components(self, components: Any, where: Where, rid: str, date: dt.date | None,
                    status: str | None, effective: str | None) -> None:
        """Each coded component (blood pressure's systolic and diastolic, a QTc inside an ECG)
        as an observation of its own: the component's code, value and reference range with
        the parent's date and status, named ``Observation/id#component[i]`` in evidence."""
        for i, c in enumerate(components if type(components) is list else ()):
            codes = codings(c.get("code")) if type(c) is dict else ()
            at = f".component[{i}]"
            if not codes:
                self._warn("component has no coded code; it cannot match any value set", where,
                           "Observation/" + rid, at + ".code")
                continue
            label = f"Observation/{rid}#component[{i}]"
            value = observation_value(c, self._problems)
            rr = reference_ranges(c["referenceRange"], self._problems) if "referenceRange" in c else ()
            for text, path in self._problems:
                self._warn(text, where, label, at + path)
            self._problems.clear()
            self.observations.append(Observation(f"{rid}#component[{i}]", codes, value, date, rr, status,
                                                 effective))

    def _effective(self, value: Any, label: str, where: Where, path: str) -> tuple[dt.date | None, str | None]:
        """An Observation's effective[x]: (the day as written when it gives one, the dateTime
        as written when it says more or less than a day)."""
        parsed = self._parse(value, "dateTime", label, where, path)
        if parsed is None:
            return None, None
        if parsed.partial:
            self._warn(f"{value!r} gives only {parsed.describe()}; the result is judged only where every "
                       "day it may mean agrees", where, label, path)
            return None, value
        return parsed.first, (value if len(value) > 10 else None)

    def _condition(self, r: dict[str, Any], where: Where, rid: str) -> None:
        verification = status_code(r.get("verificationStatus"))
        if verification in VERIFICATION_NOT_PRESENT:
            return
        label = "Condition/" + rid
        recorded = NO_DAYS
        if "recordedDate" in r:
            recorded = self._bounds(r["recordedDate"], label, where, ".recordedDate")
        codes = self._codes(r, "code", label, where)
        onset = self._choice(r, "onset", label, where, last=False)
        abatement = self._choice(r, "abatement", label, where, last=True)
        # abatement[x] present without a day that can be read: it ended, on a day not known
        abated = abatement[1] is None and any(k.startswith("abatement") and r[k] not in (None, "", {}) for k in r)
        self.conditions.append(Condition(
            rid,
            codes,
            status_code(r.get("clinicalStatus")),
            verification,
            onset[0],
            abatement[1],
            recorded[0],
            _text_if_uncoded(r.get("code")),
            abated,
            onset_latest=_other(onset, 1),
            abatement_earliest=_other(abatement, 0),
            recorded_latest=_other(recorded, 1),
        ))

    def _medication(self, r: dict[str, Any], where: Where, rid: str) -> None:
        kind = r["resourceType"]
        status = _str(r.get("status"))
        if status in MEDICATION_NOT_TAKEN_BY_RESOURCE[kind]:
            return
        label = f"{kind}/{rid}"
        codes, ingredients, text = self._medication_codes(r, label, where)
        start: Days = NO_DAYS
        end: Days = NO_DAYS
        if kind == "MedicationRequest":
            start, end = self._request_dates(r, label, where)
        elif kind == "MedicationDispense":
            start, end = self._dispense_dates(r, label, where)
        elif "effectiveDateTime" in r:
            # a MedicationStatement's one day: the course was being taken then, and may have gone
            # on after it (ended on a day not given); an administration is that day only
            start = self._bounds(r["effectiveDateTime"], label, where, ".effectiveDateTime")
        elif "effectivePeriod" in r:
            start, end = self._period(r["effectivePeriod"], label, where, ".effectivePeriod")
        # A Period without an end is ongoing (FHIR R4), and so is a course dated by one day: ongoing
        # while the status says so, else over on a day the record does not give.
        one_administration = kind == "MedicationAdministration" and "effectiveDateTime" in r
        open_end = start[0] is not None and end[1] is None and not one_administration
        self.medications.append(Medication(
            rid, codes, start[0], end[1], status, kind, ingredients, text, open_end,
            start_latest=_other(start, 1), end_earliest=_other(end, 0)))

    def _dispense_dates(self, r: dict[str, Any], label: str, where: Where) -> tuple[Days, Days]:
        """whenHandedOver (else whenPrepared) to the end of the days' supply, when given in days:
        a drug dispensed for 28 days may be taken until the last of them. Without a supply the
        drug may be taken for any time after it was handed over: the end is not given."""
        key = "whenHandedOver" if "whenHandedOver" in r else "whenPrepared"
        if key not in r:
            return NO_DAYS, NO_DAYS
        start = self._bounds(r[key], label, where, "." + key)
        supply = r.get("daysSupply")
        if start[0] is not None and isinstance(supply, dict) and "value" in supply:
            # a supply without a unit code is in days, as its element's name says
            return start, self._course_ends(start, {"code": "d", **supply}, label, where, ".daysSupply",
                                            "the course after hand-over has no known end")
        return start, NO_DAYS

    def _request_dates(self, r: dict[str, Any], label: str, where: Where) -> tuple[Days, Days]:
        """authoredOn, narrowed or widened by dosageInstruction timing bounds. An order with no
        bounds has no end: the course follows the day it was written, for a time not given."""
        start: Days = NO_DAYS
        end: Days = NO_DAYS
        if "authoredOn" in r:
            start = self._bounds(r["authoredOn"], label, where, ".authoredOn")
        starts: list[Days] = []
        ends: list[Days] = []
        instructions = r.get("dosageInstruction")
        for i, d in enumerate(instructions if isinstance(instructions, list) else ()):
            timing = d.get("timing") if isinstance(d, dict) else None
            repeat = timing.get("repeat") if isinstance(timing, dict) else None
            if isinstance(repeat, dict) and "boundsPeriod" in repeat:
                s, e = self._period(repeat["boundsPeriod"], label, where,
                                    f".dosageInstruction[{i}].timing.repeat.boundsPeriod")
                if s[0] is not None:
                    starts.append(s)
                ends.append(e)
            elif isinstance(repeat, dict) and "boundsDuration" in repeat:
                # "for 14 days" from the order: the course's last day is authoredOn + duration - 1
                path = f".dosageInstruction[{i}].timing.repeat.boundsDuration"
                ends.append(self._course_ends(start, repeat["boundsDuration"], label, where, path))
        if starts:
            start = (min(s[0] for s in starts if s[0]), min(s[1] for s in starts if s[1]))
        # an open-ended instruction means the order has no end
        if ends and all(e[1] is not None for e in ends):
            end = (max(e[0] for e in ends if e[0]), max(e[1] for e in ends if e[1]))
        return start, end

    def _course_ends(self, start: Days, raw: Any, label: str, where: Where, path: str,
                     otherwise: str = "the course is taken to have no end") -> Days:
        """The days a course of ``raw`` (a Duration) from a start that may be any of ``start``
        may end on; NO_DAYS (no known end) when either cannot be read, with a warning."""
        first = self._course_end(start[0], raw, label, where, path, otherwise)
        if first is None or start[1] == start[0]:
            return first, first
        last = self._course_end(start[1], raw, label, where, path, otherwise)
        return (first, last) if last is not None else NO_DAYS

    def _course_end(self, start: dt.date | None, raw: Any, label: str, where: Where, path: str,
                    otherwise: str = "the course is taken to have no end") -> dt.date | None:
        """The last day of a course of ``raw`` (a Duration) from ``start``; None (no known end)
        when either cannot be read, with a warning."""
        value = raw.get("value") if isinstance(raw, dict) else None
        code = raw.get("code") if isinstance(raw, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_WINDOW_DAYS \
                or raw.get("system", UCUM) != UCUM or code not in (*_AGE_UNITS, *_AGE_DAYS):
            self._warn(f"is not a Duration in UCUM d, wk, mo or a; {otherwise}",
                       where, label, path)
            return None
        if start is None:
            self._warn(f"a course length without authoredOn has no start; {otherwise}",
                       where, label, path)
            return None
        try:
            if code in _AGE_DAYS:
                return start + dt.timedelta(days=math.ceil(value * _AGE_DAYS[code]) - 1)
            return add_months(start, math.ceil(value * _AGE_UNITS[code])) - dt.timedelta(days=1)
        except (ValueError, OverflowError):
            self._warn(f"a course of {value:g} {code} runs past the calendar; {otherwise}",
                       where, label, path)
            return None

    def _medication_codes(
        self, r: dict[str, Any], label: str, where: Where
    ) -> tuple[tuple[Coding, ...], tuple[Coding, ...], str | None]:
        """The medication's codes, for a Medication resource its ingredients' codes, and its
        words when no code can be read: a text-only or unresolved medication is kept
        (CONTRACT.md section 5: it is not an absence)."""
        if "medicationCodeableConcept" in r:
            concept = r["medicationCodeableConcept"]
            codes = self._codes(r, "medicationCodeableConcept", label, where)
            return codes, (), None if codes else (concept_text(concept) or "medication given as neither code nor text")
        raw_ref = r.get("medicationReference")
        ref = reference_of(raw_ref)
        shown = raw_ref.get("display") if isinstance(raw_ref, dict) else None
        shown = shown.strip() if isinstance(shown, str) and shown.strip() else None
        if ref is None:
            self._warn("has no medicationCodeableConcept or medicationReference; "
                       "it cannot match any value set", where, label)
            return (), (), shown or "medication not named"
        med = self._resolve_medication(r, ref)
        if med is None:
            self._warn(f"medicationReference {ref!r} is neither a contained nor a bundled "
                       "Medication; it cannot match any value set", where, label, ".medicationReference")
            return (), (), shown or f"unresolved Medication {ref}"
        code = codings(med.get("code"))
        # A product (RxNorm SCD/SBD) matches drug value sets through its ingredients.
        found: list[Coding] = []
        ingredients = med.get("ingredient")
        for ing in ingredients if isinstance(ingredients, list) else ():
            if not isinstance(ing, dict):
                continue
            if "itemCodeableConcept" in ing:
                found.extend(codings(ing["itemCodeableConcept"]))
            else:
                iref = reference_of(ing.get("itemReference"))
                # "#id" may be contained in the product or, as FHIR prefers, beside it
                item = (self._resolve_medication(med, iref) or self._resolve_medication(r, iref)) if iref else None
                if item is not None:
                    found.extend(codings(item.get("code")))
        unique = tuple(c for c in dict.fromkeys(found) if c not in code)
        if not code and not unique:
            self._warn(f"Medication {ref!r} has no coded code or ingredient; it cannot match "
                       "any value set", where, label, ".medicationReference")
            return (), (), concept_text(med.get("code")) or shown or f"Medication {ref} without code"
        return code, unique, None

    def _resolve_medication(self, holder: dict[str, Any], ref: str) -> dict[str, Any] | None:
        if ref.startswith("#"):
            contained = holder.get("contained")
            for c in contained if isinstance(contained, list) else ():
                if isinstance(c, dict) and c.get("id") == ref[1:] and c.get("resourceType") == "Medication":
                    return c
            return None
        med = self._medications(ref)
        return med if isinstance(med, dict) and med.get("resourceType") == "Medication" else None

    def _procedure(self, r: dict[str, Any], where: Where, rid: str) -> None:
        status = _str(r.get("status"))
        if status in PROCEDURE_NOT_DONE:
            return
        label = "Procedure/" + rid
        end: Days = NO_DAYS
        open_end = False
        if "performedPeriod" in r:
            start, end = self._period(r["performedPeriod"], label, where, ".performedPeriod")
            # a Period without an end is ongoing (FHIR R4 Period); a course of radiotherapy often comes so
            open_end = start[0] is not None and end[1] is None
        else:  # one day (performedDateTime, an Age...): a point in time, no period
            start = self._choice(r, "performed", label, where, last=False)
        self.procedures.append(Procedure(rid, self._codes(r, "code", label, where), start[0], end[1], status,
                                         _text_if_uncoded(r.get("code")), open_end,
                                         date_latest=_other(start, 1), end_earliest=_other(end, 0)))

    def _allergy(self, r: dict[str, Any], where: Where, rid: str) -> None:
        verification = status_code(r.get("verificationStatus"))
        if verification in VERIFICATION_NOT_PRESENT:
            return
        label = "AllergyIntolerance/" + rid
        date = None
        if "onsetDateTime" in r:
            date = self._point(r["onsetDateTime"], label, where, ".onsetDateTime")
        elif "recordedDate" in r:
            date = self._point(r["recordedDate"], label, where, ".recordedDate")
        self.allergies.append(Allergy(
            rid, self._codes(r, "code", label, where),
            status_code(r.get("clinicalStatus")), verification, date, _text_if_uncoded(r.get("code")),
        ))

    def _immunization(self, r: dict[str, Any], where: Where, rid: str) -> None:
        status = _str(r.get("status"))
        if status in IMMUNIZATION_NOT_DONE:
            return
        label = "Immunization/" + rid
        date = None
        if "occurrenceDateTime" in r:
            date = self._point(r["occurrenceDateTime"], label, where, ".occurrenceDateTime")
        elif "occurrenceString" in r:
            self._warn(f"{r['occurrenceString']!r} is text, not a date; the date is not used",
                       where, label, ".occurrenceString")
        self.immunizations.append(Immunization(
            rid, self._codes(r, "vaccineCode", label, where), date, status,
            _text_if_uncoded(r.get("vaccineCode"))))

    def _questionnaire_response(self, r: dict[str, Any], where: Where, rid: str) -> None:
        if _str(r.get("status")) not in QUESTIONNAIRE_FINISHED:
            return
        label = "QuestionnaireResponse/" + rid
        authored = dt.date.min
        if "authored" in r:
            parsed = self._parse(r["authored"], "dateTime", label, where, ".authored")
            authored = parsed.last if parsed is not None else dt.date.min
        found: dict[str, bool] = {}
        _collect_answers(r.get("item"), found)
        # the latest response wins where two disagree; two of the same day that disagree decide nothing
        self._answers.append((authored, found, where, label))

    def _diagnostic_report(self, r: dict[str, Any], where: Where, rid: str) -> None:
        """The effective[x] of a report, kept for the Observations its ``result`` lists."""
        if _str(r.get("status")) in REPORT_UNUSABLE:
            return
        label = "DiagnosticReport/" + rid
        date: dt.date | None = None
        effective: str | None = None
        if "effectiveDateTime" in r:
            date, effective = self._effective(r["effectiveDateTime"], label, where, ".effectiveDateTime")
        elif isinstance(r.get("effectivePeriod"), dict):
            side = "end" if "end" in r["effectivePeriod"] else "start"
            if side in r["effectivePeriod"]:
                date, effective = self._effective(r["effectivePeriod"][side], label, where,
                                                  f".effectivePeriod.{side}")
        if date is None and effective is None:
            return
        results = r.get("result")
        for item in results if isinstance(results, list) else ():
            ref = reference_of(item)
            if ref is not None:
                key = lookup_key(ref) if "://" in ref else ref
                self._report_dates.setdefault(key or ref, (label, date, effective))

    def _panel_members(self, members: Any, where: Where, label: str) -> None:
        for i, item in enumerate(members if isinstance(members, list) else ()):
            ref = reference_of(item)
            if ref is not None and not ref.startswith("#"):
                key = (lookup_key(ref) if "://" in ref else None) or ref
                self._members.append((key, label, where, f".hasMember[{i}]"))

    def _attestations(self) -> dict[str, bool]:
        """Answers by criterion id, the latest response's. Responses authored on the same day
        that disagree leave the criterion unattested (a person must look), whatever their order."""
        attestations: dict[str, bool] = {}
        for day in sorted({a[0] for a in self._answers}):
            answers: dict[str, set[bool]] = {}
            for authored, found, _, _ in self._answers:
                if authored == day:
                    for key, value in found.items():
                        answers.setdefault(key, set()).add(value)
            for key, values in answers.items():
                if len(values) == 1:
                    attestations[key] = next(iter(values))
                    continue
                attestations.pop(key, None)
                labels = sorted(label for authored, found, _, label in self._answers if authored == day and key in found)
                where = next(w for authored, found, w, _ in self._answers if authored == day and key in found)
                self._warn(f"{' and '.join(labels)} answer {shown(key)} differently on the same day; "
                           "neither is used", where, labels[0])
        return attestations

    def _check_members(self) -> None:
        """A panel's member that is not in the input is named: its result is not seen."""
        known = {o.reference for o in self.observations} | self._observation_urls
        for ref, label, where, path in self._members:
            if ref not in known:
                self._warn(f"panel member {shown(ref)} is not in this input; its result is not read",
                           where, label, path)

    def _date_from_reports(self) -> None:
        """An Observation without effective[x] takes the effective[x] of a report listing it."""
        for index, keys in self._undated:
            found = next((self._report_dates[k] for k in keys if k in self._report_dates), None)
            if found is None:
                continue
            report, date, effective = found
            obs = self.observations[index]
            self.observations[index] = attrs.evolve(obs, date=date, effective=effective, dated_by=report)
            # its components were given the parent's (missing) date: they follow it
            prefix = obs.id + "#component["
            for j in range(index + 1, len(self.observations)):
                if not self.observations[j].id.startswith(prefix):
                    break
                self.observations[j] = attrs.evolve(self.observations[j], date=date, effective=effective,
                                                    dated_by=report)
            self.warnings.append(f"{self._source}:{obs.reference}: has no effective[x]; dated by "
                                 f"{report}, which lists it in its result")

    def build(self) -> PatientRecord:
        if self._members:
            self._check_members()
        if self._undated and self._report_dates:
            self._date_from_reports()
        attestations = self._attestations()
        return PatientRecord(
            id=self.id,
            birth_date=self.birth_date,
            sex=self.sex,
            observations=tuple(self.observations),
            conditions=tuple(self.conditions),
            medications=tuple(self.medications),
            procedures=tuple(self.procedures),
            allergies=tuple(self.allergies),
            immunizations=tuple(self.immunizations),
            attestations=attestations,
            source=self._source,
            warnings=tuple(self.warnings),
            set_aside=tuple(self._set_aside),
        )


def _other(days: Days, side: int) -> dt.date | None:
    """The other end of a date's days (``side`` 1: the last, 0: the first) when it differs
    from the one a record keeps; None when the date is exact or missing."""
    return days[side] if days[side] != days[1 - side] else None


def _text_if_uncoded(concept: Any) -> str | None:
    """The words of a concept that carries no code (None when it has one: the codes speak)."""
    return None if codings(concept) else concept_text(concept)


def _collect_answers(items: Any, found: dict[str, bool], depth: int = 0) -> None:
    """Boolean answers by linkId, through nested items and answers' items."""
    if not isinstance(items, list) or depth > 50:  # depth: a hostile document cannot recurse us out
        return
    for item in items:
        if not isinstance(item, dict):
            continue
        link = item.get("linkId")
        answers = item.get("answer")
        for answer in answers if isinstance(answers, list) else ():
            if not isinstance(answer, dict):
                continue
            value = answer.get("valueBoolean")
            if isinstance(link, str) and isinstance(value, bool) and link not in found:
                found[link] = value
            _collect_answers(answer.get("item"), found, depth + 1)
        _collect_answers(item.get("item"), found, depth + 1)
