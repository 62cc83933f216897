"""run_measures on the example SDTM data: CONTRACT §7 shape, notes, cross-checks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from trialrules.outcomes.escalation import three_plus_three
from trialrules.outcomes.measures import COMPUTATIONS, pc_profiles, run_measures
from trialrules.outcomes.pk import nca
from trialrules.outcomes.sdtm import read_study

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sdtm"
CEL = EXAMPLES / "cel001"
JK = EXAMPLES / "jk500"
NAMES = ["ae", "sae", "dlt", "orr", "dcr", "dor", "pfs", "os", "efs", "mrd", "cytokines", "immune_cells", "ada", "pk",
         "escalation"]


def _m(id_: str, computation: str | None = None, **params: object) -> dict[str, object]:
    return {"id": id_, "title": id_.upper(), "time_frame": "", "computation": computation or id_, "parameters": params}


def test_registry_names() -> None:
    """COMPUTATIONS has exactly the contract's names plus efs and escalation."""
    assert sorted(NAMES) == sorted(COMPUTATIONS)


def test_document_shape_cel001() -> None:
    """Every result has the §7 keys, groups are all + each arm, and the document is JSON."""
    doc = run_measures("cel001", [_m(n) for n in NAMES], CEL)

    assert "cel001" == doc["trial"]
    json.dumps(doc)
    keys = {"group", "parameter", "estimate", "ci", "n", "unit", "subjects"}
    for m in doc["measures"]:
        assert {"id", "title", "time_frame", "results"} <= set(m)
        for r in m["results"]:
            assert keys <= set(r), m["id"]
            assert r["ci"] is None or len(r["ci"]) == 2
    orr = next(m for m in doc["measures"] if m["id"] == "orr")
    assert [{"arm": "all"}, {"arm": "Dose group 1"}, {"arm": "Dose group 2"}, {"arm": "Dose group 3"}] == [
        r["group"] for r in orr["results"]
    ]
    assert [13, 1, 6, 6] == [r["n"] for r in orr["results"]]


def test_missing_data_gives_note_not_crash(tmp_path: Path) -> None:
    """A measure without its domain returns [] and a note; unknown names too."""
    (tmp_path / "dm.csv").write_text("USUBJID,ARM\nS1,A\n")
    doc = run_measures("x", [_m("pk"), _m("orr"), _m("foo")], tmp_path)

    notes = {m["id"]: m.get("note", "") for m in doc["measures"]}
    assert all(m["results"] == [] for m in doc["measures"])
    assert "pc.csv" in notes["pk"]
    assert "rs.csv" in notes["orr"] and "ex.csv" in notes["orr"]
    assert "unknown computation" in notes["foo"]


def test_bad_file_gives_note(tmp_path: Path) -> None:
    """A domain lacking columns turns into notes naming the file and column."""
    (tmp_path / "ex.csv").write_text("USUBJID\nS1\n")

    doc = run_measures("x", [_m("os")], tmp_path)

    assert [] == doc["measures"][0]["results"]
    assert "ex.csv" in doc["measures"][0]["note"] and "EXSTDTC" in doc["measures"][0]["note"]


def test_mrd_missing_in_cel001() -> None:
    """cel001 has no MRD rows: the note says which LBTESTCD was looked for."""
    doc = run_measures("cel001", [_m("mrd")], CEL)

    assert "MRD" in doc["measures"][0]["note"]


def test_pk_times_from_pcdtc_equal_pceltm() -> None:
    """PK times from PCDTC − first EXSTDTC equal the planned PCELTM in the example."""
    study = read_study(CEL)

    for c in study.concentrations:
        first = study.first_dose()[c.usubjid]
        assert c.dtc is not None and c.eltm_hours is not None
        assert c.eltm_hours == pytest.approx((c.dtc - first).total_seconds() / 3600)


def test_pk_results_match_nca() -> None:
    """pk results equal nca() on the same profile; λz is estimable for every subject."""
    study = read_study(CEL)
    doc = run_measures("cel001", [_m("pk", window_hours=[0, 336])], CEL)
    res = doc["measures"][0]["results"]

    subjects = {r["group"]["subject"] for r in res}
    assert 13 == len(subjects)
    for (u, _a), (t, c, _unit) in pc_profiles(study).items():
        ref = nca(t, c, window=(0, 336)).parameters()
        ours = {r["parameter"]: r["estimate"] for r in res if r["group"]["subject"] == u}
        assert ref == ours
        assert ours["lambda_z"] is not None and ours["lambda_z"] > 0


def test_os_median_matches_lifelines() -> None:
    """OS records → KM median in months equal lifelines' on the same records."""
    lifelines = pytest.importorskip("lifelines")
    doc = run_measures("cel001", [_m("os", median_rule="lifelines")], CEL)
    med = doc["measures"][0]["results"][0]
    recs = med["records"]

    kmf = lifelines.KaplanMeierFitter().fit([r["months"] for r in recs], [r["event"] for r in recs])

    expected = float(kmf.median_survival_time_)
    assert (None if math.isinf(expected) else expected) == med["estimate"]
    assert all(abs(r["months"] - r["days"] / 30.4375) < 1e-12 for r in recs)


def test_orr_matches_bor_counts() -> None:
    """ORR count equals CR+PR among the BOR counts; CI is Clopper–Pearson (scipy)."""
    stats = pytest.importorskip("scipy.stats")
    doc = run_measures("cel001", [_m("orr")], CEL)

    for r in doc["measures"][0]["results"]:
        k = r["bor_counts"].get("CR", 0) + r["bor_counts"].get("PR", 0)
        assert k == r["count"] == len(r["subjects"])
        ci = stats.binomtest(k, r["n"]).proportion_ci(method="exact")
        assert [ci.low, ci.high] == pytest.approx(r["ci"], abs=1e-10)


def test_jk500_aml_orr_mrd_dlt() -> None:
    """jk500: AML ORR uses CR+CRi+PR, MRD is per subject, DLT uses the AEDLT flag."""
    doc = run_measures(
        "jk500",
        [_m("orr", criteria="aml"), _m("mrd"), _m("dlt"), _m("efs")],
        JK,
    )
    by = {m["id"]: m for m in doc["measures"]}

    orr_all = by["orr"]["results"][0]
    assert {"CR", "CRI", "PR"} == set(orr_all["responders"])
    assert orr_all["count"] == sum(v for k, v in orr_all["bor_counts"].items() if k in ("CR", "CRI", "PR"))
    assert 9 == by["mrd"]["results"][0]["n"]
    assert "AEDLT" in by["dlt"]["results"][0]["definition"]
    assert 4 == len(by["dlt"]["results"])


def test_jk500_dlt_feeds_three_plus_three() -> None:
    """The per-arm DLT counts form a valid 3+3 history (one cohort of 3 per dose)."""
    doc = run_measures("jk500", [_m("dlt")], JK)
    arms = doc["measures"][0]["results"][1:]
    outcome = " ".join(f"{i}{'T' * r['count']}{'N' * (r['n'] - r['count'])}" for i, r in enumerate(arms, 1))

    decision = three_plus_three(outcome, 3)

    assert decision.recommended_dose is None or 1 <= decision.recommended_dose <= 3
