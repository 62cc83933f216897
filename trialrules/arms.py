"""
The arm planner: turn an arm of ``arms.yaml`` into one patient's doses, dates and
windows (``trialrules plan``).

Every trial's arms are data (``models.Arm``); this module is the one place that
does their arithmetic, so no plugin re-implements dose × weight, study days,
weekly patterns or dose-anchored windows. Conventions (docs/arms.md):

- Day 1 is the first administration; Day N is the first-dose date + (N − 1) days.
- A window runs from its ``from`` anchor to its ``until`` anchor, both days
  inclusive; "N days after dose D" ends on the day of dose D + N days, the
  reading that catches more safety events than D + N − 1.
- Calendar months and years keep the day of the month, clamped to the month's end.
- Anything the protocol does not state is printed as "not stated in the
  protocol", and fields the plugin marks ``assumed`` are printed as assumptions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from trialrules.calendar_arithmetic import add_months
from trialrules.errors import TrialRulesError
from trialrules.language.models import Arm, ArmWindow, Dose, DoseAnchor, Escalation, Schedule, Trial
from trialrules.plugin import plugin_label

NOT_STATED = "not stated in the protocol"
ASSUMED = "(assumption: not in the protocol text)"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: ``--param`` keys the planner reads, with what each does.
PARAMETERS: dict[str, str] = {
    "dose": "the dose value where the protocol states none (in the arm's unit and 'per')",
    "days": "study days of administration where the protocol states no schedule, e.g. 1,8,15",
    "weekdays": "the weekday pattern of a weekly schedule, e.g. tue,thu,sat",
    "outcomes": "escalation so far in 3+3 notation (e.g. '1NNN 2NNT'): prints the 3+3 decision",
}


class PlanError(TrialRulesError, ValueError):
    """A plan input that cannot be used (the command line prints it and exits 2)."""


PlanLines = list[tuple[str, str]]


def format_amount(value: float, unit: str | None) -> str:
    """``5e8 {cells}`` as ``5×10^8 cells``; ordinary numbers with up to 4 significant digits."""
    shown_unit = (unit or "").replace("{", "").replace("}", "")
    if value and (abs(value) >= 1e5 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.3e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}×10^{int(exponent)}"
    else:
        text = f"{value:.4g}"
    return f"{text} {shown_unit}".strip()


def study_day_date(first_dose: dt.date, day: int) -> dt.date:
    """The date of study day ``day`` (Day 1 = ``first_dose``; there is no Day 0)."""
    return first_dose + dt.timedelta(days=day - 1)


def _day_number(first_dose: dt.date, day: dt.date) -> int:
    return (day - first_dose).days + 1


def _parse_days(text: str) -> tuple[int, ...]:
    days: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise PlanError(f"--param days: {part!r} is not a study day (a whole number from 1)")
        days.add(int(part))
    if not days:
        raise PlanError("--param days: no study day given")
    return tuple(sorted(days))


def _parse_weekdays(text: str, per_week: int) -> tuple[str, ...]:
    names = [p.strip().lower()[:3] for p in text.replace(";", ",").replace("/", ",").split(",") if p.strip()]
    for name in names:
        if name not in _WEEKDAYS:
            raise PlanError(f"--param weekdays: unknown weekday {name!r}; use {', '.join(_WEEKDAYS)}")
    if len(set(names)) != len(names):
        raise PlanError("--param weekdays: a weekday is given twice")
    if len(names) != per_week:
        raise PlanError(f"--param weekdays: the schedule gives {per_week} administrations a week; name {per_week} weekdays")
    return tuple(names)


def administration_dates(
    schedule: Schedule | None, first_dose: dt.date, parameters: Mapping[str, str]
) -> list[dt.date] | None:
    """Every administration's date, or None when the schedule is not stated."""
    if schedule is None or not (schedule.days or schedule.weekly or schedule.cycles):
        if "days" in parameters:
            return [study_day_date(first_dose, d) for d in _parse_days(parameters["days"])]
        return None
    if schedule.days:
        return [study_day_date(first_dose, d) for d in sorted(schedule.days)]
    if schedule.weekly is not None:
        weekly = schedule.weekly
        names = (
            _parse_weekdays(parameters["weekdays"], weekly.per_week) if "weekdays" in parameters else weekly.weekdays
        )
        if not names:
            raise PlanError(f"the schedule gives no weekdays; give --param weekdays=... ({weekly.per_week} days)")
        pattern = {_WEEKDAYS.index(n) for n in names}
        dates = [first_dose]
        day = first_dose
        while len(dates) < weekly.doses:
            day += dt.timedelta(days=1)
            if day.weekday() in pattern:
                dates.append(day)
        return dates
    assert schedule.cycles is not None
    cycles = schedule.cycles
    return [
        first_dose + dt.timedelta(days=c * cycles.length_days + d - 1)
        for c in range(cycles.count)
        for d in sorted(cycles.days)
    ]


def anchor_date(anchor: DoseAnchor, doses: list[dt.date] | None, first_dose: dt.date) -> dt.date | None:
    """The day an anchor names: its dose's date plus its length; None if the schedule is unknown."""
    if anchor.dose == 1:
        base = first_dose
    elif doses is None:
        return None
    elif anchor.dose == "last":
        base = doses[-1]
    elif anchor.dose <= len(doses):
        base = doses[anchor.dose - 1]
    else:
        return None
    if anchor.days is not None:
        return base + dt.timedelta(days=anchor.days)
    if anchor.weeks is not None:
        return base + dt.timedelta(weeks=anchor.weeks)
    if anchor.months is not None:
        return add_months(base, anchor.months)
    if anchor.years is not None:
        return add_months(base, 12 * anchor.years)
    return base


def window_dates(
    window: ArmWindow, doses: list[dt.date] | None, first_dose: dt.date
) -> tuple[dt.date, dt.date] | None:
    """First and last day (inclusive) of a window, or None when the schedule it needs is unknown."""
    start = anchor_date(window.start, doses, first_dose)
    end = anchor_date(window.end, doses, first_dose)
    return None if start is None or end is None else (start, end)


def _dose_value(dose: Dose | None, parameters: Mapping[str, str]) -> tuple[float | None, str]:
    """The dose value and where it comes from ('' for the protocol, '(parameter)')."""
    if dose is not None and dose.value is not None:
        if "dose" in parameters:
            raise PlanError("--param dose: the protocol states this arm's dose; it cannot be overridden")
        return dose.value, ""
    if "dose" not in parameters:
        return None, ""
    try:
        value = float(parameters["dose"])
    except ValueError:
        raise PlanError(f"--param dose={parameters['dose']!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise PlanError(f"--param dose={parameters['dose']!r} must be a positive number")
    return value, " (parameter)"


def bsa_mosteller(weight_kg: float, height_cm: float) -> float:
    """Body-surface area in m² by Mosteller (1987): sqrt(height [cm] × weight [kg] / 3600)."""
    return math.sqrt(height_cm * weight_kg / 3600.0)


def _dose_lines(
    arm: Arm, parameters: Mapping[str, str], weight_kg: float | None, height_cm: float | None, count: int | None
) -> tuple[PlanLines, float | None]:
    dose = arm.dose
    value, origin = _dose_value(dose, parameters)
    per = dose.per if dose is not None else "administration"
    unit = dose.unit if dose is not None else None
    per_note = f" {ASSUMED}" if "dose.per" in arm.assumed else ""
    if value is None:
        hint = f"; give --param dose=VALUE ({(unit or '').strip('{}') or 'amount'} per {'kg' if per == 'kg' else 'm²' if per == 'm2' else 'administration'})"
        return [("Dose", NOT_STATED + hint)], None
    value_note = f" {ASSUMED}" if "dose.value" in arm.assumed or "dose" in arm.assumed else ""
    if per == "administration":
        return [("Dose per administration", f"{format_amount(value, unit)}{origin}{value_note}")], value
    if per == "kg":
        lines = [("Dose per kg", f"{format_amount(value, unit)}/kg per administration{origin}{value_note}{per_note}")]
        if weight_kg is None:
            return lines + [("Dose per administration", "give --weight KG to compute it")], None
        amount = value * weight_kg
        shown = f"{format_amount(amount, unit)} ({format_amount(value, unit)}/kg × {weight_kg:g} kg)"
    else:
        lines = [("Dose per m²", f"{format_amount(value, unit)}/m² per administration{origin}{value_note}{per_note}")]
        if weight_kg is None or height_cm is None:
            return lines + [("Dose per administration", "give --weight KG and --height CM to compute it")], None
        bsa = bsa_mosteller(weight_kg, height_cm)
        amount = value * bsa
        shown = f"{format_amount(amount, unit)} ({format_amount(value, unit)}/m² × BSA {bsa:.3f} m², Mosteller)"
    lines.append(("Dose per administration", shown))
    if count is not None:
        lines.append((f"Course total ({count} administrations)", format_amount(amount * count, unit)))
    return lines, amount


def _schedule_lines(arm: Arm, doses: list[dt.date] | None, first_dose: dt.date, parameters: Mapping[str, str]) -> PlanLines:
    schedule = arm.schedule
    if doses is None:
        return [("Schedule", f"{NOT_STATED}; give --param days=1,8,15 to plan dates (Day 1 = first dose)")]
    lines: PlanLines = []
    if schedule is not None and schedule.weekly is not None:
        weekly = schedule.weekly
        names = (
            _parse_weekdays(parameters["weekdays"], weekly.per_week) if "weekdays" in parameters else weekly.weekdays
        )
        pattern = "/".join(n.capitalize() for n in names)
        note = " (parameter)" if "weekdays" in parameters else (
            f" {ASSUMED}; --param weekdays=... to change" if "schedule.weekdays" in arm.assumed else ""
        )
        lines.append(("Weekday pattern", f"{pattern}, {weekly.per_week} a week, {weekly.doses} in all{note}"))
        if first_dose.weekday() not in {_WEEKDAYS.index(n) for n in names}:
            lines.append(("Note", f"the first dose ({first_dose:%a}) is off the {pattern} pattern: it stays dose 1 "
                                  "and later doses follow the pattern from the next pattern day"))
    elif schedule is None or not (schedule.days or schedule.cycles):
        lines.append(("Schedule", f"study days {parameters['days']} (parameter; {NOT_STATED})"))
    for n, day in enumerate(doses, start=1):
        lines.append((f"Administration {n}", f"{day.isoformat()} ({day:%a}, Day {_day_number(first_dose, day)})"))
    return lines


def _window_lines(arm: Arm, doses: list[dt.date] | None, first_dose: dt.date) -> PlanLines:
    lines: PlanLines = []
    for w in arm.windows:
        span = window_dates(w, doses, first_dose)
        if span is None:
            lines.append((w.title, f"depends on the schedule, which is {NOT_STATED}"))
        else:
            lines.append((w.title, f"{span[0].isoformat()} to {span[1].isoformat()} "
                                   f"(Day {_day_number(first_dose, span[0])}–{_day_number(first_dose, span[1])}, both included)"))
    if not arm.windows:
        lines.append(("Windows", "no observation window is stated in the protocol"))
    return lines


def _container_lines(arm: Arm, amount: float | None, count: int | None) -> PlanLines:
    c = arm.container
    if c is None or amount is None:
        return []
    guaranteed = math.ceil(amount / c.holds_min - 1e-9)
    if_full = math.ceil(amount / c.holds_max - 1e-9)
    lines = [(f"{c.name.capitalize()}s per dose",
              f"{guaranteed} at {format_amount(c.holds_min, c.unit)} each (guarantees the dose); "
              f"{if_full} if every {c.name} holds {format_amount(c.holds_max, c.unit)}")]
    if count is not None:
        lines.append((f"{c.name.capitalize()}s for the course", f"{guaranteed * count} (guaranteed); {if_full * count} at the upper bound"))
    return lines


def _component_lines(arm: Arm) -> PlanLines:
    lines: PlanLines = []
    for comp in arm.components:
        if comp.dose is not None and comp.dose.value is not None:
            per = {"administration": "per administration", "kg": "/kg", "m2": "/m²"}[comp.dose.per]
            text = f"{format_amount(comp.dose.value, comp.dose.unit)} {per}"
        else:
            text = f"dose {NOT_STATED}"
        if comp.note:
            text += f"; {comp.note}"
        lines.append((f"Also given: {comp.name}", text))
    return lines


def _escalation_lines(escalation: Escalation | None, arm: Arm, parameters: Mapping[str, str]) -> PlanLines:
    if escalation is None or arm.id not in escalation.dose_order:
        return []
    level = escalation.dose_order.index(arm.id) + 1
    design = {"3+3": "3+3", "boin": "BOIN", "committee": "decided by a review committee"}[escalation.design]
    parts = [f"dose level {level} of {len(escalation.dose_order)}",
             f"design {design}{' ' + ASSUMED if 'design' in escalation.assumed else ''}"]
    if escalation.cohort_size:
        parts.append(f"cohorts of {escalation.cohort_size}{' ' + ASSUMED if 'cohort_size' in escalation.assumed else ''}")
    if escalation.target_patients:
        parts.append(f"target {escalation.target_patients} patients")
    lines = [("Escalation", "; ".join(parts))]
    if escalation.review:
        lines.append(("Escalation review", escalation.review))
    if "outcomes" in parameters:
        if escalation.design != "3+3":
            raise PlanError(f"--param outcomes: this trial's escalation design is {design}, not 3+3")
        from trialrules.outcomes.escalation import parse_outcomes, three_plus_three

        try:
            patients = parse_outcomes(parameters["outcomes"])
        except ValueError as exc:
            raise PlanError(f"--param outcomes: {exc}") from None
        decision = three_plus_three(patients, num_doses=len(escalation.dose_order))
        if decision.recommended_dose is None:
            text = "stop: no dose level is acceptable"
        else:
            name = escalation.dose_order[decision.recommended_dose - 1]
            verb = "enrol the next cohort at" if decision.continue_trial else "stop escalating; recommended dose"
            text = f"{verb} dose level {decision.recommended_dose} ({name})"
        lines.append(("3+3 decision", text))
    return lines


def plan(
    trial: Trial,
    arm: Arm,
    first_dose: dt.date,
    *,
    weight_kg: float | None = None,
    height_cm: float | None = None,
    parameters: Mapping[str, str] | None = None,
) -> PlanLines:
    """One patient's plan in an arm, as ``(label, value)`` lines, each fact once."""
    parameters = dict(parameters or {})
    unknown = sorted(set(parameters) - set(PARAMETERS))
    if unknown:
        raise PlanError(f"unknown plan parameter(s) {', '.join(unknown)}; known: {', '.join(PARAMETERS)}")
    for name, value in (("--weight", weight_kg), ("--height", height_cm)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise PlanError(f"{name} must be a positive number, got {value!r}")
    if "weekdays" in parameters and not (arm.schedule and arm.schedule.weekly):
        raise PlanError("--param weekdays: this arm has no weekly schedule")
    if "days" in parameters and arm.schedule is not None and (arm.schedule.days or arm.schedule.weekly or arm.schedule.cycles):
        raise PlanError("--param days: the protocol states this arm's schedule")
    doses = administration_dates(arm.schedule, first_dose, parameters)
    count = len(doses) if doses is not None else None
    lines: PlanLines = []
    if arm.intervention:
        route = arm.route or f"route {NOT_STATED}"
        lines.append(("Intervention", f"{arm.intervention}, {route}{' ' + ASSUMED if 'route' in arm.assumed else ''}"))
    dose_lines, amount = _dose_lines(arm, parameters, weight_kg, height_cm, count)
    lines += dose_lines
    lines += _schedule_lines(arm, doses, first_dose, parameters)
    lines += _window_lines(arm, doses, first_dose)
    lines += _container_lines(arm, amount, count)
    lines += _component_lines(arm)
    if arm.group_size is not None:
        size = arm.group_size
        text = f"{size.min}" if size.min == size.max else f"{size.min} to {size.max}"
        lines.append(("Group size", f"{text} patient{'s' if size.max > 1 else ''}{' ' + ASSUMED if 'group_size' in arm.assumed else ''}"))
    lines += _escalation_lines(trial.escalation, arm, parameters)
    return lines


def describe_anchor(anchor: DoseAnchor) -> str:
    """``dose 2 + 28 days`` / ``the last dose + 2 years`` / ``dose 1``."""
    base = "the last dose" if anchor.dose == "last" else f"dose {anchor.dose}"
    for unit in ("days", "weeks", "months", "years"):
        n = getattr(anchor, unit)
        if n is not None:
            return f"{base} + {n} {unit if n != 1 else unit[:-1]}"
    return base


def describe_schedule(schedule: Schedule | None) -> str:
    """A schedule in words, without dates."""
    if schedule is None or not (schedule.days or schedule.weekly or schedule.cycles):
        return NOT_STATED
    if schedule.days:
        return "study days " + ", ".join(str(d) for d in sorted(schedule.days))
    if schedule.weekly is not None:
        w = schedule.weekly
        days = "/".join(n.capitalize() for n in w.weekdays) or "weekdays not given"
        return f"{w.per_week} a week ({days}), {w.doses} administrations"
    assert schedule.cycles is not None
    c = schedule.cycles
    return f"{c.count} cycles of {c.length_days} days, on day {', '.join(str(d) for d in c.days)} of each"


def describe_arm(arm: Arm) -> list[str]:
    """The arm's data in words (what ``show`` prints; ``plan`` adds the dates)."""
    flag = {field: f" {ASSUMED}" for field in arm.assumed}
    lines = []
    if arm.intervention or arm.route:
        lines.append(f"{arm.intervention or ''}, {arm.route or 'route ' + NOT_STATED}{flag.get('route', '')}")
    if arm.dose is None or arm.dose.value is None:
        lines.append(f"dose: {NOT_STATED} (--param dose= in plan)")
    else:
        per = {"administration": "per administration", "kg": "per kg body weight per administration",
               "m2": "per m² body-surface area per administration"}[arm.dose.per]
        lines.append(f"dose: {format_amount(arm.dose.value, arm.dose.unit)} {per}{flag.get('dose.per', '')}")
    lines.append(f"schedule: {describe_schedule(arm.schedule)}{flag.get('schedule.weekdays', '')}")
    if arm.group_size is not None:
        lo, hi = arm.group_size.min, arm.group_size.max
        lines.append(f"group size: {lo if lo == hi else f'{lo} to {hi}'}{flag.get('group_size', '')}")
    for comp in arm.components:
        dose = format_amount(comp.dose.value, comp.dose.unit) if comp.dose and comp.dose.value else f"dose {NOT_STATED}"
        lines.append(f"also given: {comp.name}: {dose}{'; ' + comp.note if comp.note else ''}")
    for w in arm.windows:
        lines.append(f"window {w.id}: {w.title}: from {describe_anchor(w.start)} to {describe_anchor(w.end)}, both days included")
    if arm.container is not None:
        c = arm.container
        lines.append(f"dispensed in {c.name}s of {format_amount(c.holds_min, c.unit)} to {format_amount(c.holds_max, c.unit)}")
    return lines


def describe_escalation(escalation: Escalation) -> str:
    """The escalation design in one line."""
    design = {"3+3": "3+3", "boin": "BOIN", "committee": "decided by a review committee"}[escalation.design]
    parts = [f"design {design}{' ' + ASSUMED if 'design' in escalation.assumed else ''}",
             "order " + " → ".join(escalation.dose_order)]
    if escalation.cohort_size:
        parts.append(f"cohorts of {escalation.cohort_size}{' ' + ASSUMED if 'cohort_size' in escalation.assumed else ''}")
    if escalation.target_patients:
        parts.append(f"target {escalation.target_patients} patients")
    return "; ".join(parts)


def plugin_lines(pm: Any, trial: Trial, arm: Arm, first_dose: dt.date, weight_kg: float | None,
                 parameters: Mapping[str, str]) -> PlanLines:
    """Extra lines from the hook implementations of the plugin that provides ``trial`` only."""
    lines: PlanLines = []
    for impl in reversed(pm.hook.trialrules_plan_arm.get_hookimpls()):
        if plugin_label(pm, impl.plugin) != trial.plugin:
            continue
        extra = impl.function(trial=trial, arm=arm, first_dose=first_dose, weight_kg=weight_kg, parameters=dict(parameters))
        lines.extend(extra or [])
    return lines
