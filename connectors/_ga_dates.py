"""The dates a Google Analytics export states, for `ga_export` (not a plugin module).

GA4 writes its range as two lines, `# Start date: 20240101` and `# End date: 20240131`; a file
saved by hand or by another tool may write them otherwise (`10/01/2024`, `10.01.2024`,
`January 10, 2024`). They are read together, as the one-line form `# 10/01/2024 - 20/02/2024`
is (`kpiengine.fileformats.preamble.range_between`): `20/02/2024` says the start is day first.
A pair that gives no range (the start after the end, both orders still possible, a date that
reads as none) is an error at its line: the rows could not be dated, nor checked against it.
A row dated outside the stated range (a stray `20240315` row in a January report), or an `Nth
day` cell that is no whole day index, is an error at its cell, as in an ads report: the row
would fill a period the export does not cover, which its range says is complete.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.preamble import date_readings, range_between
from kpiengine.filescan import Reader, Scan

from ._ga_segments import keep_sql

_FIX = "export the report again, or write the dates as GA does (`# Start date: 20240101`)"


def no_range(name: str, start: str, end: str, lines: dict[str, int]) -> KpiError:
    """Why the start and end dates (`lines`: their line, by `start` and `end`) give no range."""
    pair = f"`Start date: {start}` and `End date: {end}`"
    for key, text in (("start", start), ("end", end)):
        if not date_readings(text):
            return KpiError(
                f"the export's {key} date `{text}` is not a date", _at(name, lines, key), _FIX
            )
    if range_between(end, start) is not None or _after(start, end):
        return KpiError(f"{pair}: the report starts after it ends", _at(name, lines, "start"), _FIX)
    return KpiError(
        f"{pair} read as day/month and as month/day alike: which dates they are is not settled",
        _at(name, lines, "start"),
        "write the dates as GA does (`# Start date: 20240110`), or in one order that a day "
        "above 12 settles",
    )


def _after(start: str, end: str) -> bool:
    """Whether every reading of the start falls after every reading of the end."""
    return min(d[0] for d in date_readings(start)) > max(d[1] for d in date_readings(end))


def _at(name: str, lines: dict[str, int], key: str) -> Location:
    line = lines.get(key, 0)
    return Location(name, line, 1 if line else 0)


def check_days(table: Any, scan: Scan, day: str) -> None:
    """Ask the scan for the rows dated outside the export's stated range (`day`: the rows'
    date), and for `Nth day` cells that are no day index (negative, fractional)."""
    how, header = table.dating
    span = table.export.date_range
    if how not in ("day", "nth") or header is None:
        return
    if how == "nth":
        nth = scan.read(header, Reader("number", "."))
        scan.check("nth index", "count", f"{nth} < 0 OR {nth} <> floor({nth})")
    if span is not None:
        low, high = (f"DATE '{d.isoformat()}'" for d in span)
        scan.check("outside", "count", f"{day} < {low} OR {day} > {high}")


def raise_days(table: Any, checks: dict[str, Any]) -> None:
    """Raise at the first row `check_days` counted: a bad index, else a day outside the range."""
    how, header = table.dating
    if header is None or not (checks.get("nth index") or checks.get("outside")):
        return
    keep = keep_sql(table)
    nth = f"({Reader('number', '.').sql(header, 'VARCHAR')})"
    if how == "nth" and checks.get("nth index"):
        bad = f"{keep} AND ({nth} < 0 OR {nth} <> floor({nth}))"
        found = table.file.first_cell(header, bad, lambda _: True)
        where, text = found or (table.file.header(header), "")
        raise KpiError(
            f"`{text}` in column `{header}` is no day index: `Nth day` counts whole days from "
            "the start date (0000 is the first day)",
            where,
            "export the report again, or correct the cell",
        )
    span: tuple[dt.date, dt.date] = table.export.date_range
    if how == "nth":
        day = f"(DATE '{span[0].isoformat()}' + CAST({nth} AS INTEGER))"
    else:
        day = f"({table.format_of(header).sql(header, 'VARCHAR')})"
    low, high = (f"DATE '{d.isoformat()}'" for d in span)
    bad = f"{keep} AND ({day} < {low} OR {day} > {high})"
    found = table.file.first_cell(header, bad, lambda _: True)
    where, text = found or (table.file.header(header), "")
    shown = f"`{text}`"
    if how == "nth" and text.strip().isdigit():  # the day it counts to
        shown += f" ({span[0] + dt.timedelta(days=int(text))})"
    raise KpiError(
        f"this row is dated {shown}, outside the export's date range {span[0]} to {span[1]} "
        "(its `# Start date` and `# End date` lines)",
        where,
        "export the report again (one date range), or remove the row",
    )
