"""Render evaluation results as a terminal table (rich), JSON or CSV.

JSON and CSV are for scripts: the records as they are, text without bidi override characters.
The table is for people: one per segment, KPI titles with their id dimmed, values as the
report writes them, as many of the latest periods as the width allows.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..evaluation import Results, is_rate
from ..formatting import UNDEFINED
from ..periods import RANGE, first_event_slack
from ..recordfields import records_json
from ..today import today
from ..transforms import year_ago_index
from .console import Values, clean, decimals, render, width

CSV_FIELDS = [
    "kpi", "period", "segment", "value", "unit", "target", "gap", "gap_pct", "status",
    "previous", "change", "change_pct", "last_year", "change_yoy", "change_yoy_pct", "reason",
    "complete", "coverage", "compared", "projected", "projected_low", "projected_high",
    "p_target", "status_basis", "target_to_date", "status_reason",
]  # fmt: skip
STATUS_TEXT = {
    "on_track": ("✓ on track", "green"),
    "at_risk": ("! at risk", "yellow"),
    "off_track": ("✗ off track", "red"),
    "no_target": ("", ""),
    "not_judged": ("– not judged: direction none", "dim"),  # the target is a reference
    "undefined": ("? undefined", "dim"),
}
TEXT_FIELDS = ("title", "reason", "unit")
TAIL = ("target", "status", "vs prev", "vs last year")  # the columns after the periods
TITLE_MIN = 26  # the KPI column: titles wrap inside it, narrower only when nothing else fits
TITLE_NARROWEST = 12
GAP = 3  # between columns: padding, the (blank) rule, padding
EDGES = 2  # the table's blank left and right borders


def render_results(
    results: Results, fmt: str, latest: int | None = None, columns: int | None = None
) -> str:
    """`table` (at most the `latest` periods, as many as fit in `columns`), `json` or `csv`."""
    if fmt == "json":
        return records_json(_clean(results.records()))
    if fmt == "csv":
        return _csv(results)
    return _table(results, latest, columns or width())


def _clean(records: Iterable[dict]) -> Iterable[dict]:
    # titles, units, labels: few, repeated; a newline in a reason stays (JSON and CSV quote it)
    cleaned = functools.lru_cache(maxsize=4096)(functools.partial(clean, layout=True))
    for record in records:
        row = dict(record)
        for key in TEXT_FIELDS:
            if isinstance(row.get(key), str):
                row[key] = cleaned(row[key])
        row["segment"] = {cleaned(k): cleaned(v) for k, v in record["segment"].items()}
        yield row


def _csv(results: Results) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in _clean(results.records()):
        row = dict(record)
        row["segment"] = ";".join(f"{k}={v}" for k, v in record["segment"].items())
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue().rstrip("\n")


def render_list(rows: list[dict[str, str]], columns: int | None = None) -> str:
    """`kpi list`: one row per KPI; wide (CJK) characters take two columns."""
    from rich import box  # noqa: PLC0415 - rich loads only for tables
    from rich.table import Table  # noqa: PLC0415

    headers = ["kpi", "title", "unit", "layer", "state"]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in headers:
        wrap = name in ("title", "state")  # ids, units and layers stay whole
        table.add_column(name, overflow="fold", no_wrap=not wrap, ratio=1 if wrap else None)
    for row in rows:
        table.add_row(*(clean(row[h]) for h in headers))
    return render(table, columns=columns)


def _cells(results: Results, values: Values, notes: list[str]) -> dict[str, dict[str, list]]:
    """Per segment, per KPI: [title, value per period..., target, status, changes]."""
    from rich.text import Text  # noqa: PLC0415 - rich loads only for tables

    records = list(_clean(results.records()))
    places = {
        kpi_id: decimals(
            [r[k] for r in records if r["kpi"] == kpi_id for k in ("value", "target")],
            result.kpi.format,
            result.kpi.decimals,
        )
        for kpi_id, result in results.kpis.items()
    }
    rates = {k: is_rate(r.kpi) for k, r in results.kpis.items()}
    last = results.labels[results.selected[-1]] if results.selected else None
    out: dict[str, dict[str, list]] = {}
    for r in records:
        segment = ", ".join(f"{k}={v}" for k, v in r["segment"].items()) or "Total"
        kpi, fmt, d = r["kpi"], r["format"], places[r["kpi"]]
        cell = values.value(r["value"], fmt, d, r["unit"] or "")
        if r["value"] is None and r["reason"]:
            notes.append(r["reason"])
            cell = f"{UNDEFINED}[{len(notes)}]"
        title = Text.assemble(r["title"] + " ", (kpi, "dim"))
        line = out.setdefault(segment, {}).setdefault(kpi, [title])
        line.append(cell)
        if r["period"] == last:
            text, style = STATUS_TEXT[r["status"]]
            basis = "" if r["status"] == "not_judged" else r["status_basis"]  # a reference only
            if basis == "projection" and r["projected"] is not None:
                # a partial period is judged on where it will end, so show that value
                text += f" · projected {values.value(r['projected'], fmt, d)}"
            elif basis == "pro_rata" and r["target_to_date"] is not None:
                text += f" · pro rata, target to date {values.value(r['target_to_date'], fmt, d)}"
            elif basis == "none" and r["status_reason"]:
                notes.append(r["status_reason"])
                text = f"? not judged [{len(notes)}]"
            line += [
                "" if r["target"] is None else values.value(r["target"], fmt, d),
                Text(text, style=style),
                values.change(r["change"], r["change_pct"], fmt, d, rates[kpi]),
                values.change(r["change_yoy"], r["change_yoy_pct"], fmt, d, rates[kpi]),
            ]
    return out


@dataclass
class _Layout:
    """The columns a table shows: the latest `periods`, the `tail` columns, the title width
    (`narrow`: no wider either), the width statuses wrap to (0: none), the tail columns
    `left_out` for the width."""

    periods: int
    tail: list[int]  # indices into TAIL
    title: int
    narrow: bool
    wrap: int
    left_out: list[str]


def _layout(lines: list[list], labels: list[str], columns: int) -> _Layout:
    """As many of the latest periods as fit beside the titles, targets, statuses and changes (a
    column is as wide as its widest cell or header: values are never cut). When even the latest
    period does not fit, tail columns without a value are left out, then titles fold narrower
    (to their longest word or id), then statuses wrap, then titles fold further (splitting ids),
    then the tail columns with values are left out, the last first (`left_out`, which the table
    names)."""
    from rich.cells import cell_len  # noqa: PLC0415 - East Asian wide characters count twice

    def longest_word(k: int) -> int:
        return max((cell_len(w) for line in lines for w in str(line[k]).split()), default=0)

    headers = ["KPI", *labels, *TAIL]
    width = [max(cell_len(str(t)) for t in [h, *(line[k] for line in lines)]) + GAP
             for k, h in enumerate(headers)]  # fmt: skip
    n = len(labels)
    status = n + 1 + TAIL.index("status")
    tail = list(range(len(TAIL)))
    beside = columns - EDGES - GAP - width[n]  # for the title, beside the latest period
    room = beside - TITLE_MIN
    for t in (3, 0, 2):  # vs last year, target, vs prev: only those without any value
        if room - sum(width[n + 1 + i] for i in tail) >= 0:
            break
        if all(str(line[n + 1 + t]) in ("", "—") for line in lines):
            tail.remove(t)
    room -= sum(width[n + 1 + i] for i in tail)
    title = max(min(longest_word(0), beside), TITLE_NARROWEST, TITLE_MIN + min(room, 0))
    room += TITLE_MIN - title
    wrapped = 0  # the width statuses wrap to (0: they do not)
    if room < 0 and 1 in tail:
        wrapped = max(longest_word(status), len("status"))
        room += width[status] - wrapped - GAP
    if room < 0:  # a long id folds rather than a column with values is left out
        narrower = max(TITLE_NARROWEST, title + room)
        room += title - narrower
        title = narrower
    left_out = []
    for t in (3, 2, 1, 0):  # vs last year, vs prev, status, target: the least needed first
        if room >= 0 or t not in tail:
            continue
        tail.remove(t)
        left_out.append(TAIL[t])
        room += width[n + 1 + t]
    layout = _Layout(1, tail, title, title < TITLE_MIN, wrapped, left_out)
    for k in range(n - 1, 0, -1):  # the latest period is in: then the others, latest first
        room -= width[k]
        if room < 0:
            break
        layout.periods += 1
    return layout


def _period_label(results: Results, index: int) -> str:
    """`2024-12 (18/31 d)` for a partial period: its value is to date, its status projected."""
    table = results.table
    label = table.labels[index]
    if table.grain == RANGE:
        from ..localformat import Formatter  # noqa: PLC0415 - Babel loads only for tables

        return Formatter("en").period(label)
    coverage = min((r.coverage[index] for r in results.kpis.values()), default=1.0)
    if coverage >= 1 - 1e-9:
        return label
    days = (table.period_end(index) - table.period_start(index)).days + 1
    return f"{label} ({round(coverage * days)}/{days} d)"


def partial_note(results: Results) -> str | None:
    """A line saying the data stops inside a period that the selection leaves out."""
    table = results.table
    last = table.n_periods - 1
    if last < 0 or last in results.selected or last == table.last_complete():
        return None
    label = _period_label(results, last)
    stops = ""
    if table.coverage is not None and table.period_end(last) < today():  # not still running
        stops = f" (the data stops on {table.coverage[1]}, before the period ended)"
    return f"{label} is partial{stops} and left out: `--period current` shows it to date, projected"


def base_note(results: Results) -> str | None:
    """A line saying the changes shown compare with the first period, which the data holds
    only from a late first day (not just its first event: `first_event_slack`, as KPI307)."""
    table = results.table
    shown = results.selected[-1] if results.selected else -1
    if table.grain in ("day", RANGE) or shown < 1 or not table.spans:
        return None
    first_day = min(a for a, _ in table.spans.values())
    if first_day - table.period_start(0) <= first_event_slack(table.grain):
        return None
    ago = int(year_ago_index(table)[shown])
    bases = [what for i, what in ((shown - 1, "vs prev"), (ago, "vs last year")) if i == 0]
    if not bases:
        return None
    return (
        f"{' and '.join(bases)} compare{'s' * (len(bases) == 1)} with "
        f"{_period_label(results, 0)}: the data starts on {first_day}, so it is not whole"
    )


def _table(results: Results, latest: int | None, columns: int) -> str:
    from rich import box  # noqa: PLC0415 - rich loads only for tables
    from rich.table import Table  # noqa: PLC0415

    if latest is not None and len(results.selected) > latest:
        results.selected = results.selected[-latest:]
    if not results.kpis or not results.selected:
        return "no KPI could be evaluated on this data"
    values = Values(results.workspace.settings.currency)
    notes: list[str] = []
    cells = _cells(results, values, notes)
    labels = [_period_label(results, i) for i in results.selected]
    every = [line for lines in cells.values() for line in lines.values()]
    layout = _layout(every, labels, columns)
    keep, n = layout.periods, len(labels)
    tables: list[Any] = []
    for segment, lines in cells.items():
        table = Table(title=segment, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        narrow = layout.title if layout.narrow else None
        table.add_column("KPI", overflow="fold", min_width=layout.title, max_width=narrow, ratio=1)
        for period in labels[-keep:]:
            table.add_column(period, justify="right", no_wrap=True)
        for t in layout.tail:
            if TAIL[t] == "status" and layout.wrap:  # exactly as wide as the layout says
                table.add_column(TAIL[t], min_width=layout.wrap, max_width=layout.wrap)
            else:
                side: Literal["left", "right"] = "left" if TAIL[t] == "status" else "right"
                table.add_column(TAIL[t], justify=side, no_wrap=True)
        for line in lines.values():
            tail = [line[n + 1 + t] for t in layout.tail]
            table.add_row(line[0], *line[1 + n - keep : 1 + n], *tail)
        tables.append(table)
    hidden = labels[: n - keep]
    if hidden:  # periods asked for (or the default history) that do not fit
        which = hidden[0] if len(hidden) == 1 else f"{hidden[0]} to {hidden[-1]} ({len(hidden)})"
        left = [which, *layout.left_out]
    else:
        left = layout.left_out
    if left:
        tables.append(
            f"{', '.join(left)}: left out for the width ({columns} columns); a wider "
            "terminal or `--format json` shows them"
        )
    if notes:
        listed = "\n".join(f"[{i}] {n}" for i, n in enumerate(notes, 1))
        tables.append("\nundefined values:\n" + listed)
    return render(*tables, columns=columns)
