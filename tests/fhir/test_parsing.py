"""Parsing JSON input (issue 19): the same documents and messages with or without orjson,
the garbage collector restored however a parse or a record ends, and a Bulk export read
once, file by file."""

from __future__ import annotations

import codecs
import gc
import json
import marshal
from pathlib import Path
from typing import Any

import pytest

from tests.fhir.conftest import OBS_CODE, write_bulk
from trialrules.inputs import gc_paused as _gc
from trialrules.inputs.fhir import BulkAdapter, jsonfile
from trialrules.language.models import InputFailure, PatientRecord

# Every case where orjson alone would read differently from the standard parser, or fail
# with other words: the reader must give one answer whichever parser is installed.
EDGE_CASES = [
    b'{"a": 1}',
    b'  [1, 2.5, -0, -0.0, 1E5, 1.5e-400, "\\u0000", "a\x7fb"] \n',
    b'123456789012345678901234567890',  # beyond 64 bits: an int, never a float
    b'[18446744073709551616, -9223372036854775809, 9223372036854775807]',
    b'1' + b'7' * 310,  # beyond JSON_MAX_INT_DIGITS: a float (infinite)
    b'[1e400, -1e400]',  # infinite: read, then reported by the readers
    b'NaN', b'[Infinity, -Infinity]',
    b'"\\ud800"', b'"\xed\xa0\x80"', b'"\xff"',  # lone surrogates, not UTF-8
    b'{"a": 1, "b": 2, "a": 3}',  # a duplicate key: the last value, at the first place
    b'', b'   ', b'[1,]', b'{"a": 1', b'01', b'1],[2', b'"a\x01b"',
    b'[' * 800 + b']' * 800,  # long but shallow enough for either parser
    b'[' * 900 + b']' * 900,  # near the standard parser's limit: read as without orjson
    b'[' * 2000 + b']' * 2000, b'[' * 100_000,
    b'\xef\xbb\xbf{"resourceType": "Bundle"}',  # a BOM
    '{"x": "\\u00e9"}'.encode("utf-16"),  # UTF-16: the standard parser detects it
    json.dumps({"entry": [{"resource": {"valueQuantity": {"value": 1.1 * i}}} for i in range(2000)]}).encode(),
]


def same(a: Any, b: Any) -> bool:
    """The same values, types (1 is not 1.0), key order and NaNs: marshal (version 2,
    which shares no objects) writes exactly these."""
    return marshal.dumps(a, 2) == marshal.dumps(b, 2)


@pytest.mark.parametrize("data", EDGE_CASES, ids=lambda d: repr(d[:24]))
def test_orjson_reads_what_the_standard_parser_reads(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("orjson")
    fast = jsonfile.loads(data)
    monkeypatch.setattr(jsonfile, "_orjson", None)
    standard = jsonfile.loads(data)
    assert fast[1] == standard[1]
    assert same(fast[0], standard[0])


def test_orjson_is_used_for_the_usual_document(monkeypatch: pytest.MonkeyPatch) -> None:
    orjson = pytest.importorskip("orjson")
    calls: list[bytes] = []

    def counted(data: bytes) -> Any:
        calls.append(data)
        return orjson.loads(data)

    monkeypatch.setattr(jsonfile, "_orjson", type("orjson", (), {"loads": staticmethod(counted),
                                                                   "JSONDecodeError": orjson.JSONDecodeError}))
    assert jsonfile.loads(b'{"resourceType": "Patient", "id": "p1"}') == ({"resourceType": "Patient", "id": "p1"}, None)
    assert len(calls) == 1


@pytest.mark.parametrize("size", [10, jsonfile.PAUSE_GC_BYTES * 2])
def test_a_parse_leaves_the_collector_as_it_found_it(size: int) -> None:
    data = json.dumps(["x" * size]).encode()
    assert gc.isenabled()
    jsonfile.loads(data)
    assert gc.isenabled()
    jsonfile.loads(b"[" * size)  # an error
    assert gc.isenabled()
    gc.disable()
    try:
        jsonfile.loads(data)
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()


def test_the_pause_ends_on_an_interrupt_and_only_where_it_began() -> None:
    with pytest.raises(KeyboardInterrupt), _gc.paused():
        assert not gc.isenabled()
        raise KeyboardInterrupt
    assert gc.isenabled()
    with _gc.paused():
        with _gc.paused():
            pass
        assert not gc.isenabled()  # the inner pause does not end the outer one
    assert gc.isenabled()


def resource(rtype: str, rid: str, pid: str, **more: Any) -> dict[str, Any]:
    return {"resourceType": rtype, "id": rid, "status": "final", "subject": {"reference": f"Patient/{pid}"}, **more}


def test_a_bulk_export_is_parsed_once_line_by_line_and_files_are_read_once(
        tmp_path: Path, bulk_adapter: BulkAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    write_bulk(tmp_path, {
        "Patient.ndjson": [{"resourceType": "Patient", "id": p, "birthDate": "1980-01-01"} for p in ("p2", "p1")],
        "Observation.ndjson": [resource("Observation", f"o{i}", f"p{i % 2 + 1}", code=OBS_CODE, valueInteger=i,
                                        effectiveDateTime="2026-01-10") for i in range(6)],
    })
    parsed: list[bytes | str] = []
    real = jsonfile.loads

    def counted(data: bytes | str) -> tuple[Any, str | None]:
        parsed.append(data)
        return real(data)

    opened: list[str] = []
    real_open = Path.open

    def counted_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(jsonfile, "loads", counted)
    monkeypatch.setattr(Path, "open", counted_open)
    out = list(bulk_adapter.read(tmp_path))
    assert [r.id for r in out if isinstance(r, PatientRecord)] == ["p1", "p2"]
    assert [[o.id for o in r.observations] for r in out if isinstance(r, PatientRecord)] == [
        ["o0", "o2", "o4"], ["o1", "o3", "o5"]]
    assert len(parsed) == 8  # every line once
    # each file opened twice: three bytes to tell its compression, then its lines, once
    assert sorted(opened) == ["Observation.ndjson"] * 2 + ["Patient.ndjson"] * 2
    assert gc.isenabled()


def test_a_patient_spread_over_many_chunks_keeps_file_order(
        tmp_path: Path, bulk_adapter: BulkAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    from trialrules.inputs.fhir import grouping

    monkeypatch.setattr(grouping, "CHUNK_BYTES", 300)  # a chunk of two or three resources
    observations = [resource("Observation", f"o{i:02}", f"p{i % 3}", code=OBS_CODE, valueInteger=i,
                             effectiveDateTime="2026-01-10") for i in range(30)]
    write_bulk(tmp_path, {
        "Patient.ndjson": [{"resourceType": "Patient", "id": f"p{i}"} for i in (2, 0)],
        "Observation.1.ndjson": observations[:15], "Observation.2.ndjson": observations[15:],
    })
    out = list(bulk_adapter.read(tmp_path))
    records = [r for r in out if isinstance(r, PatientRecord)]
    orphans = [r.error for r in out if isinstance(r, InputFailure)]
    assert [r.id for r in records] == ["p0", "p2"]
    assert [o.id for o in records[0].observations] == [f"o{i:02}" for i in range(0, 30, 3)]
    assert [o.id for o in records[1].observations] == [f"o{i:02}" for i in range(2, 30, 3)]
    # p1 has no Patient: each of its lines named, in file order, between p0 and p2
    assert len(orphans) == 10 and all("subject Patient/p1 has no Patient resource" in e for e in orphans)
    assert [out.index(r) for r in records] == [0, 11]


@pytest.mark.parametrize("data", EDGE_CASES, ids=lambda d: repr(d[:24]))
def test_the_standard_path_reads_as_json_loads(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """One decoder kept for every call must read exactly as ``json.loads`` with the hook."""
    monkeypatch.setattr(jsonfile, "_orjson", None)
    text = data.removeprefix(codecs.BOM_UTF8)
    try:
        expected = (json.loads(text, parse_int=jsonfile._int), None)  # type: ignore[attr-defined]
    except (ValueError, RecursionError) as exc:
        expected = (None, jsonfile.describe_json_error(exc, text))
    got = jsonfile.loads(data)
    assert got[1] == expected[1]
    assert same(got[0], expected[0])
