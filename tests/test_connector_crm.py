"""The `crm` connector against HubSpot and Salesforce export fixtures.

Every expected value is computed here from the fixture rows with the csv module, independently of
the connector's SQL: deals are classed by their stage (HubSpot) or by Salesforce's own `Won` and
`Closed` flags, stocks are counted contact by contact at each period's first and last day.
"""

import csv
import datetime as dt
import math
import shutil
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate
from kpiengine.plugins import make_plugin_manager, registered
from kpiengine.table import build_table

FIXTURES = Path(__file__).parent / "fixtures" / "crm"
VARIABLES = frozenset(
    {
        "opportunities",
        "sqos",
        "deals_won",
        "deals_won_with_amount",
        "deals_lost",
        "revenue",
        "sales_cycle_days",
        "leads",
        "mqls",
        "sqls",
        "new_customers",
        "customers_at_start",
        "customers_at_end",
        "churned_customers",
        "orders",
    }
)
RULES = {"customers_at_start": Aggregate("first"), "customers_at_end": Aggregate("last")}
HUBSPOT_OPEN = {
    "Appointment scheduled",
    "Qualified to buy",
    "Presentation scheduled",
    "Decision maker bought-in",
    "Contract sent",
}
NONE = "(none)"


def connector(path, root=FIXTURES, mappings=None, dimensions=None, currency="USD", **options):
    from kpiengine.connectors.crm import CrmConnector

    config = SourceConfig(
        name="crm",
        connector="crm",
        root=root,
        location=Location("kpi.yaml", 4, 5),
        options={"path": path, **options},
        mappings=mappings or {},
        dimensions=dimensions or {},
        currency=currency,
        variables=VARIABLES,
    )
    return CrmConnector(config)


def table(conn, *variables, dims=(), grain="month"):
    """The connector's answer as the engine aggregates it: {variable: {(period, segment): v}}."""
    aggregates = {v: RULES.get(v, Aggregate()) for v in variables}
    frame = conn.fetch(Request(aggregates, grain, list(dims)))
    built = build_table(frame, aggregates, grain, list(dims))
    out = {}
    for name, values in built.values.items():
        cells = {}
        for i, period in enumerate(built.labels):
            for s, segment in enumerate(built.segments):
                if dims and not segment:
                    continue  # the total: checked by the tests without dims
                key = (period, segment[dims[0]]) if dims else period
                cells[key] = values[i, s]
        out[name] = cells
    return out


def nonzero(cells):
    """Cells with a value: a missing cell and a zero one say the same (nothing happened)."""
    return {k: round(v, 6) for k, v in cells.items() if not math.isnan(v) and v != 0}


def expect(pairs):
    totals = defaultdict(float)
    for key, value in pairs:
        totals[key] += value
    return nonzero(totals)


def read(name, encoding="utf-8"):
    """Data rows of an export as dicts (a Salesforce report's one-cell footer lines left out)."""
    with (FIXTURES / name).open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:] if len(r) == len(header)]


def hubspot_day(text):
    return dt.date.fromisoformat(text[:10]) if text else None


def salesforce_day(text):
    return dt.datetime.strptime(text, "%m/%d/%Y").date() if text else None


def month(day):
    return f"{day.year}-{day.month:02d}"


def money(text):
    digits = text.replace("USD", "").replace("$", "").replace(",", "").strip()
    return float(digits) if digits else 0.0


# --- registration and detection --------------------------------------------------------------


def test_registered_through_the_hook():
    from kpiengine.connectors.crm import CrmConnector

    found = registered(make_plugin_manager(), "register_connectors")["crm"]
    assert found.obj is CrmConnector and found.origin == "built-in"


@pytest.mark.parametrize(
    ("name", "system", "kind", "dims"),
    [
        ("hubspot_deals.csv", "hubspot", "deals", {"channel", "pipeline"}),
        ("hubspot_contacts.csv", "hubspot", "contacts", {"channel"}),
        ("salesforce_opportunities.csv", "salesforce", "deals", {"channel", "campaign"}),
        ("salesforce_leads.csv", "salesforce", "contacts", {"channel"}),
    ],
)
def test_system_and_object_detected_from_the_headers(name, system, kind, dims):
    conn = connector(name)
    assert (conn.system, conn.object) == (system, kind)
    assert conn.dimensions() == dims


def test_provides_only_what_the_columns_allow():
    deals = {"opportunities", "sqos", "deals_won", "deals_lost", "revenue", "sales_cycle_days"}
    deals |= {"deals_won_with_amount", "open_opportunities"}  # open at each period's end
    assert connector("hubspot_deals.csv").provides() == deals
    assert connector("salesforce_opportunities.csv").provides() == deals
    stocks = {"leads", "mqls", "sqls", "new_customers", "customers_at_start", "customers_at_end"}
    assert connector("hubspot_contacts.csv").provides() == stocks
    churn = connector("hubspot_contacts.csv", churn_date="Churn Date")
    assert churn.provides() == stocks | {"churned_customers"}
    # a lead's `Converted Date` is the day it became a customer
    converted = {"leads", "new_customers", "customers_at_start", "customers_at_end"}
    assert connector("salesforce_leads.csv").provides() == converted


def test_unknown_headers_need_the_system_option(tmp_path):
    (tmp_path / "x.csv").write_text("date,revenue\n2024-01-01,3\n")
    with pytest.raises(KpiError, match="cannot tell the system") as info:
        connector("x.csv", root=tmp_path)
    assert "system: hubspot | salesforce" in info.value.fix


# --- HubSpot deals ---------------------------------------------------------------------------


def hubspot_deals(name="hubspot_deals.csv"):
    rows = read(name)
    for row in rows:
        stage = row["Deal Stage"]
        row["class"] = {"Closed won": "won", "Closed lost": "lost"}.get(stage, "open")
        assert row["class"] != "open" or stage in HUBSPOT_OPEN, stage
        row["create"], row["close"] = (
            hubspot_day(row["Create Date"]),
            hubspot_day(row["Close Date"]),
        )
        row["channel"] = row["Original Source Type"] or NONE
    return rows


def test_hubspot_deals_by_month_and_source():
    rows = hubspot_deals()
    got = table(
        connector("hubspot_deals.csv"),
        "opportunities",
        "sqos",
        "deals_won",
        "deals_lost",
        "revenue",
        "sales_cycle_days",
        dims=["channel"],
    )
    created = expect(((month(r["create"]), r["channel"]), 1) for r in rows)
    assert nonzero(got["opportunities"]) == created and nonzero(got["sqos"]) == created
    won = [r for r in rows if r["class"] == "won"]
    by_close = [((month(r["close"]), r["channel"]), r) for r in won]
    assert nonzero(got["deals_won"]) == expect((k, 1) for k, _ in by_close)
    lost = [((month(r["close"]), r["channel"]), 1) for r in rows if r["class"] == "lost"]
    assert nonzero(got["deals_lost"]) == expect(lost)
    assert nonzero(got["revenue"]) == expect((k, money(r["Amount"])) for k, r in by_close)
    cycle = ((k, (r["close"] - r["create"]).days) for k, r in by_close)
    assert nonzero(got["sales_cycle_days"]) == expect(cycle)


def test_hubspot_totals_and_zero_months():
    rows = hubspot_deals()
    got = table(connector("hubspot_deals.csv"), "deals_won", "revenue")
    won = [r for r in rows if r["class"] == "won"]
    assert got["revenue"] == pytest.approx(
        {m: sum(money(r["Amount"]) for r in won if month(r["close"]) == m) for m in got["revenue"]}
    )
    assert sum(got["deals_won"].values()) == len(won)
    # open deals' expected close dates (May) are not closings: no period for them
    assert sorted(got["deals_won"]) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    # a month in the export's range without a closing has 0 (not a missing value)
    lost = table(connector("hubspot_deals.csv"), "deals_lost", dims=["pipeline"])["deals_lost"]
    assert lost[("2024-03", "Renewals")] == 0.0


def test_pipeline_dimension():
    rows = hubspot_deals()
    got = table(connector("hubspot_deals.csv"), "revenue", dims=["pipeline"])["revenue"]
    won = (((month(r["close"]), r["Pipeline"]), money(r["Amount"])) for r in rows)
    assert nonzero(got) == expect(
        kv for kv, r in zip(won, rows, strict=True) if r["class"] == "won"
    )


def test_several_files_by_glob(tmp_path):
    lines = (FIXTURES / "hubspot_deals.csv").read_text("utf-8").splitlines(keepends=True)
    (tmp_path / "deals_1.csv").write_text("".join(lines[:10]), "utf-8")
    (tmp_path / "deals_2.csv").write_text(lines[0] + "".join(lines[10:]), "utf-8")
    split = table(connector("deals_*.csv", root=tmp_path), "opportunities", "revenue")
    whole = table(connector("hubspot_deals.csv"), "opportunities", "revenue")
    assert split == whole


# --- Salesforce opportunities ----------------------------------------------------------------


def test_salesforce_opportunities_with_footer_and_flags():
    rows = read("salesforce_opportunities.csv", encoding="latin-1")
    assert len(rows) == 16  # the footer is not data
    got = table(
        connector("salesforce_opportunities.csv"),
        "opportunities",
        "deals_won",
        "deals_lost",
        "revenue",
        "sales_cycle_days",
        dims=["channel"],
    )
    for r in rows:
        r["key_create"] = (month(salesforce_day(r["Created Date"])), r["Lead Source"] or NONE)
        r["key_close"] = (month(salesforce_day(r["Close Date"])), r["Lead Source"] or NONE)
        r["cycle"] = (salesforce_day(r["Close Date"]) - salesforce_day(r["Created Date"])).days
    won = [r for r in rows if r["Won"] == "1"]
    lost = [r for r in rows if r["Closed"] == "1" and r["Won"] == "0"]
    assert nonzero(got["opportunities"]) == expect((r["key_create"], 1) for r in rows)
    assert nonzero(got["deals_won"]) == expect((r["key_close"], 1) for r in won)
    assert nonzero(got["deals_lost"]) == expect((r["key_close"], 1) for r in lost)
    assert nonzero(got["revenue"]) == expect((r["key_close"], money(r["Amount"])) for r in won)
    assert nonzero(got["sales_cycle_days"]) == expect((r["key_close"], r["cycle"]) for r in won)
    # the custom stage `Contract Signed` counts as won through Salesforce's `Won` flag
    assert any(r["Stage"] == "Contract Signed" for r in won)


def test_salesforce_campaign_dimension_and_ambiguous_dates():
    conn = connector("salesforce_opportunities.csv")
    rows = read("salesforce_opportunities.csv", encoding="latin-1")
    got = table(conn, "opportunities", dims=["campaign"])["opportunities"]
    keys = (
        (month(salesforce_day(r["Created Date"])), r["Primary Campaign Source"] or NONE)
        for r in rows
    )
    assert nonzero(got) == expect((k, 1) for k in keys)
    # every `Created Date` could be day/month: the close dates settle month/day
    assert all(int(r["Created Date"].split("/")[1]) <= 12 for r in rows)
    assert conn._date_format("Created Date") == "%m/%d/%Y"


# --- contacts --------------------------------------------------------------------------------


def hubspot_contacts():
    rows = read("hubspot_contacts.csv")
    for row in rows:
        row["channel"] = row["Original Source"] or NONE
        row["customer"] = hubspot_day(row["Became a Customer Date"])
        row["churn"] = hubspot_day(row["Churn Date"])
    return rows


def test_hubspot_contacts_funnel_by_lifecycle_dates():
    rows = hubspot_contacts()
    got = table(
        connector("hubspot_contacts.csv", churn_date="Churn Date"),
        "leads",
        "mqls",
        "sqls",
        "new_customers",
        "churned_customers",
        dims=["channel"],
    )
    columns = {
        "leads": "Became a Lead Date",
        "mqls": "Became a Marketing Qualified Lead Date",
        "sqls": "Became a Sales Qualified Lead Date",
        "new_customers": "Became a Customer Date",
        "churned_customers": "Churn Date",
    }
    for variable, column in columns.items():
        dated = [(r, hubspot_day(r[column])) for r in rows if r[column]]
        assert dated, column
        want = expect(((month(day), r["channel"]), 1) for r, day in dated)
        assert nonzero(got[variable]) == want, variable


def test_customer_stock_at_period_start_and_end():
    rows = hubspot_contacts()
    conn = connector("hubspot_contacts.csv", churn_date="Churn Date")
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]

    def stock(day, before):  # customers won and not churned by `day` (strictly before it)
        def counted(d):
            return d is not None and (d < day if before else d <= day)

        return Counter(
            r["channel"] for r in rows if counted(r["customer"]) and not counted(r["churn"])
        )

    def bounds(label):
        start = dt.date.fromisoformat(label + "-01")
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return start, end

    got = table(conn, "customers_at_start", "customers_at_end", dims=["channel"])
    start = expect(((m, c), n) for m in months for c, n in stock(bounds(m)[0], True).items())
    end = expect(((m, c), n) for m in months for c, n in stock(bounds(m)[1], False).items())
    assert nonzero(got["customers_at_start"]) == start
    assert nonzero(got["customers_at_end"]) == end
    totals = table(
        conn, "customers_at_start", "customers_at_end", "new_customers", "churned_customers"
    )
    for m in months:
        assert totals["customers_at_end"][m] == sum(stock(bounds(m)[1], False).values())
        flow = totals["new_customers"][m] - totals["churned_customers"][m]
        assert totals["customers_at_end"][m] == totals["customers_at_start"][m] + flow
    # at a coarser grain the first and last days move with the period
    quarter = table(conn, "customers_at_start", "customers_at_end", grain="quarter")
    assert quarter["customers_at_end"]["2024-Q1"] == totals["customers_at_end"]["2024-03"]
    assert quarter["customers_at_start"]["2024-Q2"] == totals["customers_at_start"]["2024-04"]


def test_stock_without_churn_column_only_grows():
    rows = hubspot_contacts()
    got = table(connector("hubspot_contacts.csv"), "customers_at_end")["customers_at_end"]
    customers = sorted(r["customer"] for r in rows if r["customer"])
    assert got == {m: sum(month(d) <= m for d in customers) for m in got}


def test_salesforce_leads_and_a_column_override():
    rows = read("salesforce_leads.csv", encoding="latin-1")
    conn = connector("salesforce_leads.csv", columns={"became_sql_date": "Converted Date"})
    assert conn.provides() == {"leads", "sqls"}
    got = table(conn, "leads", "sqls", dims=["channel"])
    leads = (((month(salesforce_day(r["Create Date"])), r["Lead Source"] or NONE), 1) for r in rows)
    assert nonzero(got["leads"]) == expect(leads)
    converted = [r for r in rows if r["Converted"] == "1"]
    sqls = (
        ((month(salesforce_day(r["Converted Date"])), r["Lead Source"] or NONE), 1)
        for r in converted
    )
    assert nonzero(got["sqls"]) == expect(sqls)


# --- overrides -------------------------------------------------------------------------------


def test_unmapped_stages_are_listed_with_the_mapping_to_add():
    with pytest.raises(KpiError) as info:
        table(connector("hubspot_deals_custom_stages.csv"), "deals_won")
    error = info.value
    assert "`Verbal yes` (3 deals), `On hold` (1 deal)" in error.message
    text = (FIXTURES / "hubspot_deals_custom_stages.csv").read_text("utf-8").splitlines()
    first = next(i for i, line in enumerate(text, start=1) if '"Verbal yes"' in line)
    assert error.location.file.endswith("hubspot_deals_custom_stages.csv")
    assert error.location.line == first
    assert "stages:" in error.fix and '"Verbal yes": ' in error.fix and '"On hold": ' in error.fix
    # opportunities do not need the stages
    assert table(connector("hubspot_deals_custom_stages.csv"), "opportunities")


def test_stages_option_classes_custom_stages_and_overrides_built_ins():
    rows = read("hubspot_deals_custom_stages.csv")
    classes = {"Verbal yes": "won", "On hold": "open", "Closed won": "won", "Closed lost": "lost"}
    conn = connector(
        "hubspot_deals_custom_stages.csv", stages={"verbal YES": "won", "On hold": "open"}
    )
    got = table(conn, "deals_won", "revenue")
    won = [r for r in rows if classes.get(r["Deal Stage"]) == "won"]
    assert nonzero(got["deals_won"]) == expect(
        (month(hubspot_day(r["Close Date"])), 1) for r in won
    )
    assert nonzero(got["revenue"]) == expect(
        (month(hubspot_day(r["Close Date"])), money(r["Amount"])) for r in won
    )
    # a built-in stage can be reclassed too
    deals = hubspot_deals()
    reclassed = connector("hubspot_deals.csv", stages={"Contract sent": "won"})
    count = table(reclassed, "deals_won")["deals_won"]
    contract = [r for r in deals if r["class"] == "won" or r["Deal Stage"] == "Contract sent"]
    assert nonzero(count) == expect((month(r["close"]), 1) for r in contract)


def test_columns_dimensions_and_map_overrides():
    deals = hubspot_deals()
    conn = connector(
        "hubspot_deals.csv",
        columns={"source": "Original Source Data 1"},
        dimensions={"owner": "Deal owner"},
        mappings={
            "orders": Mapping(
                "orders", Location("kpi.yaml", 9, 7), count=True, where={"Pipeline": ["Renewals"]}
            )
        },
    )
    assert conn.dimensions() == {"owner"} and "orders" in conn.provides()
    got = table(conn, "deals_won", "orders", dims=["owner"])
    won = (((month(r["close"]), r["Deal owner"]), 1) for r in deals if r["class"] == "won")
    assert nonzero(got["deals_won"]) == expect(won)
    renewals = (
        ((month(r["create"]), r["Deal owner"]), 1) for r in deals if r["Pipeline"] == "Renewals"
    )
    assert nonzero(got["orders"]) == expect(renewals)
    by_data1 = table(
        connector("hubspot_deals.csv", columns={"source": "Original Source Data 1"}),
        "opportunities",
        dims=["channel"],
    )
    assert nonzero(by_data1["opportunities"]) == expect(
        ((month(r["create"]), r["Original Source Data 1"] or NONE), 1) for r in deals
    )


def test_system_and_object_options():
    conn = connector("salesforce_leads.csv", system="Salesforce", object="leads")
    assert (conn.system, conn.object) == ("salesforce", "contacts")
    # HubSpot's column names (`Deal Stage`, `Create Date`, ...) are not in a Salesforce
    # opportunities export: nothing would be derived, an error names the roles not found
    with pytest.raises(KpiError, match="has no column this connector knows as `stage` or "
                                       "`create_date`") as info:  # fmt: skip
        connector("salesforce_opportunities.csv", system="hubspot")
    assert 'stage: "?"' in info.value.fix and "close_date: Close Date" in info.value.fix


def test_decimal_comma_and_date_format_options(tmp_path):
    text = textwrap.dedent(
        """\
        "Record ID","Deal Name","Deal Stage","Close Date","Amount","Create Date"
        "1","A","closedwon","03.02.2024","1.234,50","01.02.2024"
        "2","B","closedwon","04.02.2024","10,25","01.02.2024"
        "3","C","closedlost","05.03.2024","99","01.02.2024"
        """
    )
    (tmp_path / "deals.csv").write_text(text, "utf-8")
    conn = connector("deals.csv", root=tmp_path, decimal=",", date_format="%d.%m.%Y")
    got = table(conn, "revenue", "deals_won", "deals_lost")
    assert got["revenue"] == {"2024-02": pytest.approx(1244.75), "2024-03": 0.0}
    assert got["deals_won"] == {"2024-02": 2.0, "2024-03": 0.0}


# --- errors ----------------------------------------------------------------------------------


def copy_with(tmp_path, name, old, new, encoding="utf-8"):
    text = (FIXTURES / name).read_text(encoding)
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, 1), encoding)
    return next(i for i, line in enumerate(text.splitlines(), start=1) if old in line)


def test_bad_date_and_bad_amount_name_file_line_and_column(tmp_path):
    line = copy_with(tmp_path, "hubspot_deals.csv", '"2024-02-20 17:31"', '"2024-02-30 17:31"')
    with pytest.raises(KpiError) as info:
        table(connector("hubspot_deals.csv", root=tmp_path), "deals_won")
    assert "expected a date" in info.value.message and "`Close Date`" in info.value.message
    assert info.value.location.line == line and info.value.location.column > 1
    line = copy_with(tmp_path, "hubspot_deals.csv", '"21000"', '"twenty-one thousand"')
    with pytest.raises(KpiError, match="expected an amount in column `Amount`") as info:
        table(connector("hubspot_deals.csv", root=tmp_path), "revenue")
    assert info.value.location.line == line


def test_missing_column_names_the_closest_one():
    with pytest.raises(KpiError, match="did you mean `Amount`") as info:
        connector("hubspot_deals.csv", columns={"amount": "Amout"})
    assert "Deal Stage" in info.value.message  # the columns are listed


def test_currencies_mixed_or_not_the_workspace_one(tmp_path):
    name = "salesforce_opportunities.csv"
    line = copy_with(tmp_path, name, '"USD 4,800.00"', '"EUR 4,800.00"', encoding="latin-1")
    with pytest.raises(KpiError, match=r"mixes currencies \(EUR, USD\)") as info:
        table(connector(name, root=tmp_path), "revenue")
    assert info.value.location.line == line
    with pytest.raises(KpiError, match="is in USD but the workspace currency is EUR"):
        table(connector(name, currency="EUR"), "revenue")
    assert table(connector(name, currency=None), "revenue")  # no workspace currency: fine


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"stage": {"x": "won"}}, "no option `stage`; did you mean `stages`"),
        ({"system": "hubspt"}, "did you mean `hubspot`"),
        ({"stages": {"Verbal yes": "wonn"}}, "did you mean `won`"),
        ({"columns": {"amount_col": "Amount"}}, "no column role `amount_col`"),
        ({"churn_date": "Close Date"}, "`churn_date` is for contacts files"),
    ],
)
def test_option_errors_point_at_kpi_yaml(options, words):
    with pytest.raises(KpiError) as info:
        connector("hubspot_deals.csv", **options)
    assert words in info.value.message and info.value.location.file == "kpi.yaml"


# --- end to end ------------------------------------------------------------------------------


def test_close_rate_end_to_end(tmp_path):
    import kpiengine

    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(FIXTURES / "hubspot_deals.csv", root / "deals.csv")
    (root / "kpi.yaml").write_text(
        textwrap.dedent(
            """\
            name: CRM workspace
            currency: USD
            sources:
              hubspot:
                connector: crm
                path: deals.csv
            """
        ),
        "utf-8",
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["close_rate"], grain="month")
    rows = hubspot_deals()
    created = Counter(month(r["create"]) for r in rows)
    won = Counter(month(r["close"]) for r in rows if r["class"] == "won")
    got = {r["period"]: r["value"] for r in results.records() if r["segment"] == {}}
    assert got == pytest.approx({m: won[m] / created[m] for m in created})


# --- scans of large files ----------------------------------------------------------------------


DEALS = ("opportunities", "sqos", "deals_won", "deals_lost", "revenue", "sales_cycle_days")


@pytest.mark.parametrize(
    ("name", "dims"),
    [
        ("hubspot_deals.csv", ["channel"]),
        ("hubspot_deals.csv", []),
        ("salesforce_opportunities.csv", ["campaign"]),
    ],
)
def test_a_fetch_of_every_deal_variable_reads_the_file_once(monkeypatch, scans, name, dims):
    import kpiengine.fileformats.tables

    conn = connector(name)
    scans.clear()
    streamed = table(conn, *DEALS, dims=dims)
    assert len(scans) == 1  # every check and every variable of both date columns at once
    assert "count(*) FILTER" in scans[0]  # the checks, in the same query
    with monkeypatch.context() as cached:
        cached.setattr(kpiengine.fileformats.tables, "CACHE_BYTES", 32 * 1024 * 1024)
        assert streamed == table(connector(name), *DEALS, dims=dims)


def test_contacts_and_the_customer_stock_read_the_file_once(scans):
    conn = connector("hubspot_contacts.csv", churn_date="Churn Date")
    flows = ("leads", "mqls", "sqls", "new_customers", "churned_customers")
    scans.clear()
    table(conn, *flows, dims=["channel"])
    assert len(scans) == 1  # five date columns, one aggregation
    scans.clear()
    table(conn, *flows, "customers_at_start", "customers_at_end", dims=["channel"])
    assert len(scans) == 1  # the stock from the same scan's days


def test_date_formats_come_from_the_sampled_rows(scans):
    conn = connector("salesforce_opportunities.csv")
    scans.clear()
    assert conn._date_format("Created Date") == "%m/%d/%Y"  # settled by the close dates
    assert conn._date_format("Close Date") == "%m/%d/%Y"
    assert scans == []  # no query: the rows `sniff` read


def test_a_date_column_empty_in_the_sampled_rows_takes_its_format_from_the_file(tmp_path, scans):
    """A churn date appears late in a large export: its format is guessed from the other date
    columns first, then, when its dates do not fit that, from its own values in the file."""
    header = '"Record ID","Email","Lifecycle Stage","Create Date","Became a Customer Date","Churn"'
    lines = [header]
    for i in range(20_300):  # past the start that `sniff` samples
        churn = "31.03.2024" if i >= 20_200 and i % 10 == 0 else ""
        customer = "2024-01-15" if i % 5 == 0 else ""
        lines.append(
            f'"{i}","c{i}@example.com","customer","2024-01-0{1 + i % 9}","{customer}","{churn}"'
        )
    (tmp_path / "contacts.csv").write_text("\n".join(lines) + "\n", "utf-8")
    conn = connector("contacts.csv", root=tmp_path, churn_date="Churn")
    assert conn._date_format("Churn") == "%Y-%m-%d"  # the others' format: a guess
    got = table(conn, "churned_customers")["churned_customers"]
    assert conn._date_format("Churn") == "%d.%m.%Y"
    assert nonzero(got) == {"2024-03": 10.0}
    # an explicit format is never second-guessed
    wrong = connector("contacts.csv", root=tmp_path, churn_date="Churn", date_format="%Y-%m-%d")
    with pytest.raises(KpiError, match="expected a date like %Y-%m-%d in column `Churn`"):
        table(wrong, "churned_customers")


def test_errors_of_a_streamed_file_name_the_same_line(tmp_path, scans):
    line = copy_with(tmp_path, "hubspot_deals.csv", '"2024-02-20 17:31"', '"2024-02-30 17:31"')
    with pytest.raises(KpiError, match="expected a date like .* found `2024-02-30 17:31`") as info:
        table(connector("hubspot_deals.csv", root=tmp_path), "deals_won")
    assert info.value.location.line == line and info.value.location.column > 1
    with pytest.raises(KpiError, match=r"`Verbal yes` \(3 deals\), `On hold` \(1 deal\)"):
        table(connector("hubspot_deals_custom_stages.csv"), "deals_won")
    name = "salesforce_opportunities.csv"
    line = copy_with(tmp_path, name, '"USD 4,800.00"', '"EUR 4,800.00"', encoding="latin-1")
    with pytest.raises(KpiError, match=r"mixes currencies \(EUR, USD\)") as info:
        table(connector(name, root=tmp_path), "revenue")
    assert info.value.location.line == line


def test_zero_months_span_the_dates_of_every_column_used():
    # sales cycles count won deals by close date, but the create dates of every deal (open ones
    # included) are read too: the zero padding covers their months, as the checks' scan found
    rows = hubspot_deals()
    got = table(connector("hubspot_deals.csv"), "sales_cycle_days")["sales_cycle_days"]
    first = min(r["create"] for r in rows)
    last = max(r["close"] for r in rows if r["class"] != "open")
    assert min(got) == month(first) and max(got) == month(last)
    assert all(got[m] == 0.0 for m in got if m not in {month(r["close"]) for r in rows})
