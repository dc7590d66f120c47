"""`map:` entries of a `crm` deals export for the connector's own deal variables (not a plugin
module).

`revenue: {column: Amount, where: {Pipeline: [Sales Pipeline]}}` means the won revenue of that
pipeline: a mapping of a built-in outcome variable (`deals_won`, `deals_won_with_amount`,
`deals_lost`, `revenue`, `sales_cycle_days`) whose `where:` names none of the columns that class
a deal (its stage, status, or Salesforce's `Won`/`Closed` flags) keeps the built-in meaning, the
won (lost) deals dated by their close date (or the mapping's `date:`), and filters it. `count:
true` (or `count: COLUMN`) keeps the built-in measure (won deals, the amounts' deals, the cycle's
days), `column:` sums that column over those deals. A `where:` that names a classing column, or
an export without one, is counted as written (a cohort rate's `date: Create Date`).

A request that reads such a filtered deal variable beside a deal variable of the same export the
mapping does not filter (`average_deal_size`'s `deals_won_with_amount` next to a pipeline's
`revenue`) would mix two populations: those unfiltered variables are left out of the answer,
their KPIs undefined with the reason and the mapping to add, never a silent mix.
"""

from __future__ import annotations

from collections.abc import Mapping as Map

from kpiengine.connector import Mapping
from kpiengine.fileformats.tables import FileTable
from kpiengine.filesource import find

from ._crm_tables import CLOSED

#: The class of deal each built-in outcome variable reads.
KINDS = {v: "lost" if v == "deals_lost" else "won" for v in CLOSED}
#: The roles whose columns class a deal: a `where:` naming one says which deals it counts.
CLASSING = ("stage", "status", "won", "closed")
#: The deal variables a filtered mapping must not be read beside unfiltered.
DEAL_VARIABLES = (*CLOSED, "opportunities", "sqos", "open_opportunities")


def kept_kind(mapping: Mapping, columns: Map[str, str], layout: FileTable) -> str | None:
    """`won` or `lost` when `mapping` keeps its variable's built-in meaning (see the module)."""
    kind = KINDS.get(mapping.variable)
    if kind is None or "stage" not in columns or not (mapping.date or "close_date" in columns):
        return None
    classing = {columns[r].casefold() for r in CLASSING if r in columns}
    named = {(find(layout, [c]) or c).casefold() for c in mapping.where}
    return None if named & classing else kind


def filters(mapping: Mapping, columns: Map[str, str]) -> dict[str, list[str]]:
    """The mapping's `where:` but its classing columns: the deals it keeps."""
    classing = {columns[r].casefold() for r in CLASSING if r in columns}
    return {c: vs for c, vs in mapping.where.items() if c.strip().casefold() not in classing}


def _flow(where: dict[str, list[str]]) -> str:
    return "{" + ", ".join(f"{c}: [{', '.join(vs)}]" for c, vs in where.items()) + "}"


def mixed(
    mappings: Map[str, Mapping],
    columns: Map[str, str],
    asked: list[str],
    source: str,
) -> dict[str, str]:
    """The deal variables of `asked` no mapping filters, and why, when a mapping of another
    built-in deal variable filters its deals (see the module)."""
    filtered = [
        m for v, m in mappings.items() if v in asked and v in DEAL_VARIABLES and filters(m, columns)
    ]
    if not filtered:
        return {}
    first = filtered[0]
    where = _flow(filters(first, columns))
    kept = " and ".join(f"{c} is {' or '.join(vs)}" for c, vs in filters(first, columns).items())
    amount = columns.get("amount", "Amount")
    shapes = {
        "revenue": f"{{column: {amount}, where: {where}}}",
        "deals_won_with_amount": f"{{count: {amount}, where: {where}}}",
    }
    out = {}
    for variable in asked:
        if variable not in DEAL_VARIABLES or variable in mappings:
            continue
        fix = (
            "export those deals alone (a source of their own)"
            if variable == "open_opportunities"
            else f"map it to the same deals: `{variable}: "
            f"{shapes.get(variable, f'{{count: true, where: {where}}}')}`"
        )
        out[variable] = (
            f"`{variable}` would count every deal of the export, but "
            f"`{first.variable}` is mapped ({first.location}) to the deals where {kept}: a KPI "
            f"reading both would mix them; {fix}"
        )
    return out
