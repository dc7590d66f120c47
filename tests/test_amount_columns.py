"""Which columns are amounts when a file's decimal mark is decided: `1.250` Kuwaiti dinars are
1.25 or 1250 (KWD has three decimals), so a CRM export's amounts in a three-decimal currency,
without a cell that tells the mark, ask for the source's `decimal:` instead of being read as
thousands; amounts in two-decimal currencies keep the thousands rule (`1.250` US dollars are
1250). The currency is the export's currency column's, else the workspace's; a mapped value
column is an amount in its mapping's (or the workspace's) currency, as in `csv` sources (where
a column of a whole count, `orders`, is none: tests/test_count_columns.py).

Expected values are worked out by hand from the rows written here: `1.250` read with `.` as the
decimal mark is 1.25, with `.` grouping thousands 1250.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_connector_crm import nonzero, table

import kpiengine
from kpiengine.connector import Mapping, SourceConfig
from kpiengine.errors import KpiError, Location

VARIABLES = frozenset({"revenue", "deals_won", "deals_won_with_amount", "weighted", "orders"})
ASK = "is not a number whose decimal mark the cells tell: KWD amounts have three decimals"

# HubSpot's deals export (`Deal Stage` ids as the API and some exports write them), no symbol
HUBSPOT = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Pipeline\n"
    "101,Acme,closedwon,1.250,2024-02-20 17:31,2024-01-05 09:00,default\n"
    "102,Beta,closedwon,2.500,2024-02-21 10:00,2024-01-06 09:00,default\n"
)


def crm(root: Path, text: str, currency: str | None, mappings=None, counts=(), **options):
    from kpiengine.connectors.crm import CrmConnector

    (root / "deals.csv").write_text(text, "utf-8")
    return CrmConnector(
        SourceConfig(
            name="crm",
            connector="crm",
            root=root,
            location=Location("kpi.yaml", 4, 5),
            options={"path": "deals.csv", **options},
            mappings=mappings or {},
            currency=currency,
            variables=VARIABLES,
            counts=frozenset(counts),
        )
    )


def revenue(conn) -> dict[str, float]:
    return nonzero(table(conn, "revenue")["revenue"])


def where(text: str, line: int, cell: str) -> str:
    """`deals.csv:LINE:COLUMN` of a cell, the column counted by hand from the line's text."""
    row = text.splitlines()[line - 1]
    return f"deals.csv:{line}:{row.index(',' + cell) + 2}"


# --- the CRM connector's amounts ------------------------------------------------------------


def test_hubspot_amounts_in_a_kwd_workspace_ask_for_decimal(tmp_path):
    with pytest.raises(KpiError) as info:
        revenue(crm(tmp_path, HUBSPOT, "KWD"))
    said = str(info.value)
    # line 2: `101,Acme,closedwon,` is 19 characters, the amount starts at column 20
    assert where(HUBSPOT, 2, "1.250") == "deals.csv:2:20"
    assert said.startswith(f"deals.csv:2:20: `1.250` {ASK}")
    assert "1.25 with `.` as the decimal mark and 1250 with `,`" in said
    assert "`decimal:`" in (info.value.fix or "")
    # told, the amounts read either way: 1.25 + 2.5, or 1250 + 2500
    assert revenue(crm(tmp_path, HUBSPOT, "KWD", decimal=".")) == {"2024-02": 3.75}
    assert revenue(crm(tmp_path, HUBSPOT, "KWD", decimal=",")) == {"2024-02": 3750.0}


def test_the_deals_count_stays_answerable(tmp_path):
    """The question is about the amounts: a request without them reads no number."""
    counts = table(crm(tmp_path, HUBSPOT, "KWD"), "deals_won")["deals_won"]
    assert nonzero(counts) == {"2024-02": 2.0}


def test_a_usd_workspace_keeps_the_thousands_rule(tmp_path):
    """The control: two-decimal (or no) currency, `1.250` and `2.500` are 1250 and 2500."""
    assert revenue(crm(tmp_path, HUBSPOT, "USD")) == {"2024-02": 3750.0}
    assert revenue(crm(tmp_path, HUBSPOT, None)) == {"2024-02": 3750.0}


def test_the_exports_currency_column_tells_without_a_workspace_currency(tmp_path):
    text = HUBSPOT.replace(",Pipeline\n", ",Pipeline,Currency\n").replace(
        ",default\n", ",default,KWD\n"
    )
    with pytest.raises(KpiError) as info:
        revenue(crm(tmp_path, text, None))
    assert str(info.value).startswith(f"{where(text, 2, '1.250')}: `1.250` {ASK}")
    usd = text.replace(",KWD\n", ",USD\n")
    assert revenue(crm(tmp_path, usd, None)) == {"2024-02": 3750.0}


SALESFORCE = (
    '"Opportunity Name","Account Name","Stage","Probability (%)","Amount Currency","Amount",'
    '"Amount (converted) Currency","Amount (converted)","Close Date","Created Date"\n'
    '"A1","Acme","Closed Won","100","USD","4.100","KWD","1.250","2/20/2024","1/5/2024"\n'
    '"B1","Beta","Closed Won","100","USD","8.200","KWD","2.500","2/21/2024","1/6/2024"\n'
)


def test_salesforce_converted_amounts_take_the_converted_currency(tmp_path):
    """`Amount (converted)` is in the running user's currency, `Amount (converted) Currency`:
    KWD here, whatever `Amount Currency` says of the amounts as entered."""
    with pytest.raises(KpiError) as info:
        revenue(crm(tmp_path, SALESFORCE, "KWD"))
    # line 2: `"A1","Acme","Closed Won","100","USD","4.100","KWD",` is 51 characters
    assert str(info.value).startswith(f"deals.csv:2:52: `1.250` {ASK}")
    assert revenue(crm(tmp_path, SALESFORCE, "KWD", decimal=".")) == {"2024-02": 3.75}


def test_a_mapped_value_column_is_an_amount_in_the_workspace_currency(tmp_path):
    """As in a `csv` source: a mapped column of unknown kind asks rather than guesses. The
    amounts here tell nothing (`4100`, no mark): the question is the mapped column's."""
    text = (
        "Record ID,Deal Name,Deal Stage,Amount,Weighted amount,Close Date,Create Date\n"
        "101,Acme,closedwon,4100,1.250,2024-02-20,2024-01-05\n"
        "102,Beta,closedwon,8200,2.500,2024-02-21,2024-01-06\n"
    )
    mapped = {"weighted": Mapping("weighted", Location("kpi.yaml", 9, 7), column="Weighted amount")}
    with pytest.raises(KpiError) as info:
        table(crm(tmp_path, text, "KWD", mapped), "weighted")
    # line 2: `101,Acme,closedwon,4100,` is 24 characters
    assert str(info.value).startswith(f"deals.csv:2:25: `1.250` {ASK}")
    got = table(crm(tmp_path, text, "KWD", mapped, decimal="."), "weighted")["weighted"]
    # the mapped column is dated by the create date: January
    assert nonzero(got) == {"2024-01": 3.75}
    assert nonzero(table(crm(tmp_path, text, "USD", mapped), "weighted")["weighted"]) == {
        "2024-01": 3750.0
    }


def test_a_mapped_crm_column_of_whole_counts_is_no_amount(tmp_path):
    """A mapped column of a variable the workspace counts whole (`SourceConfig.counts`) is no
    amount, as in a `csv` source: `1.500` line items are 1500 in a KWD workspace, no question;
    the amounts `4100`, `8200` hold no mark."""
    text = (
        "Record ID,Deal Name,Deal Stage,Amount,Line items,Close Date,Create Date\n"
        "101,Acme,closedwon,4100,1.500,2024-02-20,2024-01-05\n"
        "102,Beta,closedwon,8200,2.000,2024-02-21,2024-01-06\n"
    )
    mapped = {"weighted": Mapping("weighted", Location("kpi.yaml", 9, 7), column="Line items")}
    got = table(crm(tmp_path, text, "KWD", mapped, counts={"weighted"}), "weighted")["weighted"]
    assert nonzero(got) == {"2024-01": 3500.0}  # 1500 + 2000, dated by the create date
    with pytest.raises(KpiError):  # the same column, of a variable not counted whole, asks
        table(crm(tmp_path, text, "KWD", mapped), "weighted")


# --- csv: a mapped column of whole counts ----------------------------------------------------


def test_a_csv_count_column_is_no_amount(tmp_path, monkeypatch):
    """The engine tells a `csv` source which variables are whole counts (`SourceConfig.counts`:
    `orders`, summed), so an `orders` column `1.500` in a KWD workspace is no amount: a count
    is whole, so it is 1500 (`.` grouping thousands), without asking. The same column mapped
    to an amount (`revenue`) still asks: 1.5 or 1500 KWD. The control: in a USD workspace the
    count is 1500 too (tests/test_count_columns.py has the rest)."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")

    def workspace(root: Path, currency: str, variable: str = "orders"):
        (root / "definitions").mkdir(parents=True)
        (root / "definitions" / "t.yaml").write_text(
            "variables:\n  orders: {unit: orders, aggregate: sum}\n"
            "  revenue: {unit: currency, aggregate: sum}\n"
            "kpis:\n  ok: {title: Orders, formula: orders, unit: orders, format: number}\n"
            "  rk: {title: Revenue, formula: revenue, unit: currency, format: currency}\n"
        )
        (root / "d.csv").write_text("Date,Orders\n2024-01-10,1.500\n2024-01-11,2.000\n")
        (root / "kpi.yaml").write_text(
            f"currency: {currency}\nsources:\n  s:\n    connector: csv\n    path: d.csv\n"
            f"    map: {{{variable}: {{column: Orders}}}}\n"
        )
        return kpiengine.load_workspace(root)

    def january(ws, kpi: str = "ok") -> float:
        records = kpiengine.evaluate(ws, kpis=[kpi], grain="month").records()
        [record] = [r for r in records if r["period"] == "2024-01"]
        return record["value"]

    assert january(workspace(tmp_path / "kwd", "KWD")) == 1500.0 + 2000.0
    assert january(workspace(tmp_path / "usd", "USD")) == 1500.0 + 2000.0
    with pytest.raises(KpiError, match=r"^d\.csv:2:12: `1\.500` is not a number whose decimal"):
        january(workspace(tmp_path / "amount", "KWD", "revenue"), "rk")
