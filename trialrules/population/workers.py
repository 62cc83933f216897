"""
Judging patients where the data is: on Spark's executors (``mapPartitions``).

Each task rebuilds records from the stored rows and runs the same compiled trials
(``CompiledTrial.evaluate``) as the per-patient engine, so a cluster scales the
judging with its workers and the driver only writes. A worker process builds its
``Engine`` (the installed plugins) once and keeps it for later tasks.
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

_ENGINES: dict[tuple[str, ...], Any] = {}
_PICKLE = pickle.HIGHEST_PROTOCOL


def _compiled(trial_ids: Sequence[str]) -> list[Any]:
    from trialrules.api import Engine

    key = tuple(trial_ids)
    if key not in _ENGINES:
        engine = Engine()
        _ENGINES[key] = [engine.compiled(t) for t in trial_ids]
    return _ENGINES[key]  # type: ignore[no-any-return]


def judge_partition(trial_ids: Sequence[str], as_of: str, rows: Iterable[Any]) -> Iterator[tuple[int, bytes]]:
    """(ordinal, pickled (warnings, patient id, results or an error sentence)) per patient row
    (``ord``, ``record``, ``obs``: the selected Observations as (seq, pickled Observation))."""
    from trialrules.engine.patient import PatientIndex
    from trialrules.errors import internal_error
    from trialrules.language.models import evolve

    day = dt.date.fromisoformat(as_of)
    compiled = _compiled(trial_ids)
    for row in rows:
        rest = pickle.loads(row[1])  # noqa: S301 - our own cache
        observations = tuple(pickle.loads(bytes(o[1])) for o in sorted(row[2] or (), key=lambda o: o[0]))  # noqa: S301
        record = evolve(rest, observations=observations)
        try:
            index = PatientIndex(record)
            # ``definition`` (the compiled trial, closures) stays here; the driver sets its own
            outcome: Any = [evolve(trial.evaluate(record, day, index), definition=None) for trial in compiled]
        except Exception as exc:  # an evaluation bug on one patient: the driver reports it as the CLI does
            outcome = exc
        try:
            payload = pickle.dumps((record.warnings, record.id, outcome), protocol=_PICKLE)
        except Exception:  # an exception that does not pickle: its one line
            payload = pickle.dumps((record.warnings, record.id, RuntimeError(internal_error(outcome))), protocol=_PICKLE)
        yield row[0], payload
