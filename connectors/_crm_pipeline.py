"""The open pipeline of a `crm` deals export (not a plugin module): `open_opportunities`, the
deals open at the end of each period, per segment.

A deal is open at the end of a day when it was created on or before that day and is not won or
lost by then: open now (its stage), or closed after that day (its close date; an open deal's
close date is a forecast and is not read). The scan gives, by day and segment, the deals
created (`__opened`) and those closed (`__closed`); their running difference at each period's
last day is the stock (`_crm_frames.stock`, as the customer stock is made from contacts), so
that a quarter's value is that of its last month. A closed deal dated before its creation was
never open at a period's end: it closes on its create date.

A deal no day can place is never guessed: one without a create date, or a closed one without
a close date (`_crm_closed`), leaves `open_opportunities` out of the answer with how many and
where the first is. A `count:` mapping of a stock dated by an event (a create or close date)
would count the rows of the period's last day: an error naming the fix (`check_mapping`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError
from kpiengine.filescan import Scan, Scanned
from kpiengine.model import Aggregate
from kpiengine.periods import Calendar
from kpiengine.table import Frame

from . import _crm_frames as frames
from ._crm_closed import ClosedDeals
from ._crm_config import _plural
from ._crm_tables import STAGE_DATES

OPEN = "open_opportunities"
#: Date roles that date an event of a record (not a snapshot's day).
EVENTS = ("create_date", "close_date", "churn_date", *STAGE_DATES)


class OpenDeals(ClosedDeals):
    """The open-deal stock of `CrmConnector` (see the module)."""

    def _open_roles(self, scan: Scan, klass: str, day: dict[str, str], rule: Aggregate) -> None:
        """The deals created and closed by day (daily measures), and the count of classed
        deals without a create date."""
        create = day[self.columns["create_date"]]
        close = day[self.columns["close_date"]]
        scan.role(create, {"__opened": ("1.0", rule)}, f"{klass} IS NOT NULL", daily=True)
        closed = f"{klass} IN ('won', 'lost') AND {create} IS NOT NULL"
        # closed before created (a typo, an import): never open at a period's end
        scan.role(f"greatest({close}, {create})", {"__closed": ("1.0", rule)}, closed, daily=True)
        scan.check("uncreated_deals", "count", f"{klass} IS NOT NULL AND {create} IS NULL")

    def _open_frame(
        self,
        scanned: Scanned,
        grain: str,
        calendar: Calendar,
        span: tuple[dt.date, dt.date] | None,
    ) -> Frame:
        """`open_opportunities` at the end of every period of the export, per segment."""
        none = np.zeros(len(scanned.days))
        opened = scanned.day_values.get("__opened", none)
        closed = scanned.day_values.get("__closed", none)
        return frames.stock(scanned.days, scanned.day_dims, opened, closed, [OPEN], grain,
                            calendar, span, ("", OPEN))  # fmt: skip

    def _uncreated(self, checks: dict[str, Any]) -> dict[str, str]:
        """`open_opportunities` and why, when deals have no create date (see the module)."""
        n = int(checks.get("uncreated_deals") or 0)
        if not n:
            return {}
        create = self.columns["create_date"]
        where = self._place(lambda k, day: f"{k} IS NOT NULL AND {day(create)} IS NULL", create)
        return {
            OPEN: f"{_plural(n, 'deal')} without a create date in column `{create}`, first at "
            f"{where}: no period can tell whether {'they were' if n > 1 else 'it was'} open at "
            "its end; fill in the create dates and export again"
        }

    def _check_stock_mapping(self, mapping: Mapping, column: str, rule: Aggregate) -> None:
        """A `count:` or `distinct:` mapping of a stock (`time: last` or `first`) dated by an
        event: an error, not the count of the rows of each period's last (first) day."""
        if rule.time not in ("last", "first") or not (
            mapping.count or mapping.distinct is not None
        ):
            return
        events = {self.columns[r]: r.replace("_", " ") for r in EVENTS if r in self.columns}
        if column not in events:  # `date:` names a snapshot's day: its rows are the stock
            return
        end = "end" if rule.time == "last" else "start"
        fix = "count rows that are snapshots, naming the column of their day with `date:`"
        if mapping.variable == OPEN and self.object == "deals":
            fix = (
                f"remove the mapping: the connector gives `{OPEN}` itself (the deals created by "
                f"the period's end and not won or lost by then); or {fix}"
            )
        raise KpiError(
            f"source `{self.config.name}`: `{mapping.variable}` is a stock (its value at the "
            f"period's {end}), but this mapping counts the rows whose {events[column]} (column "
            f"`{column}`) is the period's {'last' if end == 'end' else 'first'} day: almost "
            "always 0",
            mapping.location,
            fix,
        )
