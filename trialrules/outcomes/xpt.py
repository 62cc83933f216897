"""
A small reader (and writer, for tests and fixtures) of SAS transport v5 files.

Format source: SAS Institute, "The Record Layout of a Data Set in SAS
Transport (XPORT) Format", Technical Support document TS-140 (also the
appendix of the FDA "Study Data Technical Conformance Guide", which requires
v5 for submissions). Layout, in 80-byte records:

- library header record, two records of SAS/OS/created/modified text;
- per member: member header (namestr length 140), descriptor header, two
  descriptor records (dataset name, label), the NAMESTR header with the
  variable count, one 140-byte namestr per variable (padded to 80), the OBS
  header, then observations back to back, padded with blanks to 80.
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

__all__ = ["XPTError", "float_to_ibm", "ibm_to_float", "read_xpt", "write_xpt"]

_REC = 80
_LIB = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
_MEM_PREFIX = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_DSC = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
_NAMESTR_PREFIX = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
_OBS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
_MISSING_FIRST = set(b"._ABCDEFGHIJKLMNOPQRSTUVWXYZ")

Value = str | float | None


class XPTError(ValueError):
    """The file is not a SAS transport v5 file we can read."""


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


def read_xpt(path: Path) -> tuple[list[str], list[dict[str, Value]]]:
    """
    Read the first member of a SAS transport v5 file.

    Args:
        path: The .xpt file.

    Returns:
        (column names, rows); character values are right-stripped strings,
        numeric values are floats or None.

    Raises:
        XPTError: If the headers are not those of a v5 transport file.
    """
    data = path.read_bytes()
    if not data.startswith(_LIB[:48]):
        raise XPTError(f"{path.name}: not a SAS transport v5 file (library header missing)")
    pos = 3 * _REC
    member = data[pos : pos + _REC]
    if not member.startswith(_MEM_PREFIX):
        raise XPTError(f"{path.name}: member header missing")
    namestr_len = int(member[74:78])
    pos += 2 * _REC + 2 * _REC  # member + descriptor headers, two descriptor records
    nheader = data[pos : pos + _REC]
    if not nheader.startswith(_NAMESTR_PREFIX):
        raise XPTError(f"{path.name}: NAMESTR header missing")
    nvars = int(nheader[54:58])
    pos += _REC
    variables: list[tuple[str, bool, int, int]] = []
    for i in range(nvars):
        ns = data[pos + i * namestr_len : pos + (i + 1) * namestr_len]
        ntype, _nhfun, nlng, _varnum = struct.unpack(">hhhh", ns[:8])
        name = ns[8:16].decode("ascii", "replace").strip()
        npos = struct.unpack(">i", ns[84:88])[0]
        variables.append((name, ntype == 1, nlng, npos))
    pos += -(-nvars * namestr_len // _REC) * _REC
    if not data[pos : pos + _REC].startswith(_OBS[:48]):
        raise XPTError(f"{path.name}: OBS header missing")
    pos += _REC
    obs_len = sum(v[2] for v in variables)
    end = data.find(_MEM_PREFIX, pos)
    body = data[pos : end if end >= 0 else len(data)]
    rows: list[dict[str, Value]] = []
    for start in range(0, len(body) - obs_len + 1, obs_len) if obs_len else ():
        chunk = body[start : start + obs_len]
        if not chunk.strip(b" "):
            break  # blank padding of the last record
        row: dict[str, Value] = {}
        for name, numeric, length, offset in variables:
            raw = chunk[offset : offset + length]
            row[name] = ibm_to_float(raw) if numeric else raw.decode("latin-1").rstrip()
        rows.append(row)
    return [v[0] for v in variables], rows


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
