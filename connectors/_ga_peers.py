"""A dated table checked against another table's total, for `ga_export` (not a plugin module).

GA4 reports write a chart's table (`Nth day`, `Session default channel group`, `Sessions`),
which holds the top rows only (five channels), above the full table, undated, with its
`Grand total`. Dated by day, the chart's table is the one a daily or weekly request reads: its
sums must reach the other table's total for the same metric over the same dates, else it holds
only part of the sessions and no period can be counted from it (an error, not a smaller
number). Only a dated table without totals rows of its own, beside an undated one with them, is
checked (UA's Day Index table has its own total, checked against its rows): one small sum per
count column the scan reads anyway.
"""

from __future__ import annotations

import math
from typing import Any

from kpiengine.connector import NoDailyValues
from kpiengine.fileformats import CellError, read_number
from kpiengine.filescan import Scan

from ._ga_headers import KIND
from ._ga_segments import other_segment
from ._ga_tables import APPROXIMATE, _shown


def peer_checks(table: Any, scan: Scan) -> list[str]:
    """Ask the scan for the sums of the count columns it reads that a peer table totals."""
    if not table.peers:
        return []
    out = []
    for header in sorted(table.read):
        field = table.fields[table.headers.index(header)]
        if field and KIND[field] == "count" and any(field in p.columns for p in table.peers):
            scan.check(f"peer {header}", "sum", table.value(scan, header))
            out.append(header)
    return out


def check_peers(table: Any, checks: dict[str, Any], headers: list[str], grain: str) -> str | None:
    """None, or why no period can be counted from the table: a peer's total above its sum
    (beyond rounding and GA4's approximation). Days asked for raise `NoDailyValues`, so that
    the engine leaves a partial period unprojected; for longer periods the table's variables
    are left out with the reason (`Frame.missing`) while the other sources stand."""
    for header in headers:
        field = table.fields[table.headers.index(header)]
        added = float(checks.get(f"peer {header}") or 0.0)
        for peer in table.peers:
            column = peer.columns.get(field)
            total = next((t for t in peer.file.totals if not other_segment(peer, t.cells)), None)
            if column is None or total is None:
                continue
            index = peer.headers.index(column)
            try:
                expected = read_number(total.cells[index], peer.export.decimal).value
            except (CellError, IndexError):
                continue  # the peer's own totals check names it when it is read
            if math.isnan(expected):
                continue
            allowed = 0.5 + (APPROXIMATE.get(field or "", 0.0) * expected if table.ga4 else 0.0)
            if expected - added > allowed:
                dims = ", ".join(f"`{h}`" for h in table.headers if h != header)
                what = (
                    f"the table on line {table.line} ({dims}) adds up to {header} = "
                    f"{_shown(added)}, but the table on line {peer.line} totals "
                    f"{_shown(expected)} over the same dates: the dated table holds only some "
                    "of the rows (a chart's top rows?)"
                )
                where = peer.file.location(total.line, column)
                fix = (
                    "ask for a grain the whole date range answers (the undated table), or "
                    "export the report by Date with every row"
                )
                if grain == "day":
                    raise NoDailyValues(f"{what}, so no day can be counted from it", where, fix)
                return f"{what} ({where}): no {grain} can be counted from it; {fix}"
    return None
