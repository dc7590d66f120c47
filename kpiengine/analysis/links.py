"""How the references a formula makes to an input in its own period move with it.

A formula may read a variable `x` in the period being analysed plainly and through `total(x)`
or a window (`ytd(x)`, `qtd(x)`, `mtd(x)`, `rolling(x, n)`): those are functions of x, not
constants beside it. In one cell (period i, segment s), with v the cell's value of x:

- a window is its earlier periods combined with v by x's time rule: a sum `earlier + v`, a
  stock (`last`) v itself, `min`/`max` `Min(earlier, v)`/`Max(earlier, v)`, `first` the earlier
  value (v when the window starts with the period);
- `total(...)` in a segment is the total row's value moved by as much as the segment's (the
  segments add up: a `sum` across segments), in the total row the value itself.

`links` writes every such reference as an expression of the input solved for or differentiated
(`total(revenue)` = revenue + 5800), so `kpi solve` and `kpi drivers` move them with it;
references to earlier periods (`prev`, `last_year`) have happened and stay as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from ..errors import KpiError
from ..formula import symbol
from ..refs import SHIFTS, TOTAL, describe, display_ref, split_ref, window_of
from ..transforms import shift, window
from .expand import Context, evaluate_at, exact, input_names, segment_text
from .shown import input_value

_V = sympy.Dummy("v")


@dataclass
class Links:
    """The references of one input that move with it, each written in terms of it."""

    name: str
    #: internal name of each reference -> its expression in `symbol(name)`
    refs: dict[str, sympy.Expr] = field(default_factory=dict)
    #: how each reference moves, for messages (`total(revenue)` = `revenue` + €5,800.00 ...)
    said: list[str] = field(default_factory=list)

    def apply(self, expr: sympy.Expr) -> sympy.Expr:
        """`expr` with every linked reference replaced by its expression of the input."""
        if not self.refs:
            return expr
        return expr.xreplace({symbol(r): e for r, e in self.refs.items()})

    def values_at(self, value: float) -> dict[str, float]:
        """Each linked reference's value when the input is `value`."""
        return {r: evaluate_at(e, {self.name: value}) for r, e in self.refs.items()}

    def same(self) -> list[str]:
        """The references that are the input itself in this cell (`total(x)` in the total
        row, `ytd(x)` of a stock)."""
        return [r for r, e in self.refs.items() if e == symbol(self.name)]

    def note(self) -> str | None:
        """How the references move with the input, for a message (None without any)."""
        if not self.refs:
            return None
        return "; ".join(self.said)


def _text(expr: sympy.Expr, shown: str) -> str:
    out = str(expr.xreplace({s: sympy.Symbol(shown) for s in expr.free_symbols}))
    return out.replace("Max(", "max(").replace("Min(", "min(")


def _said(ctx: Context, ref: str, name: str, expr: sympy.Expr, i: int, s: int) -> str:
    """`total(revenue)` moves with `revenue`: `revenue` + €5,800.00 (the other segments...)."""
    shown, base = display_ref(name), split_ref(name)[0]
    head = f"`{display_ref(ref)}` moves with `{shown}`"
    rest = expr - symbol(name)
    if rest == 0:
        where = "total" if s == 0 else segment_text(ctx.table.segments[s])
        return f"`{display_ref(ref)}` is `{shown}` itself in {ctx.labels[i]} ({where})"
    if not rest.is_Number:
        return f"{head}: {_text(expr, shown)}"
    chain = set(split_ref(ref)[1]) - set(split_ref(name)[1])
    window = next((t for t in chain if window_of(t)), None)
    parts = [_before(window, ctx.labels[i])] if window else []
    if TOTAL in chain and s:
        parts.append(f"the segments other than {segment_text(ctx.table.segments[s])}")
    amount = input_value(ctx.ws, base, float(rest))
    return f"{head}: `{shown}` + {amount} ({' and '.join(parts)})"


def _before(token: str, label: str) -> str:
    """The periods of a window before its last, `label`: `rolling(x, 3)` holds the 2 periods
    before it (the period itself is the third)."""
    found = window_of(token)
    if found is not None and found[0] == "rolling":
        earlier = found[1] - 1
        return (
            f"the {earlier} periods before {label}" if earlier > 1 else f"the period before {label}"
        )
    return f"{describe(token)} before {label}"


def is_current(name: str) -> bool:
    """True for an input read in its own period: plainly, or over a window or the total
    ending with it (no `prev`, `last_year` in its chain)."""
    return not any(token in SHIFTS for token in split_ref(name)[1])


def links(ctx: Context, expr: sympy.Expr, name: str, i: int, s: int) -> Links:
    """The references of `name`'s variable in `expr` at period i, segment s that move with
    `name` (see the module); KpiError when one moves in a way kpiengine does not follow (a
    total across segments that is not their sum, a window of `name` when `name` is a window
    its period cannot be read back from)."""
    base, chain = split_ref(name)
    out = Links(name)
    if not is_current(name):
        return out
    others = sorted(
        n
        for n in (sym.name for sym in expr.free_symbols)
        if n != name and split_ref(n)[0] == base and is_current(n)
    )
    if not others:
        return out
    v0 = float(ctx.array(base)[i, s])
    own = _moved(ctx, base, chain, i, s, v0)  # the input solved for, as a function of v
    if own == _V:
        solved_v: sympy.Expr = symbol(name)
    elif (own - _V).free_symbols:  # not v plus a constant: v cannot be read back from it
        raise KpiError(
            f"`{display_ref(name)}` does not tell the period's own `{base}` (it is "
            f"{_text(own, base)}), which {', '.join(f'`{display_ref(n)}`' for n in others)} "
            f"also read: solve for `{base}` instead"
        )
    else:
        solved_v = symbol(name) - (own - _V)
    for other in others:
        moved = _moved(ctx, base, split_ref(other)[1], i, s, v0)
        out.refs[other] = moved.xreplace({_V: solved_v})
        out.said.append(_said(ctx, other, name, out.refs[other], i, s))
    return out


def _moved(
    ctx: Context, base: str, chain: tuple[str, ...], i: int, s: int, v0: float
) -> sympy.Expr:
    """The reference `base` read through `chain` at cell (i, s) as a function of `_V`, the
    cell's value of `base` (v0 now)."""
    out: sympy.Expr = _V
    if not ctx.ws.is_data(base):  # a parameter reads the same through any window
        return out
    variable = ctx.ws.variables[base]
    tokens = list(chain)
    if tokens and window_of(tokens[0]) is not None:
        out = _window(ctx, base, tokens.pop(0), i, s, v0)
    if TOTAL in tokens and s != 0:
        if variable.aggregate.segments != "sum":
            where = segment_text(ctx.table.segments[s])
            raise KpiError(
                f"`total({base})` is the {variable.aggregate.segments} of `{base}` across "
                f"segments, not their sum: how it moves with `{base}` in {where} is not known"
            )
        ref = "__".join([base, *chain])
        now = float(ctx.array(ref)[i, s])
        inner = "__".join([base, *chain[: chain.index(TOTAL)]])
        before = float(ctx.array(inner)[i, s])
        out = _exact(now) + out - _exact(before)  # the total moves as the segment does
    return out


def _window(ctx: Context, base: str, token: str, i: int, s: int, v0: float) -> sympy.Expr:
    """A window of `base` ending with period i, segment s, as a function of `_V`."""
    rule = ctx.ws.variables[base].aggregate.time
    if rule == "last":
        return _V
    now = float(ctx.array(f"{base}__{token}")[i, s])
    if rule == "sum":
        return _V + (_exact(now) - _exact(v0))
    earlier = _earlier(ctx, base, token, rule, i, s)
    if not math.isfinite(earlier):
        return _V
    if rule in ("min", "max"):
        return (sympy.Min if rule == "min" else sympy.Max)(_exact(earlier), _V)
    if rule == "first":
        return _exact(earlier)
    raise KpiError(
        f"`{display_ref(f'{base}__{token}')}` is a `{rule}` of `{base}` over {describe(token)}: "
        f"how it moves with `{base}` is not known"
    )


def _earlier(ctx: Context, base: str, token: str, rule: str, i: int, s: int) -> float:
    """The window's value over its periods before i (NaN when it starts with i)."""
    table = ctx.full if ctx.full is not None else ctx.table
    found = window_of(token)
    assert found is not None
    kind, count = found
    if i == 0 or (kind == "rolling" and count == 1):
        return math.nan
    inner = f"rolling{count - 1}" if kind == "rolling" else token
    values = table.values[base]
    before, _ = window(values, rule, inner, table, base)
    if kind != "rolling":  # only when period i - 1 is in period i's window (same year)
        ones = np.ones((table.n_periods, 1))
        if window(ones, "sum", token, table)[0][i, 0] <= 1:
            return math.nan
    return float(shift(before, "prev", table)[i, s])


def _exact(value: float) -> sympy.Expr:
    return exact(value) if math.isfinite(value) else sympy.nan


def kpi_windows(ctx: Context, kpi_id: str, name: str) -> list[str]:
    """How `kpi_id` (or a KPI it uses) reads KPI `name` in the period over a window or the
    total (`total(cac)`): those move with `name` by as much as the inputs that move it, which
    `name` alone does not say."""
    ws = ctx.ws
    out = []
    for k in sorted({kpi_id} | ws.kpi_deps_of(kpi_id)):
        formula = ws.kpis[k].formula
        for chain, used in sorted(formula.shifts if formula else ()):
            ref = f"{used}__{chain}"
            if used == name and is_current(ref):
                out.append(display_ref(ref))
    return out


def movers(
    ctx: Context, expr: sympy.Expr, i: int, s: int
) -> tuple[dict[str, Links], set[str], list[str]]:
    """For each variable `expr` reads in the period several ways (`revenue`, `total(revenue)`),
    the one whose +1% moves the others (the plainest: `revenue`) with its `Links`; the
    references that are that input itself in this cell (`total(x)` in the total row: no effect
    of their own); and notes saying how the others move and what their own rows then mean."""
    moved: dict[str, Links] = {}
    same: set[str] = set()
    notes: list[str] = []
    by_base: dict[str, list[str]] = {}
    for name in input_names(expr):
        if is_current(name):
            by_base.setdefault(split_ref(name)[0], []).append(name)
    for refs in by_base.values():
        if len(refs) < 2:
            continue
        first = min(refs, key=lambda n: (n.count("__"), n))
        try:
            found = links(ctx, expr, first, i, s)
        except KpiError as exc:  # its effect is not known: none is given
            notes.append(f"no effect of `{display_ref(first)}` is given: {exc}")
            moved[first] = Links(first, {first: sympy.nan})
            continue
        moved[first] = found
        same |= set(found.same())
        notes += found.said
        rest = [f"`{display_ref(r)}`" for r in found.refs if r not in same]
        if rest:
            notes.append(
                f"+1% of `{display_ref(first)}` moves {', '.join(rest)} with it; the effect "
                f"of {', '.join(rest)} alone is that of the rest of it, `{display_ref(first)}` "
                "held"
            )
    return moved, same, notes
