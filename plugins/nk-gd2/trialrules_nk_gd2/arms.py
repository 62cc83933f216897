"""
Arm planning for the nk-gd2 trial (shared/protocols/nk-gd2.txt).

The protocol names the arm's components (autologous NK cells, a GD2 monoclonal
antibody, standard chemotherapy) but gives no dose, route, product or schedule for
any of them. ``plan`` therefore only echoes what the user supplies as parameters,
turns study days into dates, and says plainly what the protocol leaves open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

TRIAL_ID = "nk-gd2"
ARM_ID = "nk_gd2"
NOT_STATED = "not stated in the protocol"

#: parameter key -> (label, what to say when it is not given)
PARAMETERS: dict[str, tuple[str, str]] = {
    "nk_dose": ("Autologous NK cells: dose per administration", f"{NOT_STATED} (give --param nk_dose=...)"),
    "nk_dose_per_kg": ("Autologous NK cells: dose per kg", f"{NOT_STATED} (give --param nk_dose_per_kg=...)"),
    "gd2_antibody": ("GD2 monoclonal antibody: product", "not named in the protocol (give --param gd2_antibody=...)"),
    "gd2_dose": ("GD2 monoclonal antibody: dose", f"{NOT_STATED} (give --param gd2_dose=...)"),
    "chemotherapy": ("Standard chemotherapy: regimen", "not named in the protocol (give --param chemotherapy=...)"),
    "days": ("Schedule: study days", f"{NOT_STATED} (give --param days=1,8,15; Day 1 = first dose)"),
}


def parse_days(text: str) -> list[int]:
    """Parse ``"1,8,15"`` into sorted, distinct study days (Day 1 = first dose).

    Raises:
        ValueError: a day is not a whole number of at least 1.
    """
    days: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            day = int(part)
        except ValueError:
            raise ValueError(f"study day {part!r} is not a whole number") from None
        if day < 1:
            raise ValueError(f"study day {day} is before Day 1 (the first dose)")
        days.add(day)
    if not days:
        raise ValueError("no study days given")
    return sorted(days)


def day_to_date(first_dose: dt.date, day: int) -> dt.date:
    """The calendar date of study day ``day`` (Day 1 is ``first_dose``)."""
    return first_dose + dt.timedelta(days=day - 1)


def total_cells(per_kg: float, weight_kg: float) -> float:
    """Cells per administration for a per-kg dose and a body weight."""
    if per_kg <= 0 or weight_kg <= 0:
        raise ValueError("dose per kg and weight must be positive")
    return per_kg * weight_kg


def plan(
    arm_id: str,
    first_dose: dt.date,
    weight_kg: float | None,
    parameters: Mapping[str, str] | None,
) -> list[tuple[str, str]] | None:
    """Return ``(label, value)`` pairs for the nk-gd2 arm, or None for another arm id."""
    if arm_id != ARM_ID:
        return None
    params = dict(parameters or {})
    out: list[tuple[str, str]] = [("First dose (Day 1)", first_dose.isoformat())]
    for key, (label, missing) in PARAMETERS.items():
        if key == "days":
            continue
        out.append((label, params[key] if params.get(key) else missing))
    if params.get("nk_dose_per_kg") and weight_kg is not None:
        try:
            cells = total_cells(float(params["nk_dose_per_kg"]), float(weight_kg))
        except ValueError as exc:
            out.append(("Autologous NK cells: dose for this weight", f"cannot compute: {exc}"))
        else:
            out.append(("Autologous NK cells: dose for this weight", f"{cells:.4g} cells ({weight_kg:g} kg)"))
    label, missing = PARAMETERS["days"]
    if params.get("days"):
        try:
            days = parse_days(params["days"])
        except ValueError as exc:
            out.append((label, f"cannot read --param days: {exc}"))
        else:
            out.append((label, ", ".join(str(d) for d in days)))
            out.extend((f"Day {d}", day_to_date(first_dose, d).isoformat()) for d in days)
    else:
        out.append((label, missing))
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        out.append(("Ignored parameters", ", ".join(unknown) + f" (known: {', '.join(PARAMETERS)})"))
    return out
