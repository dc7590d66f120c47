"""An `ads` source holding several platforms' exports (not a plugin module): Google Ads and Meta
files in one folder, each file read with its own platform's profile and their rows added up.

Each file's platform is told from its headers (`_ads_profiles.detect_platform`); a file whose
platform cannot be told, beside files of two platforms, is an error naming it. The files of one
platform are read as a source of their own (`ads.AdsConnector` over them: their headers, totals
rows, currency, duplicates and ranges checked among themselves), with the options that apply to
them: a `columns:` entry, a `map:` entry or a `dimensions:` column is given to the platforms
whose files have its columns (an entry no file has is an error, as in a source of one platform).

Their answers are added up:
- a variable is the sum over the platforms, so one that a platform's files do not give (Meta
  files without a conversion value column) is undefined, and why is said, never the other
  platforms' part alone; so is one a platform leaves undefined;
- the source breaks down by the dimensions every platform has (`channel`, `platform`,
  `campaign` ...);
- days one platform's files state they do not cover while another's do (Meta exported to 30
  June, Google to 31 July) are unknown, not days without spend (`Frame.holes`: KPI017), as the
  days between two monthly downloads of one platform are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np

from kpiengine.connector import Mapping, Request
from kpiengine.errors import KpiError
from kpiengine.fileformats.tables import FileTable
from kpiengine.filesource import find, require
from kpiengine.periods import RANGE
from kpiengine.sourceconfig import SourceConfig
from kpiengine.table import Frame, union

from ._ads_headers import unrecognised
from ._ads_profiles import PLATFORMS, detect_platform

Hole = tuple[dt.date, dt.date, str, str]


class Part(Protocol):
    """What is read of the connector of one platform's files (`ads.AdsConnector`)."""

    config: SourceConfig
    tables: list[FileTable]
    platform: str
    columns: dict[str, str]
    role_of: dict[str, str]

    def provides(self) -> set[str]: ...

    def dimensions(self) -> set[str]: ...

    def fetch(self, request: Request) -> Frame: ...

    def _stated(self) -> list[tuple[Any, Any] | None]: ...


def by_platform(tables: list[FileTable], source: str) -> dict[str, list[FileTable]]:
    """The files by platform when they are of several, else {} (one platform: files whose
    platform cannot be told are that one's, checked against its columns as the others)."""
    found: dict[str, list[FileTable]] = {}
    unknown = []
    for table in tables:
        meta = table.sniffed.preamble.meta if table.sniffed else {}
        platform = detect_platform(table.columns, meta)
        if platform is None:
            unknown.append(table)
        else:
            found.setdefault(platform, []).append(table)
    if len(found) < 2:
        return {}
    if unknown:
        named = " and ".join(PLATFORMS[p][0] for p in found)
        said = unrecognised(unknown[0], source)
        raise KpiError(
            f"{said.message}; the source's other files are {named} exports, each read with its "
            "platform's profile, and this one's platform cannot be told from its headers",
            said.location,
            f"give this file a source of its own: {said.fix}",
        )
    return found


def part_config(config: SourceConfig, layout: FileTable) -> SourceConfig:
    """The source's configuration for one platform's files (`layout`: the first): the
    `columns:`, `map:` and `dimensions:` entries whose columns its files have."""
    options = dict(config.options)
    columns = options.get("columns")
    if isinstance(columns, dict):
        options["columns"] = {
            r: c for r, c in columns.items() if not isinstance(c, str) or _has(layout, [c])
        }
    mappings = {v: m for v, m in config.mappings.items() if _has(layout, _names(m))}
    dimensions = {d: c for d, c in config.dimensions.items() if _has(layout, [c])}
    return dataclasses.replace(config, options=options, mappings=mappings, dimensions=dimensions)


def check_used(config: SourceConfig, layouts: list[FileTable]) -> None:
    """An error for a `columns:`, `map:` or `dimensions:` column no platform's files have."""
    columns = config.options.get("columns")
    named = [c for c in columns.values() if isinstance(c, str)] if isinstance(columns, dict) else []
    named += [n for m in config.mappings.values() for n in _names(m)]
    named += list(config.dimensions.values())
    for name in named:
        if not any(_has(layout, [name]) for layout in layouts):
            require(layouts[0], name)  # no such column: the error with the closest name


def _names(mapping: Mapping) -> list[str]:
    return [n for n in (mapping.column, mapping.distinct, *mapping.where, mapping.present) if n]


def _has(layout: FileTable, names: Iterable[str]) -> bool:
    return all(find(layout, [n]) is not None for n in names)


def provided(parts: list[Part]) -> set[str]:
    """The variables of the platforms' files: any platform's (one another lacks: undefined)."""
    return set().union(*(p.provides() for p in parts))


def dimensions(parts: list[Part]) -> set[str]:
    """The dimensions every platform's files have."""
    return set.intersection(*(p.dimensions() for p in parts))


def fetch_parts(parts: list[Part], request: Request, source: str) -> Frame:
    """The platforms' answers added up (see the module's docstring)."""
    wanted = [v for v in request.variables if v in provided(parts)]
    dims = [d for d in request.dimensions if d in dimensions(parts)]
    asked = dataclasses.replace(request, dimensions=dims)
    frames = [p.fetch(asked) for p in parts]
    grains = {f.grain for f in frames if len(f)}
    if len(grains) > 1:
        raise KpiError(
            f"source `{source}`: the platforms' files cannot be added up by "
            f"{request.grain}: {_grains(parts, frames)}",
            parts[0].config.location,
            "give each platform its own source, or download the reports over the same range",
        )
    why: dict[str, str] = {}
    for part, frame in zip(parts, frames, strict=True):
        for variable in wanted:
            if variable not in part.provides():
                why.setdefault(variable, _lacks(parts, part, variable, source))
            elif variable in frame.missing:
                why.setdefault(variable, frame.missing[variable])
    out = Frame(
        np.concatenate([f.dates for f in frames]),
        {d: np.concatenate([f.dims[d] for f in frames]) for d in dims},
        {
            v: np.concatenate([f.values.get(v, np.full(len(f), np.nan)) for f in frames])
            for v in wanted
        },
        source=", ".join(f.source for f in frames if f.source),
        span=union([f.coverage for f in frames]),
        grain=next(iter(grains), frames[0].grain),
        date_grain=_date_grain(frames),
        dated_by={k: v for f in frames for k, v in f.dated_by.items()},
        warnings=[w for f in frames for w in f.warnings],
        notes={k: v for f in frames for k, v in f.notes.items()},
        holes=sorted({h for f in frames for h in f.holes} | set(_uncovered(parts, frames))),
    )
    for variable, reason in why.items():  # never one platform's part alone
        out.values[variable] = np.full(len(out), np.nan)
        out.missing[variable] = reason
    return out


def _date_grain(frames: list[Frame]) -> str:
    """How precise the raw dates are: the platforms' when they agree, else days."""
    kinds = {f.date_grain for f in frames if len(f)}
    return kinds.pop() if len(kinds) == 1 else "day"


def _files(part: Part) -> str:
    shown = ", ".join(f"`{t.name}`" for t in part.tables[:3])
    return shown + (f" and {len(part.tables) - 3} more" if len(part.tables) > 3 else "")


def _lacks(parts: list[Part], part: Part, variable: str, source: str) -> str:
    """Why a variable one platform's files do not give is undefined for the source."""
    giver = next(p for p in parts if variable in p.provides())
    mapping = giver.config.mappings.get(variable)
    column = mapping.column if mapping and mapping.column else giver.columns.get(
        giver.role_of.get(variable, ""), variable)  # fmt: skip
    return (
        f"source `{source}` adds up its platforms' files, and `{variable}` (`{column}` in the "
        f"{PLATFORMS[giver.platform][0]} files) is not in the {PLATFORMS[part.platform][0]} "
        f"files ({_files(part)}): their sum would leave that platform out; export them with "
        "that column, or give each platform its own source"
    )


def _grains(parts: list[Part], frames: list[Frame]) -> str:
    said = []
    for part, frame in zip(parts, frames, strict=True):
        span = frame.coverage
        what = f"{span[0]} to {span[1]} as one period" if frame.grain == RANGE and span else (
            f"{frame.grain or 'day'} by {frame.grain or 'day'}")  # fmt: skip
        said.append(f"the {PLATFORMS[part.platform][0]} files ({_files(part)}) give {what}")
    return "; ".join(said)


def _uncovered(parts: list[Part], frames: list[Frame]) -> list[Hole]:
    """The days a platform's files state they do not cover, inside the days another's cover
    (each hole: first, last, the file before it and the file after it, as `monthgaps.holes`)."""
    spans: list[tuple[Part, tuple[dt.date, dt.date]]] = []
    for part, frame in zip(parts, frames, strict=True):
        if frame.coverage is not None:
            spans.append((part, frame.coverage))
    if len(spans) < 2:
        return []
    lo, hi = union([s for _, s in spans]) or spans[0][1]
    first = min(spans, key=lambda s: s[1][0])[0].tables[0].name  # a file covering `lo`
    last = max(spans, key=lambda s: s[1][1])[0].tables[-1].name  # one covering `hi`
    day = dt.timedelta(days=1)
    out = []
    for part, (start, end) in spans:
        if not all(r is not None for r in part._stated()):
            continue  # rows' days only: the days past them may be days without activity
        if start > lo:
            out.append((lo, start - day, first, part.tables[0].name))
        if end < hi:
            out.append((end + day, hi, part.tables[-1].name, last))
    return out


def combine(
    make: Callable[[SourceConfig, list[FileTable]], Part],
    config: SourceConfig,
    groups: dict[str, list[FileTable]],
) -> list[Part]:
    """The connector of each platform's files (`make`), the source's options checked."""
    check_used(config, [tables[0] for tables in groups.values()])
    return [make(part_config(config, tables[0]), tables) for tables in groups.values()]
