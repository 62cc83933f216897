"""
A reader of CDISC Dataset-JSON v1.1 (one data set per file, ``.json``).

Format source: CDISC Dataset-JSON v1.1 specification (CDISC Data Exchange
Standards, 2024). The top-level object carries the data set's ``name``,
``label``, ``records`` (row count), ``columns`` — each with ``itemOID``,
``name``, ``label``, ``dataType`` (string, integer, decimal, float, double,
boolean, date, datetime, time, URI) and optional ``length`` — and ``rows``,
an array of arrays in column order. ``decimal`` values may be written as
strings (to keep their digits) and are read as numbers; ``null`` is missing.

Rows are returned as mappings keyed by column name; a row whose length
differs from the columns' is returned with the key :data:`ROW_ERROR` so the
SDTM reader names it instead of using it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["ROW_ERROR", "DatasetJSONError", "read_dataset_json"]

#: Key set on a row that cannot be used, with the reason.
ROW_ERROR = "\0ROW_ERROR"
_NUMERIC = {"integer", "decimal", "float", "double"}


class DatasetJSONError(ValueError):
    """The file is not a Dataset-JSON v1.1 data set."""


def _value(value: Any, data_type: str) -> str | float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if data_type in _NUMERIC:
        if isinstance(value, (int, float)):
            return float(value) if math.isfinite(float(value)) else str(value)
        if isinstance(value, str):
            return value  # decimal as string: the SDTM reader parses (and validates) it
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)[:200]


def read_dataset_json(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """
    Read a Dataset-JSON v1.1 file.

    Args:
        path: The ``.json`` file.

    Returns:
        (column names, rows as mappings; numbers as floats, strings as read).

    Raises:
        DatasetJSONError: If the JSON is invalid or lacks ``columns``/``rows``.
    """
    try:
        with path.open(encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetJSONError(f"{path.name}: not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise DatasetJSONError(f"{path.name}: top level is not an object")
    columns = doc.get("columns")
    rows = doc.get("rows")
    if not isinstance(columns, list) or not all(isinstance(c, dict) and isinstance(c.get("name"), str)
                                                for c in columns):
        raise DatasetJSONError(f"{path.name}: 'columns' must be a list of objects with a 'name' (Dataset-JSON v1.1)")
    if not isinstance(rows, list):
        raise DatasetJSONError(f"{path.name}: 'rows' must be a list (Dataset-JSON v1.1)")
    names = [c["name"] for c in columns]
    types = [str(c.get("dataType", "string")) for c in columns]
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(names):
            got = len(row) if isinstance(row, list) else type(row).__name__
            out.append({ROW_ERROR: f"row {i} has {got} values for {len(names)} columns"})
            continue
        out.append({n: _value(v, t) for n, v, t in zip(names, row, types, strict=True)})
    return names, out
