"""The days a `crm` export covers are the same for every variable it gives, whatever is asked:
a contacts export covers its date columns' first to last date, a deals export its deals' create
dates and its closed deals' close dates. A count of contacts reaching a stage is 0 in the months
(and segments) of the export without one, and the customer stock is given in every one of them.

Expected values are worked out here with the csv module.
"""

import csv
import datetime as dt
import json
import textwrap

from click.testing import CliRunner
from test_connector_crm import FIXTURES, RULES, connector, table
from test_crm_coverage import months

from kpiengine.cli import cli
from kpiengine.connector import Request
from kpiengine.model import Aggregate

SPARSE = "hubspot_contacts_sparse.csv"
COLUMNS = {
    "leads": "Became a Lead Date",
    "mqls": "Became a Marketing Qualified Lead Date",
    "new_customers": "Became a Customer Date",
}
DATES = ("Create Date", *COLUMNS.values())


def rows(name=SPARSE):
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def day(text):
    return dt.date.fromisoformat(text[:10])


def month(text):
    return text[:7]


def export_span(name=SPARSE, columns=DATES):
    days = [day(r[c]) for r in rows(name) for c in columns if r[c]]
    return min(days), max(days)


def fetch(conn, *variables, start=None, end=None):
    aggregates = {v: RULES.get(v, Aggregate()) for v in variables}
    return conn.fetch(Request(aggregates, "month", [], start, end))


def counts(column, key=lambda r: ()):
    """Contacts by month of `column` (and `key`), every month and key of the export at 0."""
    first, last = (d.strftime("%Y-%m") for d in export_span())
    keys = sorted({key(r) for r in rows()})
    out = {(m, k): 0.0 for m in months(first, last) for k in keys}
    for r in rows():
        if r[column]:
            out[month(r[column]), key(r)] += 1.0
    return {(m, *k) if k else m: v for (m, k), v in out.items()}


def test_every_contact_count_covers_the_export_asked_alone():
    # MQLs fall in January and February only, the export runs to 31 March
    assert max(month(r[COLUMNS["mqls"]]) for r in rows() if r[COLUMNS["mqls"]]) == "2024-02"
    for variable, column in COLUMNS.items():
        conn = connector(SPARSE)
        assert fetch(conn, variable).span == export_span(), variable
        assert table(conn, variable)[variable] == counts(column), variable


def test_the_span_does_not_depend_on_the_other_variables_asked():
    conn = connector(SPARSE)
    alone = fetch(conn, "mqls").span
    assert alone == fetch(conn, "mqls", "leads").span == fetch(conn, "new_customers").span
    assert table(conn, "mqls")["mqls"] == table(conn, "mqls", "leads")["mqls"]


def test_a_month_without_an_mql_asked_alone_says_zero():
    frame = fetch(connector(SPARSE), "mqls", start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31))
    values = dict(zip(frame.dates.astype(str), frame.values["mqls"], strict=True))
    assert values["2024-03-01"] == 0.0
    assert frame.span == export_span()


def test_zeros_in_every_segment_of_the_export():
    # no contact from `Referrals` became an MQL: 0 MQLs each month, not "no data"
    channel = {"channel": "Original Source"}
    got = table(connector(SPARSE), "mqls", dims=["channel"])["mqls"]
    want = counts(COLUMNS["mqls"], lambda r: (r[channel["channel"]],))
    assert ("2024-03", "Referrals") in want
    assert got == want


def test_the_customer_stock_covers_the_export():
    customers = sorted(
        day(r["Became a Customer Date"]) for r in rows() if r["Became a Customer Date"]
    )
    first, last = (d.strftime("%Y-%m") for d in export_span())
    conn = connector(SPARSE)
    got = table(conn, "customers_at_start", "customers_at_end")
    ends = {m: float(sum(d.strftime("%Y-%m") <= m for d in customers)) for m in months(first, last)}
    starts = {m: float(sum(d.strftime("%Y-%m") < m for d in customers)) for m in ends}
    assert got["customers_at_end"] == ends
    assert got["customers_at_start"] == starts
    assert fetch(conn, "customers_at_end").span == export_span()


def test_a_deals_export_covers_the_same_days_for_every_variable():
    # the opportunities (by create date) alone cover the closed deals' close dates too
    deals = rows("hubspot_deals.csv")
    closed = [r for r in deals if r["Deal Stage"] in ("Closed won", "Closed lost")]
    days = [day(r["Create Date"]) for r in deals] + [day(r["Close Date"]) for r in closed]
    span = (min(days), max(days))
    conn = connector("hubspot_deals.csv")
    assert fetch(conn, "opportunities").span == span
    assert fetch(conn, "opportunities", "deals_won").span == span
    got = table(conn, "opportunities")["opportunities"]
    assert max(got) == span[1].strftime("%Y-%m")
    assert got == table(conn, "opportunities", "deals_won")["opportunities"]


def workspace(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "contacts.csv").write_bytes((FIXTURES / SPARSE).read_bytes())
    (root / "kpi.yaml").write_text(
        textwrap.dedent(
            """\
            currency: USD
            sources:
              c:
                connector: crm
                path: contacts.csv
            """
        ),
        "utf-8",
    )
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(
        "kpis:\n"
        "  l: {title: Leads, formula: leads, unit: leads}\n"
        "  m: {title: MQLs, formula: mqls, unit: mqls}\n",
        "utf-8",
    )
    return root


def evaluate(root, *args):
    result = CliRunner().invoke(
        cli, ["eval", "-w", str(root), *args, "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return {r["period"]: r for r in json.loads(result.stdout) if r["segment"] == {}}


def test_the_engine_sees_february_complete_and_march_zero_for_mqls_alone(tmp_path):
    root = workspace(tmp_path)
    alone = evaluate(root, "--kpi", "m")
    want = counts(COLUMNS["mqls"])
    assert {p: r["value"] for p, r in alone.items()} == want
    first, last = export_span()
    assert first.day <= 8 and alone["2024-01"]["coverage"] == 1.0  # a first event, not late
    assert alone["2024-02"]["complete"] and alone["2024-03"]["complete"]
    assert last == dt.date(2024, 3, 31)
    beside = evaluate(root, "--kpi", "m", "--kpi", "l")
    assert {p: (r["value"], r["complete"]) for p, r in alone.items()} == {
        p: (r["value"], r["complete"]) for p, r in beside.items() if r["kpi"] == "m"
    }
    march = evaluate(root, "--kpi", "m", "--period", "2024-03")
    assert march["2024-03"]["value"] == 0.0
