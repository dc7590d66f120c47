"""The `crm` connector never adds up the same deals twice: two files of one source holding the
same record id (HubSpot's `Record ID`), or, without an id column, the same rows in every cell
(a Salesforce report saved twice), are an error naming both files, the first shared record and
its lines. Exports of other deals (per pipeline, per period) still add up; a record twice in
one file is an error at its second line (`tests/test_crm_repeated_ids.py`).

Expected values, ids and lines are worked out here with the csv module.
"""

import csv
import io
import re
import shutil

import pytest
from click.testing import CliRunner
from test_connector_crm import FIXTURES, connector, expect, money, nonzero, read, table

from kpiengine.cli import cli
from kpiengine.errors import KpiError

HUBSPOT = "hubspot_deals.csv"
SALESFORCE = "salesforce_opportunities.csv"
SAME = r"`{}` and `{}` hold the same deals"
WON = {"Closed won"}


def records(text):
    """(line, row as a dict) of each data record of a CSV text."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    out, line = [], reader.line_num + 1
    for row in reader:
        if len(row) == len(header):
            out.append((line, dict(zip(header, row, strict=True))))
        line = reader.line_num + 1
    return out


def hubspot_text():
    return (FIXTURES / HUBSPOT).read_text("utf-8")


def revenue_by_month(rows):
    """HubSpot rows: the amounts of `Closed won` deals by close month."""
    won = [r for r in rows if r["Deal Stage"] in WON]
    return expect((r["Close Date"][:7], money(r["Amount"])) for r in won)


def write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        writer.writerows([r[h] for h in header] for r in rows)


def test_a_hubspot_export_saved_twice_is_an_error(tmp_path):
    first = "hubspot-deals-2024-04-02 (1).csv"  # sorts before the original: ' ' < '.'
    second = "hubspot-deals-2024-04-02.csv"
    for name in (first, second):
        shutil.copy(FIXTURES / HUBSPOT, tmp_path / name)
    rows = records(hubspot_text())
    line, row = rows[0]
    ids = {r["Record ID"] for _, r in rows if r["Record ID"]}
    message = (
        rf"{SAME.format(re.escape(first), re.escape(second))} \({len(ids)} deals in both\): "
        rf"Record ID `{row['Record ID']}` is on {re.escape(first)}:{line}:1 and on "
        rf"{re.escape(second)}:{line}:1; the source would count them twice"
    )
    with pytest.raises(KpiError, match=message) as info:
        table(connector("*.csv", root=tmp_path), "revenue")
    assert info.value.location.file == second and info.value.location.line == line
    assert "keep one export per source" in info.value.fix and "`path:`" in info.value.fix


def test_monthly_snapshots_of_all_deals_are_an_error(tmp_path):
    """March's snapshot holds January's deals again, one of them moved on since."""
    rows = records(hubspot_text())
    header = list(rows[0][1])
    january = [r for _, r in rows[:10]]
    march = [dict(r) for _, r in rows]
    moved = next(i for i, r in enumerate(march) if r["Deal Stage"] == "Contract sent")
    march[moved]["Deal Stage"] = "Closed won"  # the same deal, its cells changed
    write(tmp_path / "deals-2024-01.csv", header, january)
    write(tmp_path / "deals-2024-03.csv", header, march)
    shared = {r["Record ID"] for r in january} & {r["Record ID"] for r in march}
    first = next(r["Record ID"] for r in march if r["Record ID"] in shared)
    # header on line 1, one line per row as written: the row's index + 2
    line_jan = 2 + next(i for i, r in enumerate(january) if r["Record ID"] == first)
    line_mar = 2 + next(i for i, r in enumerate(march) if r["Record ID"] == first)
    with pytest.raises(KpiError) as info:
        table(connector("deals-*.csv", root=tmp_path), "revenue")
    assert info.value.message == (
        f"`deals-2024-01.csv` and `deals-2024-03.csv` hold the same deals ({len(shared)} deals "
        f"in both): Record ID `{first}` is on deals-2024-01.csv:{line_jan}:1 and on "
        f"deals-2024-03.csv:{line_mar}:1; the source would count them twice"
    )


def test_a_salesforce_report_saved_twice_without_ids_is_an_error(tmp_path):
    for name in ("opps.csv", "opps (1).csv"):
        shutil.copy(FIXTURES / SALESFORCE, tmp_path / name)
    text = (FIXTURES / SALESFORCE).read_text("latin-1")
    dated = [(n, r) for n, r in records(text) if r["Close Date"] or r["Created Date"]]
    assert "Opportunity ID" not in dated[0][1]  # the report has no id column
    line = dated[0][0]
    with pytest.raises(KpiError) as info:
        table(connector("*.csv", root=tmp_path), "revenue")
    assert info.value.message == (
        f"`opps (1).csv` and `opps.csv` hold the same deals: {len(dated)} rows the same in "
        f"every cell (of the {len(dated)} dated rows of `opps.csv`), the first on "
        f"opps (1).csv:{line}:1 and on opps.csv:{line}:1; the source would count them twice"
    )
    assert "Opportunity ID" in info.value.fix


def test_a_salesforce_opportunity_id_tells_the_same_deal(tmp_path):
    """The same opportunity in two reports, its `Age` changed: the id tells."""
    rows = read(SALESFORCE, encoding="latin-1")
    header = ["Opportunity ID", *rows[0]]
    ids = [dict(r, **{"Opportunity ID": f"0065g00000Abc{i:03d}"}) for i, r in enumerate(rows)]
    later = [dict(r, Age=str(int(r["Age"]) + 30)) for r in ids[3:]]
    write(tmp_path / "a.csv", header, ids[:5])
    write(tmp_path / "b.csv", header, later)
    with pytest.raises(KpiError, match=r"\(2 deals in both\): Opportunity ID `0065g00000Abc003` "
                                       r"is on a\.csv:5:1 and on b\.csv:2:1"):  # fmt: skip
        table(connector("*.csv", root=tmp_path), "revenue")


def test_exports_of_other_deals_add_up(tmp_path):
    """One export per pipeline: other record ids, the same months."""
    rows = [r for _, r in records(hubspot_text())]
    header = list(rows[0])
    pipelines = sorted({r["Pipeline"] for r in rows})
    assert len(pipelines) > 1
    for i, name in enumerate(pipelines):
        write(tmp_path / f"p{i}.csv", header, [r for r in rows if r["Pipeline"] == name])
    got = table(connector("p*.csv", root=tmp_path), "revenue")
    assert nonzero(got["revenue"]) == revenue_by_month(rows)


def test_salesforce_reports_of_other_months_add_up(tmp_path):
    """Without ids: reports over other deals share no row."""
    rows = read(SALESFORCE, encoding="latin-1")
    header = list(rows[0])
    write(tmp_path / "june.csv", header, [r for r in rows if r["Close Date"].startswith("6/")])
    write(tmp_path / "rest.csv", header, [r for r in rows if not r["Close Date"].startswith("6/")])
    won = [r for r in rows if r["Won"] == "1"]
    day = lambda t: t.split("/")  # noqa: E731 - m/d/yyyy
    want = expect((f"{day(r['Close Date'])[2]}-{int(day(r['Close Date'])[0]):02d}",
                   money(r["Amount"])) for r in won)  # fmt: skip
    got = table(connector("*.csv", root=tmp_path), "revenue")
    assert nonzero(got["revenue"]) == want


def test_a_row_alike_by_chance_in_two_exports_without_ids_adds_up(tmp_path):
    """Two owners' exports without an id, one deal each alike in every cell to another's:
    fewer than half of the smaller file's rows, so other deals, counted in both."""
    header = ["Stage", "Amount", "Close Date", "Created Date"]
    cells = [
        ("Won", "1000", "2024-02-01", "2024-01-05"),
        ("Won", "250", "2024-02-10", "2024-01-08"),
        ("Lost", "80", "2024-02-11", "2024-01-09"),
        ("Won", "400", "2024-03-01", "2024-02-02"),
        ("Won", "90", "2024-03-03", "2024-02-07"),
    ]
    deals = [dict(zip(header, c, strict=True)) for c in cells]
    one, two = deals[:3], [dict(deals[0]), *deals[3:]]
    write(tmp_path / "anna.csv", header, one)
    write(tmp_path / "ben.csv", header, two)
    want = expect(
        (r["Close Date"][:7], float(r["Amount"])) for r in one + two if r["Stage"] == "Won"
    )
    got = table(connector("*.csv", root=tmp_path, system="generic", object="deals"), "revenue")
    assert nonzero(got["revenue"]) == want


def test_a_generic_export_names_its_id_column(tmp_path):
    header = ["Deal ID", "Stage", "Amount", "Close Date", "Created Date"]
    rows = [
        {"Deal ID": "D-1", "Stage": "Won", "Amount": "10", "Close Date": "2024-02-01",
         "Created Date": "2024-01-05"},
        {"Deal ID": "D-2", "Stage": "Won", "Amount": "20", "Close Date": "2024-02-02",
         "Created Date": "2024-01-06"},
    ]  # fmt: skip
    write(tmp_path / "a.csv", header, rows)
    write(tmp_path / "b.csv", header, [dict(rows[1], Amount="25")])  # edited since
    generic = {"system": "generic", "object": "deals"}
    # without `id`, 0 of b.csv's 1 row is the same in every cell: both are counted
    got = table(connector("*.csv", root=tmp_path, **generic), "revenue")
    assert nonzero(got["revenue"]) == {"2024-02": 10.0 + 20.0 + 25.0}
    named = connector("*.csv", root=tmp_path, columns={"id": "Deal ID"}, **generic)
    with pytest.raises(KpiError, match=r"Deal ID `D-2` is on a\.csv:3:1 and on b\.csv:2:1"):
        table(named, "revenue")


def test_the_same_id_twice_in_one_file_is_an_error_at_its_second_line(tmp_path):
    text = hubspot_text()
    lines = text.splitlines(keepends=True)
    rows = [r for _, r in records(text)]
    won = next(i for i, r in enumerate(rows) if r["Deal Stage"] in WON)
    (tmp_path / "deals.csv").write_text("".join(lines) + lines[1 + won], "utf-8")
    with pytest.raises(KpiError) as info:
        table(connector("deals.csv", root=tmp_path), "revenue")
    record = rows[won]["Record ID"]
    said = f"`{record}` is on line {2 + won} and again on line {len(lines) + 1}"
    assert said in info.value.message
    assert info.value.location.line == len(lines) + 1


def test_one_file_is_not_read_again(tmp_path, monkeypatch):
    import kpiengine.connectors._crm_files as files

    def fail(*args):
        raise AssertionError("one file needs no query across files")

    monkeypatch.setattr(files, "run_sql", fail)
    got = table(connector(HUBSPOT), "revenue")
    assert nonzero(got["revenue"]) == revenue_by_month([r for _, r in records(hubspot_text())])


@pytest.mark.parametrize("command", ["eval", "lint"])
def test_eval_and_lint_stop_on_a_download_saved_twice(tmp_path, monkeypatch, command):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("hubspot-deals-2024-04-02.csv", "hubspot-deals-2024-04-02 (1).csv"):
        shutil.copy(FIXTURES / HUBSPOT, exports / name)
    (tmp_path / "kpi.yaml").write_text(
        "sources:\n  crm:\n    connector: crm\n    path: exports/*.csv\n", "utf-8"
    )
    args = ["--kpi", "sales_revenue", "--from", "2024-01", "--to", "2024-03"]
    result = CliRunner().invoke(
        cli, [command, "-w", str(tmp_path), *(args if command == "eval" else [])]
    )
    assert result.exit_code == 2, result.output
    assert "hold the same deals" in result.output and "count them twice" in result.output
