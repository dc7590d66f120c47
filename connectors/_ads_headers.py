"""The `ads` connector's headers it does not know (not a plugin module): an export in a language
(or layout) the profiles do not list must not be read with its days, its amounts or its currency
left out.

A column of currency codes (`USD` in every sampled cell, `--` and empty cells aside) that no role
takes is the report's currency column whatever its header (`Codice valuta`, `通貨コード`,
`Devise`): its codes are checked against the workspace currency as a known header's are. Two such
columns are an error naming them (`with_codes`).

Without a `columns:` option, a file whose day column is not recognised while an unknown column
holds dates, or whose cost and clicks are both unrecognised, is an error listing its unknown
headers with a `columns:` block to paste (the roles found filled in, a column of dates offered
as the day and a header naming a currency as the cost, `"?"` for the others).
"""

from __future__ import annotations

import json
import re

from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, detect_date_format
from kpiengine.fileformats.currency import ISO_CODES
from kpiengine.fileformats.tables import FileTable

from ._ads_profiles import GOOGLE, META, MICROSOFT, PROFILES, ROLES, header_currency

#: Headers of both platforms that hold no role: rates the engine recomputes, states, budgets,
#: and dates that are not a row's day (a campaign's start). Lowercase.
IGNORED = frozenset(
    {
        "ctr",
        "avg. cpc",
        "avg. cpm",
        "avg. cost",
        "cost / conv.",
        "conv. rate",
        "interactions",
        "interaction rate",
        "campaign status",
        "campaign state",
        "status",
        "budget",
        "budget type",
        "campaign id",
        "account",
        "account name",
        "customer id",
        "ad group",
        "ad group id",
        "all conv.",
        "all conv. value",
        "start date",
        "end date",
        "reach",
        "frequency",
        "cost per result",
        "ends",
        "attribution setting",
        "campaign delivery",
        "ad set name",
        "ad name",
        # Microsoft Advertising's, as the Reporting API and the UI's downloads name them
        *("ctr (%)", "averagecpc", "average cpc", "conversionrate", "conversion rate", "cpa"),
        *("conversion rate (%)", "costperconversion", "returnonadspend", "return on ad spend"),
        *("accountid", "accountname", "accountnumber", "account number", "campaignid"),
        *("campaignstatus", "adgroupid", "adgroupname", "keyword", "keywordid", "keyword id"),
        *("devicetype", "device type", "network", "addistribution", "ad distribution"),
        *("bidmatchtype", "bid match type", "deliveredmatchtype", "delivered match type"),
        *("top impression rate", "absolute top impression rate", "current maximum cpc"),
        *("allconversions", "allrevenue", "assists", "averageposition", "avg. position"),
    }
)
#: The roles a `columns:` block offers, per platform.
OFFERED = {
    GOOGLE: tuple(r for r in ROLES if r not in ("date_end", "result_type")),
    META: tuple(r for r in ROLES if r not in ("campaign_type", "currency")),
    MICROSOFT: tuple(r for r in ROLES if r not in ("date_end", "result_type")),
}
#: The value of a role the block cannot fill in (quoted: a plain `?` is not YAML's value).
ASK = '"?"'
#: The headers each platform's profile knows, lowercase.
_KNOWN = {
    p: frozenset(n.lower() for ns in f.roles.values() for n in ns) for p, f in PROFILES.items()
}
_API = ("metrics.", "metrics_", "segments.", "segments_", "campaign.", "customer.", "ad_group.")


def unknown_headers(columns: list[str], platform: str) -> list[str]:
    """The headers the platform's profile does not know, in the file's order."""
    out = []
    for column in columns:
        name = column.strip().lower()
        if not name or name in _KNOWN[platform] or name in IGNORED or name.startswith(_API):
            continue
        if header_currency(column) is None:  # `Amount spent (EUR)` is Meta's cost
            out.append(column)
    return out


def code_columns(table: FileTable, columns: dict[str, str]) -> list[str]:
    """The columns no role takes (`columns`: role -> column) whose sampled cells are all ISO
    4217 codes in capitals (`--` and empty cells aside; at least one code)."""
    taken = set(columns.values())
    out = []
    for column in table.columns:
        if column in taken:
            continue
        cells = (c.strip() for c in table.cells(column))
        filled = [c for c in cells if c not in ("", "--", "-")]
        if filled and all(c in ISO_CODES for c in filled):
            out.append(column)
    return out


def with_codes(table: FileTable, columns: dict[str, str]) -> dict[str, str]:
    """`columns` (role -> column) with the currency column when no header names one: the only
    column of currency codes no role takes (see the module); an error naming them when several
    are, for a report has one currency column."""
    if "currency" in columns:
        return columns
    found = code_columns(table, columns)
    if len(found) > 1:
        raise KpiError(
            f"columns {', '.join(f'`{c}`' for c in found)} all hold currency codes: which one "
            "is the currency of the report's amounts cannot be told",
            table.header(found[1]),
            f"name it in the source's `columns:` option, e.g. `columns: {{currency: "
            f"{_yaml(found[0])}}}`",
        )
    return {**columns, "currency": found[0]} if found else columns


def holds_dates(table: FileTable, column: str) -> bool:
    """Whether the sampled cells of a column are dates (not plain numbers)."""
    cells = [c.strip() for c in table.cells(column, 50) if c.strip() not in ("", "--")]
    if not cells or all(re.fullmatch(r"[-+]?[\d.,\s]+%?", c) for c in cells):
        return False
    try:
        fmt = detect_date_format(cells, column=column)
        return all(fmt.read(c, weekday=False) is not None for c in cells)
    except (KpiError, CellError, ValueError):
        return False


def columns_block(
    table: FileTable, platform: str, columns: dict[str, str], unknown: list[str], source: str
) -> str:
    """A `columns:` block for the source: the roles found, a column of dates as the day, a
    header naming a currency as the cost, `"?"` for the others."""
    found = dict(columns)
    if "date" not in found:
        dated = next((c for c in unknown if holds_dates(table, c)), None)
        if dated is not None:
            found["date"] = dated
    if "cost" not in found:  # `Montant dépensé (EUR)`: an amount in a currency
        spent = next((c for c in table.columns if header_currency(c)), None)
        if spent is not None:
            found["cost"] = spent
    lines = [f"      {role}: {_yaml(found[role]) if role in found else ASK}"
             for role in OFFERED[platform]]  # fmt: skip
    return (
        f'name the columns in source `{source}` of kpi.yaml (replace each "?" with the file\'s '
        "header for that role, delete the roles it has none of):\n    columns:\n" + "\n".join(lines)
    )


def check_recognised(
    table: FileTable,
    platform: str,
    columns: dict[str, str],
    provided: set[str],
    source: str,
) -> None:
    """An error when the file's day column, or both its cost and clicks, are unknown headers
    (see the module). `provided`: the variables `map:` gives."""
    unknown = unknown_headers(table.columns, platform)
    if not unknown:
        return
    listed = f"unrecognised headers: {', '.join(unknown)}"
    dated = None if "date" in columns else next((c for c in unknown if holds_dates(table, c)), None)
    if dated is not None:
        raise KpiError(
            f"column `{dated}` holds dates but is not a day column this connector knows, so the "
            f"rows would not be dated ({listed})",
            table.header(dated),
            columns_block(table, platform, columns, unknown, source),
        )
    if "cost" not in columns and "clicks" not in columns and not {"ad_spend", "clicks"} & provided:
        raise KpiError(
            f"no cost or clicks column this connector knows ({listed})",
            table.header(unknown[0]),
            columns_block(table, platform, columns, unknown, source),
        )


def _yaml(text: str) -> str:
    """A header as a YAML value: plain when safe, else double-quoted."""
    if re.fullmatch(r"[^\W\d][^:#\[\]{},\"]*", text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)
