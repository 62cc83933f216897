"""
Safe YAML loading that remembers where each value came from.

Only ``yaml.SafeLoader`` machinery is used (no object construction from tags).
Dates stay strings, as in JSON, so that one schema validates YAML and JSON
alike. Duplicate keys, which PyYAML silently collapses, are errors here.
"""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver (dates remain ISO strings)."""


_Loader.yaml_implicit_resolvers = {
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
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader rejects control characters up front
        raise YAMLProblem(str(exc).splitlines()[0], 1, 1) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YAMLProblem(f"{exc.problem or exc.context}", line, col) from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(str(exc), 1, 1) from None
    finally:
        loader.dispose()
    positions: dict[Path_, tuple[int, int]] = {}
    if node is None:
        return None, positions
    return _convert(node, (), positions, loader), positions


_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
)


def _convert(node: yaml.Node, path: Path_, positions: dict[Path_, tuple[int, int]], loader: _Loader) -> Any:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if node.tag not in _PLAIN_TAGS:
        # Rule files are data: explicit tags (!!python/..., !!binary, custom) are refused.
        raise YAMLProblem(f"tag {node.tag!r} is not allowed in rule files", node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path + ("<key>",), {}, loader)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YAMLProblem("a mapping key must be a plain scalar", key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise YAMLProblem(f"duplicate key {key!r}", key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            positions[path + (key, "<key>")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _convert(value_node, path + (key,), positions, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, path + (i,), positions, loader) for i, v in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise YAMLProblem(str(exc), node.start_mark.line + 1, node.start_mark.column + 1) from None


def safe_load(text: str) -> Any:
    """Parse YAML or JSON text into plain data (no positions)."""
    return load_with_positions(text)[0]


def json_path(path: Path_) -> str:
    """``('rule', 'all', 0)`` -> ``$.rule.all[0]``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
