"""
The project's one cattrs converter.

It structures rule files and patient records (after schema validation) and
serialises screening results to the JSON of CONTRACT.md (``screening_result_to_dict``). cattrs' global converter is
never used: this one forbids extra keys and reports every problem with its path.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from trialrules.language.models import (
    AllOf,
    AnyOf,
    AtLeast,
    Attestation,
    Coding,
    Comparison,
    Const,
    CriterionResult,
    Derived,
    DoseAnchor,
    Evidence,
    If,
    Measurement,
    Not,
    Observation,
    Quantity,
    RecordSearch,
    Rule,
    Sex,
    Value,
    Window,
)

if TYPE_CHECKING:  # annotations only: results.py calls this module, not the other way round
    from trialrules.results import ScreeningResult

converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)

# -- dates ----------------------------------------------------------------


def _structure_date(value: Any, _: type) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


converter.register_structure_hook(dt.date, _structure_date)
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())

# A dose anchor's ``dose`` is a number or "last" (schema-checked before this runs).
converter.register_structure_hook(DoseAnchor, lambda data, _: DoseAnchor(**data))

# -- observation values ---------------------------------------------------


def _structure_value(value: Any, _: Any) -> Value:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        if "code" in value:
            return converter.structure(value, Coding)
        if "value" in value:
            return converter.structure(value, Quantity)
    raise ValueError(f"{value!r} is not a number, boolean, text, Quantity or Coding")


def _unstructure_value(value: Value) -> Any:
    if isinstance(value, (Quantity, Coding)):
        return converter.unstructure(value)
    return value


converter.register_structure_hook(Value, _structure_value)
converter.register_unstructure_hook(Value, _unstructure_value)


def _structure_observation(data: Any, cls: type) -> Observation:
    if isinstance(data, dict):
        data = dict(data)
        if "code" in data:
            data.setdefault("codes", [data.pop("code")])
        if "reference_range" in data:  # the single-range form native records first had
            single = data.pop("reference_range")
            data.setdefault("reference_ranges", [] if single is None else [single])
        date = data.get("date")
        if isinstance(date, str) and len(date) > 10 and not data.get("effective"):
            data["effective"] = date  # a time (and zone) orders results within a day
    return _observation_default(data, cls)  # type: ignore[no-any-return]


_observation_default = converter.gen_structure_attrs_fromdict(Observation)
converter.register_structure_hook(Observation, _structure_observation)

# -- results --------------------------------------------------------------


# optional fields added after CONTRACT.md's shape appear only when set (the shape only grows)
converter.register_unstructure_hook(
    Evidence, make_dict_unstructure_fn(Evidence, converter, dated_by=override(omit_if_default=True))
)
_criterion_result_default = make_dict_unstructure_fn(
    CriterionResult, converter, criteria=override(omit_if_default=True)
)
converter.register_unstructure_hook(CriterionResult, _criterion_result_default)


# Written out by hand: every result of a batch passes here, and cattrs' generated functions
# cost 4-10 % of a screening (issue 19). The output is exactly what the cattrs hook above
# gives (tests/test_converters.py checks it on every example patient of every trial).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    """One piece of evidence as JSON (a value that is not a plain scalar through the converter)."""
    value = evidence.value
    if type(value) not in _PLAIN:
        value = converter.unstructure(value)
    day = evidence.date
    out = {"resource": evidence.resource, "value": value, "unit": evidence.unit,
           "date": None if day is None else day.isoformat()}
    if evidence.dated_by is not None:  # a compatible addition: only when another resource dates it
        out["dated_by"] = evidence.dated_by
    return out


def criterion_result_to_dict(result: CriterionResult) -> dict[str, Any]:
    """One criterion's result as JSON (``criteria`` left out when it has none)."""
    out: dict[str, Any] = {
        "id": result.id, "kind": result.kind, "text": result.text, "result": result.result,
        "reason": result.reason, "evidence": [evidence_to_dict(e) for e in result.evidence],
    }
    if result.criteria != ():
        out["criteria"] = [criterion_result_to_dict(c) for c in result.criteria]
    return out


def screening_result_to_dict(result: ScreeningResult) -> dict[str, Any]:
    """The JSON object of CONTRACT.md section 2 for one screening result (keys in this
    order; the compiled trial in ``result.definition`` is not part of it)."""
    out: dict[str, Any] = {
        "patient": result.patient,
        "trial": result.trial,
        "as_of": result.as_of.isoformat(),
        "verdict": result.verdict,
        "criteria": [criterion_result_to_dict(c) for c in result.criteria],
    }
    if result.set_aside:  # a compatible addition: present only when records were set aside
        out["set_aside"] = [{"resource": s.resource, "reason": s.reason} for s in result.set_aside]
    return out

# -- rules ----------------------------------------------------------------

_COMPARISON_KEYS = ("op", "value", "unit", "uln", "lln", "result_in", "text_in", "equals")


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _comparison(body: dict[str, Any]) -> Comparison:
    data = {k: body[k] for k in _COMPARISON_KEYS if k in body}
    for key in ("result_in", "text_in"):
        if key in data:
            data[key] = list(_names(data[key]))
    return converter.structure(data, Comparison)


def _window(body: dict[str, Any]) -> Window | None:
    raw = body.get("window")
    return None if raw is None else converter.structure(raw, Window)


def structure_rule(data: Any) -> Rule:
    """Build a rule tree from its (schema-valid) mapping form."""
    ((key, body),) = data.items()
    if key == "all":
        return AllOf(tuple(structure_rule(p) for p in body))
    if key == "any":
        return AnyOf(tuple(structure_rule(p) for p in body))
    if key == "not":
        return Not(structure_rule(body))
    if key == "at_least":
        return AtLeast(int(body["n"]), tuple(structure_rule(p) for p in body["of"]))
    if key == "if":
        return If(
            structure_rule(body["condition"]),
            structure_rule(body["then"]),
            structure_rule(body["else"]),
        )
    if key == "const":
        return Const(body["result"], body.get("reason", ""))
    if key == "sex":
        return Sex(body)
    if key == "measurement":
        return Measurement(
            concept=body["concept"],
            comparison=_comparison(body),
            window=_window(body),
            use=body.get("use", "latest"),
        )
    if key == "derived":
        return Derived(
            function=body["function"], comparison=_comparison(body), args=dict(body.get("args") or {})
        )
    if key in ("condition", "medication", "procedure", "immunization", "allergy"):
        return RecordSearch(
            record=key,
            valuesets=_names(body["valueset"]),
            if_absent=body["if_absent"],
            exclude=_names(body.get("exclude")),
            status=body.get("status", "any"),
            window=_window(body),
            min_count=int(body.get("min_count", 1)),
            open_list=_names(body.get("open_list")),
            dated_by=body.get("dated_by", "period"),
        )
    if key == "attestation":
        return Attestation((body or {}).get("id"))
    raise ValueError(f"unknown rule node {key!r}")


_RULE_TYPES = (Rule, Rule | None)
converter.register_structure_hook_func(
    lambda t: t in _RULE_TYPES,
    lambda data, _: None if data is None else structure_rule(data),
)
