"""The currency of a CRM export's amounts against the workspace's (not a plugin module).

The scan reads the smallest and largest code of the amounts' currency column (HubSpot's
`Currency`, Salesforce's `Amount Currency`, or the column converted amounts were converted to);
only when they name another currency than the workspace's, or two, is the file read again for
where each first appears: a mix is an error (there is no rate table), one foreign currency too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpiengine.errors import KpiError, Location
from kpiengine.sqlgen import quote_ident, quote_text

from ._crm_config import CrmConfig


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


def _names(code: str) -> Callable[[str], bool]:
    """Whether a currency cell names `code`."""
    return lambda text: text.strip().upper() == code
