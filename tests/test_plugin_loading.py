"""
Installed plugins load through pluggy's public API: each plugin is labelled by its
distribution, and one that raises on import is named while the others still load.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from trialrules.plugin import get_plugin_manager, plugin_label

TRIALRULES = Path(__file__).resolve().parents[1] / "trialrules"


def _distribution(root: Path, name: str, source: str) -> str:
    """A distribution on ``root`` whose module is its ``trialrules`` entry point."""
    module = name.replace("-", "_")
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{module}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[trialrules]\n{module} = {module}\n", encoding="utf-8")
    return module


def test_a_plugin_that_raises_is_named_and_the_others_load(tmp_path, monkeypatch):
    broken = _distribution(tmp_path, "zz-broken-plugin", "raise RuntimeError('boom at import')\n")
    good = _distribution(tmp_path, "zz-good-plugin", (
        "from trialrules import hookimpl\n\n\n@hookimpl\ndef trialrules_register_valuesets(registry):\n    pass\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        pm, problems = get_plugin_manager()

        assert [str(p) for p in problems if "zz-" in str(p)] == [
            "plugin zz-broken-plugin: cannot be loaded: boom at import"]
        assert pm.get_plugin(broken) is None
        assert plugin_label(pm, pm.get_plugin(good)) == "zz-good-plugin"
        assert pm.get_plugin("cel001") is not None  # the installed trials still load
    finally:
        for module in (broken, good):
            sys.modules.pop(module, None)


def test_installed_plugins_are_labelled_by_their_distribution():
    pm, problems = get_plugin_manager()

    assert problems == []
    assert plugin_label(pm, pm.get_plugin("cel001")) == "trialrules-cel001"
    assert plugin_label(pm, pm.get_plugin("trialrules.inputs.fhir")) == "trialrules.inputs.fhir"  # a built-in


def test_no_private_pluggy_attribute_is_used():
    private = re.compile(r"\bpm\._[a-z]")
    used = [f"{p.name}:{i}" for p in TRIALRULES.rglob("*.py")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if private.search(line)]
    assert used == []
