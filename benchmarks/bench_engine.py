"""
Engine benchmark: patient-trial evaluations per second and peak memory, against
a hand-written plain-Python floor for the same laboratory criteria.

    python benchmarks/bench_engine.py [--patients N] [--as-of 2026-01-15]

Not a timed test: figures go into the README. Everything runs in one process,
so the ratio engine / hand-written is independent of the machine's speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import time
import tracemalloc
from collections.abc import Iterator

from trialrules import Engine, PatientRecord
from trialrules.engine.evaluator import CompiledTrial, Evaluation
from trialrules.engine.patient import PatientIndex
from trialrules.functions import FunctionContext
from trialrules.language.converters import converter

LOINC = "http://loinc.org"
# (LOINC, unit, low, high, ULN or None)
LABS = [
    ("751-8", "10*9/L", 0.8, 6.0, None), ("777-3", "10*9/L", 50, 400, None), ("718-7", "g/L", 70, 160, None),
    ("2160-0", "mg/dL", 0.5, 2.2, 1.1), ("1975-2", "mg/dL", 0.2, 2.5, 1.2), ("1920-8", "U/L", 10, 150, 40),
    ("1742-6", "U/L", 10, 150, 40), ("6301-6", "1", 0.9, 2.0, 1.1), ("3173-2", "s", 25, 60, 40),
    ("29463-7", "kg", 40, 110, None), ("89247-1", None, 0, 3, None), ("731-0", "10*9/L", 0.1, 3, None),
]


def synthetic_patient(i: int, rng: random.Random, as_of: dt.date) -> PatientRecord:
    obs = []
    for n, (code, unit, lo, hi, uln) in enumerate(LABS):
        for k in range(3):  # three results per test, the newest within a week
            value = round(rng.uniform(lo, hi), 2)
            o = {"id": f"o{i}-{n}-{k}", "code": {"system": LOINC, "code": code},
                 "date": (as_of - dt.timedelta(days=rng.randint(0, 6) + 20 * k)).isoformat(),
                 "value": {"value": value, "unit": unit} if unit and unit != "1" else value}
            if uln:
                o["reference_range"] = {"high": {"value": uln, "unit": unit}}
            obs.append(o)
    birth = as_of - dt.timedelta(days=rng.randint(18 * 365, 80 * 365))
    return converter.structure({"id": f"p{i}", "sex": rng.choice(["female", "male"]), "birth_date": birth.isoformat(),
                                "observations": obs}, PatientRecord)


def patients(n: int, as_of: dt.date) -> Iterator[PatientRecord]:
    rng = random.Random(20261122)
    for i in range(n):
        yield synthetic_patient(i, rng, as_of)


def _latest(index: PatientIndex, codes: tuple[str, ...], as_of: dt.date, days: int) -> tuple[float, float | None] | None:
    start = as_of - dt.timedelta(days=days)
    best = None
    for code in codes:
        for o in index._by_code.get((LOINC, code), ()):
            if o.date and start <= o.date <= as_of and (best is None or o.date > best.date):
                best = o
    if best is None:
        return None
    v = best.value
    value = v.value if hasattr(v, "value") else v
    ranges = best.reference_ranges
    high = ranges[0].high.value if ranges and ranges[0].high else None
    return float(value), high


def hand_written_labs(index: PatientIndex, as_of: dt.date) -> str:
    """CEL001 inclusion 7.1-7.4 written by hand: same codes, units (already canonical
    in this data), windows and limits; no reasons, no evidence, no conversions."""
    results = []
    anc = _latest(index, ("751-8", "26499-4", "753-4"), as_of, 14)
    plt = _latest(index, ("777-3", "26515-7"), as_of, 14)
    hb = _latest(index, ("718-7", "59260-0"), as_of, 14)
    results.append(None if anc is None or plt is None or hb is None else anc[0] >= 1.5 and plt[0] >= 90 and hb[0] >= 90)
    cr = _latest(index, ("2160-0", "14682-9", "38483-4"), as_of, 14)
    results.append(None if cr is None or cr[1] is None else cr[0] <= 1.5 * cr[1])
    bili = _latest(index, ("1975-2", "14631-6"), as_of, 14)
    ast = _latest(index, ("1920-8",), as_of, 14)
    alt = _latest(index, ("1742-6",), as_of, 14)
    results.append(None if None in (bili, ast, alt) else bili[0] <= 1.5 * bili[1] and ast[0] <= 2.5 * ast[1] and alt[0] <= 2.5 * alt[1])
    inr = _latest(index, ("6301-6", "34714-6"), as_of, 14)
    aptt = _latest(index, ("3173-2", "14979-9"), as_of, 14)
    results.append(None if inr is None or aptt is None or inr[1] is None or aptt[1] is None else inr[0] <= 1.5 * inr[1] and aptt[0] <= 1.5 * aptt[1])
    if False in results:
        return "not_met"
    return "unknown" if None in results else "met"


def time_it(fn, records, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for r in records:
            fn(r)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 1, 15))
    args = parser.parse_args()
    engine = Engine()
    trials = [t.id for t in engine.trials]
    as_of = args.as_of
    records = list(patients(args.patients, as_of))
    indexes = [PatientIndex(r) for r in records]

    # 1. Whole trials: every criterion of every installed trial.
    start = time.perf_counter()
    count = sum(1 for _ in engine.screen(records, trials, as_of))
    whole = time.perf_counter() - start
    print(f"full screening: {count} patient-trial evaluations ({len(trials)} trials) in {whole:.2f} s "
          f"= {count / whole:,.0f} evaluations/s")

    # 2. Same lab criteria, engine vs hand-written (CEL001 inclusion 7 sub-criteria).
    compiled: CompiledTrial = engine.compiled("cel001")
    inc07 = next(c for c in compiled.criteria if c.criterion.id.startswith("inc07"))
    labs = [c for c in inc07.children]

    def engine_labs(index: PatientIndex) -> None:
        ctx = FunctionContext(index.record, as_of, index, compiled.matchers, "cel001")
        ev = Evaluation(index, as_of, "cel001", ctx)
        for c in labs:
            c.evaluate(ev)

    for ix in indexes:  # warm the per-patient caches fairly for both
        engine_labs(ix)
        hand_written_labs(ix, as_of)
    t_engine = time_it(engine_labs, indexes)
    t_hand = time_it(lambda ix: hand_written_labs(ix, as_of), indexes)
    print(f"CEL001 7.1-7.4 labs: engine {len(indexes) / t_engine:,.0f}/s, hand-written {len(indexes) / t_hand:,.0f}/s, "
          f"ratio {t_engine / t_hand:.2f}x")

    # 3. Memory flat in N: stream patients through the engine, peak traced memory.
    for n in (1000, 4000):
        tracemalloc.start()
        for _ in engine.screen(patients(n, as_of), trials, as_of):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"streaming {n} patients: peak traced memory {peak / 2**20:.1f} MiB")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
