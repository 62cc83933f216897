"""Command-line conventions: --version, help for every option with its default, --output, --quiet."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from trialrules import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(subparsers()))
def test_every_option_says_what_it_does_and_its_default(command):
    """Each option of each subcommand has help text naming its default (or that it is required)."""
    parser = subparsers()[command]
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        text = action.help or ""
        flag = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))
        if not text or not (flag or action.required or "default" in text):
            missing.append(action.option_strings[-1])

    assert [] == missing


def test_version(capsys):
    """--version prints the installed version and exits 0."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])

    assert (0, True) == (exit_.value.code, capsys.readouterr().out.startswith("trialrules "))


def test_output_file(tmp_path, capsys):
    """--output FILE writes there and nothing to stdout."""
    target = tmp_path / "out.json"
    bundle = EXAMPLES / "fhir" / "cel001-ineligible-anc-low.json"

    code = cli.main(["screen", "-q", "--as-of", "2026-01-15", "--trial", "cel001", "-o", str(target), str(bundle)])

    assert (0, "", "ineligible") == (code, capsys.readouterr().out, json.loads(target.read_text())[0]["verdict"])


def test_outcomes_html_goes_to_stdout_without_out(tmp_path, capsys, monkeypatch):
    """`outcomes --format html` without --out writes the page to stdout, not into the current directory."""
    monkeypatch.chdir(tmp_path)

    code = cli.main(["outcomes", "cel001", "-q", "--data", str(EXAMPLES / "sdtm" / "cel001"), "--format", "html"])

    assert (0, True, []) == (code, capsys.readouterr().out.startswith("<!DOCTYPE html>"), list(tmp_path.iterdir()))
