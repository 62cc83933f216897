"""
The data model: patient records, rule trees, trials and the parts of a screening
result (evidence, criterion results; the whole result is ``results.ScreeningResult``).

Every class is a frozen, slotted attrs class. Structuring from files and
unstructuring to JSON goes through the one converter in ``converters.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Union

import attrs
from attrs import field, frozen

from trialrules.language.statuses import CLINICAL_ACTIVE

Result = Literal["met", "not_met", "unknown"]
MET: Result = "met"
NOT_MET: Result = "not_met"
UNKNOWN: Result = "unknown"
Kind = Literal["inclusion", "exclusion"]
Verdict = Literal["eligible", "ineligible", "needs_review"]


# --------------------------------------------------------------------------
# Patient record
# --------------------------------------------------------------------------


def _reference(rtype: str, rid: str) -> str:
    # native ids may already be references ("Observation/o1")
    return rid if "/" in rid else f"{rtype}/{rid}"


@frozen
class Coding:
    """A code in a code system (FHIR Coding): system URI, code, display."""

    code: str
    system: str | None = None
    display: str | None = None


@frozen
class Quantity:
    """A measured amount with a UCUM unit code (None: the source gave no unit).

    ``comparator`` (``<``, ``<=``, ``>``, ``>=``): the amount is a bound, not a value
    (``<0.5`` mg/dL: below the assay's limit); the engine judges it as such.
    """

    value: float
    unit: str | None = None
    comparator: Literal["<", "<=", ">", ">="] | None = None


@frozen
class ReferenceRange:
    """One of an observation's own normal ranges (FHIR Observation.referenceRange).

    ``applies_to``: the population it is for (FHIR appliesTo: sex as administrative
    gender or SNOMED CT codes; anything else makes the range's applicability unknown);
    ``age_low``/``age_high``: ages in UCUM ``a``, ``mo``, ``wk`` or ``d``, both inclusive.
    A range with neither applies to everyone.
    """

    low: Quantity | None = None
    high: Quantity | None = None
    applies_to: tuple[Coding, ...] = ()
    age_low: Quantity | None = None
    age_high: Quantity | None = None


#: The FHIR resource types a Medication record may come as.
MEDICATION_RESOURCES = frozenset(
    {"MedicationStatement", "MedicationAdministration", "MedicationRequest", "MedicationDispense"})

#: An observation value: a number, boolean, text, Quantity or Coding.
Value = Union[Quantity, Coding, bool, int, float, str, None]  # noqa: UP007 - cattrs hooks key on this object


@frozen
class Observation:
    """A measurement or finding (labs, vital signs, scores, test results).

    ``date``: the calendar day it was taken, as written, when the source gives a day.
    ``effective``: the FHIR dateTime as written when it says more or less than a day
    (a time with its zone, or only a month or year; ``date`` is then None); the
    engine orders and places results by it (``_latest.py``).
    ``dated_by``: the resource whose date it took when it has no effective[x] of its own
    (``DiagnosticReport/cbc``, whose ``result`` lists it); evidence and reasons name it.
    """

    id: str
    codes: tuple[Coding, ...]
    value: Value = None
    date: dt.date | None = None
    reference_ranges: tuple[ReferenceRange, ...] = ()
    status: str | None = None
    effective: str | None = None
    dated_by: str | None = None

    @property
    def reference(self) -> str:
        """``Observation/id``, the resource this record came from (for evidence)."""
        return _reference("Observation", self.id)


@frozen
class Condition:
    """A diagnosis or problem. ``onset``..``abatement`` is the period it was present.

    ``text``: the words the source gave (CodeableConcept.text), kept so that a record
    no value set can judge is still shown as evidence.
    """

    id: str
    codes: tuple[Coding, ...]
    clinical_status: str | None = None
    verification_status: str | None = None
    onset: dt.date | None = None
    abatement: dt.date | None = None
    recorded: dt.date | None = None
    text: str | None = None
    #: The record says it abated but gives no day that can be read (abatementString, an Age
    #: without birthDate...), or its clinical status says it is over (inactive, remission,
    #: resolved) with no abatement at all: it is not ongoing, and its last day is not known.
    end_unknown: bool = False
    #: The last day ``onset`` may mean when the source gave only a month or year (``onset``
    #: is then its first day); None: ``onset`` is exact. Likewise ``recorded_latest``.
    onset_latest: dt.date | None = None
    #: The first day ``abatement`` may mean when the source gave only a month or year
    #: (``abatement`` is then its last day); None: ``abatement`` is exact.
    abatement_earliest: dt.date | None = None
    recorded_latest: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        # A resolved diagnosis with only an onset ended on some day between the two: taking
        # the onset as its last day would guess "not within the window" (e.g. a resolved AML of
        # 2015 and "AML within 5 years"), so its end is unknown, as for abatementString.
        if self.abatement is None and self.clinical_status is not None and self.clinical_status not in CLINICAL_ACTIVE:
            object.__setattr__(self, "end_unknown", True)

    @property
    def reference(self) -> str:
        """``Condition/id``, the resource this record came from (for evidence)."""
        return _reference("Condition", self.id)



@frozen
class Medication:
    """A medication taken, given or ordered (MedicationStatement/Administration/Request).

    ``source``: the FHIR resource type it came as (evidence names it; None reads as
    MedicationStatement). ``text``: the drug as the source wrote it, for records without
    a usable code (text only, an unresolved Medication reference).
    """

    id: str
    codes: tuple[Coding, ...]
    start: dt.date | None = None
    end: dt.date | None = None
    status: str | None = None
    source: str | None = None
    #: The product's ingredient codings (FHIR Medication.ingredient), when it was coded as a product.
    ingredients: tuple[Coding, ...] = ()
    text: str | None = None
    #: An effectivePeriod with a start and no end, or a course dated by one day (a
    #: MedicationStatement's effectiveDateTime, a MedicationRequest's authoredOn, a
    #: MedicationDispense without daysSupply): ongoing while the status says so (active,
    #: in-progress...), else ended on a day the record does not give.
    end_unknown: bool = False
    #: The last day ``start`` may mean, and the first day ``end`` may mean, when the source gave
    #: only a month or year (``start`` is then its first day, ``end`` its last); None: exact.
    start_latest: dt.date | None = None
    end_earliest: dt.date | None = None

    @property
    def reference(self) -> str:
        """``MedicationAdministration/id`` (its own type; MedicationStatement when unknown)."""
        return _reference(self.source if self.source in MEDICATION_RESOURCES else "MedicationStatement", self.id)


@frozen
class Procedure:
    """A procedure performed (surgery, transfusion, radiotherapy...)."""

    id: str
    codes: tuple[Coding, ...]
    date: dt.date | None = None
    end: dt.date | None = None
    status: str | None = None
    text: str | None = None
    #: A period with a start and no end (performedPeriod): ongoing while its status says so
    #: (in-progress, or none), else ended on a day the record does not give.
    end_unknown: bool = False
    #: The last day ``date`` may mean, and the first day ``end`` may mean, when the source gave
    #: only a month or year (``date`` is then its first day, ``end`` its last); None: exact.
    date_latest: dt.date | None = None
    end_earliest: dt.date | None = None

    @property
    def reference(self) -> str:
        """``Procedure/id``, the resource this record came from (for evidence)."""
        return _reference("Procedure", self.id)



@frozen
class Allergy:
    """An allergy or intolerance (FHIR AllergyIntolerance)."""

    id: str
    codes: tuple[Coding, ...]
    clinical_status: str | None = None
    verification_status: str | None = None
    date: dt.date | None = None
    text: str | None = None

    @property
    def reference(self) -> str:
        """``AllergyIntolerance/id``, the resource this record came from (for evidence)."""
        return _reference("AllergyIntolerance", self.id)



@frozen
class Immunization:
    """A vaccine given (FHIR Immunization, vaccineCode in CVX)."""

    id: str
    codes: tuple[Coding, ...]
    date: dt.date | None = None
    status: str | None = None
    text: str | None = None

    @property
    def reference(self) -> str:
        """``Immunization/id``, the resource this record came from (for evidence)."""
        return _reference("Immunization", self.id)



#: How a criterion's reason names a record set aside for its subject (the to-do list finds it so).
SET_ASIDE_PHRASE = "(set aside: its subject does not resolve to this patient)"


@frozen
class SetAside:
    """A record of the input not read as this patient's, because its subject does not
    resolve to them (given only by identifier, a contained Patient, another patient's
    reference, no subject at all).

    ``content``: what the record would add to the patient's record were it theirs; the
    evaluator asks whether that would change a criterion (README, "Records set aside").
    Not part of the JSON, which shows ``resource`` and ``reason``.
    """

    resource: str
    reason: str
    content: PatientRecord | None = field(default=None, repr=False)


@frozen
class PatientRecord:
    """Everything the engine knows of one patient.

    ``attestations`` maps a criterion id (or ``trial:criterion``) to True (the
    criterion is met) or False, as a person attested it. ``warnings`` are input
    problems that did not stop the record from being read (a Quantity without a
    unit...): the CLI prints them, and the data they concern is unusable.
    ``set_aside``: records of the input whose subject could not be resolved to this
    patient; each screening result lists them.
    """

    id: str
    birth_date: dt.date | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    observations: tuple[Observation, ...] = ()
    conditions: tuple[Condition, ...] = ()
    medications: tuple[Medication, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    allergies: tuple[Allergy, ...] = ()
    immunizations: tuple[Immunization, ...] = ()
    attestations: dict[str, bool] = field(factory=dict)
    source: str | None = field(default=None, eq=False)
    warnings: tuple[str, ...] = field(default=(), eq=False)
    set_aside: tuple[SetAside, ...] = ()


# --------------------------------------------------------------------------
# Rule trees
# --------------------------------------------------------------------------


@frozen
class Window:
    """A look-back period ending on the as-of date (inclusive at both ends).

    ``half_lives``: for drugs, the window is the shorter of the stated period and
    this many half-lives of the drug (when the value set knows its half-life).
    """

    days: int | None = None
    weeks: int | None = None
    months: int | None = None
    years: int | None = None
    half_lives: float | None = None


@frozen
class AllOf:
    parts: tuple[Rule, ...]


@frozen
class AnyOf:
    parts: tuple[Rule, ...]


@frozen
class Not:
    part: Rule


@frozen
class AtLeast:
    n: int
    of: tuple[Rule, ...]


@frozen
class If:
    condition: Rule
    then: Rule
    else_: Rule


@frozen
class Const:
    result: Result
    reason: str = ""


@frozen
class Sex:
    sex: Literal["female", "male"]


@frozen
class Comparison:
    """``op value unit`` or ``op uln``/``lln`` multiple, or a coded/text/boolean match."""

    op: str | None = None
    value: float | None = None
    unit: str | None = None
    uln: float | None = None
    lln: float | None = None
    result_in: tuple[str, ...] = ()
    text_in: tuple[str, ...] = ()
    equals: bool | None = None


@frozen
class Measurement:
    concept: str
    comparison: Comparison
    window: Window | None = None
    use: Literal["latest", "any", "all"] = "latest"


@frozen
class Derived:
    function: str
    comparison: Comparison
    args: dict[str, Any] = field(factory=dict)


@frozen
class RecordSearch:
    """Find conditions, medications, procedures, immunizations or allergies."""

    record: Literal["condition", "medication", "procedure", "immunization", "allergy"]
    valuesets: tuple[str, ...]
    if_absent: Result
    exclude: tuple[str, ...] = ()
    status: Literal["active", "any"] = "any"
    window: Window | None = None
    min_count: int = 1
    #: Wider value sets of an open list ("such as"): their other members make the search unknown.
    open_list: tuple[str, ...] = ()
    #: Conditions: "period" (the record overlaps the window) or "diagnosis" (its onset is in it).
    dated_by: Literal["period", "diagnosis"] = "period"


@frozen
class Attestation:
    id: str | None = None


Rule = Union[  # noqa: UP007 - cattrs hooks key on this object
    AllOf, AnyOf, Not, AtLeast, If, Const, Sex, Measurement, Derived, RecordSearch, Attestation
]


# --------------------------------------------------------------------------
# Trials
# --------------------------------------------------------------------------


@frozen
class CodeEntry:
    system: str
    code: str
    prefix: bool = False
    display: str | None = None
    half_life_hours: float | None = None
    #: CPT: the last code of a range starting at ``code`` (inclusive).
    to: str | None = None


@frozen
class ValueSet:
    name: str
    codes: tuple[CodeEntry, ...] = ()
    title: str | None = None
    exclude: tuple[CodeEntry, ...] = ()
    include: tuple[str, ...] = ()
    molar_mass: float | None = None
    #: Equivalents per mole (the ion's charge): lets meq/L and mmol/L convert.
    valence: float | None = None
    unit: str | None = None
    #: Where the codes come from (published value sets, code-system releases, checked lists).
    source: str | None = None
    #: Why the set lacks a code system a set of its kind should cover (docs/rule-language.md).
    coverage_reason: str | None = None
    #: Systems judged although no code is listed in them (a code there is not a member).
    covers: tuple[str, ...] = ()


@frozen
class Criterion:
    id: str
    kind: Kind
    text: str
    rule: Rule | None = None
    reference: str | None = None
    decided_by: Literal["data", "person", "data_and_person"] = "data"
    note: str | None = None
    combine: Literal["all", "any"] | None = None
    criteria: tuple[Criterion, ...] = ()

    def walk(self) -> list[Criterion]:
        """This criterion and every sub-criterion, depth first."""
        out = [self]
        for c in self.criteria:
            out.extend(c.walk())
        return out


# --------------------------------------------------------------------------
# Arms (arms.yaml): typed so that the core planner, not each plugin, turns them
# into doses, dates and windows (trialrules/arms.py; docs/arms.md).
# --------------------------------------------------------------------------


@frozen
class Dose:
    """A dose per administration: ``value`` ``unit`` per administration, per kg or per m² BSA.

    ``value`` None: the protocol does not state it (the planner asks for ``--param dose=``).
    """

    value: float | None = None
    unit: str | None = None
    per: Literal["administration", "kg", "m2"] = "administration"


@frozen
class WeeklySchedule:
    """``per_week`` administrations a week on ``weekdays``, ``doses`` in all.

    Dose 1 is on the first-dose date even off the pattern; each later dose is on
    the next pattern day after the previous one.
    """

    per_week: int
    doses: int
    weekdays: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = ()


@frozen
class CycleSchedule:
    """``count`` cycles of ``length_days``, dosing on ``days`` of each cycle (Day 1 = cycle start)."""

    length_days: int
    count: int
    days: tuple[int, ...] = (1,)


@frozen
class Schedule:
    """When an arm's administrations fall: exactly one of study ``days``, ``weekly`` or ``cycles``."""

    days: tuple[int, ...] = ()
    weekly: WeeklySchedule | None = None
    cycles: CycleSchedule | None = None


@frozen
class DoseAnchor:
    """A point counted from an administration: dose ``dose`` (1-based or ``last``) plus a length.

    The end of "N days after dose D" is the day of dose D plus N days, inclusive
    (the reading that catches more safety events; docs/arms.md).
    """

    dose: int | Literal["last"] = 1
    days: int | None = None
    weeks: int | None = None
    months: int | None = None
    years: int | None = None


@frozen
class ArmWindow:
    """An observation window from one dose anchor to another (both days inclusive)."""

    id: str
    title: str
    start: DoseAnchor = DoseAnchor()
    end: DoseAnchor = DoseAnchor()


@frozen
class GroupSize:
    min: int
    max: int


@frozen
class Container:
    """What a dose is dispensed in (a bag, a vial) and how much one holds, as a range."""

    name: str
    holds_min: float
    holds_max: float
    unit: str | None = None


@frozen
class Component:
    """Another intervention given in the arm (lymphodepletion, an antibody, chemotherapy)."""

    name: str
    dose: Dose | None = None
    note: str | None = None


@frozen
class Arm:
    id: str
    title: str
    description: str | None = None
    intervention: str | None = None
    route: str | None = None
    dose: Dose | None = None
    schedule: Schedule | None = None
    group_size: GroupSize | None = None
    components: tuple[Component, ...] = ()
    windows: tuple[ArmWindow, ...] = ()
    container: Container | None = None
    #: Fields that are readings or assumptions, not protocol text (``route``, ``dose.per``, ...).
    assumed: tuple[str, ...] = ()
    note: str | None = None


@frozen
class Escalation:
    """How the trial moves between dose levels (arms in ``dose_order``)."""

    dose_order: tuple[str, ...]
    design: Literal["3+3", "boin", "committee"] = "committee"
    cohort_size: int | None = None
    target_patients: int | None = None
    review: str | None = None
    assumed: tuple[str, ...] = ()


@frozen
class OutcomeDefinition:
    id: str
    title: str
    time_frame: str
    kind: Literal["primary", "secondary", "other"] = "secondary"
    description: str | None = None
    computation: str | None = None
    parameters: dict[str, Any] = field(factory=dict)


@frozen
class Trial:
    id: str
    version: str
    title: str
    criteria: tuple[Criterion, ...]
    aliases: tuple[str, ...] = ()
    protocol: dict[str, Any] = field(factory=dict)
    notes: tuple[str, ...] = ()
    valuesets: tuple[ValueSet, ...] = ()
    arms: tuple[Arm, ...] = ()
    escalation: Escalation | None = None
    arm_notes: tuple[str, ...] = ()
    outcome_notes: tuple[str, ...] = ()
    outcomes: tuple[OutcomeDefinition, ...] = ()
    plugin: str | None = field(default=None, eq=False)
    rules_dir: str | None = field(default=None, eq=False)

    @property
    def label(self) -> str:
        """``id@version``, the way errors name a trial."""
        return f"{self.id}@{self.version}"


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@frozen
class Evidence:
    """One datum a verdict rests on: which resource, what value, when.

    ``dated_by``: the resource the date comes from when it is not ``resource`` itself
    (an Observation dated by its DiagnosticReport); in JSON only when set.
    """

    resource: str | None
    value: Any = None
    unit: str | None = None
    date: dt.date | None = None
    dated_by: str | None = None


@frozen
class CriterionResult:
    id: str
    kind: Kind
    text: str
    result: Result
    reason: str
    evidence: tuple[Evidence, ...] = ()
    criteria: tuple[CriterionResult, ...] = ()


@frozen
class InputFailure:
    """An input that could not be read (CONTRACT.md section 4)."""

    input: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "error": self.error}


def evolve(inst: Any, **changes: Any) -> Any:
    """attrs.evolve, re-exported for plugins."""
    return attrs.evolve(inst, **changes)
