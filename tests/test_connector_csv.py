import numpy as np
import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate
from kpiengine.plugins import make_plugin_manager, registered

VARIABLES = frozenset({"revenue", "cost", "leads", "customers_at_end"})


def connector(tmp_path, text, encoding="utf-8", name="d.csv", mappings=None, **options):
    from kpiengine.connectors.csv_files import CsvConnector

    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding)
    config = SourceConfig(
        name="test",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": name, **options},
        mappings=mappings or {},
        variables=VARIABLES,
    )
    return CsvConnector(config)


def fetch(conn, *variables, grain="month", dims=(), rules=None):
    rules = rules or {}
    request = Request({v: rules.get(v, Aggregate()) for v in variables}, grain, list(dims))
    return conn.fetch(request)


def test_registered_through_the_hook():
    from kpiengine.connectors.csv_files import CsvConnector

    found = registered(make_plugin_manager(), "register_connectors")["csv"]
    assert found.obj is CsvConnector and found.origin == "built-in"


def test_wide_csv_auto_maps_variables_and_dimensions(tmp_path):
    text = "date,channel,revenue,cost\n2024-01-05,A,10,4\n2024-01-09,B,20,5\n2024-02-01,A,7,1\n"
    conn = connector(tmp_path, text)
    assert conn.provides() == {"revenue", "cost"} and conn.dimensions() == {"channel"}
    frame = fetch(conn, "revenue", dims=["channel"])
    rows = sorted(
        zip(frame.dates.astype(str), frame.dims["channel"], frame.values["revenue"], strict=True)
    )
    assert rows == [("2024-01-01", "A", 10.0), ("2024-01-01", "B", 20.0), ("2024-02-01", "A", 7.0)]
    total = fetch(conn, "revenue", "cost")
    assert total.values["revenue"].tolist() == [30.0, 7.0]


def test_locale_numbers_and_semicolons(tmp_path):
    text = (
        "Datum;Kanal;Umsatz\n"
        '01.02.2024;A;"1.234,50 €"\n'
        "15.02.2024;A;(1.000,00)\n"
        "20.02.2024;A;12,5\n"
    )
    conn = connector(
        tmp_path,
        text,
        mappings={"revenue": Mapping("revenue", Location("k"), column="Umsatz")},
        date="Datum",
    )
    frame = fetch(conn, "revenue")
    assert frame.values["revenue"][0] == pytest.approx(1234.5 - 1000 + 12.5)


def test_accounting_formats_as_excel_saves_them(tmp_path):
    """Excel's accounting format written to CSV: `$ -` is a zero (it counts in a mean), `(...)`
    and a sign before a trailing mark are negatives; values by hand."""
    mappings = {"cost": Mapping("cost", Location("k"), column="Cost")}
    text = (
        "Date,channel,Cost\r\n"
        '2024-01-05,A," $ 1,234.00 "\r\n'
        '2024-01-09,A," $ -   "\r\n'
        '2024-01-10,B," $ (50.50)"\r\n'
    )
    conn = connector(tmp_path, text, mappings=mappings, date="Date")
    mean = fetch(conn, "cost", rules={"cost": Aggregate("mean")}).values["cost"]
    assert mean.tolist() == [(1234.0 + 0.0 - 50.5) / 3]
    lines = ["Datum;channel;Kosten", "15.01.2024;A;1.234,50- €", "19.01.2024;A;- €"]
    text = "\n".join([*lines, "20.01.2024;B;10,00 €", ""])
    mappings = {"cost": Mapping("cost", Location("k"), column="Kosten")}
    conn = connector(tmp_path, text, name="de.csv", mappings=mappings, date="Datum")
    mean = fetch(conn, "cost", rules={"cost": Aggregate("mean")}).values["cost"]
    assert mean.tolist() == [(-1234.5 + 0.0 + 10.0) / 3]


def test_whole_amounts_grouped_by_dots_are_thousands(tmp_path):
    """German whole euros (`1.500 €`): no cell has decimals, each has one mark before three
    digits, which groups thousands: 1500, never 1.5; a column not asked for may tell too."""
    mappings = {
        "revenue": Mapping("revenue", Location("k"), column="Betrag"),
        "cost": Mapping("cost", Location("k"), column="Kosten"),
    }
    text = (
        "Monat;Kanal;Betrag;Kosten\n01.2024;A;1.500 €;7\n01.2024;B;2.250 €;2\n02.2024;A;750 €;3\n"
    )
    conn = connector(tmp_path, text, mappings=mappings, date="Monat")
    assert fetch(conn, "revenue").values["revenue"].tolist() == [3750.0, 750.0]
    text = "Monat;Betrag;Kosten\n01.2024;1.500;1,5\n"  # `1,5` says `,` is the decimal mark
    conn = connector(tmp_path, text, mappings=mappings, date="Monat")
    assert fetch(conn, "revenue").values["revenue"].tolist() == [1500.0]
    text = "Monat;Betrag;Kosten\n01.2024;1.500;1,500\n"  # grouped both ways: ask
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, text, mappings=mappings, date="Monat"), "revenue")
    assert info.value.location is not None and info.value.location.line == 2
    assert "decimal:" in (info.value.fix or "")


def test_a_file_whose_cells_cannot_tell_takes_the_mark_of_the_sources_other_files(tmp_path):
    """`b.csv` alone (`1,500`, `2,750`) reads as thousands; beside `a.csv`, whose `1,5` says
    `,` is the decimal mark, it is the same export's number format: 1.5 and 2.75."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("date;cost\n2024-01-05;1,5\n2024-01-06;2,25\n")
    (tmp_path / "data" / "b.csv").write_text("date;cost\n2024-01-07;1,500\n2024-01-08;2,750\n")
    mappings = {"cost": Mapping("cost", Location("k"), column="cost")}
    config = SourceConfig(
        name="test",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "data/*.csv", "date": "date"},
        mappings=mappings,
        variables=VARIABLES,
    )
    from kpiengine.connectors.csv_files import CsvConnector

    frame = fetch(CsvConnector(config), "cost")
    assert frame.values["cost"].tolist() == [pytest.approx(1.5 + 2.25 + 1.5 + 2.75)]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")]
)
def test_encodings_as_excel_writes_them(tmp_path, encoding, bom):
    text = "date\trevenue\n2024-03-01\t$1,234.50\n2024-03-02\t$1,000\n"
    conn = connector(tmp_path, bom + text.encode(encoding))
    assert fetch(conn, "revenue").values["revenue"].tolist() == [2234.5]


def test_long_format(tmp_path):
    text = "date,variable,value\n2024-01-01,revenue,5\n2024-01-02,revenue,6\n2024-01-02,cost,2\n"
    conn = connector(tmp_path, text, format="long")
    assert conn.provides() == {"revenue", "cost"}
    frame = fetch(conn, "revenue", "cost")
    assert frame.values["revenue"].tolist() == [11.0] and frame.values["cost"].tolist() == [2.0]


def test_counts_with_where_and_last_rule(tmp_path):
    text = (
        "created,stage,customers\n"
        "2024-01-03,Lead,100\n2024-01-20,Lead,110\n2024-01-20,Customer,5\n2024-02-02,Lead,120\n"
    )
    mappings = {
        "leads": Mapping("leads", Location("k"), count=True, where={"stage": ["Lead"]}),
        "customers_at_end": Mapping("customers_at_end", Location("k"), column="customers"),
    }
    conn = connector(tmp_path, text, mappings=mappings, date="created")
    frame = fetch(conn, "leads", "customers_at_end", rules={"customers_at_end": Aggregate("last")})
    assert frame.values["leads"].tolist() == [2.0, 1.0]
    assert frame.values["customers_at_end"].tolist() == [115.0, 120.0]  # last day's rows add up


def test_a_where_value_in_another_case_than_the_cells_is_named_not_counted_as_zero(tmp_path):
    """`where: {stage: [Closed Won]}` on cells `Closed won` would count nothing: values compare
    exactly, so the entry is an error at its place in kpi.yaml, naming the cell to write.
    A value that matches nothing in any case (no lost deal yet) stays a plain zero."""
    text = "created,stage\n2024-01-03,Closed won\n2024-01-20,Open\n"
    at = Location("kpi.yaml", 7, 9)
    mappings = {"leads": Mapping("leads", at, count=True, where={"stage": ["Closed Won"]})}
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, text, mappings=mappings, date="created"), "leads")
    assert info.value.location == at and info.value.fix == "write `Closed won`"
    assert "`Closed Won` matches no cell of column `stage`" in info.value.message
    mappings = {"leads": Mapping("leads", at, count=True, where={"stage": ["Closed lost"]})}
    frame = fetch(connector(tmp_path, text, mappings=mappings, date="created"), "leads")
    assert frame.values["leads"].tolist() == [0.0]


def test_where_leaves_rows_out_of_a_mean_a_minimum_and_a_last_value(tmp_path):
    """Rows a `where:` leaves out are no values, not zeros: a mean, minimum or last value
    reads only the rows kept (a sum reads the others as 0: nothing happened there)."""
    text = (
        "date,plan,price,customers\n2024-01-05,Pro,100,10\n2024-01-06,Basic,20,5\n"
        "2024-01-07,Pro,200,12\n2024-01-31,Basic,30,6\n"
    )
    pro = {"plan": ["Pro"]}
    mappings = {
        "revenue": Mapping("revenue", Location("k"), column="price", where=pro),
        "cost": Mapping("cost", Location("k"), column="price", where=pro),
        "customers_at_end": Mapping(
            "customers_at_end", Location("k"), column="customers", where=pro
        ),
        "leads": Mapping("leads", Location("k"), column="price", where=pro),
    }
    rules = {
        "revenue": Aggregate("mean"),
        "cost": Aggregate("min"),
        "customers_at_end": Aggregate("last"),
    }
    conn = connector(tmp_path, text, mappings=mappings, date="date")
    frame = fetch(conn, "revenue", "cost", "customers_at_end", "leads", rules=rules)
    assert frame.values["revenue"].tolist() == [(100 + 200) / 2]
    assert frame.values["cost"].tolist() == [100.0]
    assert frame.values["customers_at_end"].tolist() == [12.0]  # the last Pro day
    assert frame.values["leads"].tolist() == [300.0]  # a sum: the Basic rows add 0


def test_a_row_of_values_without_a_date_is_an_error_not_dropped(tmp_path):
    """`,Email,50` between dated rows would count in no period: the run stops at its line.
    A row without values (Excel's trailing `,,`) is no data and passes."""
    text = "Date,Channel,Amount\n2024-01-05,Email,100\n,Email,50\n2024-01-06,Paid,200\n"
    mappings = {"revenue": Mapping("revenue", Location("k"), column="Amount")}
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, text, mappings=mappings, date="Date"), "revenue")
    assert info.value.location == Location("d.csv", 3, 1)
    assert "values but no date in column `Date`" in info.value.message
    text = "Date,Channel,Amount\n2024-01-05,Email,100\n,,\n2024-01-06,Paid,200\n"
    frame = fetch(connector(tmp_path, text, mappings=mappings, date="Date"), "revenue")
    assert frame.values["revenue"].tolist() == [300.0]


def test_count_of_a_column_counts_the_rows_where_it_has_a_value(tmp_path):
    # won deals with an amount: empty cells and missing marks are no value; 0 is a value
    text = (
        "closed,stage,amount\n"
        "2024-01-03,Won,12\n2024-01-04,Won,\n2024-01-05,Won,—\n2024-01-06,Lost,7\n"
        "2024-02-01,Won,0\n2024-02-02,Won,n/a\n2024-02-03,Won, 5 \n"
    )
    where = {"stage": ["Won"]}
    mappings = {
        "leads": Mapping("leads", Location("k"), count=True, where=where, present="amount"),
        "revenue": Mapping("revenue", Location("k"), count=True, where=where),
    }
    conn = connector(tmp_path, text, mappings=mappings, date="closed")
    frame = fetch(conn, "leads", "revenue")
    assert frame.values["leads"].tolist() == [1.0, 2.0]
    assert frame.values["revenue"].tolist() == [3.0, 3.0]  # `count: true`: every won row


def test_ambiguous_dates_need_an_explicit_format(tmp_path):
    text = "date,revenue\n01/02/2024,1\n03/04/2024,2\n"
    with pytest.raises(KpiError, match="day/month or as month/day") as info:
        fetch(connector(tmp_path, text), "revenue")
    assert "date_format" in info.value.fix
    conn = connector(tmp_path, text, date_format="%d/%m/%Y")
    assert fetch(conn, "revenue").dates.astype(str).tolist() == ["2024-02-01", "2024-04-01"]


def test_parquet_and_json_lines(tmp_path):
    import duckdb

    parquet = tmp_path / "d.parquet"
    duckdb.sql(
        "SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS date, 1.5 AS revenue FROM range(40) t(i)"
    ).write_parquet(str(parquet))
    from kpiengine.connectors.csv_files import CsvConnector

    config = SourceConfig(
        "p", "csv", tmp_path, Location("k"), {"path": "d.parquet"}, variables=VARIABLES
    )
    assert fetch(CsvConnector(config), "revenue").values["revenue"].tolist() == [46.5, 13.5]
    (tmp_path / "d.jsonl").write_text(
        '{"date": "2024-05-01", "revenue": 3}\n{"date": "2024-05-02", "revenue": 4}\n'
    )
    config.options = {"path": "d.jsonl"}
    assert fetch(CsvConnector(config), "revenue").values["revenue"].tolist() == [7.0]


def test_json_lines_cells_of_mixed_types_and_offsets_read_as_written(tmp_path):
    """A JSON column of numbers and texts (`1234.5`, `"1,000.50"`, `"n/a"`) reads with the
    grammar, a boolean is a bad cell at its line, and `23:30-05:00` on 31 January stays on
    31 January (DuckDB's typed reading would move it to the next UTC day)."""
    lines = [
        '{"Date": "2024-01-31T23:30:00-05:00", "Cost": 1234.5}',
        '{"Date": "2024-02-01T08:00:00-05:00", "Cost": "1,000.50"}',
        '{"Date": "2024-02-02T08:00:00-05:00", "Cost": "n/a"}',
    ]
    mappings = {"cost": Mapping("cost", Location("k"), column="Cost")}
    text = "\n".join(lines) + "\n"
    conn = connector(tmp_path, text, name="d.jsonl", mappings=mappings, date="Date")
    assert fetch(conn, "cost").values["cost"].tolist() == [1234.5, 1000.5]
    text += '{"Date": "2024-02-03T08:00:00-05:00", "Cost": true}\n'
    conn = connector(tmp_path, text, name="d.jsonl", mappings=mappings, date="Date")
    with pytest.raises(KpiError) as info:
        fetch(conn, "cost")
    assert info.value.location is not None and info.value.location.line == 4
    assert "expected a number" in info.value.message and "`true`" in info.value.message


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("", "d.csv", "empty"),
        ("day_of,revenue\n2024-01-01,1\n", ":1:1", "no date column"),
        ("date,revenue\n2024-13-01,1\n2024-01-01,1\n", ":2:1", "expected a date"),
        (
            "date,revenue\n2024-01-01,1\n2024-01-02,abc\n",
            ":3:12",
            "expected a number in column `revenue`, found `abc`",
        ),
        ("date,revnue\n2024-01-01,1\n", ":1:6", "did you mean `revenue`"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path, text, where, words):
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, text), "revenue")
    assert str(info.value.location).endswith(where), str(info.value)
    assert words in info.value.message


def test_missing_file_and_mixed_currencies(tmp_path):
    from kpiengine.connectors.csv_files import CsvConnector

    config = SourceConfig("s", "csv", tmp_path, Location("kpi.yaml", 4, 3), {"path": "none*.csv"})
    with pytest.raises(KpiError, match="no file matches"):
        CsvConnector(config)
    text = "date,revenue\n2024-01-01,$5\n2024-01-02,€6\n"
    with pytest.raises(KpiError, match=r"mixes currencies \(\$, EUR\)"):
        fetch(connector(tmp_path, text), "revenue")


def test_unknown_option_is_named(tmp_path):
    with pytest.raises(KpiError, match="no option `delimeter`; did you mean `delimiter`"):
        connector(tmp_path, "date,revenue\n2024-01-01,1\n", delimeter=";")


def test_returns_only_numbers_as_floats(tmp_path):
    frame = fetch(connector(tmp_path, "date,revenue\n2024-01-01,\n2024-02-01,3\n"), "revenue")
    assert np.isnan(frame.values["revenue"][0]) and frame.values["revenue"][1] == 3.0


def _parquet_config(tmp_path, name):
    return SourceConfig(
        "p", "csv", tmp_path, Location("k"), {"path": name}, variables=VARIABLES, currency="USD"
    )


def _scan_queries(monkeypatch) -> list[str]:
    """The cells query of every scan run from now on (a list that fills as they run)."""
    from kpiengine.scanquery import ScanQuery

    queries: list[str] = []
    parts = ScanQuery.parts
    monkeypatch.setattr(
        ScanQuery, "parts", lambda self: queries.append(parts(self)[0]) or parts(self)
    )
    return queries


def test_typed_parquet_amounts_in_the_workspace_currency(tmp_path, monkeypatch):
    """A typed amount column records no currency: the scan tests none per row, and still
    reads every value and rejects an infinite one, naming it."""
    import duckdb
    from kpiengine.connectors.csv_files import CsvConnector

    parquet = tmp_path / "d.parquet"
    duckdb.sql(
        "SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS date, CAST(i AS BIGINT) AS cost, "
        "1.5 AS revenue FROM range(40) t(i)"
    ).write_parquet(str(parquet))
    config = _parquet_config(tmp_path, "d.parquet")
    queries = _scan_queries(monkeypatch)
    frame = fetch(CsvConnector(config), "revenue", "cost")
    assert frame.values["revenue"].tolist() == [46.5, 13.5]
    assert frame.values["cost"].tolist() == [sum(range(31)), sum(range(31, 40))]
    assert "__cur" not in queries[-1] and "NOT IN ('USD'" not in queries[-1]
    duckdb.sql(
        "SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS date, "
        "CASE WHEN i = 35 THEN 'infinity'::DOUBLE ELSE 1.5 END AS revenue FROM range(40) t(i)"
    ).write_parquet(str(tmp_path / "e.parquet"))
    config.options = {"path": "e.parquet"}
    with pytest.raises(KpiError) as info:
        fetch(CsvConnector(config), "revenue")
    assert str(info.value) == "e.parquet: expected a number in column `revenue`, found `inf`"


def test_typed_float_columns_are_tested_per_cell_only_when_their_sums_say_so(tmp_path, monkeypatch):
    """A float column is summed as it is, its sum telling whether a NaN or an infinity is
    there: a clean file is one query with no per-cell test; a NaN (a missing value) makes
    the scan run again testing each cell, and the NaN is left out as missing."""
    import duckdb
    from kpiengine.connectors.csv_files import CsvConnector

    config = _parquet_config(tmp_path, "f.parquet")
    queries = _scan_queries(monkeypatch)
    for nan_row, expected in ((None, [46.5, 13.5]), (3, [45.0, 13.5])):
        duckdb.sql(
            "SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS date, "
            f"CASE WHEN i = {nan_row if nan_row is not None else -1} THEN 'nan'::DOUBLE "
            "ELSE 1.5 END AS revenue FROM range(40) t(i)"
        ).write_parquet(str(tmp_path / "f.parquet"))
        queries.clear()
        frame = fetch(CsvConnector(config), "revenue")
        assert frame.values["revenue"].tolist() == expected
        tested = ["isfinite" in q for q in queries]
        assert tested == ([False] if nan_row is None else [False, True]), queries


@pytest.mark.parametrize("distinct", [False, True])
def test_dimension_values_are_trimmed_whether_grouped_before_or_after(tmp_path, distinct):
    """Segments are trimmed text: `Email`, ` Email` and `Email  ` are one segment (grouped
    raw and trimmed after, or trimmed per row when a distinct count needs the rows)."""
    import csv
    import io

    rows = [
        ("2024-01-05", "Email", "10", "a"),
        ("2024-01-06", " Email", "5", "b"),
        ("2024-01-07", "Email  ", "2.5", "a"),
        ("2024-01-08", "  ", "1", "c"),
        ("2024-02-01", " Ads ", "7", "d"),
        ("2024-02-03", "Ads", "3", "d"),
    ]
    text = "date,channel,revenue,customer\n" + "".join(f"{','.join(r)}\n" for r in rows)
    mappings = {"revenue": Mapping("revenue", Location("k"), column="revenue")}
    rules = {}
    if distinct:
        mappings["leads"] = Mapping("leads", Location("k"), distinct="customer")
        rules["leads"] = Aggregate(time="distinct", segments="distinct")
    from kpiengine.connectors.csv_files import CsvConnector

    (tmp_path / "d.csv").write_text(text)
    config = SourceConfig(
        "test", "csv", tmp_path, Location("k"), {"path": "d.csv"}, mappings=mappings,
        dimensions={"channel": "channel"}, variables=VARIABLES,
    )  # fmt: skip
    frame = fetch(CsvConnector(config), *mappings, dims=["channel"], rules=rules)
    got = {
        (str(d)[:7], c): v
        for d, c, v, total in zip(
            frame.dates, frame.dims["channel"], frame.values["revenue"], frame.totals, strict=True
        )
        if not total
    }
    expected: dict[tuple[str, str], float] = {}
    for record in csv.DictReader(io.StringIO(text)):
        key = (record["date"][:7], record["channel"].strip())
        expected[key] = expected.get(key, 0.0) + float(record["revenue"])
    assert got == expected
    if distinct:  # distinct customers per month and trimmed channel
        customers: dict[tuple[str, str], set[str]] = {}
        for record in csv.DictReader(io.StringIO(text)):
            key = (record["date"][:7], record["channel"].strip())
            customers.setdefault(key, set()).add(record["customer"])
        counted = {
            (str(d)[:7], c): v
            for d, c, v, total in zip(
                frame.dates, frame.dims["channel"], frame.values["leads"], frame.totals, strict=True
            )
            if not total
        }
        assert counted == {k: float(len(v)) for k, v in customers.items()}


def test_renamed_values_are_merged_before_a_mean_or_a_distinct_count(tmp_path):
    """`values: {Email Marketing: Email}` merges two raw values into one segment before rows
    are aggregated: its mean reads its four rows (not the mean of two means), and its distinct
    customers count each customer once, as the engine's total does."""
    from kpiengine.engine import Engine
    from kpiengine.workspace import load_workspace

    rows = [
        ("2024-01-05", "Email", "100", "a"),
        ("2024-01-05", "Email", "200", "b"),
        ("2024-01-07", "Email", "30", "a"),
        ("2024-01-07", "Email Marketing", "20", "a"),
    ]
    text = "Date,Channel,Price,Customer\n" + "".join(f"{','.join(r)}\n" for r in rows)
    (tmp_path / "d.csv").write_text(text)
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "variables:\n"
        "  price: {unit: currency, aggregate: mean}\n"
        "  buyers: {unit: customers, aggregate: distinct}\n"
        "kpis:\n"
        "  avg_price: {formula: price, unit: currency}\n"
        "  buyers_kpi: {formula: buyers, unit: customers}\n"
    )
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nkpis: [avg_price, buyers_kpi]\nsources:\n  s:\n    connector: csv\n"
        "    path: d.csv\n    date: Date\n"
        "    dimensions: {channel: {column: Channel, values: {Email Marketing: Email}}}\n"
        "    map: {price: {column: Price}, buyers: {distinct: Customer}}\n"
    )
    records = Engine(load_workspace(tmp_path)).evaluate(by=["channel"]).records()
    got = {(r["kpi"], r["segment"].get("channel", "")): r["value"] for r in records}
    prices = [float(r[2]) for r in rows]
    assert got["avg_price", "Email"] == got["avg_price", ""] == sum(prices) / len(prices)
    assert got["buyers_kpi", "Email"] == got["buyers_kpi", ""] == len({r[3] for r in rows})


def test_a_distinct_count_mapped_to_a_column_of_counts_is_never_added_up(write_workspace):
    """`visitors` (`aggregate: distinct`) from a column of counts the export made: a cell
    takes its one row's count; cells with several rows (days of a month, channels in a total)
    are undefined with the reason, never a count of distinct cell values or a sum."""
    import kpiengine

    text = (
        "date,channel,visitors,revenue\n2024-01-01,Email,100,500\n2024-01-01,Paid Search,200,800\n"
        "2024-02-01,Email,120,600\n2024-02-01,Paid Search,100,900\n2024-02-15,Email,30,60\n"
    )
    mine = (
        "kpis:\n  revenue_per_visitor: {formula: revenue / visitors, unit: currency / visitors}\n"
    )
    root = write_workspace({"mine": mine}, kpi_yaml="currency: USD\ndata: data.csv\n", data=text)
    ws = kpiengine.load_workspace(root)
    records = kpiengine.evaluate(ws, kpis=["revenue_per_visitor"], by=["channel"]).records()
    got = {(r["period"], r["segment"].get("channel", "")): r for r in records}
    assert got["2024-01", "Email"]["value"] == 500 / 100
    assert got["2024-01", "Paid Search"]["value"] == 800 / 200
    assert got["2024-02", "Paid Search"]["value"] == 900 / 100
    for cell in [("2024-01", ""), ("2024-02", ""), ("2024-02", "Email")]:
        assert got[cell]["value"] is None  # two channels; two Email days in February
    assert "several rows of counts in a month" in got["2024-02", "Email"]["reason"]
    assert "gives no total" in got["2024-01", ""]["reason"]


def test_counting_rows_of_a_distinct_count_is_an_error(tmp_path):
    text = "date,user\n2024-01-05,a\n2024-01-06,a\n"
    mappings = {"visitors": Mapping("visitors", Location("kpi.yaml", 7, 9), count=True)}
    conn = connector(tmp_path, text, mappings=mappings)
    with pytest.raises(KpiError, match="counts distinct entities") as info:
        fetch(conn, "visitors", rules={"visitors": Aggregate("distinct", "distinct")})
    assert info.value.location == Location("kpi.yaml", 7, 9)
    assert "distinct: user_id" in (info.value.fix or "")


def test_a_dimension_given_as_a_column_without_renames(tmp_path):
    """`dimensions: {channel: {column: Channel}}` (no `values:`) is a plain column mapping."""
    from kpiengine.engine import Engine
    from kpiengine.workspace import load_workspace

    (tmp_path / "d.csv").write_text("Date,Channel,revenue\n2024-01-05,A,5\n2024-01-06,B,7\n")
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nkpis: [sales_revenue]\nsources:\n  s:\n    connector: csv\n"
        "    path: d.csv\n    date: Date\n    dimensions: {channel: {column: Channel}}\n"
    )
    records = Engine(load_workspace(tmp_path)).evaluate(by=["channel"]).records()
    got = {r["segment"].get("channel", ""): r["value"] for r in records}
    assert got == {"": 12.0, "A": 5.0, "B": 7.0}


MS_ADS = (
    '\ufeff"Report Name: Campaign performance"\r\n"Report Time: 1/1/2024 - 2/29/2024"\r\n'
    '"Time Zone: (GMT-08:00) Pacific Time (US & Canada); Tijuana"\r\n'
    '"Report Aggregation: Daily"\r\n"Potential Incomplete Data: false"\r\n"Rows: 4"\r\n\r\n'
    '"Day","Campaign name","Impressions","Clicks","Spend"\r\n'
    '"1/2/2024","Brand","1,000","50","300.00"\r\n"1/29/2024","Brand","1,200","55","700.00"\r\n'
    '"2/2/2024","Brand","1,000","50","300.00"\r\n"2/13/2024","Brand","1,200","55","600.00"\r\n'
    '"Total","","4,400","210","1,900.00"\r\n\r\n'
    '"\u00a92024 Microsoft Corporation. All rights reserved. "\r\n'
)


def test_the_range_an_export_states_says_how_far_its_rows_go(write_workspace):
    """A Microsoft Advertising report for 1 January to 29 February whose last row is the 13th
    (days without spend are left out): February is whole, compared with all of January."""
    import kpiengine

    root = write_workspace(
        {"s": "kpis:\n  spend: {formula: ad_spend, unit: currency}\n"},
        kpi_yaml="currency: USD\nsources:\n  bing:\n    connector: csv\n    path: ms.csv\n"
        "    date: Day\n    map: {ad_spend: {column: Spend}}\n",
    )
    (root / "ms.csv").write_text(MS_ADS, encoding="utf-8", newline="")
    ws = kpiengine.load_workspace(root)
    records = kpiengine.evaluate(ws, kpis=["spend"]).records()
    got = {r["period"]: r for r in records}
    assert got["2024-02"]["complete"] and got["2024-02"]["coverage"] == 1.0
    assert got["2024-02"]["value"] == 300.0 + 600.0
    assert got["2024-02"]["previous"] == 300.0 + 700.0  # all of January, not its first 13 days
    assert got["2024-02"]["compared"] == "period" and got["2024-02"]["projected"] is None
