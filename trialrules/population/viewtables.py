"""
The export's flat tables, one per ViewDefinition in ``views/``, written by DuckDB.

Each view (SQL-on-FHIR v2, compiled by :mod:`trialrules.population.viewdef`) becomes
``<view name>.parquet`` in the store's folder. DuckDB's JSON reader reads every data
file of the export once (the files the per-patient reader reads, in the same order;
gzip natively, bzip2 decompressed first) into a staging table on disk, tagged by each
line's own ``resourceType`` as the reader dispatches, parsing each line once into the
top-level members some view reads; each view is then one query over that table, so
nothing but DuckDB's bounded buffers is held in memory.

Why the Python reader still reads the export too: DuckDB's JSON reader cannot locate
bad input. Without ``ignore_errors`` the first malformed line stops the whole read
(and the line it names is where the parser gave up, which after an unterminated
object is the next line); with it, a malformed line becomes a NULL row with no file
or line, and blank lines are not rows, so row numbers are not line numbers.
docs/interface.md section 4 asks for ``FILE:line: what is wrong`` for each bad line
and for the batch to go on. So the reader validates (and builds the records the
evaluator judges), and the views only flatten what it accepted: every view row
carries ``ord``, the reader's patient ordinal, and rows whose patient the reader did
not accept (malformed lines, orphans, unusable subjects) are left out, as the
reader reports each of them. For a Patient id given twice, the first line is kept,
as the reader does.

Column layout of every table: ``ord`` (BIGINT; absent for ``fhir_medication*``,
which are not a patient's), then the view's columns in the view's order, typed as
the view says (dates as their ISO text: partial dates stay partial). Rows are in
``ord`` order, then in the order of the export's lines and of each ``forEach``.
"""

from __future__ import annotations

import bz2
import json
import shutil
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from trialrules.population.viewdef import ViewError, foreach_count, install_macros, top_sql, view_sql

#: DuckDB's limit for one JSON line, as the reader's (trialrules.inputs.fhir.bulk.MAX_LINE_BYTES).
_MAX_OBJECT = 64 * 1024 * 1024


def views() -> dict[str, dict[str, Any]]:
    """Every ViewDefinition of ``views/`` by name, in name order."""
    folder = resources.files("trialrules.population").joinpath("views")
    out: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            view: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
            if view.get("name") != entry.name[:-5]:
                raise ViewError(f"views/{entry.name}: its name is {view.get('name')!r}")
            out[view["name"]] = view
    return out


def views_digest_parts() -> list[bytes]:
    """The bytes the ingest's result depends on here (for the cache key)."""
    folder = resources.files("trialrules.population").joinpath("views")
    parts = [e.name.encode() + b"\0" + e.read_bytes() for e in sorted(folder.iterdir(), key=lambda e: e.name)
             if e.name.endswith(".json")]
    for module in ("viewdef.py", "viewtables.py"):
        parts.append(resources.files("trialrules.population").joinpath(module).read_bytes())
    return parts


def _compression(path: Path) -> str:
    with path.open("rb") as fh:
        magic = fh.read(3)
    return "gzip" if magic[:2] == b"\x1f\x8b" else "bzip2" if magic == b"BZh" else "none"


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_view_tables(
    files: list[Path], patients: Path, work: Path, *, threads: int, memory_limit: str = "1GB",
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write every view's table into ``work`` from the export's data ``files``, keeping the
    rows of the patients in ``patients`` (the reader's patient table: ``ord``, ``id``).
    Returns the number of rows of each table."""
    import duckdb

    scratch = work / "views-scratch"
    scratch.mkdir()
    con = duckdb.connect(str(scratch / "staging.duckdb"))
    try:
        con.execute(f"SET threads = {int(threads)}")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = {_sql_path(scratch / 'spill')}")
        install_macros(con)
        start = time.monotonic()
        every = views()
        roots: dict[str, int] = {}
        for view in every.values():  # number every top-level member any view reads
            view_sql(view, "src", carry=("line",), roots=roots)
        _stage(con, files, scratch, top_sql(roots), roots["resourceType"])
        if progress is not None:
            total = con.sql("SELECT count(*) FROM src").fetchall()[0][0]
            progress(f"views: staged {total} resources in {time.monotonic() - start:.1f} s")
        con.execute(f"CREATE TEMP VIEW reader_patient AS SELECT ord, id FROM read_parquet({_sql_path(patients)})")
        counts: dict[str, int] = {}
        for name, view in every.items():
            start = time.monotonic()
            counts[name] = _write_view(con, view, work / f"{name}.parquet", roots)
            if progress is not None:
                progress(f"views: {name}: {counts[name]} rows in {time.monotonic() - start:.1f} s")
        return counts
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _stage(con: Any, files: list[Path], scratch: Path, top: str, kind: int) -> None:
    """``src(resource_type, top)``: every data line that is JSON, in file order (rowid), as the
    list of the top-level members the views read (``top``: one parse of each line)."""
    import duckdb

    con.execute("SET preserve_insertion_order = true")
    con.execute("CREATE TABLE src (resource_type VARCHAR, top JSON[])")
    for number, path in enumerate(files):
        compression = _compression(path)
        if compression == "bzip2":  # DuckDB reads gzip and zstd, not bzip2
            plain = scratch / f"{number}.ndjson"
            with bz2.open(path, "rb") as src, plain.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            path, compression = plain, "none"
        # one file at a time, in order, insertion order kept: a row's rowid is its place in the export
        try:
            _insert(con, path, compression, top, kind)
        except duckdb.Error:
            # A damaged file (the reader names it and reads the lines before the damage): the
            # lines Python can read, as the reader reads them, and only those.
            plain = scratch / f"{number}.readable.ndjson"
            _readable_lines(path, plain)
            _insert(con, plain, "none", top, kind)


def _insert(con: Any, path: Path, compression: str, top: str, kind: int) -> None:
    con.execute(f"INSERT INTO src SELECT fhir_string(t[{kind}]), t FROM (SELECT {top} AS t "
                f"FROM read_ndjson_objects({_sql_path(path)}, ignore_errors = true, compression = '{compression}', "
                f"maximum_object_size = {_MAX_OBJECT}) WHERE json IS NOT NULL)")


def _readable_lines(path: Path, out: Path) -> None:
    import gzip
    import zlib

    from trialrules.inputs.fhir import jsonfile

    opener: Any = {"gzip": gzip.open, "bzip2": bz2.open}.get(_compression(path), open)
    with out.open("wb") as dst:
        try:
            with opener(path, "rb") as src:
                for raw in src:
                    doc, problem = jsonfile.loads(raw)
                    if problem is None and isinstance(doc, dict):
                        dst.write(raw.rstrip(b"\r\n") + b"\n")
        except (OSError, EOFError, zlib.error, ValueError):
            pass  # the rest of the file cannot be read: the reader says so


def _write_view(con: Any, view: dict[str, Any], out: Path, roots: dict[str, int]) -> int:
    resource = view["resource"]
    source = f"(SELECT rowid AS line, top FROM src WHERE resource_type = '{resource}')"
    sql = view_sql(view, source, carry=("line",), roots=roots)
    order = ["line", *(f"_each_{n}" for n in range(1, foreach_count(view) + 1))]
    hidden = ", ".join(order)
    names = [c["name"] for s in _selects(view) for c in s.get("column", ())]
    if resource == "Medication":
        query = f"SELECT * EXCLUDE ({hidden}) FROM ({sql}) AS v ORDER BY {', '.join('v.' + o for o in order)}"
    else:
        key = "id" if resource == "Patient" else "patient"
        if key not in names:
            raise ViewError(f"view {view['name']!r}: a {resource} view needs a column {key!r} (the Patient id)")
        query = (f"SELECT p.ord, v.* EXCLUDE ({hidden}) FROM ({sql}) AS v JOIN reader_patient AS p ON v.{key} = p.id"
                 + (" QUALIFY row_number() OVER (PARTITION BY v.id ORDER BY v.line) = 1" if resource == "Patient" else "")
                 + f" ORDER BY p.ord, {', '.join('v.' + o for o in order)}")
    con.execute(f"COPY ({query}) TO {_sql_path(out)} (FORMAT parquet, COMPRESSION zstd)")
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(out).metadata.num_rows)


def _selects(view: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(select: dict[str, Any]) -> None:
        out.append(select)
        for inner in select.get("select", ()):
            walk(inner)

    for s in view.get("select", ()):
        walk(s)
    return out
