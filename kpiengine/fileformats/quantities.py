"""What a number cell should be: what its column holds (amounts, counts, rates), the cells
that break it, and why a cell the grammar rejects is no number (`expected`).

The number grammar reads a percentage (`45%` = 0.45) and a currency mark (`€45` = 45 euros) in
any cell. A column whose reader knows what it holds (`cellreader.Reader.quantity`) refuses the
cells that say something else, so that they are errors at their `file:line:column`, never a
number silently taken for another:
- `amount` (money): no percent sign; a currency mark is read (and checked by the scan);
- `count` (clicks, orders, conversions) and `plain` (an average): neither a percent sign nor a
  currency mark; fractions are read (data-driven attribution writes `12.5` conversions);
- `rate` (a fraction or a percentage): no currency mark;
- `""`: anything the grammar reads.
Such cells are not read by DuckDB's own cast, so the test runs on the grammar's path only (and
the second tier's patterns leave out what a quantity refuses): no cost for a clean cell.
"""

from __future__ import annotations

import re

from .sql import GAP, WHITESPACE, char_class, full_regex, quote_text

__all__ = ["QUANTITIES", "expected", "marked", "marked_sql", "reads", "refusal", "refused_sql"]

#: quantity -> (what a cell should be, what the column holds, percent read, currency read)
QUANTITIES: dict[str, tuple[str, str, bool, bool]] = {
    "": ("a number", "numbers", True, True),
    "amount": ("an amount", "amounts", False, True),
    "count": ("a count", "counts", False, False),
    "plain": ("a number", "plain numbers", False, False),
    "rate": ("a rate (a fraction or a percentage)", "rates", True, False),
}

#: Every character a cell the grammar reads may hold but for a currency mark's (after
#: `numbers.normalize`): a read cell holding another one shows a currency mark.
_UNMARKED = char_class("0123456789.,\u066b\u066c'\u2019-+()%eE" + WHITESPACE + GAP, negate=True)


def reads(quantity: str) -> tuple[bool, bool]:
    """(whether a percentage is read, whether a currency mark is) in a column of `quantity`."""
    if quantity not in QUANTITIES:
        raise ValueError(f"a number column holds one of {sorted(QUANTITIES)}, not {quantity!r}")
    return QUANTITIES[quantity][2], QUANTITIES[quantity][3]


def marked(normal: str) -> bool:
    """Whether a cell the grammar reads (`numbers.normalize`d) shows a currency mark."""
    return full_regex(_UNMARKED).search(normal) is not None


def marked_sql(text: str) -> str:
    """SQL for `marked` of SQL text."""
    return f"regexp_matches({text}, {quote_text(_UNMARKED)})"


def refusal(quantity: str, normal: str, currency: str | None) -> tuple[str, str] | None:
    """(what was expected, the fix) when a cell the grammar reads (`normal`: normalized; the
    currency it records) breaks its column's quantity; None when it does not."""
    percent_ok, currency_ok = reads(quantity)
    expected, holds = QUANTITIES[quantity][:2]
    if not percent_ok and "%" in normal:
        return (
            f"{expected}: a percentage in a column of {holds}",
            "write the value itself without `%`; a percentage belongs in a column of rates "
            "(a variable of unit `ratio`)",
        )
    if not currency_ok and marked(normal):
        return (
            f"{expected}: an amount{f' in {currency}' if currency else ''} in a column of {holds}",
            "write the number without its currency; amounts belong in a column of money "
            "(a variable of unit `currency`)",
        )
    return None


def refused_sql(quantity: str, text: str) -> str | None:
    """SQL true where a cell the grammar reads (SQL text, normalized) breaks the quantity;
    None when the quantity refuses nothing."""
    percent_ok, currency_ok = reads(quantity)
    tests = [] if percent_ok else [f"contains({text}, '%')"]
    tests += [] if currency_ok else [marked_sql(text)]
    return f"({' OR '.join(tests)})" if tests else None


# Excel's and Google Sheets' (`#ERROR!`; `Loading...`: downloaded before the sheet computed)
_SPREADSHEET_ERROR = re.compile(
    r"#(?:DIV/0!|N/A|REF!|VALUE!|NAME\?|NUM!|NULL!|SPILL!|CALC!|ERROR!)|LOADING(?:\.\.\.|…)"
)
_DATE_LIKE = re.compile(r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}")
_RANGE = re.compile(r"[0-9.,]+\s*[-–—~]\s*[0-9.,]+")
_ABBREVIATED = re.compile(r"[-+]?[0-9.,]+\s*[kKmMbB]")


def expected(text: str, decimal: str) -> str:
    """What a rejected cell should have been, with the reason when it is a common one."""
    plain = text.strip()
    example = "-1,234.50" if decimal == "." else "-1.234,50"
    base = f"a number (decimal mark `{decimal}`, e.g. `{example}`, `45.6%`, `€12`)"
    if _SPREADSHEET_ERROR.fullmatch(plain.upper()):
        return f"{base}: it is a spreadsheet error value"
    if _DATE_LIKE.fullmatch(plain):
        return f"{base}: it looks like a date"
    if _RANGE.fullmatch(plain):
        return f"{base}: it looks like a range"
    if _ABBREVIATED.fullmatch(plain):
        return f"{base}: abbreviations such as `k` are not read"
    return base
