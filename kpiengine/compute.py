"""KPI formulas on input arrays: every period x segment cell at once, references read, and the
reason each undefined cell is undefined.

Arrays have periods on the second-to-last axis and segments on the last; a leading axis (the
draws of a projection) passes through unchanged. A KPI read through a window (`ytd(cac)`) is
computed again from its inputs over that window: year-to-date cost over year-to-date new
customers, never an aggregate of monthly CACs.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np

from .formula import Formula
from .model import DISTINCT, Workspace
from .parameters import constant_array
from .refs import describe, ref_name, split_ref, window_of
from .table import InputTable
from .transforms import known_only, shift, value_transform, window
from .vectorize import vectorize

_VECTORIZED: dict[int, tuple[ast.AST, Callable]] = {}
DISTINCT_TO_DATE = (
    "a distinct count over a window is counted by its source to the end of each period, not to "
    "the same day of an earlier one"
)


def compiled(node: ast.AST) -> Callable:
    """The vectorised function of a formula (sub)tree, built once per tree."""
    found = _VECTORIZED.get(id(node))
    if found is None or found[0] is not node:
        found = _VECTORIZED[id(node)] = (node, vectorize(node))
    return found[1]


def run(func: Callable, arrays: dict[str, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(func(arrays), dtype=float), shape).copy()


class Computer:
    """Computes KPIs and references on one table, each once (results are cached)."""

    def __init__(self, workspace: Workspace, table: InputTable):
        self.ws = workspace
        self.table = table
        any_array = next(iter(table.values.values()), None)
        segments = len(table.segments)
        self.shape = any_array.shape if any_array is not None else (table.n_periods, segments)
        self.arrays: dict[str, np.ndarray] = {}
        self.why: dict[str, str] = {}  # internal name -> why it is undefined everywhere

    def kpi(self, kpi_id: str, window_token: str | None = None) -> np.ndarray:
        """A KPI's values (NaN where undefined), over a window when one is given."""
        key = ref_name(kpi_id, (window_token,)) if window_token else kpi_id
        if key not in self.arrays:
            formula = self.ws.kpis[kpi_id].formula
            assert formula is not None  # the plan holds evaluable KPIs only
            arrays = self.inputs(formula, window_token)
            values = run(compiled(formula.tree), arrays, self.shape)
            values[~np.isfinite(values)] = np.nan
            self.arrays[key] = values
        return self.arrays[key]

    def inputs(self, formula: Formula, window_token: str | None = None) -> dict[str, np.ndarray]:
        """Each name the formula reads (plain and through references), as arrays."""
        out = {}
        for name in formula.input_names:
            base, chain = split_ref(name)
            if window_token and chain and window_of(chain[0]):
                internal = ref_name(base, (window_token, *chain))
                self.arrays[internal] = np.full(self.shape, np.nan)
                self.why[internal] = "a window over a KPI that reads a window itself"
                out[name] = self.arrays[internal]
                continue
            if window_token:
                chain = (window_token, *chain)
            out[name] = self.ref(ref_name(base, chain))
        return out

    def ref(self, internal: str) -> np.ndarray:
        """A variable or KPI read through its chain of transforms."""
        if internal in self.arrays:
            return self.arrays[internal]
        base, chain = split_ref(internal)
        windowed = bool(chain) and window_of(chain[0]) is not None
        token = chain[0] if windowed else None
        rest = chain[1:] if windowed else chain
        if rest:
            inner = ref_name(base, chain[:-1])
            out = value_transform(self.ref(inner), chain[-1], self.table)
            if inner in self.why:
                self.why[internal] = self.why[inner]
        elif base in self.ws.kpis:
            out = self.kpi(base, token)
        elif not self.ws.is_data(base):  # a parameter: the same over any window
            out = self._constant(base)
        elif token is None:
            out = self.table.values[base]
        else:
            out, reason = self._window(base, token)
            if reason:
                self.why[internal] = reason
        self.arrays[internal] = out
        return out

    def _window(self, base: str, token: str) -> tuple[np.ndarray, str | None]:
        """A variable over a window, and why it is undefined everywhere (None when it is not)."""
        rule = self.ws.variables[base].aggregate.time
        return window(self.table.values[base], rule, token, self.table, base)

    def _constant(self, name: str) -> np.ndarray:
        out = constant_array(self.ws, name, self.table)
        assert out is not None  # `is_data` said it is a parameter
        if np.isnan(out).any():
            self.why[name] = "the parameter has no value before its first period"
        return out

    def reasons(self, kpi_id: str, window_token: str | None = None) -> np.ndarray:
        """Why each undefined cell of a KPI (2-D) is undefined: a missing input, a zero
        denominator, a bad domain; None where defined (a read-only view when all are)."""
        values = self.kpi(kpi_id, window_token)
        undefined = np.isnan(values)
        if not undefined.any():
            return np.broadcast_to(np.empty((), dtype=object), values.shape)
        formula = self.ws.kpis[kpi_id].formula
        assert formula is not None
        reasons = np.empty(values.shape, dtype=object)
        todo = undefined.copy()

        def mark(mask: np.ndarray, reason: str | np.ndarray) -> None:
            hit = todo & mask
            reasons[hit] = reason[hit] if isinstance(reason, np.ndarray) else reason
            todo[hit] = False

        arrays = self.inputs(formula, window_token)
        for name, array in arrays.items():
            missing = np.isnan(array)
            if (todo & missing).any():
                base, chain = split_ref(name)
                over = (window_token,) if window_token and not chain else ()
                mark(missing, self._missing(ref_name(base, (*over, *chain))))
        for guard in formula.guards:
            if not todo.any():
                break
            value = run(compiled(guard.node), arrays, values.shape)
            text = guard.text
            if guard.kind == "nonzero":
                mark(value == 0, f"`{text}` is 0" if " " in text else f"no `{text}`")
            elif guard.kind == "positive":
                mark(value <= 0, f"`{text}` is not positive (log)")
            else:
                mark(value < 0, f"`{text}` is negative (square root)")
        mark(todo, "the result is not a finite number")
        return reasons

    def _missing(self, name: str) -> str | np.ndarray:
        base, chain = split_ref(name)
        over = " and ".join(describe(t) for t in reversed(chain))
        when = f" for {over}" if chain else ""
        if name in self.why:
            return f"no value for `{base}`{when}: {self.why[name]}"
        if base in self.ws.kpis and not chain:
            inner = self.reasons(base)
            text = [f"`{base}` is undefined ({r})" for r in inner.ravel()]
            return np.array(text, dtype=object).reshape(inner.shape)
        why = self.table.missing.get(base)
        return f"no data for `{base}`{when}" + (f" ({why})" if why else "")


class ToDateComputer(Computer):
    """KPIs at the same elapsed day of every period: `todate` holds each period's first days
    (`kpiengine.todatevalues.to_date_table`), `full` the whole periods.

    A name read plainly or through `prev` and `last_year` takes its period's days to date
    (`prev(revenue)` on 15 February is 1-15 January); a window holds its earlier periods whole
    and its last one to date (`ytd(revenue)` on 15 March is January, February and 1-15 March;
    `last_year(ytd(revenue))` the same days of the year before).
    """

    def __init__(self, workspace: Workspace, todate: InputTable, full: InputTable):
        super().__init__(workspace, todate)
        self.full = full

    def _window(self, base: str, token: str) -> tuple[np.ndarray, str | None]:
        rule = self.ws.variables[base].aggregate.time
        now, whole = self.table.values[base], self.full.values[base]
        if rule == DISTINCT:  # its ids are not counted to a day inside a window's periods
            return np.full_like(now, np.nan, dtype=float), DISTINCT_TO_DATE
        found = window_of(token)
        assert found is not None
        kind, count = found
        if kind == "rolling" and count == 1:
            out = now
        else:
            inner = f"rolling{count - 1}" if kind == "rolling" else token
            before, reason = window(whole, rule, inner, self.full, base)
            if reason:
                return before, reason
            before = shift(before, "prev", self.full)  # period i - 1's window, for period i
            if kind != "rolling":  # only when period i - 1 is in period i's window (same year)
                ones = np.ones((self.full.n_periods, 1))
                position = window(ones, "sum", token, self.full)[0][:, 0]
                before = np.where((position > 1)[:, None], before, np.nan)
            out = then(rule, before, now)
        # the days to date of a window that starts before the data do not make it known
        return known_only(out, rule, token, self.full, base), None


def then(rule: str, earlier: np.ndarray, later: np.ndarray) -> np.ndarray:
    """Two aggregates of consecutive spans as one, by a variable's time rule (NaN: no data)."""
    if rule == "sum":
        return np.where(
            np.isnan(earlier), later, np.where(np.isnan(later), earlier, earlier + later)
        )
    if rule in ("min", "max"):
        return (np.fmin if rule == "min" else np.fmax)(earlier, later)
    if rule == "last":
        return np.where(np.isnan(later), earlier, later)
    return np.where(np.isnan(earlier), later, earlier)  # first
