"""The `ads` connector's rules across a source's files and their stated ranges (not a plugin
module): the range Meta's summary row states, the one range of a Meta export without a time
breakdown (a report without days), and files that would count the same days twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.sqlgen import quote_ident

from ._ads_profiles import META_ENDS, META_STARTS

Span = tuple[dt.date, dt.date]


def summary_range(table: FileTable, names: list[str], start: str, end: str) -> Span | None:
    """The range Meta's summary row states (among the first rows, every name column empty):
    its `Reporting starts` and `Reporting ends`, which Meta writes as ISO days; None without
    one. Meta leaves out days without delivery: the rows may stop before the range does."""
    columns = table.columns
    if not names or start not in columns or end not in columns or table.sniffed is None:
        return None
    blank = [columns.index(c) for c in names]
    first, last = columns.index(start), columns.index(end)
    for record in table.sniffed.sample[:5]:
        cells = record.fields
        if max(first, last, *blank) >= len(cells) or any(cells[i].strip() for i in blank):
            continue
        try:
            span = (
                dt.date.fromisoformat(cells[first].strip()),
                dt.date.fromisoformat(cells[last].strip()),
            )
        except ValueError:
            return None
        return span if span[0] <= span[1] else None
    return None


_NUMBER = re.compile(r"[-+]?[\d.,\s\u00a0']*\d[\d.,\s\u00a0']*%?|\d{4}-\d{2}-\d{2}")


#: Meta's reporting range's columns (lowercase): never a breakdown.
_RANGE_COLUMNS = frozenset(n.lower() for n in (*META_STARTS, *META_ENDS))


def breakdowns(table: FileTable, taken: set[str]) -> list[str]:
    """A Meta export's breakdown columns when it has no campaign, ad set or ad name (`Age`,
    `Gender`, `Account name`, `Placement`, in any language): the columns no role takes whose
    sampled cells hold text (not only numbers or days) and differ, as they do between the
    summary row, where every one is empty, and the rows it sums. From the sample only."""
    out = []
    for column in table.columns:
        if column in taken or column.strip().lower() in _RANGE_COLUMNS:
            continue
        cells = [c.strip() for c in table.cells(column)]
        texts = [c for c in cells if c and c not in ("--", "-") and not _NUMBER.fullmatch(c)]
        if texts and len(set(cells)) > 1:
            out.append(column)
    return out


def one_range(
    table: FileTable,
    names: list[str],
    columns: tuple[str, str],
    read: Callable[[str], dt.date | None],
    stated: Span | None,
) -> Span | None:
    """The range of a Meta export without a time breakdown: every row of its sample runs from
    `Reporting starts` to `Reporting ends` (`columns`, read by `read`) of the report (`stated`,
    its summary row's, else the first row's). None when one runs otherwise (rows of days,
    weeks, months: dated by their days), or no row tells. A sample short of the whole file
    (`Sniffed.whole`) only proposes the range: the scan checks the other rows."""
    header = table.columns
    if table.sniffed is None or not all(c in header for c in columns):
        return None
    first, last = (header.index(c) for c in columns)
    blank = [header.index(c) for c in names]
    span, rows = stated, 0
    for record in table.sniffed.sample:
        cells = record.fields
        if max(first, last, *blank) >= len(cells):
            return None
        if blank and not any(cells[i].strip() for i in blank):
            continue  # the summary row
        got = read(cells[first]), read(cells[last])
        if got[0] is None or got[1] is None or got != (span or got):
            return None
        span, rows = (got[0], got[1]), rows + 1
    return span if rows else None


def check_overlaps(
    tables: list[FileTable], spans: Sequence[tuple[Any, Any] | None], campaign: str | None
) -> None:
    """Files of a source (one layout) over dates that overlap, with a campaign in common (or
    without a campaign column), are the same report downloaded twice (`ts.csv` and `ts (1).csv`):
    adding them up would count those days twice, so it is an error naming both. Files over
    other dates (monthly downloads), or of other campaigns (one file per account), add up.
    `spans`: each file's stated range, else the days of its rows (None: no days)."""
    seen: list[tuple[FileTable, Span]] = []
    for table, span in zip(tables, spans, strict=True):
        if span is None or None in span:
            continue
        for other, before in seen:
            if span[0] > before[1] or before[0] > span[1]:
                continue
            shared = _shared_campaign(other, table, campaign) if campaign else ""
            if shared is None:
                continue  # no campaign in common: other accounts' or campaigns' rows
            first, last = max(span[0], before[0]), min(span[1], before[1])
            both = f", both with campaign `{shared}`" if shared else ""
            raise KpiError(
                f"`{other.name}` and `{table.name}` are the same report over dates that overlap "
                f"({first} to {last}{both}): the source would count those days twice",
                table.header(),
                "delete one of them (a download saved twice?), or download the reports over "
                "dates that do not overlap",
            )
        seen.append((table, span))


def _shared_campaign(one: FileTable, two: FileTable, column: str) -> str | None:
    """A campaign name both files have rows of (totals and summary rows aside), else None."""

    def names(table: FileTable) -> str:
        cell = f"trim(CAST({quote_ident(column)} AS VARCHAR))"
        return (
            f"SELECT {cell} AS name FROM {table.relation()} WHERE {table.keep_sql()} "
            f"AND coalesce({cell}, '') <> ''"
        )

    rows = run_sql(f"{names(one)} INTERSECT {names(two)} ORDER BY name LIMIT 1", two)
    return str(rows[0][0]) if rows else None
