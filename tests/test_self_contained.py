"""The repository stands on its own: reference data, protocol texts and the interface are in it.

A clone without anything beside it must run every reference test (none may skip for
missing data) and every plugin must carry the protocol text its rules quote.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
REFDATA = REPO / "tests" / "refdata"
TRIALS = ("cea-car-t", "cel001", "cnk-ut", "jk500", "nk-gd2")
TRIAL_FILES = sorted(REPO.glob("plugins/*/trialrules_*/rules/trial.yaml"))


def _sources() -> list[Path]:
    """Code and configuration of the core, the tests and the plugins (not the docs)."""
    out = [REPO / "tox.ini", REPO / "pyproject.toml"]
    for top in ("trialrules", "tests", "plugins", "benchmarks", "examples"):
        for pattern in ("*.py", "*.yaml", "*.yml", "*.toml", "*.ini", "*.cfg"):
            out.extend(p for p in (REPO / top).rglob(pattern) if ".venv" not in p.parts and "refdata" not in p.parts)
    return out


def test_nothing_reads_outside_the_repository():
    """No code, test or configuration reads TRIALRULES_SHARED or a ../shared path."""
    offenders = [
        str(p.relative_to(REPO))
        for p in _sources()
        if p.name != Path(__file__).name and re.search(r"TRIALRULES_SHARED|\.\./shared\b", p.read_text(encoding="utf-8"))
    ]

    assert offenders == []


def test_every_reference_file_is_described():
    """Each vendored reference file is named, with its source, in tests/refdata/README.md (and exists)."""
    readme = (REFDATA / "README.md").read_text(encoding="utf-8") + (REFDATA / "ucum" / "README.md").read_text(encoding="utf-8")
    files = sorted(p.relative_to(REFDATA).as_posix() for p in REFDATA.rglob("*.csv"))

    assert len(files) == 14
    assert [f for f in files if f"`{Path(f).name}`" not in readme] == []


@pytest.mark.parametrize("trial_yaml", TRIAL_FILES, ids=lambda p: p.parents[2].name)
def test_plugin_ships_its_protocol(trial_yaml):
    """Each trial names its registry record and ships the record's text beside trial.yaml."""
    protocol = yaml.safe_load(trial_yaml.read_text(encoding="utf-8"))["protocol"]
    text = " ".join((trial_yaml.parent / "protocol.txt").read_text(encoding="utf-8").split())

    assert set(protocol) == {"title", "registry", "registry_id", "version"}
    assert len(text) > 2000
    if protocol["title"]:
        assert " ".join(protocol["title"].split()) in text
    if protocol["registry_id"]:
        assert protocol["registry_id"] in text


def test_every_trial_is_checked():
    """The five trials of the contract each have a plugin with a trial.yaml."""
    assert sorted(p.parents[2].name for p in TRIAL_FILES) == list(TRIALS)
