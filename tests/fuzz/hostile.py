"""
Seeded mutation fuzzing of every reader (issue 14): FHIR Bundles, Bulk exports,
native records and rule files, grown from the repository's own realistic examples.

Each ``fuzz_*`` function takes a ``random.Random`` and a scratch directory, builds
one hostile input, runs it through the public entry points, checks the properties
below, and returns a :class:`Tally`. A violated property raises ``AssertionError``
naming the seed. Used by tests/fuzz/test_fuzz.py (a few hundred inputs, in the test
suite) and benchmarks/fuzz_hostile.py (thousands, for the README figures).

Properties: no exception escapes a reader, the evaluator or the writer; records +
errors account for every input (every Bundle, every native record, every Patient
line of an export); the output is strict JSON (no NaN/Infinity, no lone
surrogate, parseable); rule files give problems or a trial, never a crash.
"""

from __future__ import annotations

import bz2
import codecs
import copy
import datetime as dt
import gzip
import json
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from attrs import define

from trialrules import Engine, read_patients
from trialrules.cli import strict_json
from trialrules.inputs.fhir import jsonfile
from trialrules.language.models import InputFailure, PatientRecord
from trialrules.language.registry import Registry
from trialrules.language.validate import validate_paths

REPO = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 1, 15)

# Values that broke a reader once, or plausibly could: numbers beyond float and
# int limits, units that divide by zero or overflow, dates at the calendar's ends,
# lone surrogates, control characters, long strings, references of every form.
HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 2**63, 10**400, 1e308, -1e308, 1e-320, 0.1, "", " ", "\x00", "\ud800",
    "\udfff x", "é" * 3, "x" * 5000, "NaN", "Infinity", "-0", "1e999", "[]", "{}", [], {}, [[[]]],
    {"reference": "Patient/"}, {"reference": "#"}, {"reference": "urn:uuid:"}, {"reference": "Patient/p/_history/1"},
    {"value": 10**401, "code": "10*9/L", "system": "http://unitsofmeasure.org"},
    {"value": 1.5, "code": "10*9/0", "system": "http://unitsofmeasure.org"},
    {"value": 1.5, "code": "10*400/L", "system": "http://unitsofmeasure.org"},
    {"value": 1.5, "code": "kg400", "system": "http://unitsofmeasure.org"},
    {"value": 1.5, "code": "/0", "system": "http://unitsofmeasure.org"},
    {"value": 1.5, "code": "{", "system": "http://unitsofmeasure.org"},
    {"value": 1.5, "comparator": "<>", "code": "g/L"},
    "0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00", "0000-00-00", "2026-02-30", "2026-13", "2026",
    "2026-01-10T25:00:00Z", "-2026-01-01", "2026-01-10T10:00:00", "1-1-1",
    {"start": "9999-12-31", "end": "0001-01-01"}, {"coding": [{"system": "http://loinc.org", "code": "751-8"}]},
    {"coding": [{"system": None, "code": 5}]}, {"coding": "x"}, {"low": {"value": 10**400}}, [None] * 3,
]
TEXT_MUTATIONS = ("truncate", "flip", "bom", "invalid_utf8", "nest", "duplicate_key", "big_number", "escape")


@define
class Tally:
    """What one run did: inputs tried, records read, input errors reported."""

    inputs: int = 0
    records: int = 0
    errors: int = 0
    results: int = 0
    internal: int = 0  #: errors that are a caught bug of ours ("internal error", "could not be read (")

    def add(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.records += other.records
        self.errors += other.errors
        self.results += other.results
        self.internal += other.internal


def _internal(failures: list[InputFailure]) -> int:
    return sum("internal error (" in f.error or "could not be read (" in f.error for f in failures)


# -- mutation ------------------------------------------------------------------


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _nodes(v, path + (i,))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def mutate_tree(rng: random.Random, doc: Any, rounds: int = 3) -> Any:
    """Replace, delete, duplicate or deepen random nodes of a JSON document."""
    doc = copy.deepcopy(doc)
    for _ in range(rounds):
        paths = [p for p in _nodes(doc) if p]
        if not paths:
            return rng.choice(HOSTILE_VALUES)
        path = rng.choice(paths)
        parent, key = _get(doc, path[:-1]), path[-1]
        action = rng.random()
        if action < 0.6:
            parent[key] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        elif action < 0.75:
            del parent[key]
        elif action < 0.85 and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif action < 0.95:
            node: Any = parent[key]
            for _ in range(rng.choice((2, 50, 150))):
                node = [node] if rng.random() < 0.5 else {"x": node}
            parent[key] = node
        else:
            parent[key] = str(parent[key]) if not isinstance(parent[key], str) else [parent[key]]
    return doc


def mutate_text(rng: random.Random, data: bytes) -> bytes:
    """A byte-level mutation of a serialised document."""
    kind = rng.choice(TEXT_MUTATIONS)
    if kind == "truncate" and data:
        return data[: rng.randrange(len(data))]
    if kind == "flip" and data:
        i = rng.randrange(len(data))
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if kind == "bom":
        return codecs.BOM_UTF8 + data
    if kind == "invalid_utf8" and data:
        i = rng.randrange(len(data))
        return data[:i] + rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80")) + data[i:]
    if kind == "nest":
        depth = rng.choice((101, 2000, 100_000))
        return b"[" * depth + data + b"]" * depth
    if kind == "duplicate_key" and data.startswith(b"{"):
        return b'{"resourceType": "Bundle", ' + data[1:]
    if kind == "big_number":
        return data.replace(b": 1", b": 1" + b"7" * rng.choice((20, 310, 5000)), 1)
    return data.replace(b'"', b'"\\ud83d', 1) if data else data


# -- properties ----------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"output holds the non-standard JSON constant {name}")


def check_output(engine: Engine, records: list[PatientRecord], failures: list[InputFailure]) -> int:
    """Screen the records and write everything as the CLI does; the output must be
    strict JSON that a UTF-8 writer accepts. Returns the number of results."""
    count = 0
    for record in records:
        for result in engine.screen([record], None, AS_OF):
            text = strict_json(result.to_dict())
            text.encode("utf-8")  # a lone surrogate would raise here
            json.loads(text, parse_constant=_refuse_constant)
            count += 1
    for failure in failures:
        text = strict_json(failure.to_dict())
        text.encode("utf-8")
        assert "Traceback" not in failure.error and len(failure.error) < 3000, failure.error[:300]
    return count


def _read(path: Path) -> tuple[list[PatientRecord], list[InputFailure]]:
    failures: list[InputFailure] = []
    records = list(read_patients(path, on_error=failures.append))
    for r in records:
        strict_json([w for w in r.warnings]).encode("utf-8")
        assert all(len(w) < 3000 for w in r.warnings), "a warning echoes a value unclipped"
    return records, failures


# -- seeds ---------------------------------------------------------------------


def bundle_seeds() -> list[Any]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((REPO / "examples" / "fhir").glob("*.json"))]


def bulk_seeds() -> dict[str, list[Any]]:
    """The example Bulk export, file by file."""
    return {p.name: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
            for p in sorted((REPO / "examples" / "fhir" / "bulk").glob("*.ndjson"))}


def native_seeds() -> list[Any]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((REPO / "examples" / "patients").glob("*/*.json"))]


def rule_seeds() -> list[Path]:
    return sorted((REPO / "plugins").glob("*/trialrules_*/rules/criteria/*/*.yaml"))


# -- one input per reader ------------------------------------------------------


def fuzz_bundle(rng: random.Random, tmp: Path, engine: Engine, seeds: list[Any]) -> Tally:
    doc = mutate_tree(rng, rng.choice(seeds), rounds=rng.choice((1, 2, 4)))
    data = json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if rng.random() < 0.3:
        data = mutate_text(rng, data)
    path = tmp / "bundle.json"
    path.write_bytes(data)
    records, failures = _read(path)
    assert len(records) + len(failures) == 1, (len(records), [f.error for f in failures])
    return Tally(1, len(records), len(failures), check_output(engine, records, failures), _internal(failures))


def fuzz_native(rng: random.Random, tmp: Path, engine: Engine, seeds: list[Any]) -> Tally:
    batch = [copy.deepcopy(rng.choice(seeds)) for _ in range(rng.randint(1, 3))]
    doc = [mutate_tree(rng, r, rounds=rng.choice((1, 2))) for r in batch]
    path = tmp / "native.json"
    data = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:
        data = mutate_text(rng, data)
    path.write_bytes(data)
    records, failures = _read(path)
    parsed, problem = jsonfile.loads(data)
    if problem is None and isinstance(parsed, list) and parsed and all(
            isinstance(x, dict) and "resourceType" not in x for x in parsed):
        assert len(records) + len(failures) == len(parsed), (len(records), len(failures), len(parsed))
    else:
        assert len(records) + len(failures) >= 1
    return Tally(1, len(records), len(failures), check_output(engine, records, failures), _internal(failures))


def _bulk_lines(rng: random.Random, seeds: dict[str, list[Any]]) -> dict[str, list[bytes]]:
    """A few patients of the example export with all their resources, some mutated."""
    chosen = {r["id"] for r in rng.sample(seeds["Patient.ndjson"], k=rng.randint(1, 4))}
    files: dict[str, list[bytes]] = {}
    for name, resources in seeds.items():
        for resource in resources:
            subject = resource.get("subject") or resource.get("patient") or {}
            if resource.get("resourceType") == "Patient":
                if resource["id"] not in chosen:
                    continue
            elif resource.get("resourceType") != "Medication" and subject.get("reference") not in {
                    f"Patient/{p}" for p in chosen}:
                continue
            if rng.random() < 0.1:
                resource = mutate_tree(rng, resource, rounds=1)
            line = json.dumps(resource, ensure_ascii=False).encode("utf-8", "surrogatepass")
            if rng.random() < 0.03:
                line = mutate_text(rng, line).replace(b"\n", b" ")
            files.setdefault(name, []).append(line)
    return files


def _expected_patient_lines(lines: list[bytes]) -> list[tuple[int, str | None]]:
    """(line number, id of a first-seen usable Patient or None) for each Patient-file
    line that must give a record or a failure."""
    out: list[tuple[int, str | None]] = []
    seen: set[str] = set()
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        doc, problem = jsonfile.loads(raw)
        if problem is not None or not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
            out.append((n, None))
        elif doc["resourceType"] == "Patient":
            pid = doc.get("id")
            usable = isinstance(pid, str) and pid and pid not in seen
            try:
                pid.encode("utf-8") if usable else None
            except UnicodeEncodeError:
                usable = False
            out.append((n, pid if usable else None))
            if usable:
                seen.add(pid)
    return out


def fuzz_bulk(rng: random.Random, tmp: Path, engine: Engine, seeds: dict[str, list[Any]]) -> Tally:
    export = tmp / "export"
    shutil.rmtree(export, ignore_errors=True)
    export.mkdir()
    files = _bulk_lines(rng, seeds)
    patient_lines: list[bytes] = []
    for name, lines in files.items():
        data = b"".join(line + b"\n" for line in lines)
        how = rng.random()
        if name == "Patient.ndjson":
            patient_lines = lines
            how = 0.0  # compressed Patient files are checked for equality in test_bulk_files
        if how < 0.7:
            (export / name).write_bytes(data)
        elif how < 0.85:
            (export / (name + ".gz")).write_bytes(gzip.compress(data))
        elif how < 0.95:
            (export / (name.upper())).write_bytes(data)
        else:
            (export / (name + ".bz2")).write_bytes(bz2.compress(data))
    if rng.random() < 0.2:
        (export / rng.choice(("notes.txt", "Observation.json", ".DS_Store"))).write_bytes(b"x")
    if not patient_lines:
        (export / "Patient.ndjson").write_bytes(b"")
    records, failures = _read(export)
    pfile = str(export / "Patient.ndjson")
    ids = {r.id for r in records}
    assert len(ids) == len(records), "a patient was written twice"
    for n, pid in _expected_patient_lines(patient_lines):
        if pid is not None:
            assert pid in ids or any(f.error.startswith(f"{pfile}:{n}:") for f in failures), (n, pid)
        else:
            assert any(f.error.startswith(f"{pfile}:{n}:") for f in failures), f"Patient line {n} dropped"
    return Tally(1, len(records), len(failures), check_output(engine, records, failures), _internal(failures))


def fuzz_rule_file(rng: random.Random, tmp: Path, registry: Registry, seeds: list[Path]) -> Tally:
    from trialrules.language.safe_yaml import safe_load

    source = rng.choice(seeds)
    text = source.read_text(encoding="utf-8")
    if rng.random() < 0.6:
        doc = mutate_tree(rng, safe_load(text), rounds=rng.choice((1, 2, 3)))
        text = json.dumps(doc, ensure_ascii=False) if rng.random() < 0.5 else _yaml_dump(doc)
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.4:
        data = mutate_text(rng, data)
    if rng.random() < 0.1:
        data = _alias_bomb(rng) + data
    path = tmp / source.name
    path.write_bytes(data)
    problems, checked = validate_paths([path], registry)
    assert checked == 1
    for p in problems:
        assert len(str(p)) < 3000, str(p)[:300]
        str(p).encode("utf-8", "backslashreplace")
    return Tally(1, 0 if problems else 1, 1 if problems else 0)


def _yaml_dump(doc: Any) -> str:
    import yaml

    try:
        return yaml.safe_dump(doc, allow_unicode=True)
    except (yaml.YAMLError, RecursionError):
        return json.dumps(doc)


def _alias_bomb(rng: random.Random) -> bytes:
    width, depth = rng.choice(((9, 9), (2, 60), (3, 30)))
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    for i in range(1, depth):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return ("\n".join(lines) + "\n").encode()


READERS: dict[str, Callable[..., Tally]] = {
    "bundle": fuzz_bundle, "bulk": fuzz_bulk, "native": fuzz_native, "rules": fuzz_rule_file,
}
