"""
The FHIR Bulk Data adapter: a directory of NDJSON files (``Patient.ndjson``,
``Observation.ndjson``, ...; split files such as ``Observation.2.ndjson`` too).

Every ``*.ndjson`` file is read and each line dispatched on its own
``resourceType`` (not the file name). Output is one record per Patient in
Patient.id order, and a failure for every line that cannot be read: not JSON,
a Patient without id, a duplicate Patient id, a clinical resource with no
Patient subject or whose subject has no Patient in the export (an orphan).
Records + failures therefore account for every Patient and every bad line.
Resource types the contract does not use (Encounter, Practitioner...) are ignored.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TypeGuard

from trialrules.errors import InputError
from trialrules.fhir import jsonfile
from trialrules.fhir.grouping import GroupingStore, Line
from trialrules.fhir.references import patient_id, reference_of, type_and_id
from trialrules.fhir.resources import SUBJECT_FIELD, RecordBuilder
from trialrules.fhir.where import Where
from trialrules.models import InputFailure, PatientRecord


def _failure(file: str, text: str, line: int | None = None, resource: str | None = None,
             path: str | None = None) -> InputFailure:
    err = InputError(text, file=file, line=line, resource=resource, path=path)
    return InputFailure(file, err.format_message())


def _usable_key(value: Any) -> TypeGuard[str]:
    """A non-empty id SQLite can store (lone surrogates cannot be encoded)."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ndjson_files(directory: Path) -> list[Path]:
    """The export's NDJSON files, in a stable (name) order."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.name.endswith(".ndjson"))


class BulkAdapter:
    """Input adapter for a FHIR Bulk Data export directory (many patients)."""

    name = "fhir-bulk"

    def sniff(self, path: Path, head: Any) -> bool:
        """A directory holding at least one ``.ndjson`` file."""
        try:
            return path.is_dir() and bool(ndjson_files(path))
        except OSError:
            return False

    def count(self, path: Path) -> int | None:
        """The number of Patient lines (for a progress bar), or None if unknown."""
        try:
            total = 0
            for f in ndjson_files(path):
                if f.name.startswith("Patient"):
                    with f.open("rb") as fh:
                        total += sum(1 for raw in fh if raw.strip())
            return total
        except OSError:
            return None

    def read(self, path: Path, document: Any = None) -> Iterator[PatientRecord | InputFailure]:
        """Yield a record per Patient (by id) and a failure per unreadable line."""
        try:
            files = ndjson_files(path)
        except OSError as exc:
            yield _failure(str(path), f"cannot be read: {exc.strerror or exc}")
            return
        if not files:
            yield _failure(str(path), "holds no .ndjson files (not a FHIR Bulk Data export)")
            return
        with tempfile.TemporaryDirectory(prefix="trialrules-bulk-") as tmp:
            store = GroupingStore(Path(tmp))
            try:
                yield from _Export(files, store).read()
            finally:
                store.close()


class _Export:
    """One read of an export: the first pass files lines, the second builds records."""

    def __init__(self, files: list[Path], store: GroupingStore) -> None:
        self.files = files
        self.names = [str(f) for f in files]
        self.store = store
        self.handles: list[IO[bytes]] = []

    def read(self) -> Iterator[PatientRecord | InputFailure]:
        for i in range(len(self.files)):
            yield from self._file_lines(i)
        self.store.finish()
        try:
            self.handles = [f.open("rb") for f in self.files]
            yield from self._patients()
        finally:
            for h in self.handles:
                h.close()

    # -- pass 1 --------------------------------------------------------------

    def _file_lines(self, index: int) -> Iterator[InputFailure]:
        name = self.names[index]
        try:
            fh = self.files[index].open("rb")
        except OSError as exc:
            yield _failure(name, f"cannot be read: {exc.strerror or exc}")
            return
        with fh:
            offset = 0
            for number, raw in enumerate(fh, start=1):
                start, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                problem = self._file_line(raw, Line(index, start, len(raw), number))
                if problem is not None:
                    yield problem

    def _file_line(self, raw: bytes, where: Line) -> InputFailure | None:
        name = self.names[where.file]
        doc, problem = jsonfile.loads(raw)
        if problem is not None:
            return _failure(name, "line " + problem, where.line)
        if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
            return _failure(name, "line is not a FHIR resource (a JSON object with resourceType)", where.line)
        rtype, rid = doc["resourceType"], doc.get("id")
        label = f"{rtype}/{rid}" if isinstance(rid, str) else rtype
        if rtype == "Patient":
            if not _usable_key(rid):
                return _failure(name, "Patient has no usable id", where.line, label, "$.id")
            self.store.add("patient", rid, where)
        elif rtype == "Medication":
            if _usable_key(rid):
                self.store.add("medication", rid, where)
        elif rtype in SUBJECT_FIELD:
            field = SUBJECT_FIELD[rtype]
            ref = reference_of(doc.get(field))
            pid = patient_id(ref) if ref is not None else None
            if pid is None or not _usable_key(pid):
                what = "no" if ref is None else f"{ref!r}, not a"
                return _failure(name, f"has {what} Patient reference in {field}; it cannot be "
                                "attributed to a patient", where.line, label, f"$.{field}")
            self.store.add("resource", pid, where)
        return None

    # -- pass 2 --------------------------------------------------------------

    def _load(self, where: Line) -> Any:
        fh = self.handles[where.file]
        fh.seek(where.offset)
        return json.loads(fh.read(where.length))

    def _patients(self) -> Iterator[PatientRecord | InputFailure]:
        resources = self.store.resources()
        pending = next(resources, None)
        first_line: tuple[str, Line] | None = None
        for pid, where in self.store.patients():
            while pending is not None and pending[0] < pid:
                yield self._orphan(*pending)
                pending = next(resources, None)
            group: list[Line] = []
            while pending is not None and pending[0] == pid:
                group.append(pending[1])
                pending = next(resources, None)
            if first_line is not None and first_line[0] == pid:
                first = first_line[1]
                yield _failure(self.names[where.file],
                               f"duplicate Patient id (first at {self.names[first.file]}:{first.line}); "
                               "this line is not read", where.line, f"Patient/{pid}")
                continue
            first_line = (pid, where)
            yield self._record(where, group)
        while pending is not None:
            yield self._orphan(*pending)
            pending = next(resources, None)

    def _orphan(self, pid: str, where: Line) -> InputFailure:
        try:
            doc = self._load(where)
            label = f"{doc.get('resourceType')}/{doc.get('id')}"
        except (ValueError, OSError, AttributeError):
            label = None
        return _failure(self.names[where.file], f"subject Patient/{pid} has no Patient resource in "
                        "this export; the resource is not read", where.line, label)

    def _record(self, where: Line, group: list[Line]) -> PatientRecord | InputFailure:
        name = self.names[where.file]
        try:
            cache: dict[str, Any] = {}

            def medication(ref: str) -> dict[str, Any] | None:
                found = type_and_id(ref)
                if found is None or found[0] != "Medication":
                    return None
                if found[1] not in cache:
                    line = self.store.medication(found[1])
                    cache[found[1]] = None if line is None else self._load(line)
                return cache[found[1]]  # type: ignore[no-any-return]

            builder = RecordBuilder(self._load(where), self._where(where), medication, name)
            for line in group:
                builder.add(self._load(line), self._where(line))
            return builder.build()
        except Exception as exc:  # noqa: BLE001 - a bug of ours must not stop the batch
            # Conservative: dropping one unreadable resource could hide an exclusion.
            return _failure(name, f"patient could not be read ({type(exc).__name__}: {exc})", where.line)

    def _where(self, line: Line) -> Where:
        return Where(self.names[line.file], line.line)
