"""Closed deals no period can count right, found in the `crm` connector's one scan.

A closed deal without a close date (revenue, deals won and lost would leave it out), a won deal
closed before it was created (a negative sales cycle) or without a create date: the scan counts
them cheaply (two counts); only when there are some does a second scan count them in detail,
and the variables they would distort are left out of the answer (`Frame.missing`) with how
many deals there are and where the first is. Closed deals dated after today (Salesforce keeps
the expected close date of a deal closed early; a typo) are dated as the export says, and
reported (`_future`): how many, the latest date, where the first is, the fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kpiengine.cellreader import trimmed_sql
from kpiengine.errors import KpiError, Location
from kpiengine.filescan import Scan
from kpiengine.sqlgen import quote_ident
from kpiengine.today import today

from ._crm_config import CrmConfig, _plural
from ._crm_tables import CLOSED


class ClosedDeals(CrmConfig):
    """The checks and the left-out variables of `CrmConnector` (see the module)."""

    _detail = False  # the scan counts the closed deals to leave out in detail
    _today = dt.date.min  # the day `_future` reads close dates against, set by the scan

    def _closed_checks(
        self, scan: Scan, derived: set[str], klass: str, day: dict[str, str], value: str
    ) -> None:
        """Counts of the closed deals no period would count right (see `_left_out`): one count
        each of the undated and of the wrong cycles; their details (won or lost, amounts, how
        many days) only when there are some, in a second scan (`self._detail`)."""
        close = day[self.columns["close_date"]]
        create = day.get(self.columns.get("create_date", ""), "NULL")
        self._today = today()
        after = f"{close} > DATE '{self._today.isoformat()}'"
        for kind in ("won", "lost"):
            scan.check(f"future_{kind}", "count", f"{klass} = '{kind}' AND {after}")
        # the latest closed deal's date: a day to come when there are some
        scan.check("future_hi", "max", f"CASE WHEN {klass} IN ('won', 'lost') THEN {close} END")
        won = f"{klass} = 'won' AND {close} IS NOT NULL"
        cycle = "sales_cycle_days" in derived
        if not self._detail:
            scan.check("undated", "count", f"{klass} IN ('won', 'lost') AND {close} IS NULL")
            if cycle:
                scan.check("cycles", "count", f"{won} AND ({create} IS NULL OR {close} < {create})")
            return
        # the open deals at a period's end: a closed deal without a close date is never closed
        needs = {"won": set(CLOSED) - {"deals_lost"}, "lost": {"deals_lost"}}
        needs = {k: v | {"open_opportunities"} for k, v in needs.items()}
        for name, variables in needs.items():
            if variables & derived:
                scan.check(f"undated_{name}", "count", f"{klass} = '{name}' AND {close} IS NULL")
        if "revenue" in derived:
            undated = f"{klass} = 'won' AND {close} IS NULL"
            scan.check("undated_amount", "sum", f"CASE WHEN {undated} THEN {value} END")
        if cycle:
            backwards = f"{won} AND {close} < {create}"
            scan.check("backwards", "count", backwards)
            days = f"date_diff('day', {create}, {close})"
            scan.check("backwards_min", "min", f"CASE WHEN {backwards} THEN {days} END")
            scan.check("uncreated", "count", f"{won} AND {create} IS NULL")

    def _left_out(self, checks: dict[str, Any]) -> dict[str, str]:
        """The variables closed deals no period can count right would distort, and why: a
        closed deal without a close date (revenue, deals won and lost), a won deal closed
        before it was created or without a create date (the sales cycle). They are left out,
        so that the KPIs reading them are undefined with the reason (how many deals, where the
        first is); never a silent drop, and the other KPIs stand."""
        close, create = self.columns.get("close_date", ""), self.columns.get("create_date", "")
        out: dict[str, str] = {}

        def first(condition: str, column: str) -> Location:  # `{k}`: the class, dates as read
            return self._place(
                lambda k, day: condition.format(k=k, close=day(close), create=day(create)), column
            )

        undated = {k: int(checks.get(f"undated_{k}") or 0) for k in ("won", "lost")}
        for kind, n in undated.items():
            if not n:
                continue
            worth = checks.get("undated_amount") if kind == "won" else None
            where = first(f"{{k}} = '{kind}' AND {{close}} IS NULL", close)
            why = (
                f"{_plural(n, f'{kind} deal')} without a close date in column `{close}`"
                f"{f' (worth {worth:,.2f})' if worth else ''}, first at {where}: no period can "
                "count them; fill in the close dates and export again"
            )
            distorted = set(CLOSED) - {"deals_lost"} if kind == "won" else {"deals_lost"}
            for variable in distorted | {"open_opportunities"}:
                out.setdefault(variable, why)
        cycles = []
        if checks.get("backwards"):
            n, most = int(checks["backwards"]), -int(checks["backwards_min"])
            where = self._place(
                lambda k, day: f"{k} = 'won' AND {day(close)} < {day(create)}", close
            )
            cycles.append(
                f"{_plural(n, 'won deal')} closed before created (column `{close}` before "
                f"`{create}`, by up to {most} days), first at {where}"
            )
        if checks.get("uncreated"):
            n = int(checks["uncreated"])
            where = self._place(
                lambda k, day: (
                    f"{k} = 'won' AND {day(close)} IS NOT NULL AND {day(create)} IS NULL"
                ),
                create,
            )
            cycles.append(f"{_plural(n, 'won deal')} without a create date, first at {where}")
        if cycles:
            out.setdefault(
                "sales_cycle_days",
                " and ".join(cycles) + ": their sales cycles are unknown (a deal imported after "
                "it closed often keeps the import day as its create date); correct the dates",
            )
        return out

    def _future(self, checks: dict[str, Any]) -> KpiError | None:
        """The closed deals dated after today, if any: a warning, not an error (they are
        counted by the date they have)."""
        won, lost = (int(checks.get(f"future_{k}") or 0) for k in ("won", "lost"))
        if not won + lost:
            return None
        close, day = self.columns["close_date"], self._today.isoformat()
        where = self._place(
            lambda k, d: f"{k} IN ('won', 'lost') AND {d(close)} > DATE '{day}'", close
        )
        deals = " and ".join(
            _plural(n, f"{k} deal") for n, k in ((won, "won"), (lost, "lost")) if n
        )
        return KpiError(
            f"{deals} with a close date after today ({day}) in column `{close}`, up to "
            f"{checks['future_hi']}, first at "
            f"{where}: no deal closes on a day still to come (Salesforce keeps the expected "
            "close date of a deal closed early; or a typo)",
            where,
            "correct the close date in the CRM to the day the deal was won or lost, and "
            "export again",
        )

    def _place(
        self, condition: Callable[[str, Callable[[str], str]], str], column: str
    ) -> Location:
        """The `column` cell of the first deal for which `condition(class, day)` holds: SQL on
        the file's cells as written (`day(column)`: the day a date column's cell reads)."""

        def day(name: str) -> str:
            return self._format(name).sql(name, "VARCHAR")

        bad = condition(self._class_sql(lambda c: trimmed_sql(quote_ident(c), "")), day)
        roles = ("stage", "status", "won", "closed", "close_date", "create_date")
        # the first row whose cells are those of the row DuckDB found is such a deal too
        also = [self.columns[r] for r in roles if r in self.columns]
        also = [c for c in dict.fromkeys(also) if c != column]
        for table in self.tables:
            cell = table.first_cell(column, bad, lambda _text: False, tuple(also))
            if cell is not None:
                return cell[0]
        return self.layout.header(column)
