"""A `crm` export whose key columns the connector does not find stops with the file, the headers
found, the roles missing and a `columns:` block to paste, in `kpi eval` and `kpi lint` alike:
an export without its stage column, one with HubSpot's headers in German. An export that simply
lacks a column (deals without amounts, open deals by stage) still gives what it can.

Expected values are worked out here with the csv module.
"""

import csv
import io

import pytest
from click.testing import CliRunner
from test_connector_crm import FIXTURES, connector, expect, money, nonzero, table

from kpiengine.cli import cli
from kpiengine.connector import Mapping
from kpiengine.errors import KpiError, Location

CUSTOM = "hubspot_deals_custom_stages.csv"
DEALS = "hubspot_deals.csv"
#: German headers of the fixture's columns, as the tester wrote them (not recognised: unverified)
GERMAN = {
    "Record ID": "Datensatz-ID",
    "Deal Name": "Deal-Name",
    "Deal Stage": "Deal-Phase",
    "Close Date": "Abschlussdatum",
    "Deal owner": "Deal-Inhaber",
    "Amount": "Betrag",
    "Pipeline": "Pipeline",
    "Create Date": "Erstellungsdatum",
    "Original Source Type": "Ursprünglicher Quellentyp",
    "Original Source Data 1": "Ursprüngliche Quelldaten 1",
    "Associated Company": "Zugeordnetes Unternehmen",
    "Last Activity Date": "Datum der letzten Aktivität",
}
NO_STAGE = (
    "source `crm`: deals.csv (HubSpot deals) has no column this connector knows as `stage`, so "
    "no deal is won or lost: revenue, deals won and lost and the sales cycle are left out "
    "(headers: {})"
)


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def text_of(header, rows):
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([r[h] for h in header] for r in rows)
    return out.getvalue()


def without(name, *columns):
    """A fixture with columns left out (as `cut -d, -f...` would)."""
    rows = rows_of((FIXTURES / name).read_text("utf-8"))
    header = [h for h in rows[0] if h not in columns]
    return header, text_of(header, rows)


def german(name=DEALS):
    rows = rows_of((FIXTURES / name).read_text("utf-8"))
    header = [GERMAN[h] for h in rows[0]]
    return header, text_of(header, [{GERMAN[k]: v for k, v in r.items()} for r in rows])


def test_a_deals_export_without_its_stage_column_is_an_error(tmp_path):
    header, text = without(CUSTOM, "Deal Stage")
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        connector("deals.csv", root=tmp_path)
    assert info.value.message == NO_STAGE.format(", ".join(header))
    assert (info.value.location.file, info.value.location.line) == ("deals.csv", 1)
    assert info.value.fix.splitlines()[1:6] == [
        "    columns:",
        '      stage: "?"',
        "      close_date: Close Date",
        "      create_date: Create Date",
        "      amount: Amount",
    ]
    assert "`revenue: {column: Amount, date: Close Date}`" in info.value.fix


def test_german_hubspot_headers_are_an_error_with_a_block_to_paste(tmp_path):
    header, text = german()
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        connector("deals.csv", root=tmp_path, system="hubspot", object="deals")
    assert info.value.message == (
        "source `crm`: deals.csv (HubSpot deals) has no column this connector knows as "
        "`stage`, `close_date`, `create_date` or `amount`, so it gives none of the variables of "
        f"a deals export (headers: {', '.join(header)})"
    )
    block = info.value.fix.splitlines()[1:6]
    assert block == ["    columns:", *(f'      {r}: "?"' for r in
                     ("stage", "close_date", "create_date", "amount"))]  # fmt: skip
    assert "map:" not in info.value.fix  # nothing found: no won-deals hint


def test_the_block_filled_in_reads_the_german_export(tmp_path):
    _, text = german()
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    columns = {"stage": "Deal-Phase", "close_date": "Abschlussdatum",
               "create_date": "Erstellungsdatum", "amount": "Betrag"}  # fmt: skip
    got = table(connector("deals.csv", root=tmp_path, system="hubspot", object="deals",
                          columns=columns), "revenue", "opportunities")  # fmt: skip
    rows = rows_of((FIXTURES / DEALS).read_text("utf-8"))
    won = [r for r in rows if r["Deal Stage"] == "Closed won"]
    assert nonzero(got["revenue"]) == expect((r["Close Date"][:7], money(r["Amount"])) for r in won)
    assert nonzero(got["opportunities"]) == expect((r["Create Date"][:7], 1) for r in rows)


def test_stages_and_amounts_without_close_dates_are_an_error(tmp_path):
    header, text = without(DEALS, "Close Date")
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError, match="as `close_date`, so no won or lost deal is dated"):
        connector("deals.csv", root=tmp_path)


def test_a_deals_export_without_amounts_still_counts_deals(tmp_path):
    _, text = without(DEALS, "Amount")
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    conn = connector("deals.csv", root=tmp_path)
    assert "revenue" not in conn.provides()
    rows = rows_of((FIXTURES / DEALS).read_text("utf-8"))
    won = [r for r in rows if r["Deal Stage"] == "Closed won"]
    got = table(conn, "deals_won")
    assert nonzero(got["deals_won"]) == expect((r["Close Date"][:7], 1) for r in won)


def test_open_deals_by_stage_without_close_dates_still_count(tmp_path):
    _, text = without("hubspot_deals_open.csv", "Close Date", "Amount")
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    rows = rows_of((FIXTURES / "hubspot_deals_open.csv").read_text("utf-8"))
    got = table(connector("deals.csv", root=tmp_path), "opportunities")
    assert nonzero(got["opportunities"]) == expect((r["Create Date"][:7], 1) for r in rows)


def test_a_won_deals_export_without_stages_reads_with_map(tmp_path):
    """The error's hint: an export of won deals only gives its revenue by `map:`."""
    rows = [r for r in rows_of((FIXTURES / DEALS).read_text("utf-8"))
            if r["Deal Stage"] == "Closed won"]  # fmt: skip
    header = [h for h in rows[0] if h != "Deal Stage"]
    (tmp_path / "won.csv").write_text(text_of(header, rows), "utf-8")
    mapping = Mapping("revenue", Location("kpi.yaml", 7, 7), column="Amount", date="Close Date")
    got = table(connector("won.csv", root=tmp_path, mappings={"revenue": mapping}), "revenue")
    want = expect((r["Close Date"][:7], money(r["Amount"])) for r in rows)
    assert nonzero(got["revenue"]) == want


def workspace(tmp_path, text, options=""):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "deals.csv").write_text(text, "utf-8")
    (tmp_path / "kpi.yaml").write_text(
        f"sources:\n  crm:\n    connector: crm\n    path: exports/deals.csv\n{options}", "utf-8"
    )
    return tmp_path


@pytest.mark.parametrize("case", ["no stage", "german"])
def test_eval_and_lint_report_the_same_error(tmp_path, monkeypatch, case):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    if case == "no stage":
        root = workspace(tmp_path, without(CUSTOM, "Deal Stage")[1])
    else:
        root = workspace(tmp_path, german()[1], "    system: hubspot\n    object: deals\n")
    runner = CliRunner()
    args = ["--kpi", "sales_revenue", "--from", "2024-01", "--to", "2024-03"]
    evaluated = runner.invoke(cli, ["eval", "-w", str(root), *args])
    linted = runner.invoke(cli, ["lint", "-w", str(root)])
    assert evaluated.exit_code == linted.exit_code == 2, (evaluated.output, linted.output)
    said = "has no column this connector knows as `stage`"
    assert said in evaluated.output and said in linted.output
    # the whole workspace cannot be evaluated either (not only `sales_revenue`)
    assert runner.invoke(cli, ["eval", "-w", str(root)]).exit_code == 2


def test_lint_passes_where_eval_can(tmp_path, monkeypatch):
    """Deals without amounts: lint finds no error, eval evaluates the deal counts."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    root = workspace(tmp_path, without(DEALS, "Amount")[1])
    runner = CliRunner()
    assert runner.invoke(cli, ["eval", "-w", str(root)]).exit_code == 0
    linted = runner.invoke(cli, ["lint", "-w", str(root)])
    assert linted.exit_code != 2 and "0 errors" in linted.output, linted.output
