"""YAML loading that remembers the file, line and column of every key and value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import KpiError, Location

try:  # the C loader is much faster and builds the same nodes
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


class YMap(dict):
    """A mapping that knows where it, its keys and its values stand in the file."""

    loc: Location
    key_locs: dict[Any, Location]
    value_locs: dict[Any, Location]
    raw: dict[Any, str | None]  # the scalar text as written (None for collections)

    def key_loc(self, key: Any) -> Location:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: Any) -> Location:
        return self.value_locs.get(key, self.key_loc(key))


class YList(list):
    """A sequence that knows where it and each item stand in the file."""

    loc: Location
    item_locs: list[Location]
    raw: list[str | None]

    def item_loc(self, index: int) -> Location:
        return self.item_locs[index] if index < len(self.item_locs) else self.loc


def _mark(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _value_location(file: str, node: yaml.Node) -> Location:
    """Where a scalar's text starts: after an opening quote or block indicator."""
    loc = _mark(file, node)
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("'", '"'):
            return loc.shifted(1)
        if node.style in ("|", ">"):
            return Location(file, loc.line + 1, 0)
    return loc


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            out = YList(self.build(item) for item in node.value)
            out.loc = _mark(self.file, node)
            out.item_locs = [_value_location(self.file, item) for item in node.value]
            out.raw = [_raw(item) for item in node.value]
            return out
        return self.constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap()
        out.loc = _mark(self.file, node)
        out.key_locs, out.value_locs, out.raw = {}, {}, {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise KpiError("a mapping key must be a plain name", _mark(self.file, key_node))
            key = self.constructor.construct_object(key_node)
            if isinstance(key, int | float) and not isinstance(key, bool):
                key = key_node.value  # period labels such as 2024 stay text
            if key in out:
                first = out.key_locs[key]
                raise KpiError(
                    f"`{key}` is defined twice in this mapping (first at line {first.line})",
                    _mark(self.file, key_node),
                    "remove or rename one of them",
                )
            out[key] = self.build(value_node)
            out.key_locs[key] = _mark(self.file, key_node)
            out.value_locs[key] = _value_location(self.file, value_node)
            out.raw[key] = _raw(value_node)
        return out


def _raw(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text into YMap/YList/scalars; syntax errors become KpiError with a position."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = exc.problem or exc.context or "invalid YAML"
        raise KpiError(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as exc:
        raise KpiError(f"invalid YAML: {exc}", Location(file)) from None
    if node is None:
        return None
    try:
        return _Builder(file).build(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise KpiError(f"invalid YAML value: {exc.problem}", loc) from None


def load_yaml(path: Path | str, display: str | None = None) -> Any:
    """Read and parse a YAML file; `display` is the name used in messages."""
    name = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KpiError("file not found", Location(name)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KpiError(f"cannot read file: {exc}", Location(name)) from None
    return parse_yaml(text, name)
