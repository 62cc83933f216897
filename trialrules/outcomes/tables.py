"""
The outcomes report's tables, as rows of text cells: adverse events as n (%)
by arm and overall, PK parameters summarised by arm, every other measure's
results with proportions as n/N (%), and the provenance of a run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["ae_table", "fmt_number", "pk_summary", "provenance", "result_rows"]

Table = tuple[list[str], list[list[str]]]

_GRADE_ROWS = (
    ("any", "Any grade"),
    ("grade_1", "Worst grade 1"),
    ("grade_2", "Worst grade 2"),
    ("grade_3", "Worst grade 3"),
    ("grade_4", "Worst grade 4"),
    ("grade_5", "Worst grade 5"),
    ("grade_3_or_higher", "Worst grade ≥ 3"),
)
#: PK parameters in the order a PK table lists them; tmax is summarised by median and range only.
PK_ORDER = ("cmax", "tmax", "clast", "tlast", "auclast", "aucinf_obs", "aucinf_pred", "lambda_z", "half_life", "r2adj")
_NOT_LOGNORMAL = frozenset({"tmax", "tlast", "r2adj"})


def fmt_number(v: Any, digits: int = 4) -> str:
    """A number for a table: ``digits`` significant figures, never scientific notation below 1e9."""
    if v is None:
        return "NR"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    if abs(v) >= 1e9 or abs(v) < 1e-6:
        return f"{v:.{digits - 1}e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    text = f"{v:,.{decimals}f}"
    return text.replace("-", "−")


def _pct(count: int, n: int) -> str:
    return f"{count} ({100.0 * count / n:.1f} %)" if n else f"{count} (—)"


def _arm_order(results: Sequence[Mapping[str, Any]], arms: Sequence[str]) -> list[str]:
    seen = list(arms)
    for r in results:
        arm = r.get("group", {}).get("arm")
        if arm and arm != "all" and arm not in seen:
            seen.append(arm)
    return seen


def ae_table(measure: Mapping[str, Any], arms: Sequence[str], arm_sizes: Mapping[str, int]) -> Table | None:
    """Subjects with an AE as n (%) by arm and overall, N in the header; worst grade per subject.

    ``arms`` and ``arm_sizes`` (treated subjects per arm, from DM/EX) add arms
    with no events at all, so no arm is left out.
    """
    results = measure.get("results", [])
    cells: dict[tuple[str, str], tuple[int, int]] = {}
    n_of: dict[str, int] = {}
    for r in results:
        arm = str(r.get("group", {}).get("arm", ""))
        if not arm or "count" not in r:
            continue
        cells[(str(r.get("parameter")), arm)] = (int(r["count"]), int(r.get("n") or 0))
        n_of[arm] = int(r.get("n") or 0)
    if not cells:
        return None
    columns = _arm_order(results, arms) + ["all"]
    for arm in columns:
        n_of.setdefault(arm, arm_sizes.get(arm, 0))
    header = ["Subjects with"] + [f"{'Overall' if a == 'all' else a} (N={n_of[a]})" for a in columns]
    rows = []
    for param, label in _GRADE_ROWS:
        if any((param, a) in cells for a in columns):
            rows.append([label] + [_pct(cells.get((param, a), (0, n_of[a]))[0], n_of[a]) for a in columns])
    known = {p for p, _ in _GRADE_ROWS}
    others = list(dict.fromkeys(p for p, _ in cells if p not in known and not p.startswith("pt:")))
    for param in others:
        definition = next((r.get("definition") for r in results if r.get("parameter") == param and r.get("definition")), None)
        label = param.replace("_", " ") + (f" ({definition})" if definition else "")
        rows.append([label] + [_pct(cells.get((param, a), (0, n_of[a]))[0], n_of[a]) for a in columns])
    terms = sorted({p[3:] for p, _ in cells if p.startswith("pt:")},
                   key=lambda t: (-cells.get((f"pt:{t}", "all"), (0, 0))[0], t))
    for term in terms:
        worst = max((g for r in results if r.get("parameter") == f"pt:{term}"
                     for g in (r.get("worst_grade") or {}).values() if g is not None), default=None)
        label = f"  {term}" + (f" (worst grade {worst})" if worst is not None else "")
        rows.append([label] + [_pct(cells.get((f"pt:{term}", a), (0, n_of[a]))[0], n_of[a]) for a in columns])
    return header, rows


def _geo(values: Sequence[float]) -> tuple[str, str]:
    positive = [v for v in values if v > 0]
    if len(positive) != len(values) or not values:
        return "—", "—"
    logs = [math.log(v) for v in positive]
    gm = math.exp(statistics.fmean(logs))
    if len(logs) < 2:
        return fmt_number(gm), "—"
    cv = 100.0 * math.sqrt(math.exp(statistics.variance(logs)) - 1.0)
    return fmt_number(gm), f"{cv:.1f}"


def pk_summary(measure: Mapping[str, Any]) -> Table | None:
    """Per arm and parameter: n, geometric mean, geometric CV%, median, min–max."""
    values: dict[tuple[str, str, str], list[float]] = {}
    units: dict[str, str] = {}
    for r in measure.get("results", []):
        if "subject" not in r.get("group", {}):
            continue
        est = r.get("estimate")
        if est is None or not isinstance(est, (int, float)) or not math.isfinite(est):
            continue
        key = (str(r.get("analyte", "")), str(r.get("arm", "all")), str(r.get("parameter")))
        values.setdefault(key, []).append(float(est))
        units.setdefault(str(r.get("parameter")), str(r.get("unit", "")))
    if not values:
        return None
    analytes = len({a for a, _, _ in values}) > 1
    header = (["Analyte"] if analytes else []) + ["Arm", "Parameter", "Unit", "n", "Geometric mean", "Geo. CV%", "Median", "Min – max"]
    order = {p: i for i, p in enumerate(PK_ORDER)}
    rows = []
    for analyte, arm, param in sorted(values, key=lambda k: (k[0], k[1], order.get(k[2], 99), k[2])):
        vs = values[(analyte, arm, param)]
        gm, cv = ("—", "—") if param in _NOT_LOGNORMAL else _geo(vs)
        row = ([analyte] if analytes else []) + [
            arm, param, units.get(param, ""), str(len(vs)), gm, cv,
            fmt_number(statistics.median(vs)), f"{fmt_number(min(vs))} – {fmt_number(max(vs))}",
        ]
        rows.append(row)
    return header, rows


def _group(g: Mapping[str, Any]) -> str:
    return ", ".join(str(v) if k in ("arm", "subject") else f"{k}={v}" for k, v in g.items())


def result_rows(measure: Mapping[str, Any], skip: frozenset[str] = frozenset()) -> Table | None:
    """Every result of a measure: proportions as n/N (%) with the CI in %, others to 4 significant figures."""
    rows = []
    for r in measure.get("results", []):
        param = str(r.get("parameter", ""))
        if param in skip or any(param.startswith(s) for s in skip if s.endswith("_")):
            continue
        ci = r.get("ci")
        unit = str(r.get("unit", ""))
        est = r.get("estimate")
        n = r.get("n")
        if unit == "1" and "count" in r and n:
            estimate = f"{r['count']}/{n} ({100.0 * float(est or 0):.1f} %)"
            ci_text = f"{100 * ci[0]:.1f} – {100 * ci[1]:.1f} %" if ci else ""
            unit = "% of subjects"
        else:
            estimate = fmt_number(est)
            ci_text = f"{fmt_number(ci[0])} – {fmt_number(ci[1])}" if ci else ""
            if unit == "1":
                unit = "ratio"
        rows.append([_group(r.get("group", {})), param, estimate, ci_text, "" if n is None else str(n), unit])
    if not rows:
        return None
    return ["Group", "Parameter", "Estimate", "95% CI", "n", "Unit"], rows


def provenance(data_dir: Path | str | None, trial: Any = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """What a signed-off report must record: versions, data folder, file checksums, run date."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        core = version("trialrules")
    except PackageNotFoundError:
        core = "unknown"
    out: dict[str, Any] = {
        "trialrules": core,
        "run": (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    if trial is not None:
        out["trial"] = f"{trial.id}@{trial.version}"
        plugin = getattr(trial, "plugin", None)
        if plugin:
            dist = plugin.split(".")[0].replace("_", "-")
            try:
                out["plugin"] = f"{dist} {version(dist)}"
            except PackageNotFoundError:
                out["plugin"] = plugin
    if data_dir is not None:
        folder = Path(data_dir).resolve()
        out["data"] = str(folder)
        files = []
        for p in sorted(folder.iterdir()) if folder.is_dir() else []:
            if p.is_file():
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
                files.append({"file": p.name, "bytes": p.stat().st_size, "sha256": digest})
        out["files"] = files
    return out
