"""Dates of `crm` exports: Salesforce's ICU date-times (`1/5/2024, 9:00 AM`, `05.01.2024, 09:00`)
next to date-only columns, read alike by Python and DuckDB; a date column whose format only the
other date columns tell, its bad cell named at its place; a day/month ambiguity listing only its
own cells, at their lines; a `date_format:` the reader cannot use never replaced by a guess.

Expected days come from `datetime.strptime` with the format each export is known to write.
"""

import datetime as dt

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError
from kpiengine.fileformats.dates import DateError, compile_format, read_date

HEADER = '"Opportunity Name","Stage","Amount","Close Date","Created Date","Won","Closed"'
#: Salesforce's ICU medium formats: locale -> (date-only, date-time, strptime of the date-time)
ICU = {
    "en_US": ("2/20/2024", "1/5/2024, 9:00 AM", "%m/%d/%Y, %I:%M %p"),
    "de_DE": ("20.02.2024", "05.01.2024, 09:00", "%d.%m.%Y, %H:%M"),
    "en_GB": ("20/02/2024", "05/01/2024, 09:00", "%d/%m/%Y, %H:%M"),
}


@pytest.mark.parametrize("locale", list(ICU))
def test_salesforce_icu_date_times_next_to_date_only_closes(tmp_path, locale):
    close, created, pattern = ICU[locale]
    text = "\n".join([HEADER, f'"A","Closed Won","100.00","{close}","{created}","1","1"', ""])
    (tmp_path / "o.csv").write_text(text, "utf-8")
    got = table(connector("o.csv", root=tmp_path), "opportunities", "sales_cycle_days")
    day = dt.datetime.strptime(created, pattern).date()
    closed = dt.datetime.strptime(close, pattern.split(",")[0]).date()
    assert nonzero(got["opportunities"]) == {f"{day:%Y-%m}": 1.0}
    assert (
        nonzero(got["sales_cycle_days"])
        == {f"{closed:%Y-%m}": (closed - day).days}
        == {"2024-02": 46}
    )


@pytest.mark.parametrize(
    ("spec", "cell", "expected"),
    [
        ("%m/%d/%Y%~", "1/5/2024, 9:00 AM", dt.date(2024, 1, 5)),
        ("%m/%d/%Y%~", "12/31/2024, 11:59 PM", dt.date(2024, 12, 31)),
        ("%d.%m.%Y%~", "05.01.2024, 09:00", dt.date(2024, 1, 5)),
        ("%d/%m/%Y%~", "05/01/2024, 09:00:30", dt.date(2024, 1, 5)),
        ("%Y-%m-%d%~", "2024-01-05, 09:00", dt.date(2024, 1, 5)),
        # ICU 72 and later write a narrow no-break space before AM/PM
        ("%m/%d/%Y%~", "1/5/2024, 9:00\u202fAM", dt.date(2024, 1, 5)),
        ("%m/%d/%Y%~", "1/5/2024 9:00\u00a0PM", dt.date(2024, 1, 5)),
    ],
)
def test_a_comma_before_the_time(spec, cell, expected):
    assert read_date(cell, spec) == expected


@pytest.mark.parametrize(
    "cell", ["1/5/2024,9:00 AM", "1/5/2024 , 9:00", "1/5/2024,, 9:00", "1/5/2024,", "1/5/2024, "]
)
def test_only_a_comma_and_one_space_before_the_time(cell):
    with pytest.raises(DateError):
        read_date(cell, "%m/%d/%Y%~")


PROPERTY = settings(
    derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(
    moments=st.lists(
        st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)), min_size=1, max_size=6
    ),
    comma=st.sampled_from([", ", " ", ",", " , "]),
    twelve=st.booleans(),
)
def test_icu_date_times_read_alike_in_python_and_duckdb(moments, comma, twelve):
    def written(m):
        clock = f"{(m.hour % 12) or 12}:{m:%M} {m:%p}" if twelve else f"{m:%H:%M}"
        return f"{m.month}/{m.day}/{m.year}{comma}{clock}"

    cells = [written(m) for m in moments]
    fmt = compile_format("%m/%d/%Y%~")
    python = []
    for cell in cells:
        try:
            python.append(fmt.read(cell))
        except DateError:
            python.append("bad")
    with duckdb.connect() as con:
        rows = con.execute(
            f"SELECT {fmt.sql('x')}, {fmt.bad_sql('x')} "
            "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i",
            [cells, len(cells)],
        ).fetchall()
    assert ["bad" if bad else value for value, bad in rows] == python
    if comma in (", ", " "):  # what exports write: every cell reads, as its day
        assert python == [m.date() for m in moments]


def test_a_bad_cell_of_a_column_whose_format_the_other_columns_tell_is_placed(tmp_path):
    lines = [
        '"Opportunity Name","Stage","Amount","Close Date","Created Date"',
        '"A","Closed Won","100.00","2/20/2024","1/5/2024 at 9"',
        '"B","Closed Won","100.00","2/21/2024","1/6/2024"',
        '"C","Closed Won","100.00","2/22/2024","1/7/2024"',
    ]
    (tmp_path / "o.csv").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(KpiError) as info:
        table(connector("o.csv", root=tmp_path), "opportunities")
    error = info.value
    column = lines[1].index('"1/5/2024 at 9"') + 1
    assert (error.location.file, error.location.line, error.location.column) == (
        "o.csv",
        2,
        column,
    )
    assert "expected a date like %m/%d/%Y in column `Created Date`" in error.message
    assert "found `1/5/2024 at 9`" in error.message and "date_format" in error.fix


def test_a_day_month_ambiguity_lists_its_own_cells_at_their_lines(tmp_path):
    lines = [
        '"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date"',
        '"1","A","Closed won","100","05/02/2024 17:31","03/01/2024 09:00"',
        '"2","B","Closed lost","50","06/02/2024 10:00","04/01/2024 09:00"',
    ]
    (tmp_path / "deals.csv").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(KpiError, match="read as day/month or as month/day") as info:
        table(connector("deals.csv", root=tmp_path), "opportunities")
    message = info.value.message
    # the first date column by name, `Close Date`: its cells only, each at its line
    assert "in column `Close Date`" in message
    assert "`05/02/2024 17:31` (line 2), `06/02/2024 10:00` (line 3)" in message
    assert "(line 1)" not in message and "03/01/2024" not in message  # the create dates'
    assert info.value.location.line == 2
    assert info.value.location.column == lines[1].index('"05/02/2024 17:31"') + 1


def test_an_unusable_date_format_option_is_not_replaced_by_a_guess(tmp_path):
    lines = [
        '"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date"',
        '"1","A","Closed won","100","2024-02-05","2024-01-03"',
    ]
    (tmp_path / "deals.csv").write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(KpiError, match="`date_format`"):
        table(connector("deals.csv", root=tmp_path, date_format="%d/%Q/%Y"), "opportunities")
