"""Sources answer a plan: connectors opened, asked for their variables, merged into one table.

`Sources` opens the workspace's sources (kpi.yaml `sources:`, `data:` or `--data FILE`) with
the connectors the engine's plugins registered; `FrameInput` takes rows given directly. Both
answer `fetch(plan) -> InputTable`; the findings about each answer are made by
`kpiengine.sourcefindings`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np

from . import monthgaps, sourcefindings
from .checks.definitions import BadValue
from .connector import Connector, NoDailyValues, OptionError, Request, quantities
from .distinct import detach_windows, place_windows, split_windows, windows_asked
from .errors import Finding, KpiError, suggestion
from .model import DISTINCT, Aggregate, Variable, Workspace
from .periods import RANGE, counts_whole
from .plan import Plan
from .plugincall import PluginFailure, call, call_with_timeout, checked_frame
from .plugins import Registered
from .sourceconfig import SourceConfig, data_file_source, whole_counts
from .sourcefindings import Failure, failure
from .sourceowners import owners
from .standins import asking_stand_ins, copy_stand_ins, stand_ins
from .table import Frame, InputTable, SourceStatus, build_table, union
from .today import cut_at, past_cut, today, unknown_rows


def relabel(frame: Frame, renames: dict[str, dict[str, str]]) -> Frame:
    """The frame with dimension values renamed (rows that become one segment are kept apart)."""
    for dim, mapping in renames.items():
        if dim in frame.dims and mapping:
            column = frame.dims[dim]
            values, inverse = np.unique(column.astype(str), return_inverse=True)
            renamed = np.array([mapping.get(v, v) for v in values], dtype=object)
            frame.dims[dim] = renamed[inverse.reshape(-1)]
    return frame


@dataclass
class OpenSource:
    config: SourceConfig
    connector: Connector
    origin: str
    provides: set[str]
    dimensions: set[str] = field(default_factory=set)


def open_sources(
    configs: list[SourceConfig],
    connectors: dict[str, Registered],
    declared: Mapping[str, Variable],
    failures: list[Failure] | None = None,
    broken: Iterable[str] = (),
    kinds: Mapping[str, str] | None = None,
) -> list[OpenSource]:
    """Instantiate each source's connector, told the `declared` variables (their ids, and
    which are whole counts: `SourceConfig.counts`); an unknown connector lists the installed
    ones (and `broken`, why installed plugins failed to load).

    A connector whose constructor, `provides()` or `dimensions()` fails by a bug is left out
    and added to `failures` (raised as a KpiError when `failures` is None)."""
    out = []
    variables, counts, kinds = set(declared), whole_counts(declared), kinds or {}
    for config in configs:
        found = connectors.get(config.connector)
        if found is None:
            installed = ", ".join(sorted(connectors))
            raise KpiError(
                f"source `{config.name}`: unknown connector `{config.connector}`"
                f"{suggestion(config.connector, connectors)} (installed: {installed})"
                + "".join(f"; {why}" for why in broken),
                config.location,
            )
        config.variables = frozenset(variables)
        config.counts = counts
        config.quantities = dict(kinds)
        for name, mapping in config.mappings.items():
            if name not in variables:
                raise KpiError(
                    f"source `{config.name}` maps unknown variable `{name}`"
                    f"{suggestion(name, variables)}",
                    mapping.location,
                )
            if mapping.distinct is not None and declared[name].aggregate.time != DISTINCT:
                raise KpiError(  # distinct counts never add up across days or periods
                    f"`{name}` maps `distinct: {mapping.distinct}` but its aggregate is "
                    f"`{declared[name].aggregate.time}`",
                    mapping.location,
                    f"declare `{name}: {{aggregate: distinct}}` in the definitions, or count "
                    f"rows with `count: {mapping.distinct}`",
                )
        dated = [m for m in config.mappings.values() if m.date]
        if dated and not found.obj.mapping_dates:
            raise KpiError(
                f"connector `{config.connector}` does not take `date:` in a mapping",
                dated[0].location,
                "use one source per date column",
            )
        what = f"connector `{config.connector}`"
        try:
            connector: Connector = call(partial(found.obj, config), what)
            provides = call(partial(_as_set, connector.provides), f"{what} `provides()`")
            dims = call(partial(_as_set, connector.dimensions), f"{what} `dimensions()`")
        except OptionError as exc:  # a value of the wrong kind in kpi.yaml: KPI003 stops all
            raise exc.stopping(BadValue) from None
        except PluginFailure as exc:
            failed = failure(config, found.origin, str(exc))
            if failures is None:
                raise KpiError(failed.finding.message, config.location) from None
            failures.append(failed)
            continue
        out.append(OpenSource(config, connector, found.origin, provides & variables, dims))
    return out


def _concerning(findings: list[Finding], start: int, variables: Iterable[str]) -> int:
    """Mark `findings[start:]`, a source's, with the variables asked of it (`kpi lint --kpi`
    keeps those about a KPI's inputs); the index after them."""
    for finding in findings[start:]:
        finding.details.setdefault("variables", sorted(variables))
    return len(findings)


def _as_set(method: Callable[[], Iterable[str]]) -> set[str]:
    return {str(name) for name in method()}


def fetch_table(
    sources: list[OpenSource],
    owner: dict[str, OpenSource],
    plan: Plan,
    failures: Sequence[Failure] = (),
    on_source: Callable[[str], None] | None = None,
) -> InputTable:
    """Ask each source for its variables and merge the answers into one input table;
    `on_source(name)` is told as each source is done (a progress bar). The plan's dates are the
    range the evaluation needs (a connector may return more; the engine keeps what it needs). A
    source that fails by a bug, hangs past its `timeout:` or returns a malformed Frame is
    reported (KPI012) and the others are used; so are `failures`, the sources that could not
    be opened."""
    by = list(plan.by)
    tables: list[InputTable] = []
    statuses: list[SourceStatus] = [f.status for f in failures]
    findings: list[Finding] = [f.finding for f in failures]
    spans: list[tuple[dt.date, dt.date]] = []  # of sources without dates
    undatable: dict[str, str] = {}
    left_out: dict[str, str] = {}  # variables a connector leaves out, and why
    reported: set[str] = set()  # the reasons a finding already gives
    now = today()
    cut = min(now, plan.end or now)  # data after `--to DAY` is unknown as after today
    past: dict[str, str] = {}  # variables whose rows reach past the cut: why, if without days
    told = 0  # the findings before `told` say the variables they concern (`_concerning`)
    wanted: dict[str, Aggregate] = {}
    for source in sources:
        told = _concerning(findings, told, wanted)
        wanted = {v: a for v, a in plan.variables.items() if owner.get(v) is source}
        status = SourceStatus(
            source.config.name, source.config.connector, source.origin, sorted(wanted)
        )
        statuses.append(status)
        if not wanted:
            continue
        dims = list(by) if all(d in source.dimensions for d in by) else []
        request = Request(wanted, plan.grain, dims, plan.fetch_start, plan.fetch_end, plan.calendar)
        request.windows = windows_asked(plan, wanted)  # distinct counts read over windows
        request.quantities = quantities(plan.workspace, wanted)  # what number columns hold
        name, where = status.name, source.config.location
        later = None  # the last day of data after today, which this run does not count
        try:
            frame = _ask(source, request, list(wanted))
            last = frame.coverage[1] if frame.coverage else now
            if last > now and (request.end is None or request.end > now):
                # asked again up to today (rare: asking so always would cost every scan a test)
                later = last
                frame = _ask(source, dataclasses.replace(request, end=now), list(wanted))
            if not counts_whole(frame.date_grain, plan.grain):
                raise NoDailyValues(  # a month's total put on a day or in a week is wrong
                    f"its rows are whole {frame.date_grain}s, which no {plan.grain} can count",
                    where,
                    f"evaluate by {frame.date_grain} or longer (`--grain {frame.date_grain}`), "
                    f"or export the data by day",
                )
        except NoDailyValues as exc:  # rows spanning days (months of users, Meta's ranges)
            at = f"{exc.location}: " if exc.location else ""
            why = f"`{name}` has rows no {plan.grain} holds: {at}{exc.message}"
            left_out.update(dict.fromkeys(wanted, why))
            if not plan.pacing:  # days asked for: a finding; to pace: its KPIs unprojected
                reported.add(why)
                findings.append(
                    sourcefindings.no_daily_values(name, where, exc, sorted(wanted), plan.grain)
                )
            continue
        except PluginFailure as exc:  # a plugin's bug: report it, keep the other sources
            failed = failure(source.config, source.origin, str(exc), source.connector.secrets)
            status.error = failed.status.error
            findings.append(failed.finding)
            continue
        if not source.connector.renames_values:
            frame = relabel(frame, source.config.dimension_values)
        frame, counted = split_windows(frame, request.windows)  # rows of windows apart
        left_out.update({v: f"`{status.name}`: {why}" for v, why in frame.missing.items()})
        findings.extend(sourcefindings.left_out(name, where, frame.missing))
        status.coverage = frame.covered(plan.calendar)  # monthly rows cover their month
        findings.extend(sourcefindings.suspect(name, where, frame.warnings))
        if (stray := sourcefindings.stray_dates(name, where, frame)) is not None:
            findings.append(stray)
        if later is not None and not frame.warnings:  # unless the connector says which rows
            findings.append(sourcefindings.after_today(name, where, later, now, sorted(wanted)))
        if on_source is not None:
            on_source(status.name)
        present = {v: a for v, a in wanted.items() if v in frame.values}
        ranged = frame.grain == RANGE and plan.grain != RANGE
        if ranged and frame.span is not None and present:
            spans.append(frame.span)
            findings.append(
                sourcefindings.undatable(name, where, frame.span, plan.grain, sorted(present))
            )
            undatable.update(dict.fromkeys(present, f"`{status.name}` has no dates"))
        elif len(frame) and present:
            dims = [d for d in request.dimensions if d in frame.dims]
            calendar = plan.calendar
            if frame.grain == RANGE and frame.span is not None:
                calendar = calendar.for_range(*frame.span)
            built = build_table(frame, present, plan.grain, dims, calendar)
            place_windows(counted, built)
            ask = partial(_ask, source, variables=list(present))
            plain = dataclasses.replace(request, windows={})  # months of rows, not of windows
            findings.extend(monthgaps.source_gaps(source, built, frame, plain, ask, present))
            tables.append(built)
            if (rows := unknown_rows(frame, calendar, now, cut, ask, plain)) is not None:
                past.update(dict.fromkeys(present, past_cut(name, rows, cut)))
    _concerning(findings, told, wanted)
    if not tables and spans and len(set(spans)) == 1:
        raise OnlyRange(spans[0])
    if not tables:
        reasons = sorted(set(left_out.values()) - reported)
        failed_text = "; ".join([f.message for f in findings] + reasons)
        fixes = sorted({f.fix for f in findings if f.fix})
        raise NoData(
            "the sources returned no data for the KPIs asked for"
            + (f": {failed_text}" if failed_text else ""),
            fix="; ".join(fixes) or None,
        )
    summed = {v for v, a in plan.variables.items() if a.time == "sum"}
    table = cut_at(merge_tables(tables, by, summed), cut)
    table.past_cut = past
    detach_windows(table)
    if not table.n_periods:
        raise NoData(f"the sources hold no data up to {cut}: every row is dated later")
    for status in statuses:
        for variable in status.variables:
            if variable not in table.values:
                why = (
                    f"source `{status.name}` failed"
                    if status.error
                    else undatable.get(variable)
                    or left_out.get(variable, f"no data from `{status.name}`")
                )
                table.missing[variable] = why
                table.values[variable] = np.full((table.n_periods, len(table.segments)), np.nan)
            elif variable in left_out:  # given as empty cells (to keep the periods), and why
                table.missing.setdefault(variable, left_out[variable])
    table.sources = statuses
    table.findings = findings
    return table


class NoData(KpiError):
    """The sources answered, with no rows for what the plan asked."""


class OnlyRange(NoData):
    """Every source that answered covers one date range without dates: one `range` period."""

    def __init__(self, span: tuple[dt.date, dt.date]):
        super().__init__(f"the data covers {span[0]} to {span[1]} without dates")
        self.span = span


def _ask(source: OpenSource, request: Request, variables: list[str]) -> Frame:
    """The source's answer to `request`, within its `timeout:`, checked (`PluginFailure` else)."""
    what = f"connector `{source.config.connector}` `fetch()`"
    fetch = partial(source.connector.fetch, request)
    return checked_frame(call_with_timeout(fetch, source.config.timeout, what), variables, what)


def merge_tables(tables: list[InputTable], by: list[str], summed: Iterable[str] = ()) -> InputTable:
    """One table over all periods; a source without the `by` dimensions fills the total only.
    One with them lacking a segment others have: its `summed` variables are 0 there in the
    periods it holds (its total known), as days without rows; the others (means, stocks,
    distinct counts) stay unknown: no rows, nothing to average or count."""
    first = min(t.first for t in tables)
    last = max(t.first + t.n_periods for t in tables)

    def key(segment: dict[str, str]) -> tuple:
        return tuple(segment.get(d, "") for d in by) if segment else ()

    found = {key(s): s for t in tables for s in t.segments[1:]}
    segments = [{}, *(dict(found[k]) for k in sorted(found))]
    position = {key(s): i for i, s in enumerate(segments)}
    values: dict[str, np.ndarray] = {}
    for table in tables:
        offset = table.first - first
        columns = [position[key(s)] for s in table.segments]
        lacks = len(table.segments) > 1 and len(columns) < len(segments)
        for name, array in table.values.items():
            out = np.full((last - first, len(segments)), np.nan)
            held = out[offset : offset + table.n_periods]  # a view
            if lacks and name in summed:
                held[:, 1:] = np.where(np.isfinite(array[:, :1]), 0.0, np.nan)
            held[:, columns] = array
            values[name] = out
    return InputTable(
        tables[0].grain,
        first,
        values,
        segments,
        union([t.coverage for t in tables]),
        {k: v for t in tables for k, v in t.missing.items()},
        calendar=tables[0].calendar,
        spans={k: v for t in tables for k, v in t.spans.items()},
        gaps={k: v for t in tables for k, v in t.gaps.items()},
        dated_by={k: v for t in tables for k, v in t.dated_by.items()},
    )


class Inputs(Protocol):
    """Where a run's variables come from."""

    available: set[str]
    failures: list[Failure]  # sources whose connector failed as they were opened
    opened: list[OpenSource]  # the others

    def fetch(self, plan: Plan) -> InputTable: ...

    def dimension_counts(self) -> dict[str, int]:
        """How many sources can break their variables down by each dimension."""
        ...


class FrameInput:
    """Rows given directly (a `Frame`): the engine aggregates them."""

    def __init__(self, frame: Frame, workspace: Workspace | None = None):
        self.frame = frame
        self.stand_in = stand_ins(workspace, set(frame.values)) if workspace else {}
        self.available = set(frame.values) | set(self.stand_in)
        self.failures: list[Failure] = []  # no connector opened
        self.opened: list[OpenSource] = []

    def fetch(self, plan: Plan) -> InputTable:
        asked = asking_stand_ins(plan, self.stand_in)
        present = {v: a for v, a in asked.variables.items() if v in self.frame.values}
        table = build_table(self.frame, present, plan.grain, list(plan.by), plan.calendar)
        return copy_stand_ins(table, plan, self.stand_in)

    def dimension_counts(self) -> dict[str, int]:
        return dict.fromkeys(self.frame.dims, 1)


class Sources:
    """The workspace's sources, opened once per run with the registered connectors."""

    def __init__(
        self,
        workspace: Workspace,
        connectors: dict[str, Registered],
        data: str | Path | None = None,
        broken: Iterable[str] = (),
    ):
        settings = workspace.settings
        root = workspace.root or Path.cwd()
        if data is not None:
            configs = [data_file_source(Path(data), root, settings.currency)]
        else:
            configs = settings.sources
        if not configs:
            raise KpiError(
                "no data: pass --data FILE.csv, or list `sources:` (or `data:`) in kpi.yaml",
                fix="the CSV needs a `date` column and one column per variable",
            )
        self.failures: list[Failure] = []
        declared = workspace.variables
        kinds = quantities(workspace, declared)
        self.opened = open_sources(configs, connectors, declared, self.failures, broken, kinds)
        self.owner = owners(self.opened, settings.choose, settings.choose_location)
        self.stand_in = stand_ins(workspace, set(self.owner))
        self.available = set(self.owner) | set(self.stand_in)
        self.on_source: Callable[[str], None] | None = None  # told as each source is done

    def dimension_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for opened in self.opened:
            for dim in opened.dimensions:
                counts[dim] = counts.get(dim, 0) + 1
        return counts

    def fetch(self, plan: Plan) -> InputTable:
        """Aggregate the plan's variables to its grain, for the total and each `by` segment."""
        known = set(self.dimension_counts())
        for dim in plan.by:
            if dim not in known:
                raise KpiError(
                    f"no source has the dimension `{dim}`{suggestion(dim, known)} "
                    f"(dimensions: {', '.join(sorted(known)) or 'none'})"
                )
        asked = asking_stand_ins(plan, self.stand_in)
        table = fetch_table(self.opened, self.owner, asked, self.failures, self.on_source)
        return copy_stand_ins(table, plan, self.stand_in)
