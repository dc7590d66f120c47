"""The `csv` connector's unlabelled summary row, as Meta Ads Manager writes (not a plugin module).

A Meta Ads Manager export (`Campaign name,...,Reporting starts,Reporting ends,Impressions,...`,
in any language) has, right under its header, a row summing the report: every label cell empty
(campaign, delivery, attribution ...), its range the report's (`2024-01-01,2024-01-31`), its
numbers the rows' sums. No totals word tells it (the `ads` connector knows it by its platform:
`_ads_scan`, `_ads_files`), and counted as data it doubles every total. An empty label, sums
that agree or a shared day tell no summary from data (direct traffic's blank source, orders
without a discount code), so a `csv` source leaves such a row out only on Meta's evidence, and
checks it against the rows as a labelled totals row (`_csv_totals`):
- its file's header has Meta's reporting start and end columns (`Reporting starts`,
  `Reporting ends`, as `_ads_profiles` names them in each language), and no totals rows;
- it is the first data row; its label cells are empty where every other row has them
  (`_ads_files.breakdowns`: text, not only numbers or days);
- its start and end span every other row's (the first at or before theirs, the last at or after);
- its numbers in the mapped columns of summed metrics are at least the other sampled rows' sums,
  and, in a file its sample holds whole, their sums within the cells' rounding (`rounding`).
  Only additive metrics decide: a de-duplicated count (`Reach`, `Unique link clicks`), a
  `Frequency`, a rate or `Results` (kinds that differ) is no sum of the rows (`metric_role`).
A row of that shape whose numbers are more than the rows' sums stops with an error naming its
line (a summary of rows left out): never a silent guess. Any other file's rows are all data.
In a file larger than its sample, the scan's sums decide (`Totals.check`), and its days (`span`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, read_number
from kpiengine.fileformats.numbers import normalize
from kpiengine.fileformats.sniff import TotalRow
from kpiengine.fileformats.tables import FileTable
from kpiengine.filesource import find
from kpiengine.sqlgen import quote_ident, quote_text

from ._ads_files import breakdowns
from ._ads_headers import metric_role
from ._ads_profiles import META_ENDS, META_STARTS
from ._csv_rounding import places, rounding, squares

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
#: Meta's de-duplicated counts (`Unique link clicks`, `Einmalige Link-Klicks`, `Clics uniques`,
#: `Clics únicos`, `Clic unici`): people, not events, never the rows' sum.
_UNIQUE = ("unique", "einmalig", "únic", "unici", "unico", "uniek")
WHY = (
    "a Meta Ads Manager export's first row without labels is its summary row, left out of the "
    "sums when its numbers are the other rows': export the report again with all its rows, or "
    "fill in the row's labels if it is data"
)


@dataclass
class Summary:
    """A file's unlabelled summary row: as a totals row (label ""), its label columns and days."""

    row: TotalRow
    columns: list[str]  # its file's
    labels: list[str]
    first: dt.date
    last: dt.date
    summed: list[str] = field(default_factory=list)  # its additive columns (compared as totals)


def additive(column: str) -> bool:
    """Whether a Meta column's summary cell is its rows' sum: a count or an amount, not a
    de-duplicated count (reach), a frequency or a rate (`_ads_headers.metric_role`)."""
    name = column.strip().lower()
    return metric_role(column) is not None and not any(w in name for w in _UNIQUE)


def summary_row(
    table: FileTable, values: list[str], decimal: str, formats: Callable[[], dict[str, Any]]
) -> Summary | None:
    """The file's unlabelled summary row (see the module), else None; KpiError at a row of its
    shape whose numbers its file's rows do not add up to. `values`: the mapped value columns of
    summed variables; `formats()`: the source's date columns' `DateFormat`s (other columns'
    days are ISO days)."""
    sniffed = table.sniffed
    if table.kind != "csv" or sniffed is None or sniffed.totals or len(sniffed.sample) < 2:
        return None
    starts, ends = find(table, META_STARTS), find(table, META_ENDS)
    if starts is None or ends is None:
        return None  # no platform's evidence: an empty label is no summary's
    columns = table.columns
    record, *rest = sniffed.sample
    cells = _fields(record.fields, len(columns))
    others = [_fields(r.fields, len(columns)) for r in rest]
    labels = [c for c in breakdowns(table, set(values))
              if all(o[columns.index(c)].strip() for o in others)]  # fmt: skip
    if not labels or any(cells[columns.index(c)].strip() for c in labels):
        return None  # a label of its own, or none the others all have: a row of data
    span = _span(table, cells, others, (starts, ends), formats())
    if span is None:
        return None  # days beyond its own: a row of data without its labels
    summed = [c for c in values if c in columns and additive(c)]
    numbers = [columns.index(c) for c in summed]
    if not _sums(table, record.line, cells, others, numbers, decimal, sniffed.whole):
        return None  # less than the other rows: a row of data without its labels
    return Summary(TotalRow(record.line, "", list(record.fields)), columns, labels, *span, summed)


def _fields(fields: list[str], width: int) -> list[str]:
    return [*fields[:width], *[""] * (width - len(fields))]


def _span(
    table: FileTable,
    cells: list[str],
    others: list[list[str]],
    range_: tuple[str, str],
    formats: dict[str, Any],
) -> tuple[dt.date, dt.date] | None:
    """The range a candidate row states (its start and end cells), when it spans every other
    row's; else None (a cell not a day too)."""
    found: list[list[dt.date]] = []
    for column in range_:
        index = table.columns.index(column)
        column_cells = [cells[index], *(o[index] for o in others)]
        fmt = formats.get(column)
        if fmt is not None:
            read = [fmt.reading(normalize(c))[0] if c.strip() else None for c in column_cells]
        else:
            read = iso_days(column_cells) or [None]
        days = [d for d in read if d is not None]
        if len(days) < len(column_cells):
            return None
        found.append(days)
    (mine, *starts), (last, *ends) = found
    if mine > min(starts) or last < max(ends):
        return None
    return mine, last


def _sums(
    table: FileTable,
    line: int,
    cells: list[str],
    others: list[list[str]],
    numbers: list[int],
    decimal: str,
    whole: bool,
) -> bool:
    """True when the candidate's numbers are the others' sums (for a file sampled whole; else at
    least theirs), or no number is compared; False when some is less than theirs (a row of
    data); KpiError when more, in a file sampled whole."""
    for index in numbers:
        try:
            stated = read_number(cells[index], decimal).value
            values = [read_number(o[index], decimal).value for o in others]
        except CellError:
            return False  # a bad cell: the scan names it
        if stated != stated:  # NaN: nothing said in this column
            continue
        got = sum(v for v in values if v == v)
        written = max((places(c[index], decimal) for c in [cells, *others]), default=0)
        unit = 10.0**-written
        spread = squares(o[index] for o in others)
        allowed = 0.5 * unit + rounding(len(others), unit, spread)
        allowed += 1e-9 * max(abs(got), abs(stated))
        if stated < got - allowed:
            return False
        if whole and stated > got + allowed:
            column = table.columns[index]
            count = len(others)
            raise KpiError(
                f"the {count:,} {'row' if count == 1 else 'rows'} add{'s' * (count == 1)} up to "
                f"{got:,.{written}f} in column `{column}` but the row on line {line}, without "
                f"labels, says {stated:,.{written}f}, {stated - got:,.{written}f} more: it is no "
                "summary of them",
                table.location(line, column),
                WHY,
            )
    return True


def summaries(conn: Any, request: Any, decimals: dict[str, str]) -> list[Summary | None]:
    """Each file's unlabelled summary row (`summary_row`), judged on the value columns of the
    request's summed variables (a mean's or a rate's column is no sum); none in a long file."""
    if conn._long():
        return [None] * len(conn.tables)
    values = []
    for variable, rule in request.variables.items():
        mapping = conn.mappings.get(variable)
        if mapping is not None and mapping.column and rule.time == "sum" and not mapping.where:
            values.append(conn._value_column(mapping))
    mappings = {v: conn.mappings[v] for v in request.variables if v in conn.mappings}
    known: dict[str, Any] = {}

    def formats() -> dict[str, Any]:  # read once, for a candidate row only
        if not known:
            known.update(conn._formats(mappings))
        return known

    return [summary_row(t, values, decimals[t.name], formats) for t in conn.tables]


def leave_out(summaries: list[Summary], tables: list[FileTable], keep: str) -> str:
    """`keep` (SQL true on the data rows), and not on the summary rows: each cell as its row
    writes it (labels first: a row with one is no summary), in the columns every file has. A typed
    column's cell compares as DuckDB writes its value (`30.50`: `30.5`; a day: at midnight)."""
    shared = [c for c in tables[0].columns if all(c in t.columns for t in tables[1:])]
    tests = []
    for summary in summaries:
        cells = _fields(summary.row.cells, len(summary.columns))
        at = {c: i for i, c in enumerate(summary.columns)}
        order = [c for c in summary.labels if c in shared]
        order += [c for c in shared if c not in order]
        parts = []
        for column in order:
            text = cells[at[column]].strip()
            forms = {text}
            if _PLAIN.fullmatch(text):
                forms.add(repr(float(text)))
            if _ISO.fullmatch(text):
                forms.add(f"{text} 00:00:00")
            cell = f"coalesce(trim(CAST({quote_ident(column)} AS VARCHAR)), '')"
            parts.append(f"{cell} IN ({', '.join(map(quote_text, sorted(forms)))})")
        tests.append(f"({' AND '.join(parts)})")
    left = f"NOT ({' OR '.join(tests)})"
    return left if keep == "TRUE" else f"({keep}) AND {left}"


def settle(frame: Any, tables: list[FileTable], summaries: list[Summary | None]) -> None:
    """KpiError when a file's rows run beyond the days its summary row states (one file: the
    frame's span is its rows'); else the frame's span widened to the days the summary rows
    state (Meta leaves out days without delivery: rows to the 30th of a month's report)."""
    noted = [s for s in summaries if s is not None]
    span = frame.span
    if not noted or span is None:
        return
    first, last = min(s.first for s in noted), max(s.last for s in noted)
    if len(tables) == 1 and (span[0] < first or span[1] > last):
        raise KpiError(
            f"the row on line {noted[0].row.line}, without labels, says the report runs from "
            f"{first} to {last}, but its rows run from {span[0]} to {span[1]}: it is no summary "
            "of them",
            tables[0].location(noted[0].row.line),
            WHY,
        )
    if len(noted) == len(summaries):
        frame.span = (min(span[0], first), max(span[1], last))


def iso_days(cells: list[str]) -> list[dt.date | None] | None:
    """The days of a column's cells when every filled one is an ISO day, else None."""
    out: list[dt.date | None] = []
    for cell in cells:
        text = cell.strip()
        if not text:
            out.append(None)
            continue
        if not _ISO.match(text):
            return None
        try:
            out.append(dt.date.fromisoformat(text[:10]))
        except ValueError:
            return None
    return out
