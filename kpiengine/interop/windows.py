"""Semantic-layer windows (MetricFlow cumulative metrics, Cube rolling windows) as kpiengine's.

kpiengine reads a window in the formula: `ytd(x)`, `qtd(x)`, `mtd(x)` (to date) and
`rolling(x, n)` (the last n periods of the evaluated grain, the current one included). A window
of a fixed length therefore maps only when it is a whole number of periods of the workspace's
grain (3 months at a monthly grain is `rolling(x, 3)`; 7 days is not); an all-time running total
and a week to date have no kpiengine form; nor has a window over a distinct count or a mean,
which kpiengine cannot aggregate from period values (`windowable`). Each function raises
`Untranslatable` with the reason. The exports write windows back in kpiengine's calendar
(`period_sql`: fiscal quarters and years, Sunday weeks; a week's year is its Thursday's), and
`calendar_to_date` says when a calendar `grain_to_date` would not be kpiengine's window.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Model
from .sqlexpr import Untranslatable

TO_DATE = {"month": "mtd", "quarter": "qtd", "year": "ytd"}
#: How many periods of a grain (outer key) one unit (inner key) is.
_PERIODS = {
    "day": {"day": 1, "week": 7},
    "week": {"week": 1},
    "month": {"month": 1, "quarter": 3, "year": 12},
    "quarter": {"quarter": 1, "year": 4},
    "year": {"year": 1},
}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$", re.I)
_NAME = re.compile(r"\b([a-z][a-z0-9_]*)\b(?!\s*\()")
#: The time rules kpiengine windows (`transforms.window`): a sum adds up, a min, max or stock
#: keeps one period's value; a distinct count or a mean is undefined over a window.
_WINDOWED = ("sum", "min", "max", "last", "first")
_YEAR = re.compile(r"^\s*(1\s*years?|12\s*months?)\s*$", re.I)


def interval(value: Any) -> tuple[int, str]:
    """(count, unit) of `7 days`, `1 month` or MetricFlow's manifest form {count, granularity}."""
    if isinstance(value, dict):
        value = f"{value.get('count', '')} {value.get('granularity', '')}"
    match = _INTERVAL.match(str(value))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _PERIODS:
        raise Untranslatable(f"`{value}` is not a number of days, weeks, months, quarters or years")
    return int(match.group(1)), unit


def to_date(grain: Any) -> str:
    """The window function of `grain_to_date: month|quarter|year` (mtd, qtd, ytd)."""
    name = str(grain).strip().lower()
    if name not in TO_DATE:
        raise Untranslatable(
            f"`{name}` to date: kpiengine's to-date windows are mtd, qtd and ytd (month, "
            "quarter, year)"
        )
    return TO_DATE[name]


def rolling_count(value: Any, grain: str) -> int:
    """How many periods of `grain` the window `value` (`3 months`) is (Untranslatable if not
    a whole number)."""
    count, unit = interval(value)
    per = _PERIODS.get(grain, {}).get(unit)
    if per is None or count < 1:
        raise Untranslatable(
            f"a window of `{count} {unit}(s)` is not a whole number of {grain}s, the workspace's "
            f"grain: rolling(x, n) counts periods of the evaluated grain"
        )
    return count * per


def apply(formula: str, func: str, count: int = 0) -> str:
    """`formula` with every name read through the window (`a / b` -> `ytd(a) / ytd(b)`)."""
    if func == "rolling":
        return _NAME.sub(lambda m: f"rolling({m.group(1)}, {count})", formula)
    return _NAME.sub(lambda m: f"{func}({m.group(1)})", formula)


def rolling_note(count: int, grain: str) -> str:
    """The caveat of a fixed-length window: it is counted in periods of the evaluated grain."""
    return (
        f"rolling(x, {count}) is the last {count} {grain}s at the workspace's grain; evaluated "
        f"by another grain (`--grain`), it covers {count} periods of that grain"
    )


def offset(name: str, value: Any, grain: str, notes: list[str]) -> str:
    """`name` read `value` back (a time offset): a year is `last_year(name)`, one period of
    `grain` is `prev(name)` (with a note: it is one period of the evaluated grain)."""
    if _YEAR.match(str(value)):
        return f"last_year({name})"
    try:
        periods = rolling_count(value, grain)
    except Untranslatable:
        periods = 0
    if periods != 1:
        raise Untranslatable(
            f"an offset of `{value}`: only a year (last_year) and one {grain}, the workspace's "
            "grain (prev), map; other offsets need windows, not yet supported"
        )
    notes.append(
        f"an offset of `{value}` read as prev({name}), the previous {grain} at the workspace's "
        "grain; evaluated by another grain (`--grain`), it is the previous period of that grain"
    )
    return f"prev({name})"


def windowable(formula: str, model: Model, func: str, seen: frozenset[str] = frozenset()) -> None:
    """Raise Untranslatable when a variable `formula` reads (through the KPIs it names) rolls up
    by a rule kpiengine cannot window: it would evaluate to no value in every period."""
    for name in dict.fromkeys(_NAME.findall(formula)):
        variable = model.variables.get(name)
        kpi = model.kpis.get(name)
        if kpi is not None and name not in seen:
            windowable(kpi.formula, model, func, seen | {name})
        if variable is None:
            continue
        rule = variable.aggregate
        rule = rule if isinstance(rule, str) else rule.get("time", "sum")
        if rule not in _WINDOWED:
            how = "counts the distinct values of" if rule == "distinct" else f"takes the {rule} of"
            raise Untranslatable(
                f"a `{rule}` variable cannot be aggregated over a {func} window: `{name}` "
                f"{how} each period's rows, and kpiengine cannot combine periods into it, so the "
                "window would have no value"
            )


def period_sql(day: str, grain: str, fiscal_start: int = 1, week_start: str = "monday") -> str:
    """ANSI SQL for the first day of the period of `grain` holding `day`, in kpiengine's calendar
    (`sqlgen.period_sql`): quarters and years start in month `fiscal_start`, weeks on Monday or
    Sunday."""
    months = {"year": fiscal_start - 1, "quarter": (fiscal_start - 1) % 3}.get(grain, 0)
    if months:
        shifted = f"{day} - INTERVAL '{months}' MONTH"
        return f"DATE_TRUNC('{grain.upper()}', {shifted}) + INTERVAL '{months}' MONTH"
    if grain == "week" and week_start == "sunday":
        return f"DATE_TRUNC('WEEK', {day} + INTERVAL '1' DAY) - INTERVAL '1' DAY"
    return f"DATE_TRUNC('{grain.upper()}', {day})"


def window_period_sql(
    period: str, grain: str, outer: str, fiscal_start: int = 1, week_start: str = "monday"
) -> str:
    """The `outer` period (year, quarter, month) a period of `grain` starting on `period` is in,
    as kpiengine's `ytd`/`qtd`/`mtd` take it (`transforms._outer`): a week's is its Thursday's."""
    if grain == "week":
        period = f"{period} + INTERVAL '{4 if week_start == 'sunday' else 3}' DAY"
    return period_sql(period, outer, fiscal_start, week_start)


def calendar_to_date(token: str, fiscal_start: Any) -> str:
    """Why `token` (`ytd`, `qtd`) in a workspace whose years start in month `fiscal_start` is no
    `grain_to_date` (MetricFlow's calendar year or quarter to date), or ''. Fiscal quarters that
    start in January, April, July or October are calendar quarters."""
    start = int(fiscal_start or 1)
    if start == 1 or token not in ("ytd", "qtd") or (token == "qtd" and (start - 1) % 3 == 0):
        return ""
    period = "year" if token == "ytd" else "quarter"
    return (
        f"`{token}` runs from the start of the fiscal {period} (`fiscal_year_start: {start}`), "
        f"where `grain_to_date: {period}` runs from the calendar {period}'s; it takes no custom "
        "granularity (a time spine's fiscal year): dbt-semantic-interfaces refuses one there"
    )
