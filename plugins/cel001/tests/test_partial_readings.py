"""cel001_lines_of_therapy on medication records whose dates are not exact (a start given as a
month or year, an end not given): the count is given only where every day those dates may mean
gives the same count (CONTRACT.md section 5). A start inside such a range can merge a drug into
a line (within 28 days of the line's first drug) that both ends of the range split off."""

from __future__ import annotations

import datetime as dt
import itertools
import random

from trialrules_cel001.therapy import _drug_key, _every_count, _lines, lines_of_therapy

import trialrules
from trialrules.engine.patient import PatientIndex
from trialrules.engine.spans import record_span
from trialrules.functions import READINGS_BUDGET, FunctionContext, span_days
from trialrules.inputs.native import structure_record

AS_OF = dt.date(2026, 1, 15)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
MATCHERS = trialrules.Engine().compiled("cel001").matchers
DRUGS = {"docetaxel": "72962", "carboplatin": "40048", "fluorouracil": "4492", "bevacizumab": "253337"}


def med(mid: str, drug: str, start: str, start_latest: str | None = None, **more: object) -> dict:
    rec = {"id": mid, "codes": [{"system": RXNORM, "code": DRUGS[drug], "display": drug}], "start": start,
           "status": "active", **more}
    if start_latest:
        rec["start_latest"] = start_latest
    return rec


def count(*meds: dict):
    record = structure_record({"id": "p-cel001-partial", "birth_date": "1965-06-01", "sex": "male",
                               "medications": list(meds)}, "test")
    assert not hasattr(record, "error"), record
    return lines_of_therapy(FunctionContext(record, AS_OF, PatientIndex(record), MATCHERS), {})


def test_start_dated_by_a_year_that_may_join_the_line_is_unknown():
    """Carboplatin begun in 2024 beside docetaxel from 2024-06-10: two lines if begun on
    2024-01-01 or on 2024-12-31, one if begun between 2024-06-10 and 2024-07-08."""
    out = count(med("m-doc", "docetaxel", "2024-06-10"), med("m-carbo", "carboplatin", "2024-01-01", "2024-12-31"))
    assert out.value is None
    assert "1 to 2 line(s)" in out.reason and "m-carbo" in out.reason


def test_start_dated_by_a_year_always_more_than_28_days_before_is_decided():
    """Carboplatin begun in 2023: on every day more than 28 days before docetaxel (2024-06-10)."""
    out = count(med("m-doc", "docetaxel", "2024-06-10"), med("m-carbo", "carboplatin", "2023-01-01", "2023-12-31"))
    assert out.value == 2, out.reason


def test_start_dated_by_a_month_always_within_28_days_is_decided():
    """Carboplatin begun in 2024-06 joins docetaxel begun 2024-06-10 on every day of June."""
    out = count(med("m-doc", "docetaxel", "2024-06-10"), med("m-carbo", "carboplatin", "2024-06-01", "2024-06-30"))
    assert out.value == 1, out.reason


def test_beyond_the_budget_the_count_is_unknown():
    """A start in 2024 (366 days) and another in 2025-03 (31 days): 11,346 readings > 4,096."""
    assert 366 * 31 > READINGS_BUDGET
    out = count(med("m-doc", "docetaxel", "2024-01-01", "2024-12-31"),
                med("m-carbo", "carboplatin", "2025-03-01", "2025-03-31"))
    assert out.value is None
    assert "too uncertain" in out.reason


def test_within_the_budget_the_count_is_given():
    """A start in 2024 (366 days) beside an exact record: 366 readings, all two lines."""
    out = count(med("m-doc", "docetaxel", "2024-01-01", "2024-12-31"), med("m-carbo", "carboplatin", "2025-03-01"))
    assert out.value == 2, out.reason


def test_last_days_read_only_where_they_can_change_the_count_give_every_day_s_count():
    """_every_count reads a last day only at the first day of its range and at the starts and
    starts - 120 days inside it; over random small histories it gives the same counts as
    reading every start day and every last day (the claim that makes it exact)."""
    rnd = random.Random(7)
    SHORT_AS_OF = dt.date(2025, 3, 1)  # (ends not given run to it: kept short to read every day)
    base = dt.date(2024, 1, 1)
    compared = 0
    for _ in range(400):
        meds = []
        for n in range(rnd.randrange(2, 4)):
            start = base + dt.timedelta(days=rnd.randrange(0, 400))
            rec = med(f"m{n}", rnd.choice(list(DRUGS)), start.isoformat(),
                      (start + dt.timedelta(days=rnd.choice([0, 0, 9]))).isoformat())
            shape = rnd.randrange(3)
            if shape == 0:  # finished, its end not given
                rec.update(status="completed", end_unknown=True)
            elif shape == 1:  # ended on a day given to a month
                end = start + dt.timedelta(days=rnd.randrange(0, 300))
                rec.update(status="completed", end_earliest=end.isoformat(),
                           end=(end + dt.timedelta(days=rnd.choice([0, 30]))).isoformat())
            meds.append(rec)
        record = structure_record({"id": "p", "birth_date": "1965-06-01", "sex": "male", "medications": meds}, "t")
        ctx = FunctionContext(record, SHORT_AS_OF, PatientIndex(record), MATCHERS)
        matcher = ctx.valueset("systemic_anticancer_therapy")
        records = [(record_span(m, "medication", SHORT_AS_OF), _drug_key(m, matcher), m) for m in record.medications]
        every: set[int] = set()
        size = 1
        for sp, _, _ in records:
            size *= len(span_days(sp.first_lo, sp.first_hi)) * len(span_days(sp.last_lo, sp.last_hi))
        if size > 20_000:
            continue  # (every day of long ranges is too slow to read here)
        for starts in itertools.product(*(span_days(sp.first_lo, sp.first_hi) for sp, _, _ in records)):
            ends_ways = [span_days(max(s, sp.last_lo), max(s, sp.last_hi)) for s, (sp, _, _) in zip(starts, records, strict=True)]
            for ends in itertools.product(*ends_ways):
                every.add(len(_lines([(s, e, key, m) for s, e, (_, key, m) in zip(starts, ends, records, strict=True)])))
        fast = _every_count(records, SHORT_AS_OF)
        assert fast is None or fast == every, meds
        compared += fast is not None and len(every) > 1
    assert compared >= 20  # histories whose count turns on the days, checked day by day
