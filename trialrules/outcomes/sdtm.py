"""
Read CDISC SDTM domains from a directory into typed, frozen records.

One file per domain, ``<domain>.csv`` or ``<domain>.xpt`` (SAS transport v5,
see :mod:`trialrules.outcomes.xpt`); column names in any case. Every domain is
optional: a measure that needs a missing domain reports "no data". A present
domain must carry its required columns, else :class:`SDTMError` names the
file and the missing columns.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from trialrules.outcomes.dates import parse_date, parse_datetime, parse_duration_hours
from trialrules.outcomes.xpt import read_xpt

__all__ = [
    "REQUIRED_COLUMNS",
    "AdverseEvent",
    "Concentration",
    "Disposition",
    "Exposure",
    "LabResult",
    "Response",
    "SDTMError",
    "StudyData",
    "Subject",
    "TumorResult",
    "read_study",
]

#: Columns a domain file must have (SDTM IG 3.x names). PC also needs PCDTC
#: or PCELTM, and LB needs LBSTRESN or LBSTRESC (checked separately).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "dm": ("USUBJID", "ARM"),
    "ex": ("USUBJID", "EXSTDTC"),
    "ae": ("USUBJID", "AETERM", "AESTDTC"),
    "rs": ("USUBJID", "RSSTRESC", "RSDTC"),
    "tr": ("USUBJID", "TRTESTCD", "TRSTRESN", "TRDTC"),
    "pc": ("USUBJID", "PCSTRESN"),
    "lb": ("USUBJID", "LBTESTCD", "LBDTC"),
    "ds": ("USUBJID", "DSDECOD", "DSSTDTC"),
}
_ONE_OF: dict[str, tuple[str, ...]] = {
    "pc": ("PCDTC", "PCELTM"),
    "lb": ("LBSTRESN", "LBSTRESC"),
}
_YES = {"Y", "YES", "TRUE", "1"}


class SDTMError(Exception):
    """
    A domain file is unreadable or lacks required columns.

    Attributes:
        file: The offending file.
        columns: The missing column names (empty for other problems).
    """

    def __init__(self, message: str, file: Path, columns: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.file = file
        self.columns = tuple(columns)


@attrs.frozen
class Subject:
    """One DM row."""

    usubjid: str
    arm: str
    actarm: str = ""
    sex: str = ""
    age: float | None = None
    rfstdtc: dt.date | None = None
    rfpendtc: dt.date | None = None
    dthdtc: dt.date | None = None
    dthfl: bool = False


@attrs.frozen
class Exposure:
    """One EX row (a dose administration)."""

    usubjid: str
    start: dt.datetime | None
    end: dt.datetime | None = None
    treatment: str = ""
    dose: float | None = None
    unit: str = ""


@attrs.frozen
class AdverseEvent:
    """One AE row. ``grade`` is AETOXGR as int; ``dlt`` is AEDLT or None if absent."""

    usubjid: str
    term: str
    decod: str = ""
    bodsys: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    grade: int | None = None
    serious: bool = False
    related: str = ""
    dlt: bool | None = None


@attrs.frozen
class Response:
    """One RS row: an overall (or other) response assessment."""

    usubjid: str
    result: str
    date: dt.date | None
    testcd: str = ""
    category: str = ""


@attrs.frozen
class TumorResult:
    """One TR row (e.g. TRTESTCD = SUMDIAM)."""

    usubjid: str
    testcd: str
    value: float | None
    date: dt.date | None


@attrs.frozen
class Concentration:
    """One PC row. ``value`` is 0 for BLQ; ``eltm_hours`` from PCELTM."""

    usubjid: str
    value: float | None
    testcd: str = ""
    unit: str = ""
    lloq: float | None = None
    blq: bool = False
    tptnum: float | None = None
    eltm_hours: float | None = None
    dtc: dt.datetime | None = None


@attrs.frozen
class LabResult:
    """One LB row."""

    usubjid: str
    testcd: str
    value: float | None
    text: str = ""
    unit: str = ""
    dtc: dt.datetime | None = None
    test: str = ""
    category: str = ""
    visit: str = ""
    visitnum: float | None = None
    baseline_flag: bool = False


@attrs.frozen
class Disposition:
    """One DS row."""

    usubjid: str
    decod: str
    date: dt.date | None
    term: str = ""
    category: str = ""


@attrs.frozen
class StudyData:
    """
    The SDTM domains of one study.

    Attributes:
        subjects, exposures, adverse_events, responses, tumor_results,
        concentrations, labs, dispositions: Records per domain.
        domains: The domains that were present (``{"dm", "ex", ...}``).
        source: Directory read, if any.
    """

    subjects: tuple[Subject, ...] = ()
    exposures: tuple[Exposure, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    responses: tuple[Response, ...] = ()
    tumor_results: tuple[TumorResult, ...] = ()
    concentrations: tuple[Concentration, ...] = ()
    labs: tuple[LabResult, ...] = ()
    dispositions: tuple[Disposition, ...] = ()
    domains: frozenset[str] = frozenset()
    source: Path | None = None

    def arms(self) -> list[str]:
        """Distinct DM ARM values in order of first appearance."""
        seen: dict[str, None] = {}
        for s in self.subjects:
            seen.setdefault(s.arm, None)
        return list(seen)

    def arm_of(self) -> dict[str, str]:
        """USUBJID → ARM."""
        return {s.usubjid: s.arm for s in self.subjects}

    def first_dose(self) -> dict[str, dt.datetime]:
        """USUBJID → earliest EXSTDTC (the time-zero of every derivation)."""
        out: dict[str, dt.datetime] = {}
        for e in self.exposures:
            if e.start is not None and (e.usubjid not in out or e.start < out[e.usubjid]):
                out[e.usubjid] = e.start
        return out

    def last_dose(self) -> dict[str, dt.datetime]:
        """USUBJID → latest EXENDTC, else EXSTDTC."""
        out: dict[str, dt.datetime] = {}
        for e in self.exposures:
            when = e.end or e.start
            if when is not None and (e.usubjid not in out or when > out[e.usubjid]):
                out[e.usubjid] = when
        return out

    def treated(self) -> list[str]:
        """Subjects with at least one dose, in DM order (then EX order)."""
        dosed = self.first_dose()
        ordered = [s.usubjid for s in self.subjects if s.usubjid in dosed]
        ordered += [u for u in dosed if u not in set(ordered)]
        return ordered


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Rows of a CSV or XPT file with upper-case keys and string values."""
    if path.suffix.lower() == ".xpt":
        cols, raw = read_xpt(path)
        rows = [{k.upper(): _num_text(v) for k, v in r.items()} for r in raw]
        return [c.upper() for c in cols], rows
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip().upper() for c in reader.fieldnames or []]
        rows = [
            {(k or "").strip().upper(): (v or "").strip() for k, v in r.items() if k is not None}
            for r in reader
        ]
    return cols, rows


def _num_text(v: str | float | None) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return v


def _float(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


def _check(domain: str, path: Path, cols: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS[domain] if c not in cols]
    alternatives = _ONE_OF.get(domain)
    if alternatives and not any(a in cols for a in alternatives):
        missing.append(" or ".join(alternatives))
    if missing:
        raise SDTMError(
            f"{path.name}: missing required column(s) {', '.join(missing)}",
            path,
            missing,
        )


def _find(directory: Path, domain: str) -> Path | None:
    by_lower = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    for ext in (".csv", ".xpt"):
        if f"{domain}{ext}" in by_lower:
            return by_lower[f"{domain}{ext}"]
    return None


def _grade(text: str) -> int | None:
    value = _float(text.upper().replace("GRADE", "").strip())
    return int(value) if value is not None else None


def _blq(row: Mapping[str, str], value: float | None, lloq: float | None) -> bool:
    text = row.get("PCSTRESC", "").upper()
    orres = row.get("PCORRES", "").upper()
    if any(t.startswith("<") or "BLQ" in t or "LLOQ" in t for t in (text, orres) if t):
        return True
    return value is not None and lloq is not None and value < lloq


def read_study(directory: Path | str) -> StudyData:
    """
    Read every SDTM domain present in a directory.

    Args:
        directory: Folder with ``dm.csv``/``dm.xpt``, ``ex``, ``ae``, ``rs``,
            ``tr``, ``pc``, ``lb``, ``ds`` (any subset).

    Returns:
        The :class:`StudyData`.

    Raises:
        SDTMError: If the directory does not exist or a file lacks required
            columns (``.file`` and ``.columns`` say which).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SDTMError(f"{directory}: not a directory", directory)
    tables: dict[str, list[dict[str, str]]] = {}
    for domain in REQUIRED_COLUMNS:
        path = _find(directory, domain)
        if path is None:
            continue
        try:
            cols, rows = _read_rows(path)
        except (OSError, ValueError, csv.Error) as exc:
            raise SDTMError(f"{path.name}: cannot read: {exc}", path) from exc
        _check(domain, path, cols)
        tables[domain] = rows

    def get(domain: str) -> list[dict[str, str]]:
        return tables.get(domain, [])

    subjects = tuple(
        Subject(
            usubjid=r["USUBJID"],
            arm=r["ARM"],
            actarm=r.get("ACTARM", ""),
            sex=r.get("SEX", ""),
            age=_float(r.get("AGE", "")),
            rfstdtc=parse_date(r.get("RFSTDTC")),
            rfpendtc=parse_date(r.get("RFPENDTC")),
            dthdtc=parse_date(r.get("DTHDTC")),
            dthfl=r.get("DTHFL", "").upper() in _YES,
        )
        for r in get("dm")
    )
    exposures = tuple(
        Exposure(
            usubjid=r["USUBJID"],
            start=parse_datetime(r["EXSTDTC"]),
            end=parse_datetime(r.get("EXENDTC")),
            treatment=r.get("EXTRT", ""),
            dose=_float(r.get("EXDOSE", "")),
            unit=r.get("EXDOSU", ""),
        )
        for r in get("ex")
    )
    adverse_events = tuple(
        AdverseEvent(
            usubjid=r["USUBJID"],
            term=r["AETERM"],
            decod=r.get("AEDECOD", "") or r["AETERM"],
            bodsys=r.get("AEBODSYS", ""),
            start=parse_date(r.get("AESTDTC")),
            end=parse_date(r.get("AEENDTC")),
            grade=_grade(r.get("AETOXGR", "")),
            serious=r.get("AESER", "").upper() in _YES,
            related=r.get("AEREL", "").upper(),
            dlt=(r["AEDLT"].upper() in _YES) if "AEDLT" in r else None,
        )
        for r in get("ae")
    )
    responses = tuple(
        Response(
            usubjid=r["USUBJID"],
            result=r["RSSTRESC"].upper(),
            date=parse_date(r["RSDTC"]),
            testcd=r.get("RSTESTCD", "").upper(),
            category=r.get("RSCAT", ""),
        )
        for r in get("rs")
    )
    tumor_results = tuple(
        TumorResult(r["USUBJID"], r["TRTESTCD"].upper(), _float(r["TRSTRESN"]), parse_date(r["TRDTC"]))
        for r in get("tr")
    )
    concentrations = []
    for r in get("pc"):
        value = _float(r["PCSTRESN"])
        lloq = _float(r.get("PCLLOQ", ""))
        blq = _blq(r, value, lloq)
        concentrations.append(
            Concentration(
                usubjid=r["USUBJID"],
                value=0.0 if blq else value,
                testcd=r.get("PCTESTCD", ""),
                unit=r.get("PCSTRESU", ""),
                lloq=lloq,
                blq=blq,
                tptnum=_float(r.get("PCTPTNUM", "")),
                eltm_hours=parse_duration_hours(r.get("PCELTM")),
                dtc=parse_datetime(r.get("PCDTC")),
            )
        )
    labs = tuple(
        LabResult(
            usubjid=r["USUBJID"],
            testcd=r["LBTESTCD"].upper(),
            value=_float(r.get("LBSTRESN", "")),
            text=r.get("LBSTRESC", ""),
            unit=r.get("LBSTRESU", ""),
            dtc=parse_datetime(r["LBDTC"]),
            test=r.get("LBTEST", ""),
            category=r.get("LBCAT", ""),
            visit=r.get("VISIT", ""),
            visitnum=_float(r.get("VISITNUM", "")),
            baseline_flag=r.get("LBBLFL", "").upper() in _YES,
        )
        for r in get("lb")
    )
    dispositions = tuple(
        Disposition(
            usubjid=r["USUBJID"],
            decod=r["DSDECOD"].upper(),
            date=parse_date(r["DSSTDTC"]),
            term=r.get("DSTERM", ""),
            category=r.get("DSCAT", ""),
        )
        for r in get("ds")
    )
    return StudyData(
        subjects=subjects,
        exposures=exposures,
        adverse_events=adverse_events,
        responses=responses,
        tumor_results=tumor_results,
        concentrations=tuple(concentrations),
        labs=labs,
        dispositions=dispositions,
        domains=frozenset(tables),
        source=directory,
    )
