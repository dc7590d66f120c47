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
from typing import Any

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
    return _sampled_dates(table, column) is not None


def _sampled_dates(table: FileTable, column: str) -> list[Any] | None:
    """The sampled dates of a column, None when its cells are not dates."""
    cells = [c.strip() for c in table.cells(column, 50) if c.strip() not in ("", "--")]
    if not cells or all(re.fullmatch(r"[-+]?[\d.,\s]+%?", c) for c in cells):
        return None
    try:
        fmt = detect_date_format(cells, column=column)
        days = [fmt.read(c, weekday=False) for c in cells]
    except (KpiError, CellError, ValueError):
        return None
    return None if any(d is None for d in days) else days


def weekly(table: FileTable, column: str) -> bool:
    """Whether a column's sampled dates are several, all on one weekday (weeks, likely)."""
    days = set(_sampled_dates(table, column) or ())
    return len(days) > 1 and len({d.weekday() for d in days}) == 1


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
    # a column of weeks' first days is named as such (`week: 週`: `_ads_weeks`)
    week = "date" in found and "date" not in columns and weekly(table, found["date"])
    lines = [f"      {'week' if role == 'date' and week else role}: "
             f"{_yaml(found[role]) if role in found else ASK}"
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
    # a metric under a header the profile does not know (`Clicks (destination)`), its role
    # left without a column: it would be dropped, and a KPI needing it fail without its name
    counted = {"cost": "ad_spend", "clicks": "clicks", "impressions": "impressions"}
    lost = [c for c in unknown if counted.get(metric_role(c) or "", "-") not in provided
            and metric_role(c) in counted and metric_role(c) not in columns]  # fmt: skip
    if lost:
        metrics = [c for c in unknown if metric_role(c)]
        found = dict(columns) | {str(metric_role(c)): c for c in reversed(lost)}
        raise KpiError(
            f"column `{lost[0]}` looks like the {metric_role(lost[0])} but is not a header "
            f"this connector knows for {platform} (unrecognised metric headers: "
            f"{', '.join(metrics)})",
            table.header(lost[0]),
            columns_block(table, platform, found, unknown, source),
        )


#: Words of an unknown header that say which metric it counts (lowercase), and of rates.
_METRIC_WORDS = {
    "cost": ("cost", "spend", "spent", "kosten", "coût", "coste", "costo", "custo"),
    "clicks": ("click", "klick", "clic", "klik"),
    "impressions": ("impression", "impr"),
    "conversions": ("conversion", "lead", "purchase"),
    "conversion_value": ("value", "revenue", "wert", "valeur", "valor"),
}
#: Meta's amount spent in its interface's languages: an amount, whatever `valor` says.
_SPENT = ("betrag", "dépensé", "montant", "gastado", "importe", "importo speso", "valor usado",
          "valor gasto", "uitgegeven bedrag")  # fmt: skip
#: Rates (a cost per X, CPC, CPM, CTR, averages) in the languages of the words above: never an
#: amount or a count, whatever else their header says (`Kosten pro Ergebnis`).
_RATES = ("ctr", "cpc", "cpm", "cpa", "cvr", "rate", "cost per", "avg", "average", "/", "%", "roas",
          "taux", "tasa", "tasso", "taxa", "quote", "durchschn", "moy", "prom.", "méd", "gem.",
          "medio", "média")  # fmt: skip
_RATE_WORDS = re.compile(r"\b(?:pro|par|pour|por|per|je|coste por|custo por)\b")
#: Meta's `Results` (each campaign's own objective's: kinds that may differ) in any language:
#: never offered as conversions (`_ads_profiles.RESULTS`, read with their kind checked).
_RESULTS = ("result", "ergebnis", "résultat", "resultado", "risultat", "resultaat")
_VARIABLES = {"cost": "ad_spend", "conversion_value": "ad_revenue"}


def metric_role(header: str) -> str | None:
    """The metric an unknown header counts by its words (`Clicks (destination)`: clicks;
    `Total Spent`: cost), None for a rate (`CPC (destination)`) or another header."""
    name = header.strip().lower()
    if any(r in name for r in _RATES) or _RATE_WORDS.search(name):
        return None
    if any(w in name for w in _SPENT):
        return "cost"  # `Valor usado (EUR)`: spent, not a conversion value
    if any(w in name for w in _RESULTS):
        return None  # results of kinds that may differ: not conversions
    if any(w in name for w in _METRIC_WORDS["conversion_value"]):
        return "conversion_value"  # `Conversion value`: a value, not conversions
    return next((role for role, words in _METRIC_WORDS.items() if any(w in name for w in words)),
                None)  # fmt: skip


def metric_headers(table: FileTable, platform: str | None) -> list[str]:
    """The headers the platform's profile (any, when None) does not know that name a metric."""
    known = _KNOWN[platform] if platform else frozenset().union(*_KNOWN.values())
    return [c for c in table.columns
            if c.strip().lower() not in known and metric_role(c)]  # fmt: skip


def unrecognised(table: FileTable, source: str) -> KpiError:
    """The error of an export no profile fits (TikTok, LinkedIn, ...): which platform it is
    is not claimed; the routes are the `csv` connector with `map:`, or `platform:` with
    `columns:`. The metric headers the profiles do not know are listed."""
    unknown = metric_headers(table, None)
    listed = f"; headers no profile knows: {', '.join(unknown)}" if unknown else ""
    date = next((c for c in table.columns if holds_dates(table, c)), None) or next(
        (c for c in table.columns if re.search(r"\b(date|day)\b", c, re.IGNORECASE)), None
    )
    roles: dict[str, str] = {}  # each metric's first column, known or not
    for column in table.columns:
        role = metric_role(column)
        if role:
            roles.setdefault(role, column)
    mapped = ", ".join(f"{_VARIABLES.get(r, r)}: {_yaml(c)}" for r, c in roles.items())
    example = f"`connector: csv` with `date: {_yaml(date)}` and `map: {{{mapped}}}`" if (
        date and mapped) else "`connector: csv` with `date:` and `map:`"  # fmt: skip
    return KpiError(
        "this export is not recognised: its headers are not those of a Microsoft Advertising, "
        f"a Google Ads or a Meta Ads export, the platforms the `ads` connector reads{listed} "
        f"(columns: {', '.join(table.columns)})",
        table.header(table.columns[0]),
        f"read it with the `csv` connector, naming each variable's column: {example} in source "
        f"`{source}`; or, if it is an export of one of those platforms, set `platform: "
        "google_ads` (or `meta_ads`, `microsoft_ads`) and name its columns with `columns:`",
    )


def _yaml(text: str) -> str:
    """A header as a YAML value: plain when safe, else double-quoted."""
    if re.fullmatch(r"[^\W\d][^:#\[\]{},\"]*", text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)
