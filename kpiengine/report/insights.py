"""What a KPI section adds from the symbolic analysis (`kpiengine.analysis.kpi_insights`): its
top drivers, the change since the previous period split by input (a waterfall), and, when the
KPI is at risk or off track, the value each input alone would need to reach the target.

Computed for the report's period and the segment total only. A part the analysis cannot give
(no previous period, an undefined value...) is left empty with the reason in `notes`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TypeGuard

from babel.dates import format_interval

from ..analysis import Context, kpi_insights
from ..analysis.drivers import RELATIVE
from ..analysis.explain import shown_places
from ..formatting import decimals_for
from ..i18n import label
from ..localformat import Formatter
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
    """One top driver: the KPI's exact change for +1% of the input, the others held (the KPI
    recomputed, not the elasticity's linear estimate: +1% customers moves CAC by -0.990%, where
    the elasticity is -1)."""

    input: Input
    value: float | None
    elasticity: float | None  # d ln KPI / d ln input (None for a KPI at or below 0)
    effect: float  # shown: the exact change in % of the KPI (`relative`), else in its unit
    basis: str  # `relative` or `absolute` (a rate, or a KPI at or below 0: see drivers.py)


@dataclass
class ContributionView:
    input: Input
    before: float | None
    after: float | None
    contribution: float
    share: float | None


@dataclass
class ChangeView:
    """The change since the previous period. With the partial last period it compares the same
    days of both (`compared` = `to_date`, said by `to_date`) or, without the daily values,
    labels the partial period (`Feb 2024 (15/29 d)`) and says why it is no movement (`warning`).
    """

    start: str
    end: str
    before: float
    after: float
    change: float
    contributions: list[ContributionView]
    chart: charts.Waterfall
    notes: list[str] = field(default_factory=list)
    compared: str = "period"
    start_label: str = ""  # the periods as compared: `Jan 2024`, `Jan 1 – 15, 2024`...
    end_label: str = ""
    to_date: str | None = None  # "Compared to date: Feb 1 – 15, 2024 vs Jan 1 – 15, 2024, ..."
    warning: str | None = None

    def places(self, fmt: str, decimals: int | None) -> int | None:
        """The decimals that make the contributions as shown add up to the change as shown
        (`analysis.explain.shown_places`)."""
        parts = [c.contribution for c in self.contributions]
        return shown_places(parts, self.change, fmt, decimals)


@dataclass
class NeedView:
    """One way for one input to bring the KPI to its target, all other inputs held."""

    input: Input
    current: float | None
    value: float | None  # None: no single value (see `interval`) or no solution
    change: float | None  # from `current` to `value`
    change_pct: float | None
    feasible: bool
    why: list[str]
    interval: str | None
    solved: bool
    #: the value that makes the KPI equal its target exactly; differs from `value` for a
    #: count, which needs the whole number that reaches the target (`Solution.whole`)
    exact: float | None = None
    whole_kpi: float | None = None  # the KPI's value at that whole number


@dataclass
class Insights:
    drivers: list[DriverView] = field(default_factory=list)
    effect_decimals: int | None = None  # of the drivers' `absolute` effects
    change: ChangeView | None = None
    needs: list[NeedView] = field(default_factory=list)
    needs_note: str | None = None  # in the period in progress: `now` is a projection...
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


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and math.isfinite(value)


def _drivers(
    ws: Workspace, found: list[dict], basis: str, value: object, locale: str
) -> list[DriverView]:
    """The drivers whose exact change for +1% is defined, as a % of the KPI's `value`
    (`relative`) or in the KPI's unit."""
    out = []
    for d in found:
        effect = d.get("change_1pct")
        if basis == RELATIVE:
            effect = 100 * effect / value if _finite(effect) and _finite(value) and value else None
        if _finite(effect):
            shown = _input(ws, d["input"], d["label"], locale)
            out.append(DriverView(shown, d["value"], d.get("elasticity"), effect, basis))
    return out


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
    out = ChangeView(
        data["start"], data["end"], data["before"], data["after"], data["change"], rows, chart,
        list(data.get("notes") or []), data.get("compared") or "period",
    )  # fmt: skip
    _compared(out, data, locale)
    return out


def _compared(view: ChangeView, data: dict, locale: str) -> None:
    """The labels of the two periods as compared, and what the comparison says (see
    ChangeView), in `locale`."""
    shown = Formatter(locale)
    view.start_label = shown.period(view.start, "short")
    view.end_label = shown.period(view.end, "short")
    partial = data.get("partial")
    if not partial:
        return
    if view.compared == "to_date":
        view.start_label = _days(shown, data["start_days"])
        view.end_label = _days(shown, data["end_days"])
        view.to_date = label("change_to_date", locale, end=view.end_label, start=view.start_label)
        return
    covered, days = shown.integer(partial["covered"]), shown.integer(partial["days"])
    mark = " (" + label("partial_short", locale, covered=covered, days=days) + ")"
    is_end = partial["period"] == view.end
    other = view.start_label if is_end else view.end_label
    period = shown.period(partial["period"], "short")
    if is_end:
        view.end_label += mark
    else:
        view.start_label += mark
    view.warning = label(
        "change_partial_warning", locale, period=period, covered=covered, days=days, other=other
    )


def _days(shown: Formatter, days: list[str]) -> str:
    """`Feb 1 – 15, 2024`: the first and last day compared (ISO dates), in the locale."""
    first, last = (dt.date.fromisoformat(d) for d in days)
    return shown.digits(format_interval(first, last, "yMMMd", locale=shown.locale))


def _needs(ws: Workspace, found: list[dict], locale: str) -> list[NeedView]:
    out = []
    for seek in found:
        name = seek["input"]
        shown = _input(ws, name, seek.get("label") or name, locale)  # `ytd(revenue)`
        current = seek["input_value"]
        if not seek["solutions"]:
            out.append(NeedView(shown, current, None, None, None, False, [], None, False))
        for s in seek["solutions"]:
            whole = s.get("whole") is not None
            value = s["whole"] if whole else s["value"]
            change = s["whole_change"] if whole else s["change"]
            change_pct = s["whole_change_pct"] if whole else s["change_pct"]
            out.append(
                NeedView(
                    shown, current, value, change, change_pct, bool(s["feasible"]),
                    list(s["why"]), s["interval"], True, s["value"], s.get("whole_kpi_value"),
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
    basis = data.get("drivers_basis") or RELATIVE
    out.drivers = _drivers(ws, data.get("drivers") or [], basis, data.get("value"), locale)
    if kpi_id in ws.kpis:
        kpi = ws.kpis[kpi_id]
        effects = [d.effect for d in out.drivers if d.basis != RELATIVE]
        out.effect_decimals = decimals_for(effects, kpi.format, kpi.decimals)
    if data.get("change"):
        out.change = _change(ws, data["change"], direction, locale)
    out.needs = _needs(ws, data.get("needs") or [], locale)
    out.needs_note = data.get("needs_note")
    return out
