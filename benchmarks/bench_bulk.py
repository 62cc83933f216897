#!/usr/bin/env python3
"""
Bulk export reading: CPU time and peak memory of ``BulkAdapter.read``, this tree against a
baseline revision of the repository, in the same run.

    python benchmarks/bench_bulk.py --patients 2000,10000 --baseline HEAD~1 --repeat 3

Each read runs in a fresh subprocess (its own peak RSS, ``getrusage``); rounds alternate
the trees so that load on a shared machine hits both; ratios are taken per round
(min and median). With orjson installed, this tree is run with and without it. Both trees must produce the same records and failures in the same
order (a SHA-256 of every item's ``repr``) or the benchmark stops. Exports come from
``examples/generate_fhir.py`` (about 50 Observations, 10 Conditions and 10 medication
resources per patient), written once per size into ``--dir``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def read_export(source: Path, directory: Path, stdlib_json: bool) -> dict[str, Any]:
    """Read an export with the trialrules found in ``source``; run in a fresh process."""
    sys.path.insert(0, str(source))
    import trialrules
    from trialrules.inputs.fhir import BulkAdapter, jsonfile
    from trialrules.language.models import PatientRecord

    assert Path(trialrules.__file__).resolve().is_relative_to(source.resolve()), trialrules.__file__
    if stdlib_json:
        jsonfile._orjson = None  # type: ignore[attr-defined]
    digest = hashlib.sha256()
    records = failures = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for item in BulkAdapter().read(directory):
        if isinstance(item, PatientRecord):
            records += 1
        else:
            failures += 1
        digest.update(repr(item).encode("utf-8", "backslashreplace"))
    return {
        "cpu_s": time.process_time() - cpu0, "wall_s": time.perf_counter() - wall0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "patients": records, "failures": failures, "digest": digest.hexdigest(),
    }


def run(source: Path, directory: Path, stdlib_json: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--read", str(source), str(directory)] + ["--stdlib-json"] * stdlib_json
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def checkout(revision: str, into: Path) -> Path:
    """The repository at ``revision``, extracted (git archive) into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def summary(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--patients", default="2000,10000", help="export sizes, comma-separated")
    ap.add_argument("--baseline", help="git revision to compare with (e.g. HEAD~1)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, help="where exports are written (reused; default: a temporary directory)")
    ap.add_argument("--read", nargs=2, type=Path, help=argparse.SUPPRESS)  # the subprocess
    ap.add_argument("--stdlib-json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.read:
        print(json.dumps(read_export(*args.read, args.stdlib_json)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="trialrules-bench-bulk-"))
    try:
        # name -> (source tree, parse with the standard library even where orjson is installed)
        trees: dict[str, tuple[Path, bool]] = {"this tree": (REPO, False)}
        if importlib.util.find_spec("orjson") is not None:
            trees = {"this tree, orjson": (REPO, False), "this tree, stdlib json": (REPO, True)}
        if args.baseline:
            trees = {f"baseline {args.baseline}": (checkout(args.baseline, work / "baseline"), False), **trees}
        exports = args.dir or work
        sys.path.insert(0, str(REPO / "benchmarks"))
        import bench_fhir

        for n in (int(x) for x in args.patients.split(",")):
            directory = exports / f"export-{n}-{args.seed}"
            if not (directory / "Patient.ndjson").exists():
                bench_fhir.generator().write_synthetic_bulk(n, directory, args.seed)
            size = sum(f.stat().st_size for f in directory.iterdir()) / 1e6
            rounds: list[dict[str, dict[str, Any]]] = []
            for _ in range(args.repeat):
                rounds.append({name: run(src, directory, stdlib) for name, (src, stdlib) in trees.items()})
                digests = {r["digest"] for r in rounds[-1].values()}
                if len(digests) != 1:
                    raise SystemExit(f"{n} patients: the trees' outputs differ: {rounds[-1]}")
            print(f"\n{n:,} patients, {size:,.0f} MB ({os.cpu_count()} CPUs; min / median of {args.repeat})")
            for name in trees:
                cpu = [r[name]["cpu_s"] for r in rounds]
                rss = [r[name]["peak_rss_mb"] for r in rounds]
                per_s = [n / r[name]["cpu_s"] for r in rounds]
                print(f"  {name:24} CPU s {summary(cpu):>15}  patients per CPU s {max(per_s):>7,.0f}"
                      f"  peak RSS MB {summary(rss):>17}")
            if args.baseline:
                base, *new = trees
                for name in new:
                    ratios = [r[base]["cpu_s"] / r[name]["cpu_s"] for r in rounds]
                    print(f"  CPU baseline / {name}: {summary(ratios)}")
            print("  identical output (records and failures, in order): yes")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
