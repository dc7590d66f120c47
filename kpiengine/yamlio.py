"""YAML loading that remembers the file, line and column of every key and value.

YAML files may come from someone else, so reading them is bounded: a file over `MAX_BYTES`, more
than `MAX_ALIAS_NODES` nodes built again through aliases (a "billion laughs" bomb), an alias
inside itself, nesting deeper than `MAX_DEPTH` or an integer beyond any float (or beyond Python's
digit limit) is a KpiError at its position, and so is any tag beyond plain YAML's (`!!python/...`,
`!!set`, `!custom`), on a mapping, a list or a value alike. Merge keys (`<<: *defaults`) are
supported: the mapping's own keys win over merged ones. A plain number with an exponent and no
dot (`1e6`, `2.5e-3`) is a number, as YAML 1.2 and editors read it (YAML 1.1 makes it text).
"""

from __future__ import annotations

import functools
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import KpiError, Location

MAX_BYTES = 8_000_000  # a definitions file of ten thousand KPIs is about 2 MB
MAX_ALIAS_NODES = 100_000  # nodes built a second time through an alias
MAX_DEPTH = 100  # nesting of mappings and lists
MERGE_TAG = "tag:yaml.org,2002:merge"
_FLOAT_MAX = 1.7976931348623157e308
_CORE = "tag:yaml.org,2002:"
#: the tags plain YAML gives (or a file may write) to each kind of node
_MAP, _SEQ, _STR = _CORE + "map", _CORE + "seq", _CORE + "str"
_SCALAR_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
#: YAML 1.2's numbers with an exponent that YAML 1.1 reads as text (`1e6`, `1.5e6`, `2E-3`)
_EXPONENT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+")

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
    def __init__(self, file: str, text: str = ""):
        self.file, self.text = file, text
        self.constructor = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()  # nodes built once (a second build is an alias expansion)
        self.active: list[yaml.Node] = []  # the nodes being built, outermost first
        self.expanded = 0
        self.user: yaml.Node | None = None  # the node whose alias is being expanded

    def build(self, node: yaml.Node) -> Any:
        key = id(node)
        if any(node is outer for outer in self.active):
            raise KpiError("an alias refers to a node that contains it", _mark(self.file, node))
        if len(self.active) >= MAX_DEPTH:
            raise KpiError(f"nested deeper than {MAX_DEPTH} levels", _mark(self.file, node))
        starts = False
        if key in self.seen:
            if self.user is None and self.active:  # an alias: where it is used
                self.user, starts = self.active[-1], True
            self.expanded += 1
            if self.expanded > MAX_ALIAS_NODES:
                raise KpiError(
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes",
                    _mark(self.file, self.user or node),
                    "write the repeated parts out, or alias smaller parts",
                )
        self.seen.add(key)
        self.active.append(node)
        try:
            return self._build(node)
        finally:
            self.active.pop()
            if starts:
                self.user = None

    def _build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self._tag_error(node)
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self._tag_error(node)
            out = YList(self.build(item) for item in node.value)
            out.loc = _mark(self.file, node)
            out.item_locs = [_value_location(self.file, item) for item in node.value]
            out.raw = [_raw(item) for item in node.value]
            return out
        return self._scalar(node)

    def _tag_error(self, node: yaml.Node) -> KpiError:
        """Plain YAML only: `!!python/object:...`, `!!set`, `!x` are errors on any node."""
        tag = node.tag.replace(_CORE, "!!", 1)
        return KpiError(
            f"the YAML tag `{tag}` is not allowed: kpiengine reads plain YAML (mappings, "
            "lists, text, numbers, booleans and dates)",
            _mark(self.file, node),
            f"remove `{tag}`",
        )

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self._tag_error(node)
        if node.tag == _STR:  # most values: the text itself, as the constructor would give
            # `1e6`, plain: a number (1e999 is inf, like `.inf`)
            return float(node.value) if self._exponent_number(node) else node.value
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ValueError as exc:  # 2024-02-30, or an integer past Python's digit limit
            what = "date" if node.tag.endswith("timestamp") else "number"
            raise KpiError(f"invalid {what}: {exc}", _mark(self.file, node)) from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _FLOAT_MAX:
            raise KpiError("a number too large for any calculation", _mark(self.file, node))
        return value

    def _exponent_number(self, node: yaml.Node) -> bool:
        """`1e6` written plain (not `'1e6'` nor `!!str 1e6`): YAML 1.1 made it text."""
        if not isinstance(node, yaml.ScalarNode) or node.style:
            return False
        if not _EXPONENT.fullmatch(node.value):
            return False
        mark = node.start_mark
        lines = self.lines
        return mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] != "!"

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()  # once per file: a split per number took 30 ms a run

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap()
        out.loc = _mark(self.file, node)
        out.key_locs, out.value_locs, out.raw = {}, {}, {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise KpiError("a mapping key must be a plain name", _mark(self.file, key_node))
            if key_node.tag not in _SCALAR_TAGS:
                raise self._tag_error(key_node)
            try:
                key = self._scalar(key_node)
            except KpiError:  # 2024-02-30: the checks of its mapping say what is wrong
                key = key_node.value
            if isinstance(key, int | float):
                key = key_node.value  # period labels such as 2024 stay text, as do `NO`, `on`
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
        for value_node in merged:
            self._merge(out, value_node)
        return out

    def _merge(self, out: YMap, node: yaml.Node) -> None:
        """`<<: *a` or `<<: [*a, *b]`: keys of the merged mappings the mapping lacks (the
        first merged mapping wins over later ones, as YAML 1.1 says)."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            merged = self.build(source)
            if not isinstance(merged, YMap):
                raise KpiError(
                    "`<<` merges a mapping (or a list of mappings) into this one",
                    _mark(self.file, source),
                )
            for key, value in merged.items():
                if key not in out:
                    out[key] = value
                    out.key_locs[key] = merged.key_loc(key)
                    out.value_locs[key] = merged.value_loc(key)
                    out.raw[key] = merged.raw.get(key)


def _raw(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


_YAML_FIX = (
    "indent with spaces, the keys of one mapping alike; quote a value that holds `: ` or "
    "starts with one of { [ * & ! % @ `"
)


def _syntax_error(text: str, file: str, exc: yaml.MarkedYAMLError) -> KpiError:
    """PyYAML's error, said as what a person editing the file most likely did: a tab, a line
    indented unlike its neighbours, an unquoted `: ` in a value."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if mark is None:
        return KpiError(f"invalid YAML: {problem}", Location(file), _YAML_FIX)
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    indent = len(line) - len(line.lstrip(" \t"))
    if "\t" in line[:indent] or "'\\t'" in problem:
        where = Location(file, mark.line + 1, line.find("\t") + 1 if "\t" in line else 1)
        message = "a tab indents this line: YAML indents with spaces"
        return KpiError(message, where, "replace the tab with spaces")
    if "mapping values are not allowed" in problem:
        above = [s for s in lines[: mark.line] if s.strip() and not s.lstrip().startswith("#")]
        before = len(above[-1]) - len(above[-1].lstrip(" ")) if above else 0
        where = Location(file, mark.line + 1, indent + 1)
        if above and indent > before and not above[-1].rstrip().endswith(":"):
            return KpiError(
                f"this line is indented {indent} spaces, the line above {before}: a key must "
                "line up with the keys of its mapping",
                where,
                f"indent it {before} spaces like the line above, or give the line above a `:` to "
                "hold it",
            )
        key, _, value = line.strip().partition(": ")
        quoted = value.replace("'", "''")
        return KpiError(
            "a `: ` inside a value reads as a new key",
            Location(file, mark.line + 1, mark.column + 1),
            f"quote the value: `{key}: '{quoted}'`" if value else "quote the value",
        )
    loc = Location(file, mark.line + 1, mark.column + 1)
    return KpiError(f"invalid YAML: {problem}", loc, _YAML_FIX)


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text into YMap/YList/scalars; syntax errors become KpiError with a position."""
    if len(text) > MAX_BYTES:
        raise KpiError(f"over the {MAX_BYTES:,} characters a YAML file may have", Location(file))
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(text, file, exc) from None
    except yaml.YAMLError as exc:
        raise KpiError(f"invalid YAML: {exc}", Location(file)) from None
    if node is None:
        return None
    try:
        return _Builder(file, text).build(node)
    except RecursionError:  # MAX_DEPTH keeps well below Python's limit; never a traceback
        raise KpiError(f"nested too deeply (over {MAX_DEPTH} levels)", Location(file)) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise KpiError(f"invalid YAML value: {exc.problem}", loc) from None


def load_yaml(path: Path | str, display: str | None = None) -> Any:
    """Read and parse a YAML file; `display` is the name used in messages."""
    name = display or str(path)
    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the read forever
            raise KpiError("not a regular file", Location(name))
        size = info.st_size
        if size > MAX_BYTES:
            raise KpiError(
                f"the file is {size:,} bytes, over the {MAX_BYTES:,} a YAML file may have",
                Location(name),
            )
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KpiError("file not found", Location(name)) from None
    except UnicodeDecodeError as exc:
        raise KpiError(
            f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} cannot be decoded",
            byte_location(name, exc.object, exc.start),
            "save the file as UTF-8",
        ) from None
    except OSError as exc:
        raise KpiError(f"cannot read file: {exc}", Location(name)) from None
    return parse_yaml(text, name)


def byte_location(name: str, data: bytes, offset: int) -> Location:
    """The line and column (in characters of the decodable text before it) of a byte."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[line_start:offset].decode("utf-8", errors="replace").lstrip("\ufeff")
    return Location(name, data.count(b"\n", 0, offset) + 1, len(before) + 1)
