"""FHIR date, dateTime and instant parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from trialrules.inputs.fhir import dates


@pytest.mark.parametrize(
    ("text", "first", "last", "precision"),
    [
        ("2026-01-10", dt.date(2026, 1, 10), dt.date(2026, 1, 10), dates.DAY),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), dates.MONTH),
        ("2023-02", dt.date(2023, 2, 1), dt.date(2023, 2, 28), dates.MONTH),
        ("2019", dt.date(2019, 1, 1), dt.date(2019, 12, 31), dates.YEAR),
        ("2026-01-10T23:30:00Z", dt.date(2026, 1, 10), dt.date(2026, 1, 10), dates.DAY),
        ("2026-01-10T23:30:00.123+14:00", dt.date(2026, 1, 10), dt.date(2026, 1, 10), dates.DAY),
        ("2026-01-10T23:30:00-05:00", dt.date(2026, 1, 10), dt.date(2026, 1, 10), dates.DAY),
        # lenient: a time without a zone keeps its date
        ("2026-01-10T08:00:00", dt.date(2026, 1, 10), dt.date(2026, 1, 10), dates.DAY),
    ],
)
def test_valid(text: str, first: dt.date, last: dt.date, precision: int) -> None:
    parsed = dates.parse(text)
    assert parsed == dates.FhirDate(first, last, precision)


@pytest.mark.parametrize(
    "text",
    ["2026-13-01", "2026-02-30", "0000-01-01", "26-01-10", "2026/01/10", "10.01.2026", "",
     "2026-01-10T25:00:00Z", "2026-01-10T08:00", "2026-01-10 08:00:00", "yesterday", "2026-1-5"],
)
def test_invalid(text: str) -> None:
    assert isinstance(dates.parse(text), str)


def test_date_kind_refuses_a_time() -> None:
    assert isinstance(dates.parse("1970-05-01T00:00:00Z", "date"), str)
    assert dates.parse("1970-05-01", "date") == dates.FhirDate(
        dt.date(1970, 5, 1), dt.date(1970, 5, 1), dates.DAY)


@pytest.mark.parametrize("value", [None, 20260110, 2026.0, ["2026"], {"date": "2026"}, True])
def test_not_a_string(value: object) -> None:
    assert "not a FHIR" in str(dates.parse(value))
