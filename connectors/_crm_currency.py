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
currency at par with the workspace's (`PAR`), would have equal amounts too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.sqlgen import quote_ident, quote_text

from ._crm_config import CrmConfig
from ._crm_headers import converted

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
        """Converted amounts are not in a currency X other than the workspace's: every sampled
        deal in X (a nonzero amount) with its converted amount equal to its entered one tells
        the company currency is X (see the module)."""
        workspace = (self.config.currency or "").upper()
        entered = self._entered()
        if not workspace or entered is None:
            return
        amount, code = self.columns["amount"], self.columns["currency"]
        same: dict[str, bool] = {}
        for table in self.tables:
            if not {amount, code, entered} <= set(table.columns):
                continue
            rows = zip(table.cells(code), table.cells(amount), table.cells(entered), strict=True)
            for cur, conv, raw in rows:
                x, value = cur.strip().upper(), _number(conv)
                if x in ("", workspace) or x in PAR.get(workspace, ()) or not value:
                    continue
                same[x] = same.get(x, True) and value == _number(raw)
        found = sorted(x for x, equal in same.items() if equal)
        if not found:
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
        _, _, code, where = max(firsts) if firsts else (0, 0, max(codes), self.layout.header())
        if len(codes) > 1:
            raise KpiError(
                f"the amounts of column `{self.columns['amount']}` mix currencies "
                f"({', '.join(sorted(codes))}) and there is no rate table{self._code_note()}",
                where,
                "export the amounts in one currency (HubSpot: `Amount in company currency`, "
                "Salesforce: `Amount (converted)`)",
            )
        converted = column != self.columns.get("currency")
        raise KpiError(
            f"the amounts of column `{self.columns['amount']}` are in {code} (column `{column}`) "
            f"but the workspace currency is {workspace}{self._code_note()}",
            where,
            "run the report as a user whose currency is the workspace's (Salesforce converts to "
            "the running user's currency), or set the workspace `currency:` to match"
            if converted
            else "convert them first, or set the workspace `currency:` to match",
        )


def _number(text: str) -> float | None:
    """A plain amount cell's value (`1000`, `1,000.50`, `1000.00`), else None."""
    try:
        return float(text.strip().replace(",", ""))
    except ValueError:
        return None


def _names(code: str) -> Callable[[str], bool]:
    """Whether a currency cell names `code`."""
    return lambda text: text.strip().upper() == code
