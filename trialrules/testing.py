"""
A pytest plugin that runs trials' YAML rule cases (OpenFisca-style).

Enable it in a plugin's ``tests/conftest.py`` with
``from trialrules.testing import pytest_collect_file, pytest_terminal_summary``
(conftest-local hooks work in nested conftests, where ``pytest_plugins`` may not
be used), or with ``-p trialrules.testing``. It collects YAML files under a
``cases`` directory, runs each case through the
installed engine, reports a failure by file and case name, and ends with the
criterion coverage: which criteria no case drove to met, not_met or unknown.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trialrules.api import Engine
from trialrules.inputs.native import structure_record
from trialrules.language import schema
from trialrules.language.models import (
    MET,
    NOT_MET,
    UNKNOWN,
    AllOf,
    AnyOf,
    AtLeast,
    Const,
    Criterion,
    CriterionResult,
    If,
    Not,
    PatientRecord,
    RecordSearch,
    Rule,
)
from trialrules.language.safe_yaml import YAMLProblem, load_with_positions

_ENGINE: Engine | None = None
#: trial id -> criterion id -> results seen in any case
_COVERAGE: dict[str, dict[str, set[str]]] = {}


def engine() -> Engine:
    """One engine per test session (plugins load once)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


class CaseFailure(Exception):
    """A case whose results differ from its expected output."""


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and "cases" in file_path.parts:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    """A YAML file of cases for one trial."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            data, positions = load_with_positions(self.path.read_text(encoding="utf-8"))
        except YAMLProblem as exc:
            raise CaseFailure(f"{self.path}:{exc.line}:{exc.column}: not valid YAML: {exc.message}") from None
        problems = schema.check(data, "test-case.schema.json", str(self.path), positions)
        if problems:
            raise CaseFailure("\n".join(str(p) for p in problems))
        for i, case in enumerate(data["cases"]):
            item = Case.from_parent(self, name=case["name"], case=case, document=data,
                                    line=positions.get(("cases", i), (0, 0))[0])
            if case.get("skip"):
                item.add_marker(pytest.mark.skip(reason=str(case["skip"])))
            yield item


def _find(results: tuple[CriterionResult, ...], cid: str) -> CriterionResult | None:
    for r in results:
        if r.id == cid:
            return r
        inner = _find(r.criteria, cid)
        if inner is not None:
            return inner
    return None


def build_record(case: dict[str, Any], patients: dict[str, Any]) -> dict[str, Any]:
    """The case's patient record: its whole ``input``, or a base with changes."""
    given = case["input"]
    if "base" not in given:
        return copy.deepcopy(given)
    base = given["base"]
    if base not in patients:
        raise CaseFailure(f"unknown base patient {base!r}; defined: {', '.join(patients) or 'none'}")
    record = copy.deepcopy(patients[base])
    remove = set(given.get("remove", []))
    for key, value in record.items():
        if isinstance(value, list):
            record[key] = [r for r in value if not (isinstance(r, dict) and r.get("id") in remove)]
    for key, value in (given.get("set") or {}).items():
        record[key] = copy.deepcopy(value)
    for key, items in (given.get("add") or {}).items():
        if key == "attestations":
            record.setdefault("attestations", {}).update(items)
        else:
            record.setdefault(key, []).extend(copy.deepcopy(items))
    unknown = set(given) - {"base", "set", "add", "remove"}
    if unknown:
        raise CaseFailure(f"unknown key(s) in input with a base: {', '.join(sorted(unknown))}")
    return record


def _walk(results: tuple[CriterionResult, ...]) -> Iterator[CriterionResult]:
    for r in results:
        yield r
        yield from _walk(r.criteria)


class Case(pytest.Item):
    """One case: a patient, an as-of date, expected results."""

    def __init__(self, *, case: dict[str, Any], document: dict[str, Any], line: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.document = document
        self.line = line

    def runtest(self) -> None:
        doc, case = self.document, self.case
        data = build_record(case, doc.get("patients", {}))
        record = structure_record(data, f"{self.path}:{case['name']}")
        if not isinstance(record, PatientRecord):
            raise CaseFailure(record.error)
        as_of_text = case.get("as_of", doc.get("as_of"))
        if as_of_text is None:
            raise CaseFailure("no as_of date for this case (set it on the case or the file)")
        result = engine().screen_one(record, doc["trial"], dt.date.fromisoformat(str(as_of_text)))
        coverage = _COVERAGE.setdefault(result.trial, {})
        for r in _walk(result.criteria):
            coverage.setdefault(r.id, set()).add(r.result)
        expected = case["output"]
        lines = []
        if "verdict" in expected and expected["verdict"] != result.verdict:
            lines.append(f"verdict: expected {expected['verdict']}, got {result.verdict}")
            for r in result.criteria:
                if r.result != "met" if r.kind == "inclusion" else r.result != "not_met":
                    lines.append(f"    {r.id}: {r.result} — {r.reason}")
        for cid, want in (expected.get("criteria") or {}).items():
            got = _find(result.criteria, cid)
            if got is None:
                lines.append(f"{cid}: no such criterion in {result.trial}")
            elif got.result != want:
                lines.append(f"{cid}: expected {want}, got {got.result} — {got.reason}")
        for cid, fragment in (expected.get("reasons") or {}).items():
            got = _find(result.criteria, cid)
            if got is None or fragment.casefold() not in got.reason.casefold():
                lines.append(f"{cid}: reason does not mention {fragment!r}: {got.reason if got else 'no such criterion'}")
        if lines:
            raise CaseFailure("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailure):
            message = "\n".join("    " + line for line in str(excinfo.value).splitlines())
            return f"{self.path}:{self.line}\nTest '{self.name}':\n{message}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line, f"case: {self.name}"


_ALL = frozenset({MET, NOT_MET, UNKNOWN})
_FLIP: dict[str, str] = {MET: NOT_MET, NOT_MET: MET, UNKNOWN: UNKNOWN}


def reachable(node: Rule) -> frozenset[str]:
    """The results a rule can give for some patient, as the evaluator combines them.

    A superset where exactness would need the data (so a gap is only dropped when
    no patient could fill it): a ``const`` gives its result only; a record search
    gives met, its ``if_absent`` result, or unknown (a record it cannot judge or date).
    """
    if isinstance(node, Const):
        return frozenset({node.result})
    if isinstance(node, RecordSearch):
        return frozenset({MET, node.if_absent, UNKNOWN})
    if isinstance(node, Not):
        return frozenset(_FLIP[r] for r in reachable(node.part))
    if isinstance(node, (AllOf, AnyOf)):
        return _combine([reachable(p) for p in node.parts], "all" if isinstance(node, AllOf) else "any")
    if isinstance(node, AtLeast):
        parts = [reachable(p) for p in node.of]
        out: set[str] = set()
        if sum(MET in p for p in parts) >= node.n:
            out.add(MET)
        if sum(bool(p - {MET}) for p in parts) > len(parts) - node.n:
            out.add(NOT_MET)
        forced_met = sum(p == {MET} for p in parts)
        if any(UNKNOWN in p for p in parts) and forced_met < node.n and sum(bool(p & {MET, UNKNOWN}) for p in parts) >= node.n:
            out.add(UNKNOWN)
        return frozenset(out)
    if isinstance(node, If):
        cond, then, other = reachable(node.condition), reachable(node.then), reachable(node.else_)
        given: set[str] = set()
        if MET in cond:
            given |= then
        if NOT_MET in cond:
            given |= other
        if UNKNOWN in cond:
            given |= {UNKNOWN} | (then & other)
        return frozenset(given)
    return _ALL  # measurements, derived values, sex, attestations: any result


def _combine(parts: list[frozenset[str]], how: str) -> frozenset[str]:
    """Kleene AND (``all``) or OR (``any``) over parts that can each give several results."""
    if not parts:
        return frozenset({MET} if how == "all" else {NOT_MET})
    win, lose = (NOT_MET, MET) if how == "all" else (MET, NOT_MET)
    out: set[str] = set()
    if any(win in p for p in parts):
        out.add(win)
    if all(lose in p for p in parts):
        out.add(lose)
    if any(UNKNOWN in p and all(q - {win} for j, q in enumerate(parts) if j != i) for i, p in enumerate(parts)):
        out.add(UNKNOWN)
    return frozenset(out)


def criterion_reachable(criterion: Criterion) -> frozenset[str]:
    """The results a criterion can give: its rule and sub-criteria, combined as the evaluator does."""
    parts = [reachable(criterion.rule)] if criterion.rule is not None else []
    parts += [criterion_reachable(c) for c in criterion.criteria]
    if not parts:
        return frozenset({UNKNOWN})
    if len(parts) == 1:
        return parts[0]
    return _combine(parts, criterion.combine or ("all" if criterion.kind == "inclusion" else "any"))


_SUMMARY_DONE = False


def pytest_terminal_summary(terminalreporter: Any) -> None:
    global _SUMMARY_DONE
    if not _COVERAGE or _SUMMARY_DONE:
        return
    _SUMMARY_DONE = True  # several conftests may import this hook
    eng = engine()
    terminalreporter.section("trialrules criterion coverage")
    for trial_id in sorted(_COVERAGE):
        seen = _COVERAGE[trial_id]
        trial = eng.trial(trial_id)
        criteria = [c for top in trial.criteria for c in top.walk()]
        ids = [c.id for c in criteria]
        gaps = []
        unreachable = 0
        for c in criteria:
            possible = criterion_reachable(c)
            unreachable += 3 - len(possible)
            missing = [r for r in ("met", "not_met", "unknown") if r in possible and r not in seen.get(c.id, set())]
            if missing:
                gaps.append(f"{c.id} (never {', '.join(missing)})")
        full = len(ids) - len(gaps)
        note = f"; {unreachable} result(s) no patient can reach left out" if unreachable else ""
        terminalreporter.write_line(
            f"{trial.label}: {full}/{len(ids)} criteria driven to every result they can give{note}"
        )
        for gap in gaps:
            terminalreporter.write_line(f"    {gap}")
