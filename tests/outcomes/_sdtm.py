"""Write small SDTM CSV folders for tests (values as real feeds carry them)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path


def write_domain(folder: Path, domain: str, rows: Sequence[Mapping[str, object]]) -> Path:
    """Write ``<domain>.csv`` with the union of the rows' columns, in first-seen order."""
    folder.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for r in rows:
        columns += [c for c in r if c not in columns]
    path = folder / f"{domain}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, columns)
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
    return path


def write_study(folder: Path, **domains: Sequence[Mapping[str, object]]) -> Path:
    """Write every given domain; returns the folder."""
    for name, rows in domains.items():
        write_domain(folder, name, rows)
    return folder


def measure(id_: str, computation: str | None = None, **params: object) -> dict[str, object]:
    """A measure mapping as run_measures takes it."""
    return {"id": id_, "title": id_.upper(), "time_frame": "", "computation": computation or id_,
            "parameters": params}
