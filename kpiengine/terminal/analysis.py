"""Plain-text and JSON renderings of analysis results, for the command line."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from ..analysis.drivers import RELATIVE, Drivers, TreeNode, render_tree
from ..analysis.expand import plain, segment_text
from ..analysis.explain import Explanation, shown_places, waterfall
from ..analysis.goalseek import GoalSeek, Solution
from ..analysis.plan import Plan
from ..analysis.segments import SegmentRow, SegmentSplit
from ..analysis.shown import exact_apart, input_value, kpi_value, kpi_values_apart
from ..formatting import table
from ..localformat import Formatter
from ..model import Workspace
from ..writeback import WriteResult


def to_json(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False, indent=1)


def _fmt(ws: Workspace) -> Formatter:
    return Formatter("en", ws.settings.currency)


def kpi_change(ws: Workspace, kpi_id: str, value: float | None) -> str:
    """A signed change of a KPI: points for percentages (`-0.5 pp`), else its own format."""
    kpi = ws.kpis[kpi_id]
    return _fmt(ws).gap(value, kpi.format, kpi.decimals)


def number(ws: Workspace, value: float | None, sign: bool = False) -> str:
    """A plain number with 4 significant digits (`0.9194`, `-4.031e-05` as `-0.00004031`)."""
    return _fmt(ws).number(value, sign=sign)


def change_pct(ws: Workspace, value: float | None) -> str:
    return _fmt(ws).change(value)


def _signed(text: str) -> str:
    return text if text.startswith(("-", "—")) else "+" + text


def render_goalseek(ws: Workspace, results: list[GoalSeek]) -> str:
    if not results:  # a caller's empty list: solve_each raises when there is no input
        return "nothing to solve for"
    # the head from an input answered (`solve_each` puts none refused first only by order)
    first = next((r for r in results if r.refused is None), results[0])
    where = f"{first.period} ({segment_text(first.segment)})"
    now, target = kpi_values_apart(ws, first.kpi, [first.kpi_value, first.target])
    projected = "projected to its end " if first.input_to_date is not None else ""
    head = f"{first.kpi} in {where}: {projected}{now}, target {target}"
    rows, notes = [], []
    for result in results:
        label = result.label or result.input  # `ytd(revenue)`, not `revenue__ytd`
        now = input_value(ws, result.input, result.input_value)
        if not result.solutions:
            rows.append([label, now, "cannot solve" if result.refused else "no solution", "", ""])
            notes.append(result.message)
        for solution in result.solutions:
            whole = solution.whole is not None
            value = solution.whole if whole else solution.value
            needed = solution.interval or input_value(ws, result.input, value)
            moved = solution.whole_change if whole else solution.change
            moved_pct = solution.whole_change_pct if whole else solution.change_pct
            change = ""
            if moved is not None:
                change = _signed(input_value(ws, result.input, moved))
                change += f" ({change_pct(ws, moved_pct)})"
            ok = "yes" if solution.feasible else "NO"
            rows.append([label, now, needed, change, ok])
            if whole and solution.value != solution.whole:
                notes.append(_whole_note(ws, result, solution))
            notes += [f"{label}: {why}" for why in solution.why]
        notes += result.notes
        if result.method == "numeric":
            notes.append(f"{label}: solved numerically (no closed form)")
    out = head + "\n\n" + table(["input", "now", "needed", "change", "feasible"], rows)
    return out + ("\n\n" + "\n".join(notes) if notes else "")


def _whole_note(ws: Workspace, result: GoalSeek, solution: Solution) -> str:
    """`new_customers: counted whole: 99 gives cac €148.55 (exactly 98.04 would give the
    target)`."""
    assert solution.whole is not None and solution.value is not None
    # the KPI there with the decimals that tell it from the target (90.03%, not 90.0%)
    kpi, _ = kpi_values_apart(ws, result.kpi, [solution.whole_kpi_value, result.target])
    return (
        f"{result.label or result.input}: counted whole: "
        f"{input_value(ws, result.input, solution.whole)} gives {result.kpi} {kpi} (exactly "
        f"{exact_apart(solution.value, solution.whole)} would give the target)"
    )


def render_drivers(ws: Workspace, report: Drivers, tree: TreeNode) -> str:
    head = f"{report.kpi} in {report.period} ({segment_text(report.segment)}): " + kpi_value(
        ws, report.kpi, report.value
    )
    rows = []
    for rank, d in enumerate(report.drivers, 1):
        impact = kpi_change(ws, report.kpi, d.change_1pct)
        elasticity = number(ws, d.elasticity, sign=True)
        derivative = number(ws, d.derivative)
        via = ", ".join(d.via)
        rows.append([str(rank), d.label, input_value(ws, d.input, d.value), derivative,
                     elasticity, impact, via])  # fmt: skip
    headers = [
        "rank",
        "input",
        "value",
        "d kpi/d input",
        "elasticity",
        "kpi change for +1% (exact)",
        "via",
    ]
    out = f"{head}\n\n{table(headers, rows)}"
    if report.notes:
        out += "\n\n" + "\n".join(report.notes)
    if report.missing:
        out += "\n\n" + "\n".join(report.missing)
    if report.cancelled:
        out += "\n\ncancel out of the expanded formula: " + ", ".join(report.cancelled)
    tree_text = render_tree(tree, effect=_tree_effect(ws, report), shown=_tree_value(ws))
    return out + "\n\ndriver tree:\n" + tree_text


def _tree_value(ws: Workspace) -> Callable[[TreeNode], str]:
    """A tree node's value as the drivers' table writes it: a KPI in its format (`364.5%`,
    `€151.61`), a variable by its unit (`€11,752.93`, `97`)."""

    def shown(node: TreeNode) -> str:
        base = node.name.split("__")[0]
        return input_value(ws, base if base in ws.kpis else node.name, node.value)

    return shown


def _tree_effect(ws: Workspace, report: Drivers) -> Callable[[TreeNode], str | None]:
    """A tree node's effect on the KPI: its elasticity, or for a rate or a KPI at or below 0
    the KPI's exact change for +1% of it (`+1% -> -0.6 pp`), as the drivers' table shows them."""

    def effect(node: TreeNode) -> str | None:
        if report.basis == RELATIVE:
            return None if node.elasticity is None else f"elasticity {node.elasticity:+.3g}"
        if node.change_1pct is None:
            return None
        return f"+1% -> {kpi_change(ws, report.kpi, node.change_1pct)}"

    return effect


def _sides(e: Explanation) -> tuple[str, str]:
    """The two periods as compared: `2024-01 (to 2024-01-15)` to date, `2024-02 (15/29 d)`
    for a partial period compared with a whole one, else the labels."""
    if e.compared == "to_date" and e.partial:
        return f"{e.start} (to {e.start_days[1]})", f"{e.end} (to {e.end_days[1]})"
    if e.partial:
        mark = f" ({e.partial['covered']}/{e.partial['days']} d)"
        partial = e.partial["period"]
        return e.start + mark * (e.start == partial), e.end + mark * (e.end == partial)
    return e.start, e.end


def _compared_line(e: Explanation) -> str:
    """`compared to date: 2024-02-01 to 2024-02-15 vs 2024-01-01 to 2024-01-15 (...)`."""
    if e.compared != "to_date" or not e.partial:
        return ""
    start, end = (" to ".join(days) for days in (e.start_days, e.end_days))
    p = e.partial
    return (
        f"\ncompared to date: {end} vs {start}, each period to the same date "
        f"({p['period']} holds {p['covered']} of {p['days']} days)"
    )


def render_explanation(ws: Workspace, e: Explanation, split: SegmentSplit | None) -> str:
    where = segment_text(e.segment)
    start, end = _sides(e)
    kpi = ws.kpis[e.kpi]
    places = shown_places([r.contribution for r in e.contributions], e.change, kpi.format,
                          kpi.decimals)  # fmt: skip

    def step(value: float | None) -> str:  # contributions shown add up to the change shown
        return _fmt(ws).gap(value, kpi.format, places)

    head = (
        f"{e.kpi} ({where}): {kpi_value(ws, e.kpi, e.before)} in {start} -> "
        f"{kpi_value(ws, e.kpi, e.after)} in {end}, change {step(e.change)} ({e.method})"
    )
    head += _compared_line(e) + "".join(f"\nwarning: {w}" for w in e.warnings)
    rows = [
        [r.label, input_value(ws, r.input, r.before), input_value(ws, r.input, r.after),
         step(r.contribution), change_pct(ws, r.share).lstrip("+") if r.share else "—"]
        for r in e.contributions
    ]  # fmt: skip
    headers = ["input", start, end, "contribution", "share of change"]
    out = f"{head}\n\n{table(headers, rows)}"
    total = math.fsum(r.contribution for r in e.contributions)
    out += f"\n\nsum of contributions {step(total)} = change {step(e.change)}"
    bars = _bars(waterfall(e), lambda v, is_step: step(v) if is_step else kpi_value(ws, e.kpi, v))
    out += "\n\nwaterfall:\n" + bars
    if e.notes:
        out += "\n" + "\n".join(e.notes)
    if split is not None:
        out += "\n\n" + render_split(ws, split)
    return out


def _bars(steps: list[dict], shown: Callable[[float, bool], str], width: int = 30) -> str:
    levels = [s["end"] for s in steps] + [s["start"] for s in steps if s["kind"] == "step"]
    low, high = min(0.0, *levels), max(0.0, *levels)
    scale = width / (high - low) if high > low else 0.0
    scale = scale if math.isfinite(scale) else 0.0  # a span of denormals (1e-320): no bars
    lines = []
    for step in steps:
        a, b = sorted((step["start"], step["end"]))
        left, right = round((a - low) * scale), round((b - low) * scale)
        bar = " " * left + ("█" if step["kind"] != "step" else "▒") * max(1, right - left)
        amount = step["end"] if step["kind"] != "step" else step["delta"]
        text = shown(amount, step["kind"] == "step")
        lines.append(f"{step['label'][:18]:<18} {bar:<{width + 1}} {text}")
    return "\n".join(lines)


def render_split(ws: Workspace, split: SegmentSplit) -> str:
    return _split_head(split) + _render_split(ws, split)


def _split_head(split: SegmentSplit) -> str:
    """What the split compares, when a period is partial: its days to date, or a warning."""
    lines = [f"warning: {w}" for w in split.warnings]
    if split.compared == "to_date":
        start, end = (" to ".join(days) for days in (split.start_days, split.end_days))
        lines.append(f"segments compared to date: {end} vs {start}")
    return "".join(line + "\n" for line in lines)


def _render_split(ws: Workspace, split: SegmentSplit) -> str:
    if split.kind == "sum":
        rows = [[segment_text(r.segment), input_value(ws, split.kpi, r.before),
                 input_value(ws, split.kpi, r.after), kpi_change(ws, split.kpi, r.change)]
                for r in split.rows]  # fmt: skip
        text = table(["segment", split.start, split.end, "change"], rows)
        return f"by segment:\n{text}" + "".join(f"\n{n}" for n in split.notes)
    return _render_mix_rate(ws, split)


def _render_mix_rate(ws: Workspace, split: SegmentSplit) -> str:
    """The segments' table, the exact equation change = mix + rate (+ entering/leaving + no
    denominator, when some segment has one) and a line saying what each term is."""
    kpi, den = split.kpi, split.denominator or "the denominator"
    moved = [r for r in split.rows if r.entering_leaving is not None]
    without = [r for r in split.rows if r.without_denominator is not None]
    shown = [
        r for r in split.rows
        if r.before is not None or r.after is not None or r.without_denominator is not None
    ]  # fmt: skip
    headers = ["segment", f"share {split.start}", f"share {split.end}", f"{kpi} {split.start}",
               f"{kpi} {split.end}", "mix", "rate"]  # fmt: skip
    no_den = f"no {den}"
    headers += ["entering/leaving"] * bool(moved) + [no_den] * bool(without)

    def change(value: float | None) -> str:
        return "—" if value is None else kpi_change(ws, kpi, value)

    rows = []
    for r in shown:
        row = [segment_text(r.segment), _pct(r.weight_before), _pct(r.weight_after),
               kpi_value(ws, kpi, r.before), kpi_value(ws, kpi, r.after), change(r.mix),
               change(r.rate)]  # fmt: skip
        row += [change(r.entering_leaving)] * bool(moved) + [change(r.without_denominator)] * bool(
            without
        )
        rows.append(row)
    terms = [("mix", split.mix), ("rate", split.rate)]
    terms += [("entering/leaving", split.entering_leaving)] * bool(moved)
    terms += [(no_den, split.without_denominator)] * bool(without)
    equation = f"change {change(split.change)} = " + " + ".join(
        f"{name} {change(value)}" for name, value in terms
    )
    places = _places(ws, kpi)
    if places is not None and round(split.change, places) != round(
        math.fsum(round(v or 0.0, places) for _, v in terms), places
    ):
        equation += " (each term rounded: they add up exactly before rounding)"
    legend = [
        f"  mix: the segments' shares of {den} shifting (segments with {den} in both periods)",
        f"  rate: {kpi} changing within those segments",
    ]
    if moved:
        entered = ", ".join(segment_text(r.segment) for r in moved if r.status == "entering")
        left = ", ".join(segment_text(r.segment) for r in moved if r.status == "leaving")
        which = "; ".join(
            f"{verb} in {label}: {names}"
            for verb, label, names in (("entered", split.end, entered), ("left", split.end, left))
            if names
        )
        legend.append(f"  entering/leaving: segments with {den} in one period only ({which})")
    if without:
        num = split.numerator or "the numerator"
        where = "; ".join(_without(ws, split, r) for r in without)
        legend.append(
            f"  {no_den}: {num} in segments with no {den}, which counts in the total {kpi} but "
            f"in no segment's ({where})"
        )
    text = table(headers, rows)
    return (
        f"mix versus rate:\n{text}\n{equation}\n"
        + "\n".join(legend)
        + "".join(f"\n{n}" for n in split.notes)
    )


def _places(ws: Workspace, kpi_id: str) -> int | None:
    """The decimals `kpi_change` shows of a KPI's value (None: significant digits)."""
    kpi = ws.kpis[kpi_id]
    if kpi.format == "percent":
        return (1 if kpi.decimals is None else kpi.decimals) + 2
    if kpi.decimals is not None:
        return kpi.decimals
    return 2 if kpi.format in ("currency", "multiple") else None


def _without(ws: Workspace, split: SegmentSplit, row: SegmentRow) -> str:
    """`channel=Referral in 2023-01: €785.50`: a segment's numerator where it has no
    denominator, in the numerator's unit when it is a single input."""
    num = split.numerator or ""
    parts = [
        f"{label}: {input_value(ws, num, value) if num.isidentifier() else number(ws, value)}"
        for label, value, den in (
            (split.start, row.numerator_before, row.denominator_before),
            (split.end, row.numerator_after, row.denominator_after),
        )
        if den == 0 and value
    ]
    return f"{segment_text(row.segment)} in " + ", ".join(parts)


def _pct(value: float | None) -> str:
    return Formatter("en").percent(value)


def render_plan(ws: Workspace, plan: Plan, written: WriteResult | None = None) -> str:
    lines = [plan.message]
    if plan.kind == "ratio":
        lines += plan.notes
        rows = [[n, input_value(ws, n, v), "given"] for n, v in plan.given.items()]
        rows += [[n, input_value(ws, n, v), f"held ({plan.year - 1} average)"]
                 for n, v in plan.held.items()]  # fmt: skip
        rows += [[n, input_value(ws, n, v), "derived"] for n, v in plan.shown_derived().items()]
        if plan.derived:
            lines += ["", plan.reached_text(ws)]
            lines += [table(["input", "per month", ""], rows)]
    else:
        lines += plan.notes
        rows = [[q.label, input_value(ws, plan.kpi, q.value), _pct(q.weight)]
                for q in plan.quarters]  # fmt: skip
        lines += ["", table(["quarter", "target", "share"], rows)]
        rows = [[m.label, input_value(ws, plan.kpi, m.value), _pct(m.weight)]
                for m in plan.months]  # fmt: skip
        lines += ["", table(["month", "target", "share"], rows)]
    if written is not None:
        lines += ["", f"written to {written.path}:", f"  {written.entry}", *written.notes]
    return "\n".join(lines)
