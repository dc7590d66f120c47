"""What the rows of a `sql` source give its aggregation, beside their mapped values (not a
plugin module): a segment's renamed text, a variable's value on rows dated by another column,
and which distinct counts are read from a column of counts.
"""

from __future__ import annotations

from kpiengine.connector import Mapping, Request
from kpiengine.distinct import rows_counted
from kpiengine.model import DISTINCT
from kpiengine.sqlgen import quote_text


def renamed_sql(sql: str, renames: dict[str, str]) -> str:
    """`sql` as the text its segment shows (NULL as '', as in `aggregation_sql`), a value that
    `renames` names replaced by its new name. Values compare exactly, case included, as in the
    file connectors (which trim cells first; this connector shows cells untrimmed). Keys and
    names are SQL string literals, re-quoted by sqlglot for each dialect it translates to."""
    text = f"COALESCE(CAST({sql} AS VARCHAR), '')"
    cases = " ".join(f"WHEN {quote_text(k)} THEN {quote_text(v)}" for k, v in renames.items())
    return f"(CASE {text} {cases} ELSE {text} END)"


def given(request: Request, mappings: dict[str, Mapping]) -> list[str]:
    """The distinct counts mapped to a column of counts (`kpiengine.distinct.given`); counting
    rows of one is an error."""
    found = []
    for variable, rule in request.variables.items():
        mapping = mappings.get(variable)
        if rule.time != DISTINCT or (mapping is not None and mapping.distinct is not None):
            continue
        if mapping is not None and mapping.count:
            raise rows_counted(variable, mapping.location)
        found.append(variable)
    return found


def absent(mapping: Mapping, time: str) -> str:
    """A variable's value on rows dated by another column: no event (0) for a sum, as on a day
    without rows; no value for a distinct count, a mean, a stock."""
    if mapping.distinct is not None:
        return "NULL"
    return "0.0" if time == "sum" or mapping.count else "CAST(NULL AS DOUBLE)"
