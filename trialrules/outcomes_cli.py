"""
``trialrules outcomes TRIAL --data DIR``: a trial's registered outcome measures
computed from SDTM data, as JSON, text or a self-contained HTML report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trialrules.api import Engine
from trialrules.models import Trial


def run_outcomes(engine: Engine, trial: Trial, data_dir: Path, fmt: str, out: Path | None) -> int:
    """Compute and write the measures; return the exit code."""
    from trialrules.outcomes import read_study, render, run_measures
    from trialrules.outcomes.sdtm import SDTMError

    if not data_dir.is_dir():
        print(f"trialrules outcomes: --data {data_dir}: not a directory", file=sys.stderr)
        return 2
    if not trial.outcomes:
        print(f"trialrules outcomes: {trial.label} registers no outcome measures", file=sys.stderr)
        return 2
    measures = [
        {"id": o.id, "title": o.title, "time_frame": o.time_frame, "computation": o.computation or o.id,
         "parameters": dict(o.parameters)}
        for o in trial.outcomes
    ]
    computations = {name: fn for name, (fn, _) in engine.registry.outcome_computations.items()}
    document = run_measures(trial.id, measures, data_dir, computations)
    for entry in document["measures"]:
        if entry.get("note"):
            print(f"note: {entry['id']}: {entry['note']}", file=sys.stderr)
    try:
        study = read_study(data_dir)
    except SDTMError:
        study = None
    from trialrules.outcomes.tables import provenance

    about = provenance(data_dir, trial)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else render(document, fmt, study, about)  # type: ignore[arg-type]
    if out is not None:
        target_dir = out
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / f"{trial.id}-outcomes.{ {'json': 'json', 'text': 'txt', 'html': 'html'}[fmt] }"
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
