"""The plan of one evaluation: which KPIs, variables and rules, dates and segments.

Pure: it reads the workspace's definitions and the variables the data can give; the sources
answer the plan (`kpiengine.sources`) and the evaluation computes it (`kpiengine.evaluation`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .checks.runtime import MissingInput
from .errors import ERROR, Finding, KpiError, suggestion
from .model import BUILTIN, DISTINCT, Aggregate, Workspace
from .periods import DEFAULT, Calendar
from .refs import MAX_ROLLING, WINDOWS, window_of
from .table import InputTable


@dataclass(frozen=True)
class Plan:
    """What to evaluate and what to ask the sources for.

    `kpis` are the KPIs asked for that can be evaluated; `needed` adds every KPI they depend on
    (both in evaluation order). `start`/`end` bound the periods shown; the sources are asked for
    data from `fetch_start` so that changes against the previous period and last year exist.
    """

    workspace: Workspace
    kpis: tuple[str, ...]
    needed: tuple[str, ...]
    variables: dict[str, Aggregate]
    grain: str
    by: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    fetch_start: dt.date | None = None
    findings: tuple[Finding, ...] = field(default=())
    calendar: Calendar = DEFAULT
    window: str | None = None  # evaluate every KPI over this window (`ytd`, `rolling3`)
    #: days asked only to pace a partial period: a source without daily values (a weekly
    #: export) is left out of them, not an error
    pacing: bool = False

    @property
    def fetch_end(self) -> dt.date | None:
        return self.end


def select_kpis(
    workspace: Workspace, available: Iterable[str], requested: list[str] | None = None
) -> tuple[list[str], list[Finding]]:
    """Which KPIs to evaluate, and the findings for asked-for KPIs that cannot be.

    Asked for (`requested`, else kpi.yaml's `kpis:`), or else every workspace KPI plus every
    built-in KPI the data can feed.
    """
    available = set(available)
    asked = list(requested or workspace.settings.kpis)
    if not requested:  # kpi.yaml's list: an unknown id there is a finding at its place
        known = [name for name in asked if name in workspace.kpis]
        if asked and not known:
            raise KpiError(
                "kpi.yaml's `kpis:` names no known KPI: " + ", ".join(f"`{n}`" for n in asked),
                workspace.settings.kpis_location,
                "fix the ids (`kpi list` shows the KPIs)",
            )
        asked = known
    for name in asked:
        if name not in workspace.kpis:
            for own in (f for f in workspace.errors if f.kpi == name):  # a definition left out
                raise KpiError(own.message, own.location, own.fix)
            alias = workspace.kpi_for_alias(name)
            hint = (
                f"; it is an alias of `{alias.id}`" if alias else suggestion(name, workspace.kpis)
            )
            raise KpiError(f"unknown KPI `{name}`{hint}")
    optional = []
    if not asked:
        asked = [k.id for k in workspace.kpis.values() if k.layer != BUILTIN]
        optional = [
            k.id
            for k in workspace.kpis.values()
            if k.layer == BUILTIN
            and workspace.blocked_by(k.id) is None
            and workspace.inputs_of(k.id) <= available
        ]
    chosen, findings = [], []
    for name in asked:
        kpi = workspace.kpis[name]
        blocker = workspace.blocked_by(name)
        if blocker == name:
            continue  # its definition errors are already findings
        if blocker is not None:
            findings.append(
                MissingInput.finding(
                    f"KPI `{name}` depends on `{blocker}`, whose definition has errors",
                    kpi.id,
                    kpi.location,
                    fix=f"fix the definition of `{blocker}` (see its findings)",
                )
            )
            continue
        missing = sorted(workspace.inputs_of(name) - available)
        if missing:
            findings.append(
                MissingInput.finding(
                    f"KPI `{name}` needs {', '.join(f'`{m}`' for m in missing)}, "
                    "which the data does not provide",
                    kpi.id,
                    kpi.location,
                )
            )
            continue
        chosen.append(name)
    chosen += [k for k in optional if k not in chosen]
    order = {k: i for i, k in enumerate(workspace.order)}
    return sorted(chosen, key=lambda k: order.get(k, -1)), findings


def year_before(day: dt.date) -> dt.date:
    """The first day of the month a year and a week before `day` (ISO weeks included)."""
    if day.toordinal() <= 372:  # no history before the year 1
        return dt.date.min
    return (day - dt.timedelta(days=372)).replace(day=1)


def make_plan(
    workspace: Workspace,
    available: Iterable[str],
    kpis: list[str] | None = None,
    grain: str | None = None,
    by: Iterable[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    window: str | None = None,
) -> Plan:
    """The plan for evaluating `kpis` (default: see `select_kpis`) on data that can give the
    `available` variables, at `grain`, for the total and each combination of `by`; `window`
    (`ytd`, `qtd`, `mtd`, `rolling:N`) evaluates each KPI over that window instead."""
    if start and end and start > end:
        raise KpiError(f"the first period ({start}) comes after the last ({end})")
    token = window_token(window) if window else None
    available = set(available)
    chosen, findings = select_kpis(workspace, available, kpis)
    needed = set(chosen)
    for name in chosen:
        needed |= workspace.kpi_deps_of(name)
    variables = set().union(*(workspace.inputs_of(k) for k in needed)) if needed else set()
    # the whole a part stands for, when the data gives both: KPI314 compares them
    variables |= {
        other
        for v in variables
        if (other := workspace.variables[v].otherwise) is not None and other in available
    }
    aggregates = {v: workspace.variables[v].aggregate for v in sorted(variables)}
    if not aggregates:
        # a KPI asked for but broken: show why (its own errors), not that data is missing
        asked = [k for k in (kpis or workspace.settings.kpis) if workspace.blocked_by(k) == k]
        errors = [f for k in asked for f in workspace.kpis[k].findings if f.severity == ERROR]
        if errors:
            raise KpiError(
                "no KPI can be evaluated: the definition of "
                + ", ".join(f"`{k}`" for k in asked)
                + " has errors:\n"
                + "\n".join(f.format() for f in errors)
            )
        raise KpiError(
            "no KPI can be evaluated: " + missing_text(workspace, set(available), kpis),
            fix=_missing_fix(workspace),
        )
    return Plan(
        workspace,
        tuple(chosen),
        tuple(k for k in workspace.order if k in needed),
        aggregates,
        grain or workspace.settings.grain,
        tuple(by),
        start,
        end,
        _fetch_start(start, token),
        tuple(findings),
        workspace.calendar,
        token,
    )


#: where a connector's own options name the columns it reads, besides `map:`
_COLUMN_OPTIONS = {
    "crm": "`columns:` (e.g. `{amount: Deal Value}`) when the export's headers are not recognised",
    "ads": "`columns:` (e.g. `{cost: Spend}`) when the export's headers are not recognised",
    "ga_export": "`headers:` (e.g. `{Sessies: Sessions}`) for headers in another language",
}


def _missing_fix(workspace: Workspace) -> str:
    """How to give the missing inputs, in the keys of the workspace's own sources: a `data:`
    file names variables by its column headers; every source maps them with `map:`."""
    settings = workspace.settings
    declared = [s for s in settings.sources if settings.data is None or s.name != "data"]
    if not declared:  # `data:` (or --data): a csv file whose column headers name variables
        return (
            "add the missing columns to the data file, headed with the variables' names, or "
            "declare the file under `sources:` (connector: csv) with `map: {variable: column}`"
        )
    fix = "add the missing columns to the data, or map them in the source's `map:`"
    fix += " (`map: {variable: column}`)"
    extra = [
        f"in a {name} source, {_COLUMN_OPTIONS[name]}"
        for name in sorted({s.connector for s in declared})
        if name in _COLUMN_OPTIONS
    ]
    return fix + "".join(f"; {e}" for e in extra)


def missing_text(workspace: Workspace, available: set[str], kpis: list[str] | None) -> str:
    """Which inputs each asked-for KPI lacks and which the data has; the data's inputs when no
    KPI was asked for."""
    asked = [k for k in (kpis or workspace.settings.kpis) if k in workspace.kpis]
    if not asked:
        return "the data provides none of the inputs of any KPI"
    parts = []
    for name in asked:
        inputs = workspace.inputs_of(name)
        missing, present = sorted(inputs - available), sorted(inputs & available)
        if not missing:
            continue
        text = f"`{name}` needs {_names(missing)}, which the data does not provide"
        if present:
            text += f" (it provides {_names(present)})"
        parts.append(text)
    return "; ".join(parts) or "the data provides none of their inputs"


def _names(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def window_token(text: str) -> str:
    """`ytd`, `qtd`, `mtd` or `rolling:N` (as `--window` takes it) as a reference token."""
    kind, _, count = text.partition(":")
    if kind in WINDOWS and kind != "rolling" and not count:
        return kind
    if kind == "rolling" and count.isdigit() and 1 <= int(count) <= MAX_ROLLING:
        return f"rolling{int(count)}"
    raise KpiError(
        f"`{text}` is not a window",
        fix=f"use ytd, qtd, mtd or rolling:N (N from 1 to {MAX_ROLLING})",
    )


def _fetch_start(start: dt.date | None, token: str | None) -> dt.date | None:
    """A year and a week before the first period shown (changes, year-to-date); everything
    for a rolling window longer than that."""
    if start is None:
        return None
    found = window_of(token) if token else None
    return None if found and found[1] > 12 else year_before(start)


def variables_plan(
    workspace: Workspace,
    variables: dict[str, Aggregate],
    grain: str,
    by: Iterable[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Plan:
    """A plan that asks the sources for `variables` only (no KPI is evaluated)."""
    return Plan(
        workspace,
        (),
        (),
        dict(variables),
        grain,
        tuple(by),
        start,
        end,
        start,
        calendar=workspace.calendar,
    )


#: Beyond this many segments, a partial period is paced for the total only.
MAX_PACED_SEGMENTS = 50


def daily_plan(plan: Plan, table: InputTable) -> Plan:
    """The daily data a partial last period needs: its own days, the same days of the previous
    period and of last year (values to date), and eight weeks before it (projections)."""
    start = year_before(table.period_start(table.n_periods - 1)) - dt.timedelta(days=7)
    by = plan.by if len(table.segments) <= MAX_PACED_SEGMENTS else ()
    summed = {v: a for v, a in plan.variables.items() if a.time != DISTINCT}
    days = variables_plan(plan.workspace, summed, "day", by, start, plan.end)
    return replace(days, pacing=True)
