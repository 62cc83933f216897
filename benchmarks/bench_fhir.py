#!/usr/bin/env python3
"""
FHIR input benchmark: Bundle parsing against plain ``json.loads``, and Bulk export
reading (optionally screening) in patients per second with peak memory.

    python benchmarks/bench_fhir.py --patients 10000
    python benchmarks/bench_fhir.py --patients 100000 --screen --dir /tmp/export --keep

Targets (issue 3): Bundle parsing at most 2x a plain ``json.loads`` of the same
bytes; Bulk peak memory under 500 MB whatever the number of patients. The Bulk
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


def bench_bundles(count: int, repeat: int, seed: int) -> dict[str, Any]:
    """Time json.loads alone and json.loads + mapping over ``count`` distinct Bundles."""
    from trialrules.fhir import record_from_bundle

    gen = generator()
    rng = random.Random(seed)
    blobs = [json.dumps(gen.bundle(gen.synthetic_record(rng))).encode() for _ in range(count)]

    def timed(fn: Any) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def parse_only() -> None:
        for b in blobs:
            json.loads(b)

    def parse_and_map() -> None:
        for b in blobs:
            record_from_bundle(json.loads(b), "bench.json")

    # Rounds alternate the two so that a load change on a shared machine hits both;
    # the median of per-round ratios is the robust figure, best times are the speeds.
    rounds = [(timed(parse_only), timed(parse_and_map)) for _ in range(repeat)]
    t_json, t_adapter = min(r[0] for r in rounds), min(r[1] for r in rounds)
    ratios = sorted(a / j for j, a in rounds)
    size = sum(map(len, blobs))
    return {
        "bundles": count,
        "mean_bundle_kb": round(size / count / 1024, 1),
        "json_loads_bundles_per_s": round(count / t_json),
        "adapter_bundles_per_s": round(count / t_adapter),
        "adapter_mb_per_s": round(size / t_adapter / 1e6, 1),
        "ratio_vs_json_loads_best": round(t_adapter / t_json, 2),
        "ratio_vs_json_loads_median": round(ratios[len(ratios) // 2], 2),
    }


def read_bulk(directory: Path, screen: bool, trace: bool) -> dict[str, Any]:
    """Read (and optionally screen) a Bulk export; run in a fresh process."""
    if trace:
        import tracemalloc

        tracemalloc.start()
    from trialrules.fhir import BulkAdapter
    from trialrules.models import InputFailure, PatientRecord

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
