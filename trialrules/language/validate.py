"""
``trialrules validate``: check rule files, rules directories, whole plugins and
YAML case files, first against the schemas, then for meaning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trialrules.errors import RuleFileError, internal_error
from trialrules.language import schema
from trialrules.language.loader import LONE_FILE_SKIPPED, _display, check_criterion_file, load_trial, rule_files
from trialrules.language.models import RecordSearch
from trialrules.language.registry import Registry
from trialrules.language.safe_yaml import YAMLProblem, load_with_positions, read_text
from trialrules.language.schema import RuleProblem
from trialrules.language.terminology import SYSTEMS, compile_valueset, system_uri


def _rules_dir_of(path: Path) -> Path | None:
    for parent in [path, *path.parents]:
        if (parent / "trial.yaml").is_file():
            return parent
    return None


def _check_trial(rules_dir: Path, registry: Registry) -> tuple[list[RuleProblem], int]:
    count = sum(1 for p, _ in rule_files(rules_dir) if p.exists())
    try:
        load_trial(rules_dir, registry)
    except RuleFileError as exc:
        return list(exc.errors), count
    except OSError as exc:
        return [RuleProblem(_display(rules_dir), None, None, "$", f"cannot be read: {exc.strerror or exc}")], count
    except Exception as exc:  # the last resort: one line naming the rules, never a traceback
        return [RuleProblem(_display(rules_dir), None, None, "$", internal_error(exc))], count
    return [], count


def _check_cases(path: Path) -> list[RuleProblem]:
    try:
        data, positions = load_with_positions(read_text(path))
    except YAMLProblem as exc:
        return [RuleProblem(_display(path), exc.line, exc.column, "$", f"not valid YAML: {exc.message}")]
    except OSError as exc:
        return [RuleProblem(_display(path), None, None, "$", f"cannot be read: {exc.strerror or exc}")]
    return schema.check(data, "test-case.schema.json", _display(path), positions)


def validate_paths(
    paths: list[Path], registry: Registry, notes: list[str] | None = None
) -> tuple[list[RuleProblem], int]:
    """Validate files and directories; return every problem and the file count.
    ``notes`` receives what could not be checked (a criterion file checked alone)."""
    problems: list[RuleProblem] = []
    checked = 0
    done_rules: set[Path] = set()
    for path in paths:
        if not path.exists():
            problems.append(RuleProblem(str(path), None, None, "$", "no such file or directory"))
            continue
        if path.is_dir():
            rules_dirs = sorted({p.parent for p in path.rglob("trial.yaml")})
            case_files = sorted(p for p in path.rglob("*.y*ml") if "cases" in p.parts)
            if not rules_dirs and not case_files:
                problems.append(RuleProblem(str(path), None, None, "$", "no trial.yaml or YAML cases under this directory"))
            for rd in rules_dirs:
                if rd.resolve() not in done_rules:
                    done_rules.add(rd.resolve())
                    found, n = _check_trial(rd, registry)
                    problems.extend(found)
                    checked += n
            for cf in case_files:
                problems.extend(_check_cases(cf))
                checked += 1
            continue
        checked += 1
        rules_dir = _rules_dir_of(path.parent)
        if rules_dir is not None:
            if rules_dir.resolve() in done_rules:
                continue
            found, _ = _check_trial(rules_dir, registry)
            shown = _display(path)
            problems.extend(p for p in found if p.file == shown)
            continue
        try:
            data, positions = load_with_positions(read_text(path))
        except YAMLProblem as exc:
            problems.append(RuleProblem(_display(path), exc.line, exc.column, "$", f"not valid YAML: {exc.message}"))
            continue
        except OSError as exc:
            problems.append(RuleProblem(_display(path), None, None, "$", f"cannot be read: {exc.strerror or exc}"))
            continue
        if isinstance(data, dict) and "cases" in data:
            problems.extend(schema.check(data, "test-case.schema.json", _display(path), positions))
        elif isinstance(data, dict) and "text" in data:
            problems.extend(check_criterion_file(path, registry))
            if notes is not None:
                notes.append(f"{_display(path)}: checked alone (no trial.yaml above it); not checked: "
                             + LONE_FILE_SKIPPED)
        else:
            problems.append(RuleProblem(_display(path), None, None, "$",
                                        "not part of a rules directory (no trial.yaml above it) and not a criterion or case file"))
    return problems, checked


# -- value-set coverage (warnings) ------------------------------------------

#: What a value set searched for each kind of record should cover: alternatives in a
#: group are one system (ICD-10-CM or WHO ICD-10), every group is needed.
COVERAGE: dict[str, tuple[tuple[str, ...], ...]] = {
    "condition": (("snomed",), ("icd10cm", "icd10")),
    "medication": (("rxnorm",), ("atc",)),
    "procedure": (("snomed",), ("cpt",)),
    "allergy": (("snomed",), ("rxnorm",)),
    "immunization": (("cvx",),),
}
_SYSTEM_NAMES = {"snomed": "SNOMED CT", "icd10cm": "ICD-10-CM", "icd10": "ICD-10", "rxnorm": "RxNorm",
                 "atc": "ATC", "cpt": "CPT", "cvx": "CVX"}


def _searched_sets(rule: Any, found: dict[str, set[str]]) -> None:
    """Value-set name -> the kinds of record it is searched for, over a rule tree."""
    if isinstance(rule, RecordSearch):
        for name in rule.valuesets:
            found.setdefault(name, set()).add(rule.record)
    for child in (getattr(rule, "parts", ()) or getattr(rule, "of", ())):
        _searched_sets(child, found)
    for attr in ("part", "condition", "then", "else_"):
        if getattr(rule, attr, None) is not None:
            _searched_sets(getattr(rule, attr), found)


def _set_positions(rules_dir: Path) -> dict[str, tuple[str, int | None, int | None, int]]:
    """Value-set name -> file, line, column and index of its entry, for messages."""
    where: dict[str, tuple[str, int | None, int | None, int]] = {}
    for path, ref in rule_files(rules_dir):
        if ref != "valuesetFile":
            continue
        try:
            data, positions = load_with_positions(read_text(path))
        except (YAMLProblem, OSError, UnicodeDecodeError):
            continue  # the schema check reports it
        for i, vs in enumerate(data if isinstance(data, list) else []):
            if isinstance(vs, dict) and isinstance(vs.get("name"), str):
                line, column = positions.get((i, "name"), positions.get((i,), (None, None)))
                where.setdefault(vs["name"], (_display(path), line, column, i))
    return where


def coverage_warnings(rules_dir: Path, registry: Registry) -> list[RuleProblem]:
    """Warnings for a trial's value sets that state no source, or that lack a code
    system records of their kind are coded in (docs/rule-language.md, "Value sets").

    A set searched for conditions needs SNOMED CT and ICD-10-CM, for medications
    RxNorm and ATC, for procedures SNOMED CT and CPT, for allergies SNOMED CT and
    RxNorm, for immunizations CVX, unless it states a ``coverage_reason``. RxNorm
    entries need their ingredient name (``display``) for products to match through.
    Empty when the trial does not load (its problems are reported elsewhere).
    """
    try:
        trial = load_trial(rules_dir, registry)
    except RuleFileError:
        return []
    own = {vs.name: vs for vs in trial.valuesets}
    lookup = {name: vs for name, (vs, _) in registry.valuesets.items()} | own
    searched: dict[str, set[str]] = {}
    for criterion in trial.criteria:
        for c in criterion.walk():
            if c.rule is not None:
                _searched_sets(c.rule, searched)
    where = _set_positions(rules_dir)
    warnings: list[RuleProblem] = []

    def warn(name: str, message: str) -> None:
        file, line, column, index = where.get(name, (_display(rules_dir), None, None, 0))
        warnings.append(RuleProblem(file, line, column, f"$[{index}]", f"warning: value set {name!r} {message}"))

    for name, vs in own.items():
        if not vs.source:
            warn(name, "does not state where its codes come from (source)")
        nameless = [e.code for e in vs.codes if system_uri(e.system) == SYSTEMS["rxnorm"] and not e.display]
        if nameless:
            warn(name, "has RxNorm codes without their ingredient name (display), which products match "
                       "through: " + ", ".join(nameless[:5]))
    for name, kinds in sorted(searched.items()):
        searched_set = own.get(name)
        if searched_set is None or searched_set.coverage_reason:
            continue
        systems = compile_valueset(searched_set, lookup).systems()
        for kind in sorted(kinds):
            for group in COVERAGE[kind]:
                if not any(SYSTEMS[g] in systems for g in group):
                    warn(name, f"is searched for {kind} records but has no {_SYSTEM_NAMES[group[0]]} code "
                               "(add them, or state coverage_reason)")
    return warnings


def coverage_warnings_for(paths: list[Path], registry: Registry) -> list[RuleProblem]:
    """:func:`coverage_warnings` for every rules directory the paths name or lie in."""
    rules_dirs: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            found = sorted({p.parent for p in path.rglob("trial.yaml")})
        else:
            inside = _rules_dir_of(path.parent)
            found = [inside] if inside is not None else []
        for rd in found:
            rules_dirs.setdefault(rd.resolve(), None)
    return [w for rd in rules_dirs for w in coverage_warnings(rd, registry)]
