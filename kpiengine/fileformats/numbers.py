"""The one number grammar: cells as spreadsheets, locales and ad platforms write numbers.
(A little longer than 420 lines: the grammar and its SQL are one definition.)

A cell is read with its column's decimal mark, `.` or `,` (`decimals.guess_decimal`). Accepted, and
nothing else:
- digits with that decimal mark (`12.5`, `.5`, `5.`); Arabic `٫` is always a decimal mark;
- thousands grouped by the other mark, a space (normal, no-break, narrow no-break, thin,
  figure), an apostrophe (`'`, `’`) or Arabic `٬`, one kind per number, in groups of three
  after a first group of one to three digits not starting with 0 (`1,234,567`, `1 234,5`,
  `1'234.50`); with `.` as the decimal mark also Indian lakhs (`1,23,45,678`);
- Persian, Arabic-Indic and full-width digits, read as ASCII digits; bidirectional marks
  (LRM, RLM, ALM, isolates, embeddings: CLDR's `fa` minus is LRM and U+2212) ignored;
- one sign, `-`/`+` before or `-` after (`1234-`, `1.234,50- €`), U+2212 and other minus
  look-alikes as `-`; or accounting parentheses (`(1,200)` = -1200, `$ (1,200)`); `$ -`, `- €`: 0;
- one percent sign before or after (`45.6%` = 0.456, `%45`, `٪`), or else one currency mark
  before or after (`US$50.00`, `1.234,50 €`, `EUR 12`), recorded (see `currency`);
- scientific notation on an ungrouped number with at most a leading sign (`1e3`, `1.2E-05`,
  `1e0005`: any number of exponent digits, as Python and DuckDB read them).
Anything else is an error naming the cell: `5k`, `1-2`, `2024-01-15`, `#DIV/0!`, `1,2,3`, `inf`.
Missing cells (`missing.MISSING`) read as NaN. Numbers beyond a float's range are errors. A
column may refuse percentages or currencies by what it holds (`quantities`: amounts, counts).

One definition gives both readers (`sql.Rewrite`): the exact regex of valid cells, and a
rewrite of a valid cell into decimal text (`-1234.5e0`, `45.6e-2` for `45.6%`) that Python's
`float` and DuckDB's `CAST(... AS DOUBLE)` both round correctly to the same double. Not Babel's:
its parser accepts what this grammar rejects (`1,2,3`) and has no SQL side.

The SQL is built for large files (`number_sql`): DuckDB's own `TRY_CAST` first, which reads most
cells of an export, guarded where it accepts more than the grammar (`inf`, `nan`, `1_000`, `.`
as a thousands mark when the decimal mark is `,`, two signs `+-5`); the grammar only for the
cells it rejects.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .columntypes import type_kind
from .currency import currency_marks, recorded
from .missing import is_missing, missing_sql
from .quantities import expected, reads, refusal, refused_sql
from .sql import (
    GAP,
    WHITESPACE,
    CellError,
    Rewrite,
    alternatives,
    anchored,
    bind_sql,
    char_class,
    column_sql,
    full_regex,
    literal,
    quote_text,
)

__all__ = [
    "DECIMALS",
    "NO_CURRENCY_SQL",
    "PERCENT_SIGNS",
    "Number",
    "NumberError",
    "bad_number_sql",
    "currency_sql",
    "fast_sql",
    "grammar",
    "normalize",
    "normalize_sql",
    "number_sql",
    "parse_number",
    "read_number",
]

DECIMALS = (".", ",")
#: `currency_sql` of a typed number column: it records no currency.
NO_CURRENCY_SQL = "CAST(NULL AS VARCHAR)"
NumberError = CellError  # the error of a cell that is not a number

# Characters read as others before the grammar applies (Python's `str.translate`, DuckDB's
# `translate`): other digits, minus and plus look-alikes, full-width marks.
_FROM, _TO = zip(
    *[(chr(base + i), str(i)) for base in (0x06F0, 0x0660, 0xFF10) for i in range(10)],
    *[(c, "-") for c in "\u2212\u2012\u2010\ufe63\uff0d"],
    *zip("\uff0b\u066a\uff05\uff0c\uff0e\uff04\uffe5\uffe1\uff08\uff09", "+%%,.$¥£()", strict=True),
    strict=True,
)
#: Bidirectional marks (CLDR writes `fa` minus as LRM and U+2212, `ar` percent as `٪` and ALM),
#: isolates and embeddings: deleted wherever they sit (DuckDB's `translate` deletes the
#: characters of its second argument beyond the third's).
BIDI_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
FROM_CHARS, TO_CHARS = "".join(_FROM), "".join(_TO)
_TRANSLATE = str.maketrans(FROM_CHARS, TO_CHARS, BIDI_MARKS)
_SPACES = "\u0020\u00a0\u2007\u2009\u202f"
#: The percent signs a cell may carry (ASCII, full-width, Arabic).
PERCENT_SIGNS = "%\uff05\u066a"
_ARABIC_DECIMAL, _ARABIC_GROUP = "\u066b", "\u066c"


@dataclass(frozen=True)
class Number:
    """A cell read: its value (NaN when missing), the currency it shows, if a percentage."""

    value: float
    currency: str | None = None
    percent: bool = False


def normalize(text: str) -> str:
    """`text` with other digits, minus signs and full-width marks written as ASCII, without
    bidirectional marks (`BIDI_MARKS`)."""
    return text.translate(_TRANSLATE)


def normalize_sql(col: str) -> str:
    """SQL for `normalize`: DuckDB's `translate` is slow, so only cells that need it take it."""
    chars = FROM_CHARS + BIDI_MARKS
    translated = f"translate({col}, {quote_text(chars)}, {quote_text(TO_CHARS)})"
    needs = f"regexp_matches({col}, {quote_text(char_class(chars))})"
    return f"(CASE WHEN {needs} THEN {translated} ELSE {col} END)"


def _check_decimal(decimal: str) -> None:
    if decimal not in DECIMALS:
        raise ValueError(f"the decimal mark must be '.' or ',', not {decimal!r}")


def _separators(decimal: str) -> str:
    return ("," if decimal == "." else ".") + "'\u2019" + _ARABIC_GROUP + _SPACES


def _marks(loose: bool) -> str:
    """The currency marks: listed; or (`loose`) Latin letters and currency signs as a class and
    other scripts' marks listed, a pattern DuckDB's capturing matcher runs several times faster
    than one listing 200 marks or a class of many scripts' letters."""
    if not loose:
        return alternatives([literal(m) for m in currency_marks()])
    chars: set[str] = set()
    words: list[str] = []
    for mark in currency_marks():
        if all(ord(c) < 0x250 or unicodedata.category(c) == "Sc" for c in mark):
            chars.update(mark)
        else:
            words.append(literal(mark))
    return "(?:" + "|".join([char_class("".join(sorted(chars))) + "{1,4}", *words]) + ")"


def _integer(decimal: str) -> str:
    """Digits, grouped by any separator (`_mixed` rejects two kinds in a number) or not."""
    groups = f"(?:{char_class(_separators(decimal))}[0-9]{{3}})+"
    integer = [f"[1-9][0-9]{{0,2}}{groups}", "[0-9]+"]
    if decimal == ".":
        integer.insert(1, "[1-9][0-9]?(?:,[0-9]{2})+,[0-9]{3}")  # lakhs: 1,23,45,678
    return "(?:" + "|".join(integer) + ")"


def _exact(decimal: str) -> str:
    """The regex of a valid cell's shape (after `normalize`). A currency mark is any word of
    the marks' letters (`_mark_ok` checks it is one), a thousands separator any of them
    (`_mixed` rejects two kinds): smaller than one listing 200 marks, for DuckDB to compile."""
    g, ws = char_class(GAP) + "*", char_class(WHITESPACE) + "*"
    dec = char_class(decimal + _ARABIC_DECIMAL)
    number = f"(?:{_integer(decimal)}(?:{dec}[0-9]*)?|{dec}[0-9]+)"
    mantissa = f"(?:[0-9]+(?:{dec}[0-9]*)?|{dec}[0-9]+)"
    cur = _marks(loose=True)
    marked = f"(?:(?:{cur}{g}|%{g})?{number}|{number}{g}(?:{cur}|%))"  # one mark at most
    shapes = [
        f"(?:[-+]{g})?{marked}",  # 5  -5  -$5  -5 €  -5%  %5
        f"{cur}{g}[-+]{g}{number}",  # $-5
        f"{marked}{g}-",  # 5-  $5-  5%-
        f"{number}{g}-{g}{cur}",  # 1.234,50- €
        f"{cur}{g}-|-{g}{cur}",  # $ -  - €: an accounting format's zero
        f"\\({g}{marked}{g}\\)",  # (5)  ($5)  (5%)
        f"{cur}{g}\\({g}{number}{g}\\)|\\({g}{number}{g}\\){g}{cur}",  # $ (5)  (5) €
        f"(?:[-+]{g})?{mantissa}[eE][-+]?[0-9]+",  # -1.2E-05
    ]
    return f"{ws}(?:{'|'.join(shapes)}){ws}"


def _mixed(decimal: str) -> str:
    """A pattern found in a number with two kinds of thousands separators (`1,234 567`)."""
    separators = _separators(decimal)
    return "|".join(
        f"[0-9]{literal(s)}[0-9]{{3}}{char_class(separators.replace(s, ''))}[0-9]"
        for s in separators
    )


def _loose(decimal: str, capture: str) -> str:
    """A regex matching every valid cell, capturing (`capture`) the parts of its value:
    1 `(` or a sign, 2 `(` or a sign after a mark, 3 leading %, 4 integer, 5 fraction, 6 exponent,
    7 trailing %, 8-9 `-` before or after a trailing mark (nine: DuckDB has no `\\10`); or
    (`capture="currency"`) 1-2 the currency mark before or after."""

    def group(pattern: str, part: str) -> str:
        return f"({pattern})" if part == capture else f"(?:{pattern})"

    g, ws = char_class(GAP) + "*", char_class(WHITESPACE) + "*"
    cur = _marks(loose=True)
    return (
        f"{ws}(?:{group('[-+(]', 'value')}{g})?"
        f"(?:{group(cur, 'currency')}{g})?(?:{group('[-+(]', 'value')}{g})?"
        f"(?:{group('%', 'value')}{g})?{group(_integer(decimal) + '|', 'value')}"
        f"(?:{char_class(decimal + _ARABIC_DECIMAL)}{group('[0-9]*', 'value')})?"
        f"(?:[eE]{group('[-+]?[0-9]+', 'value')})?(?:{g}{group('%', 'value')})?"
        f"(?:{g}{group('-', 'value')})?(?:{g}[)])?(?:{g}{group(cur, 'currency')})?"
        f"(?:{g}{group('-', 'value')})?(?:{g}[)])?{ws}"
    )


@lru_cache(maxsize=4)
def grammar(decimal: str) -> tuple[Rewrite, Rewrite]:
    """(value, currency) rewrites of a cell, for the decimal mark `decimal`.

    The value's decimal text: signs and `(` first (`(` becomes `-`), the integer without its
    separators, `.`, the fraction, `e` and the exponent, `0` without one, `-2` for a percentage.
    `|` marks where the exponent ends, `p` the decimal point while the separators go (one of
    them may be `.`); a sign without digits (`-pe|`) is an accounting zero (`$ -`).
    """
    _check_decimal(decimal)
    fixups = (("(", "-"), ("-pe|", "0pe|"), ("p", "."), ("e|%", "e-2"), ("e|", "e0"), ("|", ""))
    exact, mixed = _exact(decimal), _mixed(decimal)
    template = r"\1\2\8\9\4p\5e\6|\3\7"
    value = Rewrite(exact, _loose(decimal, "value"), template, fixups, mixed, _separators(decimal))
    currency = Rewrite(exact, _loose(decimal, "currency"), r"\1\2", (), mixed)
    return value, currency


#: A letter or sign that a currency mark has: a cell without one has no mark to check.
_MARK_CHARS = char_class("".join(sorted({c for m in currency_marks() for c in m})))


@lru_cache(maxsize=4)
def _marked(decimal: str) -> str:
    """The pattern of a cell, already of a number's shape, whose currency mark is one: a
    real mark before the number (after a sign or `(`) or after it; or no mark, an exponent
    (`1E5` has a letter of `EUR`). The automaton checks it fast, with no capture."""
    g, ws = char_class(GAP) + "*", char_class(WHITESPACE) + "*"
    marks, digit = _marks(loose=False), char_class("0123456789" + decimal + _ARABIC_DECIMAL)
    return (
        f"{ws}(?:[-+(]{g})?{marks}{g}(?:[-+(]{g})?{digit}.*"
        f"|.*{digit}{g}(?:[-)]{g})?{marks}(?:{g}[-)])?{ws}"
        f"|{ws}{marks}{g}-{ws}|{ws}-{g}{marks}{ws}"
        f"|{ws}(?:[-+]{g})?[0-9.,{_ARABIC_DECIMAL}]+[eE][-+]?[0-9]+{ws}"
    )


def _mark_ok(normal: str, decimal: str) -> bool:
    if full_regex(_MARK_CHARS).search(normal) is None:
        return True
    return full_regex(_marked(decimal)).fullmatch(normal) is not None


def _mark_sql(text: str, decimal: str) -> str:
    """SQL for `_mark_ok`."""
    return (
        f"(NOT regexp_matches({text}, {quote_text(_MARK_CHARS)}) OR "
        f"regexp_full_match({text}, {quote_text(anchored(_marked(decimal)))}))"
    )


def read_number(text: str, decimal: str, quantity: str = "") -> Number:
    """A cell read with the decimal mark `decimal`: value, currency, whether a percentage.

    Raises NumberError (a `CellError`) naming the cell and what was expected; also for a
    percentage or a currency its column's `quantity` refuses (`quantities`).
    """
    value_rewrite, currency_rewrite = grammar(decimal)
    if is_missing(text):
        return Number(math.nan)
    normal = normalize(str(text))
    decimal_text = value_rewrite.py(normal)
    if decimal_text is None or not _mark_ok(normal, decimal):
        raise NumberError(str(text), expected(str(text), decimal))
    mark = currency_rewrite.py(normal)
    value = float(decimal_text)
    if not math.isfinite(value):
        raise NumberError(str(text), "a number within a float's range")
    currency = recorded(mark) if mark else None
    if quantity and (refused := refusal(quantity, normal, currency)):
        raise NumberError(str(text), *refused)
    return Number(value, currency, "%" in normal)


def parse_number(text: str, decimal: str) -> float:
    """The value of a cell (NaN when missing); see `read_number`."""
    return read_number(text, decimal).value


# --- SQL ------------------------------------------------------------------------------------


def fast_sql(column: str, decimal: str) -> str:
    """SQL true where DuckDB's cast reads a text cell as the grammar does, but for a second
    sign (see `number_sql`): such a cell has no percent sign. The same text as in
    `number_sql` and `currency_sql`, so that DuckDB computes it once per cell."""
    return _fast_sql(column_sql(column), decimal)[0]


def _fast_sql(col: str, decimal: str) -> tuple[str, str]:
    """(condition, value): the cells DuckDB's own cast reads as the grammar does, but for a
    second sign (`+-5`: see `number_sql`). DuckDB computes the two once per cell, shared by
    `number_sql` and `currency_sql`: keep them the same text in both."""
    if decimal == ".":
        cast = f"TRY_CAST({col} AS DOUBLE)"
        return f"(isfinite({cast}) AND NOT contains({col}, '_'))", cast
    cast = f"TRY_CAST(replace({col}, ',', '.') AS DOUBLE)"
    guard = f"NOT contains({col}, '.') AND NOT contains({col}, '_')"
    return f"({guard} AND isfinite({cast}))", cast


def _tier2(decimal: str, currency: bool = True, percent: bool = True) -> tuple[str, str]:
    """The second tier: shapes most exports write that DuckDB's cast does not read, each a
    subset of the grammar (`$1,234.56`, `-€12.50`, `45.6%`, `12,345`; `1.234,50`, `1.234,50 €`,
    `12,5 %`), read by deleting their marks and separators: the decimal text the grammar's
    rewrite gives, up to an exponent of zero, so the same double. (A first group never starts
    with 0: `0,123` is not a grouped number.) Without the marks `currency`, `percent` says."""
    group = "\\." if decimal == "," else ","
    number = f"(?:[1-9][0-9]{{0,2}}(?:{group}[0-9]{{3}})+|[0-9]+)(?:{literal(decimal)}[0-9]+)?"
    pct = f"|{number}%" if percent else ""
    if decimal == ".":
        return f"-?(?:{'[$€£]?' if currency else ''}{number}{pct})", "[$€£,%]"
    marks = "|".join(["€"] * currency + ["%"] * percent)
    return f"-?{number}" + (f"(?: ?(?:{marks}))?" if marks else ""), "[.€% ]"


def _tier2_sql(col: str, decimal: str, quantity: str = "") -> tuple[str, str, str]:
    """(condition, value, currency) of the second tier, without the marks a `quantity` refuses
    (`quantities`); amounts keep `currency_sql`'s condition, for DuckDB to compute it once,
    with no value for a percentage."""
    percent, money = reads(quantity)
    pattern, marks = _tier2(decimal, money, percent or money)
    condition = f"regexp_full_match({col}, {quote_text(pattern)})"
    digits = f"regexp_replace({col}, {quote_text(marks)}, '', 'g')"
    if decimal == ",":
        digits = f"replace({digits}, ',', '.')"
    share = f"{digits} || 'e-2'" if percent else "NULL"
    text = f"CASE WHEN ends_with({col}, '%') THEN {share} ELSE {digits} END"
    value = f"TRY_CAST({text} AS DOUBLE)"
    sign = f"ltrim({col}, '-')"
    currency = (
        f"CASE WHEN starts_with({sign}, '$') THEN '$' WHEN starts_with({sign}, '€') OR "
        f"ends_with({col}, '€') THEN 'EUR' WHEN starts_with({sign}, '£') THEN 'GBP' END"
    )
    return condition, value, currency


def number_sql(
    column: str, decimal: str, type_: str | None = None, signs: bool = True, quantity: str = ""
) -> str:
    """SQL for a cell's DOUBLE value, NULL when missing or bad (`bad_number_sql` tells which).

    `column` is a column name (or a `sql.Expr`); `type_` its DuckDB type: a numeric column is
    used as it is (a float's NaN is missing, its infinities bad), never cast to text. A text
    cell is read by DuckDB's cast when it can (`fast_sql`), else by the second tier
    (`_tier2`), else by the whole grammar. The cast reads two signs, `+-5`, as -5: a value at
    or below zero is taken from it only when the cell starts with neither `+` nor a space;
    `signs=False` leaves that to the cells' test (`bad_number_sql`, `percents.flag_sql`).
    `quantity`: NULL (bad) for a percentage or a currency the column refuses (`quantities`)."""
    _check_decimal(decimal)
    col = column_sql(column)
    kind = type_kind(type_)
    if kind == "exact":
        return f"CAST({col} AS DOUBLE)"
    if kind == "float":
        return f"(CASE WHEN isfinite({col}) THEN CAST({col} AS DOUBLE) END)"
    condition, cast = _fast_sql(col, decimal)
    if signs:
        condition = f"{condition} AND ({cast} > 0 OR ord({col}) > 43)"
    tier2, tier2_value, _ = _tier2_sql(col, decimal, quantity)
    text = normalize_sql(col)
    slow = f"TRY_CAST({grammar(decimal)[0].sql(text)} AS DOUBLE)"
    test = _mark_sql(text, decimal)
    if refused := refused_sql(quantity, text):
        test = f"{test} AND NOT {refused}"
    slow = f"CASE WHEN {test} THEN {slow} END"
    slow = bind_sql(slow, "v", "CASE WHEN isfinite(v) THEN v END")  # too large: NULL, bad
    return (
        f"(CASE WHEN {condition} THEN {cast} WHEN {col} IS NULL THEN NULL "
        f"WHEN {tier2} AND isfinite({tier2_value}) THEN {tier2_value} "
        f"WHEN {missing_sql(column)} THEN NULL ELSE {slow} END)"
    )


def bad_number_sql(
    column: str,
    decimal: str,
    type_: str | None = None,
    value: str | None = None,
    quantity: str = "",
) -> str:
    """SQL true where a cell is present but not a number (where `read_number` raises).

    `value` is SQL for the cell's value already computed (`number_sql`, with or without its
    `signs` test), to reuse it: a CASE, so that the missing-cell test runs only on the few
    cells without a value, and the test of two signs only on those at or below zero.
    `quantity`: also where the column refuses a cell's percentage or currency (`quantities`).
    """
    col = column_sql(column)
    kind = type_kind(type_)
    if kind == "exact":
        return "FALSE"
    if kind == "float":
        return f"coalesce(isinf({col}), FALSE)"
    value = value or number_sql(column, decimal, type_, quantity=quantity)
    return (
        f"(CASE WHEN {value} > 0 OR {col} IS NULL THEN FALSE WHEN {value} IS NOT NULL THEN "
        f"contains({col}, '+-') ELSE NOT {missing_sql(column)} END)"
    )


def currency_sql(
    column: str, decimal: str, type_: str | None = None, fast: str | None = None
) -> str:
    """SQL for the currency a cell records (`Number.currency`), NULL when it shows none
    (`fast`: its `fast_sql` already computed, true where it shows none)."""
    col = column_sql(column)
    if type_kind(type_) != "text":
        return NO_CURRENCY_SQL
    condition = fast or _fast_sql(col, decimal)[0]
    tier2, _, tier2_currency = _tier2_sql(col, decimal)
    text = normalize_sql(col)
    mark = f"nullif({grammar(decimal)[1].sql(text)}, '')"
    mark = f"CASE WHEN {_mark_sql(text, decimal)} THEN {mark} END"
    symbols = {m: recorded(m) for m in currency_marks() if recorded(m) != m}
    pairs = ", ".join(f"{quote_text(k)}: {quote_text(v)}" for k, v in symbols.items())
    lookup = bind_sql(mark, "c", f"coalesce(MAP {{{pairs}}}[c], c)")
    return (
        f"(CASE WHEN {condition} OR {col} IS NULL THEN NULL WHEN {tier2} THEN {tier2_currency} "
        f"WHEN {missing_sql(column)} THEN NULL ELSE {lookup} END)"
    )
