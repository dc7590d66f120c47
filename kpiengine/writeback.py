"""Write a plan's targets into kpi.yaml: only the KPI's entry under `targets:` changes.

Every byte outside that entry is kept, comments included. An entry written as a block mapping
stays one: the lines of its entries outside the planned year are kept as written (comments too)
and the new periods are added as lines with the same indentation. Any other entry (a constant, a
flow mapping, a new KPI) is written in flow style (`roi: {annual: 0.3, 2025: 0.35}`) on its own
line, after the comment of the line before it. The new text is checked as a target before it
replaces the file atomically through `kpiengine.safewrite` (a symlinked kpi.yaml updates its
target, whose mode is kept).
"""

from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .checker import Checker
from .errors import KpiError, Location
from .periods import PeriodError, label_bounds
from .safewrite import write_atomic
from .targetspec import PERIOD_LABEL, parse_target
from .yamlio import YMap, parse_yaml


@dataclass
class WriteResult:
    path: Path
    entry: str  # the KPI's new line under `targets:`
    notes: list[str] = field(default_factory=list)


def number_text(value: float) -> str:
    """`1200000`, `96123.45`, `0.3`: the shortest text that reads back as the same float."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _end(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark also covers the blank
    lines and comments after it)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _end(node.value[-1])
    return node.end_mark.index


def _flow(node: yaml.Node, text: str) -> str:
    """A node as one-line flow YAML, scalars with their original text."""
    if isinstance(node, yaml.MappingNode):
        items = (f"{_flow(k, text)}: {_flow(v, text)}" for k, v in node.value)
        return "{" + ", ".join(items) + "}"
    if isinstance(node, yaml.SequenceNode):
        return "[" + ", ".join(_flow(item, text) for item in node.value) + "]"
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        return repr(str(node.value))
    return text[node.start_mark.index : node.end_mark.index]


def _in_year(label: str, year: int) -> bool:
    try:
        start, end = label_bounds(label)
    except PeriodError:
        return False
    return start <= dt.date(year, 12, 31) and end >= dt.date(year, 1, 1)


def merged_entry(
    old: yaml.Node | None, text: str, entries: dict[str, float], year: int, additive: bool
) -> tuple[str, list[str]]:
    """The KPI's new flow value: the old one without the planned year, plus `entries`."""
    items: list[str] = []
    notes: list[str] = []
    if isinstance(old, yaml.ScalarNode) and old.tag.endswith(("int", "float")):
        if additive:
            notes.append(f"replaced the constant target {old.value}")
        else:
            items.append(f"annual: {old.value}")
    elif isinstance(old, yaml.MappingNode):
        annual_kept = True
        for key, value in old.value:
            name = str(key.value)
            if name == "annual" and isinstance(value, yaml.MappingNode):
                kept = [(k, v) for k, v in value.value if str(k.value) != str(year)]
                annual_kept = bool(kept)
                if kept:
                    parts = ", ".join(f"{_flow(k, text)}: {_flow(v, text)}" for k, v in kept)
                    items.append(f"annual: {{{parts}}}")
            elif name == "split" or (PERIOD_LABEL.match(name) and _in_year(name, year)):
                continue
            else:
                items.append(f"{_flow(key, text)}: {_flow(value, text)}")
        split = [v for k, v in old.value if str(k.value) == "split"]
        if split and annual_kept:
            items.append(f"split: {_flow(split[0], text)}")
    elif old is not None and not old.tag.endswith("null"):
        notes.append(f"replaced the target `{_flow(old, text)}`")
    items += [f"{label}: {number_text(value)}" for label, value in entries.items()]
    return "{" + ", ".join(items) + "}", notes


def _dropped(name: str, year: int) -> bool:
    """True for a period entry inside the planned year (the plan replaces it)."""
    return bool(PERIOD_LABEL.match(name)) and _in_year(name, year)


def _line_after(text: str, index: int) -> int:
    """The start of the line after the one holding `index` (its comment and newline kept)."""
    at = text.find("\n", index)
    return len(text) if at < 0 else at + 1


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _kept_lines(text: str, node: yaml.MappingNode, drop: list[tuple]) -> str:
    """A block mapping's lines (first key's line to last value's line) without those of the
    pairs in `drop`; comment lines between pairs stay."""
    out, at = [], _line_start(text, node.value[0][0].start_mark.index)
    for key, value in drop:
        out.append(text[at : _line_start(text, key.start_mark.index)])
        at = _line_after(text, _end(value))
    out.append(text[at : _line_after(text, _end(node))])
    return "".join(out)


def block_entry(
    old: yaml.MappingNode, text: str, entries: dict[str, float], year: int, newline: str
) -> str:
    """The new lines of a block-mapping target: its lines outside the planned year as written,
    then one line per new period at the same indentation. They replace the old lines from its
    first key's line to the end of its last value's line."""
    indent = " " * old.value[0][0].start_mark.column
    found = next((v for k, v in old.value if str(k.value) == "annual"), None)
    annual = found if isinstance(found, yaml.MappingNode) else None
    years = [(k, v) for k, v in annual.value if str(k.value) == str(year)] if annual else []
    annual_gone = annual is not None and len(years) == len(annual.value)
    out, at = [], _line_start(text, old.value[0][0].start_mark.index)
    for key, value in old.value:
        name = str(key.value)
        start = _line_start(text, key.start_mark.index)
        stop = _line_after(text, _end(value))
        out.append(text[at:start])  # comment lines before the pair
        at = stop
        if _dropped(name, year) or (annual_gone and name in ("annual", "split")):
            continue
        if annual is None or value is not annual or not years:
            out.append(text[start:stop])
        elif annual.flow_style:
            rest = [(k, v) for k, v in annual.value if (k, v) not in years]
            flow = "{" + ", ".join(f"{_flow(k, text)}: {_flow(v, text)}" for k, v in rest) + "}"
            out.append(
                text[start : annual.start_mark.index] + flow + text[annual.end_mark.index : stop]
            )
        else:
            head = text[start : _line_start(text, annual.value[0][0].start_mark.index)]
            out.append(head + _kept_lines(text, annual, years))
    kept = "".join(out)
    if kept and not kept.endswith("\n"):
        kept += newline
    return kept + "".join(f"{indent}{k}: {number_text(v)}{newline}" for k, v in entries.items())


def write_targets(
    root: Path, kpi_id: str, entries: dict[str, float], year: int, additive: bool
) -> WriteResult:
    """Put `entries` (period label -> target) into kpi.yaml's `targets:` for the KPI."""
    path = Path(root) / "kpi.yaml"
    try:
        if path.exists() and not path.is_file():  # a FIFO would block the read forever
            raise KpiError(f"cannot update {path}: it is not a regular file")
        raw = path.read_bytes() if path.exists() else b""
    except OSError as exc:
        raise KpiError(f"cannot read {path}: {exc.strerror or exc}") from None
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    try:
        text = raw[len(bom) :].decode("utf-8")
        top = yaml.compose(text, Loader=yaml.SafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        raise KpiError(f"cannot update {path}: {exc}") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    if top is not None and not (isinstance(top, yaml.MappingNode) and not top.flow_style):
        raise KpiError(f"cannot update {path}: it is not a block mapping of settings")
    pairs = top.value if top is not None else []
    targets = next(((k, v) for k, v in pairs if k.value == "targets"), None)
    old_pair = None
    if targets and isinstance(targets[1], yaml.MappingNode):
        old_pair = next(((k, v) for k, v in targets[1].value if k.value == kpi_id), None)
    value, notes = merged_entry(old_pair[1] if old_pair else None, text, entries, year, additive)
    entry = f"{kpi_id}: {value}"
    if old_pair is not None:
        key, old = old_pair
        if isinstance(old, yaml.MappingNode) and not old.flow_style and old.value:
            first = _line_start(text, old.value[0][0].start_mark.index)
            lines = block_entry(old, text, entries, year, newline)
            new_text = text[:first] + lines + text[_line_after(text, _end(old)) :]
        else:
            new_text = text[: key.end_mark.index] + ": " + value + text[_end(old) :]
    elif targets is None:
        start = text if not text or text.endswith("\n") else text + newline
        new_text = f"{start}targets:{newline}  {entry}{newline}"
    elif isinstance(targets[1], yaml.MappingNode) and targets[1].flow_style:
        close = targets[1].end_mark.index - 1
        comma = ", " if targets[1].value else ""
        new_text = text[:close] + comma + entry + text[close:]
    elif isinstance(targets[1], yaml.MappingNode):
        indent = " " * targets[1].value[0][0].start_mark.column
        at = _line_after(text, _end(targets[1]))  # after the last entry's comment
        head = text[:at] if text[:at].endswith("\n") else text[:at] + newline
        new_text = head + indent + entry + newline + text[at:]
    elif targets[1].tag.endswith("null"):
        key, null = targets
        at = text.find("\n", null.end_mark.index)
        at = len(text) if at < 0 else at - (1 if text[at - 1 : at] == "\r" else 0)
        head = text[: key.end_mark.index] + ":" + text[null.end_mark.index : at]
        new_text = head + newline + "  " + entry + text[at:]
    else:
        raise KpiError(f"cannot update {path}: `targets:` is not a mapping")
    _check(new_text, path, kpi_id)
    write_atomic(path, bom + new_text.encode("utf-8"), "the targets")
    return WriteResult(path, entry, notes)


def _check(text: str, path: Path, kpi_id: str) -> None:
    data = parse_yaml(text, str(path))
    targets = data.get("targets") if isinstance(data, YMap) else None
    if not isinstance(targets, YMap) or kpi_id not in targets:
        raise KpiError(f"internal error: the new {path} lost the target of `{kpi_id}`")
    checker = Checker()
    parse_target(targets[kpi_id], targets.value_loc(kpi_id), kpi_id, checker)
    if checker.findings:
        first = checker.findings[0]
        raise KpiError(f"the new target would be invalid: {first.message}", Location(str(path)))
