"""
What the compiled rules (``compile.py``) read: an ingested export's records as plain
columns, computed once per export next to its Parquet tables.

Every column comes from the per-patient engine's own functions, applied to the stored
records: ``when_of`` (an Observation's interval of instants, partial dates and zones
included), ``applicable_ranges`` (the reference ranges that apply to the patient's sex
and age at the result's date) and the evaluator's record periods. SQL then only
compares these numbers and dates, so it cannot read a date or a range differently
from the per-patient engine. Values that SQL does not judge itself (codings, texts)
and the codes of records are kept once per distinct value (``*_key`` tables): the
compiler judges each distinct one with the per-patient engine's code and joins the
answer back.

The facts are written beside the ingest, in their own folder, once (a folder that
appears whole or not at all, as the ingest's does).
"""

from __future__ import annotations

import json
import math
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trialrules.population.store import Store

# fact_record's ``start``: a medication's own start (``Medication.start``), which ``begin``
# replaces by its end where the source gives none; NULL for other kinds.
#: Bump when a column's meaning changes.
FACTS_FORMAT = 2
_PICKLE = pickle.HIGHEST_PROTOCOL
_BATCH = 50_000
_KINDS = (("condition", "conditions"), ("medication", "medications"), ("procedure", "procedures"),
          ("immunization", "immunizations"), ("allergy", "allergies"))


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    i64, f64, s, d, b = pa.int64(), pa.float64(), pa.string(), pa.date32(), pa.bool_()
    return {
        "fact_patient": pa.schema([("ord", i64), ("id", s), ("birth_date", d), ("sex", s), ("warnings", s)]),
        "fact_attestation": pa.schema([("ord", i64), ("key", s), ("answer", b)]),
        "fact_record": pa.schema([
            ("ord", i64), ("kind", s), ("pos", i64), ("key", i64), ("status", s), ("verification", s),
            ("clinical", s), ("begin", d), ("end", d), ("end_unknown", b), ("begin_latest", d),
            ("end_earliest", d), ("start", d)]),
        "fact_record_key": pa.schema([("key", i64), ("kind", s), ("record", pa.binary())]),
        "fact_observation": pa.schema([
            ("ord", i64), ("seq", i64), ("ignored", b), ("codekey", i64), ("valkey", i64), ("vkind", s),
            ("number", f64), ("finite", b), ("unit", s), ("comparator", s),
            ("has_when", b), ("lo", f64), ("hi", f64), ("zoned", b), ("first_day", d), ("last_day", d),
            ("n_ranges", i64), ("n_applicable", i64), ("range_certain", b),
            ("high_value", f64), ("high_unit", s), ("high_cmp", s),
            ("low_value", f64), ("low_unit", s), ("low_cmp", s), ("obs_date", d)]),
        "fact_obs_codekey": pa.schema([("codekey", i64), ("codes", pa.binary())]),
        "fact_obs_valkey": pa.schema([("valkey", i64), ("observation", pa.binary())]),
    }


class Facts:
    """The fact tables of one ingested export."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def table(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def keys(self, name: str) -> Iterator[tuple[Any, ...]]:
        """The rows of a ``*_key`` table, its last column (a pickle) read back."""
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(self.table(name))
        for batch in parquet.iter_batches(batch_size=4096):
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for row in zip(*columns, strict=True):
                yield (*row[:-1], pickle.loads(row[-1]))  # noqa: S301 - our own cache (a private folder)


def facts(store: Store) -> Facts:
    """The export's facts, computed now if this is the first compiled screening of it."""
    folder = store.folder / f"facts-{FACTS_FORMAT}-{_source_key()}"
    if (folder / "done").exists():
        return Facts(folder)
    work = Path(tempfile.mkdtemp(prefix="facts-", dir=store.folder))
    try:
        _write(store, work)
        (work / "done").write_text("", encoding="utf-8")
        try:
            work.rename(folder)
        except OSError:  # another process wrote them first
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Facts(folder)


def _source_key() -> str:
    """A hash of the code the facts are computed with (dates, ranges, periods, statuses), so
    that a changed reading never reuses old facts."""
    import hashlib

    import trialrules

    package = Path(trialrules.__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for name in ("engine/latest.py", "engine/evaluator.py", "language/statuses.py", "language/models.py",
                 "population/facts.py"):
        path = package / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


class _Writer:
    def __init__(self, folder: Path) -> None:
        import pyarrow.parquet as pq

        self.schemas = _schemas()
        self.rows: dict[str, list[tuple[Any, ...]]] = {n: [] for n in self.schemas}
        self.writers = {n: pq.ParquetWriter(str(folder / f"{n}.parquet"), s) for n, s in self.schemas.items()}

    def add(self, name: str, row: tuple[Any, ...]) -> None:
        batch = self.rows[name]
        batch.append(row)
        if len(batch) >= _BATCH:
            self.flush(name)

    def flush(self, name: str) -> None:
        import pyarrow as pa

        batch = self.rows[name]
        if batch:
            schema = self.schemas[name]
            columns = list(zip(*batch, strict=True))
            self.writers[name].write_table(pa.Table.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)], schema=schema))
            batch.clear()

    def close(self) -> None:
        for name in self.rows:
            self.flush(name)
        for w in self.writers.values():
            w.close()


def _write(store: Store, work: Path) -> None:
    import pyarrow.parquet as pq

    out = _Writer(work)
    record_keys: dict[tuple[str, Any], int] = {}
    code_keys: dict[Any, int] = {}
    value_keys: dict[tuple[str, str], int] = {}
    patients = _PatientCursor(store, out, record_keys)
    try:
        parquet = pq.ParquetFile(store.table("observation"))
        for batch in parquet.iter_batches(batch_size=8192, columns=["ord", "seq", "observation"]):
            for ordinal, seq, blob in zip(*(batch.column(i).to_pylist() for i in range(3)), strict=True):
                birth, sex = patients.upto(ordinal)
                obs = pickle.loads(blob)  # noqa: S301 - our own cache
                out.add("fact_observation", _observation_row(ordinal, seq, obs, birth, sex, code_keys,
                                                             value_keys, out))
        patients.upto(None)
    finally:
        out.close()


class _PatientCursor:
    """The store's patients in order, each written once; the tables share the patient order."""

    def __init__(self, store: Store, out: _Writer, record_keys: dict[tuple[str, Any], int]) -> None:
        self.stream = iter(store.patients())
        self.out, self.record_keys = out, record_keys
        self.current: tuple[int, Any, Any] = (-1, None, None)

    def upto(self, ordinal: int | None) -> tuple[Any, Any]:
        """(birth date, sex) of the patient ``ordinal``, writing every patient before it
        (all that are left when None)."""
        while ordinal is None or self.current[0] < ordinal:
            item = next(self.stream, None)
            if item is None:
                break
            record = pickle.loads(item[1])  # noqa: S301 - our own cache
            self.current = (item[0], record.birth_date, record.sex)
            _patient_rows(item[0], record, self.out, self.record_keys)
        return (self.current[1], self.current[2]) if self.current[0] == ordinal else (None, None)


def _patient_rows(ordinal: int, record: Any, out: _Writer, record_keys: dict[tuple[str, Any], int]) -> None:
    from trialrules.engine.spans import record_bounds

    out.add("fact_patient", (ordinal, record.id, record.birth_date, record.sex, json.dumps(list(record.warnings))))
    for key, answer in record.attestations.items():
        out.add("fact_attestation", (ordinal, key, bool(answer)))
    for kind, attr in _KINDS:
        for pos, rec in enumerate(getattr(record, attr)):
            verification = getattr(rec, "verification_status", None)
            group = (kind, (rec.codes, getattr(rec, "ingredients", ()), verification))
            key = record_keys.get(group)
            if key is None:
                key = record_keys[group] = len(record_keys)
                out.add("fact_record_key", (key, kind, pickle.dumps(rec, protocol=_PICKLE)))
            # a record's days as engine.spans gives them: begun on begin..begin_latest, ended on
            # end_earliest..end (a one-day record ends when it begins), end_unknown its flag
            b = record_bounds(rec, kind)
            out.add("fact_record", (ordinal, kind, pos, key, getattr(rec, "status", None), verification,
                                    getattr(rec, "clinical_status", None), b.first_lo, b.end_hi, b.end_unknown,
                                    b.first_hi, b.end_lo, getattr(rec, "start", None)))


def _observation_row(ordinal: int, seq: int, obs: Any, birth: Any, sex: Any, code_keys: dict[Any, int],
                     value_keys: dict[tuple[str, str], int], out: _Writer) -> tuple[Any, ...]:
    from trialrules.engine.latest import applicable_ranges, when_of
    from trialrules.language.models import Quantity
    from trialrules.language.statuses import OBSERVATION_UNUSABLE

    codekey = code_keys.get(obs.codes)
    if codekey is None:
        codekey = code_keys[obs.codes] = len(code_keys)
        out.add("fact_obs_codekey", (codekey, pickle.dumps(obs.codes, protocol=_PICKLE)))
    value = obs.value
    number = unit = comparator = None
    valkey = None
    if isinstance(value, Quantity):
        vkind, number, unit, comparator = "qty", value.value, value.unit, value.comparator
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        vkind, number = "num", float(value)
    else:
        vkind = "other"
        ident = (type(value).__name__, repr(value))
        valkey = value_keys.get(ident)
        if valkey is None:
            valkey = value_keys[ident] = len(value_keys)
            out.add("fact_obs_valkey", (valkey, pickle.dumps(obs, protocol=_PICKLE)))
    finite = number is not None and math.isfinite(number)
    when = when_of(obs)
    ranges = applicable_ranges(obs.reference_ranges, birth, sex, when)
    high = low = None
    certain = len(ranges) == 1 and ranges[0][1]
    if len(ranges) == 1:
        high, low = ranges[0][0].high, ranges[0][0].low

    def bound(q: Any) -> tuple[Any, Any, Any]:
        if q is None:
            return None, None, None
        return (q.value if math.isfinite(q.value) else None), q.unit, q.comparator

    hv, hu, hc = bound(high)
    lv, lu, lc = bound(low)
    return (
        ordinal, seq, obs.status in OBSERVATION_UNUSABLE, codekey, valkey, vkind,
        number if finite else None, finite, unit, comparator,
        when is not None, when.lo if when else None, when.hi if when else None, when.zoned if when else None,
        when.first_day if when else None, when.last_day if when else None,
        len(obs.reference_ranges), len(ranges), certain, hv, hu, hc, lv, lu, lc, obs.date,
    )
