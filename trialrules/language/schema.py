"""
The JSON Schemas in ``schemas/`` and validation with readable errors.

Errors are collected with ``iter_errors``, ordered by jsonschema's relevance
(``best_match`` first), and placed at ``file:line:column`` with a JSON path.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from attrs import frozen
from jsonschema.exceptions import ValidationError, best_match, relevance
from referencing import Registry, Resource

from trialrules.errors import clip
from trialrules.language.safe_yaml import Path_, json_path
from trialrules.language.suggest import did_you_mean
from trialrules.limits import ECHO_CHARS

BASE = "https://trialrules.dev/schemas/"
SCHEMA_FILES = (
    "trial-rules.schema.json",
    "patient-record.schema.json",
    "screening-result.schema.json",
    "test-case.schema.json",
)


@frozen
class RuleProblem:
    """One problem in one file, where a person can find it."""

    file: str
    line: int | None
    column: int | None
    json_path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.json_path}: {self.message}"


def _schema_dir() -> Path:
    packaged = resources.files("trialrules") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas"  # a source checkout


@cache
def _registry() -> Registry:  # type: ignore[type-arg]
    registry: Registry = Registry()  # type: ignore[type-arg]
    for name in SCHEMA_FILES:
        contents = json.loads((_schema_dir() / name).read_text(encoding="utf-8"))
        registry = registry.with_resource(BASE + name, Resource.from_contents(contents))
    return registry


def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema file ``name`` (e.g. ``patient-record.schema.json``)."""
    data: dict[str, Any] = json.loads((_schema_dir() / name).read_text(encoding="utf-8"))
    return data


@cache
def validator(ref: str) -> jsonschema.Draft202012Validator:
    """A validator for a schema or one of its ``$defs``, e.g.
    ``trial-rules.schema.json#/$defs/criterionFile``."""
    return jsonschema.Draft202012Validator({"$ref": BASE + ref}, registry=_registry())


def check(
    data: Any,
    ref: str,
    file: str,
    positions: dict[Path_, tuple[int, int]] | None = None,
) -> list[RuleProblem]:
    """Validate ``data`` against ``ref``; return the problems, most relevant first."""
    errors = list(validator(ref).iter_errors(data))
    if not errors:
        return []
    best = best_match(errors)
    ordered = [best] + sorted((e for e in errors if e is not best), key=relevance)
    problems = []
    seen = set()
    for error in ordered:
        error = _deepest(error)
        problem = _problem(error, file, positions or {})
        if (problem.json_path, problem.message) not in seen:
            seen.add((problem.json_path, problem.message))
            problems.append(problem)
    return problems


def _deepest(error: ValidationError) -> ValidationError:
    # For anyOf/oneOf failures the most useful message is usually in the context.
    while error.context:
        error = best_match(error.context)
    return error


def _problem(error: ValidationError, file: str, positions: dict[Path_, tuple[int, int]]) -> RuleProblem:
    path: Path_ = tuple(error.absolute_path)
    message = clip(error.message, 2 * ECHO_CHARS)  # jsonschema's message starts with the whole value
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            path = path + (extra[0],)
            message = _unexpected(extra[0], sorted(allowed))
            pos = positions.get(path + ("<key>",))
            if pos:
                return RuleProblem(file, pos[0], pos[1], json_path(path), message)
    pos = None
    probe = path
    while pos is None:
        pos = positions.get(probe)
        if not probe:
            break
        probe = probe[:-1]
    line, column = pos if pos else (None, None)
    return RuleProblem(file, line, column, json_path(path), message)


def _unexpected(key: str, allowed: list[str]) -> str:
    message = f"unknown key {key!r}"
    hint = did_you_mean(key, allowed)
    if hint:
        message += hint
    elif allowed:
        message += f" (allowed: {', '.join(allowed)})"
    return message
