"""The currency of a CRM export's amounts against the workspace's (not a plugin module).

The scan reads the smallest and largest code of the amounts' currency column (HubSpot's
`Currency`, Salesforce's `Amount Currency`, or the column converted amounts were converted to);
only when they name another currency than the workspace's, or two, is the file read again for
where each first appears: a mix is an error (there is no rate table), one foreign currency too.

Amounts converted to the company currency (HubSpot's `Amount in company currency`, Salesforce's
`Amount (converted)`) are in the workspace's unless the sample tells otherwise
(`_check_company_currency`, no pass over the file): when every deal of the sample in another
currency X (with a nonzero amount) has its converted amount equal to its amount as entered, the
company currency is X. Every one, not any one: a deal of 1 at a rate rounding to 1, or a
currency at par with the workspace's (`PAR`), would have equal amounts too. A deal in the
workspace currency whose converted amount differs from its own (beyond rounding) proves the
company currency another one: the amounts as entered are read instead, the scan then checking
that every deal is in the workspace currency (`_check_codes`: an error naming the first deal
that is not, both columns and the currencies). A sample without a deal in the workspace
currency, of a file larger than it, asks the file (one query): the common case, a sample whose
workspace-currency deals have equal amounts, reads nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.tables import run_sql
from kpiengine.sqlgen import quote_ident, quote_text

from ._crm_config import CrmConfig
from ._crm_headers import converted, yaml_text

#: Currencies at par (1:1) with another: their converted amounts equal their own, rightly.
PAR = {
    "USD": ("PAB", "BSD", "BMD"),
    "GBP": ("FKP", "GIP", "SHP"),
    "INR": ("BTN",),
    "SGD": ("BND",),
    "ZAR": ("LSL", "NAD", "SZL"),
}


class CurrencyCodes(CrmConfig):
    """The currency checks of `CrmConnector`."""

    #: converted amounts not in the workspace currency, the entered ones read in their place:
    #: the converted column, where a workspace-currency deal's amounts differ, and how
    _company: tuple[str, Location, str] | None = None

    def _code_note(self) -> str:
        """The words of an error about the amounts' currencies telling that their currency
        column was taken for its cells (no header names it), else ''."""
        column = self._code_column()
        if column is None or column != self._guessed:
            return ""
        return (
            f" (column `{column}` is taken as their currency: its cells are currency codes; "
            "another one is named with `columns: {currency: ...}`)"
        )

    def _entered(self) -> str | None:
        """The column of the amounts as entered, beside converted ones (`Amount` beside
        `Amount in company currency` or `Amount (converted)`; `Betrag` beside `Betrag in
        Firmenwährung`), when both are exported with the currency column; else None."""
        amount = self.columns.get("amount", "")
        if not converted(amount) or "currency" not in self.columns:
            return None
        if "converted_currency" in self.columns:  # named: `_check_codes` reads it
            return None
        head = amount.split(" (")[0].split(" in ")[0].strip()
        found = [c for c in self.layout.columns if c.strip().casefold() == head.casefold()]
        return found[0] if found and found[0] != amount else None

    def _check_company_currency(self) -> None:
        """Converted amounts are in the workspace's currency W (see the module): a deal in W
        whose converted amount differs from its entered one proves they are not, and the
        entered amounts are read instead (`_check_codes` then stops at a deal not in W);
        every deal in another currency X with equal amounts tells the company currency is X."""
        workspace = (self.config.currency or "").upper()
        entered = self._entered()
        if not workspace or entered is None:
            return
        amount, code = self.columns["amount"], self.columns["currency"]
        seen: dict[str, list[bool]] = {}  # currency -> [every amount equal, one differs]
        proof: tuple[str, str] | None = None  # a W deal's (entered, converted) amounts
        for table in self.tables:
            if {amount, code, entered} <= set(table.columns):
                rows = zip(table.cells(code), table.cells(amount), table.cells(entered),
                           strict=True)  # fmt: skip
                for cur, conv, raw in rows:
                    x, value, as_entered = cur.strip().upper(), _number(conv), _number(raw)
                    if not x or not value or as_entered is None:
                        continue
                    state = seen.setdefault(x, [True, False])
                    state[0] = state[0] and value == as_entered
                    if _differ(value, as_entered):
                        state[1] = True
                        if x == workspace and proof is None:
                            proof = (raw.strip(), conv.strip())
        if workspace not in seen and not all(t.complete for t in self.tables):
            seen = self._seen_in_files(amount, code, entered)  # no W deal sampled: the files'
        par = PAR.get(workspace, ())
        found = sorted(x for x, (equal, _) in seen.items() if equal and x not in (workspace, *par))
        if not found:
            if seen.get(workspace, [True, False])[1]:
                self._read_entered(amount, entered, proof)
            return
        x = found[0]
        where: Location = self.layout.header(amount)
        for table in self.tables:
            cell = table.first_cell(
                code,
                f"upper(trim({quote_ident(code)})) = {quote_text(x)} AND "
                f"trim({quote_ident(amount)}) = trim({quote_ident(entered)})",
                _names(x),
                (amount, entered),
            )  # fmt: skip
            if cell is not None:
                where = cell[0]
                break
        raise KpiError(
            f"the amounts of column `{amount}` are in {x}, not the workspace currency "
            f"{workspace}: on every deal whose `{code}` is {x} they equal its `{entered}` (the "
            f"amount as entered), so the amounts were converted to {x}",
            where,
            f"set the workspace `currency: {x}` in kpi.yaml, or export the amounts converted "
            f"to {workspace} (HubSpot's company currency, Salesforce's running user's currency)",
        )

    def _seen_in_files(self, amount: str, code: str, entered: str) -> dict[str, list[bool]]:
        """`_check_company_currency`'s evidence from every row of the files (one query each):
        only when the sample holds no deal in the workspace currency."""
        seen: dict[str, list[bool]] = {}
        conv, raw = (f"TRY_CAST(replace(trim({quote_ident(c)}), ',', '') AS DOUBLE)"
                     for c in (amount, entered))  # fmt: skip
        tolerance = f"greatest(0.01, 0.001 * abs({raw}))"
        for table in self.tables:
            if not {amount, code, entered} <= set(table.columns):
                continue
            text = table.typed(dict.fromkeys([*table.types, amount, code, entered], "VARCHAR"))
            sql = (
                f"SELECT upper(trim({quote_ident(code)})), bool_and({conv} = {raw}), "
                f"bool_or(abs({conv} - {raw}) > {tolerance}) FROM {text.reader()} "
                f"WHERE {text.keep_sql()} AND coalesce({conv}, 0) <> 0 AND {raw} IS NOT NULL "
                f"AND trim({quote_ident(code)}) <> '' GROUP BY 1"
            )
            for x, equal, differs in run_sql(sql, table):
                state = seen.setdefault(str(x), [True, False])
                state[0], state[1] = state[0] and bool(equal), state[1] or bool(differs)
        return seen

    def _read_entered(self, amount: str, entered: str, proof: tuple[str, str] | None) -> None:
        """Read the amounts as entered (every deal in the workspace currency, which the scan's
        codes check) in place of the converted ones, which are in another currency."""
        workspace, code = (self.config.currency or "").upper(), self.columns["currency"]
        where: Location = self.layout.header(amount)
        for table in self.tables:
            cell = table.first_cell(
                code,
                f"upper(trim({quote_ident(code)})) = {quote_text(workspace)} AND "
                f"abs(TRY_CAST(replace(trim({quote_ident(amount)}), ',', '') AS DOUBLE) - "
                f"TRY_CAST(replace(trim({quote_ident(entered)}), ',', '') AS DOUBLE)) > 0.01",
                _names(workspace),
            )  # fmt: skip
            if cell is not None:
                where = cell[0]
                break
        told = f" ({proof[0]} is {proof[1]})" if proof else ""
        self._company = (amount, where, told)
        self.columns = {**self.columns, "amount": entered}

    def _check_codes(self, checks: dict[str, Any]) -> None:
        """The currency column (`_code_column`) names one currency, the workspace's."""
        codes = {c for c in (checks.get("code_min"), checks.get("code_max")) if c}
        workspace = self.config.currency
        if not codes or (len(codes) == 1 and (not workspace or codes == {workspace.upper()})):
            return
        column = self._code_column()
        assert column is not None  # the codes were read from it
        # where each currency first appears; a mix shows where the second one starts
        firsts: list[tuple[int, int, str, Location]] = []
        for code in sorted(codes):
            for index, table in enumerate(self.tables):
                cell = table.first_cell(
                    column, f"upper(trim({quote_ident(column)})) = {quote_text(code)}",
                    _names(code),
                )  # fmt: skip
                if cell is not None:
                    firsts.append((index, cell[0].line or 0, code, cell[0]))
                    break
        if self._company is not None:  # entered amounts read: a deal in another currency
            foreign = [f for f in firsts if f[2] != (workspace or "").upper()]
            self._raise_foreign(min(foreign) if foreign else max(firsts))
        _, _, code, where = max(firsts) if firsts else (0, 0, max(codes), self.layout.header())
        if len(codes) > 1:
            present = [c for c in self.layout.columns if converted(c)]
            raise KpiError(
                f"the amounts of column `{self.columns['amount']}` mix currencies "
                f"({', '.join(sorted(codes))}) and there is no rate table{self._code_note()}",
                where,
                f"read the amounts converted to one currency: column `{present[0]}` "
                f"(`columns: {{amount: {yaml_text(present[0])}}}`)"
                if present
                else "export the amounts in one currency (HubSpot: `Amount in company "
                "currency`, Salesforce: `Amount (converted)`)",
            )
        is_converted = column != self.columns.get("currency")
        raise KpiError(
            f"the amounts of column `{self.columns['amount']}` are in {code} (column `{column}`) "
            f"but the workspace currency is {workspace}{self._code_note()}",
            where,
            "run the report as a user whose currency is the workspace's (Salesforce converts to "
            "the running user's currency), or set the workspace `currency:` to match"
            if is_converted
            else "convert them first, or set the workspace `currency:` to match",
        )

    def _raise_foreign(self, first: tuple[int, int, str, Location]) -> None:
        """A deal in another currency than the workspace's when the converted amounts are
        not in the workspace's either (`_read_entered`): no column has its amount in it."""
        assert self._company is not None
        convert, proof, told = self._company
        workspace, code = (self.config.currency or "").upper(), self.columns["currency"]
        x, at = first[2], f" (line {proof.line})" if proof.line else ""
        raise KpiError(
            f"this deal's `{code}` is {x}: its `{self.columns['amount']}` is in {x} and its "
            f"`{convert}` in a currency other than the workspace currency {workspace} (a "
            f"{workspace} deal's amounts differ{at}{told}): no column has its amount in "
            f"{workspace}",
            first[3],
            f"set the workspace `currency:` to the currency of `{convert}` (HubSpot's company "
            "currency, Salesforce's running user's currency) to read it, or export the amounts "
            f"converted to {workspace}",
        )


def _differ(converted: float, entered: float) -> bool:
    """Whether a converted amount is not its entered one (beyond a rounding)."""
    return abs(converted - entered) > max(0.01, 0.001 * abs(entered))


def _number(text: str) -> float | None:
    """A plain amount cell's value (`1000`, `1,000.50`, `1000.00`), else None."""
    try:
        return float(text.strip().replace(",", ""))
    except ValueError:
        return None


def _names(code: str) -> Callable[[str], bool]:
    """Whether a currency cell names `code`."""
    return lambda text: text.strip().upper() == code
