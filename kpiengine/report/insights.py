"""What a KPI section adds from the symbolic analysis (`kpiengine.analysis.kpi_insights`): its
top drivers, the change since the previous period split by input (a waterfall), and, when the
KPI is at risk or off track, the value each input alone would need to reach the target.

Computed for the report's period and the segment total only. A part the analysis cannot give
(no previous period, an undefined value...) is left empty with the reason in `notes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..analysis import Context, kpi_insights
from ..model import Workspace, localized
from . import charts

TOP_DRIVERS = 3


@dataclass
class Input:
    """An input as a KPI section shows it: its name, title and number format."""

    name: str  # internal: `leads__prev`
    label: str  # as written in formulas: `prev(leads)`
    title: str
    format: str
    decimals: int | None


@dataclass
class DriverView:
    input: Input
    value: float | None
    elasticity: float  # % change of the KPI for +1% of the input


@dataclass
class ContributionView:
    input: Input
    before: float | None
    after: float | None
    contribution: float
    share: float | None


@dataclass
class ChangeView:
    start: str
    end: str
    before: float
    after: float
    change: float
    contributions: list[ContributionView]
    chart: charts.Waterfall
    notes: list[str] = field(default_factory=list)


@dataclass
class NeedView:
    """One way for one input to bring the KPI to its target, all other inputs held."""

    input: Input
    current: float | None
    value: float | None  # None: no single value (see `interval`) or no solution
    change: float | None
    change_pct: float | None
    feasible: bool
    why: list[str]
    interval: str | None
    solved: bool


@dataclass
class Insights:
    drivers: list[DriverView] = field(default_factory=list)
    change: ChangeView | None = None
    needs: list[NeedView] = field(default_factory=list)
    target: float | None = None
    notes: dict[str, str] = field(default_factory=dict)  # part -> why it is missing


def _input(ws: Workspace, name: str, label: str, locale: str) -> Input:
    """An input's title (none for a shifted one: `prev(revenue)` is not "Revenue") and format:
    a KPI's own, money with cents, else a plain number."""
    base = name.split("__")[0]
    shifted = base != name
    if base in ws.kpis:
        kpi = ws.kpis[base]
        title = "" if shifted else kpi.title_in(locale)
        return Input(name, label, title, kpi.format, kpi.decimals)
    variable = ws.variables.get(base)
    title = localized(variable.title, locale) if variable is not None and not shifted else ""
    money = variable is not None and variable.unit is not None and "currency" in str(variable.unit)
    title = "" if title == base else title
    return Input(name, label, title, "currency" if money else "number", None)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _drivers(ws: Workspace, found: list[dict], locale: str) -> list[DriverView]:
    return [
        DriverView(_input(ws, d["input"], d["label"], locale), d["value"], d["elasticity"])
        for d in found
        if _finite(d.get("elasticity"))
    ]


def _change(ws: Workspace, data: dict, direction: str, locale: str) -> ChangeView:
    rows = [
        ContributionView(
            _input(ws, c["input"], c["label"], locale),
            c["before"],
            c["after"],
            c["contribution"],
            c["share"],
        )
        for c in data["contributions"]
    ]
    chart = charts.waterfall_chart(data["waterfall"], direction)
    return ChangeView(
        data["start"], data["end"], data["before"], data["after"], data["change"], rows, chart,
        list(data.get("notes") or []),
    )  # fmt: skip


def _needs(ws: Workspace, found: list[dict], locale: str) -> list[NeedView]:
    out = []
    for seek in found:
        name = seek["input"]
        shown = _input(ws, name, name, locale)
        current = seek["input_value"]
        if not seek["solutions"]:
            out.append(NeedView(shown, current, None, None, None, False, [], None, False))
        for s in seek["solutions"]:
            out.append(
                NeedView(
                    shown, current, s["value"], s["change"], s["change_pct"], bool(s["feasible"]),
                    list(s["why"]), s["interval"], True,
                )
            )  # fmt: skip
    return out


def kpi_section_insights(
    ctx: Context, kpi_id: str, period: str, locale: str = "en", top: int = TOP_DRIVERS
) -> Insights:
    """The insights one KPI section shows for `period` (segment total)."""
    ws = ctx.ws
    out = Insights()
    try:
        data = kpi_insights(ctx, kpi_id, period, None, top)
    except Exception as exc:  # an analysis bug must not stop the report
        out.notes["kpi"] = f"the analysis failed: {exc}"
        return out
    out.notes.update(data.get("unavailable") or {})
    if "kpi" in out.notes:
        return out
    out.target = data.get("target")
    direction = ws.kpis[kpi_id].direction if kpi_id in ws.kpis else "none"
    out.drivers = _drivers(ws, data.get("drivers") or [], locale)
    if data.get("change"):
        out.change = _change(ws, data["change"], direction, locale)
    out.needs = _needs(ws, data.get("needs") or [], locale)
    return out
