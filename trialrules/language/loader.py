"""
Load a trial's rules directory: parse, validate against the schema, check the
meaning (names that resolve, units that convert, unique ids), then structure it
into a ``Trial``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import cattrs

from trialrules.errors import RuleFileError, UnitError, clip
from trialrules.language import schema, units
from trialrules.language.converters import converter
from trialrules.language.models import (
    Arm,
    Criterion,
    Escalation,
    OutcomeDefinition,
    Trial,
    ValueSet,
)
from trialrules.language.registry import Registry
from trialrules.language.safe_yaml import Path_, YAMLProblem, json_path, load_with_positions, read_text
from trialrules.language.schema import RuleProblem
from trialrules.language.suggest import did_you_mean
from trialrules.limits import MAX_WINDOW_DAYS

_DEFS = "trial-rules.schema.json#/$defs/"
_SEARCH_NODES = ("condition", "medication", "procedure", "immunization", "allergy")


class _File:
    """One parsed rule file with the positions of its values."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.data: Any = None
        self.positions: dict[Path_, tuple[int, int]] = {}

    def problem(self, at: Path_, message: str) -> RuleProblem:
        pos = None
        probe = at
        while pos is None and probe:
            pos = self.positions.get(probe)
            probe = probe[:-1]
        pos = pos or self.positions.get(()) or (1, 1)
        return RuleProblem(self.display, pos[0], pos[1], json_path(at), message)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_file(path: Path, ref: str, problems: list[RuleProblem], inside: Path | None = None) -> _File | None:
    """Parse and schema-check one file; add its problems; None if unusable.

    With ``inside`` (a rules directory), a file that resolves outside it (a symbolic
    link out of the plugin) is not read: its content is never parsed nor echoed.
    """
    f = _File(path, _display(path))
    if inside is not None and not _within(path, inside):
        problems.append(RuleProblem(f.display, None, None, "$", "is a symbolic link to a file outside "
                                    "the trial's rules directory; not read"))
        return None
    try:
        f.data, f.positions = load_with_positions(read_text(path))
    except YAMLProblem as exc:
        problems.append(RuleProblem(f.display, exc.line, exc.column, "$", f"not valid YAML: {exc.message}"))
        return None
    found = schema.check(f.data, _DEFS + ref, f.display, f.positions)
    problems.extend(found)
    if not found:
        _check_windows(f, f.data, (), problems)
    return None if found else f


def _within(path: Path, directory: Path) -> bool:
    try:
        return path.resolve().is_relative_to(directory.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


_DAYS_PER = {"days": 1, "weeks": 7, "months": 31, "years": 366}


def _check_windows(f: _File, data: Any, at: Path_, problems: list[RuleProblem]) -> None:
    """A duration (days/weeks/months/years) longer than MAX_WINDOW_DAYS is an error:
    no protocol means it, and date arithmetic on it leaves the calendar."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _DAYS_PER and isinstance(value, int) and not isinstance(value, bool) \
                    and abs(value) * _DAYS_PER[key] > MAX_WINDOW_DAYS:
                problems.append(f.problem(at + (key,), f"{value} {key} is longer than trialrules reads "
                                          f"({MAX_WINDOW_DAYS // 366} years)"))
            else:
                _check_windows(f, value, at + (key,), problems)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_windows(f, value, at + (i,), problems)


def rule_files(rules_dir: Path) -> Iterator[tuple[Path, str]]:
    """Every file of a rules directory with the schema definition it must meet."""
    yield rules_dir / "trial.yaml", "trialFile"
    vs_dir = rules_dir / "valuesets"
    if (rules_dir / "valuesets.yaml").exists():
        yield rules_dir / "valuesets.yaml", "valuesetFile"
    if vs_dir.is_dir():
        for p in sorted(vs_dir.glob("*.y*ml")) + sorted(vs_dir.glob("*.json")):
            yield p, "valuesetFile"
    for kind in ("inclusion", "exclusion"):
        d = rules_dir / "criteria" / kind
        if d.is_dir():
            for p in sorted(d.glob("*.y*ml")) + sorted(d.glob("*.json")):
                yield p, "criterionFile"
    for name, ref in (("arms.yaml", "armsFile"), ("outcomes.yaml", "outcomesFile")):
        if (rules_dir / name).exists():
            yield rules_dir / name, ref


def load_trial(rules_dir: Path, registry: Registry | None = None, *, plugin: str | None = None) -> Trial:
    """Load and validate a trial; raise RuleFileError listing every problem."""
    registry = registry or Registry()
    problems: list[RuleProblem] = []
    if not (rules_dir / "trial.yaml").exists():
        raise RuleFileError(str(rules_dir), [RuleProblem(_display(rules_dir), None, None, "$", "no trial.yaml in this rules directory")])
    files = [(p, ref, parse_file(p, ref, problems, rules_dir)) for p, ref in rule_files(rules_dir)]
    if problems:
        raise RuleFileError(problems[0].file, problems)
    trial_file = files[0][2]
    assert trial_file is not None
    valueset_files = [f for _, ref, f in files if ref == "valuesetFile" and f]
    criterion_files = [f for _, ref, f in files if ref == "criterionFile" and f]
    arms_file = next((f for _, ref, f in files if ref == "armsFile" and f), None)
    outcomes_file = next((f for _, ref, f in files if ref == "outcomesFile" and f), None)

    own_sets: dict[str, tuple[dict[str, Any], _File, int]] = {}
    for f in valueset_files:
        for i, vs in enumerate(f.data):
            if vs["name"] in own_sets:
                problems.append(f.problem((i, "name"), f"duplicate value set {vs['name']!r} (also in {own_sets[vs['name']][1].display})"))
            own_sets[vs["name"]] = (vs, f, i)
    shared = {name: vs for name, (vs, _) in registry.valuesets.items()}
    known_sets = set(shared) | set(own_sets)
    checker = _RuleChecker(known_sets, shared, own_sets, registry, problems)
    for vs, f, i in own_sets.values():
        for j, inc in enumerate(vs.get("include", [])):
            if inc not in known_sets:
                problems.append(f.problem((i, "include", j), _unknown("value set", inc, known_sets)))
        if isinstance(vs.get("unit"), str):
            checker.unit(f, vs["unit"], (i, "unit"))
    seen_ids: dict[str, str] = {}
    criteria: list[Criterion] = []
    for f in criterion_files:
        kind = f.path.parent.name
        data = f.data
        if data.get("kind", kind) != kind:
            problems.append(f.problem(("kind",), f"kind {data['kind']!r} but the file is under criteria/{kind}/"))
        stem = f.path.stem
        if data["id"] != stem:
            problems.append(f.problem(("id",), f"id {data['id']!r} differs from the file name {stem!r}"))
        checker.criterion(f, data, (), seen_ids)
        criteria.append(_structure_criterion(data, kind))
    all_ids = set(seen_ids)
    for f, at, ref_id in checker.attestation_refs:
        if ref_id not in all_ids:
            problems.append(f.problem(at, _unknown("criterion", ref_id, all_ids)))

    if arms_file is not None:
        _check_arms(arms_file, problems)
    if problems:
        raise RuleFileError(problems[0].file, problems)
    meta = trial_file.data
    try:
        valuesets = tuple(converter.structure(vs, ValueSet) for vs, _, _ in own_sets.values())
        arms = tuple(converter.structure(_arm_data(a), Arm) for a in (arms_file.data["arms"] if arms_file else []))
        escalation_data = arms_file.data.get("escalation") if arms_file else None
        escalation = None if escalation_data is None else converter.structure(escalation_data, Escalation)
        outcomes = tuple(
            converter.structure(o, OutcomeDefinition) for o in (outcomes_file.data["outcomes"] if outcomes_file else [])
        )
    except cattrs.BaseValidationError as exc:
        msgs = cattrs.transform_error(exc)
        raise RuleFileError(str(rules_dir), [RuleProblem(_display(rules_dir), None, None, "$", m) for m in msgs]) from None
    return Trial(
        id=meta["id"],
        version=meta["version"],
        title=meta["title"],
        criteria=tuple(sorted(criteria, key=lambda c: c.kind != "inclusion")),
        aliases=tuple(meta.get("aliases", [])),
        protocol=dict(meta.get("protocol", {})),
        notes=tuple(meta.get("notes", [])),
        valuesets=valuesets,
        arms=arms,
        escalation=escalation,
        arm_notes=tuple(arms_file.data.get("notes", []) if arms_file else ()),
        outcome_notes=tuple(outcomes_file.data.get("notes", []) if outcomes_file else ()),
        outcomes=outcomes,
        plugin=plugin,
        rules_dir=str(rules_dir),
    )


#: What checking a criterion file outside a rules directory cannot cover.
LONE_FILE_SKIPPED = ("value sets of its own trial (a name must be one installed plugins share), "
                     "attestation ids of other criteria, and the kind given by its directory")


def check_criterion_file(path: Path, registry: Registry) -> list[RuleProblem]:
    """Every problem of a criterion file outside a rules directory: schema, then
    meaning against what installed plugins share (value sets, functions), units
    and windows. What cannot be checked alone is LONE_FILE_SKIPPED."""
    problems: list[RuleProblem] = []
    f = parse_file(path, "criterionFile", problems)
    if f is None:
        return problems
    shared = {name: vs for name, (vs, _) in registry.valuesets.items()}
    checker = _RuleChecker(set(shared), shared, {}, registry, problems)
    checker.criterion(f, f.data, (), {})
    return problems


def _arm_data(a: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(a)
    data["windows"] = [
        {"id": w["id"], "title": w["title"], "start": w["from"], "end": w["until"]} for w in a.get("windows", [])
    ]
    return data


def _doses_in(schedule: Mapping[str, Any] | None) -> int | None:
    """How many administrations a schedule gives (None: not stated)."""
    if not schedule:
        return None
    if "days" in schedule:
        return len(schedule["days"])
    if "weekly" in schedule:
        return int(schedule["weekly"]["doses"])
    cycles = schedule["cycles"]
    return int(cycles["count"]) * len(cycles.get("days", [1]))


def _check_arms(f: _File, problems: list[RuleProblem]) -> None:
    """Meaning of arms.yaml beyond its schema: units, anchors, escalation order."""
    arm_ids: set[str] = set()
    for i, arm in enumerate(f.data["arms"]):
        at: Path_ = ("arms", i)
        if arm["id"] in arm_ids:
            problems.append(f.problem(at + ("id",), f"duplicate arm id {arm['id']!r}"))
        arm_ids.add(arm["id"])
        doses = [(at + ("dose",), arm.get("dose"))] + [
            (at + ("components", j, "dose"), c.get("dose")) for j, c in enumerate(arm.get("components", []))
        ]
        for where, dose in doses:
            if dose and dose.get("unit"):
                try:
                    units.parse(dose["unit"])
                except (UnitError, ArithmeticError, ValueError) as exc:  # any failure is the file's problem
                    problems.append(f.problem(where + ("unit",), f"unit {dose['unit']!r}: {exc}"))
        schedule = arm.get("schedule")
        weekly = (schedule or {}).get("weekly")
        if weekly and weekly.get("weekdays") and len(weekly["weekdays"]) != weekly["per_week"]:
            problems.append(f.problem(at + ("schedule", "weekly", "weekdays"),
                                      f"{len(weekly['weekdays'])} weekdays for {weekly['per_week']} administrations a week"))
        cycles = (schedule or {}).get("cycles")
        if cycles and max(cycles.get("days", [1])) > cycles["length_days"]:
            problems.append(f.problem(at + ("schedule", "cycles", "days"), "a dosing day falls after the end of its cycle"))
        count = _doses_in(schedule)
        for j, w in enumerate(arm.get("windows", [])):
            for end in ("from", "until"):
                which = w[end]["dose"]
                if which != "last" and count is not None and which > count:
                    problems.append(f.problem(at + ("windows", j, end, "dose"),
                                              f"dose {which}, but the schedule gives {count} administrations"))
        size = arm.get("group_size")
        if size and size["min"] > size["max"]:
            problems.append(f.problem(at + ("group_size",), "group_size min is larger than max"))
        container = arm.get("container")
        if container and container["holds_min"] > container["holds_max"]:
            problems.append(f.problem(at + ("container",), "container holds_min is larger than holds_max"))
    escalation = f.data.get("escalation")
    for j, arm_id in enumerate((escalation or {}).get("dose_order", [])):
        if arm_id not in arm_ids:
            problems.append(f.problem(("escalation", "dose_order", j), _unknown("arm", arm_id, arm_ids)))


def _structure_criterion(data: Mapping[str, Any], kind: str) -> Criterion:
    return converter.structure(_structure_criterion_data(data, kind), Criterion)


def _structure_criterion_data(data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    # Sub-criteria inherit the kind of the file's directory.
    filled = dict(data)
    filled["kind"] = kind
    filled["criteria"] = [_structure_criterion_data(c, kind) for c in data.get("criteria", [])]
    return filled


def _convertible(source: str, target: str, molar_mass: Any, valence: Any = None) -> bool:
    try:
        return units.is_convertible(source, target, molar_mass, valence)
    except (ArithmeticError, ValueError, RecursionError):
        return False


def _unknown(what: str, name: str, known: set[str]) -> str:
    message = f"unknown {what} {name!r}"
    return message + did_you_mean(name, known)


class _RuleChecker:
    """Semantic checks of criteria and their rule trees, with positions."""

    def __init__(
        self,
        known_sets: set[str],
        shared: Mapping[str, ValueSet],
        own_sets: Mapping[str, tuple[dict[str, Any], _File, int]],
        registry: Registry,
        problems: list[RuleProblem],
    ) -> None:
        self.known_sets = known_sets
        self.shared = shared
        self.own_sets = own_sets
        self.registry = registry
        self.problems = problems
        self.attestation_refs: list[tuple[_File, Path_, str]] = []

    def _set_attr(self, name: str, attr: str) -> Any:
        if name in self.own_sets:
            return self.own_sets[name][0].get(attr)
        vs = self.shared.get(name)
        return getattr(vs, attr, None) if vs else None

    def criterion(self, f: _File, data: Mapping[str, Any], at: Path_, seen: dict[str, str]) -> None:
        cid = data["id"]
        if cid in seen:
            self.problems.append(f.problem(at + ("id",), f"duplicate criterion id {cid!r} (first in {seen[cid]})"))
        seen[cid] = f.display
        if "rule" in data:
            self.rule(f, data["rule"], at + ("rule",))
        for i, child in enumerate(data.get("criteria", [])):
            self.criterion(f, child, at + ("criteria", i), seen)

    def rule(self, f: _File, node: Mapping[str, Any], at: Path_) -> None:
        ((key, body),) = node.items()
        here = at + (key,)
        if key in ("all", "any"):
            for i, part in enumerate(body):
                self.rule(f, part, here + (i,))
        elif key == "not":
            self.rule(f, body, here)
        elif key == "at_least":
            if body["n"] > len(body["of"]):
                self.problems.append(f.problem(here + ("n",), f"n = {body['n']} but only {len(body['of'])} rules are given"))
            for i, part in enumerate(body["of"]):
                self.rule(f, part, here + ("of", i))
        elif key == "if":
            for part in ("condition", "then", "else"):
                self.rule(f, body[part], here + (part,))
        elif key == "measurement":
            self.measurement(f, body, here)
        elif key == "derived":
            name = body["function"]
            if name not in self.registry.functions:
                self.problems.append(f.problem(here + ("function",), _unknown("function", name, set(self.registry.functions))))
            if "unit" in body:
                self.unit(f, body["unit"], here + ("unit",))
        elif key in _SEARCH_NODES:
            for field_name in ("valueset", "exclude", "open_list"):
                names = body.get(field_name)
                for i, name in enumerate([names] if isinstance(names, str) else (names or [])):
                    sub = here + (field_name,) if isinstance(names, str) else here + (field_name, i)
                    self.valueset(f, name, sub)
            window = body.get("window") or {}
            if window.get("half_lives") and key != "medication":
                self.problems.append(f.problem(here + ("window", "half_lives"), "half_lives applies to medication windows only"))
        elif key == "attestation" and body and body.get("id"):
            self.attestation_refs.append((f, here + ("id",), body["id"]))

    def valueset(self, f: _File, name: str, at: Path_) -> bool:
        if name not in self.known_sets:
            self.problems.append(f.problem(at, _unknown("value set", name, self.known_sets)))
            return False
        return True

    def unit(self, f: _File, code: str, at: Path_) -> bool:
        try:
            units.parse(code)
        except UnitError as exc:
            self.problems.append(f.problem(at, str(exc)))
            return False
        except (ArithmeticError, ValueError, RecursionError) as exc:  # a unit the parser could not take
            self.problems.append(f.problem(at, f"unit {clip(repr(code))} cannot be used ({type(exc).__name__})"))
            return False
        return True

    def measurement(self, f: _File, body: Mapping[str, Any], at: Path_) -> None:
        concept = body["concept"]
        if not self.valueset(f, concept, at + ("concept",)):
            return
        names = body.get("result_in")
        for i, name in enumerate([names] if isinstance(names, str) else (names or [])):
            self.valueset(f, name, at + ("result_in",) if isinstance(names, str) else at + ("result_in", i))
        has_limit = sum(k in body for k in ("value", "uln", "lln"))
        if "op" in body and has_limit != 1:
            self.problems.append(f.problem(at + ("op",), "a comparison needs exactly one of value, uln, lln"))
        if "unit" in body and ("uln" in body or "lln" in body):
            self.problems.append(f.problem(at + ("unit",), "a ×ULN/×LLN limit takes its unit from the reference range: remove unit"))
        if "unit" in body and self.unit(f, body["unit"], at + ("unit",)):
            canonical = self._set_attr(concept, "unit")
            molar = self._set_attr(concept, "molar_mass")
            valence = self._set_attr(concept, "valence")
            if canonical and not _convertible(canonical, body["unit"], molar, valence):
                self.problems.append(
                    f.problem(at + ("unit",), f"unit {body['unit']!r} cannot be converted from {concept}'s unit {canonical!r}")
                )
