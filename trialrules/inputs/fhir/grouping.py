"""
Grouping a Bulk export's parsed resources by patient, in bounded memory, with SQLite.

A Bulk export writes one NDJSON file per resource type, so one patient's data is
spread over every file. The reader parses each line once, reading the files in
order, and files the parsed resource here under its patient id, serialised with
:mod:`marshal` (the fastest way back to the same dicts and lists; lone surrogates,
big integers and non-finite floats come back as they went in). Resources gather in
memory by patient up to CHUNK_BYTES and are written as one row per patient and
chunk, compressed (zlib level 1: a patient's resources repeat the same keys and
codes, so a row shrinks several times over for a few microseconds per resource).
Read back in patient-id order, the rows come through SQLite's sorter: an external
merge sort in a fixed amount of memory that reads and writes its temporary files
sequentially, so an export larger than RAM is never read at random. Memory holds
one chunk, one patient and SQLite's caches, whatever the export's size; disk holds
the compressed rows twice (the table, and the sorter's copy).
"""

from __future__ import annotations

import marshal
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

#: SQLite page cache and sorter memory for the grouping database, in KiB (8 MB: the same
#: CPU as 16 MB, 20 MB less peak memory; README "FHIR input").
CACHE_KIB = 8 * 1024
#: Serialised resources held in memory before they are written (bytes).
CHUNK_BYTES = 8 * 1024 * 1024
_ROW_COST = 64  # bookkeeping per resource held, counted against CHUNK_BYTES


class Line(NamedTuple):
    """Where one NDJSON line is: file index, 1-based line number."""

    file: int
    line: int


class Stored(NamedTuple):
    """One resource as filed: where it was, and its serialised document."""

    where: Line
    data: bytes

    def document(self) -> Any:
        return marshal.loads(self.data)


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
            CREATE TABLE patient (id TEXT, file INT, line INT, data BLOB);
            CREATE TABLE medication (id TEXT, file INT, line INT, data BLOB);
            CREATE TABLE resource (pid TEXT, chunk INT, data BLOB);
            """
        )
        # patients and medications: rows as they come; other resources: by patient id
        self._rows: dict[str, list[tuple[str, int, int, bytes]]] = {"patient": [], "medication": []}
        self._by_patient: dict[str, list[tuple[int, int, bytes]]] = {}
        self._held = 0
        self._chunk = 0

    def _hold(self, size: int) -> None:
        self._held += size + _ROW_COST
        if self._held >= CHUNK_BYTES:
            self._flush()

    def add_patient(self, pid: str, where: Line, document: Any) -> None:
        data = marshal.dumps(document)
        self._rows["patient"].append((pid, where.file, where.line, data))
        self._hold(len(data))

    def add_medication(self, mid: str, where: Line, document: Any) -> None:
        data = marshal.dumps(document)
        self._rows["medication"].append((mid, where.file, where.line, data))
        self._hold(len(data))

    def add_resource(self, pid: str, where: Line, document: Any) -> None:
        """File a clinical resource under its patient's id."""
        data = marshal.dumps(document)
        held = self._by_patient.get(pid)
        if held is None:
            held = self._by_patient[pid] = []
        held.append((where.file, where.line, data))
        self._hold(len(data))

    def _flush(self) -> None:
        for table, rows in self._rows.items():
            if rows:
                self._db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", rows)  # noqa: S608
                rows.clear()
        if self._by_patient:
            # one row per patient of this chunk: its resources in file order
            self._db.executemany("INSERT INTO resource VALUES (?, ?, ?)", (
                (pid, self._chunk, zlib.compress(marshal.dumps(held), 1)) for pid, held in self._by_patient.items()))
            self._by_patient.clear()
            self._chunk += 1
        self._held = 0

    def finish(self) -> None:
        """End the reading of files: write what is held, index Medications by id."""
        self._flush()
        self._db.execute("CREATE INDEX medication_id ON medication (id, file, line)")
        self._db.commit()

    def patients(self) -> Iterator[tuple[str, Stored]]:
        """Every Patient by id (then file order: duplicates follow their first)."""
        cur = self._db.execute("SELECT id, file, line, data FROM patient ORDER BY id, file, line")
        for pid, file, line, data in cur:
            yield pid, Stored(Line(file, line), data)

    def resources(self) -> Iterator[tuple[str, Stored]]:
        """Every other resource by patient id, then in file order."""
        cur = self._db.execute("SELECT pid, data FROM resource ORDER BY pid, chunk")
        for pid, data in cur:
            for file, line, document in marshal.loads(zlib.decompress(data)):
                yield pid, Stored(Line(file, line), document)

    def medication(self, mid: str) -> Any:
        """The first Medication with this id, or None."""
        row = self._db.execute(
            "SELECT data FROM medication WHERE id = ? ORDER BY file, line LIMIT 1", (mid,),
        ).fetchone()
        return None if row is None else marshal.loads(row[0])

    def close(self) -> None:
        self._db.close()
