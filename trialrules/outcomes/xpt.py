"""
A reader of SAS transport files, versions 5 and 8 (and a v5 writer for fixtures).

Format source: SAS Institute, "The Record Layout of a Data Set in SAS
Transport (XPORT) Format", Technical Support document TS-140 (also the
appendix of the FDA "Study Data Technical Conformance Guide", which requires
v5 for submissions). Layout, in 80-byte records:

- library header record, two records of SAS/OS/created/modified text;
- per member: member header (namestr length 140), descriptor header, two
  descriptor records (dataset name, label), the NAMESTR header with the
  variable count, one 140-byte namestr per variable (padded to 80), the OBS
  header, then observations back to back, padded with blanks to 80.
- Version 8 ("Record Layout of a SAS Version 8 or 9 Data Set in SAS
  Transport Format"): LIBV8/MEMBV8/DSCPTV8/NAMSTV8/OBSV8 headers, data set
  names up to 32 characters, the variable's long name in namestr bytes
  88–119, labels longer than 40 characters (and long names) in LABELV8 /
  LABELV9 records after the namestrs, and the number of observations in the
  OBSV8 header — so every row is read, blank rows included. Version 5 has no
  count: observations run to the next member header or the end, and
  all-blank observations inside the last 80-byte record are its padding (a
  genuinely blank last row that fits in that padding cannot be told apart).
- A file may hold several members; each is read.
- Character encoding is not recorded in the file: it is given by the caller
  or detected (UTF-8 when every value decodes as UTF-8, else Windows-1252).
- Numbers are IBM System/370 floating point, big-endian: a sign bit, a 7-bit
  base-16 exponent biased by 64, and a 56-bit fraction (value =
  ±0.f × 16^(e−64)); a variable may store only the first 2–8 bytes. Missing
  values are a first byte of '.', '_' or 'A'–'Z' followed by zeros.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

__all__ = ["Member", "XPTError", "float_to_ibm", "ibm_to_float", "read_xpt", "read_xpt_members", "write_xpt"]

_REC = 80
_LIB = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
_MEM_PREFIX = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_DSC = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
_NAMESTR_PREFIX = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
_OBS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
_MISSING_FIRST = set(b"._ABCDEFGHIJKLMNOPQRSTUVWXYZ")

Value = str | float | None


class XPTError(ValueError):
    """The file is not a SAS transport file we can read."""


def ibm_to_float(raw: bytes) -> float | None:
    """
    Decode an IBM-370 float of 2–8 bytes (missing values give None).

    Args:
        raw: Big-endian bytes as stored in the observation.

    Returns:
        The value, or None for a SAS missing value.
    """
    data = raw.ljust(8, b"\x00")
    if data[0] in _MISSING_FIRST and not any(data[1:]):
        return None
    (word,) = struct.unpack(">Q", data)
    sign = -1.0 if word >> 63 else 1.0
    exponent = (word >> 56) & 0x7F
    fraction = word & 0x00FFFFFFFFFFFFFF
    if fraction == 0:
        return 0.0
    return sign * fraction / float(1 << 56) * 16.0 ** (exponent - 64)


def float_to_ibm(value: float | None) -> bytes:
    """
    Encode a float as 8-byte IBM-370 (None gives SAS's '.' missing value).

    Args:
        value: The number.

    Returns:
        Eight bytes.
    """
    if value is None or math.isnan(value):
        return b".\x00\x00\x00\x00\x00\x00\x00"
    if value == 0:
        return b"\x00" * 8
    sign = 0x80 if value < 0 else 0
    mant, exp2 = math.frexp(abs(value))  # abs = mant·2^exp2, 0.5 ≤ mant < 1
    # Move to base 16: exponent must be a multiple of 4 with mant in [1/16, 1).
    shift = (-exp2) % 4
    exp16 = (exp2 + shift) // 4
    mant /= 2**shift
    fraction = round(mant * (1 << 56))
    if fraction >= 1 << 56:
        fraction >>= 4
        exp16 += 1
    if not 0 <= exp16 + 64 <= 127:
        raise XPTError(f"{value} is out of range for IBM floating point")
    return bytes([sign | (exp16 + 64)]) + fraction.to_bytes(7, "big")


@attrs.frozen
class Member:
    """
    One data set of a transport file.

    Attributes:
        name: Member (data set) name.
        label: Data set label.
        columns: Variable names (v8: the long names).
        labels: Variable labels, by name.
        rows: Observations; character values right-stripped strings, numbers
            floats or None (missing).
        version: 5 or 8.
        encoding: Encoding the character values were decoded with.
    """

    name: str
    label: str
    columns: tuple[str, ...]
    labels: Mapping[str, str]
    rows: tuple[dict[str, Value], ...]
    version: int
    encoding: str


def _header(record: bytes, names: tuple[str, ...]) -> str | None:
    """The header name ("MEMBER", "MEMBV8", ...) if the record is one of those headers."""
    if len(record) < 48 or not record.startswith(b"HEADER RECORD*******"):
        return None
    name = record[20:28].decode("ascii", "replace").strip()
    return name if name in names else None


def _decode_all(chunks: list[bytes], encoding: str | None) -> str:
    """The encoding for every character value: declared, else UTF-8 when all decode, else Windows-1252."""
    if encoding:
        return encoding
    try:
        for c in chunks:
            c.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def read_xpt_members(path: Path, encoding: str | None = None) -> list[Member]:
    """
    Read every member of a SAS transport file, version 5 or 8.

    Args:
        path: The .xpt file.
        encoding: Character encoding (e.g. ``"utf-8"``, ``"cp1252"``); None
            detects it: UTF-8 when every character value decodes as UTF-8,
            else Windows-1252 (SAS WLATIN1), the SAS default.

    Returns:
        The members in file order.

    Raises:
        XPTError: When the file is not a transport file or its structure is
            broken (truncated, impossible variable count or length); the
            message says where.
    """
    data = path.read_bytes()
    lib = data[:_REC]
    kind = _header(lib, ("LIBRARY", "LIBV8"))
    if kind is None:
        raise XPTError(f"{path.name}: not a SAS transport file (library header missing)")
    version = 8 if kind == "LIBV8" else 5
    if len(data) % _REC:
        raise XPTError(f"{path.name}: {len(data)} bytes is not a whole number of 80-byte records: the file is truncated")
    pos = 3 * _REC
    members: list[Member] = []
    while pos + _REC <= len(data) and _header(data[pos : pos + _REC], ("MEMBER", "MEMBV8")):
        member, pos = _read_member(path, data, pos, version, encoding)
        members.append(member)
    if not members:
        raise XPTError(f"{path.name}: no member header after the library header")
    return members


def _need(path: Path, data: bytes, pos: int, size: int, what: str) -> bytes:
    if pos < 0 or pos + size > len(data):
        raise XPTError(f"{path.name}: truncated in the {what} (byte {pos} of {len(data)})")
    return data[pos : pos + size]


def _read_member(path: Path, data: bytes, pos: int, version: int, encoding: str | None) -> tuple[Member, int]:
    member = _need(path, data, pos, _REC, "member header")
    try:
        namestr_len = int(member[74:78])
    except ValueError:
        namestr_len = 140
    if namestr_len not in (136, 140):
        raise XPTError(f"{path.name}: namestr length {namestr_len} (expected 140, or 136 on VAX/VMS)")
    pos += 2 * _REC
    desc1 = _need(path, data, pos, _REC, "descriptor record")
    desc2 = _need(path, data, pos + _REC, _REC, "descriptor record")
    name = (desc1[8:40] if version == 8 else desc1[8:16]).decode("latin-1").strip()
    label = desc2[32:72].decode("latin-1").strip()
    pos += 2 * _REC
    nheader = _need(path, data, pos, _REC, "NAMESTR header")
    if _header(nheader, ("NAMESTR", "NAMSTV8")) is None:
        raise XPTError(f"{path.name}: NAMESTR header missing in member {name or '?'}")
    try:
        nvars = int(nheader[52:58])
    except ValueError as exc:
        raise XPTError(f"{path.name}: NAMESTR header has no variable count") from exc
    pos += _REC
    if nvars <= 0 or pos + nvars * namestr_len > len(data):
        raise XPTError(f"{path.name}: NAMESTR header says {nvars} variables, which the file cannot hold")
    variables: list[list[Any]] = []  # [name, numeric, length, offset, label]
    for i in range(nvars):
        ns = data[pos + i * namestr_len : pos + (i + 1) * namestr_len]
        ntype, _nhfun, nlng, _varnum = struct.unpack(">hhhh", ns[:8])
        short = ns[8:16].decode("latin-1").strip()
        vlabel = ns[16:56].decode("latin-1").strip()
        (npos,) = struct.unpack(">i", ns[84:88])
        long_name = ns[88:120].decode("latin-1").strip() if version == 8 and namestr_len == 140 else ""
        if ntype not in (1, 2) or nlng <= 0 or npos < 0 or (ntype == 1 and not 2 <= nlng <= 8):
            raise XPTError(f"{path.name}: variable {i + 1} ({short or '?'}) has type {ntype}, length {nlng}, "
                           f"position {npos}: not a valid namestr")
        variables.append([long_name or short, ntype == 1, nlng, npos, vlabel])
    pos += -(-nvars * namestr_len // _REC) * _REC
    record = _need(path, data, pos, _REC, "OBS header")
    extension = _header(record, ("LABELV8", "LABELV9"))
    if extension is not None:
        pos = _read_labels(path, data, pos, record, extension, variables)
        record = _need(path, data, pos, _REC, "OBS header")
    if _header(record, ("OBS", "OBSV8")) is None:
        raise XPTError(f"{path.name}: OBS header missing in member {name or '?'}")
    declared: int | None = None
    if version == 8:
        text = record[48:80].decode("latin-1").split()
        declared = int(text[0]) if text and text[0].isdigit() else None
    pos += _REC
    obs_len = sum(v[2] for v in variables)
    if any(v[3] + v[2] > obs_len for v in variables):
        raise XPTError(f"{path.name}: a variable lies outside the observation ({obs_len} bytes)")
    end = pos
    while end + _REC <= len(data) and _header(data[end : end + _REC], ("MEMBER", "MEMBV8")) is None:
        end += _REC
    if end < len(data) and _header(data[end : end + _REC], ("MEMBER", "MEMBV8")) is None:
        end = len(data)
    body = data[pos:end]
    if declared is not None:
        if declared * obs_len > len(body):
            raise XPTError(f"{path.name}: OBS header says {declared} observations; the file holds "
                           f"{len(body) // obs_len if obs_len else 0}")
        count = declared
    else:
        count = len(body) // obs_len if obs_len else 0
        # v5 has no count: blank observations inside the final record's padding are padding
        while count and not body[(count - 1) * obs_len : count * obs_len].strip(b" ") and len(body) - (count - 1) * obs_len < _REC:
            count -= 1
        if body[count * obs_len :].strip(b" "):
            raise XPTError(f"{path.name}: member {name or '?'} ends inside an observation: the file is truncated")
    chunks = [body[k * obs_len + v[3] : k * obs_len + v[3] + v[2]] for k in range(count) for v in variables if not v[1]]
    enc = _decode_all(chunks, encoding)
    rows: list[dict[str, Value]] = []
    for k in range(count):
        chunk = body[k * obs_len : (k + 1) * obs_len]
        row: dict[str, Value] = {}
        for vname, numeric, length, offset, _label in variables:
            raw = chunk[offset : offset + length]
            row[vname] = ibm_to_float(raw) if numeric else raw.decode(enc, "replace").rstrip(" \x00")
        rows.append(row)
    labels = {v[0]: v[4] for v in variables if v[4]}
    return Member(name, label, tuple(v[0] for v in variables), labels, tuple(rows), version, enc), end


def _read_labels(path: Path, data: bytes, pos: int, record: bytes, kind: str, variables: list[list[Any]]) -> int:
    """LABELV8/LABELV9 records: long labels (and formats) after the namestrs; returns the next position."""
    text = record[48:80].decode("latin-1").split()
    count = int(text[0]) if text and text[0].isdigit() else 0
    pos += _REC
    head = 6 if kind == "LABELV8" else 10
    for _ in range(count):
        fields = struct.unpack(">" + "h" * (head // 2), _need(path, data, pos, head, kind))
        varnum, namelen, labellen = fields[0], fields[1], fields[2]
        extra = sum(fields[3:]) if kind == "LABELV9" else 0
        if min(fields) < 0 or not 1 <= varnum <= len(variables):
            raise XPTError(f"{path.name}: {kind} entry names variable {varnum}")
        body = _need(path, data, pos + head, namelen + labellen + extra, kind)
        variables[varnum - 1][0] = body[:namelen].decode("latin-1").strip() or variables[varnum - 1][0]
        variables[varnum - 1][4] = body[namelen : namelen + labellen].decode("utf-8", "replace").strip()
        pos += head + namelen + labellen + extra
    return -(-pos // _REC) * _REC


def read_xpt(path: Path, encoding: str | None = None) -> tuple[list[str], list[dict[str, Value]]]:
    """
    Read the first member of a SAS transport file (v5 or v8).

    Args:
        path: The .xpt file.
        encoding: As :func:`read_xpt_members`.

    Returns:
        (column names, rows); character values are right-stripped strings,
        numeric values are floats or None.

    Raises:
        XPTError: If the file is not a transport file we can read.
    """
    first = read_xpt_members(path, encoding)[0]
    return list(first.columns), list(first.rows)


def write_xpt(
    path: Path, dataset: str, columns: Sequence[str], rows: Sequence[Mapping[str, Value]]
) -> None:
    """
    Write one dataset as a SAS transport v5 file (numbers 8 bytes).

    A column is numeric if every non-None value in it is a number.

    Args:
        path: Output file.
        dataset: Member name (≤ 8 characters).
        columns: Variable names (≤ 8 characters each).
        rows: Rows as mappings.
    """
    def pad(text: str, n: int) -> bytes:
        return text.encode("latin-1")[:n].ljust(n, b" ")

    stamp = "01JAN26:00:00:00"
    out = bytearray(_LIB)
    out += pad("SAS     SAS     SASLIB  9.4     X64_10PR" + " " * 24 + stamp, _REC)
    out += pad(stamp, _REC)
    out += _MEM_PREFIX + b"000000000000000001600000000140  "
    out += _DSC
    out += pad("SAS     " + dataset.upper().ljust(8) + "SASDATA 9.4     X64_10PR" + " " * 24 + stamp, _REC)
    out += pad(stamp + " " * 16 + " " * 40 + " " * 8, _REC)
    out += _NAMESTR_PREFIX + f"000000{len(columns):04d}00000000000000000000  ".encode()
    specs: list[tuple[str, bool, int]] = []
    for col in columns:
        values = [r.get(col) for r in rows]
        numeric = all(v is None or isinstance(v, (int, float)) for v in values) and any(
            v is not None for v in values
        )
        width = 8 if numeric else max([1] + [len(str(v or "")) for v in values])
        specs.append((col, numeric, width))
    namestrs = bytearray()
    offset = 0
    for i, (col, numeric, width) in enumerate(specs, start=1):
        ns = struct.pack(">hhhh", 1 if numeric else 2, 0, width, i)
        ns += pad(col.upper(), 8) + pad("", 40) + pad("", 8) + struct.pack(">hhh", 0, 0, 0)
        ns += b"  " + pad("", 8) + struct.pack(">hh", 0, 0) + struct.pack(">i", offset)
        ns += b"\x00" * 52
        namestrs += ns
        offset += width
    out += namestrs.ljust(-(-len(namestrs) // _REC) * _REC, b" ")
    out += _OBS
    body = bytearray()
    for r in rows:
        for col, numeric, width in specs:
            v = r.get(col)
            if numeric:
                body += float_to_ibm(None if v is None else float(v))  # type: ignore[arg-type]
            else:
                body += pad("" if v is None else str(v), width)
    out += body.ljust(-(-len(body) // _REC) * _REC, b" ")
    path.write_bytes(bytes(out))
