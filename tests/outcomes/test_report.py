"""Rendering: JSON round-trip, readable text, self-contained HTML with SVG."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trialrules.outcomes.measures import run_measures
from trialrules.outcomes.report import render
from trialrules.outcomes.sdtm import read_study

CEL = Path(__file__).resolve().parents[2] / "examples" / "sdtm" / "cel001"
MEASURES = [
    {"id": i, "title": t, "time_frame": "Up to 12 months", "parameters": {}}
    for i, t in [("ae", "Treatment-related AEs"), ("orr", "ORR"), ("pfs", "PFS"), ("os", "OS"), ("pk", "PK"), ("mrd", "MRD")]
]


@pytest.fixture(scope="module")
def doc() -> dict[str, object]:
    return run_measures("cel001", MEASURES, CEL)


def test_json_round_trip(doc: dict[str, object]) -> None:
    """JSON output parses back to the same document."""
    assert doc == json.loads(render(doc, "json", None))


def test_text_table(doc: dict[str, object]) -> None:
    """Text output names each measure, shows notes and CIs."""
    text = render(doc, "text", None)

    assert "== orr: ORR" in text
    assert "note: no data" in text
    assert re.search(r"all\s+orr\s+0\.\d+\s+0\.\d+ – 0\.\d+\s+13", text)


def test_html_self_contained(doc: dict[str, object]) -> None:
    """HTML has inline SVG figures and no scripts or external references."""
    page = render(doc, "html", read_study(CEL))

    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert page.count("<svg") >= 5  # KM ×2, waterfall, conc–time, AE heat map
    assert "Number at risk" in page
    assert "Waterfall" in page
    assert "log scale" in page
    assert "AE heat map" in page


def test_unknown_format(doc: dict[str, object]) -> None:
    """An unknown format is a ValueError."""
    with pytest.raises(ValueError):
        render(doc, "pdf", None)  # type: ignore[arg-type]
