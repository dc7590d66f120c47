"""Explain a KPI's change between two periods: each input's exact contribution.

Shapley values (the default) work for any formula and do not depend on an order: each input's
contribution is its average effect over every order of switching the inputs from the first
period's values to the second's, computed from all 2^n combinations in one vectorised call.
LMDI (log-mean Divisia) is offered for a product of powers, where it is exact too. Both sum to
the change up to floating-point rounding.

A change with the partial last period compares the same days of both periods (`todate`):
`compared` says which, `start_days`/`end_days` which days, `warnings` when it cannot.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy

from ..errors import KpiError
from .expand import (
    Context,
    display_name,
    evaluate_at,
    expand,
    input_names,
    latest_defined,
    number,
    resolve_kpi,
    run_expr,
    shift_expr,
    split_name,
)
from .todate import PERIOD, change_basis

MAX_PLAYERS = 12


class UndefinedMix(KpiError):
    """A mix of the two periods' inputs where the formula is undefined."""


def shapley(
    expr: sympy.Expr,
    players: list[list[str]],
    before: dict[str, float],
    after: dict[str, float],
) -> list[float]:
    """Shapley value of each group of inputs for the change of `expr` from `before` to `after`.

    Inputs in no group must be equal in both. Raises UndefinedMix when some combination of the
    two periods' inputs leaves the formula undefined."""
    n = len(players)
    if n > MAX_PLAYERS:
        raise KpiError(f"{n} groups of inputs changed; at most {MAX_PLAYERS} can be combined")
    if n == 0:
        return []
    masks = np.arange(2**n)
    owner = {name: k for k, group in enumerate(players) for name in group}
    names = input_names(expr)
    args = []
    for name in names:
        k = owner.get(name)
        if k is None:
            args.append(np.full(masks.size, before[name], dtype=float))
        else:
            args.append(np.where((masks >> k) & 1, after[name], before[name]).astype(float))
    values = run_expr(expr, names, args)
    values = np.broadcast_to(np.asarray(values, dtype=float), masks.shape)
    if not np.isfinite(values).all():
        raise UndefinedMix(
            "the formula is undefined for some mix of the two periods' inputs, "
            "so their contributions cannot be separated"
        )
    sizes = np.array([bin(m).count("1") for m in range(2**n)])
    weights = np.array(
        [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    )
    out = []
    for k in range(n):
        without = masks[((masks >> k) & 1) == 0]
        gains = weights[sizes[without]] * (values[without | (1 << k)] - values[without])
        out.append(math.fsum(gains.tolist()))
    return out


def powers(expr: sympy.Expr) -> dict[str, sympy.Expr] | None:
    """Exponent of each input when `expr` is a constant times a product of their powers."""
    out: dict[str, sympy.Expr] = {}
    for factor in sympy.Mul.make_args(expr):
        if factor.is_Number:
            continue
        base, exponent = factor.as_base_exp()
        if not isinstance(base, sympy.Symbol) or not exponent.is_Number:
            return None
        out[base.name] = out.get(base.name, 0) + exponent
    return out


def _log_mean(a: float, b: float) -> float:
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


def lmdi(expr: sympy.Expr, before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """LMDI-I contribution of each input; KpiError when it is not exact for this formula."""
    exps = powers(expr)
    if exps is None:
        raise KpiError("LMDI is exact only for a product of powers of the inputs; use shapley")
    start, end = evaluate_at(expr, before), evaluate_at(expr, after)
    positive = all(before[n] > 0 and after[n] > 0 for n in exps)
    if not positive or not start * end > 0:
        raise KpiError("LMDI needs positive inputs and a KPI of one sign in both periods")
    weight = _log_mean(end, start)
    return {n: weight * float(e) * math.log(after[n] / before[n]) for n, e in exps.items()}


@dataclass
class Contribution:
    input: str
    label: str
    before: float
    after: float
    contribution: float
    share: float | None  # of the total change


@dataclass
class Explanation:
    """The KPI's change from one period to another, split into its inputs' contributions."""

    kpi: str
    start: str
    end: str
    segment: dict[str, str]
    before: float
    after: float
    change: float
    method: str
    contributions: list[Contribution]
    notes: list[str] = field(default_factory=list)
    compared: str = PERIOD  # `period`, or `to_date`: the first days of each, as `start_days`
    start_days: list[str] = field(default_factory=list)  # first and last day compared (ISO)
    end_days: list[str] = field(default_factory=list)
    partial: dict | None = None  # the partial period among the two: label, covered, days
    warnings: list[str] = field(default_factory=list)  # a partial period against a whole one

    def to_dict(self) -> dict:
        return asdict(self)


def _groups(ctx: Context, kpi_id: str, changed: list[str]) -> tuple[list[list[str]], list[str]]:
    """Players for Shapley: each changed input, or, beyond MAX_PLAYERS, the inputs grouped by
    the name (KPI or variable) of the KPI's own formula they come through."""
    if len(changed) <= MAX_PLAYERS:
        return [[n] for n in changed], [display_name(n) for n in changed]
    ws = ctx.ws
    formula = ws.kpis[kpi_id].formula
    assert formula is not None  # the caller expanded the KPI, which needs its formula
    groups: dict[str, list[str]] = {}
    for name in formula.input_names:
        base, funcs = split_name(name)
        if base in ws.kpis:
            inner = expand(ws, base)
            for func in funcs:
                inner = shift_expr(inner, func)
            members = input_names(inner)
        else:
            members = [name]
        taken = {m for group in groups.values() for m in group}
        groups[display_name(name)] = [m for m in members if m in changed and m not in taken]
    groups = {k: v for k, v in groups.items() if v}
    if len(groups) > MAX_PLAYERS:
        raise KpiError(
            f"{len(changed)} inputs of `{kpi_id}` changed, in {len(groups)} groups: an exact "
            f"decomposition needs 2^n evaluations and is limited to {MAX_PLAYERS} groups"
        )
    return list(groups.values()), list(groups)


def _undefined(ctx: Context, expr: sympy.Expr, kpi_id: str, i: int, s: int) -> str:
    names = input_names(expr)
    lacking = ctx.missing(names, i, s)
    if lacking:
        return f"`{kpi_id}` is undefined in {ctx.labels[i]}: " + "; ".join(lacking)
    denominator = sympy.fraction(sympy.together(expr))[1]
    if evaluate_at(denominator, ctx.values(input_names(denominator), i, s)) == 0:
        return f"`{kpi_id}` is undefined in {ctx.labels[i]}: its denominator `{denominator}` is 0"
    return f"`{kpi_id}` is undefined in {ctx.labels[i]}"


def periods(ctx: Context, expr: sympy.Expr, start: str | None, end: str | None, s: int):
    """The indices of the two periods compared (default: the latest defined and the one before)."""
    j = ctx.period_index(end, latest_defined(ctx, expr, s))
    i = ctx.period_index(start, j - 1)
    if i < 0:
        raise KpiError(f"there is no period before {ctx.labels[j]} to compare with")
    if i == j:
        raise KpiError("--from and --to name the same period")
    return i, j


def explain_change(
    ctx: Context,
    kpi_id: str,
    start: str | None = None,
    end: str | None = None,
    segment: dict[str, str] | None = None,
    method: str = "shapley",
) -> Explanation:
    """Each input's contribution to the KPI's change from `start` to `end`."""
    kpi_id = resolve_kpi(ctx.ws, kpi_id)
    expr = expand(ctx.ws, kpi_id)
    s = ctx.segment_index(segment)
    i, j = periods(ctx, expr, start, end, s)
    basis = change_basis(ctx, kpi_id, expr, i, j, s)
    names = input_names(expr)
    a, b = basis.ctx.values(names, i, s), basis.ctx.values(names, j, s)
    fa, fb = evaluate_at(expr, a), evaluate_at(expr, b)
    for value, k in ((fa, i), (fb, j)):
        if not math.isfinite(value):
            raise KpiError(
                "cannot explain the change: " + _undefined(basis.ctx, expr, kpi_id, k, s)
            )
    changed = [n for n in names if a[n] != b[n]]
    notes: list[str] = []
    if method == "lmdi":
        parts = {n: v for n, v in lmdi(expr, a, b).items() if n in changed}
        groups, labels = [[n] for n in parts], [display_name(n) for n in parts]
        values = list(parts.values())
    elif method == "shapley":
        groups, labels = _groups(ctx, kpi_id, changed)
        if len(groups) < len(changed):
            notes.append(f"{len(changed)} inputs changed: grouped by the names in the formula")
        try:
            values = shapley(expr, groups, a, b)
        except UndefinedMix as exc:
            raise KpiError(f"cannot explain the change of `{kpi_id}`: {exc}") from None
    else:
        raise KpiError(f"unknown method `{method}`: use shapley or lmdi")
    change = fb - fa
    rows = []
    for group, label, value in zip(groups, labels, values, strict=True):
        single = len(group) == 1
        rows.append(
            Contribution(
                group[0] if single else label,
                label,
                a[group[0]] if single else math.nan,
                b[group[0]] if single else math.nan,
                value,
                value / change if change else None,
            )
        )
    rows.sort(key=lambda r: -abs(r.contribution))
    unchanged = [display_name(n) for n in names if n not in changed]
    if unchanged:
        notes.append("unchanged (no contribution): " + ", ".join(unchanged))
    partial = basis.partial.to_dict() if basis.partial else None
    return Explanation(
        kpi_id, ctx.labels[i], ctx.labels[j], dict(ctx.table.segments[s]),
        fa, fb, change, method, rows, notes, basis.compared, **basis.days(), partial=partial,
        warnings=[basis.warning] if basis.warning else [],
    )  # fmt: skip


def waterfall(explanation: Explanation) -> list[dict]:
    """Steps of a waterfall chart: the start value, each contribution, the end value."""
    steps = [{"label": explanation.start, "kind": "start", "start": 0.0,
              "end": explanation.before}]  # fmt: skip
    level = explanation.before
    for row in explanation.contributions:
        steps.append(
            {"label": row.label, "kind": "step", "start": level,
             "end": level + row.contribution, "delta": row.contribution}
        )  # fmt: skip
        level += row.contribution
    steps.append({"label": explanation.end, "kind": "end", "start": 0.0, "end": explanation.after})
    return steps


#: The decimals a change is shown with by default (`localformat.Formatter.change_amount`).
CHANGE_DECIMALS = {"percent": 1, "currency": 2, "multiple": 2}
MAX_MORE_PLACES = 3


def shown_places(
    contributions: list[float], change: float, fmt: str, decimals: int | None = None
) -> int | None:
    """The decimals to show contributions and their change with (of points, for a
    percentage) so that the contributions as shown add up to the change as shown: the format's
    (`decimals`, else its default), or the fewest more, at most MAX_MORE_PLACES (-0.14 pp and
    -0.13 pp, not -0.1 pp and -0.1 pp, for a change of -0.27 pp shown as -0.3 pp). `decimals`
    unchanged for formats shown by significant digits (number), whole (integer) or in cents
    (currency: a sub-cent amount reads as an error; parts may then differ by a cent), and when
    no count up to the cap adds up."""
    base = decimals if decimals is not None else CHANGE_DECIMALS.get(fmt)
    if fmt in ("integer", "currency") or base is None:
        return decimals
    scale = 100.0 if fmt == "percent" else 1.0
    parts = [value * scale for value in contributions]
    change *= scale
    if not parts or not all(math.isfinite(v) for v in [*parts, change]):
        return decimals
    for places in range(base, base + MAX_MORE_PLACES + 1):
        total = math.fsum(_shown(p, places) for p in parts)
        if abs(total - _shown(change, places)) <= 1e-9 * max(1.0, abs(change)):
            return places
    return decimals  # no count adds up: more decimals that still disagree would only mislead


def _shown(value: float, places: int) -> float:
    """A change as `change_amount` shows it: rounded to `places`, or to the fewest more (at
    most 6) that keep a digit of one that is not 0 (+0.03× beside one decimal)."""
    while round(value, places) == 0 and value and places < 6:
        places += 1
    return round(value, places)


def contributions_to_dict(explanation: Explanation) -> dict:
    """Plain data for JSON: the explanation and its waterfall."""
    out = explanation.to_dict()
    for row in out["contributions"]:
        row["before"], row["after"] = number(row["before"]), number(row["after"])
    out["waterfall"] = waterfall(explanation)
    return out


def check_sum(explanation: Explanation) -> float:
    """The contributions' sum minus the change (0 up to rounding)."""
    return math.fsum(r.contribution for r in explanation.contributions) - explanation.change
