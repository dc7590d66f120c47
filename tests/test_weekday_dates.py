"""A weekday that contradicts its date (`Wed, 5 Feb 2026`: 5 Feb 2026 is a Thursday) is a bad
cell, in Python and in SQL alike, in every language and width the grammar reads weekday names;
every connector reading dates through the layer names it at its file, line and column; and the
date-format detector still recognises a column of weekday dates when some weekdays are wrong.

Expected days and weekdays come from `datetime` and Babel's CLDR names, not from the module's
table of names.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from babel.dates import format_date, get_day_names
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpiengine.connector import Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.dates import DATE_FORMATS, DateError, compile_format, detect_date_format

D = dt.date
LOCALES = ("en", "fr", "de", "es", "it", "nl", "pt", "fa")


def said(day: dt.date) -> str:
    """`5 Feb 2026 is a Thursday`, written here from `datetime` (C locale names)."""
    return f"{day.day} {day:%b} {day.year} is a {day:%A}"


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_dates(con, cells: list[str], spec: str) -> list[object]:
    fmt = compile_format(spec)
    query = (
        f"SELECT {fmt.sql('x')}, {fmt.bad_sql('x')} "
        "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    )
    return ["bad" if bad else v for v, bad in con.execute(query, [cells, len(cells)]).fetchall()]


def py_dates(cells: list[str], spec: str) -> list[object]:
    out: list[object] = []
    for cell in cells:
        try:
            out.append(compile_format(spec).read(cell))
        except DateError:
            out.append("bad")
    return out


# --- the grammar: Python and SQL -----------------------------------------------------------------

WRONG = [
    ("%a, %d %b %Y", "Wed, 5 Feb 2026", D(2026, 2, 5)),  # Google Ads' time series
    ("%a, %d %b %Y", "Wednesday, 5 February 2026", D(2026, 2, 5)),
    ("%a, %d %b %Y", "FRI, 5 FEB 2026", D(2026, 2, 5)),
    ("%a, %b %d, %Y", "Saturday, November 2, 2025", D(2025, 11, 2)),
    ("%a %d %b %Y", "mer. 5 févr. 2026", D(2026, 2, 5)),
    ("%a %d %b %Y", "mié 5 feb 2026", D(2026, 2, 5)),
    ("%a %d %b %Y", "quarta-feira 5 fevereiro 2026", D(2026, 2, 5)),
    ("%a %d %b %Y", "چهارشنبه 5 فوریه 2026", D(2026, 2, 5)),
    ("%a %d. %b %Y", "Mi. 5. Feb. 2026", D(2026, 2, 5)),
    # 12 Khordad 1403 is 1 June 2024, a Saturday (شنبه), not a Sunday (یکشنبه)
    ("jalali:%a %Y/%m/%d", "یکشنبه 1403/03/12", D(2024, 6, 1)),
]
RIGHT = [
    ("%a, %d %b %Y", "Thu, 5 Feb 2026", D(2026, 2, 5)),
    ("%a, %d %b %Y", "Thursday, 5 February 2026", D(2026, 2, 5)),
    ("%a, %d %b %Y", "THU, 5 FEB 2026", D(2026, 2, 5)),
    ("%a, %b %d, %Y", "Sunday, November 2, 2025", D(2025, 11, 2)),
    ("%a %d %b %Y", "jeu. 5 févr. 2026", D(2026, 2, 5)),
    ("%a %d %b %Y", "jue 5 feb 2026", D(2026, 2, 5)),
    ("%a %d %b %Y", "quinta-feira 5 fevereiro 2026", D(2026, 2, 5)),
    ("%a %d %b %Y", "پنجشنبه 5 فوریه 2026", D(2026, 2, 5)),
    ("%a %d. %b %Y", "Do. 5. Feb. 2026", D(2026, 2, 5)),
    ("jalali:%a %Y/%m/%d", "شنبه 1403/03/12", D(2024, 6, 1)),
]


@pytest.mark.parametrize(("spec", "cell", "day"), WRONG)
def test_a_wrong_weekday_is_a_bad_cell_naming_the_day(con, spec, cell, day):
    with pytest.raises(DateError) as info:
        compile_format(spec).read(cell)
    assert info.value.message.startswith(f"`{cell}` is not a date in the format")
    assert info.value.message.endswith(f": {said(day)}")
    assert "weekday" in (info.value.fix or "") and "date_format" not in (info.value.fix or "")
    assert sql_dates(con, [cell], spec) == ["bad"]


@pytest.mark.parametrize(("spec", "cell", "day"), RIGHT)
def test_the_right_weekday_reads(con, spec, cell, day):
    assert py_dates([cell], spec) == sql_dates(con, [cell], spec) == [day]


def test_detection_reads_the_shape_the_weekday_is_the_readings():
    """A wrong weekday does not hide the format (every weekday of this column is off by one):
    the format is found, and reading its cells names each wrong one."""
    cells = ["Wed, 3 Feb 2026", "Tue, 2 Feb 2026", "", "Sat, 6 Feb 2026"]
    fmt = detect_date_format(cells, column="Day")
    assert fmt.spec == "%a, %d %b %Y"
    with pytest.raises(DateError, match=said(D(2026, 2, 3))):
        fmt.read(cells[0])
    assert detect_date_format(["Thu, 5 Feb 2026", "Wed, 5 Feb 2026"]).spec == "%a, %d %b %Y"
    assert detect_date_format(["mer. 5 févr. 2026"]).spec == "%a %d %b %Y"


def test_no_weekday_check_in_the_sql_of_dates_without_weekdays():
    """The check costs a date column only when its format names weekdays."""
    for spec in (*DATE_FORMATS, "excel", "jalali:%Y/%m/%d", "%a %b %Y"):
        checked = "isodow" in compile_format(spec).sql("x")
        assert checked == ("%a" in spec and "%d" in spec), spec


def test_the_weekday_table_is_babels():
    from kpiengine.fileformats.datespec import _forms, weekdays

    expected = {}
    for locale in LOCALES:
        for width in ("wide", "abbreviated"):
            for number, name in get_day_names(width, "format", locale).items():
                for form in _forms(name):
                    expected.setdefault(form, set()).add(number + 1)  # Babel: Monday is 0
    assert {name: {day} for name, day in weekdays().items()} == expected


#: spec -> (separator after the weekday name, Babel pattern of the rest)
SPECS = {
    "%a, %d %b %Y": (", ", "d MMM y"),
    "%a %d %b %Y": (" ", "d MMMM y"),
    "%a %d. %b %Y": (" ", "d. MMM y"),
    "%a, %b %d, %Y": (", ", "MMMM d, y"),
}
CELL = st.tuples(
    st.dates(D(2000, 1, 1), D(2099, 12, 31)),
    st.integers(0, 6),  # the weekday written, Monday 0 as Babel numbers them
    st.sampled_from(LOCALES),
    st.sampled_from(["abbreviated", "wide"]),
    st.sampled_from([str, str.lower, str.upper, str.title]),
)


@pytest.mark.parametrize("spec", list(SPECS))
@settings(
    derandomize=True, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(drawn=st.lists(CELL, min_size=1, max_size=10))
def test_right_and_wrong_weekdays_in_python_and_sql(con, spec, drawn):
    separator, rest = SPECS[spec]
    cells, expected = [], []
    for day, weekday, locale, width, case in drawn:
        name = get_day_names(width, "format", locale)[weekday]
        cells.append(case(name + separator + format_date(day, rest, locale=locale)))
        expected.append(day if weekday == day.weekday() else "bad")
    assert py_dates(cells, spec) == expected
    assert sql_dates(con, cells, spec) == expected


# --- the connectors: file, line and column ------------------------------------------------------


#: The workspace's variables the connectors may map (`variables` of a source's config).
KNOWN = frozenset(
    {"impressions", "clicks", "ad_spend", "conversions", "ad_revenue", "revenue", "leads"}
    | {"sessions", "opportunities", "deals_won", "sales_cycle_days"}
)


def _fetch(tmp_path, kind: str, text: str, variables: set[str], **options):
    from kpiengine.connectors.ads import AdsConnector
    from kpiengine.connectors.crm import CrmConnector
    from kpiengine.connectors.csv_files import CsvConnector
    from kpiengine.connectors.ga_export import GaExportConnector

    classes = {"csv": CsvConnector, "ads": AdsConnector, "ga_export": GaExportConnector}
    classes["crm"] = CrmConnector
    (tmp_path / "data.csv").write_text(text, "utf-8")
    config = SourceConfig(
        name="s",
        connector=kind,
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "data.csv", **options},
        currency="EUR",
        variables=KNOWN,
    )
    conn = classes[kind](config)
    request = Request({v: _aggregate() for v in variables}, "month", [])
    return conn.fetch(request)


def _aggregate():
    from kpiengine.model import Aggregate

    return Aggregate()


ADS = """\
Campaign report
"2 February 2026 - 6 February 2026"
Day,Campaign,Currency code,Impr.,Clicks,Cost
"Mon, 2 Feb 2026",Brand,EUR,"1,204",96,49.92
"{day}",Generic,EUR,"3,410",121,187.55
Total: Campaigns,,,"4,614",217,237.47
"""
CRM = (
    '"Opportunity Name","Stage","Amount","Close Date","Created Date","Won","Closed"\n'
    '"A","Closed Won","100.00","Fri, 6 Feb 2026","Mon, 5 Jan 2026","1","1"\n'
    '"B","Closed Won","50.00","{day}","Tue, 6 Jan 2026","1","1"\n'
)
CONNECTORS = {
    "csv": ('Date,ad_spend\n"Fri, 6 Feb 2026",5\n"{day}",10\n', {"ad_spend"}, {"date": "Date"}),
    "ads": (ADS, {"clicks"}, {}),
    "ga_export": (
        'Date,Session default channel group,Sessions\n"Fri, 6 Feb 2026",Email,5\n'
        '"{day}",Direct,7\n',
        {"sessions"},
        {},
    ),
    "crm": (CRM, {"opportunities"}, {}),
}


@pytest.mark.parametrize("kind", list(CONNECTORS))
def test_each_connector_names_the_wrong_weekday_at_its_cell(tmp_path, monkeypatch, kind):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")
    template, variables, options = CONNECTORS[kind]
    text = template.format(day="Wed, 5 Feb 2026")
    with pytest.raises(KpiError) as info:
        _fetch(tmp_path, kind, text, variables, **options)
    lines = text.splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "Wed, 5 Feb 2026" in t)
    column = lines[line - 1].index('"Wed, 5 Feb 2026"') + 1
    error = info.value
    assert (error.location.file, error.location.line, error.location.column) == (
        "data.csv",
        line,
        column,
    ), error
    assert "`Wed, 5 Feb 2026`" in error.message and said(D(2026, 2, 5)) in error.message
    assert "weekday" in (error.fix or "")
    right = template.format(day="Thu, 5 Feb 2026")
    assert _fetch(tmp_path, kind, right, variables, **options) is not None  # reads


def test_a_column_whose_weekdays_are_all_wrong_is_named_at_its_first_cell(tmp_path, monkeypatch):
    """Not `cannot tell the format`: the format is found, the first wrong weekday named."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")
    text = 'Date,ad_spend\n"Wed, 3 Feb 2026",5\n"Thu, 4 Feb 2026",10\n'
    with pytest.raises(KpiError) as info:
        _fetch(tmp_path, "csv", text, {"ad_spend"}, date="Date")
    assert str(info.value.location) == "data.csv:2:1"
    assert said(D(2026, 2, 3)) in info.value.message


def test_ads_an_unknown_day_header_is_seen_as_dates_whatever_its_weekdays(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")
    text = ADS.replace("Day,", "Zeitraum XYZ,").format(day="Wed, 5 Feb 2026")
    with pytest.raises(KpiError, match="holds dates but is not a day column"):
        _fetch(tmp_path, "ads", text, {"clicks"})
