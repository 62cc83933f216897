"""
The plugin manager: hookimpl marker and discovery through entry points.

The sequence follows tox: add the hookspecs, register the built-in plugins,
load the ``trialrules`` entry-point group, check for pending hooks. A plugin
that fails to import is reported by name and skipped, never fatal.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from types import ModuleType

import pluggy

from trialrules import hookspecs
from trialrules.errors import PluginError

hookimpl = pluggy.HookimplMarker("trialrules")

#: Modules of the core that register through the same hooks as any plugin.
BUILTIN_PLUGINS = (
    "trialrules.engine.builtins",
    "trialrules.inputs.native",
    "trialrules.inputs.fhir",
    "trialrules.outcomes.plugin",
)

#: The entry-point group installed plugins declare themselves in.
ENTRY_POINT_GROUP = "trialrules"

#: Comma-separated plugin names to skip (like tox's TOX_DISABLED_EXTERNAL_PLUGINS).
DISABLED_ENV = "TRIALRULES_DISABLED_PLUGINS"


def get_plugin_manager(
    *, load_entrypoints: bool = True, extra: tuple[object, ...] = ()
) -> tuple[pluggy.PluginManager, list[PluginError]]:
    """Build a plugin manager with the built-ins and every installed plugin.

    Args:
        load_entrypoints: also load the ``trialrules`` entry-point group.
        extra: further plugin objects (modules or instances) to register, e.g. in tests.

    Returns:
        The manager and the problems met while loading (one per broken plugin).
    """
    pm = pluggy.PluginManager("trialrules")
    pm.add_hookspecs(hookspecs)
    problems: list[PluginError] = []
    for name in BUILTIN_PLUGINS:
        try:
            module: ModuleType = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # an optional built-in not present in this build
                continue
            problems.append(PluginError(f"built-in {name}: cannot be loaded: {exc}", plugin=name))
            continue
        except Exception as exc:  # a broken built-in must not take the trials down either
            problems.append(PluginError(f"built-in {name}: cannot be loaded: {exc}", plugin=name))
            continue
        pm.register(module, name=name)
    disabled = {n.strip() for n in os.environ.get(DISABLED_ENV, "").split(",") if n.strip()}
    for name in disabled:
        pm.set_blocked(name)
    if load_entrypoints:
        _load_entry_points(pm, problems)
    for obj in extra:
        pm.register(obj)
    pm.check_pending()
    return pm, problems


def _load_entry_points(pm: pluggy.PluginManager, problems: list[PluginError]) -> None:
    """Register every ``trialrules`` entry point through pluggy's own loader, which records
    each plugin's distribution (``list_plugin_distinfo``). One pass over the installed
    distributions when every plugin loads; when one raises, what that pass registered is
    undone and each entry point is loaded on its own, so the broken one is named and the
    others still load."""
    before = {name for name, _ in pm.list_name_plugin()}
    try:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        return
    except Exception:  # a broken plugin: find it, keep the others
        for name, _ in pm.list_name_plugin():
            if name not in before:
                pm.unregister(name=name)
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
            continue
        dist = ep.dist.name if ep.dist else ep.name
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=ep.name)
        except Exception as exc:  # a broken plugin must not take the others down
            if pm.has_plugin(ep.name):  # registered, then refused by a hook check
                pm.unregister(name=ep.name)
            problems.append(PluginError(f"plugin {dist}: cannot be loaded: {exc}", plugin=dist))


def plugin_label(pm: pluggy.PluginManager, plugin: object) -> str:
    """How errors and ``Trial.plugin`` name a plugin object: its distribution's name, else
    the name it was registered under."""
    for obj, dist in pm.list_plugin_distinfo():
        if obj is plugin:
            return str(dist.project_name)
    return pm.get_name(plugin) or repr(plugin)
