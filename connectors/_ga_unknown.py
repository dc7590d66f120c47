"""Counts worked out from a rate or an average, for `ga_export` (not a plugin module).

Bounces = bounce rate x sessions, session_duration = average duration x sessions, engaged
sessions = sessions - bounces...: such a count is unknown on a row whose rate (or average, or
the other count) has no value (empty, `—`, `n/a`) while its sessions are not 0, or whose
sessions have no value. SQL's sums leave NULL out, so the row's sessions would stay in every
rate's denominator with none of its bounces in the numerator (bounce and engagement rates no
longer adding up to 100%), and a breakdown would show the row's segment undefined while the
total counted it as 0. It is an error at the cell without a value, with or without a
breakdown: GA writes 0.00% or 00:00:00 for none, never a dash. A row of 0 sessions has 0 of
every such count, whatever its rate cell holds.
"""

from __future__ import annotations

from typing import Any

from kpiengine.errors import KpiError

from ._ga_segments import keep_sql

#: The count each way of deriving gives, in messages.
_WHAT = {
    "bounces": "bounces",
    "engaged_sessions": "engaged sessions",
    "pageviews": "pageviews",
    "conversions": "conversions",
    "goal_completions": "goal completions",
    "session_duration": "total session time",
}


def known(
    table: Any,
    scan: Any,
    what: str,
    header: str,
    value: str,
    sessions: str,
    sql: str,
    formula: str,
) -> str:
    """`sql`, a count from column `header` (its `value` on a row) and the row's `sessions`; 0 on
    a row of 0 sessions. A row where it is unknown is counted by the scan (`raise_unknown`
    names it). `what`: the count (a recipe or a variable), `formula` how, for the message."""
    name = f"unknown {what} {header}"
    scan.check(name, "count", f"{sessions} IS NULL OR ({value} IS NULL AND {sessions} <> 0)")
    table.derived[name] = (header, what, formula)
    return f"(CASE WHEN {sessions} = 0 THEN 0.0 ELSE {sql} END)"


def raise_unknown(table: Any, checks: dict[str, Any]) -> None:
    """Raise at the first cell without a value that leaves a derived count unknown."""
    for name, (header, what, formula) in sorted(table.derived.items()):
        if not checks.get(name):
            continue
        sessions = table.columns["sessions"]
        value_sql = f"({table.reader(header).sql(header, 'VARCHAR')})"
        sessions_sql = f"({table.reader(sessions).sql(sessions, 'VARCHAR')})"
        keep = keep_sql(table)
        own = table.file.first_cell(
            header,
            f"{keep} AND {value_sql} IS NULL AND {sessions_sql} <> 0",
            lambda _: True,
            also=(sessions,),
        )
        base = table.file.first_cell(
            sessions, f"{keep} AND {sessions_sql} IS NULL", lambda _: True, also=(header,)
        )
        label = _WHAT.get(what, what.replace("_", " "))
        if own is not None and (base is None or own[0].line <= base[0].line):
            where, text = own
            raise KpiError(
                f"`{header}` has no value ({_shown(text)}) on a row with sessions: the row's "
                f"{label} ({formula}) cannot be worked out (never 0)",
                where,
                "export the report again, or write the value (0 if there is none)",
            )
        where, text = base if base is not None else (table.file.header(sessions), "")
        raise KpiError(
            f"`{sessions}` has no value ({_shown(text)}) beside `{header}`: the row's {label} "
            f"({formula}) cannot be worked out (never 0)",
            where,
            "export the report again, or write the row's sessions (0 if there are none)",
        )


def _shown(text: str) -> str:
    return f"`{text}`" if text.strip() else "empty"
