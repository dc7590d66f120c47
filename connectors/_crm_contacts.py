"""A `crm` contacts export's lifecycle stages (not a plugin module): the day a contact became a
lead, an MQL or an SQL, and the customers no period can count.

A contact that reached a stage reached the ones before it: HubSpot leaves the dates of the
stages a contact skipped empty (one created as a customer has no `Became a Lead Date`), so a
contact is a lead by its lead date, else by the first of its later stages' dates (MQL, SQL,
opportunity, customer), and an MQL or an SQL alike. Every customer is then a lead, every SQL an
MQL: the conversion rates' numerators stay within their denominators.

A customer without a customer date (lifecycle stage `Customer`, a Salesforce lead `Converted`,
its date empty) is never dropped silently: like a won deal without a close date (`_crm_closed`),
it leaves the variables it would distort out of the answer (new customers, the customer stocks,
churned customers when one of them has a churn date), with how many and where the first is;
the other variables stand. The scan counts them only when one of those variables is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpiengine.errors import Location
from kpiengine.filescan import Scan
from kpiengine.sqlgen import quote_ident

from ._crm_config import CrmConfig, _in, _plural
from ._crm_tables import CUSTOMER_STAGES, STAGE_DATES, TRUE

#: The variables counted by a lifecycle stage's date, by the role of that date.
STAGE_OF = {"leads": "became_lead_date", "mqls": "became_mql_date", "sqls": "became_sql_date"}
#: The variables a customer without a customer date would distort.
CUSTOMER_VARIABLES = ("new_customers", "customers_at_start", "customers_at_end",
                      "churned_customers")  # fmt: skip


class ContactStages(CrmConfig):
    """The lifecycle-stage days and checks of `CrmConnector` (see the module)."""

    def _stage_day(self, variable: str, day: dict[str, str]) -> str | None:
        """SQL for the day a contact reached `variable`'s stage (its own date, else the first
        of the later stages' dates), or None when the variable is not dated so."""
        role = STAGE_OF.get(variable)
        if self.object != "contacts" or role not in self.columns:
            return None  # no lead date column: every contact is a lead by its create date
        later = [day[self.columns[r]] for r in STAGE_DATES[STAGE_DATES.index(role) + 1 :]
                 if r in self.columns and self.columns[r] != self.columns[role]]  # fmt: skip
        own = day[self.columns[role]]
        if not later:
            return None
        first = later[0] if len(later) == 1 else f"least({', '.join(later)})"
        return f"coalesce({own}, {first})"

    def _customer_sql(self, text: Callable[[str], str]) -> str | None:
        """SQL true on a customer by its stage or flag (`text(column)`: a column's trimmed
        text), None when the export tells none."""
        parts = []
        if "lifecycle_stage" in self.columns:
            parts.append(_in(text(self.columns["lifecycle_stage"]), CUSTOMER_STAGES))
        if "converted" in self.columns:
            parts.append(_in(text(self.columns["converted"]), TRUE))
        return f"({' OR '.join(parts)})" if parts else None

    def _customer_checks(self, scan: Scan, derived: set[str], day: dict[str, str]) -> None:
        """Count the customers without a customer date, when a variable they distort is asked."""
        if self.object != "contacts" or not set(CUSTOMER_VARIABLES) & derived:
            return
        customer = self._customer_sql(scan.text)
        if customer is None or "became_customer_date" not in self.columns:
            return
        became = day[self.columns["became_customer_date"]]
        undated = f"{customer} AND {became} IS NULL"
        scan.check("undated_customers", "count", undated)
        if "churned_customers" in derived and "churn_date" in self.columns:
            churn = day[self.columns["churn_date"]]  # churned, uncounted: churn is wrong too
            scan.check("undated_churned", "count", f"{undated} AND {churn} IS NOT NULL")

    def _undated_customers(self, checks: dict[str, Any]) -> dict[str, str]:
        """The variables customers without a customer date distort, and why (see the module)."""
        n = int(checks.get("undated_customers") or 0)
        if not n:
            return {}
        column = self.columns["became_customer_date"]
        flags = [self.columns[r] for r in ("lifecycle_stage", "converted") if r in self.columns]
        customer = self._customer_sql(lambda c: f"trim(coalesce({quote_ident(c)}, ''))")
        bad = f"{customer} AND trim(coalesce({quote_ident(column)}, '')) = ''"
        where: Location = self.layout.header(column)
        for table in self.tables:
            cell = table.first_cell(column, bad, lambda text: not text.strip(), tuple(flags))
            if cell is not None:
                where = cell[0]
                break
        told = " or ".join(f"`{c}`" for c in flags)
        record = "lead" if self.system == "salesforce" else "contact"
        why = (
            f"{_plural(n, record)} that {'are' if n > 1 else 'is a'} customer{'s' * (n > 1)} "
            f"by {told} without a date in column `{column}`, first at {where}: no period can "
            "count them; fill in the dates and export again"
        )
        out = dict.fromkeys(CUSTOMER_VARIABLES, why)
        if not checks.get("undated_churned"):
            del out["churned_customers"]  # none of them churned: the churned count stands
        return out
