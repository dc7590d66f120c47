"""The months a `crm` deals export covers: its deals' create dates and its closed deals' close
dates. In those months, won and lost deals and revenue are 0 where none closed, whatever else is
asked for: an export of open deals only answers 0 revenue, not "no data". Without a create date
nor a closed deal, no month can say 0: the variables are left out, the reason naming the file.

Expected values are worked out here with the csv module.
"""

import csv
import datetime as dt
import json
import textwrap
from collections import defaultdict

import pytest
from click.testing import CliRunner
from test_connector_crm import FIXTURES, connector, table

import kpiengine
from kpiengine.cli import cli
from kpiengine.connector import Request
from kpiengine.errors import KpiError
from kpiengine.model import Aggregate

OPEN = "hubspot_deals_open.csv"
CLOSED = ("deals_won", "deals_lost", "revenue", "deals_won_with_amount")


def rows(name):
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def month(text):
    return dt.date.fromisoformat(text[:10]).strftime("%Y-%m")


def months(first, last):
    """Every month from `first` to `last` (YYYY-MM)."""
    out, (y, m) = [], map(int, first.split("-"))
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_an_export_of_open_deals_answers_zero_in_the_months_it_covers():
    created = [month(r["Create Date"]) for r in rows(OPEN)]
    covered = months(min(created), max(created))
    got = table(connector(OPEN), *CLOSED)
    for variable in CLOSED:
        assert got[variable] == dict.fromkeys(covered, 0.0), variable
    # the open deals' expected close dates (April, May) are no closings: not covered
    assert max(covered) < min(month(r["Close Date"]) for r in rows(OPEN))


def test_zeros_per_segment_of_every_deal():
    deals = rows(OPEN)
    created = [month(r["Create Date"]) for r in deals]
    got = table(connector(OPEN), "revenue", dims=["pipeline"])["revenue"]
    pipelines = {r["Pipeline"] for r in deals}
    expected = {(m, p): 0.0 for m in months(min(created), max(created)) for p in pipelines}
    assert got == expected


@pytest.mark.parametrize("name", [OPEN, "hubspot_deals.csv"])
def test_revenue_asked_alone_is_what_it_is_beside_the_opportunities(name):
    alone = table(connector(name), "revenue")["revenue"]
    beside = table(connector(name), "revenue", "opportunities")["revenue"]
    assert alone == beside


def test_the_engine_answers_zero_revenue_for_an_open_pipeline(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "deals.csv").write_bytes((FIXTURES / OPEN).read_bytes())
    (root / "kpi.yaml").write_text(
        textwrap.dedent(
            """\
            name: open pipeline
            currency: USD
            grain: month
            sources:
              hs:
                connector: crm
                path: deals.csv
            """
        ),
        "utf-8",
    )
    result = CliRunner().invoke(
        cli,
        ["eval", "-w", str(root), "--kpi", "sales_revenue", "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    created = [month(r["Create Date"]) for r in rows(OPEN)]
    got = {r["period"]: r["value"] for r in json.loads(result.stdout) if r["segment"] == {}}
    assert got == dict.fromkeys(months(min(created), max(created)), 0.0)


def test_no_create_date_and_no_closed_deal_leaves_the_closed_variables_out(tmp_path):
    deals = rows(OPEN)
    with (tmp_path / "deals.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        columns = [c for c in deals[0] if c != "Create Date"]
        writer.writerow(columns)
        writer.writerows([r[c] for c in columns] for r in deals)
    conn = connector("deals.csv", root=tmp_path)
    frame = conn.fetch(Request({v: Aggregate() for v in ("revenue", "deals_won")}, "month", []))
    assert not len(frame) and not frame.values
    why = frame.missing["revenue"]
    assert why == frame.missing["deals_won"]
    assert "deals.csv has no won or lost deal (column `Deal Stage`)" in why
    assert "no create date" in why
    # the engine's message names the file and says why
    root = tmp_path / "ws"
    root.mkdir()
    (root / "deals.csv").write_bytes((tmp_path / "deals.csv").read_bytes())
    (root / "kpi.yaml").write_text(
        "name: t\ncurrency: USD\nsources:\n  hs:\n    connector: crm\n    path: deals.csv\n",
        "utf-8",
    )
    with pytest.raises(KpiError, match="deals.csv has no won or lost deal"):
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["sales_revenue"], grain="month")


def test_closed_months_and_create_months_make_one_span(tmp_path):
    # deals created in January, one closed in April: February and March say 0
    (tmp_path / "deals.csv").write_text(
        '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Pipeline","Create Date"\n'
        '"1","A","Closed won","2024-04-02 10:00","500","Sales Pipeline","2024-01-05 09:00"\n'
        '"2","B","Contract sent","2024-06-30 00:00","900","Sales Pipeline","2024-01-20 09:00"\n',
        "utf-8",
    )
    got = table(connector("deals.csv", root=tmp_path), "revenue")["revenue"]
    expected = defaultdict(float, dict.fromkeys(months("2024-01", "2024-04"), 0.0))
    expected["2024-04"] += 500.0
    assert got == dict(expected)


def test_a_month_asked_alone_without_a_deal_of_its_own_says_zero():
    # no deal of the export was created or closed in February, which it covers
    deals = rows(OPEN)
    assert all(month(r["Create Date"]) != "2024-02" for r in deals)
    request = Request(
        {"revenue": Aggregate()}, "month", [], dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    )
    frame = connector(OPEN).fetch(request)
    values = dict(zip(frame.dates.astype(str), frame.values["revenue"], strict=True))
    assert values["2024-02-01"] == 0.0
    created = [dt.date.fromisoformat(r["Create Date"][:10]) for r in deals]
    assert frame.span == (min(created), max(created))
