"""
The registry that plugins add to, and its collection from a plugin manager.

It only collects what the registration hooks declare: rules directories, shared
value sets, functions, input adapters, outcome computations. Loading the declared
trials is ``installed.load_trials``'s job (it reads this registry, never the reverse).
Each registration hook implementation is called on its own, so that a hook that
raises is reported with its plugin's name and the others still register.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pluggy
from attrs import frozen

from trialrules.errors import PluginError
from trialrules.language.models import InputFailure, PatientRecord, Trial, ValueSet
from trialrules.plugin import plugin_label


class InputAdapter(Protocol):
    """Reads patient input of one kind (FHIR Bundle, Bulk export, native JSON)."""

    name: str

    def sniff(self, path: Path, head: Any) -> bool:
        """True when this adapter reads ``path``; ``head`` is the parsed JSON document
        for a file (None for a directory or unparsable file)."""

    def read(self, path: Path, document: Any = None) -> Iterator[PatientRecord | InputFailure]:
        """Yield one record per patient, or an InputFailure per unreadable part."""


@frozen
class FunctionSpec:
    """A derived-value function rules can call by name."""

    name: str
    fn: Callable[..., Any]
    description: str
    plugin: str
    #: the function's SQL form, ``sql(q, args) -> SqlValue | None`` (docs/plugin-guide.md, "SQL
    #: forms"): what the compiled population screening computes instead of calling ``fn``
    sql: Callable[..., Any] | None = None


class Registry:
    """What plugins registered: trial rules directories, value sets, functions, adapters,
    computations.

    ``problems`` collects every plugin error met while registering; the CLI
    reports them, and the rest of the registry stays usable.
    """

    def __init__(self) -> None:
        self.plugin = "trialrules"
        self.trial_dirs: list[tuple[Path, str]] = []
        self.valuesets: dict[str, tuple[ValueSet, str]] = {}
        self.functions: dict[str, FunctionSpec] = {}
        self.input_adapters: list[InputAdapter] = []
        self.outcome_computations: dict[str, tuple[Callable[..., Any], str]] = {}
        self.problems: list[PluginError] = []

    # -- called by plugins ------------------------------------------------

    def add_trial(self, rules_dir: str | Path) -> None:
        """Declare a trial by its rules directory (loaded and validated later)."""
        self.trial_dirs.append((Path(rules_dir), self.plugin))

    def add_valueset(self, valueset: ValueSet) -> None:
        """Add a value set every trial can reference by name."""
        if valueset.name in self.valuesets:
            other = self.valuesets[valueset.name][1]
            self._problem(f"value set {valueset.name!r} is already registered by {other}")
            return
        self.valuesets[valueset.name] = (valueset, self.plugin)

    def add_function(self, name: str, fn: Callable[..., Any], *, description: str = "",
                     sql: Callable[..., Any] | None = None) -> None:
        """Add a derived-value function ``fn(ctx, args) -> DerivedValue``; ``sql``, optional,
        its SQL form ``sql(q, args) -> SqlValue | None`` for the compiled population screening
        (``trialrules.population.sqlform``)."""
        if name in self.functions:
            other = self.functions[name].plugin
            self._problem(f"function {name!r} is already registered by {other}")
            return
        if sql is not None and not callable(sql):
            self._problem(f"function {name!r}: its sql form is not callable")
            sql = None
        self.functions[name] = FunctionSpec(name, fn, description, self.plugin, sql)

    def add_input_adapter(self, adapter: InputAdapter) -> None:
        """Add a reader of patient input."""
        self.input_adapters.append(adapter)

    def add_outcome_computation(self, name: str, fn: Callable[..., Any]) -> None:
        """Add an outcome computation ``fn(study, parameters) -> list[dict]``."""
        if name in self.outcome_computations:
            self._problem(f"outcome computation {name!r} is already registered")
            return
        self.outcome_computations[name] = (fn, self.plugin)

    # -- used by the core -------------------------------------------------

    def _problem(self, message: str) -> None:
        self.problems.append(PluginError(f"plugin {self.plugin}: {message}", plugin=self.plugin))


_REGISTRATION_HOOKS = (
    "trialrules_register_valuesets",
    "trialrules_register_functions",
    "trialrules_register_input_adapters",
    "trialrules_register_outcome_computations",
    "trialrules_register_trials",
)


def collect_registrations(
    pm: pluggy.PluginManager, problems: list[PluginError] | None = None
) -> Registry:
    """Call every registration hook of ``pm`` into a new registry (``problems``: those met
    while loading the plugins, reported first)."""
    registry = Registry()
    registry.problems.extend(problems or [])
    for hook_name in _REGISTRATION_HOOKS:
        hook = getattr(pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):  # registration order
            registry.plugin = plugin_label(pm, impl.plugin)
            kwargs = {k: registry for k in impl.argnames}
            try:
                impl.function(**kwargs)
            except Exception as exc:  # a broken plugin must not take the others down
                registry._problem(f"hook {hook_name} raised {type(exc).__name__}: {exc}")
    registry.plugin = "trialrules"
    return registry


def valueset_lookup(registry: Registry, trial: Trial) -> Mapping[str, ValueSet]:
    """Every value set name a trial's rules can use: its own, then the shared ones."""
    names: dict[str, ValueSet] = {name: vs for name, (vs, _) in registry.valuesets.items()}
    names.update({vs.name: vs for vs in trial.valuesets})
    return names
