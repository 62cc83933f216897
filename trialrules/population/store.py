"""
A Bulk export ingested once into Parquet tables, cached by the export's content.

Two kinds of table, in one folder per export (``Store.table(name)``):

* **Reader tables**, written from the project's own FHIR reader (``read_patients``),
  the one the per-patient engine uses: it validates every line (a bad line is an
  error naming file, line, resource and path; the batch goes on) and interprets
  partial dates, comparators, statuses and contained Medications in one place, so
  the engines judge the same records. Batches of patients: memory does not grow.

  - ``patient(ord BIGINT, id VARCHAR, birth_date DATE, sex VARCHAR, record BLOB)``:
    one row per record in the reader's order; ``ord`` is the position in the
    reader's output stream (records and failures); ``record`` the pickled
    ``PatientRecord`` without its Observations.
  - ``observation(ord, seq BIGINT, id VARCHAR, status VARCHAR, date DATE,
    value_number DOUBLE, value_unit VARCHAR, observation BLOB)``: one row per
    Observation of a record (``seq``: its position; components are rows of their own).
  - ``observation_code(ord, seq, system VARCHAR, code VARCHAR)``: one row per coding,
    normalised as value sets match them (canonical system URI; ICD-10/ATC without dots).
  - ``failure(ord, input VARCHAR, error VARCHAR)``: each error line, where it fell.

* **View tables** ``fhir_*``, one per SQL-on-FHIR v2 ViewDefinition in ``views/``,
  written by DuckDB from the same files (``viewtables``): the view's columns after
  ``ord``, rows of the patients the reader accepted, in ``ord`` order. Their layout
  is the view files' (one home); ``viewtables`` says why both readers run.

The cache key hashes every file of the export (names, sizes, bytes), the
trialrules version, the source of the reader and model, and the views and their
compiler, so a changed export, reader or view never reuses an old ingest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from trialrules.errors import TrialRulesError
from trialrules.language.models import InputFailure, PatientRecord
from trialrules.language.registry import Registry
from trialrules.language.terminology import _normal_code, system_uri
from trialrules.population.viewtables import views_digest_parts

#: Bump when the layout of the tables or of the stored values changes.
STORE_FORMAT = 2
TABLES = ("patient", "observation", "observation_code", "failure")
_BATCH_PATIENTS = 2_000
# Stored records are our own pickles in a private (0700) cache folder, never input.
_PICKLE = pickle.HIGHEST_PROTOCOL


def _arrow_schema(name: str) -> Any:
    """The layout of a reader table (see the module docstring)."""
    import pyarrow as pa

    fields = {
        "patient": [("ord", pa.int64()), ("id", pa.string()), ("birth_date", pa.date32()), ("sex", pa.string()),
                    ("record", pa.binary())],
        "observation": [("ord", pa.int64()), ("seq", pa.int64()), ("id", pa.string()), ("status", pa.string()),
                        ("date", pa.date32()), ("value_number", pa.float64()), ("value_unit", pa.string()),
                        ("observation", pa.binary())],
        "observation_code": [("ord", pa.int64()), ("seq", pa.int64()), ("system", pa.string()), ("code", pa.string())],
        "failure": [("ord", pa.int64()), ("input", pa.string()), ("error", pa.string())],
    }[name]
    return pa.schema([pa.field(n, t) for n, t in fields])


def default_cache_root() -> Path:
    """``$TRIALRULES_CACHE``, else ``$XDG_CACHE_HOME/trialrules``, else ``~/.cache/trialrules``."""
    env = os.environ.get("TRIALRULES_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trialrules"


def export_key(export: Path) -> str:
    """A hash of everything the ingest depends on: the export's files and the reader."""
    import trialrules

    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"format {STORE_FORMAT} trialrules {trialrules.__version__}\n".encode())
    package = Path(trialrules.__file__).parent
    for source in sorted([package / "language" / "models.py", *(package / "inputs" / "fhir").glob("*.py")]):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for part in views_digest_parts():
        digest.update(part)
    # Every file below the export (a manifest may list files in sub-folders).
    for path in sorted(p for p in export.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(export)}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class Store:
    """An ingested export: a folder of Parquet tables named after the views."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def table(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def failures(self) -> list[tuple[int, InputFailure]]:
        """The reader's failures with their position in its output stream."""
        import pyarrow.parquet as pq

        table = pq.read_table(self.table("failure"))
        return [
            (o, InputFailure(i, e))
            for o, i, e in zip(*(table.column(n).to_pylist() for n in ("ord", "input", "error")), strict=True)
        ]

    def patients(self) -> Iterator[tuple[int, bytes]]:
        """(ordinal, stored record without Observations) for each patient, in reader order."""
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(self.table("patient"))
        for batch in parquet.iter_batches(batch_size=4096, columns=["ord", "record"]):
            yield from zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True)


def ingest(
    export: Path,
    registry: Registry,
    cache_root: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Store:
    """The export's tables, from the cache or read now (once)."""
    root = cache_root or default_cache_root()
    folder = root / "population" / export_key(export)
    if (folder / "done").exists():
        _check_private(root / "population")
        return Store(folder)
    root.mkdir(parents=True, exist_ok=True)
    (root / "population").mkdir(mode=0o700, exist_ok=True)
    _check_private(root / "population")
    work = Path(tempfile.mkdtemp(prefix="ingest-", dir=root / "population"))
    try:
        _write(export, registry, work, log)
        (work / "done").write_text(str(export) + "\n", encoding="utf-8")
        try:
            work.rename(folder)
        except OSError:  # another process finished the same export first: use its tables
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Store(folder)


def _check_private(folder: Path) -> None:
    """The cache holds pickles: read them only from a folder no one else can write to."""
    info = folder.stat()
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        raise TrialRulesError(f"the cache folder {folder} is not private to this user (owner or "
                              "permissions); set TRIALRULES_CACHE to a folder of your own")


class _Progress:
    """Patients ingested, on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.start = time.monotonic()
        self.count = 0

    def step(self) -> None:
        self.count += 1
        if self.enabled and self.count % 1000 == 0:
            rate = self.count / max(time.monotonic() - self.start, 1e-9)
            sys.stderr.write(f"\ringesting: {self.count} patients ({rate:.0f}/s)")
            sys.stderr.flush()

    def line(self, text: str) -> None:
        sys.stderr.write(f"ingesting: {text}\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled and self.count >= 1000:
            sys.stderr.write(f"\ringesting: {self.count} patients, done\n")


def _write(export: Path, registry: Registry, work: Path, log: Callable[[str], None] | None) -> None:
    count = write_reader_tables(export, registry, work)
    write_views(export, work)
    if log is not None:
        log(f"ingested {count} patients from {export}")


def write_views(export: Path, work: Path) -> dict[str, int]:
    """The view tables (``fhir_*``), after :func:`write_reader_tables` wrote ``patient``."""
    from trialrules.inputs.fhir.bulk import export_files
    from trialrules.population.viewtables import write_view_tables

    progress = _Progress()
    return write_view_tables(export_files(export).data, work / "patient.parquet", work,
                             threads=os.cpu_count() or 1, progress=progress.line if progress.enabled else None)


def write_reader_tables(export: Path, registry: Registry, work: Path) -> int:
    """The reader tables (``patient``, ``observation``, ``observation_code``, ``failure``);
    returns the number of patients."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from trialrules.api import read_patients
    from trialrules.language.models import evolve

    schemas = {name: _arrow_schema(name) for name in TABLES}
    writers = {name: pq.ParquetWriter(str(work / f"{name}.parquet"), schemas[name]) for name in TABLES}
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    ordinal = 0
    pending = 0
    progress = _Progress()

    def flush() -> None:
        for name, batch in rows.items():
            if batch:
                columns = list(zip(*batch, strict=True))
                writers[name].write_table(pa.Table.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(columns, schemas[name], strict=True)],
                    schema=schemas[name]))
                batch.clear()

    def on_error(failure: InputFailure) -> None:
        nonlocal ordinal
        rows["failure"].append((ordinal, failure.input, failure.error))
        ordinal += 1

    try:
        for record in read_patients(str(export), on_error=on_error, registry=registry):
            _add_record(rows, ordinal, record, evolve)
            ordinal += 1
            pending += 1
            progress.step()
            if pending >= _BATCH_PATIENTS:
                flush()
                pending = 0
        flush()
    finally:
        for w in writers.values():
            w.close()
        progress.done()
    return progress.count


def _day(value: Any) -> dt.date | None:
    # The column is for SQL and people; the stored Observation keeps the reader's own value.
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _add_record(rows: dict[str, list[tuple[Any, ...]]], ordinal: int, record: PatientRecord, evolve: Any) -> None:
    from trialrules.language.models import Quantity

    rest = evolve(record, observations=())
    rows["patient"].append((
        ordinal, record.id, record.birth_date, record.sex, pickle.dumps(rest, protocol=_PICKLE),
    ))
    observations = rows["observation"]
    codes = rows["observation_code"]
    for seq, obs in enumerate(record.observations):
        value = obs.value
        number = unit = None
        if isinstance(value, Quantity):
            number, unit = value.value, value.unit
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        observations.append((ordinal, seq, obs.id, obs.status, _day(obs.date), number, unit,
                             pickle.dumps(obs, protocol=_PICKLE)))
        for coding in obs.codes:
            system = system_uri(coding.system)
            codes.append((ordinal, seq, system, _normal_code(system, coding.code)))
