"""MetricFlow measures read as kpiengine variables, each measure on each set of rows once.

A measure's expression is what one row gives (`sqlexpr.row_measure`; `sum_boolean`: the rows
where it is true, `aggregates.boolean_row`), kept to the rows of the metric's filters; its `agg`
becomes the variables and formula `aggregates.aggregate` builds, mapped from the semantic
model's source (a stock's from `semiadditive.stock`), each dated by the measure's time
dimension when it is not the model's.
"""

from __future__ import annotations

import re

from .aggregates import aggregate, boolean_row, distinct_column
from .guess import distinct_unit, variable_id, variable_unit
from .metricflow_spec import Measure, Metric, SemanticModel
from .model import Mapping, Model, Source, Variable
from .semiadditive import stock
from .sqlexpr import (
    RowMeasure,
    Untranslatable,
    count_measure,
    parse,
    plain_column,
    restrict,
    row_measure,
    short,
)


class Measures:
    """The variables of the measures read so far (`fragments`: formula text by measure and
    rows), and the time dimensions they are dated by (`used_times`)."""

    def __init__(self, model: Model, kpi_ids: set[str]):
        self.model = model
        self.kpi_ids = kpi_ids  # ids the metrics will take: no variable takes one
        self.fragments: dict[tuple, str] = {}
        self.used_times: set[tuple[str, str]] = set()

    def time_column(self, semantic: SemanticModel, name: str) -> str:
        """The column of the time dimension `name` (Untranslatable for an expression)."""
        dim = semantic.dimensions.get(name)
        self.used_times.add((semantic.name, name))
        column = plain_column(dim.expr) if dim else name
        if column is None:
            raise Untranslatable(f"time dimension `{name}` is an expression, not a column")
        return column

    def forget(self) -> None:
        """Forget cached fragments whose variables were rolled back."""
        self.fragments = {
            k: v
            for k, v in self.fragments.items()
            if set(re.findall(r"[a-z]\w*", v)) <= set(self.model.variables)
        }

    def exported(self, metric: Metric, semantic: SemanticModel, measure: Measure) -> str:
        """A simple metric that `kpi export metricflow` wrote for a variable: that variable."""
        if metric.filters or (metric.measure and metric.measure.filters):
            raise Untranslatable("a filter on a metric exported for a variable")
        entry = metric.meta["variable"]
        key = (semantic.name, measure.name, ())
        var_id = self.fragments.get(key, "")
        if var_id not in self.model.variables:  # not yet read by a KPI naming the measure
            row = measure_row(measure)
            distinct = row.column if measure.agg == "count_distinct" else None
            if distinct:
                row = RowMeasure(None, False, row.where)
            rule = entry.get("aggregate", "sum")
            var_id = self._variable(semantic, measure, metric.name, "value", row, rule, distinct)
            self.fragments[key] = var_id
        variable = self.model.variables[var_id]
        variable.aggregate = entry.get("aggregate", variable.aggregate)
        variable.unit = str(entry.get("unit", variable.unit))
        variable.title = entry.get("title", "")
        variable.description = entry.get("description", variable.description)
        return var_id

    def fragment(
        self,
        semantic: SemanticModel,
        measure: Measure,
        where: dict,
        name: str,
        notes: list[str],
        present: list[str],
    ) -> str:
        """The formula text of a measure on rows matching `where` and having a value in each
        `present` column (variables made once)."""
        where_key = tuple(sorted((k, tuple(v)) for k, v in where.items()))
        # an unfiltered measure's key stays (model, name, ()), as `exported` reads it
        key: tuple = (semantic.name, measure.name, where_key, *sorted(present))
        if key not in self.fragments:
            self.fragments[key] = self._variables(semantic, measure, where, name, notes, present)
        return self.fragments[key]

    def _variables(
        self,
        semantic: SemanticModel,
        measure: Measure,
        where: dict,
        name: str,
        notes: list[str],
        present: list[str],
    ) -> str:
        agg = measure.agg
        if agg in ("percentile", "median"):
            raise Untranslatable(f"{agg} is not additive over periods and segments")
        own = measure_row(measure)
        row = restrict(own, where, present, measure.expr)
        rule: str | dict[str, str] = "sum"
        source = self.model.sources[semantic.name]
        if measure.raw.get("non_additive_dimension"):  # a stock: the latest day's rows
            rule, source = stock(self.model, semantic, measure, notes, own)
        date = self.time_column(semantic, measure.time) if measure.time else None
        date = date if date != source.date else None
        reason = source.undated("semantic model", date)
        if reason:
            raise Untranslatable(reason)
        if agg == "count_distinct":
            column = distinct_column(row, measure.expr)
            got = RowMeasure(None, False, row.where)
            return self._variable(
                semantic, measure, name, "distinct", got, "distinct", column, date, source
            )
        made: list[str] = []

        def make(part: str, suffix: str, got: RowMeasure, kind: str) -> str:
            made.append(part)
            base = f"{name}_{part}" if part else name
            how = rule if kind == "sum" else kind
            return self._variable(semantic, measure, base, suffix, got, how, None, date, source)

        formula = aggregate("sum" if agg == "sum_boolean" else agg, row, make)
        if isinstance(rule, dict) and len(made) > 1:
            raise Untranslatable(
                f"non_additive_dimension on `{short(measure.expr)}`, which reads as {len(made)} "
                "variables: kpiengine would take each one's own latest day"
            )
        return formula

    def _variable(
        self,
        semantic: SemanticModel,
        measure: Measure,
        base: str,
        suffix: str,
        row: RowMeasure,
        rule: str | dict[str, str],
        distinct: str | None = None,
        date: str | None = None,
        source: Source | None = None,
    ) -> str:
        """A variable mapped as `row` (or as a distinct count of `distinct`) from `source`, by
        default the semantic model's."""
        var_id = variable_id(base, suffix, self.model.taken | self.kpi_ids)
        if distinct:
            unit = distinct_unit(var_id, distinct)
        else:
            kind = "count" if row.count else "column"
            unit = variable_unit(var_id, kind, row.column, semantic.table)
        self.model.variables[var_id] = Variable(
            var_id, unit, rule, "", measure.description, loc=measure.loc
        )
        source = source or self.model.sources[semantic.name]
        mapping = Mapping(var_id, row.column, row.count, dict(row.where), date, distinct=distinct)
        source.mappings[var_id] = mapping
        return var_id


def measure_row(measure: Measure) -> RowMeasure:
    """What one row gives the measure: COUNT(expr) counts the rows where expr has a value,
    `sum_boolean` the rows where it is true."""
    node = parse(measure.expr)
    if measure.agg == "sum_boolean":
        return boolean_row(node)
    return count_measure(node) if measure.agg == "count" else row_measure(node)
