"""
The ``trialrules`` command: list, show, validate, screen, plan, outcomes, test.

Exit codes (CONTRACT.md section 4): 0 done; 1 some input could not be read (or a
file is invalid, for ``validate``); 2 the command itself is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from trialrules._interrupt import deferred, exit_code, signals_raise
from trialrules.api import Engine, read_patients
from trialrules.engine.parallel import available_cores
from trialrules.errors import InputError, TrialRulesError, internal_error
from trialrules.language.models import InputFailure
from trialrules.limits import AS_OF_MAX, AS_OF_MIN
from trialrules.results import ScreeningResult


class UsageError(Exception):
    """The command line is wrong: exit 2 with one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if not AS_OF_MIN <= day <= AS_OF_MAX:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the dates trialrules screens on "
                                         f"({AS_OF_MIN} to {AS_OF_MAX})")
    return day


_FORMAT_HELP = (
    "json: one JSON array (default for files); ndjson: one result per line (default for a Bulk "
    "directory); text: for people at a terminal; html: one self-contained page; csv: one row per "
    "patient and trial (patient,trial,as_of,verdict,blocking,unknown)"
)


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of worker processes (1 or more)")
    return n


def _common() -> _Parser:
    """Options every subcommand takes."""
    common = _Parser(add_help=False)
    common.add_argument(
        "-o", "--output", type=Path, default=None, metavar="FILE",
        help="write the output to FILE instead of stdout (default: stdout)",
    )
    common.add_argument(
        "-q", "--quiet", action="store_true",
        help="no progress and no informational lines on stderr; errors and data warnings still show",
    )
    return common


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trialrules")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trialrules", description="Clinical-trial protocols as executable rules.")
    parser.add_argument("--version", action="version", version=f"trialrules {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    common = _common()

    sub.add_parser("list", parents=[common], help="installed trials, versions and plugins",
                   description="List the installed trials: id, version, aliases, plugin and title.")

    show = sub.add_parser("show", parents=[common], help="a trial's criteria, rules, arms and outcomes",
                          description="Print a trial's criteria (protocol words and the rule in readable form), "
                          "arms and outcome measures.")
    show.add_argument("trial", metavar="TRIAL", help="trial id or alias, e.g. cel001 or NCT05519384")

    validate = sub.add_parser("validate", parents=[common], help="check rule files, rules directories or plugins",
                              description="Check rule files against the schemas and their meaning.")
    validate.add_argument("paths", nargs="+", metavar="FILE", help="a rule file, a rules directory or a plugin directory")

    screen = sub.add_parser("screen", parents=[common], help="screen patients against trials",
                            description="Screen patients (FHIR Bundle, native record, Bulk export directory or - "
                            "for stdin) against trials; CONTRACT.md sections 2-4.")
    screen.add_argument("--trial", action="append", dest="trials", metavar="ID",
                        help="a trial id or alias; repeat for several (default: every installed trial)")
    screen.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="the screening date every window and age is measured from (default: today)")
    screen.add_argument("--format", choices=("json", "ndjson", "text", "html", "csv"), default=None, help=_FORMAT_HELP)
    screen.add_argument("--engine", choices=("python", "duckdb", "spark"), default="python",
                        help="python: the per-patient engine (default); duckdb, spark: a Bulk export through SQL "
                        "(CONTRACT.md section 8), same results")
    screen.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help="worker processes screening patients (default: the CPUs available); "
                             "the output is the same for any number")
    screen.add_argument("--spark-master", default=None, metavar="URL",
                        help="for --engine spark: the cluster (default: spark.master, else local[*])")
    screen.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="a FHIR Bundle or native record JSON file, a FHIR Bulk export directory, or -")

    plan = sub.add_parser("plan", parents=[common], help="a patient's doses, dates and windows in an arm",
                          description="A patient's doses, visit dates and DLT windows in one arm of a trial.")
    plan.add_argument("trial", metavar="TRIAL", help="trial id or alias")
    plan.add_argument("--arm", required=True, metavar="ID", help="the arm id (see `trialrules show TRIAL`); required")
    plan.add_argument("--first-dose", type=_date, required=True, metavar="YYYY-MM-DD",
                      help="date of the first dose; required")
    plan.add_argument("--weight", type=float, default=None, metavar="KG",
                      help="body weight in kg, for doses per kg or m² (default: none; such doses are not computed)")
    plan.add_argument("--height", type=float, default=None, metavar="CM",
                      help="height in cm, for doses per m² of body-surface area (Mosteller) (default: none)")
    plan.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                      help="dose=VALUE where the protocol states none, days=1,8,15 where it states no schedule, "
                      "weekdays=tue,thu,sat for a weekly schedule, outcomes='1NNN 2NNT' for a 3+3 decision; "
                      "repeat for several (default: none)")

    outcomes = sub.add_parser("outcomes", parents=[common], help="compute a trial's outcome measures from SDTM data",
                              description="Compute a trial's outcome measures from CDISC SDTM domains.")
    outcomes.add_argument("trial", metavar="TRIAL", help="trial id or alias")
    outcomes.add_argument("--data", required=True, type=Path, metavar="DIR",
                          help="directory of SDTM domains as CSV or SAS transport (dm, ex, ae, rs, pc, lb, ds); required")
    outcomes.add_argument("--format", choices=("json", "text", "html"), default="json",
                          help="json: the measures document; text: tables; html: the report with figures "
                          "(default: json)")
    outcomes.add_argument("--out", type=Path, default=None, metavar="DIR",
                          help="write TRIAL-outcomes.<json|txt|html> into DIR (default: stdout, or --output)")

    test = sub.add_parser("test", parents=[common], help="run a trial's YAML rule cases",
                          description="Run the YAML cases a trial plugin ships, with criterion coverage "
                          "(needs pytest: pip install 'trialrules[test]').")
    test.add_argument("trials", nargs="*", metavar="TRIAL", help="trial ids or aliases (default: every installed trial)")
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
        with signals_raise():
            if args.output is None:
                return int(handler(args))
            try:
                target = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise UsageError(f"--output {args.output}: {exc.strerror}") from None
            with target, contextlib.redirect_stdout(target):
                return int(handler(args))
    except UsageError as exc:
        print(f"trialrules {args.command}: {exc}", file=sys.stderr)
        return 2
    except TrialRulesError as exc:
        print(f"trialrules {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP through signals_raise
        print(f"trialrules {args.command}: interrupted ({exc or 'SIGINT'})", file=sys.stderr)
        return exit_code(exc)
    except Exception as exc:  # the last resort: one line naming the command, never a traceback
        print(f"trialrules {args.command}: {internal_error(exc)}", file=sys.stderr)
        return 1


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
    room = max(100 - sum(widths) - 2 * 4, 20)  # the title gets what is left of 100 columns
    for r in rows:
        title = r[4] if len(r[4]) <= room else r[4][: room - 1].rstrip() + "…"
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + title)
    if len(rows) == 1:
        print("no trials installed (pip install a trialrules-<trial> plugin)", file=sys.stderr)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from trialrules.views.show import render_trial

    engine = Engine()
    trial = engine.trial(args.trial)
    _report_problems(engine)
    compiled = engine.compiled(trial.id)
    sys.stdout.write(render_trial(trial, compiled.valuesets, engine.registry.functions))
    return 0


# -- validate ----------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from trialrules.language.validate import coverage_warnings_for, validate_paths

    engine = Engine()  # installed plugins too: rules may call the functions they register
    notes: list[str] = []
    problems, checked = validate_paths([Path(p) for p in args.paths], engine.registry, notes)
    for p in problems:
        print(p)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    warnings = coverage_warnings_for([Path(p) for p in args.paths], engine.registry)
    for w in warnings:
        print(w)
    if warnings:  # warnings inform; they do not fail validation
        print(f"{len(warnings)} value-set warning(s)", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {checked} file(s)", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{checked} file(s) valid", file=sys.stderr)
    return 0


# -- screen ------------------------------------------------------------------


def _cmd_screen(args: argparse.Namespace) -> int:
    from trialrules.views.progress import Progress

    engine = Engine()
    trial_ids = None
    if args.trials:
        trial_ids = [engine.trial(t).id for t in args.trials]
    # A broken plugin is reported and left out; every other trial is still screened.
    for problem in engine.problems:
        print(f"trialrules screen: {problem}", file=sys.stderr)
    broken = bool(engine.problems) and trial_ids is None
    is_dir = any(Path(i).is_dir() for i in args.inputs)
    fmt = args.format or ("ndjson" if is_dir else "json")
    writer = _Writer(fmt, sys.stdout)
    failed = 0

    def on_error(failure: InputFailure) -> None:
        nonlocal failed
        failed += 1
        with writer.progress.cleared() if writer.progress is not None else contextlib.nullcontext():
            print(failure.error, file=sys.stderr)
        writer.write_failure(failure)

    population = _population(args, engine, trial_ids)
    try:
        for name in args.inputs:
            progress = Progress(
                _bulk_size(name, engine), enabled=False if args.quiet or not Path(name).is_dir() else None
            )
            writer.progress = progress
            with progress:
                progress.start_phase(f"indexing the export {name}" if Path(name).is_dir() else f"reading {name}")
                _screen_input(engine, name, trial_ids, args.as_of, writer, on_error, progress, population,
                              (args.jobs or available_cores()) if population is None else 1)
    except KeyboardInterrupt as exc:
        # Whatever was written stays well-formed: close the JSON array, then stop.
        writer.close()
        print(f"trialrules screen: interrupted ({exc or 'SIGINT'}); the output ends "
              "after the last complete result", file=sys.stderr)
        return exit_code(exc)
    writer.close()
    if broken:
        print("trialrules screen: some installed trials were not screened (above); exit 2", file=sys.stderr)
        return 2
    return 1 if failed else 0


def _screen_input(engine: Engine, name: str, trial_ids: list[str] | None, as_of: dt.date | None,
                  writer: _Writer, on_error: Any, progress: Any, population: Any = None, jobs: int = 1) -> None:
    """Screen one input; an unexpected exception becomes an error line for this input
    (or this patient) and the batch goes on."""
    if population is not None:
        patients = population(name, on_error)
    else:
        patients = read_patients(name, on_error=on_error, registry=engine.registry)
    try:
        records = _with_warnings(patients, progress)
        if getattr(population, "judges", False):  # Spark judged each patient on its workers already
            pairs: Any = ((r, _judged(r)) for r in records)
        else:
            pairs = engine.screen_records(records, trial_ids, as_of, jobs=jobs)
        for record, results in pairs:
            if isinstance(results, Exception):  # an evaluation bug on one patient: the others are still screened
                error = InputError(internal_error(results), file=name, resource=f"Patient/{record.id}")
                on_error(InputFailure(name, error.format_message()))
                continue
            for result in results:
                writer.write_result(result)
    except Exception as exc:  # a reader bug: the input is reported, the next input is read
        on_error(InputFailure(name, InputError(internal_error(exc), file=name).format_message()))
    finally:
        patients.close()  # a Bulk reader removes its temporary data now, even when interrupted


def _judged(item: Any) -> Any:
    try:
        return item.results()
    except Exception as exc:  # the worker's error, reported like the per-patient engine's
        return exc


def _population(args: argparse.Namespace, engine: Engine, trial_ids: list[str] | None) -> Any:
    """For ``--engine duckdb|spark``: a reader of Bulk exports through SQL (CONTRACT.md section 8)."""
    if args.engine == "python":
        return None
    from trialrules.population import EngineUnavailable, check_engine, engine_note, population_records

    try:
        check_engine(args.engine)
    except EngineUnavailable as exc:
        raise UsageError(str(exc)) from None
    for name in args.inputs:
        if not Path(name).is_dir():
            raise UsageError(f"--engine {args.engine} screens a Bulk export directory; {name!r} is not one")
    ids = trial_ids if trial_ids is not None else sorted(engine.installed.trials)
    summary = args.format == "csv"  # the verdict summary: the rules compiled to SQL
    if not args.quiet:
        print(f"trialrules screen: {engine_note(engine, ids, args.engine, summary)}", file=sys.stderr)

    def read(name: str, on_error: Any) -> Any:
        return population_records(Path(name), engine, ids, args.engine, on_error, spark_master=args.spark_master,
                                  as_of=args.as_of or dt.date.today(), summary=summary)

    read.judges = args.engine == "spark" or summary  # type: ignore[attr-defined]
    return read


def _with_warnings(patients: Any, progress: Any) -> Any:
    first = True
    for record in patients:
        if first:
            progress.start_phase("screening")
            first = False
        for warning in record.warnings:
            with progress.cleared():
                print(f"warning: {warning}", file=sys.stderr)
        yield record
        progress.step()


def _bulk_size(name: str, engine: Engine) -> int | None:
    """How many patients a Bulk export holds (for the progress line), if an adapter can count them."""
    path = Path(name)
    if name == "-" or not path.is_dir():
        return None
    for adapter in engine.registry.input_adapters:
        count = getattr(adapter, "count", None)
        if count is not None and adapter.sniff(path, None):
            try:
                return int(count(path))
            except OSError:
                return None
    return None


class _Writer:
    """Writes results as they come (json, ndjson, text) or all at the end (html)."""

    def __init__(self, fmt: str, out: IO[str]) -> None:
        from trialrules.views import Style

        self.fmt = fmt
        self.out = out
        self.first = True
        self.closed = False
        self.progress: Any = None
        self.style = Style.for_stream(out)
        self._to_terminal = self.style.colour or _isatty(out)
        self.verdicts: list[str] = []
        self.results: list[ScreeningResult] = []
        self.failures: list[InputFailure] = []
        self._csv = csv.writer(_Lines(self._write), lineterminator="\n")
        if fmt == "json":
            out.write("[")

    def _write(self, text: str) -> None:
        # Never share a terminal line with the progress line: it is cleared and held off
        # until the text is flushed.
        hold = self.progress.cleared() if self.progress is not None and self._to_terminal else contextlib.nullcontext()
        with hold, deferred():  # a signal never cuts a result in two
            self.out.write(text)
            if self.progress is not None and self._to_terminal:
                self.out.flush()

    def _json_item(self, obj: dict[str, Any]) -> None:
        if self.fmt == "json":
            self._write(("\n" if self.first else ",\n") + strict_json(obj, indent=2))
            self.first = False
        else:
            self._write(strict_json(obj, separators=(",", ":")) + "\n")

    def write_result(self, result: ScreeningResult) -> None:
        self.verdicts.append(result.verdict)
        if self.fmt == "csv":
            from trialrules.views.csvout import CSV_HEADER, csv_row

            if self.first:
                self._csv.writerow(CSV_HEADER)
                self.first = False
            self._csv.writerow(csv_row(result))
        elif self.fmt == "text":
            from trialrules.views import render_text

            self._write(_SURROGATE.sub("\ufffd", render_text(result, self.style)))
        elif self.fmt == "html":
            self.results.append(result)
        else:
            self._json_item(result.to_dict())

    def write_failure(self, failure: InputFailure) -> None:
        self.failures.append(failure)
        if self.fmt == "text":
            self._write(_SURROGATE.sub("\ufffd", f"{failure.input}: could not be read: {failure.error}\n\n"))
        elif self.fmt not in ("html", "csv"):  # a csv row is a screening: the failure is on stderr
            self._json_item(failure.to_dict())

    def close(self) -> None:
        from trialrules.views import render_html, summary_line

        if self.closed:
            return
        self.closed = True
        if self.fmt == "json":
            self._write("\n]\n" if not self.first else "]\n")
        elif self.fmt == "csv" and self.first:
            from trialrules.views.csvout import CSV_HEADER

            self._csv.writerow(CSV_HEADER)
        elif self.fmt == "text":
            self._write(summary_line(self.verdicts, len(self.failures)) + "\n")
        elif self.fmt == "html":
            self._write(render_html(self.results, self.failures, version=_version()))
        with deferred():
            self.out.flush()


class _Lines:
    """The file csv.writer writes to: every row goes through ``_Writer._write``."""

    def __init__(self, write: Any) -> None:
        self.write = write


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# A lone surrogate (from a ``\\udXXX`` escape in the input) cannot be written as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def strict_json(obj: Any, **options: Any) -> str:
    """JSON any parser accepts: non-finite numbers as the strings ``inf``, ``-inf``,
    ``nan`` (not the non-standard ``Infinity``), lone surrogates as U+FFFD."""
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, **options)
    except ValueError:
        text = json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False, **options)
    try:  # encoding finds a lone surrogate ~7x faster than the regex scans a clean text
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


# -- plan --------------------------------------------------------------------


def _cmd_plan(args: argparse.Namespace) -> int:
    from trialrules.arms import plan, plugin_lines

    engine = Engine()
    trial = engine.trial(args.trial)
    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        params[key.strip()] = value.strip()
    arm = next((a for a in trial.arms if a.id == args.arm), None)
    if arm is None:
        raise UsageError(f"trial {trial.id} has no arm {args.arm!r}; arms: {', '.join(a.id for a in trial.arms)}")
    lines = plan(trial, arm, args.first_dose, weight_kg=args.weight, height_cm=args.height, parameters=params)
    try:
        lines += plugin_lines(engine.plugin_manager, trial, arm, args.first_dose, args.weight, params)
    except TrialRulesError:
        raise
    except Exception as exc:  # a plugin's bug: one line, exit 2
        raise UsageError(f"the plugin of {trial.label} could not plan arm {arm.id}: {type(exc).__name__}: {exc}") from None
    width = max((len(k) for k, _ in lines), default=0)
    print(f"{trial.label} — {arm.title}")
    for key, value in lines:
        print(f"  {key.ljust(width)}  {value}")
    return 0


# -- outcomes ----------------------------------------------------------------


def _cmd_outcomes(args: argparse.Namespace) -> int:
    from trialrules.outcomes.cli import run_outcomes

    engine = Engine()
    trial = engine.trial(args.trial)
    return run_outcomes(engine, trial, args.data, args.format, args.out, quiet=args.quiet)


# -- test --------------------------------------------------------------------


def _cases_dir(trial: Any) -> Path | None:
    """Where a trial's YAML cases are: beside its rules in an installed plugin
    (``<package>/cases``), or in a source checkout (``tests/cases``)."""
    if not trial.rules_dir:
        return None
    rules = Path(trial.rules_dir)
    for candidate in (rules.parent / "cases", rules.parent.parent / "tests" / "cases"):
        if candidate.is_dir():
            return candidate
    return None


def _cmd_test(args: argparse.Namespace) -> int:
    try:
        import pytest
    except ImportError:
        raise UsageError("needs pytest to run YAML cases: pip install 'trialrules[test]'") from None

    engine = Engine()
    trials = [engine.trial(t) for t in args.trials] if args.trials else engine.trials
    paths = []
    for trial in trials:
        cases = _cases_dir(trial)
        if cases is not None:
            paths.append(str(cases))
        else:
            print(f"trialrules test: {trial.label} ships no YAML cases (looked beside {trial.rules_dir})", file=sys.stderr)
    if not paths:
        return 2
    # A plugin's tests/conftest.py imports the collection hooks; load them here only without one.
    needs_plugin = any(not (Path(p).parent / "conftest.py").exists() for p in paths)
    extra = ["-p", "trialrules.testing"] if needs_plugin else []
    quiet = ["-q"] if not args.quiet else ["-qq"]
    return int(pytest.main([*extra, *quiet, "-p", "no:cacheprovider", "--rootdir", str(Path(paths[0]).parent), *paths]))


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
