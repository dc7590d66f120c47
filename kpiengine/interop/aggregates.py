"""SQL's aggregates of a row expression as formulas over kpiengine variables.

`SUM`, `COUNT`, `AVG`, `MIN` and `MAX` of what `sqlexpr.row_measure` reads (a column, a count of
rows, `CASE WHEN <conditions> THEN <column or 1> END`) become variables mapped from one source
and the formula combining them; every importer builds its measures here. A CASE with `ELSE 0`
gives 0, not NULL, on each row its condition leaves out, which SQL's COUNT and AVG count too:
COUNT is the rows read less those kept without a value (`rows - kept + values`), AVG the kept
rows' sum over that count (`AVG(CASE WHEN c THEN 1 ELSE 0 END)`: the share of rows where `c`
holds). MIN and MAX would also see those zeros, which no mapping gives: Untranslatable, with the
reason, as is a distinct count of such a CASE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .sqlexpr import RowMeasure, Untranslatable, conditions, row_measure, short, with_present
from .truth import TRUE

#: make(part, suffix, row, rule): the id of a variable mapped as `row` (its column summed, or
#: its rows counted) with the aggregate `rule` (`sum`, `min`, `max`); `part` names it beside
#: the measure: '' the measure itself, `sum`, `rows`, `kept` or `values` one of its pieces.
Make = Callable[[str, str, RowMeasure, str], str]
KINDS = {"sum": "sum", "count": "count", "avg": "avg", "average": "avg", "mean": "avg"}
KINDS |= {"min": "min", "max": "max"}


def aggregate(kind: str, row: RowMeasure, make: Make) -> str:
    """The formula of SQL's `kind` aggregate over `row`; Untranslatable when none equals it."""
    kind = KINDS.get(kind, kind)
    if kind not in ("sum", "count", "avg", "min", "max"):
        raise Untranslatable(f"the aggregation `{kind}` has no kpiengine equivalent")
    values = RowMeasure(row.column, True, row.where)  # the kept rows with a value
    if kind == "count":
        return _counted(row, "", make)
    if kind == "sum" and row.count:
        return make("", "count", values, "sum")
    if kind == "avg" and row.count and row.zeros is not None:
        # AVG(CASE WHEN c THEN 1 ELSE 0 END): the share of the rows read where `c` holds
        return f"{make('kept', 'count', values, 'sum')} / {_wrap(_counted(row, 'rows', make))}"
    if row.count:
        raise Untranslatable(f"`{kind}` of a constant")
    summed = RowMeasure(row.column, False, row.where)
    if kind == "sum":
        return make("", "sum", summed, "sum")
    if kind == "avg":
        # AVG skips empty values: divide by the rows that give one
        return f"{make('sum', 'sum', summed, 'sum')} / {_wrap(_counted(row, 'rows', make))}"
    if row.zeros is not None:
        raise Untranslatable(
            f"{kind.upper()} of `CASE WHEN ... ELSE 0 END` also takes the 0 of each row the "
            "condition leaves out; a mapping reads the kept rows only (without `ELSE 0`, the "
            "CASE gives NULL there and maps)"
        )
    return make("", kind, summed, kind)


def _counted(row: RowMeasure, part: str, make: Make) -> str:
    """How many rows give the expression a value: the kept rows with one, and with `ELSE 0`
    every other row read (those kept without a value give NULL, not 0)."""
    values = RowMeasure(row.column, True, row.where)
    if row.zeros is None:
        return make(part, "count", values, "sum")
    read = RowMeasure(row.zeros.column, True, row.zeros.where)
    kept = RowMeasure(row.tested, True, row.where)
    if kept.column == values.column:  # a count, or a column the condition needs a value in
        return make(part, "count", read, "sum")
    rows, kept_rows = make("rows", "count", read, "sum"), make("kept", "count", kept, "sum")
    return f"{rows} - {kept_rows} + {make('values', 'count', values, 'sum')}"


def distinct_column(row: RowMeasure, sql: str) -> str:
    """The column a COUNT(DISTINCT ...) of `row` counts the values of."""
    if row.zeros is not None:
        raise Untranslatable(
            f"a distinct count of `{short(sql)}` also counts its 0 (the rows the condition "
            "leaves out); without `ELSE 0` it maps"
        )
    if row.column is None:
        raise Untranslatable("a distinct count of a constant")
    return row.column


def boolean_row(node: Any) -> RowMeasure:
    """What SUM(CASE WHEN <node> THEN 1 ELSE 0 END) counts (MetricFlow's `sum_boolean`): the
    rows where a boolean column is true (in any spelling it holds), where a condition holds, or
    those a CASE giving TRUE or 1 keeps."""
    inner = node.unnest()
    if inner.key == "column":
        return RowMeasure(count=True, where={inner.name: list(TRUE)}, table=inner.table or None)
    if inner.key == "case":
        row = row_measure(inner)
        if not row.count:
            raise Untranslatable(f"`{short(node.sql())}` gives a column's value, not true or false")
        return RowMeasure(row.column, True, row.where, row.table, tested=row.tested)
    tables, where, present = conditions(inner)
    row = RowMeasure(count=True, where=where, table=tables[0] if tables else None)
    return with_present(row, present, node.sql())


def _wrap(text: str) -> str:
    return text if " " not in text else f"({text})"
