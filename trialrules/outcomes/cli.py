"""
``trialrules outcomes TRIAL --data DIR``: a trial's registered outcome measures
computed from SDTM data, as JSON, text or a self-contained HTML report.

Exit codes: 0 when every domain file present was read; 1 when a domain file
could not be read (the document is still written, each such file named on
stderr) or when no domain at all could be read; 2 for usage errors (``--data``
not a directory, ``--out`` naming a file, a trial without measures). Output
is strict JSON (no NaN/Infinity: a non-finite number is written as null) and
files are written atomically inside ``--out``: a temporary file in that
directory, then renamed over the target, so a symlink at the target's name is
replaced, never followed.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from trialrules.api import Engine
from trialrules.language.models import Trial


def finite(value: Any) -> Any:
    """A copy of a JSON-like value with NaN/±Infinity replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def write_atomically(directory: Path, name: str, text: str) -> Path:
    """
    Write ``directory/name`` through a temporary file and a rename.

    The temporary file is created exclusively (never through an existing
    name or symlink) in the same directory; ``os.replace`` then swaps it in,
    replacing a symlink at ``name`` rather than writing where it points.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, directory / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return directory / name


def _arms(trial: Trial) -> list[dict[str, Any]]:
    out = []
    for a in trial.arms:
        dose = None
        if a.dose is not None:
            dose = {"value": a.dose.value, "unit": a.dose.unit, "per": a.dose.per}
        out.append({"id": a.id, "title": a.title, "dose": dose})
    return out


def run_outcomes(
    engine: Engine, trial: Trial, data_dir: Path, fmt: str, out: Path | None, *, quiet: bool = False
) -> int:
    """Compute and write the measures; return the exit code."""
    from trialrules.outcomes import read_study, render, run_measures
    from trialrules.outcomes.sdtm import SDTMError

    if not data_dir.is_dir():
        print(f"trialrules outcomes: --data {data_dir}: not a directory", file=sys.stderr)
        return 2
    if out is not None and out.exists() and not out.is_dir():
        print(f"trialrules outcomes: --out {out}: exists and is not a directory", file=sys.stderr)
        return 2
    if not trial.outcomes:
        print(f"trialrules outcomes: {trial.label} registers no outcome measures", file=sys.stderr)
        return 2
    try:
        study = read_study(data_dir)
    except (SDTMError, OSError) as exc:
        print(f"trialrules outcomes: --data {data_dir}: {exc}", file=sys.stderr)
        return 1
    unreadable = [p for p in study.problems if p.row is None]
    for p in unreadable:
        print(f"error: {data_dir / p.file}: {p.reason}", file=sys.stderr)
    if not study.domains:
        print(f"trialrules outcomes: {data_dir}: no SDTM domain could be read "
              "(expected dm, ex, ae, rs, tr, pc, lb, ds or cm as .csv, .xpt or .json)", file=sys.stderr)
        return 1
    measures = [
        {"id": o.id, "title": o.title, "time_frame": o.time_frame, "computation": o.computation or o.id,
         "parameters": dict(o.parameters)}
        for o in trial.outcomes
    ]
    computations = {name: fn for name, (fn, _) in engine.registry.outcome_computations.items()}
    document = finite(run_measures(trial.id, measures, data_dir, computations, _arms(trial), study))
    for line in document.get("input", {}).get("dose_notes", []):
        print(f"note: doses: {line}", file=sys.stderr)
    for entry in document["measures"]:
        if entry.get("note"):
            print(f"note: {entry['id']}: {entry['note']}", file=sys.stderr)
    from trialrules.outcomes.tables import provenance

    if fmt == "json":
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = render(document, fmt, study, provenance(data_dir, trial))  # type: ignore[arg-type]
    if out is not None:  # without --out the document goes to stdout (or -o FILE)
        target_dir = out
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            name = f"{trial.id}-outcomes.{ {'json': 'json', 'text': 'txt', 'html': 'html'}[fmt] }"
            target = write_atomically(target_dir, name, text)
        except OSError as exc:
            print(f"trialrules outcomes: cannot write to {target_dir}: {exc}", file=sys.stderr)
            return 1
        if not quiet:
            print(f"wrote {target}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 1 if unreadable else 0
