"""
The input adapter for native patient-record JSON (schemas/patient-record.schema.json):
one record, or a JSON array of records.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cattrs

from trialrules.inputs.fhir import jsonfile
from trialrules.language import schema
from trialrules.language.converters import converter
from trialrules.language.models import InputFailure, PatientRecord
from trialrules.language.registry import Registry
from trialrules.plugin import hookimpl

_REF = "patient-record.schema.json"


def record_problems(data: Any, source: str) -> list[str]:
    """Schema problems of one native record, as ``path: message`` strings."""
    return [f"{p.json_path}: {p.message}" for p in schema.check(data, _REF, source)]


def structure_record(data: Any, source: str) -> PatientRecord | InputFailure:
    """Validate and build one native record, or say what is wrong with it."""
    where = source + (f":Patient/{data['id']}" if isinstance(data, dict) and isinstance(data.get("id"), str) else "")
    problems = record_problems(data, source)
    if problems:
        return InputFailure(source, f"{where}: not a valid patient record: {problems[0]}" + (
            f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    bad = next(_non_finite(data, "$"), None)
    if bad is not None:  # NaN, Infinity, 1e400: no verdict may rest on them (CONTRACT.md section 5)
        return InputFailure(source, f"{where}: not a valid patient record: {bad[0]}: {bad[1]!r} is not a finite number")
    try:
        record = converter.structure(data, PatientRecord)
    except cattrs.BaseValidationError as exc:
        return InputFailure(source, f"{where}: " + "; ".join(cattrs.transform_error(exc)))
    except ValueError as exc:
        return InputFailure(source, f"{where}: {exc}")
    return record


def _non_finite(data: Any, path: str) -> Iterator[tuple[str, float]]:
    """Every number in a document that is not finite, with its JSON path."""
    if isinstance(data, float) and not math.isfinite(data):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _non_finite(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _non_finite(value, f"{path}[{i}]")


class NativeAdapter:
    """Reads native patient-record JSON documents."""

    name = "native"

    def sniff(self, path: Path, head: Any) -> bool:
        if isinstance(head, dict):
            return "resourceType" not in head and "id" in head
        if isinstance(head, list):
            return bool(head) and all(isinstance(x, dict) and "resourceType" not in x for x in head)
        return False

    def read(self, path: Path, document: Any = None) -> Iterator[PatientRecord | InputFailure]:
        source = str(path)
        if document is None:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                yield InputFailure(source, f"{source}: cannot be read: {exc.strerror or exc}")
                return
            document, problem = jsonfile.loads(data)
            if problem is not None:
                yield InputFailure(source, f"{source}: {problem}")
                return
        for data in document if isinstance(document, list) else [document]:
            if jsonfile.too_deep(data):  # native values reach the output whole
                yield InputFailure(source, f"{source}: a record {jsonfile.TOO_DEEP}")
            else:
                yield structure_record(data, source)


@hookimpl
def trialrules_register_input_adapters(registry: Registry) -> None:
    registry.add_input_adapter(NativeAdapter())
