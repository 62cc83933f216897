"""
Every hook trialrules calls, documented. Nothing else lives here.

Plugins implement these with ``trialrules.hookimpl``; hooks are called with
keyword arguments only, so an implementation may take fewer arguments than its
spec. Registration hooks receive a registry and *add* to it: a plugin never
changes what another plugin registered.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from trialrules.language.registry import Registry

hookspec = pluggy.HookspecMarker("trialrules")

# -------------------------------------------------------------------------
# Registration: called once, when the plugin manager is built.
# -------------------------------------------------------------------------


@hookspec
def trialrules_register_trials(registry: Registry) -> None:
    """Declare trials: call ``registry.add_trial(rules_dir)`` for each.

    The rules directory holds ``trial.yaml``, ``valuesets/``, ``criteria/``,
    ``arms.yaml`` and ``outcomes.yaml``; they are validated as they load, and an
    invalid file disables that trial only, naming the plugin and the file.

    :param registry: the registry to add to.
    """


@hookspec
def trialrules_register_valuesets(registry: Registry) -> None:
    """Add value sets shared by every trial with ``registry.add_valueset(vs)``.

    Trials' own value sets come from their rules directory instead.

    :param registry: the registry to add to.
    """


@hookspec
def trialrules_register_functions(registry: Registry) -> None:
    """Add derived-value functions that rules may call by name.

    ``registry.add_function(name, fn, description=...)`` where
    ``fn(ctx: FunctionContext, args: Mapping) -> DerivedValue``. A rule file can
    call nothing else.

    :param registry: the registry to add to.
    """


@hookspec
def trialrules_register_input_adapters(registry: Registry) -> None:
    """Add readers of patient input with ``registry.add_input_adapter(adapter)``.

    An adapter has ``name``, ``sniff(path, head) -> bool`` and
    ``read(path) -> Iterator[PatientRecord | InputFailure]``.

    :param registry: the registry to add to.
    """


@hookspec
def trialrules_register_outcome_computations(registry: Registry) -> None:
    """Add outcome computations with ``registry.add_outcome_computation(name, fn)``.

    ``fn(study: StudyData, parameters: Mapping) -> list[dict]``; trials name them
    in ``outcomes.yaml``.

    :param registry: the registry to add to.
    """


# -------------------------------------------------------------------------
# Arms
# -------------------------------------------------------------------------


@hookspec
def trialrules_plan_arm(
    trial: Any,
    arm: Any,
    first_dose: dt.date,
    weight_kg: float | None,
    parameters: dict[str, str],
) -> list[tuple[str, str]] | None:
    """Add trial-specific lines to a patient's plan for an arm.

    The core planner (``trialrules.arms.plan``) already prints every dose, date,
    window, component and escalation fact of ``arms.yaml``; implement this only
    for what the data cannot say. It is called only for the plugin that provides
    the trial, so it need not check the trial id.

    :param trial: the ``Trial`` (``trial.arms``, ``trial.escalation``).
    :param arm: the ``Arm`` being planned.
    :param first_dose: the date of the first administration (Day 1).
    :param weight_kg: the patient's weight, if given.
    :param parameters: the ``--param key=value`` pairs.
    """


# -------------------------------------------------------------------------
# Observation: called around each evaluation (audit logging).
# -------------------------------------------------------------------------


@hookspec
def trialrules_screening_finish(result: Any) -> None:
    """Observe one finished screening result (for audit logs). Must not modify it.

    :param result: the ``ScreeningResult``.
    """
