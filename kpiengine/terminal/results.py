"""Render evaluation results as a terminal table, JSON or CSV."""

from __future__ import annotations

import csv
import io

from ..evaluation import Results
from ..formatting import STATUS_MARKS, UNDEFINED, format_change, format_value, table

CSV_FIELDS = [
    "kpi", "period", "segment", "value", "unit", "target", "gap", "gap_pct", "status",
    "previous", "change", "change_pct", "last_year", "change_yoy", "change_yoy_pct", "reason",
]  # fmt: skip


def render_results(results: Results, fmt: str, latest: int | None = None) -> str:
    """`table` (the `latest` periods only, if given), `json` or `csv`."""
    if fmt == "json":
        return results.to_json()
    if fmt == "csv":
        return _csv(results)
    return _table(results, latest)


def _csv(results: Results) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in results.records():
        row = dict(record)
        row["segment"] = ";".join(f"{k}={v}" for k, v in record["segment"].items())
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue().rstrip("\n")


def _table(results: Results, latest: int | None) -> str:
    if latest is not None and len(results.selected) > latest:
        results.selected = results.selected[-latest:]
    records = results.records()
    if not records:
        return "no KPI could be evaluated on this data"
    notes: list[str] = []
    blocks = []
    by_segment: dict[str, list[dict]] = {}
    for record in records:
        key = ", ".join(f"{k}={v}" for k, v in record["segment"].items()) or "total"
        by_segment.setdefault(key, []).append(record)
    for segment, rows in by_segment.items():
        periods = list(dict.fromkeys(r["period"] for r in rows))
        last = periods[-1]
        lines: dict[str, list[str]] = {}
        for r in rows:
            cell = format_value(r["value"], r["format"], None)
            if r["value"] is None and r["reason"]:
                notes.append(r["reason"])
                cell = f"{UNDEFINED}[{len(notes)}]"
            line = lines.setdefault(r["kpi"], [r["kpi"]])
            line.append(cell)
            if r["period"] == last:
                line += [
                    format_value(r["target"], r["format"], None) if r["target"] is not None else "",
                    STATUS_MARKS[r["status"]],
                    format_change(r["change_pct"]),
                    format_change(r["change_yoy_pct"]),
                ]
        headers = ["kpi", *periods, "target", "status", "vs prev", "vs last year"]
        blocks.append(f"== {segment} ==\n" + table(headers, list(lines.values())))
    if notes:
        blocks.append(
            "undefined values:\n" + "\n".join(f"[{i}] {n}" for i, n in enumerate(notes, 1))
        )
    return "\n\n".join(blocks)
