"""The project's own examples: one documented --as-of per trial reproduces every example's named verdict,
with no warnings, and the text view of each opens with its verdict and reason (or to-do list)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

import trialrules
from trialrules import cli
from trialrules.views import Style, render_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def documented_dates() -> dict[str, dt.date]:
    """``--as-of DATE --trial ID`` pairs in the README's example commands."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {t: dt.date.fromisoformat(d) for d, t in re.findall(r"--as-of (\d{4}-\d\d-\d\d) --trial ([\w-]+)", text)}


def named_verdict(name: str) -> str:
    for prefix, verdict in (("eligible", "eligible"), ("ineligible", "ineligible"),
                            ("needs-review", "needs_review"), ("missing-data", "needs_review")):
        if name.startswith(prefix):
            return verdict
    raise AssertionError(f"example {name} does not name its verdict")


def native_examples() -> list[tuple[str, Path]]:
    return sorted((p.parent.name, p) for p in (EXAMPLES / "patients").glob("*/*.json"))


@pytest.fixture(scope="module")
def engine():
    e = trialrules.Engine()
    missing = {t for t, _ in native_examples()} - set(e.installed.trials)
    if missing:
        pytest.skip(f"trial plugins not installed: {sorted(missing)}")
    return e


def test_readme_documents_one_date_per_trial():
    """Every trial with examples has exactly one documented --as-of in the README."""
    trials = {t for t, _ in native_examples()}

    assert trials == set(documented_dates())


@pytest.fixture(scope="module")
def bulk(engine):
    return list(trialrules.read_patients(EXAMPLES / "fhir" / "bulk", registry=engine.registry))


@pytest.mark.parametrize(("trial", "path"), native_examples(), ids=lambda v: getattr(v, "stem", v))
def test_bundle_screens_to_its_named_verdict_without_warnings(engine, trial, path):
    """The example's FHIR Bundle, at its trial's documented --as-of, gets the verdict its name says, with no warning."""
    bundle = EXAMPLES / "fhir" / f"{trial}-{path.stem}.json"
    (patient,) = trialrules.read_patients(bundle, registry=engine.registry)

    result = engine.screen_one(patient, trial, documented_dates()[trial])

    assert ((), named_verdict(path.stem)) == (patient.warnings, result.verdict)


@pytest.mark.parametrize("trial", sorted({t for t, _ in native_examples()}))
def test_bulk_export_screens_to_named_verdicts(engine, bulk, trial):
    """The Bulk export of all examples, at a trial's documented date, gives each of its patients the named verdict."""
    expected = {}
    for t, path in native_examples():
        if t == trial:
            pid = json.loads(path.read_text(encoding="utf-8"))["id"]
            expected[f"{trial}-{pid}"] = named_verdict(path.stem)
    mine = [p for p in bulk if p.id in expected]

    actual = {r.patient: r.verdict for r in engine.screen(mine, [trial], documented_dates()[trial])}

    assert (expected, []) == (actual, [w for p in mine for w in p.warnings])


def test_first_readme_command_prints_no_warning(engine, capsys):
    """The README's first command screens the cel001 examples with nothing on stderr."""
    files = sorted(str(p) for p in (EXAMPLES / "fhir").glob("cel001-*.json"))

    code = cli.main(["screen", "--as-of", "2026-01-15", "--trial", "cel001", "--format", "text", *files])
    out, err = capsys.readouterr()

    assert (0, "") == (code, err)
    assert out.rstrip().endswith("3 screened: 1 eligible, 1 ineligible, 1 need review; 0 input errors")


@pytest.mark.parametrize(("trial", "path"), native_examples(), ids=lambda v: getattr(v, "stem", v))
def test_text_view_opens_with_verdict_and_reason(engine, trial, path):
    """Within its first 10 lines the text view gives the verdict and the first reason or to-do item."""
    patient = next(trialrules.read_patients(path))
    result = engine.screen_one(patient, trial, documented_dates()[trial])

    head = render_text(result, Style(width=100)).splitlines()[:10]

    verdict = {"eligible": "ELIGIBLE", "ineligible": "INELIGIBLE", "needs_review": "NEEDS REVIEW"}[result.verdict]
    assert head[0].endswith(verdict)
    text = "\n".join(head)
    if result.verdict == "ineligible":
        first = result.blocking()[0]
        assert f"✗ {first.id}" in text and "Excluded by" in text
    elif result.verdict == "needs_review":
        items = result.todo()
        first = (items["data"] or items["person"])[0]
        assert first.criteria[0] in text
    else:
        assert "Every one of the" in text


def test_readme_outcomes_snippet_runs(engine, monkeypatch):
    """The README's outcomes API example runs as written and renders a report with provenance."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (snippet,) = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "run_measures(" in b]
    monkeypatch.chdir(ROOT)
    scope = {"engine": engine}

    exec(snippet, scope)  # noqa: S102 - the project's own documentation

    assert scope["page"].startswith("<!DOCTYPE html>") and "Provenance" in scope["page"]
    assert not [m["id"] for m in scope["doc"]["measures"] if m.get("note")]
