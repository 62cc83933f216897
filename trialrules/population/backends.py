"""
The SQL engines: DuckDB (embedded, the reference dialect) and Apache Spark.

Both run the same query, written once in DuckDB's dialect and translated for
Spark by sqlglot (a transpiler: the query stays one text, one home, and sqlglot
knows the dialects' differences, e.g. ``starts_with`` / ``STARTSWITH``, null
ordering). The query joins every Observation's codings with the value sets the
screened trials can ask for (exact codes by hash join; ICD-10 and ATC prefixes by
system, then prefix) and returns, in patient order, only the Observations some
value set holds. Rows stream out in order, so memory does not grow with the
population.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from trialrules.errors import TrialRulesError
from trialrules.language.terminology import Matcher
from trialrules.population.store import Store

SELECT_OBSERVATIONS = """
WITH hit AS (
  SELECT c.ord, c.seq FROM observation_code AS c
  JOIN valueset_code AS w ON c.system = w.system AND c.code = w.code
  WHERE NOT w.prefix
  UNION
  SELECT c.ord, c.seq FROM observation_code AS c
  JOIN valueset_code AS w ON c.system = w.system AND starts_with(c.code, w.code)
  WHERE w.prefix
)
SELECT o.ord, o.seq, o.observation FROM observation AS o
SEMI JOIN hit ON o.ord = hit.ord AND o.seq = hit.seq
ORDER BY o.ord, o.seq
"""

ENGINES = ("python", "duckdb", "spark")


class EngineUnavailable(TrialRulesError):
    """The chosen engine's package (or Java, for Spark) is not installed."""


def valueset_codes(matchers: Iterable[Matcher]) -> list[tuple[str | None, str, bool]]:
    """(system, code, prefix) of every code the matchers include, without duplicates.

    Exclusions are left to the evaluator: the query only has to return every
    Observation a value set could hold (a superset), never decide membership.
    """
    rows: set[tuple[str | None, str, bool]] = set()
    for m in matchers:
        rows.update((s, c, False) for s, c in m.exact)
        rows.update((s, c, True) for s, c in m.prefixes)
    return sorted(rows, key=lambda r: (r[0] or "", r[1], r[2]))


class DuckDBBackend:
    """The query in an embedded, in-memory DuckDB database over the Parquet files."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str = "1GB") -> None:
        try:
            import duckdb
        except ImportError:
            raise EngineUnavailable(
                "--engine duckdb needs DuckDB: pip install 'trialrules[duckdb]'"
            ) from None
        self._con = duckdb.connect(":memory:")
        self._con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        # Sorting spills to disk past this; the stream out is read in batches.
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute("SET preserve_insertion_order = false")
        # DuckDB 2.0.1 returned wrong values from the compiled rules (``--format csv``) with this
        # optimizer on: a second LEFT JOIN that matched nothing, in a relation a function's SQL form
        # reads, changed another leaf's result once the query's results were unioned (found by the
        # 2,000-patient equivalence test; disabling filter_pushdown or cte_inlining also cures it).
        # Results must not depend on an optimizer; the cost measured was none.
        self._con.execute("SET disabled_optimizers = 'statistics_propagation'")

    def observations(self, store: Store, codes: list[tuple[str | None, str, bool]]) -> Iterator[tuple[int, bytes]]:
        import pyarrow as pa

        con = self._con
        for name in ("observation", "observation_code"):
            path = str(store.table(name)).replace("'", "''")
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        table = pa.table({
            "system": pa.array([c[0] for c in codes], pa.string()),
            "code": pa.array([c[1] for c in codes], pa.string()),
            "prefix": pa.array([c[2] for c in codes], pa.bool_()),
        })
        con.register("valueset_code", table)
        reader = con.sql(SELECT_OBSERVATIONS).to_arrow_reader(8192)
        for batch in reader:
            yield from zip(batch.column(0).to_pylist(), batch.column(2).to_pylist(), strict=True)

    def close(self) -> None:
        self._con.close()


_SPARK: Any = None


def spark_session(master: str | None = None) -> Any:
    """One SparkSession per process (local[*] unless a master is given or configured)."""
    global _SPARK
    if _SPARK is not None:
        return _SPARK
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable("--engine spark needs PySpark: pip install 'trialrules[spark]'") from None
    import shutil

    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise EngineUnavailable("--engine spark needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)")
    builder = SparkSession.builder.appName("trialrules")
    if master:
        builder = builder.master(master)
    elif not os.environ.get("SPARK_MASTER") and "spark.master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        builder = builder.master("local[*]")
    if not os.environ.get("PYSPARK_PYTHON"):
        import sys

        # Workers judge patients with trialrules and its plugins: this interpreter has them.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = (builder.config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")  # stderr is the CLI's own
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.driver.memory", os.environ.get("TRIALRULES_SPARK_DRIVER_MEMORY", "1g")))
    _SPARK = builder.getOrCreate()
    _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


class SparkBackend:
    """The same query on Spark (PySpark), reading the same Parquet files."""

    name = "spark"

    def __init__(self, master: str | None = None) -> None:
        self._spark = spark_session(master)

    def _register(self, store: Store, codes: list[tuple[str | None, str, bool]]) -> Any:
        from pyspark.sql.types import BooleanType, StringType, StructField, StructType

        spark = self._spark
        for name in ("observation", "observation_code"):
            spark.read.parquet(str(store.table(name))).createOrReplaceTempView(name)
        schema = StructType([StructField("system", StringType()), StructField("code", StringType()),
                             StructField("prefix", BooleanType())])
        spark.createDataFrame(codes, schema).createOrReplaceTempView("valueset_code")
        return spark

    def observations(self, store: Store, codes: list[tuple[str | None, str, bool]]) -> Iterator[tuple[int, bytes]]:
        import sqlglot

        spark = self._register(store, codes)
        query = sqlglot.transpile(SELECT_OBSERVATIONS, read="duckdb", write="spark")[0]
        for row in spark.sql(query).toLocalIterator():
            yield row[0], bytes(row[2])

    def judged(self, store: Store, codes: list[tuple[str | None, str, bool]], trial_ids: Sequence[str],
               as_of: str) -> Iterator[tuple[int, bytes]]:
        """Every patient judged on the executors (``workers.judge_partition``), in patient order."""
        import functools

        import sqlglot
        from pyspark.sql import functions as F

        from trialrules.population.workers import judge_partition

        spark = self._register(store, codes)
        selection = SELECT_OBSERVATIONS.rsplit("ORDER BY", 1)[0]  # grouped below; order comes from ord
        selected = spark.sql(sqlglot.transpile(selection, read="duckdb", write="spark")[0])
        grouped = selected.groupBy("ord").agg(F.collect_list(F.struct("seq", "observation")).alias("obs"))
        patients = spark.read.parquet(str(store.table("patient"))).select("ord", "record")
        rows = patients.join(grouped, "ord", "left").rdd
        judged = rows.mapPartitions(functools.partial(judge_partition, list(trial_ids), as_of))
        for ordinal, payload in judged.sortByKey().toLocalIterator():
            yield ordinal, bytes(payload)

    def close(self) -> None:
        """The session stays for the process (starting one costs seconds)."""


def check_engine(name: str) -> None:
    """Raise :class:`EngineUnavailable` (saying what to install) unless the engine can run here."""
    import importlib.util
    import shutil

    if name == "duckdb" and (importlib.util.find_spec("duckdb") is None or importlib.util.find_spec("pyarrow") is None):
        raise EngineUnavailable("--engine duckdb needs DuckDB: pip install 'trialrules[duckdb]'")
    if name == "spark":
        if any(importlib.util.find_spec(m) is None for m in ("pyspark", "pyarrow", "sqlglot", "duckdb")):
            raise EngineUnavailable("--engine spark needs PySpark: pip install 'trialrules[spark]'")
        if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
            raise EngineUnavailable("--engine spark needs Java 17 (e.g. apt-get install openjdk-17-jre-headless)")


def backend(name: str, spark_master: str | None = None) -> DuckDBBackend | SparkBackend:
    if name == "duckdb":
        return DuckDBBackend()
    if name == "spark":
        return SparkBackend(spark_master)
    raise ValueError(name)
