"""The seeded fuzz suite of issue 14, bounded for the test run (benchmarks/fuzz_hostile.py
runs thousands): no exception escapes, records + errors = inputs, strict JSON out."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.hostile import (
    Tally,
    bulk_seeds,
    bundle_seeds,
    fuzz_bulk,
    fuzz_bundle,
    fuzz_native,
    fuzz_rule_file,
    native_seeds,
    rule_seeds,
)
from trialrules import Engine

#: Inputs per reader in the test suite, and the time it may take (seconds).
RUNS = {"bundle": 120, "bulk": 25, "native": 80, "rules": 120}
BUDGET = 12.0


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()  # the installed trials: real rules judge the mutated records


def _run(name: str, step: Any, tmp_path: Path) -> Tally:
    tally = Tally()
    started = time.monotonic()
    for i in range(RUNS[name]):
        seed = 14_000 + i
        try:
            tally.add(step(random.Random(seed), tmp_path))
        except AssertionError as exc:
            raise AssertionError(f"{name} seed {seed}: {exc}") from None
        if time.monotonic() - started > BUDGET:
            break
    assert tally.inputs >= 10
    return tally


def test_bundles(engine: Engine, tmp_path: Path) -> None:
    seeds = bundle_seeds()
    tally = _run("bundle", lambda rng, tmp: fuzz_bundle(rng, tmp, engine, seeds), tmp_path)
    assert tally.records and tally.errors  # the mutations reach both outcomes


def test_bulk_exports(engine: Engine, tmp_path: Path) -> None:
    seeds = bulk_seeds()
    tally = _run("bulk", lambda rng, tmp: fuzz_bulk(rng, tmp, engine, seeds), tmp_path)
    assert tally.records


def test_native_records(engine: Engine, tmp_path: Path) -> None:
    seeds = native_seeds()
    tally = _run("native", lambda rng, tmp: fuzz_native(rng, tmp, engine, seeds), tmp_path)
    assert tally.records and tally.errors


def test_rule_files(engine: Engine, tmp_path: Path) -> None:
    seeds = rule_seeds()
    tally = _run("rules", lambda rng, tmp: fuzz_rule_file(rng, tmp, engine.registry, seeds), tmp_path)
    assert tally.records and tally.errors  # valid and invalid files both occur
