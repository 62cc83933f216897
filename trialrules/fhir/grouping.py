"""
Grouping a Bulk export's resources by patient, in bounded memory, with SQLite.

A Bulk export writes one NDJSON file per resource type, so one patient's data is
spread over every file. The first pass reads each line once, checks it, and
stores only where it is (file, byte offset, length, line) under its patient id in
a temporary SQLite database on disk; the second pass walks patients in id order
and reads back each patient's lines. SQLite (stdlib, nothing to install) sorts
and indexes on disk with a fixed page cache, so memory holds one patient plus
the cache whatever the population; storing offsets rather than the JSON text
keeps the database a small fraction of the export's size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

#: SQLite page cache for the grouping database, in KiB (negative = KiB for SQLite).
CACHE_KIB = 32 * 1024
_BATCH = 10_000


class Line(NamedTuple):
    """Where one NDJSON line is: file index, byte offset, length, 1-based line number."""

    file: int
    offset: int
    length: int
    line: int


class GroupingStore:
    """Resources filed under patient ids; Patients and Medications kept apart."""

    def __init__(self, directory: Path) -> None:
        self._db = sqlite3.connect(str(directory / "group.sqlite"))
        for pragma in (
            "journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", f"cache_size=-{CACHE_KIB}",
        ):
            self._db.execute("PRAGMA " + pragma)
        self._db.executescript(
            """
            CREATE TABLE patient (id TEXT, file INT, offset INT, length INT, line INT);
            CREATE TABLE resource (pid TEXT, file INT, offset INT, length INT, line INT);
            CREATE TABLE medication (id TEXT, file INT, offset INT, length INT, line INT);
            """
        )
        self._pending: dict[str, list[tuple[str, int, int, int, int]]] = {
            "patient": [], "resource": [], "medication": [],
        }

    def add(self, table: str, key: str, where: Line) -> None:
        """File one line under ``key`` (a patient id, or a Medication id)."""
        rows = self._pending[table]
        rows.append((key, *where))
        if len(rows) >= _BATCH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self._pending[table]
        if rows:
            self._db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)", rows)  # noqa: S608
            rows.clear()

    def finish(self) -> None:
        """End the first pass: write what is buffered, index Medications by id."""
        for table in self._pending:
            self._flush(table)
        self._db.execute("CREATE INDEX medication_id ON medication (id, file, line)")
        self._db.commit()

    def patients(self) -> Iterator[tuple[str, Line]]:
        """Every Patient line by id (then file order: duplicates follow their first)."""
        cur = self._db.execute("SELECT id, file, offset, length, line FROM patient ORDER BY id, file, line")
        for pid, *where in cur:
            yield pid, Line(*where)

    def resources(self) -> Iterator[tuple[str, Line]]:
        """Every other resource line by patient id, then file and position."""
        cur = self._db.execute(
            "SELECT pid, file, offset, length, line FROM resource ORDER BY pid, file, offset"
        )
        for pid, *where in cur:
            yield pid, Line(*where)

    def medication(self, mid: str) -> Line | None:
        """The first Medication line with this id."""
        row = self._db.execute(
            "SELECT file, offset, length, line FROM medication WHERE id = ? ORDER BY file, line LIMIT 1",
            (mid,),
        ).fetchone()
        return None if row is None else Line(*row)

    def close(self) -> None:
        self._db.close()
