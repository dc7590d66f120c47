"""Bidirectional marks in number cells are ignored, in Python and DuckDB alike.

CLDR (and so ICU, Excel and the platforms' exports) writes Persian and Arabic numbers with
invisible marks: the `fa` minus is LRM + U+2212, the `ar-EG` minus ALM + `-`, the `ar-EG`
percent `٪` + ALM, the `ar` (Latin digits) percent LRM + `%` + LRM, `he` and `ar` amounts start
with RLM. The cells below are built from Babel's CLDR data (its symbols and patterns; the
digits of the locale's numbering system written in, as ICU does); the values by hand.
"""

from __future__ import annotations

import math

import babel.numbers
import duckdb
import pytest
from babel import Locale

import kpiengine
from kpiengine.fileformats.numbers import (
    NumberError,
    bad_number_sql,
    currency_sql,
    number_sql,
    read_number,
)

LOCALES = ["fa", "ar", "ar_EG", "he", "ps", "ur", "ur_IN", "ckb", "sd"]
DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}


def _system(locale: str, numbering: str) -> str:
    if numbering == "latn":
        return "latn"
    return Locale.parse(locale).default_numbering_system


def _written(text: str, locale: str, numbering: str) -> str:
    """Latin digits in the locale's own (Babel writes separators, not digits)."""
    digits = DIGITS.get(_system(locale, numbering), "0123456789")
    return text.translate(str.maketrans("0123456789", digits))


def _cells(locale: str, numbering: str) -> list[tuple[str, float, str | None]]:
    """(cell, value, currency) as CLDR writes -1234.5, -45%, 45.6% and -1234.50 EUR."""
    ns = numbering
    minus = babel.numbers.get_minus_sign_symbol(locale, numbering_system=ns)
    percent = Locale.parse(locale).number_symbols[_system(locale, ns)]["percentSign"]
    decimal = babel.numbers.format_decimal(1234.5, locale=locale, numbering_system=ns)
    share = babel.numbers.format_decimal(45.6, locale=locale, numbering_system=ns)
    money = babel.numbers.format_currency(-1234.5, "EUR", locale=locale, numbering_system=ns)
    return [
        (_written(minus + decimal, locale, ns), -1234.5, None),
        (_written(minus + "45" + percent, locale, ns), -0.45, None),
        (_written(share + percent, locale, ns), 0.456, None),
        (_written(money, locale, ns), -1234.5, "EUR"),
    ]


def _mark(locale: str, numbering: str) -> str:
    symbol = babel.numbers.get_decimal_symbol(locale, numbering_system=numbering)
    return "," if symbol == "," else "."


def test_babel_writes_the_marks_this_covers():
    assert babel.numbers.get_minus_sign_symbol("fa") == "\u200e\u2212"
    assert babel.numbers.get_minus_sign_symbol("ar_EG", numbering_system="default") == "\u061c-"
    assert Locale.parse("ar_EG").number_symbols["arab"]["percentSign"] == "٪\u061c"
    assert Locale.parse("ar").number_symbols["latn"]["percentSign"] == "\u200e%\u200e"
    cells = [c for loc in LOCALES for ns in ("default", "latn") for c, *_ in _cells(loc, ns)]
    assert any("\u200f" in c for c in cells) and any("\u200e" in c for c in cells)


@pytest.mark.parametrize("numbering", ["default", "latn"])
@pytest.mark.parametrize("locale", LOCALES)
def test_cldr_cells_read_alike_in_python_and_duckdb(locale, numbering):
    decimal = _mark(locale, numbering)
    cells = _cells(locale, numbering)
    for cell, value, currency in cells:
        number = read_number(cell, decimal)
        assert math.isclose(number.value, value, rel_tol=1e-15), cell
        assert number.currency == currency, cell
    con = duckdb.connect()
    query = (
        f"SELECT {number_sql('x', decimal)}, {bad_number_sql('x', decimal)}, "
        f"{currency_sql('x', decimal)} FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) "
        "ORDER BY i"
    )
    rows = con.execute(query, [[c for c, *_ in cells], len(cells)]).fetchall()
    assert rows == [(read_number(c, decimal).value, False, cur) for c, _, cur in cells]


@pytest.mark.parametrize(
    ("cell", "decimal", "value"),
    [
        ("\u2068-45\u2069", ".", -45.0),  # isolated
        ("\u202b1.234,5\u202c", ",", 1234.5),  # embedded
        ("12\u200f,5", ",", 12.5),
        ("1\u200e234.5", ".", 1234.5),
        ("45\u200e%", ".", 0.45),
        ("\u200f\u200e\u061c7", ".", 7.0),
    ],
)
def test_marks_are_ignored_wherever_they_sit(cell, decimal, value):
    assert read_number(cell, decimal).value == value
    con = duckdb.connect()
    sql = f"SELECT {number_sql('x', decimal)} FROM (SELECT ? AS x)"
    [(read,)] = con.execute(sql, [cell]).fetchall()
    assert read == value


def test_marks_alone_are_no_number():
    with pytest.raises(NumberError):
        read_number("\u200e", ".")
    con = duckdb.connect()
    sql = f"SELECT {bad_number_sql('x', '.')} FROM (SELECT ? AS x)"
    [(bad,)] = con.execute(sql, ["\u200e"]).fetchall()
    assert bad


def test_a_persian_export_is_read(tmp_path, monkeypatch):
    """The cells the exploratory tester saw refused: `‎−۱۲۳٫۵` is -123.5."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "kpis:\n  spend: {title: Spend, formula: marketing_cost, unit: currency}\n"
    )
    (tmp_path / "costs.csv").write_text(
        "date,cost\n2024-01-10,\u200e\u2212۱۲۳٫۵\n2024-01-11,\u061c-١٠\n2024-01-12,۵۰\u200f\n",
        "utf-8",
    )
    (tmp_path / "kpi.yaml").write_text(
        "currency: IRR\nsources:\n  s:\n    connector: csv\n    path: costs.csv\n"
        "    date: date\n    map: {marketing_cost: {column: cost}}\n"
    )
    ws = kpiengine.load_workspace(tmp_path)
    [value] = [
        r["value"]
        for r in kpiengine.evaluate(ws, kpis=["spend"], grain="month").records()
        if r["period"] == "2024-01"
    ]
    assert value == -123.5 - 10 + 50
