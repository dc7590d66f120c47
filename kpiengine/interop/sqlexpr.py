"""SQL expressions read as kpiengine formulas, node by node over sqlglot's syntax tree.

Arithmetic, numbers, `NULLIF(x, 0)`, `COALESCE(x, 0)`, float casts, `GREATEST`/`LEAST`, `ABS`,
`SQRT`, `LN`, `EXP` and `POWER` have a formula equivalent; names and aggregates are leaves the
caller resolves (to metric or variable ids). Anything else raises `Untranslatable` with the
reason. The text produced is checked with `parse_formula`, kpiengine's whitelisting parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..formula import FormulaError, parse_formula
from .truth import spellings

MAX_SQL_LENGTH = 5000
#: OSI dialect names and the sqlglot dialect that reads them (None: sqlglot's default, ANSI-like).
DIALECTS: dict[str, str | None] = {
    "ANSI_SQL": None,
    "SNOWFLAKE": "snowflake",
    "DATABRICKS": "databricks",
    "BIGQUERY": "bigquery",
}
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "DECIMAL", "NUMERIC", "REAL", "BIGDECIMAL", "DECFLOAT")
_ATOM, _POW, _UNARY, _MUL, _ADD = 5, 4, 3, 2, 1
TRUE, FALSE = "\0true", "\0false"  # a boolean literal, told apart from the text 'true'


class Untranslatable(Exception):
    """An expression with no formula equivalent; `reason` says which part and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


Leaf = Callable[[Any], str]


def _sqlglot() -> Any:
    try:
        import sqlglot
    except ImportError:
        raise Untranslatable(
            'reading SQL expressions needs the `sqlglot` package (pip install "kpiengine[sql]")'
        ) from None
    return sqlglot


def short(sql: str, limit: int = 80) -> str:
    """The expression on one line, cut to `limit` characters."""
    flat = " ".join(str(sql).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def parse(sql: str, dialect: str | None = None) -> Any:
    """The sqlglot tree of one SQL expression; Untranslatable when it does not parse."""
    sqlglot = _sqlglot()
    text = str(sql).strip()
    if not text:
        raise Untranslatable("the expression is empty")
    if len(text) > MAX_SQL_LENGTH:
        raise Untranslatable(f"the expression is longer than {MAX_SQL_LENGTH} characters")
    try:
        node = sqlglot.parse_one(text, read=dialect)
    except (sqlglot.errors.SqlglotError, RecursionError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Untranslatable(f"cannot parse `{short(text)}` as SQL: {first}") from None
    if node is None:
        raise Untranslatable(f"`{short(text)}` is not an expression")
    return node


def is_aggregate(node: Any) -> bool:
    """True for aggregate calls (SUM, COUNT, AVG, ...), with or without FILTER (WHERE ...)."""
    exp = _sqlglot().exp
    return isinstance(node, exp.AggFunc | exp.Filter)


def to_formula(node: Any, leaf: Leaf, notes: list[str] | None = None) -> str:
    """The formula text of a SQL tree; names and aggregates go to `leaf`."""
    text = _Translator(leaf, notes if notes is not None else []).run(node)
    try:
        parse_formula(text)
    except FormulaError as exc:  # a leaf returned something that is not a formula
        raise Untranslatable(f"`{short(node.sql())}` gives `{text}`: {exc.message}") from None
    return text


class _Translator:
    def __init__(self, leaf: Leaf, notes: list[str]):
        self.leaf = leaf
        self.notes = notes
        self.exp = _sqlglot().exp

    def run(self, node: Any) -> str:
        try:
            return self.node(node)[0]
        except RecursionError:
            raise Untranslatable("the expression is too deeply nested") from None

    def node(self, n: Any) -> tuple[str, int]:
        exp = self.exp
        if isinstance(n, exp.Paren):
            return self.node(n.this)
        if isinstance(n, exp.Column) or is_aggregate(n):
            return self.leaf(n), _ATOM
        if isinstance(n, exp.Literal):
            return _number(n), _ATOM
        if isinstance(n, exp.Neg):
            text, prec = self.node(n.this)
            return "-" + (text if prec >= _UNARY else f"({text})"), _UNARY
        if isinstance(n, exp.Add | exp.Sub | exp.Mul | exp.Div):
            return self.binary(n)
        if isinstance(n, exp.Pow):
            base, bp = self.node(n.this)
            power, pp = self.node(n.expression)
            base = base if bp > _POW else f"({base})"
            power = power if pp >= _UNARY else f"({power})"
            return f"{base} ** {power}", _POW
        return self.call(n)

    def binary(self, n: Any) -> tuple[str, int]:
        exp = self.exp
        op, prec = {exp.Add: ("+", _ADD), exp.Sub: ("-", _ADD), exp.Mul: ("*", _MUL)}.get(
            type(n), ("/", _MUL)
        )
        left, lp = self.node(n.this)
        right, rp = self.node(n.expression)
        left = left if lp >= prec else f"({left})"
        tight = op in "-/"  # a - (b + c) and a / (b * c) keep their parentheses
        right = right if rp > prec or (rp == prec and not tight) else f"({right})"
        return f"{left} {op} {right}", prec

    def call(self, n: Any) -> tuple[str, int]:
        exp = self.exp
        simple = {exp.Abs: "abs", exp.Sqrt: "sqrt", exp.Ln: "log", exp.Exp: "exp"}
        if type(n) in simple:
            return f"{simple[type(n)]}({self.node(n.this)[0]})", _ATOM
        if isinstance(n, exp.Greatest | exp.Least):
            args = [self.node(a)[0] for a in [n.this, *n.expressions]]
            name = "max" if isinstance(n, exp.Greatest) else "min"
            return f"{name}({', '.join(args)})", _ATOM
        if isinstance(n, exp.Nullif) and _is_zero(n.expression):
            return self.node(n.this)  # x / NULLIF(d, 0): a zero denominator is undefined here too
        if isinstance(n, exp.Coalesce) and len(n.expressions) == 1 and _is_zero(n.expressions[0]):
            self.notes.append(
                f"`{short(n.sql())}` read as `{n.this.sql()}`: kpiengine leaves a missing value "
                "undefined (with its reason) instead of 0"
            )
            return self.node(n.this)
        if isinstance(n, exp.Cast | exp.TryCast) and _float_type(n):
            return self.node(n.this)
        if isinstance(n, exp.Window) and isinstance(n.this, exp.Lag):
            return self.lag(n)
        if isinstance(n, exp.Log):
            raise Untranslatable(
                f"`{short(n.sql())}`: LOG's base differs between databases; use LN"
            )
        raise Untranslatable(f"`{short(n.sql())}`: {_what(n)} has no formula equivalent")

    def lag(self, n: Any) -> tuple[str, int]:
        """`LAG(x) OVER (ORDER BY <time>)`: the previous period's value, prev(x)."""
        offset = n.this.args.get("offset")
        exp = self.exp
        one = offset is None or (isinstance(offset, exp.Literal) and str(offset.this) == "1")
        if n.args.get("partition_by") or not one:
            raise Untranslatable(
                f"`{short(n.sql())}`: only LAG by one row over time maps (to prev); other "
                "offsets need windows, not yet supported"
            )
        inner, _ = self.node(n.this.this)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", inner):
            raise Untranslatable(f"`{short(n.sql())}`: prev() takes a name, not `{inner}`")
        return f"prev({inner})", _ATOM


def _what(n: Any) -> str:
    key = type(n).__name__
    names = {"Case": "CASE", "If": "IF", "Anonymous": f"function {getattr(n, 'name', '')}"}
    return names.get(key, key.upper())


def _number(n: Any) -> str:
    if n.is_string:
        raise Untranslatable(f"the text {n.sql()} is not a number")
    text = str(n.this)
    if re.fullmatch(r"\d{1,30}", text):
        return str(int(text))
    if re.fullmatch(r"(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?", text):
        return text if not text.startswith(".") else "0" + text
    raise Untranslatable(f"`{text}` is not a number kpiengine reads")


def _is_zero(n: Any) -> bool:
    exp = _sqlglot().exp
    return isinstance(n, exp.Literal) and not n.is_string and float(n.this) == 0.0


def _float_type(n: Any) -> bool:
    return str(n.to.this.name).upper().replace("_", " ").split(" ")[0] in _FLOAT_TYPES


# --- row-level measures and conditions -------------------------------------------------------


@dataclass
class RowMeasure:
    """What one row contributes: a column's value, or 1 (`count`), on rows matching `where`.
    `zeros`, set by a CASE with `ELSE 0`: the rows the aggregate reads (as a count), each of
    those `where` leaves out giving 0, not NULL; `tested`: the column the CASE's condition
    needs a value in (IS NOT NULL), when the row reads a column."""

    column: str | None = None
    count: bool = False
    where: dict[str, list[str]] = field(default_factory=dict)
    table: str | None = None  # the qualifier the expression used (`orders` in orders.amount)
    zeros: RowMeasure | None = None
    tested: str | None = None


def column_of(n: Any) -> tuple[str | None, str]:
    """(table qualifier or None, column name) of a column reference."""
    return (n.table or None), n.name


def row_measure(n: Any) -> RowMeasure:
    """A row-level expression as a column, a count of rows, or `CASE WHEN <equalities> THEN
    <column or 1> ELSE 0 END`; Untranslatable otherwise."""
    exp = _sqlglot().exp
    if isinstance(n, exp.Paren):
        return row_measure(n.this)
    if isinstance(n, exp.Star):
        return RowMeasure(count=True)
    if (
        isinstance(n, exp.Literal)
        and not n.is_string
        and n.this == "1"
        or (isinstance(n, exp.Boolean) and n.this)
    ):
        return RowMeasure(count=True)
    if isinstance(n, exp.Column):
        table, column = column_of(n)
        return RowMeasure(column=column, table=table)
    if isinstance(n, exp.Cast | exp.TryCast) and _float_type(n):
        return row_measure(n.this)
    if isinstance(n, exp.Case) and len(n.args.get("ifs") or []) == 1 and not n.this:
        otherwise = n.args.get("default")
        if (
            otherwise is None
            or _is_zero(otherwise)
            or isinstance(otherwise, exp.Null)
            or (isinstance(otherwise, exp.Boolean) and not otherwise.this)
        ):
            branch = n.args["ifs"][0]
            inner = row_measure(branch.args["true"])
            tables, where, present = conditions(branch.this)
            if inner.where:
                raise Untranslatable(f"`{short(n.sql())}`: nested conditions")
            qualifiers = {t for t in [inner.table, *tables] if t}
            if len(qualifiers) > 1:
                raise Untranslatable(f"`{short(n.sql())}` mixes tables {sorted(qualifiers)}")
            zero = otherwise is not None and not isinstance(otherwise, exp.Null)
            row = RowMeasure(inner.column, inner.count, where, next(iter(qualifiers), None))
            row.zeros = RowMeasure(count=True) if zero else None
            return with_present(row, present, n.sql())
    raise Untranslatable(
        f"`{short(n.sql())}` is not a column, a count or CASE WHEN <equalities> THEN <column> "
        "ELSE 0 END"
    )


def with_present(row: RowMeasure, present: list[str], sql: str) -> RowMeasure:
    """`row` kept to the rows where each column of `present` has a value (IS NOT NULL): a count
    of rows becomes a count of the rows where that column has one (`count: COLUMN`); a column's
    own test changes nothing (SUM, MIN, MAX and COUNT skip NULL). Any other test of a value's
    presence has no mapping and is Untranslatable."""
    own = {row.column} if row.column else set()
    others = [c for c in present if c not in own]
    if row.count and row.column is None and len(others) == 1:
        return replace(row, column=others[0], tested=others[0])
    if not others:
        return replace(row, tested=row.column) if own & set(present) and not row.count else row
    if row.count:
        what = f"counts rows where {len(own | set(others))} columns have a value"
    else:
        what = f"reads `{row.column}` on the rows where `{others[0]}` has a value"
    raise Untranslatable(
        f"`{short(sql)}` {what}: a mapping counts the rows where one column has a value "
        "(`count: COLUMN`); `where:` tests values"
    )


def restrict(
    row: RowMeasure, where: dict[str, list[str]], present: list[str], sql: str
) -> RowMeasure:
    """`row` on the rows a filter keeps (`where`, and a value in each `present` column): the
    rows it reads (`zeros`) too."""
    out = with_present(row, present, sql)
    out = replace(out, where=merge_where(out.where, where))
    if row.zeros is not None:
        out.zeros = restrict(row.zeros, where, present, sql)
    return out


def merge_where(first: dict[str, list[str]], second: dict[str, list[str]]) -> dict[str, list[str]]:
    """Rows both tests keep: a column tested by both keeps the values both accept."""
    out = dict(first)
    for column, values in second.items():
        if column in out:
            values = [v for v in values if v in out[column]]
            if not values:
                raise Untranslatable(f"the filters on `{column}` exclude every row")
        out[column] = values
    return out


def conditions(n: Any) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """(table qualifiers used, column -> accepted values, columns that must have a value) of
    `a = 'x' AND b IN (1, 2) AND c IS NOT NULL`."""
    exp = _sqlglot().exp
    if isinstance(n, exp.Paren):
        return conditions(n.this)
    if isinstance(n, exp.And):
        t1, left, p1 = conditions(n.this)
        t2, right, p2 = conditions(n.expression)
        both = set(left) & set(right)
        if both:
            raise Untranslatable(f"`{short(n.sql())}` tests `{sorted(both)[0]}` twice")
        return t1 + t2, {**left, **right}, p1 + [c for c in p2 if c not in p1]
    # `x IS NOT NULL`: sqlglot reads it as NOT x IS NULL
    negated = n.this.unnest() if isinstance(n, exp.Not) else None
    if negated is not None and _is_null(negated):
        table, name = column_of(negated.this.unnest())
        return ([table] if table else []), {}, [name]
    if _is_null(n):
        raise Untranslatable(
            f"the condition `{short(n.sql())}` keeps the rows without a value; a mapping counts "
            "the rows with one (`count: COLUMN`)"
        )
    column, values = None, None
    # Cube's `{status} = 'x'` expands to `(status) = 'x'`
    this = n.this.unnest() if isinstance(n.this, exp.Expression) else None
    if isinstance(n, exp.EQ):
        for a, b in ((this, n.expression.unnest()), (n.expression.unnest(), this)):
            if isinstance(a, exp.Column) and _value(b) is not None:
                column, values = a, [_value(b)]
                break
    elif isinstance(n, exp.In) and isinstance(this, exp.Column) and not n.args.get("query"):
        found = [_value(v) for v in n.expressions]
        if found and all(v is not None for v in found):
            column, values = this, found
    elif isinstance(n, exp.Is) and isinstance(this, exp.Column):
        if isinstance(n.expression, exp.Boolean):
            column, values = this, [_value(n.expression)]
    elif isinstance(n, exp.Column):
        column, values = n, [TRUE]
    if column is None or values is None:
        raise Untranslatable(
            f"the condition `{short(n.sql())}` is not an equality, an IN list, a boolean column "
            "or IS NOT NULL"
        )
    table, name = column_of(column)
    # a boolean literal stands for every text a true (false) cell holds
    texts: list[str] = []
    for value in map(str, values):
        texts += spellings(value == TRUE) if value in (TRUE, FALSE) else [value]
    return ([table] if table else []), {name: list(dict.fromkeys(texts))}, []


def _is_null(n: Any) -> bool:
    """`column IS NULL`."""
    exp = _sqlglot().exp
    return (
        isinstance(n, exp.Is)
        and isinstance(n.this.unnest(), exp.Column)
        and isinstance(n.expression, exp.Null)
    )


def _value(n: Any) -> str | None:
    exp = _sqlglot().exp
    if isinstance(n, exp.Literal):
        return str(n.this)
    if isinstance(n, exp.Boolean):
        return TRUE if n.this else FALSE
    if isinstance(n, exp.Neg) and isinstance(n.this, exp.Literal) and not n.this.is_string:
        return f"-{n.this.this}"
    return None


def plain_column(sql: str, dialect: str | None = None) -> str | None:
    """The column an expression reads as is (`day`, `CAST(day AS DATE)`), else None."""
    try:
        node = parse(sql, dialect)
    except Untranslatable:
        return None
    exp = _sqlglot().exp
    while isinstance(node, exp.Paren | exp.Cast | exp.TryCast):
        node = node.this
    return node.name if isinstance(node, exp.Column) and node.name else None


def count_measure(inner: Any) -> RowMeasure:
    """The rows COUNT(inner) counts: every row (`*`, a constant), the rows where a column has a
    value (`count: column`), or those a CASE WHEN keeps; with `ELSE 0` (`zeros`) the rows it
    leaves out count too (`aggregates.aggregate` adds them)."""
    if inner is None or inner.key == "star":
        return RowMeasure(count=True)
    return replace(row_measure(inner), count=True)
