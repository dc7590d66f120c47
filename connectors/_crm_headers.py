"""The `crm` connector's key columns it does not find (not a plugin module): an export whose
headers the profiles do not know (HubSpot writes them in the user's language; only the English
ones are listed, but for the currency column's, other names being unverified), or whose stage
column was left out, must not be read with its won deals and revenue silently missing.

An error names the file, the headers found and the roles missing, with a `columns:` block to
paste (the roles found filled in, `"?"` for the others), when an export gives none of its
object's variables, or when a deals export has close dates or amounts but no stage (no deal is
won or lost), or stages and amounts but no close date (no closed deal is dated). An export that
simply lacks a column (deals without amounts, a list of open deals by stage) still gives what it
can, as before; so does one whose closed-deal variables are given by `map:`. The block offers
every role the connector reads, the optional ones (currency, id, segments) filled in with their
best guess or commented out.

The amounts' currency column is looked for beyond the profiles' English headers (`currency_column`):
by its name in HubSpot's and Salesforce's UI languages, as the amount column's own (`Betrag
Währung` beside `Betrag`), then by its cells: the one column of ISO 4217 codes is taken (and
named in the errors about currencies), several are an error. A deal amount summed over currencies
is never read silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from kpiengine.errors import KpiError
from kpiengine.fileformats.currency import ISO_CODES
from kpiengine.fileformats.tables import FileTable
from kpiengine.filesource import find

from ._crm_outcome import outcome_columns
from ._crm_tables import CLOSED, CONVERTED_AMOUNTS, DEFAULT_COLUMNS, OBJECT_MARKERS, STAGE_DATES

#: The roles a `columns:` block offers, per object.
OFFERED = {
    "deals": ("stage", "close_date", "create_date", "amount"),
    "contacts": ("create_date", "lifecycle_stage", *STAGE_DATES),
}
#: The optional roles the block offers too, per object: filled in when found or guessed, else
#: commented out (Salesforce deals add their `won` and `closed` flags and converted currency,
#: generic ones the `status` column of won, lost and open beside the stage: `_crm_outcome`).
OPTIONAL = {
    "deals": ("currency", "id", "source", "campaign", "pipeline"),
    "contacts": ("id", "source", "campaign", "churn_date"),
}
SALESFORCE_FLAGS = ("won", "closed", "converted_currency")
#: The value of a role the block cannot fill in (quoted: a plain `?` is not YAML's value).
ASK = '"?"'
#: The deal currency column as HubSpot names it in its UI languages: English, German, French,
#: Spanish, Italian and Dutch, Portuguese, Japanese (its knowledge base names the deal's
#: `Währung`, `Valuta`, `通貨`, `Moneda` property; `Devise`, `Moeda` are the languages' word).
#: Salesforce writes a currency field's code column as the field's label and this word
#: (`Amount Currency`; `Betrag Währung` in German exports), found as the amount's own.
CURRENCY_WORDS = ("Currency", "Währung", "Devise", "Moneda", "Valuta", "Moeda", "通貨")
#: Amount headers naming amounts converted into one currency, beside the profiles' English ones
#: (`CONVERTED_AMOUNTS`): the company currency named (HubSpot's `Betrag in Firmenwährung`,
#: `会社通貨での金額`), or `(converted)` in one of those languages (Salesforce's
#: `Amount (converted)`).
_COMPANY_CURRENCY = re.compile(
    r"company currency|firmenwährung|unternehmenswährung|devise de l'entreprise|"
    r"devise de la société|moneda de la empresa|valuta aziendale|moeda da empresa|"
    r"bedrijfsvaluta|会社通貨"
)
_CONVERTED = re.compile(
    r"\((converted|konvertiert|converti|convertido|convertito|omgerekend|換算)\)"
)
SYSTEM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce", "generic": "generic"}


def check_key_roles(
    table: FileTable,
    system: str,
    object_: str,
    columns: dict[str, str],
    provided: Collection[str],
    mapped: Collection[str],
    source: str,
    detected: bool = False,
) -> None:
    """An error when the export's key columns are not found (see the module). `provided`: the
    variables the roles found give; `mapped`: those `map:` gives; `detected`: the system was
    told by the headers (another CRM's export may look like it: Zoho's like Salesforce's)."""
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
    fix = _block(table, system, object_, columns, source)
    if provided and "stage" in missing:  # a won-deals report may have no stage column
        amount, close = columns.get("amount", "Amount"), columns.get("close_date", "Close Date")
        fix += (
            "\n  an export of won deals only, without stages: give its variables with `map:` "
            f"instead, e.g. `revenue: {{column: {yaml_text(amount)}, date: {yaml_text(close)}}}`"
        )
    if detected and system != "generic":
        fix += (
            f"\n  not a {label} export (its headers looked like one)? another CRM's export is "
            "read with `system: generic`"
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


def check_object(table: FileTable, system: str, source: str) -> None:
    """An error when no header tells the export's object (headers in another language): its
    headers, each object's roles missing, and a block to paste for each (an `object:` alone
    would only lead to the next error, the roles missing)."""
    have = {c.strip().casefold() for c in table.columns}
    if any(m.casefold() in have for marks in OBJECT_MARKERS.values() for m in marks):
        return  # told, or two objects alike: `CrmConfig._detect`
    found = {o: {r: c for r, names in DEFAULT_COLUMNS[(system, o)].items()
                 if (c := find(table, names))} for o in OFFERED}  # fmt: skip
    missing = {o: [r for r in OFFERED[o] if r not in found[o]] for o in OFFERED}
    blocks = [_block(table, system, o, found[o], source, o, lead=o == "deals") for o in OFFERED]
    raise KpiError(
        f"source `{source}`: cannot tell whether {table.name} is an export of deals or of "
        f"contacts: it has no column this connector knows as a deals export's "
        f"{_roles(missing['deals'])}, nor as a contacts export's {_roles(missing['contacts'])} "
        f"(headers: {', '.join(table.columns)})",
        table.header(),
        blocks[0] + "\n  or, for an export of contacts (leads):\n" + blocks[1],
    )


def _block(
    table: FileTable, system: str, object_: str, columns: dict[str, str], source: str,
    object_line: str = "",
    lead: bool = True,
) -> str:  # fmt: skip
    """The fix naming the columns (see the module); `object_line`: the `object:` it sets;
    `lead`: with the words saying what to do (else the YAML alone)."""
    lines = [
        f"      {role}: {yaml_text(columns[role]) if role in columns else ASK}"
        for role in OFFERED[object_]
    ]
    optional = OPTIONAL[object_] + (SALESFORCE_FLAGS if (system, object_) == (
        "salesforce", "deals") else ())  # fmt: skip
    if (system, object_) == ("generic", "deals"):  # won | lost | open beside the stage
        optional += ("status",)
    if (system, object_) == ("salesforce", "contacts"):  # a lead's `Converted` flag
        optional += ("converted",)
    taken = set(columns.values())
    for role in optional:
        if role in columns:
            lines.append(f"      {role}: {yaml_text(columns[role])}")
            continue
        guess, why = _guess(table, role, taken)
        if guess:
            lines.append(f"      {role}: {yaml_text(guess)}  # guessed: {why}")
        else:
            lines.append(f"      # {role}: {ASK}{f'  # {why}' if why else ''}")
    what = "set the object and name" if object_line else "name"
    head = f"    object: {object_line}\n" if object_line else ""
    if not lead:
        return f"{head}    columns:\n" + "\n".join(lines)
    return (
        f'{what} the columns in source `{source}` of kpi.yaml (replace each "?" with the '
        "file's header for that role, delete the roles it has none of; check the guesses, "
        f"uncomment the optional roles it has):\n{head}    columns:\n" + "\n".join(lines)
    )


def _guess(table: FileTable, role: str, taken: set[str]) -> tuple[str | None, str]:
    """A role's likely column among those not `taken`, and why (or why none is guessed)."""
    if role == "currency":
        codes = code_columns([table], taken)
        if len(codes) == 1:
            return codes[0], "its cells are currency codes"
        return None, f"one of {', '.join(codes)} (cells of currency codes)" if codes else ""
    if role == "status":
        found = outcome_columns([table], taken)
        return (found[0], "its cells say won, lost or open") if found else (None, "")
    if role == "id":
        for column in table.columns:
            words = re.findall(r"[^\W_]+", column.casefold())
            cells = [c.strip() for c in table.cells(column)]
            if (
                column not in taken
                and ("id" in words or column.endswith("ID"))
                and cells
                and all(cells)
                and len(set(cells)) == len(cells)
            ):
                return column, "one value per row"
    return None, ""


def converted(amount: str) -> bool:
    """Whether an amount column's header names amounts converted into one currency."""
    lowered = amount.strip().casefold()
    return (
        lowered in CONVERTED_AMOUNTS
        or bool(_COMPANY_CURRENCY.search(lowered))
        or bool(_CONVERTED.search(lowered))
    )


def code_columns(tables: list[FileTable], taken: Collection[str]) -> list[str]:
    """The columns, but those `taken`, whose sampled cells are all ISO 4217 codes as written
    (upper case), at least one: a column naming each row's currency."""
    out = []
    for column in tables[0].columns:
        if column in taken:
            continue
        cells = (c.strip() for t in tables if column in t.columns for c in t.cells(column))
        found = False
        for cell in cells:  # most columns stop at their first cell
            if cell and cell not in ISO_CODES:
                break
            found = found or bool(cell)
        else:
            if found:
                out.append(column)
    return out


def currency_column(
    tables: list[FileTable], columns: dict[str, str], source: str
) -> tuple[str, str, bool] | None:
    """The role (`currency`, or `converted_currency` for converted amounts), column and whether
    it was guessed from its cells, of the amounts' currency column that the profile's headers
    and `columns:` leave unnamed (see the module); None when the amounts have one or none."""
    amount = columns.get("amount")
    if not amount:
        return None
    role = "converted_currency" if converted(amount) else "currency"
    if role in columns:
        return None
    layout = tables[0]
    taken = set(columns.values())
    stem = amount.strip().casefold()
    for column in layout.columns:  # the amount's own: `Amount Currency`, `Betrag Währung`
        rest = column.strip().casefold()
        if column not in taken and rest.startswith(stem):
            word = rest[len(stem) :].strip(" -_:")
            if word in {w.casefold() for w in CURRENCY_WORDS}:
                return role, column, False
    if role == "converted_currency":
        return None  # the deals' own currencies do not matter, nor tell the converted one
    codes = code_columns(tables, taken)
    if len(codes) > 1:
        raise KpiError(
            f"source `{source}`: {layout.name} has {len(codes)} columns of currency codes "
            f"beside the amounts of column `{amount}` ({', '.join(f'`{c}`' for c in codes)}): "
            "which one names their currency is not known",
            layout.header(codes[0]),
            "name it in the source's `columns:` of kpi.yaml, e.g. "
            f"`currency: {yaml_text(codes[0])}`",
        )
    return ("currency", codes[0], True) if codes else None


def yaml_text(text: str) -> str:
    """A header as a YAML value: plain when safe, else double-quoted."""
    if re.fullmatch(r"[^\W\d][^:#\[\]{},\"]*", text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)
