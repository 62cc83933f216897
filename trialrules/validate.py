"""
``trialrules validate``: check rule files, rules directories, whole plugins and
YAML case files, first against the schemas, then for meaning.
"""

from __future__ import annotations

from pathlib import Path

from trialrules import schema
from trialrules._yaml import YAMLProblem, load_with_positions, read_text
from trialrules.errors import RuleFileError, internal_error
from trialrules.loader import LONE_FILE_SKIPPED, _display, check_criterion_file, load_trial, rule_files
from trialrules.registry import Registry
from trialrules.schema import RuleProblem


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
