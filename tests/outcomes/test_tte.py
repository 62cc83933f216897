"""ADaM time-to-event derivation: start, +1 day, censoring rules."""

from __future__ import annotations

import datetime as dt

from trialrules.outcomes.sdtm import Disposition, Exposure, Response, StudyData, Subject
from trialrules.outcomes.tte import derive_dor, derive_os, derive_pfs, last_known_alive

D0 = dt.datetime(2025, 1, 1, 9, 0)


def _d(days: int) -> dt.date:
    return (D0 + dt.timedelta(days=days)).date()


def _study(responses: list[tuple[str, int, str]] = [], deaths: dict[str, int] = {}, ds: list[tuple[str, str, int]] = []) -> StudyData:  # noqa: B006
    subjects = tuple(Subject(u, "A", dthdtc=_d(deaths[u]) if u in deaths else None) for u in ("S1", "S2", "S3"))
    ex = tuple(Exposure(u, D0) for u in ("S1", "S2", "S3")) + (Exposure("S1", D0 + dt.timedelta(days=20)),)
    rs = tuple(Response(u, r, _d(day), "OVRLRESP") for u, day, r in responses)
    dsp = tuple(Disposition(u, decod, _d(day)) for u, decod, day in ds)
    return StudyData(subjects=subjects, exposures=ex, responses=rs, dispositions=dsp,
                     domains=frozenset({"dm", "ex", "rs", "ds"}))


def _by(records: list) -> dict:  # type: ignore[type-arg]
    return {r.usubjid: r for r in records}


def test_os_event_and_censor_at_last_known_alive() -> None:
    """OS: death is the event; others censor at their last dated record."""
    study = _study([("S2", 42, "SD"), ("S2", 84, "PD")], deaths={"S1": 99})

    os_ = _by(derive_os(study))

    assert (True, 100) == (os_["S1"].event, os_["S1"].days)  # 99 − 0 + 1
    assert (False, 85) == (os_["S2"].event, os_["S2"].days)  # last RS on day 84
    assert (False, 1) == (os_["S3"].event, os_["S3"].days)  # only the first dose date is known


def test_os_months_use_30_4375() -> None:
    """Months are days / 30.4375."""
    study = _study(deaths={"S1": 304})

    assert 305 / 30.4375 == _by(derive_os(study))["S1"].months


def test_pfs_rules() -> None:
    """PFS: PD or death whichever first; censor at last adequate assessment, or at start."""
    study = _study(
        [("S1", 42, "SD"), ("S1", 84, "PD"), ("S2", 42, "SD"), ("S2", 84, "NE")],
        deaths={"S1": 200, "S3": 50},
    )

    pfs = _by(derive_pfs(study))

    assert (True, 85, "PD") == (pfs["S1"].event, pfs["S1"].days, pfs["S1"].reason)
    # S2: NE does not count as adequate → censored at day 42
    assert (False, 43) == (pfs["S2"].event, pfs["S2"].days)
    # S3: no assessment, died on day 50 → event
    assert (True, 51, "DEATH") == (pfs["S3"].event, pfs["S3"].days, pfs["S3"].reason)


def test_pfs_censor_at_start_without_assessment() -> None:
    """No post-baseline assessment and no death: censored at the start (day 1)."""
    pfs = _by(derive_pfs(_study()))

    assert (False, 1) == (pfs["S3"].event, pfs["S3"].days)


def test_pfs_censor_at_new_therapy() -> None:
    """With the option, PD after new anticancer therapy is censored at the last assessment before it."""
    study = _study([("S1", 42, "SD"), ("S1", 84, "SD"), ("S1", 126, "PD")],
                   ds=[("S1", "NEW ANTICANCER THERAPY", 100)])

    plain = _by(derive_pfs(study))["S1"]
    censored = _by(derive_pfs(study, censor_at_new_therapy=True))["S1"]

    assert (True, 127) == (plain.event, plain.days)
    assert (False, 85) == (censored.event, censored.days)


def test_dor_starts_at_first_response() -> None:
    """DOR runs from the first (confirmed) response to PD, +1 day."""
    study = _study([("S1", 42, "PR"), ("S1", 84, "PR"), ("S1", 126, "PD"), ("S2", 42, "SD")])

    dor = _by(derive_dor(study))

    assert ["S1"] == list(dor)
    assert (True, 126 - 42 + 1) == (dor["S1"].event, dor["S1"].days)


def test_last_known_alive_ignores_death_records() -> None:
    """A DS death record does not extend the last-known-alive date."""
    study = _study([("S2", 30, "SD")], ds=[("S2", "DEATH", 90)])

    assert _d(30) == last_known_alive(study)["S2"]
