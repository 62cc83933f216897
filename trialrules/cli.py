"""
The ``trialrules`` command: list, show, validate, screen, plan, outcomes, test.

Exit codes (CONTRACT.md section 4): 0 done; 1 some input could not be read (or a
file is invalid, for ``validate``); 2 the command itself is wrong.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from trialrules.api import Engine, read_patients
from trialrules.errors import TrialRulesError
from trialrules.models import InputFailure, ScreeningResult


class UsageError(Exception):
    """The command line is wrong: exit 2 with one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trialrules", description="Clinical-trial protocols as executable rules.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="installed trials, versions and plugins")

    show = sub.add_parser("show", help="a trial's criteria, arms and outcomes")
    show.add_argument("trial")

    validate = sub.add_parser("validate", help="check rule files, rules directories or plugins")
    validate.add_argument("paths", nargs="+", metavar="FILE")

    screen = sub.add_parser("screen", help="screen patients against trials")
    screen.add_argument("--trial", action="append", dest="trials", metavar="ID")
    screen.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD")
    screen.add_argument("--format", choices=("json", "ndjson", "text", "csv"), default=None)
    screen.add_argument("--engine", choices=("python", "duckdb", "spark"), default="python")
    screen.add_argument("--spark-master", default=None, metavar="URL")
    screen.add_argument("inputs", nargs="+", metavar="INPUT")

    plan = sub.add_parser("plan", help="a patient's doses, dates and windows in an arm")
    plan.add_argument("trial")
    plan.add_argument("--arm", required=True)
    plan.add_argument("--first-dose", type=_date, required=True, metavar="YYYY-MM-DD")
    plan.add_argument("--weight", type=float, default=None, metavar="KG")
    plan.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")

    outcomes = sub.add_parser("outcomes", help="compute a trial's outcome measures from SDTM data")
    outcomes.add_argument("trial")
    outcomes.add_argument("--data", required=True, type=Path, metavar="DIR")
    outcomes.add_argument("--format", choices=("json", "text", "html"), default="json")
    outcomes.add_argument("--out", type=Path, default=None, metavar="DIR")

    test = sub.add_parser("test", help="run a trial's YAML rule cases")
    test.add_argument("trials", nargs="*", metavar="TRIAL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        handler = globals()[f"_cmd_{args.command}"]
        return int(handler(args))
    except UsageError as exc:
        print(f"trialrules {args.command}: {exc}", file=sys.stderr)
        return 2
    except TrialRulesError as exc:
        print(f"trialrules {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def _report_problems(engine: Engine) -> None:
    for problem in engine.problems:
        print(f"warning: {problem}", file=sys.stderr)


# -- list / show -------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    engine = Engine()
    _report_problems(engine)
    rows = [("TRIAL", "VERSION", "ALIASES", "PLUGIN", "TITLE")]
    for t in engine.trials:
        rows.append((t.id, t.version, ",".join(t.aliases) or "-", t.plugin or "-", t.title))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
    if len(rows) == 1:
        print("no trials installed (pip install a trialrules-<trial> plugin)", file=sys.stderr)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from trialrules.show import render_trial

    engine = Engine()
    trial = engine.trial(args.trial)
    _report_problems(engine)
    sys.stdout.write(render_trial(trial))
    return 0


# -- validate ----------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from trialrules.validate import validate_paths

    engine = Engine()  # installed plugins too: rules may call the functions they register
    problems, checked = validate_paths([Path(p) for p in args.paths], engine.registry)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {checked} file(s)", file=sys.stderr)
        return 1
    print(f"{checked} file(s) valid", file=sys.stderr)
    return 0


# -- screen ------------------------------------------------------------------


def _cmd_screen(args: argparse.Namespace) -> int:
    engine = Engine()
    trial_ids = None
    if args.trials:
        trial_ids = [engine.trial(t).id for t in args.trials]
    if engine.problems:
        for problem in engine.problems:
            print(f"trialrules screen: {problem}", file=sys.stderr)
        if trial_ids is None:
            return 2
    is_dir = any(Path(i).is_dir() for i in args.inputs)
    fmt = args.format or ("ndjson" if is_dir else "json")
    writer = _Writer(fmt, sys.stdout)
    failed = 0

    def on_error(failure: InputFailure) -> None:
        nonlocal failed
        failed += 1
        print(failure.error, file=sys.stderr)
        writer.write_failure(failure)

    population = _population(args, engine, trial_ids)
    for name in args.inputs:
        if population is not None:
            patients = population(name, on_error)
        else:
            patients = read_patients(name, on_error=on_error, registry=engine.registry)
        progress = _Progress.for_input(name, engine)
        for result in engine.screen(_with_warnings(patients, progress), trial_ids, args.as_of):
            writer.write_result(result)
        progress.done()
    writer.close()
    return 1 if failed else 0


def _population(args: argparse.Namespace, engine: Engine, trial_ids: list[str] | None) -> Any:
    """For ``--engine duckdb|spark``: a reader of Bulk exports through SQL (CONTRACT.md section 8)."""
    if args.engine == "python":
        return None
    from trialrules.population import EngineUnavailable, engine_note, population_records

    for name in args.inputs:
        if not Path(name).is_dir():
            raise UsageError(f"--engine {args.engine} screens a Bulk export directory; {name!r} is not one")
    ids = trial_ids if trial_ids is not None else sorted(engine.registry.trials)
    print(f"trialrules screen: {engine_note(engine, ids, args.engine)}", file=sys.stderr)

    def read(name: str, on_error: Any) -> Any:
        try:
            yield from population_records(Path(name), engine, ids, args.engine, on_error,
                                          spark_master=args.spark_master)
        except EngineUnavailable as exc:
            raise UsageError(str(exc)) from None

    return read


def _with_warnings(patients: Any, progress: _Progress) -> Any:
    for record in patients:
        for warning in record.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        progress.step()
        yield record


class _Progress:
    """A progress bar on stderr for Bulk inputs, drawn only on a terminal."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.count = 0
        self.enabled = total is not None and sys.stderr.isatty()

    @classmethod
    def for_input(cls, name: str, engine: Engine) -> _Progress:
        path = Path(name)
        if name == "-" or not path.is_dir():
            return cls(None)
        for adapter in engine.registry.input_adapters:
            count = getattr(adapter, "count", None)
            if count is not None and adapter.sniff(path, None):
                try:
                    return cls(count(path))
                except OSError:
                    return cls(None)
        return cls(None)

    def step(self) -> None:
        self.count += 1
        if self.enabled and self.total and (self.count % 100 == 0 or self.count == self.total):
            width = 30
            filled = int(width * self.count / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total} patients")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


class _Writer:
    def __init__(self, fmt: str, out: IO[str]) -> None:
        self.fmt = fmt
        self.out = out
        self.first = True
        self._csv = csv.writer(out, lineterminator="\n")
        if fmt == "json":
            out.write("[")

    def _json_item(self, obj: dict[str, Any]) -> None:
        if self.fmt == "json":
            self.out.write(("\n" if self.first else ",\n") + json.dumps(obj, ensure_ascii=False, indent=2))
            self.first = False
        else:
            self.out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")

    def write_result(self, result: ScreeningResult) -> None:
        if self.fmt == "csv":
            from trialrules.csvout import CSV_HEADER, csv_row

            if self.first:
                self._csv.writerow(CSV_HEADER)
                self.first = False
            self._csv.writerow(csv_row(result))
        elif self.fmt == "text":
            from trialrules.show import render_result

            self.out.write(render_result(result))
        else:
            self._json_item(result.to_dict())

    def write_failure(self, failure: InputFailure) -> None:
        if self.fmt == "csv":
            return  # a csv row is a screening; the failure is on stderr (and the exit code)
        if self.fmt == "text":
            self.out.write(f"{failure.input}: could not be read: {failure.error}\n\n")
        else:
            self._json_item(failure.to_dict())

    def close(self) -> None:
        if self.fmt == "csv" and self.first:
            from trialrules.csvout import CSV_HEADER

            self._csv.writerow(CSV_HEADER)
        if self.fmt == "json":
            self.out.write("\n]\n" if not self.first else "]\n")
        self.out.flush()


# -- plan --------------------------------------------------------------------


def _cmd_plan(args: argparse.Namespace) -> int:
    from trialrules.arms import plan_lines

    engine = Engine()
    trial = engine.trial(args.trial)
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        params[key] = value
    arm = next((a for a in trial.arms if a.id == args.arm), None)
    if arm is None:
        raise UsageError(f"trial {trial.id} has no arm {args.arm!r}; arms: {', '.join(a.id for a in trial.arms)}")
    lines = plan_lines(trial, arm, args.first_dose, args.weight)
    try:
        extras = engine.plugin_manager.hook.trialrules_plan_arm(
            trial_id=trial.id, arm_id=arm.id, first_dose=args.first_dose, weight_kg=args.weight, parameters=params
        )
    except TrialRulesError:
        raise
    except Exception as exc:  # a plugin's bug or a bad --param it did not check: one line, exit 2
        raise UsageError(f"the plugin of {trial.label} could not plan arm {arm.id}: {type(exc).__name__}: {exc}") from None
    for extra in extras:
        lines.extend(extra or [])
    width = max((len(k) for k, _ in lines), default=0)
    print(f"{trial.label} — {arm.title}")
    for key, value in lines:
        print(f"  {key.ljust(width)}  {value}")
    return 0


# -- outcomes ----------------------------------------------------------------


def _cmd_outcomes(args: argparse.Namespace) -> int:
    from trialrules.outcomes_cli import run_outcomes

    engine = Engine()
    trial = engine.trial(args.trial)
    return run_outcomes(engine, trial, args.data, args.format, args.out)


# -- test --------------------------------------------------------------------


def _cmd_test(args: argparse.Namespace) -> int:
    import pytest

    engine = Engine()
    trials = [engine.trial(t) for t in args.trials] if args.trials else engine.trials
    paths = []
    for trial in trials:
        cases = Path(trial.rules_dir or ".").parent.parent / "tests" / "cases"
        if cases.is_dir():
            paths.append(str(cases))
        else:
            print(f"trialrules test: {trial.label} has no YAML cases next to its rules ({cases})", file=sys.stderr)
    if not paths:
        return 2
    # A plugin's tests/conftest.py imports the collection hooks; load them here only without one.
    needs_plugin = any(not (Path(p).parent / "conftest.py").exists() for p in paths)
    extra = ["-p", "trialrules.testing"] if needs_plugin else []
    return int(pytest.main([*extra, "-q", "-p", "no:cacheprovider", *paths]))


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except TrialRulesError as exc:
        print(f"trialrules: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    run()
