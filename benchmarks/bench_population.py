#!/usr/bin/env python3
"""
Population screening benchmark (issue 18): a Bulk export (NDJSON) to results with the
per-patient engine (``--engine python``) against ``--engine duckdb`` and ``--engine spark``.

    python benchmarks/bench_population.py --patients 10000
    python benchmarks/bench_population.py --patients 100000 --engines python,duckdb --dir /tmp/pop100k

Every figure is one ``trialrules screen`` command in a fresh process, timed from outside
(wall clock) with that process's own peak memory (``wait4``), output to /dev/null:

* ``ingest``: a SQL engine's first run fills the cache (Parquet); reported as the
  difference between a run on an empty cache and the same run on a full one;
* per trial and for all five trials: ``--format csv`` (the verdict summary) and
  ``--format ndjson`` (full explanations), on a full cache;
* evaluations/s: patients x trials / CPU seconds; and, in the same run, the per-patient
  engine's CPU over each SQL engine's (csv: the rules compiled to SQL, ``population/compile.py``;
  ndjson: SQL selection, the per-patient evaluator judging).
* the ingest's two parts, each in a process of its own: the project's FHIR reader
  writing the reader tables (validation, the records the evaluator judges) and
  DuckDB writing the ViewDefinition tables (``fhir_*``) from the same files;
  and the end-to-end ratio (first run, ingest included) against the per-patient engine.

The synthetic export comes from ``examples/generate_population.py`` (seeded; ~50
Observations, 10 Conditions, 10 medication resources a patient, with ties, unjudgeable
values and window edges). State the machine and its load with the figures: they are
wall-clock times, so other work on the machine slows them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TRIALS = ("cea-car-t", "cel001", "cnk-ut", "jk500", "nk-gd2")
AS_OF = "2026-01-15"


def write_export(n: int, out: Path, seed: int) -> None:
    spec = importlib.util.spec_from_file_location("generate_population", REPO / "examples" / "generate_population.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_population(n, out, seed, ("inc02_informed_consent", "inc04_informed_consent"))


def run(argv: list[str], cache: Path) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MB, exit code, CPU seconds) of one command, output discarded.

    CPU seconds (user + system of the command and the children it waited for) are the
    figure to trust on a shared machine; wall seconds include waiting for a core."""
    env = {**os.environ, "TRIALRULES_CACHE": str(cache)}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime


def screen(engine: str, fmt: str, export: Path, trials: tuple[str, ...], cache: Path) -> tuple[float, float, int, float]:
    trialrules = shutil.which("trialrules") or str(Path(sys.executable).parent / "trialrules")
    argv = [trialrules, "screen", "--engine", engine, "--format", fmt, "--as-of", AS_OF, "--quiet"]
    for t in trials:
        argv += ["--trial", t]
    return run([*argv, str(export)], cache)


def ingest_part(part: str, export: Path, out: Path) -> None:
    """One part of the ingest in this process (the benchmark times it from outside)."""
    from trialrules.api import Engine
    from trialrules.population import store

    out.mkdir(parents=True, exist_ok=True)
    if part == "reader":
        store.write_reader_tables(export, Engine().registry, out)
    else:
        store.write_views(export, out)


def ingest_split(export: Path, tmp: Path) -> dict[str, Any]:
    out = tmp / "split"
    figures = {}
    for part in ("reader", "views"):
        seconds, peak, code, cpu = run([sys.executable, __file__, "--ingest-part", part, "--dir", str(export),
                                        "--out", str(out)], tmp / "unused-cache")
        figures[part] = {"s": round(seconds, 1), "cpu_s": round(cpu, 1), "peak_mb": round(peak), "exit": code}
    figures["parquet_mb"] = round(sum(p.stat().st_size for p in out.glob("*.parquet")) / 1e6)
    shutil.rmtree(out, ignore_errors=True)
    return figures


def ratios(engines: dict[str, Any]) -> dict[str, Any]:
    """End to end (ingest included): CPU of the per-patient engine over each SQL engine's first run."""
    out: dict[str, Any] = {}
    python = engines.get("python", {})
    for name, figures in engines.items():
        if name == "python":
            continue
        base, first = python.get("all_trials_csv"), figures.get("first_run_all_trials_csv")
        if base and first and first["cpu_s"]:
            out[f"python/{name} csv end to end (ingest included)"] = round(base["cpu_s"] / first["cpu_s"], 2)
    return out


def _figures(run: tuple[float, float, int, float], n: int, trials: int = len(TRIALS)) -> dict[str, Any]:
    seconds, peak, code, cpu = run
    return {"s": round(seconds, 1), "cpu_s": round(cpu, 1), "peak_mb": round(peak), "exit": code,
            "evaluations_per_cpu_s": round(n * trials / cpu) if cpu else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--engines", default="python,duckdb,spark")
    ap.add_argument("--dir", type=Path, default=None, help="export folder (written if missing)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-trial", action="store_true", help="also time each trial alone")
    ap.add_argument("--formats", default="csv,ndjson", help="output formats to time (after ingest)")
    ap.add_argument("--no-split", action="store_true", help="do not time the ingest's two parts")
    ap.add_argument("--ingest-part", choices=("reader", "views"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.ingest_part:
        ingest_part(args.ingest_part, args.dir, args.out)
        return 0
    engines = args.engines.split(",")
    export = args.dir or Path(tempfile.gettempdir()) / f"trialrules-pop-{args.patients}-{args.seed}"
    if not (export / "Patient.ndjson").exists():
        t0 = time.perf_counter()
        write_export(args.patients, export, args.seed)
        print(f"wrote {args.patients} patients to {export} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    size = sum(p.stat().st_size for p in export.iterdir())
    report: dict[str, Any] = {
        "patients": args.patients, "export_mb": round(size / 1e6), "cpus": os.cpu_count(),
        "machine": platform.platform(), "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(), "engines": {},
    }
    n = args.patients
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        if not args.no_split:
            report["ingest_parts"] = ingest_split(export, Path(tmp))
            print(json.dumps({"ingest_parts": report["ingest_parts"]}), file=sys.stderr)
        for engine in engines:
            cache = Path(tmp) / engine
            figures: dict[str, Any] = {}
            if engine != "python":
                cold = screen(engine, "csv", export, TRIALS, cache)
                warm = screen(engine, "csv", export, TRIALS, cache)
                figures["first_run_all_trials_csv"] = {"s": round(cold[0], 1), "cpu_s": round(cold[3], 1),
                                                       "peak_mb": round(cold[1])}
                figures["ingest"] = {"s": round(cold[0] - warm[0], 1), "cpu_s": round(cold[3] - warm[3], 1)}
                figures["all_trials_csv"] = _figures(warm, n)
            for fmt in args.formats.split(","):
                if fmt == "csv" and engine != "python":
                    continue  # the warm run above
                figures[f"all_trials_{fmt}"] = _figures(screen(engine, fmt, export, TRIALS, cache), n)
            if args.per_trial:
                for trial in TRIALS:
                    figures[f"{trial}_ndjson"] = _figures(screen(engine, "ndjson", export, (trial,), cache), n, 1)
            report["engines"][engine] = figures
            print(json.dumps({engine: figures}), file=sys.stderr)
    # ratios in the same run: CPU of the per-patient engine over CPU of each SQL engine, after ingest
    python = report["engines"].get("python", {})
    for engine, figures in report["engines"].items():
        if engine == "python":
            continue
        for key in ("all_trials_csv", "all_trials_ndjson"):
            if key in figures and key in python and figures[key]["cpu_s"]:
                figures[f"{key}_cpu_ratio_python_over_{engine}"] = round(python[key]["cpu_s"] / figures[key]["cpu_s"], 2)
    report["ratios"] = ratios(report["engines"])
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
