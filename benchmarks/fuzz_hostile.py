"""
A large seeded fuzz run of every reader (issue 14), outside the test suite:
mutated FHIR Bundles, Bulk exports, native records and rule files grown from the
repository's examples (tests/fuzz/hostile.py). Counts inputs, records, errors
reported and property violations (an exception escaping, an input neither read
nor reported, output that is not strict JSON); the figures go into the README's
"Reliability" section.

    python benchmarks/fuzz_hostile.py [--bundles 3000] [--bulk 400] [--native 2000] [--rules 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fuzz, from a checkout

from tests.fuzz.hostile import READERS, Tally, bulk_seeds, bundle_seeds, native_seeds, rule_seeds  # noqa: E402
from trialrules import Engine  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundles", type=int, default=3000)
    parser.add_argument("--bulk", type=int, default=400)
    parser.add_argument("--native", type=int, default=2000)
    parser.add_argument("--rules", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    engine = Engine()
    seeds = {"bundle": bundle_seeds(), "bulk": bulk_seeds(), "native": native_seeds(), "rules": rule_seeds()}
    counts = {"bundle": args.bundles, "bulk": args.bulk, "native": args.native, "rules": args.rules}
    print(f"{'reader':8} {'inputs':>7} {'records':>8} {'errors':>7} {'results':>8} {'internal':>8} {'violations':>10} {'seconds':>8}")
    violations_total = 0
    for name, n in counts.items():
        tally, violations = Tally(), 0
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(n):
                rng = random.Random(args.seed * 1_000_003 + i)
                target = engine.registry if name == "rules" else engine
                try:
                    tally.add(READERS[name](rng, Path(tmp), target, seeds[name]))
                except BaseException as exc:  # noqa: BLE001 - a violation is what we count
                    violations += 1
                    tally.inputs += 1
                    print(f"  {name} input {i}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
                    if not isinstance(exc, AssertionError):
                        traceback.print_exc(limit=-3)
        seconds = time.perf_counter() - started
        violations_total += violations
        print(f"{name:8} {tally.inputs:>7} {tally.records:>8} {tally.errors:>7} {tally.results:>8} "
              f"{tally.internal:>8} {violations:>10} {seconds:>8.1f}")
    return 1 if violations_total else 0


if __name__ == "__main__":
    sys.exit(main())
