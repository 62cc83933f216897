"""TEAE flag, worst-grade counting and DLT definitions."""

from __future__ import annotations

import datetime as dt

from trialrules.outcomes.safety import (
    dlt_subjects,
    is_related,
    treatment_emergent,
    worst_grades,
)
from trialrules.outcomes.sdtm import AdverseEvent, Exposure, StudyData, Subject

D0 = dt.datetime(2025, 1, 10, 9, 0)


def _ae(u: str, day: int | None, grade: int, rel: str = "RELATED", dlt: bool | None = None, ser: bool = False) -> AdverseEvent:
    start = None if day is None else D0.date() + dt.timedelta(days=day)
    return AdverseEvent(u, "Pyrexia", "Pyrexia", "", start, None, grade, ser, rel, dlt)


def _study(aes: list[AdverseEvent]) -> StudyData:
    return StudyData(
        subjects=(Subject("S1", "A"), Subject("S2", "A")),
        exposures=(Exposure("S1", D0), Exposure("S2", D0), Exposure("S1", D0 + dt.timedelta(days=14))),
        adverse_events=tuple(aes),
    )


def test_teae_rule() -> None:
    """On/after first dose or missing start is TE; before first dose is not (admiral)."""
    aes = [_ae("S1", -1, 2), _ae("S1", 0, 1), _ae("S2", None, 3)]

    te = treatment_emergent(_study(aes))

    assert [aes[1], aes[2]] == te


def test_teae_window_after_last_dose() -> None:
    """With a window, AEs later than last dose + window are excluded."""
    aes = [_ae("S1", 14 + 30, 1), _ae("S1", 14 + 31, 1)]

    assert [aes[0]] == treatment_emergent(_study(aes), window_days_after_last_dose=30)


def test_worst_grade_per_subject() -> None:
    """Each subject counts once at the worst grade."""
    assert {"S1": 4, "S2": 1} == worst_grades([_ae("S1", 1, 2), _ae("S1", 2, 4), _ae("S2", 1, 1)])


def test_relatedness_values() -> None:
    """Default related set includes POSSIBLY RELATED but not UNLIKELY RELATED."""
    assert is_related(_ae("S1", 1, 1, "POSSIBLY RELATED"))
    assert not is_related(_ae("S1", 1, 1, "UNLIKELY RELATED"))
    assert is_related(_ae("S1", 1, 1, "UNLIKELY RELATED"), {"UNLIKELY RELATED"})


def test_dlt_fallback_rule() -> None:
    """Without AEDLT: related grade ≥ 3 within the window."""
    aes = [_ae("S1", 28, 3), _ae("S2", 29, 4), _ae("S2", 5, 3, "NOT RELATED")]

    res = dlt_subjects(_study(aes), window_days=28)

    assert frozenset({"S1"}) == res.subjects
    assert "related AE" in res.definition


def test_dlt_flag_rule() -> None:
    """With an AEDLT column the flag decides, whatever the grade."""
    aes = [_ae("S1", 3, 2, dlt=True), _ae("S2", 3, 4, dlt=False)]

    res = dlt_subjects(_study(aes))

    assert frozenset({"S1"}) == res.subjects
    assert "AEDLT" in res.definition
