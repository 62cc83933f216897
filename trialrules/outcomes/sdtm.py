"""
Read CDISC SDTM domains from a directory into typed, frozen records.

One file per domain, ``<domain>.csv``, ``<domain>.xpt`` (SAS transport, see
:mod:`trialrules.outcomes.xpt`) or ``<domain>.json`` (CDISC Dataset-JSON, see
:mod:`trialrules.outcomes.datasetjson`); column names in any case. Every
domain is optional: a measure that needs a missing domain reports "no data".

Validation on read (nothing is dropped silently): a file that cannot be read,
or lacks a required column, is a file-level :class:`Problem` and its domain
counts as absent; a row whose value cannot be used (a date that is not ISO 8601,
a non-numeric or non-finite number, a grade outside 1–5, a second DM row for
one USUBJID, a row without USUBJID) is a row-level :class:`Problem` naming file,
row (1-based data row), column and value; the row is kept where the rest of it
is usable, with that value missing. Partial dates are imputed as
:mod:`trialrules.outcomes.dates` states and every imputation is recorded as an
:class:`Imputation`.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import attrs

from trialrules.outcomes.datasetjson import ROW_ERROR, read_dataset_json
from trialrules.outcomes.dates import DTC, impute, parse_dtc, parse_duration_hours
from trialrules.outcomes.xpt import read_xpt_members

__all__ = [
    "REQUIRED_COLUMNS",
    "AdverseEvent",
    "ConcomitantTherapy",
    "Concentration",
    "Disposition",
    "Exposure",
    "Imputation",
    "LabResult",
    "Problem",
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
    "cm": ("USUBJID", "CMTRT", "CMSTDTC"),
}
_ONE_OF: dict[str, tuple[str, ...]] = {
    "pc": ("PCDTC", "PCELTM"),
    "lb": ("LBSTRESN", "LBSTRESC"),
}
_YES = {"Y", "YES", "TRUE", "1"}
#: File extensions read, in order of preference when a domain has several.
EXTENSIONS = (".csv", ".xpt", ".json")
#: Echoed values are cut to this many characters in messages.
MAX_ECHO = 80


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


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """A value cut to ``limit`` characters for a message (… marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@attrs.frozen
class Problem:
    """
    A record (or file) that could not be used, as it is named in notes.

    Attributes:
        domain: SDTM domain (``"rs"``).
        file: File name (``"rs.csv"``).
        row: 1-based data row, None for the whole file.
        column: The column at fault ("" when none).
        value: The value as stored (cut for display).
        reason: Why it cannot be used.
        usubjid: Subject of the row, when known.
    """

    domain: str
    file: str
    row: int | None
    column: str
    value: str
    reason: str
    usubjid: str = ""

    def describe(self) -> str:
        """One line: file, row, subject, column=value: reason."""
        where = f"{self.file} row {self.row}" if self.row is not None else self.file
        who = f" ({self.usubjid})" if self.usubjid else ""
        what = f" {self.column}={clip(self.value)!r}" if self.column else ""
        return f"{where}{who}{what}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {"file": self.file, "row": self.row, "usubjid": self.usubjid, "column": self.column,
                "value": clip(self.value), "reason": self.reason}


@attrs.frozen
class Imputation:
    """
    A partial date that was imputed (admiral ``--DTF`` flag ``D`` or ``M``).

    Attributes:
        domain, file, row, usubjid, column: Where the value is.
        text: The partial value as stored.
        date: The date used.
        flag: ``"D"`` day imputed, ``"M"`` month and day imputed.
        rule: The rule applied, in words.
    """

    domain: str
    file: str
    row: int
    usubjid: str
    column: str
    text: str
    date: dt.date
    flag: str
    rule: str

    def describe(self) -> str:
        """One line for notes."""
        return f"{self.file} row {self.row} ({self.usubjid}) {self.column}={self.text!r} → {self.date.isoformat()} ({self.rule})"

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {"file": self.file, "row": self.row, "usubjid": self.usubjid, "column": self.column,
                "text": self.text, "date": self.date.isoformat(), "flag": self.flag, "rule": self.rule}


@attrs.frozen
class Subject:
    """One DM row. ``dth_flag`` is the imputation flag of DTHDTC ("" when complete)."""

    usubjid: str
    arm: str
    actarm: str = ""
    sex: str = ""
    age: float | None = None
    rfstdtc: dt.date | None = None
    rfpendtc: dt.date | None = None
    dthdtc: dt.date | None = None
    dthfl: bool = False
    row: int = 0
    dth_flag: str = ""
    armcd: str = ""


@attrs.frozen
class Exposure:
    """One EX row (a dose administration). ``start_flag``: imputation flag of EXSTDTC."""

    usubjid: str
    start: dt.datetime | None
    end: dt.datetime | None = None
    treatment: str = ""
    dose: float | None = None
    unit: str = ""
    route: str = ""
    row: int = 0
    start_flag: str = ""
    end_flag: str = ""


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
    row: int = 0
    start_flag: str = ""


@attrs.frozen
class Response:
    """One RS row: an overall (or other) response assessment; ``evaluator`` is RSEVAL."""

    usubjid: str
    result: str
    date: dt.date | None
    testcd: str = ""
    category: str = ""
    evaluator: str = ""
    row: int = 0
    date_flag: str = ""


@attrs.frozen
class TumorResult:
    """One TR row (e.g. TRTESTCD = SUMDIAM)."""

    usubjid: str
    testcd: str
    value: float | None
    date: dt.date | None


@attrs.frozen
class Concentration:
    """One PC row. ``value`` is 0 for BLQ; ``eltm_hours`` from PCELTM; ``specimen`` is PCSPEC."""

    usubjid: str
    value: float | None
    testcd: str = ""
    unit: str = ""
    lloq: float | None = None
    blq: bool = False
    tptnum: float | None = None
    eltm_hours: float | None = None
    dtc: dt.datetime | None = None
    specimen: str = ""
    row: int = 0


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
    row: int = 0
    dtc_flag: str = ""


@attrs.frozen
class Disposition:
    """One DS row."""

    usubjid: str
    decod: str
    date: dt.date | None
    term: str = ""
    category: str = ""
    row: int = 0
    date_flag: str = ""


@attrs.frozen
class ConcomitantTherapy:
    """One CM row (used for the start of new anti-cancer therapy)."""

    usubjid: str
    treatment: str
    start: dt.date | None
    category: str = ""
    subcategory: str = ""
    row: int = 0
    start_flag: str = ""


@attrs.frozen
class StudyData:
    """
    The SDTM domains of one study.

    Attributes:
        subjects, exposures, adverse_events, responses, tumor_results,
        concentrations, labs, dispositions, therapies: Records per domain.
        domains: The domains that were read (``{"dm", "ex", ...}``).
        source: Directory read, if any.
        problems: Files and records that could not be used.
        imputations: Partial dates imputed.
        files: Domain → file name read.
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
    therapies: tuple[ConcomitantTherapy, ...] = ()
    problems: tuple[Problem, ...] = ()
    imputations: tuple[Imputation, ...] = ()
    files: Mapping[str, str] = attrs.field(factory=dict)

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

    def last_known_alive(self) -> dict[str, dt.date]:
        """
        USUBJID → latest complete date the subject was known alive.

        admiral's LSTALVDT: the maximum of the complete (not imputed) dates in
        EX, AE, RS, TR, LB, PC, CM, DS (except death records) and DM RFPENDTC.
        """
        out: dict[str, dt.date] = {}

        def bump(u: str, d: dt.date | dt.datetime | None, flag: str = "") -> None:
            if d is None or flag:
                return
            day = d.date() if isinstance(d, dt.datetime) else d
            if u not in out or day > out[u]:
                out[u] = day

        for e in self.exposures:
            bump(e.usubjid, e.start, e.start_flag)
            bump(e.usubjid, e.end, e.end_flag)
        for a in self.adverse_events:
            bump(a.usubjid, a.start, a.start_flag)
        for r in self.responses:
            bump(r.usubjid, r.date, r.date_flag)
        for t in self.tumor_results:
            bump(t.usubjid, t.date)
        for lb in self.labs:
            bump(lb.usubjid, lb.dtc, lb.dtc_flag)
        for c in self.concentrations:
            bump(c.usubjid, c.dtc)
        for cm in self.therapies:
            bump(cm.usubjid, cm.start, cm.start_flag)
        for ds in self.dispositions:
            if ds.decod not in DEATH_CODES:
                bump(ds.usubjid, ds.date, ds.date_flag)
        for s in self.subjects:
            bump(s.usubjid, s.rfpendtc)
        return out

    def problems_in(self, domains: Iterable[str]) -> list[Problem]:
        """The problems of the given domains, in file and row order."""
        wanted = set(domains)
        return [p for p in self.problems if p.domain in wanted]

    def imputations_in(self, domains: Iterable[str]) -> list[Imputation]:
        """The imputations of the given domains."""
        wanted = set(domains)
        return [i for i in self.imputations if i.domain in wanted]


#: DS/DM decodes that record a death.
DEATH_CODES = frozenset({"DEATH", "DIED"})


# --------------------------------------------------------------------------
# reading files


def _read_rows(path: Path, domain: str) -> tuple[list[str], list[dict[str, str]]]:
    """Rows of a CSV, XPT or Dataset-JSON file with upper-case keys and string values."""
    suffix = path.suffix.lower()
    if suffix == ".xpt":
        members = read_xpt_members(path)
        member = next((m for m in members if m.name.upper() == domain.upper()), members[0])
        rows = [{k.upper(): _num_text(v) for k, v in r.items()} for r in member.rows]
        return [c.upper() for c in member.columns], rows
    if suffix == ".json":
        cols, raw = read_dataset_json(path)
        rows = [{(k if k == ROW_ERROR else k.upper()): _num_text(v) for k, v in r.items()} for r in raw]
        return [c.upper() for c in cols], rows
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip().upper() for c in reader.fieldnames or []]
        rows = []
        for r in reader:
            extra = r.get(None)  # type: ignore[call-overload]
            row = {(k or "").strip().upper(): (v or "").strip() for k, v in r.items() if k is not None}
            if extra:
                row[ROW_ERROR] = "more fields than the header has columns: " + clip(",".join(str(x) for x in extra))
            rows.append(row)
    return cols, rows


def _num_text(v: str | float | int | None) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return repr(v)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return v


def _missing_columns(domain: str, cols: list[str]) -> list[str]:
    missing = [c for c in REQUIRED_COLUMNS[domain] if c not in cols]
    alternatives = _ONE_OF.get(domain)
    if alternatives and not any(a in cols for a in alternatives):
        missing.append(" or ".join(alternatives))
    return missing


def _find(directory: Path, domain: str) -> Path | None:
    by_lower: dict[str, Path] = {}
    for p in directory.iterdir():
        try:
            if p.is_file():
                by_lower.setdefault(p.name.lower(), p)
        except OSError:
            continue
    for ext in EXTENSIONS:
        if f"{domain}{ext}" in by_lower:
            return by_lower[f"{domain}{ext}"]
    return None


class _Rows:
    """Typed access to one domain's rows, recording every unusable value."""

    def __init__(self, domain: str, file: str, problems: list[Problem], imputations: list[Imputation]) -> None:
        self.domain = domain
        self.file = file
        self.problems = problems
        self.imputations = imputations

    def problem(self, row: int, r: Mapping[str, str], column: str, reason: str) -> None:
        self.problems.append(
            Problem(self.domain, self.file, row, column, r.get(column, ""), reason, r.get("USUBJID", ""))
        )

    def number(self, row: int, r: Mapping[str, str], column: str) -> float | None:
        text = r.get(column, "").strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self.problem(row, r, column, "not a number")
            return None
        if not math.isfinite(value):
            self.problem(row, r, column, "not a finite number")
            return None
        return value

    def dtc(
        self,
        row: int,
        r: Mapping[str, str],
        column: str,
        rule: Literal["first", "last"] = "first",
        min_date: dt.date | None = None,
        required: bool = False,
        allow_partial: bool = True,
    ) -> tuple[dt.datetime | None, str]:
        value = parse_dtc(r.get(column))
        if value is None:
            if required:
                self.problem(row, r, column, "date missing")
            return None, ""
        if value is False:
            self.problem(row, r, column, "not an ISO 8601 date")
            return None, ""
        if not value.complete and not allow_partial:
            self.problem(row, r, column, "partial date where a complete date/time is needed")
            return None, ""
        when, flag = impute(value, rule, min_date)
        if flag:
            self.imputations.append(
                Imputation(self.domain, self.file, row, r.get("USUBJID", ""), column, value.text, when.date(),
                           flag, _rule_text(value, rule, min_date, when.date()))
            )
        return when, flag


def _rule_text(value: DTC, rule: str, min_date: dt.date | None, used: dt.date) -> str:
    missing = "month and day" if value.month is None else "day"
    if rule == "first" and min_date is not None and used == min_date and used != value.first_date():
        return f"{missing} missing: imputed to {min_date.isoformat()}, not before the reference date in its range"
    return f"{missing} missing: {'first' if rule == 'first' else 'last'} day of the {'year' if value.month is None else 'month'}"


def _grade(rows: _Rows, row: int, r: Mapping[str, str]) -> int | None:
    text = r.get("AETOXGR", "").strip()
    if not text:
        return None
    cleaned = text.upper().replace("GRADE", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        rows.problem(row, r, "AETOXGR", "not a CTCAE grade (1-5)")
        return None
    if not math.isfinite(value) or not value.is_integer() or not 1 <= value <= 5:
        rows.problem(row, r, "AETOXGR", "not a CTCAE grade (1-5)")
        return None
    return int(value)


def _blq(row: Mapping[str, str], value: float | None, lloq: float | None) -> bool:
    text = row.get("PCSTRESC", "").upper()
    orres = row.get("PCORRES", "").upper()
    if any(t.startswith("<") or "BLQ" in t or "LLOQ" in t for t in (text, orres) if t):
        return True
    return value is not None and lloq is not None and value < lloq


def _load(directory: Path, problems: list[Problem]) -> tuple[dict[str, list[dict[str, str]]], dict[str, str]]:
    tables: dict[str, list[dict[str, str]]] = {}
    files: dict[str, str] = {}
    for domain in REQUIRED_COLUMNS:
        path = _find(directory, domain)
        if path is None:
            continue
        try:
            cols, rows = _read_rows(path, domain)
        except (OSError, ValueError, csv.Error, struct.error, IndexError, OverflowError, RecursionError) as exc:
            problems.append(Problem(domain, path.name, None, "", "", f"cannot read: {clip(str(exc), 200)}"))
            continue
        missing = _missing_columns(domain, cols)
        if missing:
            problems.append(
                Problem(domain, path.name, None, "", "", f"missing required column(s) {', '.join(missing)}")
            )
            continue
        tables[domain] = rows
        files[domain] = path.name
    return tables, files


def _with_subject(rows: _Rows, table: list[dict[str, str]]) -> Iterable[tuple[int, dict[str, str]]]:
    """(row number, row) for rows that name a subject; the others are problems."""
    for i, r in enumerate(table, start=1):
        if ROW_ERROR in r:
            rows.problems.append(Problem(rows.domain, rows.file, i, "", "", r[ROW_ERROR] + ": row not used",
                                         r.get("USUBJID", "")))
            continue
        if not r.get("USUBJID", "").strip():
            rows.problem(i, r, "USUBJID", "no USUBJID: row not used")
            continue
        yield i, r


def read_study(directory: Path | str) -> StudyData:
    """
    Read every SDTM domain present in a directory.

    Args:
        directory: Folder with ``dm``, ``ex``, ``ae``, ``rs``, ``tr``, ``pc``,
            ``lb``, ``ds``, ``cm`` as ``.csv``, ``.xpt`` or ``.json`` (any subset).

    Returns:
        The :class:`StudyData`; files and records that cannot be used are in
        its ``problems`` (an unreadable file's domain is not in ``domains``).

    Raises:
        SDTMError: If the directory does not exist.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SDTMError(f"{directory}: not a directory", directory)
    problems: list[Problem] = []
    imputations: list[Imputation] = []
    tables, files = _load(directory, problems)

    def reader(domain: str) -> tuple[_Rows, list[dict[str, str]]]:
        return _Rows(domain, files.get(domain, f"{domain}.csv"), problems, imputations), tables.get(domain, [])

    dm_rows, dm = reader("dm")
    subjects: list[Subject] = []
    seen: dict[str, int] = {}
    for i, r in _with_subject(dm_rows, dm):
        u = r["USUBJID"]
        if u in seen:
            dm_rows.problem(i, r, "USUBJID", f"second DM row for this subject (row {seen[u]} used)")
            continue
        seen[u] = i
        rfst, _ = dm_rows.dtc(i, r, "RFSTDTC") if "RFSTDTC" in r else (None, "")
        rfpend, _ = dm_rows.dtc(i, r, "RFPENDTC", "last") if "RFPENDTC" in r else (None, "")
        if not r.get("ARM", "").strip():
            dm_rows.problem(i, r, "ARM", "ARM missing: subject counted in 'all' only")
        subjects.append(
            Subject(
                usubjid=u, arm=r.get("ARM", ""), actarm=r.get("ACTARM", ""), sex=r.get("SEX", ""),
                age=dm_rows.number(i, r, "AGE"), rfstdtc=rfst.date() if rfst else None,
                rfpendtc=rfpend.date() if rfpend else None, dthfl=r.get("DTHFL", "").upper() in _YES,
                row=i, armcd=r.get("ARMCD", ""),
            )
        )

    ex_rows, ex = reader("ex")
    exposures = []
    for i, r in _with_subject(ex_rows, ex):
        start, sflag = ex_rows.dtc(i, r, "EXSTDTC", required=True)
        end, eflag = ex_rows.dtc(i, r, "EXENDTC", "last")
        exposures.append(
            Exposure(
                usubjid=r["USUBJID"], start=start, end=end, treatment=r.get("EXTRT", ""),
                dose=ex_rows.number(i, r, "EXDOSE"), unit=r.get("EXDOSU", ""), route=r.get("EXROUTE", "").upper(),
                row=i, start_flag=sflag, end_flag=eflag,
            )
        )
    first: dict[str, dt.date] = {}
    for e in exposures:
        if e.start is not None and (e.usubjid not in first or e.start.date() < first[e.usubjid]):
            first[e.usubjid] = e.start.date()

    ae_rows, ae = reader("ae")
    adverse_events = []
    for i, r in _with_subject(ae_rows, ae):
        start, sflag = ae_rows.dtc(i, r, "AESTDTC", min_date=first.get(r["USUBJID"]))
        end, _ = ae_rows.dtc(i, r, "AEENDTC", "last")
        adverse_events.append(
            AdverseEvent(
                usubjid=r["USUBJID"], term=r.get("AETERM", ""), decod=r.get("AEDECOD", "") or r.get("AETERM", ""),
                bodsys=r.get("AEBODSYS", ""), start=start.date() if start else None,
                end=end.date() if end else None, grade=_grade(ae_rows, i, r),
                serious=r.get("AESER", "").upper() in _YES, related=r.get("AEREL", "").upper(),
                dlt=(r["AEDLT"].upper() in _YES) if "AEDLT" in r else None, row=i, start_flag=sflag,
            )
        )

    rs_rows, rs = reader("rs")
    responses = []
    for i, r in _with_subject(rs_rows, rs):
        when, flag = rs_rows.dtc(i, r, "RSDTC", required=True)
        if not r.get("RSSTRESC", "").strip():
            rs_rows.problem(i, r, "RSSTRESC", "no result")
        responses.append(
            Response(
                usubjid=r["USUBJID"], result=r.get("RSSTRESC", "").upper(), date=when.date() if when else None,
                testcd=r.get("RSTESTCD", "").upper(), category=r.get("RSCAT", ""),
                evaluator=r.get("RSEVAL", "").strip().upper(), row=i, date_flag=flag,
            )
        )

    # the same assessment twice with different results cannot both be true: name the conflict
    first_seen: dict[tuple[str, str, str, dt.date], Response] = {}
    for resp in responses:
        if resp.date is None:
            continue
        key = (resp.usubjid, resp.testcd, resp.evaluator, resp.date)
        earlier = first_seen.setdefault(key, resp)
        if earlier is not resp and earlier.result != resp.result:
            rs_rows.problem(resp.row, rs[resp.row - 1], "RSSTRESC",
                            f"conflicts with row {earlier.row} ({earlier.result}) for the same subject, test, "
                            "evaluator and date; both kept, the worse one taken first")

    tr_rows, tr = reader("tr")
    tumor_results = []
    for i, r in _with_subject(tr_rows, tr):
        when, _ = tr_rows.dtc(i, r, "TRDTC", required=True, allow_partial=False)
        tumor_results.append(
            TumorResult(r["USUBJID"], r.get("TRTESTCD", "").upper(), tr_rows.number(i, r, "TRSTRESN"),
                        when.date() if when else None)
        )

    pc_rows, pc = reader("pc")
    concentrations = []
    for i, r in _with_subject(pc_rows, pc):
        value = pc_rows.number(i, r, "PCSTRESN")
        lloq = pc_rows.number(i, r, "PCLLOQ")
        blq = _blq(r, value, lloq)
        if value is None and not blq and not r.get("PCSTRESN", "").strip():
            pc_rows.problem(i, r, "PCSTRESN", "no result (not marked BLQ): sample not used")
        eltm = parse_duration_hours(r.get("PCELTM"))
        if r.get("PCELTM", "").strip() and eltm is None:
            pc_rows.problem(i, r, "PCELTM", "not an ISO 8601 duration")
        dtc, _ = pc_rows.dtc(i, r, "PCDTC", allow_partial=False) if r.get("PCDTC", "").strip() else (None, "")
        if dtc is None and eltm is None:
            pc_rows.problem(i, r, "PCDTC", "no usable sampling time (PCDTC or PCELTM): sample not used")
        concentrations.append(
            Concentration(
                usubjid=r["USUBJID"], value=0.0 if blq else value, testcd=r.get("PCTESTCD", ""),
                unit=r.get("PCSTRESU", ""), lloq=lloq, blq=blq, tptnum=pc_rows.number(i, r, "PCTPTNUM"),
                eltm_hours=eltm, dtc=dtc, specimen=r.get("PCSPEC", "").strip().upper(), row=i,
            )
        )

    lb_rows, lb = reader("lb")
    labs = []
    for i, r in _with_subject(lb_rows, lb):
        when, flag = lb_rows.dtc(i, r, "LBDTC", required=True)
        labs.append(
            LabResult(
                usubjid=r["USUBJID"], testcd=r.get("LBTESTCD", "").upper(), value=lb_rows.number(i, r, "LBSTRESN"),
                text=r.get("LBSTRESC", ""), unit=r.get("LBSTRESU", ""), dtc=when, test=r.get("LBTEST", ""),
                category=r.get("LBCAT", ""), visit=r.get("VISIT", ""), visitnum=lb_rows.number(i, r, "VISITNUM"),
                baseline_flag=r.get("LBBLFL", "").upper() in _YES, row=i, dtc_flag=flag,
            )
        )

    cm_rows, cm = reader("cm")
    therapies = []
    for i, r in _with_subject(cm_rows, cm):
        when, flag = cm_rows.dtc(i, r, "CMSTDTC", required=True)
        therapies.append(
            ConcomitantTherapy(
                usubjid=r["USUBJID"], treatment=r.get("CMTRT", ""), start=when.date() if when else None,
                category=r.get("CMCAT", "").upper(), subcategory=r.get("CMSCAT", "").upper(), row=i, start_flag=flag,
            )
        )

    ds_rows, ds = reader("ds")
    dispositions = []
    death_dtc: dict[tuple[str, int], DTC] = {}
    for i, r in _with_subject(ds_rows, ds):
        decod = r.get("DSDECOD", "").upper()
        if decod in DEATH_CODES:
            parsed = parse_dtc(r.get("DSSTDTC"))
            if isinstance(parsed, DTC):
                death_dtc[("ds", i)] = parsed
                dispositions.append(Disposition(r["USUBJID"], decod, None, r.get("DSTERM", ""), r.get("DSCAT", ""), i))
                continue
        when, flag = ds_rows.dtc(i, r, "DSSTDTC", required=True)
        dispositions.append(
            Disposition(
                usubjid=r["USUBJID"], decod=decod, date=when.date() if when else None,
                term=r.get("DSTERM", ""), category=r.get("DSCAT", ""), row=i, date_flag=flag,
            )
        )
    for s in subjects:
        parsed = parse_dtc(dm[s.row - 1].get("DTHDTC"))
        if parsed is False:
            dm_rows.problem(s.row, dm[s.row - 1], "DTHDTC", "not an ISO 8601 date")
        elif parsed is not None:
            death_dtc[("dm", s.row)] = parsed

    if "dm" in tables:
        # DM is every subject's parent record: a subject found elsewhere without one is named (once)
        known = {s.usubjid for s in subjects}
        orphans: dict[str, tuple[str, str, int]] = {}
        for domain in REQUIRED_COLUMNS:
            if domain == "dm":
                continue
            for i, r in enumerate(tables.get(domain, []), start=1):
                u = r.get("USUBJID", "").strip()
                if u and u not in known and u not in orphans:
                    orphans[u] = (domain, files[domain], i)
        for u, (domain, file, i) in orphans.items():
            problems.append(Problem(domain, file, i, "USUBJID", u, "no DM row for this subject", u))
    study = StudyData(
        subjects=tuple(subjects), exposures=tuple(exposures), adverse_events=tuple(adverse_events),
        responses=tuple(responses), tumor_results=tuple(tumor_results), concentrations=tuple(concentrations),
        labs=tuple(labs), dispositions=tuple(dispositions), domains=frozenset(tables), source=directory,
        therapies=tuple(therapies), files=dict(files),
    )
    # Death dates last: a partial one is imputed not before the last date known alive.
    alive = study.last_known_alive()

    def death(domain: str, row: int, table: list[dict[str, str]], column: str) -> tuple[dt.date, str]:
        r = table[row - 1]
        lka = alive.get(r["USUBJID"])
        rows = dm_rows if domain == "dm" else ds_rows
        when, flag = rows.dtc(row, r, column, "first", lka)
        assert when is not None
        day = when.date()
        if lka is not None and day < lka:
            rows.problem(row, r, column, f"death date before the last date known alive ({lka.isoformat()}); "
                         "the last date known alive is used")
            day = lka
        return day, flag

    subjects = [
        attrs.evolve(s, dthdtc=d, dth_flag=f) if ("dm", s.row) in death_dtc else s
        for s in subjects
        for d, f in [death("dm", s.row, dm, "DTHDTC") if ("dm", s.row) in death_dtc else (None, "")]
    ]
    dispositions = [
        attrs.evolve(d, date=day, date_flag=f) if ("ds", d.row) in death_dtc and d.date is None else d
        for d in dispositions
        for day, f in [death("ds", d.row, ds, "DSSTDTC") if ("ds", d.row) in death_dtc and d.date is None
                       else (None, "")]
    ]
    return attrs.evolve(
        study, subjects=tuple(subjects), dispositions=tuple(dispositions),
        problems=tuple(problems), imputations=tuple(imputations),
    )
