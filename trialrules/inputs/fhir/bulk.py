"""
The FHIR Bulk Data adapter: a directory of NDJSON files (``Patient.ndjson``,
``Observation.ndjson``, ...; split files such as ``Observation.2.ndjson`` too).

Every ``*.ndjson``, ``*.ndjson.gz`` and ``*.ndjson.bz2`` file is read (extensions
in any case), and so is every file the ``$export`` manifest lists under
``output``/``error`` (the last segment of its ``url``); each line is dispatched on
its own ``resourceType``, not on the file name. Any other file in the directory
is a failure ("not read"), never skipped in silence. Each line is parsed once, the
files read in order (compressed ones decompressed as they are read), and filed by
patient in a temporary store (:mod:`trialrules.inputs.fhir.grouping`); then each patient's
record is built from what was filed.

Output is one record per Patient in Patient.id order, and a failure for every
line that cannot be read: not JSON, a Patient without id, a duplicate Patient id,
a clinical resource with no Patient subject or whose subject has no Patient in
the export (an orphan). Records + failures therefore account for every Patient
and every bad line. Resource types the contract does not use (Encounter,
Practitioner...) are ignored.
"""

from __future__ import annotations

import bz2
import gzip
import re
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeGuard

from trialrules.errors import InputError, shown
from trialrules.inputs import gc_paused as _gc
from trialrules.inputs.fhir import jsonfile
from trialrules.inputs.fhir.grouping import GroupingStore, Line, Stored
from trialrules.inputs.fhir.references import patient_id, reference_of, type_and_id
from trialrules.inputs.fhir.resources import SUBJECT_FIELD, RecordBuilder
from trialrules.inputs.fhir.where import Where
from trialrules.language.models import InputFailure, PatientRecord

#: Longest NDJSON line read (bytes); a longer one is an error, not a memory spike.
MAX_LINE_BYTES = 64 * 1024 * 1024

_DATA_NAME = re.compile(r"\.ndjson(\.gz|\.bz2)?$", re.IGNORECASE)
_OPENERS: dict[str, Any] = {".gz": gzip.open, ".bz2": bz2.open}
# What a damaged compressed file raises while it is read.
_STREAM_ERRORS = (OSError, EOFError, zlib.error, ValueError)


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


def _patient_id(ref: str) -> str | None:
    """:func:`patient_id`, answering the usual ``Patient/<id>`` without splitting it."""
    if ref.startswith("Patient/"):
        rest = ref[8:]
        if rest and "/" not in rest and "?" not in rest:
            return rest
    return patient_id(ref)


class ExportFiles(NamedTuple):
    """A Bulk directory's files: those read, and a failure for each other one."""

    data: list[Path]
    not_read: list[InputFailure]


def _compression(path: Path) -> str:
    """``.gz``, ``.bz2`` or ``""``: by extension, else by magic number (a manifest's
    url need not end in the usual extension)."""
    suffix = path.suffix.lower()
    if suffix in _OPENERS:
        return suffix
    try:
        with path.open("rb") as fh:
            magic = fh.read(3)
    except OSError:
        return ""
    return ".gz" if magic[:2] == b"\x1f\x8b" else ".bz2" if magic == b"BZh" else ""


def _manifest_files(path: Path) -> list[str] | None:
    """The file names a ``$export`` manifest lists, or None if ``path`` is not one."""
    try:
        if path.stat().st_size > 64 * 1024 * 1024:
            return None
        doc, problem = jsonfile.loads(path.read_bytes())
    except OSError:
        return None
    if problem is not None or not isinstance(doc, dict) or not isinstance(doc.get("output"), list):
        return None
    names = []
    for key in ("output", "error"):
        items = doc.get(key)
        for item in items if isinstance(items, list) else []:
            url = item.get("url") if isinstance(item, dict) else None
            if isinstance(url, str) and url.rstrip("/"):
                names.append(url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])
    return names


def export_files(directory: Path) -> ExportFiles:
    """The export's data files in a stable (name) order, and every other file as a
    failure. Raises OSError if the directory cannot be listed."""
    entries = sorted(directory.iterdir())
    data: list[Path] = []
    not_read: list[InputFailure] = []
    listed: dict[str, str] = {}  # file name -> manifest that lists it
    manifests = set()
    for p in entries:
        if p.is_file() and p.suffix.lower() == ".json":
            names = _manifest_files(p)
            if names is not None:
                manifests.add(p)
                listed.update((n, p.name) for n in names)
    by_name = {p.name: p for p in entries}
    for name, manifest in sorted(listed.items()):
        if name not in by_name:
            not_read.append(_failure(str(directory / manifest), f"lists {shown(name)}, which is not in "
                                     "the directory; that part of the export is missing"))
    for p in entries:
        if p in manifests:
            continue
        if not p.is_file():
            not_read.append(_failure(str(p), "not read: not a file of a FHIR Bulk Data export "
                                     "(a directory or a special file)"))
        elif _DATA_NAME.search(p.name) or p.name in listed:
            data.append(p)
        else:
            not_read.append(_failure(str(p), "not read: not an NDJSON file of the export (read are "
                                     "*.ndjson, *.ndjson.gz, *.ndjson.bz2 and the files the manifest lists)"))
    return ExportFiles(data, not_read)


def ndjson_files(directory: Path) -> list[Path]:
    """The export's data files, in a stable (name) order."""
    return export_files(directory).data


class BulkAdapter:
    """Input adapter for a FHIR Bulk Data export directory (many patients)."""

    name = "fhir-bulk"

    def sniff(self, path: Path, head: Any) -> bool:
        """A directory holding at least one data file (``.ndjson``, compressed or not)."""
        try:
            return path.is_dir() and bool(ndjson_files(path))
        except OSError:
            return False

    def count(self, path: Path) -> int | None:
        """The number of Patient lines (for a progress bar), or None if unknown
        (compressed Patient files are not decompressed twice just to count)."""
        try:
            total = 0
            for f in ndjson_files(path):
                if f.name.lower().startswith("patient"):
                    if _compression(f):
                        return None
                    with f.open("rb") as fh:
                        total += sum(1 for raw in fh if raw.strip())
            return total
        except OSError:
            return None

    def read(self, path: Path, document: Any = None) -> Iterator[PatientRecord | InputFailure]:
        """Yield a record per Patient (by id) and a failure per unreadable line or file."""
        try:
            found = export_files(path)
        except OSError as exc:
            yield _failure(str(path), f"cannot be read: {exc.strerror or exc}")
            return
        if not found.data:
            yield _failure(str(path), "holds no .ndjson files (not a FHIR Bulk Data export)")
            return
        yield from found.not_read
        with tempfile.TemporaryDirectory(prefix="trialrules-bulk-") as tmp:
            store = GroupingStore(Path(tmp))
            try:
                yield from _Export(found.data, store).read()
            finally:
                store.close()


def _lines(fh: IO[bytes]) -> Iterator[bytes | None]:
    """Each line; None for a line longer than MAX_LINE_BYTES, which is skipped in
    bounded memory."""
    while True:
        raw = fh.readline(MAX_LINE_BYTES)
        if not raw:
            return
        if len(raw) < MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield raw
            continue
        while not raw.endswith(b"\n"):
            raw = fh.readline(MAX_LINE_BYTES)
            if not raw:
                break
        yield None


class _Export:
    """One read of an export: every line parsed and filed by patient, then the records built."""

    def __init__(self, files: list[Path], store: GroupingStore) -> None:
        self.names = [str(f) for f in files]
        self.paths = list(files)
        self.store = store

    def read(self) -> Iterator[PatientRecord | InputFailure]:
        for i in range(len(self.paths)):
            yield from self._file_lines(i)
        self.store.finish()
        yield from self._patients()

    # -- reading the files ---------------------------------------------------

    def _file_lines(self, index: int) -> Iterator[InputFailure]:
        name, source = self.names[index], self.paths[index]
        compression = _compression(source)
        try:
            fh: IO[bytes] = _OPENERS[compression](source, "rb") if compression else source.open("rb")
        except OSError as exc:
            yield _failure(name, f"cannot be read: {exc.strerror or exc}")
            return
        with fh:
            number = 0
            try:
                for number, raw in enumerate(_lines(fh), start=1):
                    if raw is None:
                        yield _failure(name, f"line is longer than {MAX_LINE_BYTES} bytes; not read", number)
                    elif raw.strip():
                        problem = self._file_line(raw, Line(index, number))
                        if problem is not None:
                            yield problem
            except _STREAM_ERRORS as exc:
                # Lines before the damage are read; the rest of the file cannot be.
                what = "gzip" if compression == ".gz" else "bzip2" if compression else "the"
                yield _failure(name, f"{what} file cannot be read after line {number} "
                               f"({type(exc).__name__}: {exc}); the rest of this file is not read")

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
            self.store.add_patient(rid, where, doc)
        elif rtype == "Medication":
            if _usable_key(rid):
                self.store.add_medication(rid, where, doc)
        elif rtype in SUBJECT_FIELD:
            field = SUBJECT_FIELD[rtype]
            ref = reference_of(doc.get(field))
            pid = _patient_id(ref) if ref is not None else None
            if pid is None or not _usable_key(pid):
                what = "no" if ref is None else f"{ref!r}, not a"
                return _failure(name, f"has {what} Patient reference in {field}; it cannot be "
                                "attributed to a patient", where.line, label, f"$.{field}")
            self.store.add_resource(pid, where, doc)
        return None

    # -- building the records ------------------------------------------------

    def _patients(self) -> Iterator[PatientRecord | InputFailure]:
        resources = self.store.resources()
        pending = next(resources, None)
        first_line: tuple[str, Line] | None = None
        for pid, patient in self.store.patients():
            while pending is not None and pending[0] < pid:
                yield self._orphan(*pending)
                pending = next(resources, None)
            group: list[Stored] = []
            while pending is not None and pending[0] == pid:
                group.append(pending[1])
                pending = next(resources, None)
            where = patient.where
            if first_line is not None and first_line[0] == pid:
                first = first_line[1]
                yield _failure(self.names[where.file],
                               f"duplicate Patient id (first at {self.names[first.file]}:{first.line}); "
                               "this line is not read", where.line, f"Patient/{pid}")
                continue
            first_line = (pid, where)
            yield self._record(patient, group)
        while pending is not None:
            yield self._orphan(*pending)
            pending = next(resources, None)

    def _orphan(self, pid: str, resource: Stored) -> InputFailure:
        doc = resource.document()
        return _failure(self.names[resource.where.file], f"subject Patient/{pid} has no Patient resource in "
                        "this export; the resource is not read", resource.where.line,
                        f"{doc.get('resourceType')}/{doc.get('id')}")

    def _record(self, patient: Stored, group: list[Stored]) -> PatientRecord | InputFailure:
        name = self.names[patient.where.file]
        try:
            cache: dict[str, Any] = {}

            def medication(ref: str) -> dict[str, Any] | None:
                found = type_and_id(ref)
                if found is None or found[0] != "Medication":
                    return None
                if found[1] not in cache:
                    cache[found[1]] = self.store.medication(found[1])
                return cache[found[1]]  # type: ignore[no-any-return]

            with _gc.paused():  # the record's objects all live until it is built
                builder = RecordBuilder(patient.document(), self._where(patient.where), medication, name)
                for resource in group:
                    builder.add(resource.document(), self._where(resource.where))
                return builder.build()
        except Exception as exc:  # noqa: BLE001 - a bug of ours must not stop the batch
            # Conservative: dropping one unreadable resource could hide an exclusion.
            return _failure(name, f"patient could not be read ({type(exc).__name__}: {exc})", patient.where.line)

    def _where(self, line: Line) -> Where:
        return Where(self.names[line.file], line.line)
