"""Dates as German (and other) spreadsheets and platforms write them, and a date column mixing
spreadsheet serial numbers with dates written out.

- German Excel's `MMM-JJ` (`Jan-24`, `Mrz-24`: Windows' de-DE abbreviations, where CLDR has
  `Mär`) and `Mrz 2024`; Austria's `Jän`, `Jänner`; every month name CLDR gives the languages
  read and their regions, each naming one month, in Python and SQL alike;
- Google Ads' German days (`Mo., 15. Jan. 2024`: CLDR's German `yMMMEd`, `EEE, d. MMM y`), a
  wrong weekday a bad cell; Portuguese and Mexican Spanish days (`seg., 15 de jan. de 2024`)
  and months (`enero de 2024`);
- `45306` among `2024-01-16`: both rows named, and what to do.

Expected dates come from `datetime`, hand-typed month lists and Babel, not the module's table.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from babel.core import parse_locale
from babel.dates import format_date, get_month_names
from babel.localedata import locale_identifiers
from test_weekday_dates import py_dates, sql_dates

from kpiengine.connector import Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.dates import DateError, compile_format, detect_date_format

D = dt.date
LANGUAGES = ("en", "fr", "de", "es", "it", "nl", "pt", "fa")
#: German Excel's `MMM` (Windows' de-DE and de-CH locale data), typed here.
EXCEL_DE = ("Jan", "Feb", "Mrz", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def locate(index: int) -> Location:
    return Location("c.csv", index + 2, 1)  # a header, then a row per cell


def fetch(tmp_path, data: bytes, date: str, variable: str = "ad_spend"):
    """The csv connector's frame of a file (in process), by month."""
    from kpiengine.connectors.csv_files import CsvConnector

    from kpiengine.model import Aggregate

    (tmp_path / "c.csv").write_bytes(data)
    config = SourceConfig(
        name="s",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "c.csv", "date": date},
        currency="EUR",
        variables=frozenset({variable}),
    )
    return CsvConnector(config).fetch(Request({variable: Aggregate()}, "month", []))


# --- month names ---------------------------------------------------------------------------------


def test_german_excel_months_read_in_python_and_sql(con):
    cells = [f"{name}-24" for name in EXCEL_DE]
    expected = [D(2024, month, 1) for month in range(1, 13)]
    fmt = detect_date_format(cells)
    assert fmt.spec == "%b-%y" and fmt.grain == "month"
    assert py_dates(cells, fmt.spec) == sql_dates(con, cells, fmt.spec) == expected
    # as the exploratory tester's column began: refused at `Mrz-24` before
    assert detect_date_format(["Jan-24", "Feb-24", "Mrz-24"]).read("Mrz-24") == D(2024, 3, 1)
    cells = ["Jan 2024", "Mrz 2024", "MRZ. 2024", "März 2024", "Mär 2024"]
    expected = [D(2024, 1, 1)] + [D(2024, 3, 1)] * 4
    assert py_dates(cells, "%b %Y") == sql_dates(con, cells, "%b %Y") == expected


def test_a_german_excel_month_column_reads_through_the_csv_connector(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    rows = "".join(f"{name}-24;{month}00\r\n" for month, name in enumerate(EXCEL_DE, 1))
    frame = fetch(tmp_path, f"Monat;ad_spend\r\n{rows}".encode("cp1252"), "Monat")
    assert [str(d) for d in frame.dates] == [f"2024-{m:02d}-01" for m in range(1, 13)]
    assert list(frame.values["ad_spend"]) == [m * 100.0 for m in range(1, 13)]


#: Month abbreviations and names as each language's spreadsheets and platforms write them
#: (Excel's `MMM` from Windows' locale data, Google Sheets' CLDR `MMM`/`MMMM`), typed here.
WRITTEN = [
    *[(n, 1) for n in ("Jän", "JÄN.", "Jänner")],  # Austria (de_AT)
    *[(n, m) for n, m in (("März", 3), ("Sept.", 9), ("Juni", 6), ("Okt", 10), ("Dez", 12))],
    *[(n, m) for n, m in (("janv.", 1), ("févr.", 2), ("FEVR", 2), ("juil.", 7), ("déc.", 12))],
    ("juill.", 7),  # Canadian French
    *[(n, m) for n, m in (("ene", 1), ("sept", 9), ("sep.", 9), ("dic", 12), ("setiembre", 9))],
    *[(n, m) for n, m in (("gen", 1), ("mag", 5), ("giu", 6), ("lug", 7), ("ago", 8))],
    *[(n, m) for n, m in (("set", 9), ("ott", 10), ("dic", 12))],  # Italian
    *[(n, m) for n, m in (("fev", 2), ("mai", 5), ("out", 10), ("dez", 12))],  # Portuguese
    *[(n, m) for n, m in (("mrt", 3), ("mei", 5), ("okt", 10))],  # Dutch
]


@pytest.mark.parametrize(("name", "month"), WRITTEN)
def test_each_languages_spreadsheet_months(con, name, month):
    for spec, cell in (("%b-%y", f"{name}-24"), ("%b %Y", f"{name} 2024")):
        assert py_dates([cell], spec) == sql_dates(con, [cell], spec) == [D(2024, month, 1)]


def test_every_cldr_month_name_of_the_languages_and_their_regions_names_one_month(con):
    """Babel's month names (wide and abbreviated, format and stand-alone) for each language
    read and each of its regions written in its script, and German Excel's: no name means two
    months, so no column of them is ambiguous; each reads as its month, in any case."""
    named: dict[str, set[int]] = {}
    for locale in locale_identifiers():
        language, _, script, *_ = parse_locale(locale)
        if language not in LANGUAGES or script:
            continue
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for month, name in get_month_names(width, context, locale).items():
                    named.setdefault(name.lower(), set()).add(month)
    for month, name in enumerate(EXCEL_DE, 1):
        named.setdefault(name.lower(), set()).add(month)
    assert {name: months for name, months in named.items() if len(months) > 1} == {}
    cells = [case(f"{name} 2024") for name in sorted(named) for case in (str, str.upper)]
    expected = [D(2024, min(named[n]), 1) for n in sorted(named) for _ in range(2)]
    assert py_dates(cells, "%b %Y") == expected
    assert sql_dates(con, cells, "%b %Y") == expected
    assert {"jän", "jänner", "juill.", "setiembre", "mrz"} <= set(named)  # regions, Excel


def test_an_unknown_month_name_is_named_with_a_fix_that_can_help():
    """`Maj` (Swedish, Danish) is no month name read: `date_format:` would not read it either."""
    with pytest.raises(DateError) as info:
        compile_format("%b-%y").read("Maj-24")
    assert "`Maj` is no month name this reader knows" in info.value.message
    assert "date_format" not in (info.value.fix or "")
    assert "write the months as numbers" in (info.value.fix or "")


# --- days with their weekday ----------------------------------------------------------------------


def test_google_ads_german_days_read_and_their_weekdays_are_checked(con):
    days = [D(2024, 1, 1) + dt.timedelta(days=n) for n in range(60)]
    for locale in ("de", "de_AT", "de_CH"):
        cells = [format_date(d, "EEE, d. MMM y", locale=locale) for d in days]
        assert cells[14] == ("Mo., 15. Jän. 2024" if locale == "de_AT" else "Mo., 15. Jan. 2024")
        fmt = detect_date_format(cells)
        assert fmt.spec == "%a, %d. %b %Y"
        assert py_dates(cells, fmt.spec) == sql_dates(con, cells, fmt.spec) == days
    wide = "Montag, 15. Januar 2024"
    assert py_dates([wide], "%a, %d. %b %Y") == sql_dates(con, [wide], "%a, %d. %b %Y")
    # 15 January 2024 is a Monday (`datetime`): `Di.` (Tuesday) contradicts it
    assert D(2024, 1, 15).isoweekday() == 1
    wrong = "Di., 15. Jan. 2024"
    with pytest.raises(DateError) as info:
        compile_format("%a, %d. %b %Y").read(wrong)
    assert info.value.message.endswith(": 15 Jan 2024 is a Monday")
    assert "weekday" in (info.value.fix or "")
    assert sql_dates(con, [wrong], "%a, %d. %b %Y") == ["bad"]
    # a wrong weekday does not hide the format: the reading names it
    assert detect_date_format([wrong, "Di., 16. Jan. 2024"]).spec == "%a, %d. %b %Y"


def test_a_wrong_german_weekday_is_named_at_its_cell(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    text = 'Tag;ad_spend\r\n"Mo., 15. Jan. 2024";5\r\n"Mi., 16. Jan. 2024";7\r\n'
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, text.encode("utf-8"), "Tag")
    assert str(info.value.location) == "c.csv:3:1"
    assert "`Mi., 16. Jan. 2024`" in info.value.message
    assert "16 Jan 2024 is a Tuesday" in info.value.message
    right = text.replace("Mi.,", "Di.,")
    frame = fetch(tmp_path, right.encode("utf-8"), "Tag")
    assert list(frame.values["ad_spend"]) == [12.0]  # January: 5 + 7


@pytest.mark.parametrize(
    ("pattern", "locale"),
    [("EEE, d 'de' MMM 'de' y", "pt"), ("EEE, d 'de' MMM 'de' y", "es_MX")],
)
def test_portuguese_and_mexican_days_with_their_weekday(con, pattern, locale):
    days = [D(2024, 1, 1) + dt.timedelta(days=n) for n in range(0, 90, 7)]
    cells = [format_date(d, pattern, locale=locale) for d in days]
    fmt = detect_date_format(cells)
    assert fmt.spec == "%a, %d de %b de %Y"
    assert py_dates(cells, fmt.spec) == sql_dates(con, cells, fmt.spec) == days
    wrong = format_date(days[0] + dt.timedelta(days=1), "EEE", locale=locale) + cells[0][3:]
    assert py_dates([wrong], fmt.spec) == sql_dates(con, [wrong], fmt.spec) == ["bad"]


def test_spanish_and_portuguese_months_with_de(con):
    cells = ["enero de 2024", "FEBRERO DE 2024", "jan. de 2024", "mar. de 2024"]
    expected = [D(2024, 1, 1), D(2024, 2, 1), D(2024, 1, 1), D(2024, 3, 1)]
    fmt = detect_date_format(cells)
    assert fmt.spec == "%b de %Y" and fmt.grain == "month"
    assert py_dates(cells, fmt.spec) == sql_dates(con, cells, fmt.spec) == expected


def test_cells_of_names_no_format_reads_get_an_example_with_names():
    with pytest.raises(KpiError) as info:
        detect_date_format(["Xyz, 15 Qrs 2024"], column="Tag", locate=locate)
    assert "%a, %d %b %Y" in (info.value.fix or "")


# --- spreadsheet serial numbers among dates written out -------------------------------------------

SERIAL_DAYS = {"45306": D(2024, 1, 15), "45307": D(2024, 1, 16)}  # days since 1899-12-30


def test_the_serial_days_are_excels():
    assert {s: D(1899, 12, 30) + dt.timedelta(days=int(s)) for s in SERIAL_DAYS} == SERIAL_DAYS


def test_serial_numbers_among_dates_written_out_name_both_rows():
    cells = ["45306", "2024-01-16", "45338"]
    with pytest.raises(KpiError) as info:
        detect_date_format(cells, excel_serials=True, column="Date", locate=locate)
    error = info.value
    assert "mix spreadsheet serial numbers with dates written out" in error.message
    assert "`45306` (line 2) is a serial number (2024-01-15)" in error.message
    assert "`2024-01-16` (line 3)" in error.message
    assert error.location == Location("c.csv", 3, 1)  # the odd one: most cells are serials
    assert "format every cell of the column as a date" in (error.fix or "")
    assert "expected a date like excel" not in error.message

    cells = ["15/01/2024", "45307", "16/02/2024"]
    with pytest.raises(KpiError) as info:
        detect_date_format(cells, excel_serials=True, column="Date", locate=locate)
    assert "`15/01/2024` (line 2) is a date written out" in info.value.message
    assert "`45307` (line 3) is a serial number (2024-01-16)" in info.value.message
    assert info.value.location == Location("c.csv", 3, 1)


def test_serial_numbers_alone_or_outside_a_date_column_are_no_mix():
    fmt = detect_date_format(["45306", "45307"], excel_serials=True)
    assert fmt.kind == "excel" and fmt.read("45307") == SERIAL_DAYS["45307"]
    # a column not known to hold dates (a header's cells, say): serials are not dates there
    assert detect_date_format(["2024-01-16", "45306"]).spec == "%Y-%m-%d%~"


def test_the_csv_connector_names_both_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    data = b"Date,ad_spend\r\n45306,100\r\n2024-01-16,200\r\n45338,50\r\n"
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, data, "Date")
    assert str(info.value.location) == "c.csv:3:1"
    assert "`45306` (line 2)" in info.value.message
    assert "`2024-01-16` (line 3)" in info.value.message


def test_a_mix_past_the_sample_says_so_at_its_row(tmp_path, monkeypatch):
    """Past the rows detection samples, the scan's bad cell says what it is."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    rows = "".join(f"{45306 + n % 60},1\r\n" for n in range(2100))
    data = f"Date,ad_spend\r\n{rows}2024-01-16,5\r\n".encode()
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, data, "Date")
    assert str(info.value.location) == "c.csv:2102:1"
    assert "serial numbers" in info.value.message and "`2024-01-16`" in info.value.message
    assert "format every cell of the column as a date" in (info.value.fix or "")
    with pytest.raises(DateError) as cell:
        compile_format("%d/%m/%Y%~").read("45307")
    assert "it is a spreadsheet serial number, 2024-01-16" in cell.value.message


def test_a_bad_cell_of_a_serial_column_says_serials_were_expected(tmp_path, monkeypatch):
    """Past the sample, a text in a column of serials: what was expected is a serial number
    (not a pattern named `excel`)."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    rows = "".join(f"{45306 + n % 60},1\r\n" for n in range(2100))
    data = f"Date,ad_spend\r\n{rows}abc,5\r\n".encode()
    with pytest.raises(KpiError) as info:
        fetch(tmp_path, data, "Date")
    assert str(info.value.location) == "c.csv:2102:1"
    assert "expected a spreadsheet date serial number" in info.value.message
    assert "excel" not in info.value.message


def test_serials_with_a_time_after_a_decimal_comma(tmp_path, monkeypatch):
    """German Excel writes a date-time serial with its decimal comma (`45306,25`: 15 January
    2024, 6:00); the day is the serial's whole part, alone or among whole serials."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-30")
    assert D(1899, 12, 30) + dt.timedelta(days=45337) == D(2024, 2, 15)
    for first in ("45306,25", "45306"):
        data = f"Zeitstempel;ad_spend\r\n{first};1,50\r\n45337,75;2,50\r\n".encode()
        frame = fetch(tmp_path, data, "Zeitstempel")
        assert [str(d) for d in frame.dates] == ["2024-01-01", "2024-02-01"]
        assert list(frame.values["ad_spend"]) == [1.5, 2.5]
