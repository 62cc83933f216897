"""The screening views: marks, the criteria that exclude, the to-do list, text and HTML."""

from __future__ import annotations

import io
import re

import pytest
from _support import AS_OF, engine_for, obs, patient, write_trial

from trialrules.views import Style, mark, render_html, render_text, summary_line
from trialrules.views.progress import Progress

CRITERIA = {
    "inclusion/inc01_anc": """\
        id: inc01_anc
        text: ANC ≥ 1.5 × 10^9/L
        rule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}
    """,
    "inclusion/inc02_consent": """\
        id: inc02_consent
        text: Signed informed consent <b>before</b> any procedure
        decided_by: person
        rule: {attestation: {}}
    """,
    "exclusion/exc01_hiv": """\
        id: exc01_hiv
        text: Known HIV infection
        rule: {condition: {valueset: hiv, if_absent: not_met}}
    """,
}
VALUESETS = """\
    - name: hiv
      title: HIV disease
      codes: [{system: icd10cm, code: B20}]
"""


@pytest.fixture
def engine(rules_root):
    return engine_for(write_trial(rules_root, CRITERIA, VALUESETS))


def screen(engine, **fields):
    return engine.screen_one(patient(**fields), "mini", AS_OF)


class TestMarks:
    def test_exclusion_that_does_not_apply_is_favourable(self, engine):
        """An exclusion not_met is favourable; an inclusion not_met is unfavourable; unknown stays unknown."""
        r = screen(engine, observations=[obs("o1", "751-8", 1.0, "2026-01-10", unit="10*9/L")])

        marks = {c.id: (c.result, mark(c)) for c in r.criteria}

        assert {
            "inc01_anc": ("not_met", "unfavourable"),
            "inc02_consent": ("unknown", "unknown"),
            "exc01_hiv": ("not_met", "favourable"),
        } == marks


class TestBlockingAndTodo:
    def test_blocking_names_the_criterion_that_excludes(self, engine):
        """An ineligible patient's blocking() is the unfavourable criterion, not the harmless exclusion."""
        r = screen(engine, observations=[obs("o1", "751-8", 1.0, "2026-01-10", unit="10*9/L")])

        assert ("ineligible", ["inc01_anc"]) == (r.verdict, [c.id for c in r.blocking()])

    def test_todo_splits_data_to_obtain_from_attestations(self, engine):
        """Missing ANC is data to obtain within its window; consent needs a person."""
        r = screen(engine)

        items = r.todo()

        (data,), (person,) = items["data"], items["person"]
        assert ("absolute neutrophil count (LOINC 751-8, 26499-4, 753-4)", "dated 2026-01-08 to 2026-01-15 (7 days)",
                ("inc01_anc",)) == (data.what, data.window, data.criteria)
        assert ("inc02_consent",) == person.criteria

    def test_an_older_value_is_still_data_to_obtain(self, engine):
        """An ANC older than the window leaves the test to obtain, dated within the window."""
        r = screen(engine, observations=[obs("o1", "751-8", 2.0, "2025-12-01", unit="10*9/L")])

        assert ["inc01_anc"] == [c for i in r.todo()["data"] for c in i.criteria]


class TestText:
    def test_header_first_then_tree(self, engine):
        """The first lines are the verdict and the reason; the tree follows with its marks."""
        r = screen(engine, observations=[obs("o1", "751-8", 1.0, "2026-01-10", unit="10*9/L")])

        lines = render_text(r, Style(width=80)).splitlines()

        assert lines[0].endswith("INELIGIBLE")
        assert "Excluded by 1 criterion:" == lines[1]
        assert lines[2].startswith("  ✗ inc01_anc (inclusion): \"ANC ≥ 1.5")
        assert any(line.startswith("  ✓ exc01_hiv") for line in lines)
        assert all(len(line) <= 80 for line in lines)

    def test_no_colour_unless_asked(self, engine):
        """Escape codes only with colour on (a terminal); never in a file."""
        r = screen(engine)

        assert "\x1b[" not in render_text(r, Style(width=100))
        assert "\x1b[1;33mNEEDS REVIEW\x1b[0m" in render_text(r, Style(width=100, colour=True))

    def test_summary_line(self):
        """The final line counts verdicts and input errors."""
        assert "3 screened: 1 eligible, 0 ineligible, 2 need review; 1 input error" == summary_line(
            ["eligible", "needs_review", "needs_review"], 1
        )


class TestHtml:
    def test_self_contained_escaped_and_without_script(self, engine):
        """One page: protocol words escaped, evidence with resource ids and dates, no JavaScript, no external URL."""
        r = screen(engine, observations=[obs("o1", "751-8", 1.0, "2026-01-10", unit="10*9/L")])

        page = render_html([r])

        assert "<script" not in page.lower() and not re.search(r"(src|href)=\"?https?:", page)
        assert "Signed informed consent &lt;b&gt;before&lt;/b&gt;" in page
        assert "Observation/o1" in page and "2026-01-10" in page and "1 10*9/L" in page
        assert "Excluded by 1 criterion" in page

    def test_repr_html(self, engine):
        """Notebooks show the same view."""
        r = screen(engine)

        assert "Data to obtain (1)" in r._repr_html_()


class TestProgress:
    def test_silent_when_not_a_terminal(self):
        """Nothing is drawn on a stream that is not a terminal."""
        stream = io.StringIO()
        with Progress(10, stream=stream) as p:
            p.start_phase("screening")
            p.step(10)

        assert "" == stream.getvalue()

    def test_rate_and_time_left(self):
        """After counting, the line gives the count, the rate and the time left."""
        now = [0.0]
        p = Progress(1000, stream=io.StringIO(), enabled=True, clock=lambda: now[0])
        p.start_phase("screening")
        p.step(1)
        now[0] = 10.0
        p.step(199)

        assert "screening · 200/1,000 patients · 20/s · about 40 s left" == p.line()
        assert "200 patients screened in 10 s (20/s)" == p.summary()


class TestShow:
    def test_units_as_people_write_them(self):
        """UCUM codes print with superscript powers and µ."""
        from trialrules.views.show import pretty_unit

        assert ("×10⁹/L", "µmol/L", "cells", "") == (pretty_unit("10*9/L"), pretty_unit("umol/L"), pretty_unit("{cells}"), pretty_unit("1"))

    def test_rule_in_words(self):
        """A measurement reads as concept, limit, unit and window."""
        from trialrules.language.converters import structure_rule
        from trialrules.language.models import ValueSet
        from trialrules.views.show import RuleText

        rule = structure_rule({"measurement": {"concept": "anc", "op": ">=", "value": 1.5, "unit": "10*9/L", "window": {"days": 7}}})

        assert "ANC ≥ 1.5 ×10⁹/L, latest within 7 days" == RuleText({"anc": ValueSet("anc", title="ANC")}).leaf(rule)

    def test_protocol_source_is_not_a_path(self, engine):
        """`show` names the protocol by registry id and title, never by a file path."""
        from trialrules.language.models import evolve
        from trialrules.views.show import protocol_line

        trial = evolve(engine.trial("mini"), protocol={"source": "docs/protocols/x.txt", "registry_id": "NCT01234567",
                                                        "version": "record of 2025-01-01"})

        assert "NCT01234567 — record of 2025-01-01" == protocol_line(trial)

    def test_show_and_list_fit_100_columns(self, engine, monkeypatch, capsys):
        """Every line of `show` and `list` fits in 100 columns."""
        from trialrules import cli

        monkeypatch.setattr(cli, "Engine", lambda: engine)
        cli.main(["show", "mini"])
        cli.main(["list"])
        out = capsys.readouterr().out

        assert "Rule: ANC" not in out and "absolute neutrophil count ≥ 1.5 ×10⁹/L, latest within 7 days" in out
        assert [] == [line for line in out.splitlines() if len(line) > 100]


def test_results_pickle_without_their_compiled_trial(engine):
    """A result pickles (for worker processes); unpickled, it is equal and its to-do list still works."""
    import pickle

    r = screen(engine)

    back = pickle.loads(pickle.dumps(r))

    assert (r, None, ["inc02_consent"]) == (back, back.definition, [c for i in back.todo()["person"] for c in i.criteria])
