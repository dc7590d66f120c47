"""The `crm` connector's key columns it does not find (not a plugin module): an export whose
headers the profiles do not know (HubSpot writes them in the user's language; only the English
ones are listed, other names being unverified), or whose stage column was left out, must not be
read with its won deals and revenue silently missing.

An error names the file, the headers found and the roles missing, with a `columns:` block to
paste (the roles found filled in, `"?"` for the others), when an export gives none of its
object's variables, or when a deals export has close dates or amounts but no stage (no deal is
won or lost), or stages and amounts but no close date (no closed deal is dated). An export that
simply lacks a column (deals without amounts, a list of open deals by stage) still gives what it
can, as before; so does one whose closed-deal variables are given by `map:`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from kpiengine.errors import KpiError
from kpiengine.fileformats.tables import FileTable

from ._crm_tables import CLOSED, CONTACT_DATES

#: The roles a `columns:` block offers, per object.
OFFERED = {
    "deals": ("stage", "close_date", "create_date", "amount"),
    "contacts": ("create_date", "lifecycle_stage", *CONTACT_DATES),
}
#: The value of a role the block cannot fill in (quoted: a plain `?` is not YAML's value).
ASK = '"?"'
SYSTEM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce", "generic": "generic"}


def check_key_roles(
    table: FileTable,
    system: str,
    object_: str,
    columns: dict[str, str],
    provided: Collection[str],
    mapped: Collection[str],
    source: str,
) -> None:
    """An error when the export's key columns are not found (see the module). `provided`: the
    variables the roles found give; `mapped`: those `map:` gives."""
    have = set(columns)
    closed = not set(CLOSED) & set(mapped)  # the closed deals are the roles' to count
    why = None
    if not provided and not mapped:
        why = f"it gives none of the variables of a {object_} export"
    elif object_ == "deals" and closed and "stage" not in have and have & {"close_date", "amount"}:
        why = "no deal is won or lost: revenue, deals won and lost and the sales cycle are left out"
    elif object_ == "deals" and closed and "close_date" not in have and {"stage", "amount"} <= have:
        why = "no won or lost deal is dated: revenue, deals won and lost are left out"
    if why is None:
        return
    missing = [r for r in OFFERED[object_] if r not in have]
    label = SYSTEM_NAMES.get(system, system)
    fix = _block(object_, columns, source)
    if provided and "stage" in missing:  # a won-deals report may have no stage column
        amount, close = columns.get("amount", "Amount"), columns.get("close_date", "Close Date")
        fix += (
            "\n  an export of won deals only, without stages: give its variables with `map:` "
            f"instead, e.g. `revenue: {{column: {_yaml(amount)}, date: {_yaml(close)}}}`"
        )
    raise KpiError(
        f"source `{source}`: {table.name} ({label} {object_}) has no column this connector knows "
        f"as {_roles(missing)}, so {why} (headers: {', '.join(table.columns)})",
        table.header(),
        fix,
    )


def _roles(roles: list[str]) -> str:
    names = [f"`{r}`" for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _block(object_: str, columns: dict[str, str], source: str) -> str:
    lines = [
        f"      {role}: {_yaml(columns[role]) if role in columns else ASK}"
        for role in OFFERED[object_]
    ]
    return (
        f'name the columns in source `{source}` of kpi.yaml (replace each "?" with the file\'s '
        "header for that role, delete the roles it has none of):\n    columns:\n" + "\n".join(lines)
    )


def _yaml(text: str) -> str:
    """A header as a YAML value: plain when safe, else double-quoted."""
    if re.fullmatch(r"[^\W\d][^:#\[\]{},\"]*", text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)
