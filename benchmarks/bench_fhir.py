#!/usr/bin/env python3
"""
FHIR input benchmark: Bundle parsing against plain ``json.loads``, and Bulk export
reading (optionally screening) in patients per second with peak memory.

    python benchmarks/bench_fhir.py --patients 10000
    python benchmarks/bench_fhir.py --patients 100000 --screen --dir /tmp/export --keep

Targets (issues 3, 19): Bundle parsing at most 2x a plain ``json.loads`` of the same
bytes, in CPU time (``time.process_time``: this process only, on a shared machine), with
the adapter's standard-library parser and, when installed, orjson; cost per Observation
flat as a Bundle grows (100 to 10,000 Observations); Bulk peak memory under 500 MB
whatever the number of patients (``bench_bulk.py`` compares Bulk reading with a baseline). The Bulk
read runs in a fresh subprocess so its peak RSS (``getrusage``) is its own.
Synthetic patients come from ``examples/generate_fhir.py`` (about 50
Observations, 10 Conditions and 10 medication resources each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_fhir", REPO / "examples" / "generate_fhir.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu(fn: Any) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _adapters() -> dict[str, bool]:
    """The adapter's parsers to time: the standard library, and orjson when installed."""
    return {"stdlib": True, **({"orjson": False} if importlib.util.find_spec("orjson") else {})}


def _read_bundles(blobs: list[bytes], stdlib: bool) -> Any:
    """What reading a Bundle file costs after its bytes are read: the adapter's own parse
    (trialrules.inputs.fhir.jsonfile) and the mapping to a record."""
    from trialrules.inputs.fhir import jsonfile, record_from_bundle

    def run() -> None:
        saved = jsonfile._orjson  # type: ignore[attr-defined]
        if stdlib:
            jsonfile._orjson = None  # type: ignore[attr-defined]
        try:
            for b in blobs:
                document, problem = jsonfile.loads(b)
                record_from_bundle(document, "bench.json")
        finally:
            jsonfile._orjson = saved  # type: ignore[attr-defined]
    return run


def bench_bundles(count: int, repeat: int, seed: int) -> dict[str, Any]:
    """CPU time of json.loads alone and of the adapter over ``count`` distinct Bundles."""
    gen = generator()
    rng = random.Random(seed)
    blobs = [json.dumps(gen.bundle(gen.synthetic_record(rng))).encode() for _ in range(count)]

    def parse_only() -> None:
        for b in blobs:
            json.loads(b)

    # Rounds alternate the runs so that a load change on a shared machine hits all;
    # ratios are taken per round (min and median), best times give the speeds.
    adapters = _adapters()
    rounds = [{"json.loads": _cpu(parse_only), **{k: _cpu(_read_bundles(blobs, v)) for k, v in adapters.items()}}
              for _ in range(repeat)]
    size = sum(map(len, blobs))
    out: dict[str, Any] = {"bundles": count, "mean_bundle_kb": round(size / count / 1024, 1),
                           "json_loads_bundles_per_cpu_s": round(count / min(r["json.loads"] for r in rounds))}
    for name in adapters:
        ratios = sorted(r[name] / r["json.loads"] for r in rounds)
        out[f"adapter_{name}_bundles_per_cpu_s"] = round(count / min(r[name] for r in rounds))
        out[f"adapter_{name}_vs_json_loads_min"] = round(ratios[0], 2)
        out[f"adapter_{name}_vs_json_loads_median"] = round(ratios[len(ratios) // 2], 2)
    return out


def bench_growth(sizes: list[int], repeat: int, seed: int) -> list[dict[str, Any]]:
    """One Bundle of N Observations: CPU per Observation of json.loads with the garbage
    collector on and off, and of the adapter (which pauses it), as N grows."""
    import gc

    gen = generator()
    record = gen.synthetic_record(random.Random(seed))
    template = record["observations"]
    rows = []
    for n in sizes:
        record["observations"] = [{**template[i % len(template)], "id": f"obs-{i}"} for i in range(n)]
        blob = json.dumps(gen.bundle(record)).encode()

        def gc_off(blob: bytes = blob) -> None:
            gc.disable()
            try:
                json.loads(blob)
            finally:
                gc.enable()

        runs = {"json.loads": lambda blob=blob: json.loads(blob), "json.loads, GC off": gc_off,
                **{f"adapter {k}": _read_bundles([blob], v) for k, v in _adapters().items()}}
        rounds = [{k: _cpu(fn) for k, fn in runs.items()} for _ in range(repeat)]
        row: dict[str, Any] = {"observations": n, "mb": round(len(blob) / 1e6, 2)}
        for k in runs:
            row[f"{k} ms"] = round(min(r[k] for r in rounds) * 1e3, 1)
            row[f"{k} us/obs"] = round(min(r[k] for r in rounds) * 1e6 / n, 2)
        for k in runs:
            for base in ("json.loads", "json.loads, GC off") if k.startswith("adapter") else ():
                ratios = sorted(r[k] / r[base] for r in rounds)
                row[f"{k} / {base} min, median"] = (round(ratios[0], 2), round(ratios[len(ratios) // 2], 2))
        rows.append(row)
    return rows


def read_bulk(directory: Path, screen: bool, trace: bool) -> dict[str, Any]:
    """Read (and optionally screen) a Bulk export; run in a fresh process."""
    if trace:
        import tracemalloc

        tracemalloc.start()
    from trialrules.inputs.fhir import BulkAdapter
    from trialrules.language.models import InputFailure, PatientRecord

    adapter = BulkAdapter()
    items: Any = adapter.read(directory)
    records = failures = results = 0
    t0 = time.perf_counter()
    if screen:
        import trialrules

        engine = trialrules.Engine()

        def patients() -> Any:
            nonlocal records, failures
            for item in items:
                if isinstance(item, PatientRecord):
                    records += 1
                    yield item
                else:
                    failures += 1

        for _ in engine.screen(patients(), as_of=dt.date(2026, 1, 15)):
            results += 1
    else:
        for item in items:
            if isinstance(item, PatientRecord):
                records += 1
            elif isinstance(item, InputFailure):
                failures += 1
    elapsed = time.perf_counter() - t0
    out = {
        "patients": records, "failures": failures, "screening_results": results,
        "seconds": round(elapsed, 1), "patients_per_s": round(records / elapsed) if elapsed else None,
        "peak_rss_mb": round(peak_mb(), 1),
    }
    if trace:
        import tracemalloc

        out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--patients", type=int, default=100_000, help="Bulk export size (default 100000)")
    ap.add_argument("--bundles", type=int, default=200, help="distinct Bundles to parse")
    ap.add_argument("--repeat", type=int, default=9, help="Bundle timing repeats (best is kept)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="export directory (reused if it exists)")
    ap.add_argument("--keep", action="store_true", help="keep a generated export")
    ap.add_argument("--screen", action="store_true", help="also screen every patient against every trial")
    ap.add_argument("--tracemalloc", action="store_true", help="also report Python heap peak (slower)")
    ap.add_argument("--growth", default="100,1000,10000",
                    help="Observations per Bundle for the growth test (comma-separated; empty to skip)")
    ap.add_argument("--skip-bundles", action="store_true")
    ap.add_argument("--skip-bulk", action="store_true")
    ap.add_argument("--read-only", type=Path, help=argparse.SUPPRESS)  # the subprocess
    args = ap.parse_args(argv)

    if args.read_only:
        print(json.dumps(read_bulk(args.read_only, args.screen, args.tracemalloc)))
        return 0

    report: dict[str, Any] = {}
    if not args.skip_bundles:
        report["bundle_parsing"] = bench_bundles(args.bundles, args.repeat, args.seed)
        print(json.dumps({"bundle_parsing": report["bundle_parsing"]}), flush=True)
        if args.growth:
            sizes = [int(x) for x in args.growth.split(",")]
            for row in bench_growth(sizes, args.repeat, args.seed):
                print(json.dumps({"bundle_growth": row}), flush=True)
    if not args.skip_bulk:
        tmp = None
        directory = args.dir
        if directory is None:
            tmp = tempfile.mkdtemp(prefix="trialrules-bench-")
            directory = Path(tmp) / "export"
        try:
            if not (directory / "Patient.ndjson").exists():
                t0 = time.perf_counter()
                generator().write_synthetic_bulk(args.patients, directory, args.seed)
                size = sum(f.stat().st_size for f in directory.iterdir())
                report["generation"] = {"patients": args.patients, "seconds": round(time.perf_counter() - t0, 1),
                                        "export_gb": round(size / 1e9, 2)}
                print(json.dumps({"generation": report["generation"]}), flush=True)
            cmd = [sys.executable, __file__, "--read-only", str(directory)]
            cmd += ["--screen"] * args.screen + ["--tracemalloc"] * args.tracemalloc
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            report["bulk"] = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps({"bulk": report["bulk"]}), flush=True)
        finally:
            if tmp is not None and not args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
