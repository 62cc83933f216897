"""
The installed trials: every rules directory the plugins declared, loaded and
validated, found by id or alias.

The plugins' declarations come from ``registry.Registry``; this module loads them
(``loader.load_trial``) and holds the result, so the registry never imports the loader.
A trial whose rules do not load is reported in ``problems`` and left out; the others work.
"""

from __future__ import annotations

from trialrules.errors import PluginError, RuleFileError, internal_error
from trialrules.language.loader import load_trial
from trialrules.language.models import Trial
from trialrules.language.registry import Registry


class InstalledTrials:
    """The loaded trials by id (``trials``) and alias (``aliases``: lower-case alias → id),
    and the problems that kept a trial out."""

    def __init__(self) -> None:
        self.trials: dict[str, Trial] = {}
        self.aliases: dict[str, str] = {}
        self.problems: list[PluginError] = []

    def resolve_trial(self, trial_id: str) -> Trial | None:
        """The trial for an id or alias, case-insensitively."""
        key = trial_id.lower()
        return self.trials.get(self.aliases.get(key, key))

    def _add(self, trial: Trial, plugin: str) -> None:
        names = [trial.id, *(a.lower() for a in trial.aliases)]
        for name in names:
            owner = self.aliases.get(name)
            if owner is not None or name in self.trials:
                other = self.trials[owner or name].plugin
                self.problems.append(
                    PluginError(
                        f"plugin {plugin}: trial id {name!r} of {trial.label} is already "
                        f"provided by {other}; {trial.label} from {plugin} is not loaded",
                        plugin=plugin,
                    )
                )
                return
        self.trials[trial.id] = trial
        for alias in names[1:]:
            self.aliases[alias] = trial.id


def load_trials(registry: Registry) -> InstalledTrials:
    """Load and validate every rules directory in ``registry``, in registration order."""
    installed = InstalledTrials()
    for rules_dir, plugin in registry.trial_dirs:
        try:
            trial = load_trial(rules_dir, registry, plugin=plugin)
        except RuleFileError as exc:
            installed.problems.append(
                PluginError(f"plugin {plugin}: invalid rule file\n{exc}", plugin=plugin)
            )
            continue
        except OSError as exc:
            installed.problems.append(
                PluginError(f"plugin {plugin}: cannot read rules in {rules_dir}: {exc}", plugin=plugin)
            )
            continue
        except Exception as exc:  # a rule file our checks did not foresee: this trial only is disabled
            installed.problems.append(PluginError(
                f"plugin {plugin}: the rules in {rules_dir} could not be loaded: {internal_error(exc)}",
                plugin=plugin))
            continue
        installed._add(trial, plugin)
    return installed
