"""
Safe YAML loading that remembers where each value came from.

Only ``yaml.SafeLoader`` machinery is used (no object construction from tags).
Dates stay strings, as in JSON, so that one schema validates YAML and JSON
alike. Duplicate keys, which PyYAML silently collapses, are errors here.

Hostile files stay bounded (:mod:`trialrules.limits`): a file is read up to
RULE_FILE_MAX_BYTES, nested up to YAML_MAX_DEPTH, expanded (aliases included)
up to YAML_MAX_NODES nodes; a recursive alias, a non-finite number (``.nan``,
``.inf``, ``1e999``) and a number of more than RULE_MAX_NUMBER_DIGITS digits are
errors.
"""

from __future__ import annotations

import codecs
import math
from pathlib import Path
from typing import Any

import yaml

from trialrules.errors import clip
from trialrules.limits import RULE_FILE_MAX_BYTES, RULE_MAX_NUMBER_DIGITS, YAML_MAX_DEPTH, YAML_MAX_NODES

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver (dates remain ISO strings)."""


# libyaml's parser (PyYAML's C extension) composes the same nodes, with the same marks,
# about ten times faster: the five trials' value sets made start-up take seconds in pure
# Python. Its composer recurses in C, so it only reads text whose nesting is bounded:
# flow nesting by the count of brackets, block nesting by the file size (a block level
# needs a longer indent than the one above it).
_FastLoader: type[Any] | None = None
_FAST_MAX_BRACKETS = 2000
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        """CSafeLoader without the timestamp resolver."""

    _FastLoader = _CLoader

for _cls in (_Loader, _FastLoader):
    if _cls is not None:
        _cls.yaml_implicit_resolvers = {
            key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }


class YAMLProblem(Exception):
    """A YAML syntax problem or duplicate key, with a 1-based position."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def load_with_positions(text: str) -> tuple[Any, dict[Path_, tuple[int, int]]]:
    """Parse one YAML (or JSON) document.

    Returns:
        The data, and a map from JSON path (tuple of keys and indexes) to the
        1-based (line, column) where that value starts.

    Raises:
        YAMLProblem: on a syntax error or a duplicate mapping key.
    """
    fast = _FastLoader is not None and text.count("[") + text.count("{") <= _FAST_MAX_BRACKETS
    try:
        loader = _FastLoader(text) if fast and _FastLoader is not None else _Loader(text)
    except yaml.YAMLError as exc:  # the reader rejects control characters up front
        raise YAMLProblem(str(exc).splitlines()[0], 1, 1) from None
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise YAMLProblem(f"nested too deeply (more than {YAML_MAX_DEPTH} levels)", 1, 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = f"{exc.problem or exc.context}"
        if "nesting depth" in problem:  # libyaml's own depth limit: say it as the Python path does
            problem = f"nested too deeply (more than {YAML_MAX_DEPTH} levels)"
        raise YAMLProblem(problem, line, col) from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(str(exc), 1, 1) from None
    finally:
        loader.dispose()
    positions: dict[Path_, tuple[int, int]] = {}
    if node is None:
        return None, positions
    return _Converter(loader, positions).convert(node, ()), positions


def read_text(path: Path) -> str:
    """A rule file's text: UTF-8 (a byte-order mark is accepted), at most
    RULE_FILE_MAX_BYTES. Raises YAMLProblem (or OSError) if it cannot be read."""
    with path.open("rb") as fh:
        data = fh.read(RULE_FILE_MAX_BYTES + 1)
    if len(data) > RULE_FILE_MAX_BYTES:
        raise YAMLProblem(f"larger than {RULE_FILE_MAX_BYTES} bytes; not read", 1, 1)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise YAMLProblem("is UTF-16 text; rule files are UTF-8", 1, 1)
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YAMLProblem(f"is not UTF-8 text (byte {exc.start})", line, 1) from None


_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
)


_NUMBER_TAGS = frozenset(("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"))


class _Converter:
    """Turns the composed node graph into plain data, within the limits: an alias
    is a second path to one node, so a few bytes can stand for an exponential tree."""

    def __init__(self, loader: Any, positions: dict[Path_, tuple[int, int]]) -> None:
        self.loader = loader
        self.positions = positions
        self.nodes = 0
        self.open: set[int] = set()  # nodes being converted: meeting one again is a recursive alias

    def convert(self, node: yaml.Node, path: Path_, record: bool = True) -> Any:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if record:
            self.positions[path] = (line, column)
        self.nodes += 1
        if self.nodes > YAML_MAX_NODES:
            raise YAMLProblem(f"expands to more than {YAML_MAX_NODES} values (aliases included)", line, column)
        if node.tag not in _PLAIN_TAGS:
            # Rule files are data: explicit tags (!!python/..., !!binary, custom) are refused.
            raise YAMLProblem(f"tag {node.tag!r} is not allowed in rule files", line, column)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if len(path) >= YAML_MAX_DEPTH:
                raise YAMLProblem(f"nested too deeply (more than {YAML_MAX_DEPTH} levels)", line, column)
            if id(node) in self.open:
                raise YAMLProblem("an alias refers to a node that contains it (a recursive alias)", line, column)
            self.open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path, record)
                return [self.convert(v, path + (i,), record) for i, v in enumerate(node.value)]
            finally:
                self.open.discard(id(node))
        return self._scalar(node, line, column)

    def _mapping(self, node: yaml.MappingNode, path: Path_, record: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node, path + ("<key>",), record=False)
            kline, kcol = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YAMLProblem("a mapping key must be a plain scalar", kline, kcol)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise YAMLProblem(f"duplicate key {clip(repr(key))}", kline, kcol)
            if record:
                self.positions[path + (key, "<key>")] = (kline, kcol)
            out[key] = self.convert(value_node, path + (key,), record)
        return out

    def _scalar(self, node: yaml.Node, line: int, column: int) -> Any:
        if node.tag in _NUMBER_TAGS and sum(c.isdigit() for c in node.value) > RULE_MAX_NUMBER_DIGITS:
            raise YAMLProblem(f"a number of more than {RULE_MAX_NUMBER_DIGITS} digits", line, column)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise YAMLProblem(clip(str(exc)), line, column) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise YAMLProblem(f"{clip(node.value)} is not a finite number", line, column)
        return value


def safe_load(text: str) -> Any:
    """Parse YAML or JSON text into plain data (no positions)."""
    return load_with_positions(text)[0]


def json_path(path: Path_) -> str:
    """``('rule', 'all', 0)`` -> ``$.rule.all[0]``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
