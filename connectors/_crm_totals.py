"""A Salesforce report's grand totals row against the records read (not a plugin module).

A report exported with its summary rows ends with `Grand Totals (5 records)`, often with the
sum of its amounts: what the rows add up to when every record was exported. The `crm` connector
leaves that row out of every variable (`_crm_grouped`); here its record count, and its amount
when the request reads the amounts, are compared with the file's rows in the connector's one
scan (two checks per file, only for a file holding such a row): the checks count every data
row whatever dates are asked, so the whole file is compared on every request. The difference
is reported as the `csv` connector reports a totals row (`_csv_totals.gap_error`):
- fewer records (or a smaller amount) than the total says: an error at the total's cell giving
  the gap (an export cut short, a row limit, rows filtered out): every count would be smaller;
- more: a warning (KPI016), the rows counted (rows added after the total was written, a row
  there twice).
A record is a data row (summary rows, Excel's rows of empty cells and footers left out) filling
a cell beyond the first: a footer such as a company's name fills only the first. The grand
total is the file's one totals row stating a count, before or after every sampled row, in
any language the sniff knows (`rows.TOTAL_LABELS`: `Gesamtsummen (5 Datensätze)`, `Totaux
généraux (5 enregistrements)`; every row `_crm_grouped` leaves out stating a count is one); a
`Subtotal` (`rows.SUBTOTAL_LABELS`) or a group's `Total: Closed Won` is none. Its amount is
compared only when it is a number in the amounts' currency. Subtotal rows are not compared.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, currency_fits, read_number
from kpiengine.fileformats.rows import SUBTOTAL_LABELS
from kpiengine.fileformats.sniff import TotalRow
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Scan
from kpiengine.sqlgen import quote_ident

from ._crm_grouped import is_summary

#: `Grand Totals (2,400 records)`: a label, then the count and its noun in parentheses.
_COUNTED = re.compile(r"\s*(?P<head>[^()]*?)\s*\(\s*(?P<n>[0-9][0-9,.' \u00a0\u202f]*)\s*"
                      r"(?P<noun>[^\W\d_][^()]*)\)\s*", re.UNICODE)  # fmt: skip
#: Labels of a group's totals, not the file's (any case): the sniff's, as `_crm_grouped`'s.
_SUBTOTALS = frozenset(SUBTOTAL_LABELS)
SHORT = (
    "records are missing: export the report again with all its rows (no row limit, no "
    "filter), or correct the totals row if it is out of date"
)
MORE = (
    "rows added after the total was written, or a record there twice? Correct the rows or "
    "the totals row"
)


def stated_count(label: str) -> int | None:
    """The record count a grand totals label states (`Grand Totals (5 records)`: 5), None for
    a label stating none, a subtotal's or a scope's (`Total: Closed Won (3 records)`)."""
    found = _COUNTED.fullmatch(label)
    if found is None:
        return None
    head = " ".join(found["head"].split()).casefold()
    if not head or head in _SUBTOTALS or ":" in head or "\uff1a" in head:
        return None
    digits = re.sub(r"[^0-9]", "", found["n"])
    return int(digits) if digits else None


@dataclass
class Stated:
    """A file's grand totals row stating its records, and the checks that read its rows."""

    table: FileTable
    row: TotalRow
    count: int
    check: str  # the scan's checks: `<check>_rows`, `<check>_sum`
    amount: str | None  # the amount column compared (None: the amounts are not read)
    decimal: str
    currency: str  # the amounts' (the workspace's; "" for any one)


def grand_total(table: FileTable) -> tuple[TotalRow, int] | None:
    """A file's grand totals row stating its record count, and the count (see the module)."""
    sniffed = table.sniffed
    if sniffed is None:
        return None
    own = getattr(table, "record", ())  # a `CrmTable`'s record columns (`is_summary`)
    at = [table.columns.index(c) for c in own if c in table.columns]
    found = [(t, n) for t in sniffed.totals if not t.beyond and is_summary(t.cells, at)
             and (n := stated_count(t.label)) is not None]  # fmt: skip
    if len(found) != 1:
        return None  # none, or a group's each
    # the records sampled (a footer line Excel padded with empty cells is among the rows)
    lines = [r.line for r in sniffed.sample
             if any(f.strip() for f in r.fields[1:]) and not is_summary(r.fields, at)]  # fmt: skip
    if lines and lines[0] < found[0][0].line < lines[-1]:
        return None  # a group's totals
    return found[0]


def _record_sql(name: str, table: FileTable) -> str:
    """SQL true on a record of the file `name`: a row filling a cell beyond the first (a footer
    fills only the first); FALSE on the other files' rows."""
    if table.name != name:
        return "FALSE"
    cells = [f"coalesce(trim(CAST({quote_ident(c)} AS VARCHAR)), '') <> ''"
             for c in table.columns[1:]]  # fmt: skip
    return f"({' OR '.join(cells)})" if cells else "FALSE"


def stated_checks(
    scan: Scan, tables: Sequence[FileTable], value: str, amount: str | None, decimal: str,
    currency: str,
) -> list[Stated]:  # fmt: skip
    """The files' grand totals stating their records, each with two checks of the scan: the
    records of its file, and the sum of their amounts (`value`, the amount read in
    `currency`) when `amount` (its column) is read."""
    out = []
    for i, table in enumerate(tables):
        total = grand_total(table)
        if total is None:
            continue
        mine = scan.row(partial(_record_sql, table.name))
        check = f"stated{i}"
        scan.check(f"{check}_rows", "count", mine)
        compared = amount if amount is not None and amount in table.columns else None
        if compared is not None:
            scan.check(f"{check}_sum", "sum", f"CASE WHEN {mine} THEN {value} END")
        out.append(Stated(table, total[0], total[1], check, compared, decimal, currency))
    return out


def check_stated(stated: list[Stated], checks: dict[str, Any], what: str) -> list[KpiError]:
    """The warnings of files holding more records (or amounts) than their grand totals say;
    KpiError at the first total the rows fall short of. `what`: a record, as errors name it."""
    if not stated:
        return []
    from ._csv_totals import gap_error  # the `csv` connector's words, for these files only

    warnings = []
    for one in stated:
        table, row = one.table, one.row
        got = int(checks.get(f"{one.check}_rows") or 0)
        if got != one.count:
            records = f"{what}{'' if got == 1 else 's'}" if what != "opportunity" else (
                "opportunity" if got == 1 else "opportunities")  # fmt: skip
            said = f"the file holds {got:,} {records} but `{row.label}` says {one.count:,}"
            where = table.location(row.line, table.columns[0])
            if got < one.count:
                raise KpiError(f"{said}, {one.count - got:,} more", where, SHORT)
            warnings.append(KpiError(f"{said}, {got - one.count:,} less; the rows are "
                                     "counted", where, MORE))  # fmt: skip
        expected = _amount(one)
        if expected is None:
            continue
        total = float(checks.get(f"{one.check}_sum") or 0.0)
        assert one.amount is not None  # `_amount` reads its cell
        cell = row.cells[table.columns.index(one.amount)]
        allowed = 0.5 * 10.0 ** -_places(cell, one.decimal)  # the total's rounding
        if abs(total - expected) <= allowed + 1e-9 * max(abs(total), abs(expected)):
            continue
        warning = gap_error(table, row, one.amount, got, total, expected, one.decimal)
        if abs(expected) > abs(total):
            raise warning
        warnings.append(warning)
    return warnings


def _amount(one: Stated) -> float | None:
    """The grand total's amount, None when it is not compared: no amount read, an empty
    cell or a note, another currency than the amounts' (`Scan.read` checks theirs)."""
    if one.amount is None:
        return None
    index = one.table.columns.index(one.amount)
    text = one.row.cells[index] if index < len(one.row.cells) else ""
    try:
        number = read_number(text, one.decimal)
    except CellError:
        return None
    if math.isnan(number.value) or number.percent:
        return None
    if number.currency and one.currency and not currency_fits(number.currency, one.currency):
        return None
    return number.value


def _places(text: str, decimal: str) -> int:
    found = re.search(f"[{re.escape(decimal)}]([0-9]+)", text)
    return len(found.group(1)) if found else 0
