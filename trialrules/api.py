"""
The Python API for integrators (CONTRACT.md section 6): ``Engine`` and
``read_patients``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from pathlib import Path

from trialrules.engine.evaluator import CompiledTrial
from trialrules.engine.parallel import screen_records
from trialrules.errors import InputError, PluginError, ScreeningDateError, UnknownTrialError, internal_error
from trialrules.inputs.fhir import jsonfile
from trialrules.language.installed import InstalledTrials, load_trials
from trialrules.language.models import InputFailure, PatientRecord, Trial, ValueSet
from trialrules.language.registry import Registry, collect_registrations, valueset_lookup
from trialrules.language.suggest import did_you_mean
from trialrules.language.terminology import Matcher, compile_valueset, valueset_key
from trialrules.limits import AS_OF_MAX, AS_OF_MIN
from trialrules.plugin import get_plugin_manager
from trialrules.results import ScreeningResult


class Engine:
    """Screens patients against installed trials.

    Args:
        plugins: extra plugin objects to register (tests, embedded trials).
        load_entrypoints: discover installed plugins (the ``trialrules`` entry points).

    Plugin problems (a broken plugin, an invalid rule file) do not stop the
    engine: the other trials work, and ``problems`` lists what went wrong.
    """

    def __init__(self, *, plugins: Iterable[object] = (), load_entrypoints: bool = True) -> None:
        self.plugin_manager, problems = get_plugin_manager(
            load_entrypoints=load_entrypoints, extra=tuple(plugins)
        )
        #: what the plugins registered (value sets, functions, adapters, rules directories)
        self.registry: Registry = collect_registrations(self.plugin_manager, problems)
        #: the trials loaded from the registered rules directories
        self.installed: InstalledTrials = load_trials(self.registry)
        self._compiled: dict[str, CompiledTrial] = {}
        #: compiled value sets by content (terminology.valueset_key), shared by the trials
        #: that hold the same set, so a patient's index finds a set's observations once
        self._matchers: dict[tuple[object, ...], Matcher] = {}

    @property
    def problems(self) -> list[PluginError]:
        """Problems met while loading plugins and their rule files."""
        return self.registry.problems + self.installed.problems

    @property
    def trials(self) -> list[Trial]:
        """Every trial loaded, by id."""
        return [self.installed.trials[k] for k in sorted(self.installed.trials)]

    def trial(self, trial_id: str) -> Trial:
        """The trial for an id or alias (case-insensitive).

        Raises:
            UnknownTrialError: no installed plugin provides it.
        """
        trial = self.installed.resolve_trial(trial_id)
        if trial is None:
            known = sorted(self.installed.trials) + sorted(self.installed.aliases)
            hint = did_you_mean(trial_id.lower(), known) or f"; installed: {', '.join(sorted(self.installed.trials)) or 'none'}"
            raise UnknownTrialError(f"unknown trial {trial_id!r}{hint}")
        return trial

    def compiled(self, trial_id: str) -> CompiledTrial:
        """The trial compiled for evaluation (compiled once, then cached)."""
        trial = self.trial(trial_id)
        if trial.id not in self._compiled:
            lookup = valueset_lookup(self.registry, trial)
            matchers = {name: self._matcher(vs, lookup) for name, vs in lookup.items()}
            self._compiled[trial.id] = CompiledTrial(trial, lookup, matchers, self.registry.functions)
        return self._compiled[trial.id]

    def _matcher(self, vs: ValueSet, lookup: Mapping[str, ValueSet]) -> Matcher:
        key = valueset_key(vs, lookup)
        found = self._matchers.get(key)
        if found is None:
            found = self._matchers[key] = compile_valueset(vs, lookup)
        return found

    def screen(
        self,
        patients: Iterable[PatientRecord],
        trials: Iterable[str] | None = None,
        as_of: dt.date | None = None,
        *,
        jobs: int = 1,
    ) -> Iterator[ScreeningResult]:
        """Screen each patient against each trial, patient by patient.

        Args:
            patients: records, e.g. from :func:`read_patients`.
            trials: trial ids or aliases; default every installed trial.
            as_of: the planned enrolment / first-dose date; default today.
            jobs: worker processes (``trialrules.engine.parallel``); the results and their
                order are the same for any number.

        Yields:
            One :class:`ScreeningResult` per patient and trial, in input order.
        """
        for _record, outcome in self.screen_records(patients, trials, as_of, jobs=jobs):
            if isinstance(outcome, Exception):
                raise outcome
            yield from outcome

    def screen_records(
        self,
        patients: Iterable[PatientRecord],
        trials: Iterable[str] | None = None,
        as_of: dt.date | None = None,
        *,
        jobs: int = 1,
    ) -> Iterator[tuple[PatientRecord, list[ScreeningResult] | Exception]]:
        """Each patient with its results (one per trial) or the exception its evaluation
        raised, in input order: for callers that report a failing patient and go on (the CLI)."""
        as_of = as_of or dt.date.today()
        if not AS_OF_MIN <= as_of <= AS_OF_MAX:
            raise ScreeningDateError(f"as_of {as_of} is outside the dates trialrules screens on "
                                     f"({AS_OF_MIN} to {AS_OF_MAX})")
        compiled = [self.compiled(t) for t in (trials if trials is not None else sorted(self.installed.trials))]
        hook = self.plugin_manager.hook.trialrules_screening_finish
        for record, outcome in screen_records(patients, compiled, as_of, jobs):
            if not isinstance(outcome, Exception):
                try:
                    for result in outcome:  # plugins' hooks run here, in this process
                        hook(result=result)
                except Exception as exc:
                    outcome = exc
            yield record, outcome

    def screen_one(self, patient: PatientRecord, trial: str, as_of: dt.date | None = None) -> ScreeningResult:
        """Screen one patient against one trial."""
        return next(self.screen([patient], [trial], as_of))


def _default_registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        pm, problems = get_plugin_manager(load_entrypoints=False)
        _REGISTRY = collect_registrations(pm, problems)
    return _REGISTRY


_REGISTRY: Registry | None = None


def read_patients(
    source: str | Path,
    *,
    on_error: Callable[[InputFailure], None] | None = None,
    registry: Registry | None = None,
) -> Generator[PatientRecord, None, None]:
    """Read patients from a FHIR Bundle, a Bulk export directory, a native
    record file, or ``-`` (stdin).

    Args:
        source: the path.
        on_error: called with each :class:`InputFailure` (a part that could not be
            read); without it, the first failure raises :class:`InputError`.
        registry: whose input adapters to use (default: the built-in ones).

    Yields:
        One record per patient that could be read.
    """
    registry = registry or _default_registry()
    name = str(source)
    for item in _guarded(name, _read(name, registry)):
        if isinstance(item, InputFailure):
            if on_error is None:
                raise InputError(item.error.split(": ", 1)[-1] if item.error.startswith(name) else item.error, file=name)
            on_error(item)
        else:
            yield item


def _guarded(name: str, items: Iterator[PatientRecord | InputFailure]) -> Iterator[PatientRecord | InputFailure]:
    """The last resort of every reader: an exception it did not expect ends this input
    with a failure naming it (and a hint to report the bug), never a traceback."""
    try:
        yield from items
    except Exception as exc:
        yield InputFailure(name, InputError(internal_error(exc), file=name).format_message())


def _read(name: str, registry: Registry) -> Iterator[PatientRecord | InputFailure]:
    path = Path(name)
    if name != "-" and path.is_dir():
        for adapter in registry.input_adapters:
            if adapter.sniff(path, None):
                yield from adapter.read(path)
                return
        yield InputFailure(name, f"{name}: a directory, but not a FHIR Bulk Data export (no Patient.ndjson)")
        return
    try:
        data = sys.stdin.buffer.read() if name == "-" else path.read_bytes()
    except OSError as exc:
        yield InputFailure(name, InputError(f"cannot be read: {exc.strerror or exc}", file=name).format_message())
        return
    document, problem = jsonfile.loads(data)
    if problem is not None:
        yield InputFailure(name, InputError(problem, file=name).format_message())
        return
    for adapter in registry.input_adapters:
        if adapter.sniff(path, document):
            yield from adapter.read(path, document)
            return
    kind = document.get("resourceType") if isinstance(document, dict) else type(document).__name__
    yield InputFailure(name, f"{name}: not a FHIR Bundle or a native patient record (found {kind!r})")
