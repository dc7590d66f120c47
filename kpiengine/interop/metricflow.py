"""Import a dbt MetricFlow semantic layer as kpiengine sources, variables and KPIs.

Semantic models become `sql` sources (table, time dimension, dimensions); measures (or simple
metrics aggregating an expression) become variables mapped from their source; every metric
becomes a KPI: simple ones name their variable, ratio ones divide, derived ones translate their
SQL expression, cumulative ones read it through a window (`grain_to_date: year` is `ytd(x)`,
`window: 3 months` is `rolling(x, 3)` at a monthly grain), conversion ones over one row per
entity divide conversions by rows. Filters become `where:` when they test the measure's own
columns (`IS NOT NULL` on a count: `count: column`); `count_distinct` measures are distinct
counts (`distinct:` mappings); an offset of a year is `last_year(x)`, of one period of the grain
`prev(x)`; a `non_additive_dimension` is a stock (`semiadditive`). Other conversion metrics,
all-time running totals, windows over distinct counts, percentiles, joins and other time
offsets are listed as not imported, each with its reason, at the line defining it. Measures
become variables in `mfmeasures`.
"""

from __future__ import annotations

import re
from pathlib import Path

from .guess import ident
from .metricflow_spec import Input, Measure, Metric, Project, SemanticModel
from .mffilter import filter_where
from .mfmeasures import Measures
from .mfproject import read_project
from .model import Kpi, Model, Source
from .semiadditive import fold_twins, joins
from .sqlexpr import (
    Untranslatable,
    parse,
    plain_column,
    row_measure,
    short,
    to_formula,
)
from .windows import apply, offset, rolling_count, rolling_note, to_date, windowable

ALL_TIME = (
    "an all-time running total (no `window` or `grain_to_date`): kpiengine's windows are "
    "ytd/qtd/mtd and rolling(x, n)"
)
CONVERSION = (
    "a conversion metric counts the entities whose conversion event follows their base event "
    "within the window; kpiengine's sources aggregate each variable per period and cannot match "
    "events of one entity across two measures"
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ATOM = re.compile(r"^([a-z][a-z0-9_]*\()*[a-z][a-z0-9_]*(, \d+)?\)*$")


def import_metricflow(path: str | Path) -> Model:
    """Read a dbt project folder, a YAML file of one, or target/semantic_manifest.json."""
    project = read_project(Path(path))
    return _Importer(project, f"the MetricFlow project {path}").run()


def _wrap(text: str) -> str:
    return text if _ATOM.match(text) else f"({text})"


class _Importer:
    def __init__(self, project: Project, origin: str):
        self.project = project
        self.model = Model(origin)
        self.kpi_ids = {n: ident(n) for n, m in project.metrics.items() if not m.is_variable}
        self.done: dict[str, str | None] = {}
        self.measures = Measures(self.model, set(self.kpi_ids.values()))

    def run(self) -> Model:
        for semantic in self.project.models.values():
            self._source(semantic)
        for name in self.project.metrics:
            self.metric(name)
        for semantic in self.project.models.values():
            for dim in semantic.dimensions.values():
                if dim.type == "time" and (semantic.name, dim.name) not in self.measures.used_times:
                    self.model.skip(
                        f"{semantic.name}.{dim.name}",
                        "time dimension",
                        "another time dimension: each variable is dated by one column",
                        dim.loc,
                    )
        fold_twins(self.model)
        self.model.drop_unread_sources("semantic model")
        for query, loc in self.project.saved_queries:
            self.model.skip(query, "saved query", "saved queries are not imported", loc)
        return self.model

    # --- semantic models ---------------------------------------------------------------------

    def _source(self, semantic: SemanticModel) -> None:
        source = Source(ident(semantic.name), table=semantic.table, loc=semantic.loc)
        self.model.sources[semantic.name] = source
        times = [d for d in semantic.dimensions.values() if d.type == "time"]
        default = semantic.time or (times[0].name if len(times) == 1 else "")
        if default:
            try:
                source.date = self.measures.time_column(semantic, default)
            except Untranslatable as exc:
                dim = semantic.dimensions.get(default)
                where = dim.loc if dim is not None else semantic.loc
                self.model.skip(f"{semantic.name}.{default}", "time dimension", exc.reason, where)
        for dim in semantic.dimensions.values():
            if dim.type == "time":
                continue
            column = plain_column(dim.expr)
            if column is None:
                self.model.skip(
                    f"{semantic.name}.{dim.name}",
                    "dimension",
                    f"the expression `{short(dim.expr)}`: source dimensions are columns",
                    dim.loc,
                )
            else:
                source.dimensions[ident(dim.name)] = column
        if foreign := joins(semantic, self.project):
            self.model.skip(
                f"{semantic.name}: {', '.join(foreign)}",
                "entity",
                "joins through entities are not imported: each source reads one table",
                semantic.loc,
            )

    # --- metrics -----------------------------------------------------------------------------

    def metric(self, name: str) -> str | None:
        """The KPI id of a metric, importing it first; None when it cannot be imported."""
        if name in self.done:
            return self.done[name]
        self.done[name] = None  # a cycle reads as "not imported"
        metric = self.project.metrics[name]
        notes: list[str] = []
        before = self.model.checkpoint()
        try:
            if metric.is_variable:
                self.done[name] = self.measures.exported(metric, *self._measure(metric))
                return self.done[name]
            formula = self._formula(metric, notes)
            if metric.type == "cumulative" and metric.meta.get("window"):
                # a window `kpi export metricflow` wrote for a formula: read as the window
                self.done[name] = formula
                return formula
        except Untranslatable as exc:
            self.model.rollback(before)
            self.measures.forget()
            self.model.skip(name, f"{metric.type} metric", exc.reason, metric.loc)
            return None
        kpi_id = self.kpi_ids[name]
        self.model.kpis[kpi_id] = Kpi(
            kpi_id,
            formula,
            metric.label or name,
            metric.description,
            extra={"notes": "\n".join(notes)} if notes else {},
            loc=metric.loc,
        )
        self.model.kpis[kpi_id].restore(metric.meta)
        for note in notes:
            self.model.note(name, f"{metric.type} metric", note, metric.loc)
        self.done[name] = kpi_id
        return kpi_id

    def _formula(self, metric: Metric, notes: list[str]) -> str:
        if metric.type == "simple":
            return self._simple(metric, [], notes)
        if metric.type == "ratio":
            assert metric.numerator is not None and metric.denominator is not None
            top = self._input(metric.numerator, metric.filters, notes)
            bottom = self._input(metric.denominator, metric.filters, notes)
            return f"{_wrap(top)} / {_wrap(bottom)}"
        if metric.type == "derived":
            return self._derived(metric, notes)
        if metric.type == "cumulative":
            return self._cumulative(metric, notes)
        if metric.type == "conversion":
            return self._conversion(metric, notes)
        raise Untranslatable(f"unknown metric type `{metric.type}`")

    def _cumulative(self, metric: Metric, notes: list[str]) -> str:
        spec = metric.cumulative
        window, grain_to_date = spec.get("window"), spec.get("grain_to_date")
        if window and grain_to_date:
            raise Untranslatable("both `window` and `grain_to_date`")
        if not window and not grain_to_date:
            raise Untranslatable(ALL_TIME)
        func, count = (to_date(grain_to_date), 0) if grain_to_date else ("rolling", 0)
        grain = str(self.model.settings.get("grain", "month"))
        if window:
            count = rolling_count(window, grain)
        if metric.inputs:
            inner = self._input(metric.inputs[0], metric.filters, notes)
        else:
            inner = self._simple(metric, [], notes)
        if re.search(r"\b(prev|last_year|ytd|qtd|mtd|rolling|total)\(", inner):
            raise Untranslatable("a window over a shifted or windowed metric")
        if not metric.meta.get("window"):  # kpiengine's own window comes back as it was
            windowable(inner, self.model, func)
        if window:
            notes.append(rolling_note(count, grain))
        period_agg = str(spec.get("period_agg", "first")).lower()
        if period_agg != "last":
            notes.append(
                f"`period_agg: {period_agg}`: kpiengine gives each period the window ending "
                "with it (MetricFlow's `period_agg: last`)"
            )
        return apply(inner, func, count)

    def _conversion(self, metric: Metric, notes: list[str]) -> str:
        """A conversion metric over one row per entity: each entity's conversion event is its
        base event's row (the same time, the same constant properties), so no matching is
        needed: conversions / base events. Any other conversion metric is Untranslatable."""
        spec = metric.conversion
        if len(metric.inputs) != 2:
            raise Untranslatable(CONVERSION)
        base, conversion = (Input(i.name, i.filters) for i in metric.inputs)
        owners = {self._owner(i.name) for i in (base, conversion)}
        semantic = self.project.models.get(next(iter(owners))) if len(owners) == 1 else None
        entity = str(spec.get("entity", ""))
        measure = semantic.measures.get(base.name) if semantic else None
        if (
            semantic is None
            or measure is None
            or entity != semantic.primary
            or base.filters
            or not (measure.agg == "count" or row_measure(parse(measure.expr)).count)
            or any(semantic.measures[i.name].time for i in (base, conversion))
        ):
            raise Untranslatable(CONVERSION)
        rows = Metric(base.name, "simple", measure=base)
        events = Metric(conversion.name, "simple", measure=conversion)
        top, bottom = self._simple(events, [], notes), self._simple(rows, [], notes)
        notes.append(
            f"one row per `{entity}`: its conversion is on its base row, so the conversion "
            "window and constant properties always hold"
        )
        if str(spec.get("calculation", "conversion_rate")).lower() == "conversions":
            return top
        return f"{_wrap(top)} / {_wrap(bottom)}"

    def _owner(self, measure: str) -> str:
        owners = [m.name for m in self.project.models.values() if measure in m.measures]
        return owners[0] if len(owners) == 1 else ""

    def _derived(self, metric: Metric, notes: list[str]) -> str:
        names = {i.alias or i.name: self._input(i, metric.filters, notes) for i in metric.inputs}

        def leaf(node) -> str:
            if node.key == "column" and not node.table and node.name in names:
                return _wrap(names[node.name])
            raise Untranslatable(f"`{node.sql()}` is not one of the metric's input metrics")

        return to_formula(parse(metric.expr), leaf, notes)

    def _input(self, item: Input, outer: list[str], notes: list[str]) -> str:
        target = self.project.metrics.get(item.name)
        if target is None:
            raise Untranslatable(f"input metric `{item.name}` is not defined")
        filters = item.filters + outer
        if filters:
            if target.type != "simple":
                raise Untranslatable(f"a filter on the {target.type} input metric `{item.name}`")
            text = self._simple(target, filters, notes, item.alias or f"{item.name}_filtered")
        else:
            kpi = self.metric(item.name)
            if kpi is None:
                raise Untranslatable(f"it reads `{item.name}`, which is not imported")
            text = kpi
        if item.offset_to_grain:
            raise Untranslatable(f"`offset_to_grain: {item.offset_to_grain}` needs windows")
        if item.offset_window:
            return self._offset(item, text, notes)
        return text

    def _offset(self, item: Input, text: str, notes: list[str]) -> str:
        """An input a year back (`last_year`) or one period of the grain back (`prev`)."""
        if not _NAME.match(text):
            raise Untranslatable(f"`offset_window` of `{item.name}`, which is not one variable")
        return offset(
            text, item.offset_window, str(self.model.settings.get("grain", "month")), notes
        )

    def _simple(self, metric: Metric, extra: list[str], notes: list[str], label: str = "") -> str:
        if metric.measure is None:
            raise Untranslatable("the simple metric names no measure")
        semantic, measure = self._measure(metric)
        filters = metric.filters + metric.measure.filters + extra
        where: dict[str, list[str]] = {}
        present: list[str] = []  # columns that must have a value (IS NOT NULL)
        for template in filters:
            tests, needed = filter_where(template, semantic)
            present += [c for c in needed if c not in present]
            for column, values in tests.items():
                kept = [v for v in values if v in where[column]] if column in where else values
                if not kept:
                    raise Untranslatable(f"the filters on `{column}` exclude every row")
                where[column] = kept
        fill = metric.measure.fill_nulls_with
        fill = metric.raw.get("fill_nulls_with") if fill is None else fill
        if fill is not None:
            notes.append(
                f"`fill_nulls_with: {fill}` not applied: kpiengine leaves a period without rows "
                "undefined (with its reason) instead of filling it"
            )
        name = (label or metric.name) if where or present else measure.name
        return self.measures.fragment(semantic, measure, where, name, notes, present)

    def _measure(self, metric: Metric) -> tuple[SemanticModel, Measure]:
        if metric.own is not None:
            semantic = self.project.models.get(metric.model)
            if semantic is None:
                raise Untranslatable(f"semantic model `{metric.model}` is not defined")
            return semantic, metric.own
        assert metric.measure is not None
        owners = [m for m in self.project.models.values() if metric.measure.name in m.measures]
        if len(owners) != 1:
            found = "no" if not owners else "more than one"
            raise Untranslatable(f"{found} semantic model has the measure `{metric.measure.name}`")
        return owners[0], owners[0].measures[metric.measure.name]
