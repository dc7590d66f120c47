"""Amounts in a currency with three decimals (KWD, BHD, OMR, JOD, TND, LYD, IQD): a lone mark
before three digits is as likely their decimal mark as a thousands separator, so when no cell
tells the decimal mark, the source's `decimal:` decides (never a silent x1000). Two-decimal
currencies keep the documented rule (`12.345` US dollars are 12345). Expected values by hand.
"""

from __future__ import annotations

import pytest
from babel.numbers import get_currency_precision

import kpiengine
from kpiengine.errors import KpiError
from kpiengine.fileformats.currency import ISO_CODES, THREE_DECIMALS
from kpiengine.fileformats.decimals import guess_decimal
from kpiengine.fileformats.numbers import NumberError, read_number
from kpiengine.fileformats.tables import open_tables
from kpiengine.filesource import decimal_of

KWD_CELLS = "Date,V\n2024-01-10,KWD 123.450\n2024-01-11,KWD 45.125\n"


def test_the_three_decimal_currencies_are_iso_4217s():
    """Babel (CLDR) gives three digits to all but the Iraqi dinar, which CLDR writes without
    decimals and ISO 4217 with three: on the safe side, a lone mark is ambiguous for it too."""
    babel = {code for code in ISO_CODES if get_currency_precision(code) == 3}
    assert babel | {"IQD"} == THREE_DECIMALS == {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


@pytest.mark.parametrize("code", sorted(THREE_DECIMALS))
def test_a_lone_mark_before_three_digits_asks_for_decimal(code):
    with pytest.raises(NumberError) as info:
        guess_decimal([f"{code} 123.450", f"{code} 45.125"])
    said = str(info.value)
    assert said.startswith(f"`{code} 123.450` is not a number whose decimal mark the cells tell")
    assert f"{code} amounts have three decimals" in said
    assert "123.45 with `.` as the decimal mark and 123450 with `,`" in said
    assert "`decimal:`" in (info.value.fix or "")


def test_the_workspace_currency_makes_plain_cells_ambiguous():
    with pytest.raises(NumberError, match="KWD amounts have three decimals"):
        guess_decimal(["123.450", "45.125"], currency="KWD")
    with pytest.raises(NumberError, match="1500 with `.` as the decimal mark and 1.5 with `,`"):
        guess_decimal(["1,500"], currency="OMR")
    # a currency written in the cell wins over the workspace's
    assert guess_decimal(["USD 12.345"], currency="KWD") == ","
    # the rial mark `﷼` may be the Omani rial (three decimals) or the Saudi riyal (two)
    with pytest.raises(NumberError, match="OMR amounts"):
        guess_decimal(["1.500 ﷼"], currency="OMR")
    assert guess_decimal(["1.500 ﷼"], currency="SAR") == ","


def test_two_decimal_currencies_keep_the_thousands_rule():
    """`12.345` US dollars: a lone mark before three digits groups thousands (README)."""
    assert guess_decimal(["12.345", "45.125"], currency="USD") == ","
    assert read_number("12.345", ",").value == 12345.0
    assert guess_decimal(["1,200"]) == "."


def test_a_cell_that_tells_the_mark_or_the_language_decides():
    assert guess_decimal(["KWD 1,234.500", "KWD 45.125"]) == "."
    assert guess_decimal(["45,125 KWD", "1.234,500 KWD"]) == ","
    assert guess_decimal(["KWD 123.450"], default=".") == "."
    # counts are whole: `1.500` sessions are 1500 whatever the workspace currency
    assert guess_decimal(["1.500"], whole=True, currency="KWD") == ","


def test_decimal_of_takes_the_currency_of_each_column(tmp_path):
    (tmp_path / "d.csv").write_text("Date,Cost,Clicks\n2024-01-10,123.450,1.500\n", "utf-8")
    [table] = open_tables(tmp_path / "d.csv", "d.csv")
    with pytest.raises(KpiError) as info:
        decimal_of(table, ["Cost", "Clicks"], currency={"Cost": "BHD"})
    assert str(info.value).startswith("d.csv:2:12: `123.450` is not a number whose decimal mark")
    # the count is whole (1500 with `,`) and tells the mark for the file
    assert decimal_of(table, ["Cost", "Clicks"], whole=["Clicks"], currency="BHD") == ","
    assert decimal_of(table, ["Cost", "Clicks"], currency="USD") == ","
    assert decimal_of(table, ["Cost"], option=".", currency="KWD") == "."


def _workspace(root, connector: str, options: str = ""):
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "t.yaml").write_text(
        "variables:\n  x: {unit: currency, aggregate: sum}\n"
        "kpis:\n  xk: {title: X, formula: x, unit: currency, format: number}\n"
    )
    (root / "d.csv").write_text(KWD_CELLS, "utf-8")
    source = (
        "    connector: csv\n    path: d.csv\n"
        if connector == "csv"
        else "    connector: sql\n    url: 'duckdb://'\n    files: {t: d.csv}\n    table: t\n"
    )
    (root / "kpi.yaml").write_text(
        f"currency: KWD\nsources:\n  s:\n{source}    date: Date\n    map: {{x: {{column: V}}}}\n"
        + options
    )
    return kpiengine.load_workspace(root)


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_kwd_amounts_ask_for_decimal_in_csv_and_sql_files(tmp_path, monkeypatch, connector):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    ws = _workspace(tmp_path / "ask", connector)
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(ws, kpis=["xk"], grain="month")
    assert str(info.value).startswith(
        "d.csv:2:12: `KWD 123.450` is not a number whose decimal mark the cells tell: KWD "
        "amounts have three decimals, so it is 123.45 with `.` as the decimal mark and 123450"
    )
    told = _workspace(tmp_path / "told", connector, "    decimal: '.'\n")
    [record] = [
        r
        for r in kpiengine.evaluate(told, kpis=["xk"], grain="month").records()
        if r["period"] == "2024-01"
    ]
    assert record["value"] == pytest.approx(123.45 + 45.125)  # 168.575, not 168575
