"""Issue 11's cells in every file connector: read exactly, or rejected at `file:line:column`.

Each cell is written into a small file shaped like each connector's exports (a csv source, a
GA4 export, a HubSpot deals export, a Google Ads report), in the column that carries a number;
the expected values are written here by hand, not computed by the reading layer.
"""

import math

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate

READ = [
    ("1e3", 1000.0),
    ("1e+06", 1e6),
    ("1.2E-05", 1.2e-05),
    ("12", 12.0),
    ('"1,234.50"', 1234.5),
    ("45.6%", 0.456),
    ('"(1,200)"', -1200.0),
    ("—", math.nan),
    ("--", math.nan),
    ("(not set)", math.nan),
    ("", math.nan),
]
REJECTED = ["5k", "1-2", "#DIV/0!", "#N/A", "#REF!", "#VALUE!", "2024-01-15", '"1,2,3"']


def source(tmp_path, connector, name, text, currency=None, **options):
    from kpiengine.plugins import make_plugin_manager, registered

    (tmp_path / name).write_text(text, "utf-8")
    config = SourceConfig(
        name="s",
        connector=connector,
        root=tmp_path,
        location=Location("kpi.yaml", 2, 3),
        options={"path": name, **options.pop("options", {})},
        currency=currency,
        variables=frozenset({"revenue", "sessions", "ad_spend", "ad_revenue", "deals_won"}),
        **options,
    )
    return registered(make_plugin_manager(), "register_connectors")[connector].obj(config)


def one(conn, variable):
    frame = conn.fetch(Request({variable: Aggregate()}, "month", []))
    return float(frame.values[variable].sum()) if frame.values[variable].size else math.nan


def csv_file(cell):
    return "csv", "d.csv", f"date,revenue\n2024-01-01,{cell}\n", "revenue", {}, (2, 0)


def ga_file(cell):
    text = (
        "# Start date: 20240601\n# End date: 20240601\n"
        f"Date,Session default channel group,Sessions\n20240601,Direct,{cell}\n"
    )
    return "ga_export", "ga.csv", text, "sessions", {}, (4, 0)


def crm_file(cell):
    text = (
        '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Create Date"\n'
        f'"1","A","Closed won","2024-01-20",{cell},"2024-01-02"\n'
    )
    return "crm", "deals.csv", text, "revenue", {}, (2, 0)


def ads_file(cell):
    text = f"Day,Campaign,Impr.,Clicks,Cost\n2024-06-01,Brand,100,10,{cell}\n"
    return "ads", "ads.csv", text, "ad_spend", {}, (2, 0)


FILES = [csv_file, ga_file, crm_file, ads_file]


@pytest.mark.parametrize("make", FILES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("cell", "value"), READ)
def test_cells_read_exactly(tmp_path, make, cell, value):
    connector, name, text, variable, options, _ = make(cell)
    if connector == "ga_export" and cell.startswith('"('):
        pytest.skip("a GA count is never written in accounting parentheses")
    conn = source(tmp_path, connector, name, text, **options)
    if cell.endswith("%") and connector != "csv":  # sessions, amounts, costs: no percentage
        with pytest.raises(KpiError, match="found `45.6%` \\(a percentage in a column of"):
            one(conn, variable)
        return
    got = one(conn, variable)
    if math.isnan(value):
        assert math.isnan(got) or (connector == "crm" and got == 0.0)  # a won deal with no amount
    else:
        assert got == value


@pytest.mark.parametrize("make", FILES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("cell", REJECTED)
def test_cells_rejected_at_their_place(tmp_path, make, cell):
    connector, name, text, variable, options, (line, _) = make(cell)
    column = text.splitlines()[line - 1].rindex(cell) + 1  # where the cell's field starts
    conn = source(tmp_path, connector, name, text, **options)
    with pytest.raises(KpiError) as info:
        one(conn, variable)
    assert info.value.location == Location(name, line, column), str(info.value)
    assert cell.strip('"') in info.value.message and "expected" in info.value.message


@pytest.mark.parametrize("make", FILES, ids=lambda f: f.__name__)
def test_a_currency_written_in_the_cells_must_be_the_workspace_one(tmp_path, make):
    connector, name, text, variable, options, (line, _) = make('"US$50.00"')
    column = text.splitlines()[line - 1].rindex('"US$50.00"') + 1
    if connector == "ga_export":  # GA's money columns are mapped
        text = text.replace("Sessions", "Total revenue")
        options = {
            "mappings": {"revenue": Mapping("revenue", Location("k"), column="Total revenue")}
        }
        variable = "revenue"
    conn = source(tmp_path, connector, name, text, currency="EUR", **options)
    with pytest.raises(KpiError, match="USD but the workspace currency is EUR") as info:
        one(conn, variable)
    assert info.value.location == Location(name, line, column)
    assert one(source(tmp_path, connector, name, text, currency="USD", **options), variable) == 50
