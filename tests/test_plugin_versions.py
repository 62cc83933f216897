"""
Each plugin's version follows docs/plugin-guide.md §6: ``pyproject.toml`` and
``trial.yaml`` say the same version, and the plugin's CHANGELOG has a section for it
that says which rule of the table gave it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

PLUGINS = sorted((Path(__file__).resolve().parents[1] / "plugins").glob("*/pyproject.toml"))


@pytest.mark.parametrize("pyproject", PLUGINS, ids=lambda p: p.parent.name)
def test_version_is_one_and_has_its_changelog_section(pyproject: Path):
    version = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    (trial_yaml,) = pyproject.parent.glob("trialrules_*/rules/trial.yaml")
    changelog = (pyproject.parent / "CHANGELOG.md").read_text(encoding="utf-8")

    assert version == str(yaml.safe_load(trial_yaml.read_text(encoding="utf-8"))["version"])
    section = re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}\n(.*?)(?=^## |\Z)", changelog, re.M | re.S)
    assert section, f"{pyproject.parent.name}: no CHANGELOG section for {version}"
    if version != "1.0.0":
        assert re.search(r"Version rule: (patch|minor|major): ", section.group(1))
