"""
A Bulk export ingested once into Parquet tables, cached by the export's content.

The tables are the ViewDefinitions in ``views/`` (SQL-on-FHIR v2): their column
names and types are read from those files, so each table's layout has one home.
Rows come from the project's own FHIR reader (``read_patients``), the same one the
per-patient engine uses: partial dates, comparators, statuses, contained
Medications and bad lines are interpreted in one place, and both engines see the
same data. Each Observation is a row (with its codings in ``observation_code``)
so SQL can select what a trial needs; the rest of a record is one value per
patient. Writing goes in batches of patients, so memory does not grow with the
export.

The cache key hashes every file of the export (names, sizes, bytes), the
trialrules version and the source of the reader and model, so a changed export
or a changed reader never reuses an old ingest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from trialrules.errors import TrialRulesError
from trialrules.models import InputFailure, PatientRecord
from trialrules.registry import Registry
from trialrules.terminology import _normal_code, system_uri

#: Bump when the layout of the tables or of the stored values changes.
STORE_FORMAT = 2
TABLES = ("patient", "observation", "observation_code", "failure")
_BATCH_PATIENTS = 2_000
# Stored records are our own pickles in a private (0700) cache folder, never input.
_PICKLE = pickle.HIGHEST_PROTOCOL


def view(name: str) -> dict[str, Any]:
    """The ViewDefinition JSON of a table."""
    text = resources.files("trialrules.population").joinpath("views", f"{name}.json").read_text(encoding="utf-8")
    out: dict[str, Any] = json.loads(text)
    return out


def _arrow_schema(name: str) -> Any:
    import pyarrow as pa

    types = {
        "integer": pa.int64(), "string": pa.string(), "code": pa.string(), "uri": pa.string(),
        "date": pa.date32(), "decimal": pa.float64(), "base64Binary": pa.binary(),
    }
    fields = []
    for select in view(name)["select"]:
        for column in select["column"]:
            fields.append(pa.field(column["name"], types[column["type"]]))
    return pa.schema(fields)


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
    for source in sorted([package / "models.py", *(package / "fhir").glob("*.py")]):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
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

    def done(self) -> None:
        if self.enabled and self.count >= 1000:
            sys.stderr.write(f"\ringesting: {self.count} patients, done\n")


def _write(export: Path, registry: Registry, work: Path, log: Callable[[str], None] | None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from trialrules.api import read_patients
    from trialrules.models import evolve

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
    if log is not None:
        log(f"ingested {progress.count} patients from {export}")


def _day(value: Any) -> dt.date | None:
    # The column is for SQL and people; the stored Observation keeps the reader's own value.
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _add_record(rows: dict[str, list[tuple[Any, ...]]], ordinal: int, record: PatientRecord, evolve: Any) -> None:
    from trialrules.models import Quantity

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
        observations.append((ordinal, seq, obs.id, obs.status, _day(obs.date), number, unit, obs.dated_by,
                             pickle.dumps(obs, protocol=_PICKLE)))
        for coding in obs.codes:
            system = system_uri(coding.system)
            codes.append((ordinal, seq, system, _normal_code(system, coding.code)))
