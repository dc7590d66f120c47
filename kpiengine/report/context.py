"""The data a report template receives, built from evaluation Results for one period.

Values are raw numbers (None when undefined, with the reason and a footnote number); templates
format them with the locale-aware filters. Top-level names: `workspace`, `period`, `kpis`,
`findings`, `sources`, `definitions`, `variables`, `notes`, `summary`, `dims`, `generated_at`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..analysis import context_of
from ..errors import Finding, KpiError, sort_findings
from ..evaluation import KpiResult, Results, is_rate
from ..formatting import decimals_for, time_unit_word
from ..i18n import is_rtl
from ..model import Workspace
from ..periods import year_ago
from ..table import CURRENT
from . import charts
from .bullets import Bullet, bullet
from .definitions import (
    Definition,
    definition,
    parameters,
    shown_location,
    used_definitions,
    variables,
)
from .insights import Insights, kpi_section_insights
from .sourceranges import shown_sources

SPARK_PERIODS = 12
TREND_PERIODS = 24
STATUSES = ("off_track", "at_risk", "on_track", "undefined", "not_judged", "no_target")


class Notes:
    """Footnotes for undefined values: one number per distinct reason, in order of first use."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, reason: str | None) -> int | None:
        if not reason:
            return None
        if reason not in self._index:
            self.texts.append(reason)
            self._index[reason] = len(self.texts)
        return self._index[reason]


@dataclass
class Row:
    """One KPI value for the report's period: the total or one segment."""

    label: str
    value: float | None
    reason: str | None
    note: int | None
    target: float | None
    gap: float | None
    gap_pct: float | None
    status: str
    change: float | None  # change vs the previous period, in the KPI's unit
    change_pct: float | None  # relative change (None for rates: they change in points)
    change_yoy: float | None  # change vs the same period last year, in the KPI's unit
    change_yoy_pct: float | None
    change_good: bool | None  # True when the change goes the better way
    change_yoy_good: bool | None
    status_basis: str = "value"  # what the status judged: `value`, `projection`, `pro_rata`
    projected: float | None = None  # a partial period's projection, when judged on it
    target_to_date: float | None = None  # the target for the days to date, when pro rata
    status_reason: str | None = None  # why a partial period is not judged


@dataclass
class FindingView:
    code: str
    title: str | None  # what the check looks for
    severity: str
    message: str
    kpi: str | None
    kpi_title: str | None
    where: str | None
    fix: str | None
    explanation: str | None


@dataclass
class Pace:
    """A partial period: how many of its days the data covers, and its projection (total)."""

    covered: int
    days: int
    projected: float | None = None
    low: float | None = None
    high: float | None = None
    p_target: float | None = None


def _pace(results: Results, result: KpiResult, index: int) -> Pace | None:
    if result.complete[index]:
        return None
    table = results.table
    days = (table.period_end(index) - table.period_start(index)).days + 1
    pace = Pace(round(result.coverage[index] * days), days)
    projection = result.projection
    if index == result.partial and projection is not None:
        chance = result.p_target
        pace.projected = _finite(projection.value[0])
        pace.low, pace.high = _finite(projection.low[0]), _finite(projection.high[0])
        pace.p_target = None if chance is None else _finite(chance[0])
    return pace


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass
class KpiView:
    id: str
    anchor: str
    definition: Definition
    total: Row
    segments: list[Row]
    segment_target: float | None  # the one target every segment shares, if any
    spark: charts.Sparkline
    trend: charts.LineChart
    bars: charts.BarChart | None
    rate: bool  # changes in points (percent) or in its own unit, never in %
    bullet: Bullet | None = None  # the value against its target, for the scorecard
    unit_word: str = ""  # `days` for a KPI in days, `/ day` for an amount per day
    findings: list[FindingView] = field(default_factory=list)
    insights: Insights = field(default_factory=Insights)
    pace: Pace | None = None  # the period is partial: its days so far and its projection

    @property
    def title(self) -> str:
        return self.definition.title

    @property
    def format(self) -> str:
        return self.definition.format

    @property
    def decimals(self) -> int | None:
        """The definition's decimals, or those that tell this KPI's shown values apart."""
        return self.definition.decimals


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _good(change: float | None, direction: str) -> bool | None:
    if change is None or change == 0 or direction == "none":
        return None
    return (change > 0) == (direction == "higher")


def last_complete_period(results: Results) -> str | None:
    """The label of the last period the data covers to its end (None without data).

    The current month, which the data stops in the middle of, would look off track against
    its target for want of days: reports show it only when asked for.
    """
    table = results.table
    if not table.n_periods:
        return None
    return table.labels[table.last_complete()]


def period_index(results: Results, period: str | None) -> int:
    """The index of the report's period: `period` (any grain), else the last one selected."""
    table = results.table
    if table.n_periods == 0:
        raise KpiError("there is no data to report on")
    if period is None:
        return results.selected[-1] if results.selected else table.n_periods - 1
    if period == CURRENT:
        return table.n_periods - 1
    _, start = table.calendar.parse_label(period)
    index = table.calendar.ordinal_of(start, table.grain) - table.first
    if not 0 <= index < table.n_periods:
        labels = table.labels
        raise KpiError(
            f"no data for period `{period}`: the data covers {labels[0]} to {labels[-1]}",
            fix=f"choose a period from {labels[0]} to {labels[-1]}",
        )
    return index


def _segment_label(segment: dict[str, str]) -> str:
    return " · ".join(segment.values())


_CLI_ASIDE = re.compile(r"\s*\([^()]*`--[^()]*\)")  # "(`--to` the last full period)"


def for_readers(fix: str | None) -> str | None:
    """A check's fix without command-line options, which mean nothing to a report's reader;
    None when nothing else is left."""
    if not fix:
        return None
    text = _CLI_ASIDE.sub("", fix)
    return None if "--" in text else text


def _finding_view(
    finding: Finding, ws: Workspace, locale: str, titles: dict[str, str]
) -> FindingView:
    kpi = ws.kpis.get(finding.kpi) if finding.kpi else None
    details = finding.details or {}
    explanation = details.get("explanation") or details.get("why")
    return FindingView(
        finding.code,
        titles.get(finding.code),
        finding.severity,
        finding.message,
        finding.kpi,
        kpi.title_in(locale) if kpi else None,
        shown_location(finding.location, ws.root),
        for_readers(finding.fix),
        str(explanation) if explanation else None,
    )


def _rows(records: list[dict], direction: str, labels: list[str]) -> list[Row]:
    rows = []
    for record, name in zip(records, labels, strict=True):
        value = _num(record["value"])
        reason = record["reason"] if value is None else None
        change, change_yoy = _num(record["change"]), _num(record["change_yoy"])
        rows.append(
            Row(
                label=name,
                value=value,
                reason=reason,
                note=None,
                target=_num(record["target"]),
                gap=_num(record["gap"]),
                gap_pct=_num(record["gap_pct"]),
                status=record["status"],
                change=change,
                change_pct=_num(record["change_pct"]),
                change_yoy=change_yoy,
                change_yoy_pct=_num(record["change_yoy_pct"]),
                change_good=_good(change, direction),
                change_yoy_good=_good(change_yoy, direction),
                status_basis=record["status_basis"],
                projected=_num(record["projected"]),
                target_to_date=_num(record["target_to_date"]),
                status_reason=record["status_reason"],
            )
        )
    return rows


def _judged(row: Row) -> tuple[float | None, float | None]:
    """(value, target) the status compares: a partial period's projection with the target, or
    its value with the target to date (pro rata); else the value with the target."""
    if row.status_basis == "projection" and row.projected is not None:
        return row.projected, row.target
    if row.status_basis == "pro_rata" and row.target_to_date is not None:
        return row.value, row.target_to_date
    return row.value, row.target


def _series(result: KpiResult, stop: int, count: int) -> tuple[range, list, list, list]:
    window = range(max(0, stop + 1 - count), stop + 1)
    values = [_num(result.values[i, 0]) for i in window]
    targets = [_num(result.targets[i, 0]) for i in window]
    reasons = [result.reasons[i, 0] for i in window]
    return window, values, targets, reasons


def _kpi_view(
    results: Results, result: KpiResult, records: list[dict], index: int, locale: str
) -> KpiView:
    kpi = result.kpi
    segments = results.table.segments
    names = ["", *(_segment_label(s) for s in segments[1:])]
    rows = _rows(records, kpi.direction, names)
    labels = results.labels
    window, values, targets, _ = _series(result, index, SPARK_PERIODS)
    spark = charts.sparkline(values, targets)
    window, values, targets, reasons = _series(result, index, TREND_PERIODS)
    pace = _pace(results, result, index)
    projected = None
    if pace and pace.projected is not None and pace.low is not None and pace.high is not None:
        projected = (pace.projected, pace.low, pace.high)
    trend = charts.line_chart(
        [labels[i] for i in window], values, targets, reasons, projection=projected
    )
    shared = {r.target for r in rows[1:]}
    segment_target = next(iter(shared)) if len(shared) == 1 else None
    bars = None
    if len(rows) > 1:
        bars = charts.bar_chart(
            [r.label for r in rows[1:]],
            [r.value for r in rows[1:]],
            [r.status for r in rows[1:]],
            segment_target,
            [r.reason for r in rows[1:]],
        )
    shown_values = [*values, *targets, *(r.value for r in rows), *(r.target for r in rows)]
    defined_as = definition(results, kpi, locale)
    defined_as.decimals = decimals_for(shown_values, kpi.format, kpi.decimals)
    return KpiView(
        id=kpi.id,
        anchor=f"kpi-{kpi.id}",
        definition=defined_as,
        total=rows[0],
        segments=rows[1:],
        segment_target=segment_target,
        spark=spark,
        trend=trend,
        bars=bars,
        rate=is_rate(kpi),
        bullet=bullet(*_judged(rows[0]), kpi.direction, result.band),
        unit_word=time_unit_word(str(kpi.unit) if kpi.unit else kpi.unit_text, locale=locale),
        pace=pace,
    )


def build_context(
    results: Results,
    locale: str = "en",
    period: str | None = None,
    generated_at: dt.datetime | None = None,
    findings: list[Finding] | None = None,
    titles: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the report templates use, for the period `period` (default: the last one).

    `findings` are those the report lists (see `findings.collect_findings`), `titles` what
    each finding code looks for.
    """
    ws = results.workspace
    table = results.table
    index = period_index(results, period)
    labels = results.labels
    records = dataclasses.replace(results, selected=[index]).records()
    n_segments = len(table.segments)
    computed = list(results.kpis.values())
    order = sorted(range(len(computed)), key=lambda k: computed[k].status[index, 0] == "no_target")
    views = []
    for k in order:  # KPIs with a target first
        result = computed[k]
        chunk = records[k * n_segments : (k + 1) * n_segments]
        views.append(_kpi_view(results, result, chunk, index, locale))
    analysis = context_of(results)
    for view in views:  # the KPIs shown, at the report's period, segment total
        view.insights = kpi_section_insights(analysis, view.id, labels[index], locale)
    notes = Notes()
    for row in [v.total for v in views] + [s for v in views for s in v.segments]:
        row.note = notes.add(row.reason)
    found = sort_findings(findings or [])
    findings_view = [_finding_view(f, ws, locale, titles or {}) for f in found]
    for view in views:
        view.findings = [f for f in findings_view if f.kpi == view.id]
    summary = {s: sum(v.total.status == s for v in views) for s in STATUSES}
    dims = list(table.segments[1].keys()) if n_segments > 1 else []
    ago = year_ago(table.first + index, table.grain)
    ago_index = -1 if ago is None else ago - table.first
    return {
        "workspace": {
            "name": ws.name,
            "title": ws.settings.report.title or None,
            "description": ws.settings.description,
            "currency": ws.settings.currency,
        },
        "locale": locale,
        "lang": locale.replace("_", "-"),
        "dir": "rtl" if is_rtl(locale) else "ltr",
        "grain": table.grain,
        "period": labels[index],
        "partial": next((v.pace for v in views if v.pace), None),  # its days so far, if partial
        "previous_period": labels[index - 1] if index > 0 else None,
        "year_ago_period": labels[ago_index] if 0 <= ago_index < len(labels) else None,
        "first_period": labels[0],
        "last_period": labels[-1],
        "coverage": table.coverage,
        "generated_at": generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
        "version": __version__,
        "sources": shown_sources(results),  # ranges never past today
        "dims": dims,
        "kpis": views,
        "summary": summary,
        "findings": findings_view,
        "definitions": [definition(results, ws.kpis[k], locale) for k in used_definitions(results)],
        "variables": variables(results, locale),
        "parameters": parameters(results, locale),
        "notes": notes.texts,
        "spark_periods": min(SPARK_PERIODS, index + 1),
        "trend_periods": min(TREND_PERIODS, index + 1),
    }
