"""Rendering: JSON round-trip, readable tables, and an HTML report whose figures a statistician can sign off:
every plotted mark inside its axes, a censor mark for every censored subject, legends and provenance."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from trialrules.outcomes._svgplot import nice_ticks, tick_label
from trialrules.outcomes.measures import run_measures
from trialrules.outcomes.report import render
from trialrules.outcomes.sdtm import read_study
from trialrules.outcomes.tables import fmt_number, pk_summary, provenance

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sdtm"
CEL = EXAMPLES / "cel001"
JK = EXAMPLES / "jk500"
MEASURES = [
    {"id": i, "title": t, "time_frame": "Up to 12 months", "parameters": p}
    for i, t, p in [("ae", "Treatment-related AEs", {}), ("orr", "ORR", {}), ("pfs", "PFS", {}), ("os", "OS", {}),
                    ("pk", "PK", {}), ("mrd", "MRD", {})]
]
JK_MEASURES = [
    {"id": "ae", "title": "AEs", "time_frame": "", "parameters": {}},
    {"id": "orr", "title": "ORR", "time_frame": "", "parameters": {"criteria": "aml"}},
    {"id": "os", "title": "OS", "time_frame": "", "parameters": {}},
]


@pytest.fixture(scope="module")
def doc() -> dict[str, object]:
    return run_measures("cel001", MEASURES, CEL)


@pytest.fixture(scope="module")
def page(doc) -> str:
    return render(doc, "html", read_study(CEL), provenance(CEL, now=dt.datetime(2026, 1, 2, 3, 4, 5)))


def svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg .*?</svg>", page, re.S)]


def points(el: ET.Element) -> list[tuple[float, float]]:
    """The data coordinates a mark occupies (its anchor points)."""
    tag = el.tag.split("}")[-1]
    if tag == "circle":
        return [(float(el.get("cx")), float(el.get("cy")))]
    if tag == "line":
        return [(float(el.get("x1")), (float(el.get("y1")) + float(el.get("y2"))) / 2), (float(el.get("x2")), (float(el.get("y1")) + float(el.get("y2"))) / 2)]
    if tag == "rect":
        x, y, w, h = (float(el.get(k)) for k in ("x", "y", "width", "height"))
        return [(x, y), (x + w, y + h)]
    if tag == "polyline":
        return [tuple(map(float, p.split(","))) for p in el.get("points").split()]
    raise AssertionError(f"unexpected mark {tag}")


def assert_marks_inside(page: str) -> int:
    checked = 0
    for root in svgs(page):
        for g in root.iter():
            if g.get("class") != "plot":
                continue
            x0, y0, x1, y1 = map(float, g.get("data-frame").split())
            for mark in g:
                if "datum" not in (mark.get("class") or ""):
                    continue
                for x, y in points(mark):
                    assert x0 <= x <= x1 and y0 <= y <= y1, f"{mark.tag} at ({x}, {y}) outside {x0, y0, x1, y1}"
                    checked += 1
    return checked


class TestDocument:
    def test_json_round_trip(self, doc):
        """JSON output parses back to the same document."""
        assert doc == json.loads(render(doc, "json", None))

    def test_text_tables(self, doc):
        """Text output names each measure, shows notes, proportions as n/N (%) and AEs by arm."""
        text = render(doc, "text", read_study(CEL))

        assert "== orr: ORR" in text
        assert "note: no data" in text
        assert re.search(r"all\s+orr\s+8/13 \(61\.5 %\)\s+31\.6 – 86\.1 %\s+13", text)
        assert "Overall (N=13)" in text and "Dose group 1 (N=1)" in text

    def test_unknown_format(self, doc):
        """An unknown format is a ValueError."""
        with pytest.raises(ValueError):
            render(doc, "pdf", None)  # type: ignore[arg-type]


class TestFigures:
    def test_self_contained(self, page):
        """HTML has inline SVG figures and no scripts or external references."""
        assert page.startswith("<!DOCTYPE html>")
        assert "<script" not in page
        assert not re.search(r'(src|href)="(https?:)?//', page)
        assert 4 == page.count("<svg")  # PFS, OS, waterfall, concentration–time

    @pytest.mark.parametrize(("folder", "measures"), [(CEL, MEASURES), (JK, JK_MEASURES)], ids=["cel001", "jk500"])
    def test_every_mark_inside_its_axes(self, folder, measures):
        """Every plotted point of every figure lies inside its frame (curves run to the end of follow-up)."""
        page = render(run_measures(folder.name, measures, folder), "html", read_study(folder))

        assert assert_marks_inside(page) > 50

    @pytest.mark.parametrize("measure", ["pfs", "os"])
    def test_every_censored_subject_has_a_mark(self, doc, page, measure):
        """Each censored subject of each plotted curve has its own censor mark."""
        result = next(m for m in doc["measures"] if m["id"] == measure)
        censored = {(r["group"]["arm"], rec["subject"]) for r in result["results"]
                    if r["parameter"] == "median" and r["group"]["arm"] != "all" for rec in r["records"] if not rec["event"]}
        figure = next(s for s in svgs(page) if measure.upper() in (s.get("aria-label") or ""))

        marks = {(m.get("data-arm"), m.get("data-subject")) for m in figure.iter() if "censor" in (m.get("class") or "")}

        assert censored == marks and censored

    def test_km_axis_covers_follow_up(self, doc, page):
        """The x axis ends at a tick at or beyond the longest follow-up (cel001 OS: 13.6 months → 15)."""
        figure = next(s for s in svgs(page) if "OS" in (s.get("aria-label") or ""))
        labels = [t.text for t in figure.iter() if t.tag.endswith("text")]

        assert "15" in labels and "0.25" in labels and "0.75" in labels

    def test_legends_name_every_colour(self, page):
        """Arms, best responses and the RECIST thresholds are labelled."""
        for label in ("Dose group 3 (n=6)", "PR: partial response", "SD: stable disease", "−30 %: partial response",
                      "+20 %: progression", "censored", "Geometric mean concentration (cells/uL)"):
            assert label in page

    def test_provenance(self, page):
        """The report records versions, the data folder, each file's checksum and the run date."""
        assert "2026-01-02 03:04:05 UTC" in page and str(CEL.resolve()) in page
        assert re.search(r"dm\.csv</th><td>\d+ bytes, sha256 [0-9a-f]{64}", page)

    def test_without_study_says_what_is_missing(self, doc):
        """Figures that need the SDTM records are named, not silently dropped."""
        page = render(doc, "html")

        assert "Waterfall / swimmer plot not drawn" in page and "Concentration–time plot not drawn" in page


class TestTables:
    def test_ticks_cover_and_read_as_written(self):
        """Ticks start at or below and end at or above the data; 0.25 prints as 0.25, −30 with a minus sign."""
        assert [0, 2.5, 5, 7.5, 10, 12.5, 15] == nice_ticks(0, 13.63)
        assert ("0.25", "−30", "1000") == (tick_label(0.25), tick_label(-30.0), tick_label(1000.0))

    def test_numbers_never_scientific_in_tables(self):
        """Four significant figures, thousands separated; no 5e+08."""
        assert ("17,202", "0.007870", "500,000,000") == (fmt_number(17202.3), fmt_number(0.00787), fmt_number(5e8))

    def test_pk_summary_geometric_mean_and_cv(self):
        """Geometric mean and geometric CV% = 100·sqrt(exp(s²)−1) of log values, by arm; tmax by median and range."""
        measure = {"results": [
            {"group": {"subject": s}, "parameter": p, "estimate": v, "unit": u, "arm": "A", "analyte": "X"}
            for s, p, v, u in [("1", "cmax", 10.0, "ng/mL"), ("2", "cmax", 40.0, "ng/mL"), ("1", "tmax", 1.0, "h"), ("2", "tmax", 3.0, "h")]
        ]}

        header, rows = pk_summary(measure)

        # GM = sqrt(10·40) = 20; s² of ln(10), ln(40) = (ln 4)²/2 → CV = 100·sqrt(exp(0.9609)−1) = 127.0 %
        assert ["A", "cmax", "ng/mL", "2", "20.00", "127.0", "25.00", "10.00 – 40.00"] == rows[0]
        assert ["A", "tmax", "h", "2", "—", "—", "2.000", "1.000 – 3.000"] == rows[1]
