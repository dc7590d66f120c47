"""A KPI's formula over raw variables, and the input values it takes at a period and segment.

Shifted inputs keep their internal names: `prev(revenue)` is the symbol `revenue__prev`, and
`prev(cac)` expands to `cac`'s formula with every input shifted (`marketing_cost__prev / ...`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from ..compute import Computer, ToDateComputer
from ..errors import ERROR, Finding, KpiError, sort_findings, suggestion
from ..evaluation import Results
from ..formula import shifted_name, symbol
from ..model import Workspace
from ..refs import describe, display_ref, ref_name, split_ref, window_of
from ..table import InputTable
from ..vectorize import compile_expr

Segment = dict[str, str]


split_name = split_ref
display_name = display_ref


def shift_expr(expr: sympy.Expr, chain: str) -> sympy.Expr:
    """The expression read through transforms (`prev`, `ytd__prev`, `total`): a window goes
    first in every input's chain, shifts and `total` after what the input already has."""
    out = {}
    for s in expr.free_symbols:
        base, inner = split_ref(s.name)
        tokens = tuple(chain.split("__"))
        window = tuple(t for t in tokens if window_of(t))
        rest = tuple(t for t in tokens if not window_of(t))
        out[s] = symbol(ref_name(base, (*window, *inner, *rest)))
    return expr.xreplace(out)


def resolve_kpi(ws: Workspace, name: str) -> str:
    """A KPI id from an id or alias; KpiError naming the closest KPI otherwise."""
    if name in ws.kpis:
        kpi_id = name
    elif (alias := ws.kpi_for_alias(name)) is not None:
        kpi_id = alias.id
    else:
        raise KpiError(f"unknown KPI `{name}`{suggestion(name, ws.kpis)}")
    blocker = ws.blocked_by(kpi_id)
    if blocker is not None:
        findings = "".join("\n" + f.format() for f in blocking_findings(ws, blocker))
        raise KpiError(
            f"`{kpi_id}` cannot be analysed: the definition of `{blocker}` has errors"
            + (":" + findings if findings else "")
        )
    return kpi_id


def blocking_findings(ws: Workspace, kpi_id: str) -> list[Finding]:
    """The findings that stop a KPI being evaluated (file:line:column, code, message, fix), as
    `kpi eval` prints them: its unparsed formula, unknown names, values that would be wrong."""
    kpi = ws.kpis.get(kpi_id)
    own = kpi.findings if kpi is not None else []
    allow = kpi.allow if kpi is not None else {}
    found = [f for f in own if f.blocking or (f.withholds and f.code not in allow)]
    found = found or [f for f in own if f.severity == ERROR]
    found = found or [f for f in ws.findings if f.kpi == kpi_id and f.severity == ERROR]
    return sort_findings(dict.fromkeys(found))


def expand(ws: Workspace, kpi_id: str, keep: Iterable[str] = ()) -> sympy.Expr:
    """The KPI's formula with every KPI it uses (also inside prev/last_year) replaced by its
    own expanded formula, except the KPIs in `keep`, which stay symbols."""
    keep = frozenset(keep)
    kpi = ws.kpis[kpi_id]
    if kpi.formula is None:
        raise KpiError(f"KPI `{kpi_id}` has no usable formula")
    inner: dict[sympy.Symbol, sympy.Expr] = {}
    for name in kpi.formula.names:
        if name in ws.kpis and name not in keep:
            inner[symbol(name)] = expand(ws, name, keep)
    for func, name in kpi.formula.shifts:
        if name in ws.kpis:
            inner[symbol(shifted_name(func, name))] = shift_expr(expand(ws, name), func)
    return kpi.formula.expr.xreplace(inner) if inner else kpi.formula.expr


def input_names(expr: sympy.Expr) -> list[str]:
    """The names an expression takes: current inputs first, then shifted ones, each sorted."""
    names = sorted(s.name for s in expr.free_symbols)
    return [n for n in names if "__" not in n] + [n for n in names if "__" in n]


def exact(value: float) -> sympy.Rational:
    """A float as the exact rational of its shortest decimal form (0.3 -> 3/10)."""
    return sympy.Rational(repr(float(value)))


def number(value: float | None) -> float | None:
    """A finite float, or None."""
    return None if value is None or not math.isfinite(value) else float(value)


def plain(value: Any) -> Any:
    """Numbers, strings, lists and dicts only: numpy scalars unwrapped, NaN and inf as None."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def segment_text(segment: Segment) -> str:
    return ", ".join(f"{k}={v}" for k, v in segment.items()) or "total"


@dataclass
class Context:
    """A workspace and its input table: the values every analysis reads (and the evaluation
    they come from, for the projections of a partial period). `daily` holds the inputs by day
    when the data stops inside its last period: a change of that partial period is explained
    on the same days of the periods compared (`kpiengine.analysis.todate`)."""

    ws: Workspace
    table: InputTable
    results: Results | None = None
    daily: InputTable | None = None
    #: the whole periods, when `table` holds only each period's first days (a to-date context)
    full: InputTable | None = None
    #: contexts over the first N days of every period, by N (see `todate.to_date_context`)
    to_date: dict[int, Context | None] = field(default_factory=dict, repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        return self.table.labels

    def period_index(self, label: str | None, default: int | None = None) -> int:
        """The index of a period label (`current`: the period to date); `default` (else the
        last complete period) when None."""
        if label is None and default is not None:
            return default
        return self.table.period_index(label)

    def segment_index(self, segment: Segment | None) -> int:
        if not segment:
            return 0
        for index, candidate in enumerate(self.table.segments):
            if candidate == segment:
                return index
        known = ", ".join(segment_text(s) for s in self.table.segments[1:]) or "none"
        raise KpiError(f"no segment {segment_text(segment)} in the data (segments: {known})")

    def array(self, name: str) -> np.ndarray:
        """An input (raw, or read through prev, a window, total) for every period x segment;
        NaN where there is none."""
        base, _ = split_ref(name)
        if base not in self.table.values and self.ws.is_data(base):
            why = self.table.missing.get(base)
            raise KpiError(f"the data has no `{base}`" + (f" ({why})" if why else ""))
        return self._computer.ref(name)

    @functools.cached_property
    def _computer(self) -> Computer:
        if self.full is not None:  # windows: earlier periods whole, the last one to date
            return ToDateComputer(self.ws, self.table, self.full)
        return Computer(self.ws, self.table)

    def values(self, names: Iterable[str], period: int, segment: int = 0) -> dict[str, float]:
        """Each input's value at one cell (NaN where missing)."""
        return {n: float(self.array(n)[period, segment]) for n in names}

    def series(self, expr: sympy.Expr) -> np.ndarray:
        """An expression evaluated for every period x segment (NaN where undefined)."""
        names = input_names(expr)
        shape = (self.table.n_periods, len(self.table.segments))
        out = run_expr(expr, names, [self.array(n) for n in names])
        out = np.broadcast_to(np.asarray(out, dtype=float), shape).copy()
        out[~np.isfinite(out)] = np.nan
        return out

    def missing(self, names: Iterable[str], period: int, segment: int = 0) -> list[str]:
        """Why some of these inputs have no value at a cell (one line per input)."""
        label = self.labels[period]
        where = "" if segment == 0 else f" ({segment_text(self.table.segments[segment])})"
        out = []
        for name in names:
            if math.isnan(self.array(name)[period, segment]):
                base, funcs = split_name(name)
                when = f" for {describe(funcs[-1])}" if funcs else ""
                out.append(f"no `{base}`{when} in {label}{where}")
        return out


def run_expr(expr: sympy.Expr, names: list[str], args: list[Any]) -> np.ndarray:
    """The compiled expression applied to `args`; NaN when its numbers leave the float range
    (`1e308 * 1e308 * revenue`, `exp(exp(exp(exp(10))))`), as evaluation reports them."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(compile_expr(expr, names)(*args), dtype=float)
    except (OverflowError, ValueError, ZeroDivisionError):
        return np.asarray(np.nan)


def evaluate_at(expr: sympy.Expr, values: dict[str, float]) -> float:
    """The expression at one point (NaN when undefined there)."""
    names = input_names(expr)
    out = float(np.asarray(run_expr(expr, names, [np.float64(values[n]) for n in names])))
    return out if math.isfinite(out) else math.nan


def context_of(results: Results) -> Context:
    """The context of an evaluation already made (for reports), with its daily inputs when
    the evaluation kept them (a partial last period's)."""
    return Context(results.workspace, results.table, results, results.daily)


def parse_segment(items: Iterable[str]) -> Segment:
    """`["channel=Email"]` -> {"channel": "Email"}."""
    out: Segment = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise KpiError(f"`{item}` is not a segment: write DIMENSION=VALUE, e.g. channel=Email")
        out[key.strip()] = value.strip()
    return out


def latest_defined(ctx: Context, expr: sympy.Expr, segment: int = 0) -> int:
    """The last complete period where the expression is defined (the last complete period
    when it never is): the default period of every analysis."""
    last = ctx.table.last_complete()
    defined = np.flatnonzero(np.isfinite(ctx.series(expr)[: last + 1, segment]))
    return int(defined[-1]) if defined.size else last
