"""Write a plan's targets into kpi.yaml: only the KPI's entry under `targets:` changes.

The entry is rewritten in flow style (`roi: {annual: 0.3, 2025: 0.35}`), keeping its entries
outside the planned year with their original text; every other byte of the file is kept. The
new text is checked as a target before it replaces the file atomically (a temporary file in the
same folder, then `os.replace`).
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .checker import Checker
from .errors import KpiError, Location
from .periods import PeriodError, label_bounds
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


def write_targets(
    root: Path, kpi_id: str, entries: dict[str, float], year: int, additive: bool
) -> WriteResult:
    """Put `entries` (period label -> target) into kpi.yaml's `targets:` for the KPI."""
    path = Path(root) / "kpi.yaml"
    raw = path.read_bytes() if path.exists() else b""
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    try:
        text = raw[len(bom) :].decode("utf-8")
        top = yaml.compose(text, Loader=yaml.SafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
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
        at = _end(targets[1])
        new_text = text[:at] + newline + indent + entry + text[at:]
    elif targets[1].tag.endswith("null"):
        key, null = targets
        at = text.find("\n", null.end_mark.index)
        at = len(text) if at < 0 else at - (1 if text[at - 1 : at] == "\r" else 0)
        head = text[: key.end_mark.index] + ":" + text[null.end_mark.index : at]
        new_text = head + newline + "  " + entry + text[at:]
    else:
        raise KpiError(f"cannot update {path}: `targets:` is not a mapping")
    _check(new_text, path, kpi_id)
    _replace(path, bom + new_text.encode("utf-8"))
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


def _replace(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(prefix=".kpi.yaml.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
