#!/usr/bin/env python3
"""
What the compiled verdict summary (``--format csv``, ``population/compile.py``) still leaves
to Python: on an ingested export, the rule leaves the per-patient evaluator runs, by function
(or rule kind), how many patients need Python at all, and the CPU seconds of the screening
(ingest and facts cached first, outside the timing), repeated.

    python examples/generate_population.py --patients 2000 --seed 7 --out /tmp/pop2k
    python benchmarks/bench_sqlforms.py /tmp/pop2k --repeat 3

``TRIALRULES_CACHE`` (else ``~/.cache/trialrules``) holds the ingest, as for the CLI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--as-of", default="2026-01-15")
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-forms", action="store_true",
                        help="the baseline: every function runs in Python (SQL forms switched off)")
    args = parser.parse_args()
    if args.no_forms:
        from trialrules.population.compile import Compiler

        Compiler.sql_form = lambda self, node, spec, shape: None  # type: ignore[method-assign]

    from trialrules import Engine
    from trialrules.population import ingest
    from trialrules.population.summary import summary_records

    engine = Engine()
    trials = [t.id for t in engine.trials]
    as_of = dt.date.fromisoformat(args.as_of)
    store = ingest(args.export, engine.registry)
    errors: list[object] = []
    stats: dict[str, int] = {}
    patients = sum(1 for _ in summary_records(store, engine, trials, as_of, errors.append, args.engine, stats=stats))
    cpu = []
    for _ in range(args.repeat):
        start = time.process_time()
        for _ in summary_records(store, engine, trials, as_of, errors.append, args.engine):
            pass
        cpu.append(time.process_time() - start)
    python = stats.pop("python", 0)
    print(f"{patients} patients x {len(trials)} trials; {python} patients need Python")
    print("Python leaf evaluations: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items(), key=lambda kv: -kv[1])))
    best = min(cpu)
    print("CPU seconds of this process (DuckDB's threads included): " + ", ".join(f"{c:.2f}" for c in cpu)
          + f"; best {best:.2f}: {patients * len(trials) / best:,.0f} evaluations per CPU second")


if __name__ == "__main__":
    main()
