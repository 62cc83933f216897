"""jk500_relapsed_refractory on AML records dated only to a month or a year: decided only where
every day those dates may mean gives the same answer (CONTRACT.md section 5). The early-relapse
test ("recurrence within six months after CR") turns on days strictly inside such a range, so
reading the first and last day alone is not enough."""

from __future__ import annotations

import datetime as dt

from trialrules_jk500.functions import relapsed_refractory

import trialrules
from trialrules.engine.patient import PatientIndex
from trialrules.functions import FunctionContext
from trialrules.inputs.native import structure_record

AS_OF = dt.date(2026, 3, 2)
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
MATCHERS = trialrules.Engine().compiled("jk500").matchers


def aml(cid: str, code: str, onset: str) -> dict:
    """An AML Condition; ``onset`` a day, a month (``2025-06``) or a year (``2025``), given in
    the native form as its first and last possible day (onset, onset_latest)."""
    cond = {"id": cid, "codes": [{"system": ICD10, "code": code}], "clinical_status": "active",
            "verification_status": "confirmed"}
    if len(onset) == 4:
        cond.update(onset=f"{onset}-01-01", onset_latest=f"{onset}-12-31")
    elif len(onset) == 7:
        first = dt.date.fromisoformat(onset + "-01")
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        cond.update(onset=first.isoformat(), onset_latest=last.isoformat())
    else:
        cond["onset"] = onset
    return cond


def decide(*conditions: dict):
    record = structure_record({"id": "p-jk500-partial", "birth_date": "2014-04-01", "sex": "male",
                               "conditions": list(conditions)}, "test")
    return relapsed_refractory(FunctionContext(record, AS_OF, PatientIndex(record), MATCHERS), {})


def test_cr_dated_by_a_year_between_two_relapses_is_unknown():
    """Relapses on 2025-01-07 and 2025-09-20, a CR on 2025-05-14 between them (the relapse of
    2025-09-20 is within six months of it: early), and another CR dated only 2025. Read on
    2025-01-01 (before the first relapse) or on 2025-12-31 (after the last), that CR changes
    nothing: early relapse both times. Read on 2025-01-08..2025-03-20 it is the first CR after
    the relapse of 2025-01-07, more than six months before the relapse of 2025-09-20: not an
    early relapse. The criterion is unknown (reading the two ends alone gave met)."""
    out = decide(aml("c-rel1", "C92.02", "2025-01-07"), aml("c-cr1", "C92.01", "2025-05-14"),
                 aml("c-rel2", "C92.02", "2025-09-20"), aml("c-cr2", "C92.01", "2025"))
    assert out.value is None
    assert "depends on the day" in out.reason and "Condition/c-cr2" in out.reason


def test_cr_dated_by_a_month_after_the_last_relapse_is_decided():
    """The same history with the CR dated 2025-11: after the relapse of 2025-09-20 on every
    day, so early relapse (met) on every reading."""
    out = decide(aml("c-rel1", "C92.02", "2025-01-07"), aml("c-cr1", "C92.01", "2025-05-14"),
                 aml("c-rel2", "C92.02", "2025-09-20"), aml("c-cr2", "C92.01", "2025-11"))
    assert out.value == 1, out.reason


def test_relapse_dated_by_a_year_before_a_cr_is_unknown():
    """A relapse dated 2025 and a CR on 2025-03-01: before the CR it has no CR before it
    (unknown), in May 2025 it is an early relapse, in December a late one."""
    out = decide(aml("c-cr2", "C92.01", "2025-03-01"), aml("c-rel2", "C92.02", "2025"))
    assert out.value is None


def test_relapse_on_every_day_of_a_month_within_six_months_is_decided():
    """A relapse dated 2025-06 is within six months of the CR of 2025-03-01 on each of its days."""
    out = decide(aml("c-cr2", "C92.01", "2025-03-01"), aml("c-rel2", "C92.02", "2025-06"))
    assert out.value == 1, out.reason


def test_relapse_on_every_day_of_a_month_after_six_months_is_decided():
    """2025-10 is after 2025-09-01 (six months after the CR) on each of its days: not early."""
    out = decide(aml("c-cr2", "C92.01", "2025-03-01"), aml("c-rel2", "C92.02", "2025-10"))
    assert "depends on the day" not in out.reason  # (refractory is unknown: no courses recorded)


def test_month_straddling_the_six_month_edge_is_unknown():
    """2025-09: 2025-09-01 is exactly six months (early), 2025-09-02 on is not."""
    out = decide(aml("c-cr2", "C92.01", "2025-03-01"), aml("c-rel2", "C92.02", "2025-09"))
    assert out.value is None
    assert "depends on the day" in out.reason


def test_cr_dated_by_a_year_inside_which_a_relapse_falls_early_is_unknown():
    """A CR dated 2025 and a relapse on 2025-12-20: early for a CR from 2025-06-20 on, not
    before; both extremes of the CR alone (2025-01-01: not early; 2025-12-31: after the
    relapse, no CR before it) would already differ, and so do the days between."""
    out = decide(aml("c-cr2", "C92.01", "2025"), aml("c-rel2", "C92.02", "2025-12-20"))
    assert out.value is None
