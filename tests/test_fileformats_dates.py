"""Date formats: reading, the grain a format implies, detection and ambiguity, Python and SQL."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
from babel.dates import format_date, get_month_names
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.dates import (
    DATE_FORMATS,
    DateError,
    compile_format,
    detect_date_format,
    read_date,
)
from kpiengine.fileformats.datespec import weekdays

PROPERTY = settings(
    derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_dates(con, cells: list[str | None], spec: str) -> list[object]:
    fmt = compile_format(spec)
    query = (
        f"SELECT {fmt.sql('x')}, {fmt.bad_sql('x')} "
        "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i"
    )
    rows = con.execute(query, [cells, len(cells)]).fetchall()
    return ["bad" if bad else value for value, bad in rows]


def py_dates(cells: list[str | None], spec: str) -> list[object]:
    out: list[object] = []
    for cell in cells:
        try:
            out.append(read_date(cell, spec))
        except DateError:
            out.append("bad")
    return out


D = dt.date


@pytest.mark.parametrize(
    ("spec", "cell", "expected"),
    [
        ("%Y-%m-%d%~", "2024-01-15", D(2024, 1, 15)),
        ("%Y-%m-%d%~", "2024-01-15T10:30:00Z", D(2024, 1, 15)),
        ("%Y-%m-%d%~", "2024-01-15 10:30:00+02:00", D(2024, 1, 15)),
        ("%Y%m%d", "20240601", D(2024, 6, 1)),
        ("%Y%m%d%H", "2024060114", D(2024, 6, 1)),
        ("%d/%m/%Y%~", "05/02/2026", D(2026, 2, 5)),
        ("%m/%d/%Y%~", "05/02/2026", D(2026, 5, 2)),
        ("%m/%d/%Y%~", "2/5/2026 3:04 PM", D(2026, 2, 5)),
        ("%d.%m.%Y%~", "05.02.2026", D(2026, 2, 5)),
        ("%d-%m-%Y%~", "05-02-2026", D(2026, 2, 5)),
        ("%m/%d/%y%~", "6/1/24", D(2024, 6, 1)),
        ("%a, %d %b %Y", "Thu, 5 Feb 2026", D(2026, 2, 5)),
        ("%a, %b %d, %Y", "Thursday, February 5, 2026", D(2026, 2, 5)),
        ("%a, %b %d, %Y", "Sat, Nov 1, 2025", D(2025, 11, 1)),
        ("%b %d, %Y", "Feb 5, 2026", D(2026, 2, 5)),
        ("%d %b %Y", "5 févr. 2026", D(2026, 2, 5)),
        ("%d %b %Y", "5 FÉVRIER 2026", D(2026, 2, 5)),
        ("%a %d %b %Y", "jeu. 5 févr. 2026", D(2026, 2, 5)),
        ("%d. %b %Y", "5. Februar 2026", D(2026, 2, 5)),
        ("%Y年%m月%d日", "2026年2月5日", D(2026, 2, 5)),
        ("%Y%m%d", "۲۰۲۴۰۶۰۱", D(2024, 6, 1)),
        ("jalali:%Y/%m/%d", "1403/03/12", D(2024, 6, 1)),
        ("excel", "45292", D(2024, 1, 1)),
        ("excel", "45292.75", D(2024, 1, 1)),
    ],
)
def test_read(spec, cell, expected):
    assert read_date(cell, spec) == expected


@pytest.mark.parametrize(
    ("spec", "cell", "expected"),
    [
        ("%Y-%m", "2024-01", D(2024, 1, 1)),
        ("%Y%m", "202406", D(2024, 6, 1)),
        ("%b %Y", "Jan 2024", D(2024, 1, 1)),
        ("%b %Y", "January 2024", D(2024, 1, 1)),
        ("%b %Y", "janv. 2024", D(2024, 1, 1)),
        ("%m/%Y", "01/2024", D(2024, 1, 1)),
        ("%b-%y", "Feb-24", D(2024, 2, 1)),
        ("%b-%y", "déc.-23", D(2023, 12, 1)),
    ],
)
def test_month_only_formats_have_a_month_grain(spec, cell, expected):
    fmt = compile_format(spec)
    assert fmt.grain == "month"
    assert fmt.read(cell) == expected


def test_day_formats_have_a_day_grain():
    assert {compile_format(s).grain for s in ("%Y-%m-%d%~", "%d %b %Y", "excel")} == {"day"}


@pytest.mark.parametrize(
    ("spec", "cell"),
    [
        ("%Y-%m-%d%~", "2024-02-30"),
        ("%Y-%m-%d%~", "2024-13-01"),
        ("%Y-%m-%d%~", "20240115"),
        ("%Y%m%d", "2024011"),
        ("%b %Y", "Foo 2024"),
        ("excel", "12345"),  # 1933: not plausibly a date of an export
        ("%d/%m/%Y%~", "5k"),
    ],
)
def test_bad_cells_name_the_cell_and_the_format(spec, cell):
    with pytest.raises(DateError) as info:
        read_date(cell, spec)
    assert f"`{cell}`" in str(info.value)
    assert isinstance(info.value, KpiError)


def test_missing_dates_are_none():
    assert [read_date(c, "%Y-%m-%d%~") for c in ("", "-", "(not set)", None)] == [None] * 4


def test_unknown_directive():
    with pytest.raises(ValueError, match="%j"):
        compile_format("%Y-%j")
    with pytest.raises(ValueError, match="year"):
        compile_format("%d/%m")


# --- detection ------------------------------------------------------------------------------


def locate(index: int) -> Location:
    return Location("ads.csv", index + 4, 1)


@pytest.mark.parametrize(
    ("cells", "spec"),
    [
        (["2024-01-15", "2024-01-16"], "%Y-%m-%d%~"),
        (["20240601", "20240602"], "%Y%m%d"),
        (["13/01/2024", "01/02/2024"], "%d/%m/%Y%~"),
        (["01/13/2024", "02/01/2024"], "%m/%d/%Y%~"),
        (["Thu, 5 Feb 2026", "Fri, 6 Feb 2026"], "%a, %d %b %Y"),
        (["Thursday, February 5, 2026"], "%a, %b %d, %Y"),
        (["Feb 5, 2026", "Feb 6, 2026"], "%b %d, %Y"),
        (["jeu. 5 févr. 2026"], "%a %d %b %Y"),
        (["2024-01", "2024-02"], "%Y-%m"),
        (["Jan 2024", "Feb 2024"], "%b %Y"),
        (["January 2024"], "%b %Y"),
        (["01/2024", "02/2024"], "%m/%Y"),
        (["202406", "202407"], "%Y%m"),
        (["1403/03/12"], "jalali:%Y/%m/%d%~"),
        (["05/05/2024"], "%d/%m/%Y%~"),  # reads the same both ways
        (["5-Jan-24", "12-Feb-24"], "%d-%b-%y"),  # Excel's default `d-mmm-yy`
        (["05-Jan-2024", "12-Feb-2024"], "%d-%b-%Y"),
        (["Jan-24", "Feb-24", "Dec-23"], "%b-%y"),  # Excel's `mmm-yy`: months
    ],
)
def test_detect(cells, spec):
    assert detect_date_format(cells).spec == spec


def test_ambiguous_day_month_names_the_cells_and_asks_for_date_format():
    cells = ["05/02/2026", "", "06/02/2026", "07/02/2026"]
    with pytest.raises(KpiError) as info:
        detect_date_format(cells, column="Day", locate=locate)
    error = info.value
    assert "`05/02/2026` (line 4)" in error.message and "`06/02/2026` (line 6)" in error.message
    assert error.location == Location("ads.csv", 4, 1)
    assert "date_format: '%d/%m/%Y'" in (error.fix or "")
    assert "date_format: '%m/%d/%Y'" in (error.fix or "")


def test_ambiguity_settled_by_the_export_range_or_locale():
    cells = ["05/02/2026", "06/02/2026"]
    within = (D(2026, 2, 1), D(2026, 2, 28))
    assert detect_date_format(cells, within=within).spec == "%d/%m/%Y%~"
    assert detect_date_format(cells, day_first=False).spec == "%m/%d/%Y%~"
    assert detect_date_format(cells, date_format="%m/%d/%Y").spec == "%m/%d/%Y"


def test_excel_serials_only_for_a_date_column():
    with pytest.raises(KpiError, match="45292"):
        detect_date_format(["45292", "45293"])
    fmt = detect_date_format(["45292", "45293"], excel_serials=True)
    assert fmt.kind == "excel" and fmt.read("45293") == D(2024, 1, 2)


def test_unreadable_column():
    with pytest.raises(KpiError, match="set the source option `date_format`"):
        detect_date_format(["soon", "later"], column="Day", locate=locate)


# --- Python and SQL read alike ------------------------------------------------------------------

ISSUE_CELLS = [
    "2024-01-15", " 2024-01-15 ", "2024-1-5", "2024-02-30", "2024-01-15T10:00:00", "20240115",
    "Thu, 5 Feb 2026", "05/02/2026", "Jan 2024", "45292", "", "-", None, "x",
]  # fmt: skip


@pytest.mark.parametrize("spec", [*DATE_FORMATS, "excel", "jalali:%Y/%m/%d", "%m/%d/%Y%~"])
def test_sql_reads_as_python_does(con, spec):
    assert sql_dates(con, ISSUE_CELLS, spec) == py_dates(ISSUE_CELLS, spec)


#: Weekday dates as exports write them, in each language the grammar reads, abbreviated or in
#: full (`Thu, 5 Feb 2026`, `Thursday, 05 February 2026`, `jeu. 5 févr. 2026`), in any case:
#: which is told by the day itself, so that the property's draws cover them all.
WEEKDAY_PATTERNS = {
    "%a, %d %b %Y": ("EEE, d MMM y", "EEEE, d MMMM y"),
    "%a %d %b %Y": ("EEE d MMM y", "EEEE d MMMM y"),
    "%a %d. %b %Y": ("EEE d. MMM y", "EEEE d. MMMM y"),
    "%a, %b %d, %Y": ("EEE, MMM d, y", "EEEE, MMMM d, y"),
    "%a, %d. %b %Y": ("EEE, d. MMM y", "EEEE, d. MMMM y"),  # German (Google Ads in German)
    "%a, %d de %b de %Y": ("EEE, d 'de' MMM 'de' y", "EEEE, d 'de' MMMM 'de' y"),  # pt, es_MX
}
WEEKDAY_LOCALES = ("en", "fr", "de", "es", "it", "nl", "pt", "fa")


def weekday_writer(spec: str):
    def write(d: D) -> str:
        n = d.toordinal()
        pattern = WEEKDAY_PATTERNS[spec][n // 8 % 2]
        pattern = pattern.replace(" d", " dd") if n // 48 % 2 else pattern  # `05 Feb`
        text = format_date(d, pattern, locale=WEEKDAY_LOCALES[n % 8])
        return (str, str.lower, str.upper)[n // 16 % 3](text)

    return write


def other_weekday(cell: str, name: str) -> str:
    """The cell with its leading weekday (up to a space or comma) replaced by `name`."""
    return re.sub(r"^[^ ,]+", name, cell)


#: Month names as regions and spreadsheets write them: Babel's (CLDR) for these locales, and
#: German Excel's `MMM` (Windows' de-DE abbreviations: `Mrz` where CLDR has `Mär`).
MONTH_LOCALES = (
    "en", "en_GB", "de", "de_AT", "de_CH", "fr", "fr_CA", "es", "es_MX", "es_PE", "it", "nl",
    "nl_BE", "pt", "pt_PT", "fa",
)  # fmt: skip
EXCEL_DE = ("Jan", "Feb", "Mrz", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")


def month_writer(template: str, width: str, locales: tuple[str, ...] = MONTH_LOCALES):
    """A month (`{month}`, `{yy}`, `{yyyy}`) in a locale, width, context and case told by the
    day, so that the property's draws cover them; one abbreviation in three German Excel's."""

    def write(d: D) -> str:
        n = d.toordinal()
        if width == "abbreviated" and n // 17 % 3 == 0:
            name = EXCEL_DE[d.month - 1]
        else:
            context = ("format", "stand-alone")[n // 5 % 2]
            name = get_month_names(width, context, locales[n % len(locales)])[d.month]
        name = (str, str.lower, str.upper)[n // 7 % 3](name)
        return template.format(month=name, yy=f"{d:%y}", yyyy=d.year)

    return write


WRITERS = {
    "%Y-%m-%d%~": lambda d: d.isoformat(),
    "%Y%m%d": lambda d: d.strftime("%Y%m%d"),
    "%d/%m/%Y%~": lambda d: d.strftime("%d/%m/%Y"),
    "%m/%d/%y%~": lambda d: f"{d.month}/{d.day}/{d:%y}",
    **{spec: weekday_writer(spec) for spec in WEEKDAY_PATTERNS},
    "%d %b %Y": lambda d: format_date(d, "d MMMM y", locale="de").replace(".", ""),
    "excel": lambda d: str((d - D(1899, 12, 30)).days),
    "%b-%y": month_writer("{month}-{yy}", "abbreviated"),  # Excel's `MMM-YY`
    "%b %Y": month_writer("{month} {yyyy}", "wide"),
    "%b de %Y": month_writer("{month} de {yyyy}", "abbreviated", ("es", "es_MX", "pt", "pt_PT")),
}


@pytest.mark.parametrize("spec", list(WRITERS))
@PROPERTY
@given(
    days=st.lists(st.dates(D(2000, 1, 1), D(2099, 12, 31)), min_size=1, max_size=8), data=st.data()
)
def test_written_dates_read_back_in_python_and_sql(con, spec, days, data):
    cells = [WRITERS[spec](d) for d in days]
    noise = data.draw(
        st.lists(
            st.sampled_from(cells).flatmap(
                lambda c: st.tuples(st.integers(0, len(c)), st.sampled_from("0 9/-.,aT:")).map(
                    lambda p, c=c: c[: p[0]] + p[1] + c[p[0] :]
                )
            ),
            max_size=4,
        )
    )
    noise += data.draw(  # weekday names, right or wrong for the day, in any language and case
        st.lists(
            st.tuples(
                st.sampled_from(cells),
                st.sampled_from(sorted(weekdays())),
                st.sampled_from([str.lower, str.upper, str.title]),
            ).map(lambda t: other_weekday(t[0], t[2](t[1]))),
            max_size=6,
        )
    )
    grain = compile_format(spec).grain  # a month's rows are dated by its first day
    assert py_dates(cells, spec) == [d if grain == "day" else d.replace(day=1) for d in days]
    assert sql_dates(con, cells + noise, spec) == py_dates(cells + noise, spec)


def test_the_frozen_calendar_names_are_babels():
    """Month and weekday names are read from a table, not from Babel at each run: the table
    must be what Babel gives (`KPIENGINE_UPDATE_SNAPSHOTS=1` writes it again)."""
    import json
    import os

    from kpiengine.fileformats.datespec import NAMES_FILE, month_names, names_from_babel

    months, days = names_from_babel()
    if os.environ.get("KPIENGINE_UPDATE_SNAPSHOTS") == "1":
        table = {"source": json.loads(NAMES_FILE.read_text())["source"], "months": months}
        text = json.dumps({**table, "days": list(days)}, ensure_ascii=False, indent=0)
        NAMES_FILE.write_text(text + "\n", encoding="utf-8")
        month_names.cache_clear()
    assert month_names() == (months, days)
    assert months["janvier"] == 1 and months["dec"] == 12 and "thu" in days  # the probe works


def test_the_probe_of_a_named_format_matches_whatever_the_format_reads():
    """A named format first tries a pattern with any run of letters in place of its names
    (fast to compile); it must match every cell the format reads, each name in any case."""
    from kpiengine.fileformats.datespec import compile_spec, month_names
    from kpiengine.fileformats.sql import full_regex

    months, days = month_names()
    named = [s for s in DATE_FORMATS if "%b" in s or "%a" in s]
    checked = 0
    for spec in named:
        compiled = compile_spec(spec)
        for month in months:
            for case in (str.lower, str.upper, str.title):
                day = days[checked % len(days)]
                text = spec.replace("%a", case(day)).replace("%b", case(month) + ".")
                text = text.replace("%d", "5").replace("%Y", "2024").replace("%y", "24")
                assert full_regex(compiled.exact).fullmatch(text), (spec, text)
                assert full_regex(compiled.probe).fullmatch(text), (spec, text)
                checked += 1
    assert checked == len(named) * len(months) * 3
