"""
Screening patients in worker processes, in input order.

After reading (and grouping, for a Bulk export) patients are independent, so chunks of
records are evaluated by forked workers that inherited the compiled trials; the parent
reads the input, and yields each patient's results in input order, so the output is the
same as one process's. Only a bounded number of chunks is in flight (memory bounded).
A patient whose evaluation raises comes back as that exception, in its place.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from trialrules.engine.evaluator import CompiledTrial
from trialrules.engine.patient import PatientIndex
from trialrules.language.models import PatientRecord
from trialrules.results import ScreeningResult

#: Patients sent to a worker at once: large enough that the pickling round trip is a small
#: part of the work, small enough that the output starts soon.
CHUNK = 32

Outcome = list[ScreeningResult] | Exception

# What a forked worker screens with: set in the parent just before the workers fork.
_WORK: tuple[Sequence[CompiledTrial], dt.date] | None = None


def available_cores() -> int:
    """The CPUs this process may run on (its affinity), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def evaluate(record: PatientRecord, trials: Sequence[CompiledTrial], as_of: dt.date) -> Outcome:
    """One patient against each trial, or the exception that stopped it."""
    try:
        index = PatientIndex(record)
        return [trial.evaluate(record, as_of, index) for trial in trials]
    except Exception as exc:  # returned in its place: the caller decides
        return exc


def _worker_signals() -> None:
    """Ctrl-C and termination are the parent's to handle: a worker ignores SIGINT (the
    parent terminates the workers) and never prints a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):  # not the parent's clean-up handlers (trialrules._interrupt)
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _evaluate_chunk(records: list[PatientRecord]) -> list[Outcome]:
    assert _WORK is not None
    trials, as_of = _WORK
    return [_portable(evaluate(r, trials, as_of)) for r in records]


def _portable(outcome: Outcome) -> Outcome:
    """An exception that cannot cross the process boundary as itself crosses as a RuntimeError."""
    if isinstance(outcome, Exception):
        import pickle

        try:
            pickle.dumps(outcome)
        except Exception:
            return RuntimeError(f"{type(outcome).__name__}: {outcome}")
    return outcome


def screen_records(
    patients: Iterable[PatientRecord], trials: Sequence[CompiledTrial], as_of: dt.date, jobs: int = 1,
) -> Iterator[tuple[PatientRecord, Outcome]]:
    """Each patient with its results (one per trial) or its exception, in input order.

    ``jobs`` > 1 screens in that many worker processes once the input holds more than
    one chunk; fewer patients are screened here (starting workers would cost more).
    """
    it = iter(patients)
    first = list(islice(it, CHUNK))
    if jobs <= 1 or len(first) < CHUNK or "fork" not in multiprocessing.get_all_start_methods():
        for record in first:
            yield record, evaluate(record, trials, as_of)
        for record in it:
            yield record, evaluate(record, trials, as_of)
        return
    global _WORK
    _WORK = (trials, as_of)
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals)
    try:
        pending: deque[tuple[list[PatientRecord], Any]] = deque()
        chunk = first
        while chunk or pending:
            while chunk and len(pending) < 2 * jobs:
                pending.append((chunk, pool.apply_async(_evaluate_chunk, (chunk,))))
                chunk = list(islice(it, CHUNK))
            records, job = pending.popleft()
            definitions = {t.trial.id: t for t in trials}
            for record, outcome in zip(records, job.get(), strict=True):
                if not isinstance(outcome, Exception):  # a result crosses without its compiled trial
                    outcome = [r if r.definition is not None else _with_definition(r, definitions)
                               for r in outcome]
                yield record, outcome
    finally:
        pool.terminate()
        pool.join()
        _WORK = None


def _with_definition(result: ScreeningResult, definitions: dict[str, CompiledTrial]) -> ScreeningResult:
    import attrs

    return attrs.evolve(result, definition=definitions.get(result.trial))
