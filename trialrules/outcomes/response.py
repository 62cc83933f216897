"""
Best overall response: RECIST 1.1 with confirmation, AML and INRC response sets.

RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228–247, §4.4, Table 3),
implemented with the rule set of admiralonco ``derive_param_confirmed_bor`` /
``R/response_sources.R`` (notes/outcome-conventions.md §3):

- assessments from first dose up to and including the first PD;
- confirmed CR: a CR followed by a CR ≥ 28 days later, only CR/NE between,
  at most one NE;
- confirmed PR: a PR followed by a CR/PR ≥ 28 days later, only CR/PR/NE
  between (one SD too if ``accept_sd``), at most one NE, no PR after a CR;
- SD: a CR/PR/SD assessment ≥ 42 days after first dose; earlier ones are NE;
- rank CR > PR > SD > NON-CR/NON-PD > PD > NE > ND > MISSING, ties to the
  earliest date.

Where RECIST's two-visit table says "else PD" for an unconfirmed response
followed by SD (disease reappearing after CR), admiralonco keeps the
investigator's response and returns NE; we follow admiralonco.

AML (ELN) and INRC (neuroblastoma) responses use :func:`best_response` with
their own rankings and no confirmation unless ``confirm_days`` is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

import attrs

__all__ = [
    "AML_RANKING",
    "AML_RESPONDERS",
    "INRC_RANKING",
    "INRC_RESPONDERS",
    "RECIST_RANKING",
    "Assessment",
    "BestResponse",
    "best_response",
    "recist_bor",
]

RECIST_RANKING = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "ND", "MISSING")
#: ELN 2017/2022 categories, best first; "NR" = no response / resistant disease.
AML_RANKING = ("CR", "CRI", "CRH", "MLFS", "PR", "SD", "NR", "RELAPSE", "PD", "NE", "ND", "MISSING")
AML_RESPONDERS = frozenset({"CR", "CRI", "PR"})
#: INRC 2017 (Park et al., J Clin Oncol 2017): CR, PR, MR, SD, PD.
INRC_RANKING = ("CR", "PR", "MR", "SD", "PD", "NE", "ND", "MISSING")
INRC_RESPONDERS = frozenset({"CR", "PR"})

_ALIASES = {
    "COMPLETE RESPONSE": "CR",
    "PARTIAL RESPONSE": "PR",
    "STABLE DISEASE": "SD",
    "PROGRESSIVE DISEASE": "PD",
    "NOT EVALUABLE": "NE",
    "NON-CR/NON-PD": "NON-CR/NON-PD",
    "NON CR/NON PD": "NON-CR/NON-PD",
    "MINOR RESPONSE": "MR",
    "NO RESPONSE": "NR",
}


def normalise(result: str) -> str:
    """Upper-case a response and map common long forms to their codes."""
    text = result.strip().upper()
    return _ALIASES.get(text, text)


@attrs.frozen(order=True)
class Assessment:
    """One overall response assessment (date first, so lists sort by date)."""

    date: dt.date
    result: str = attrs.field(converter=normalise)


@attrs.frozen
class BestResponse:
    """
    A subject's best overall response.

    Attributes:
        bor: Best response code ("MISSING" without assessments).
        date: Date of the (first) assessment giving it.
        response_date: First date of a (confirmed) response, for DOR.
        pd_date: Date of the first PD, if any.
        last_adequate: Last assessment that is not NE/ND, up to first PD
            (PFS censoring date).
        assessments: The assessments used, sorted.
        window_end: Last day of the evaluation window (inclusive), if any.
    """

    bor: str
    date: dt.date | None
    response_date: dt.date | None = None
    pd_date: dt.date | None = None
    last_adequate: dt.date | None = None
    assessments: tuple[Assessment, ...] = ()
    window_end: dt.date | None = None


#: Order of two results on one date: the worse first, so a conflicting pair never flatters.
_WORST_FIRST = ("PD", "RELAPSE", "NR", "NE", "ND", "MISSING", "SD", "NON-CR/NON-PD", "MR", "PR", "MLFS", "CRH", "CRI", "CR")


def _worse_first(a: Assessment) -> tuple[dt.date, int, str]:
    rank = _WORST_FIRST.index(a.result) if a.result in _WORST_FIRST else 3  # unknown codes as NE
    return a.date, rank, a.result


def _prepare(
    assessments: Sequence[Assessment],
    start: dt.date,
    end: dt.date | None,
    progression: Collection[str] = ("PD",),
) -> list[Assessment]:
    """On/after start, on/before end, up to and including the first PD (worse first on one date)."""
    kept: list[Assessment] = []
    for a in sorted(assessments, key=_worse_first):
        if a.date < start or (end is not None and a.date > end):
            continue
        kept.append(a)
        if a.result in progression:
            break
    return kept


def _confirmed(
    seq: list[Assessment],
    i: int,
    target: str,
    confirmation_days: int,
    max_nr_ne: int,
    accept_sd: bool,
) -> bool:
    """Whether assessment i (a CR or PR) is confirmed by a later one."""
    first = seq[i]
    confirmers = {"CR"} if target == "CR" else {"CR", "PR"}
    allowed = {"CR", "NE"} if target == "CR" else {"CR", "PR", "NE"}
    for j in range(i + 1, len(seq)):
        cand = seq[j]
        if cand.result in confirmers and (cand.date - first.date).days >= confirmation_days:
            between = seq[i + 1 : j + 1]
            results = [b.result for b in between]
            if sum(r == "NE" for r in results) > max_nr_ne:
                return False
            sd_count = sum(r == "SD" for r in results)
            if any(r not in allowed and not (accept_sd and r == "SD") for r in results):
                return False
            if accept_sd and sd_count > 1:
                return False
            if target == "PR":
                cr_dates = [b.date for b in between if b.result == "CR"]
                pr_dates = [b.date for b in between if b.result == "PR"]
                if cr_dates and pr_dates and min(cr_dates) <= max(pr_dates):
                    return False  # a PR after a CR is not a confirmed PR
            return True
    return False


def recist_bor(
    assessments: Sequence[Assessment],
    start: dt.date,
    end: dt.date | None = None,
    confirmation_days: int = 28,
    sd_min_days: int = 42,
    max_nr_ne: int = 1,
    accept_sd: bool = False,
    confirm: bool = True,
) -> BestResponse:
    """
    RECIST 1.1 best overall response with confirmation (admiralonco rules).

    Args:
        assessments: Overall responses (RS OVRLRESP) of one subject.
        start: Reference date (first dose).
        end: Last date of the evaluation window (e.g. new anticancer therapy
            or N days after last dose), inclusive; None = no limit.
        confirmation_days: Minimum days between a response and its
            confirmation (28 = 4 weeks).
        sd_min_days: SD must be assessed at least this many days after
            ``start`` (admiralonco ``ref_start_window``, 42).
        max_nr_ne: NE assessments tolerated between response and confirmation.
        accept_sd: Accept one SD between a PR and its confirmation.
        confirm: False for randomised trials where RECIST does not require
            confirmation; then CR/PR count as assessed.

    Returns:
        The :class:`BestResponse`.
    """
    seq = _prepare(assessments, start, end)
    pd_date = next((a.date for a in seq if a.result == "PD"), None)
    adequate = [a.date for a in seq if a.result not in ("NE", "ND")]
    last_adequate = adequate[-1] if adequate else None
    if not seq:
        return BestResponse("MISSING", None, None, None, None, (), end)
    sd_threshold = start + dt.timedelta(days=sd_min_days)
    candidates: list[tuple[int, dt.date]] = []
    for i, a in enumerate(seq):
        if a.result in ("CR", "PR"):
            ok = not confirm or _confirmed(seq, i, a.result, confirmation_days, max_nr_ne, accept_sd)
            if ok:
                candidates.append((RECIST_RANKING.index(a.result), a.date))
                continue
        if a.result in ("CR", "PR", "SD"):
            label = "SD" if a.date >= sd_threshold else "NE"
        elif a.result == "NON-CR/NON-PD":
            label = a.result if a.date >= sd_threshold else "NE"
        elif a.result in RECIST_RANKING:
            label = a.result
        else:
            label = "NE"
        candidates.append((RECIST_RANKING.index(label), a.date))
    rank, date = min(candidates)
    bor = RECIST_RANKING[rank]
    response_date = date if bor in ("CR", "PR") else None
    if bor == "PR":
        # DOR starts at the first confirmed response of either kind.
        response_date = min(d for r, d in candidates if r <= 1)
    elif bor == "CR":
        response_date = min(d for r, d in candidates if r <= 1)
    return BestResponse(bor, date, response_date, pd_date, last_adequate, tuple(seq), end)


def best_response(
    assessments: Sequence[Assessment],
    start: dt.date,
    ranking: Sequence[str],
    responders: Collection[str],
    end: dt.date | None = None,
    confirm_days: int | None = None,
    progression: Collection[str] = ("PD", "RELAPSE"),
) -> BestResponse:
    """
    Best response under a ranked response set (AML, INRC), optional confirmation.

    Args:
        assessments: Response assessments of one subject.
        start: Reference date (first dose); earlier assessments are ignored.
        ranking: Response codes, best first (e.g. :data:`AML_RANKING`).
        responders: Codes that count as response (e.g. :data:`AML_RESPONDERS`).
        end: Inclusive end of the evaluation window, or None.
        confirm_days: If given, a responder code needs a later responder
            assessment at least this many days after it to count.
        progression: Codes that end the evaluation (included).

    Returns:
        The :class:`BestResponse`; unknown codes rank as NE.
    """
    seq = _prepare(assessments, start, end, progression)
    if not seq:
        return BestResponse("MISSING", None, window_end=end)
    order = [normalise(r) for r in ranking]
    ne = order.index("NE") if "NE" in order else len(order)
    resp = {normalise(r) for r in responders}
    candidates: list[tuple[int, dt.date]] = []
    for i, a in enumerate(seq):
        rank = order.index(a.result) if a.result in order else ne
        if a.result in resp and confirm_days is not None:
            confirmed = any(
                b.result in resp and (b.date - a.date).days >= confirm_days for b in seq[i + 1 :]
            )
            if not confirmed:
                rank = ne
        candidates.append((rank, a.date))
    rank, date = min(candidates)
    bor = order[rank] if rank < len(order) else "NE"
    response_dates = [d for r, d in candidates if r < len(order) and order[r] in resp]
    pd_date = next((a.date for a in seq if a.result in progression), None)
    adequate = [a.date for a in seq if a.result not in ("NE", "ND")]
    return BestResponse(
        bor,
        date,
        min(response_dates) if response_dates else None,
        pd_date,
        adequate[-1] if adequate else None,
        tuple(seq),
        end,
    )
