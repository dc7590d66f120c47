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
from typing import Any

from ..evaluation import Results, is_rate, records_json
from ..formatting import UNDEFINED
from ..periods import FIRST_EVENT_DAYS, RANGE
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
    "undefined": ("? undefined", "dim"),
}
TEXT_FIELDS = ("title", "reason", "unit")
TITLE_MIN = 26  # the KPI column: titles wrap inside it, never narrower than this
GAP = 2  # between columns


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
    cleaned = functools.lru_cache(maxsize=4096)(clean)  # titles, units, labels: few, repeated
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
            if r["status_basis"] == "projection" and r["projected"] is not None:
                # a partial period is judged on where it will end, so show that value
                text += f" · projected {values.value(r['projected'], fmt, d)}"
            elif r["status_basis"] == "pro_rata" and r["target_to_date"] is not None:
                text += f" · pro rata, target to date {values.value(r['target_to_date'], fmt, d)}"
            elif r["status_basis"] == "none" and r["status_reason"]:
                notes.append(r["status_reason"])
                text = f"? not judged [{len(notes)}]"
            line += [
                "" if r["target"] is None else values.value(r["target"], fmt, d),
                Text(text, style=style),
                values.change(r["change"], r["change_pct"], fmt, d, rates[kpi]),
                values.change(r["change_yoy"], r["change_yoy_pct"], fmt, d, rates[kpi]),
            ]
    return out


def _fitting(lines: list[list], periods: int, columns: int) -> int:
    """How many of the latest periods fit beside the titles, targets, statuses and changes."""
    from rich.cells import cell_len  # noqa: PLC0415 - East Asian wide characters count twice

    def widest(k: int) -> int:
        return max(cell_len(str(line[k])) for line in lines) + GAP

    tail = sum(widest(k) for k in range(periods + 1, periods + 5))
    room, fit = columns - TITLE_MIN - tail, 0
    for k in range(periods, 0, -1):  # the latest period first
        room -= widest(k)
        if room < 0:
            break
        fit += 1
    return max(1, fit)


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
    return f"{label} is partial and left out: `--period current` shows it to date, projected"


def base_note(results: Results) -> str | None:
    """A line saying the changes shown compare with the first period, which the data holds
    only from a late first day (more than a week in: not just its first event, as KPI307)."""
    table = results.table
    shown = results.selected[-1] if results.selected else -1
    if table.grain in ("day", RANGE) or shown < 1 or not table.spans:
        return None
    first_day = min(a for a, _ in table.spans.values())
    if (first_day - table.period_start(0)).days <= FIRST_EVENT_DAYS:
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
    keep = _fitting(every, len(labels), columns)
    tables: list[Any] = []
    for segment, lines in cells.items():
        table = Table(title=segment, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("KPI", overflow="fold", min_width=TITLE_MIN, ratio=1)
        for period in labels[-keep:]:
            table.add_column(period, justify="right", no_wrap=True)
        for name in ("target", "status", "vs prev", "vs last year"):
            table.add_column(name, justify="left" if name == "status" else "right", no_wrap=True)
        for line in lines.values():
            table.add_row(line[0], *line[1 + len(labels) - keep :])
        tables.append(table)
    if notes:
        listed = "\n".join(f"[{i}] {n}" for i, n in enumerate(notes, 1))
        tables.append("\nundefined values:\n" + listed)
    return render(*tables, columns=columns)
