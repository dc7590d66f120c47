"""A `csv` or `sql` `files:` column mapped to a whole count is no amount: `1.500` orders in a
Kuwaiti dinar workspace are 1500 (a count is whole, so `.` groups thousands there), without
asking for the source's `decimal:` as an amount `1.250` KWD asks (1.25 or 1250: KWD has three
decimals). The engine tells each connector which variables are whole counts
(`SourceConfig.counts`): a unit of one counted entity, not in a multiple, summed or counted
distinct. A file has one number format, so a count that tells the mark tells it for the amounts
beside it.

Expected values are worked out by hand from the rows written here: `1.500` and `2.000` orders
read with `.` grouping thousands are 1500 + 2000 = 3500; `1.250` and `2.500` KWD read with `,`
as the decimal mark (and `.` grouping thousands) are 1250 + 2500 = 3750.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kpiengine
from kpiengine.connector import Mapping, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.sourceconfig import whole_counts

ASK = "is not a number whose decimal mark the cells tell: KWD amounts have three decimals"

DEFINITIONS = """\
variables:
  orders: {unit: orders, aggregate: sum}
  revenue: {unit: currency, aggregate: sum}
  shown: {unit: 1000 impressions, aggregate: sum}
  daily_orders: {unit: orders, aggregate: mean}
  buyers: {unit: customers, aggregate: distinct}
  orders_at_end: {unit: orders, aggregate: last}
  per_order: {unit: currency / orders, aggregate: sum}
  hours: {unit: hour, aggregate: sum}
  share: {unit: ratio, aggregate: sum}
kpis:
  k_orders: {title: Orders, formula: orders, unit: orders, format: number}
  k_revenue: {title: Revenue, formula: revenue, unit: currency, format: currency}
  k_shown: {title: Shown, formula: shown, unit: 1000 impressions, format: number}
  k_daily: {title: Daily orders, formula: daily_orders, unit: orders, format: number}
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")


def workspace(root: Path, files: dict[str, str], source: str, currency: str = "KWD") -> Path:
    """A workspace whose one source `s` is `source` (kpi.yaml lines under `s:`)."""
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "t.yaml").write_text(DEFINITIONS)
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "kpi.yaml").write_text(f"currency: {currency}\nsources:\n  s:\n{source}")
    return root


def csv_source(mapping: str, extra: str = "", path: str = "d.csv") -> str:
    return f"    connector: csv\n    path: {path}\n{extra}    map: {mapping}\n"


def sql_source(root: Path, mapping: str) -> str:
    return (
        f"    connector: sql\n    url: {json.dumps('duckdb://')}\n"
        f"    files: {{d: {root / 'd.csv'}}}\n    table: d\n    date: Date\n"
        f"    map: {mapping}\n"
    )


def january(root: Path, *kpis: str) -> dict[str, float]:
    ws = kpiengine.load_workspace(root)
    records = kpiengine.evaluate(ws, kpis=list(kpis), grain="month").records()
    return {r["kpi"]: r["value"] for r in records if r["period"] == "2024-01"}


def error_of(root: Path, *kpis: str) -> str:
    with pytest.raises(KpiError) as caught:
        january(root, *kpis)
    return str(caught.value)


ORDERS = "Date,Orders\n2024-01-10,1.500\n2024-01-11,2.000\n"
BOTH = "Date,Orders,Revenue\n2024-01-10,1.500,1.250\n2024-01-11,2.000,2.500\n"
REVENUE = "Date,Revenue\n2024-01-10,1.250\n2024-01-11,2.500\n"
ORDERS_MAP = "{orders: {column: Orders}}"
BOTH_MAP = "{orders: {column: Orders}, revenue: {column: Revenue}}"


# --- which variables are whole counts ---------------------------------------------------------


def test_whole_counts_are_one_entity_not_in_a_multiple_kept_whole_by_their_rule(tmp_path):
    root = workspace(tmp_path, {"d.csv": ORDERS}, csv_source(ORDERS_MAP))
    counts = whole_counts(kpiengine.load_workspace(root).variables)
    assert {"orders", "buyers"} <= counts
    # money, `1000 impressions` (1.5 thousand), a mean (1.5 orders a day), a ratio of an
    # entity, time, a ratio; a stock read at a date is whole like the counts it holds
    for name in ("revenue", "shown", "daily_orders", "per_order", "hours", "share"):
        assert name not in counts, name
    assert "orders_at_end" in counts


def test_a_connector_built_by_hand_counts_nothing(tmp_path):
    """`counts` is a new field with a default: plugins building a SourceConfig still work."""
    config = SourceConfig("s", "csv", tmp_path, Location("kpi.yaml"))
    assert config.counts == frozenset()


# --- csv: a count column ----------------------------------------------------------------------


def test_kwd_orders_read_as_thousands_without_asking(tmp_path):
    """The change: before it, `1.500` orders asked for `decimal:` in a KWD workspace."""
    root = workspace(tmp_path, {"d.csv": ORDERS}, csv_source(ORDERS_MAP))
    assert january(root, "k_orders") == {"k_orders": 3500.0}


def test_auto_mapped_orders_column_of_a_data_file_is_a_count(tmp_path):
    """`--data`/wide auto-mapping: the column named `orders` maps to the count variable."""
    text = "date,orders\n2024-01-10,1.500\n2024-01-11,2.000\n"
    root = workspace(tmp_path, {"d.csv": text}, "    connector: csv\n    path: d.csv\n")
    assert january(root, "k_orders") == {"k_orders": 3500.0}


def test_a_count_tells_the_mark_of_the_amounts_beside_it(tmp_path):
    """`1.500` orders can only be 1500: the file groups thousands with `.`, so its decimal mark
    is `,` and `1.250` KWD beside them are 1250, as the source's `decimal: ','` would read."""
    root = workspace(tmp_path, {"d.csv": BOTH}, csv_source(BOTH_MAP))
    assert january(root, "k_orders", "k_revenue") == {"k_orders": 3500.0, "k_revenue": 3750.0}
    # whatever the request reads: the revenue alone reads the same
    assert january(root, "k_revenue") == {"k_revenue": 3750.0}
    told = workspace(tmp_path / "told", {"d.csv": BOTH}, csv_source(BOTH_MAP, "    decimal: ','\n"))
    assert january(told, "k_revenue") == {"k_revenue": 3750.0}


def test_a_count_of_another_file_of_the_source_tells_the_mark(tmp_path):
    """One export, one number format: a file whose cells cannot tell takes the other file's."""
    first = "Date,Orders,Revenue\n2024-01-10,1.500,7\n"
    second = "Date,Orders,Revenue\n2024-01-11,3,1.250\n"
    files = {"a.csv": first, "b.csv": second}
    root = workspace(tmp_path, files, csv_source(BOTH_MAP, path="'*.csv'"))
    # orders 1500 + 3; revenue 7 + 1250
    assert january(root, "k_orders", "k_revenue") == {"k_orders": 1503.0, "k_revenue": 1257.0}


def test_a_count_whole_both_ways_tells_nothing_and_the_amount_asks(tmp_path):
    """`2.000` orders are 2 or 2000, whole either way: no vote, so `1.250` KWD still asks."""
    text = "Date,Orders,Revenue\n2024-01-10,2.000,1.250\n2024-01-11,3,2.500\n"
    root = workspace(tmp_path, {"d.csv": text}, csv_source(BOTH_MAP))
    # line 2: `2024-01-10,2.000,` is 17 characters, the amount starts at column 18
    assert error_of(root, "k_revenue").startswith(f"d.csv:2:18: `1.250` {ASK}")


def test_a_count_against_an_amount_of_the_other_mark_is_an_error(tmp_path):
    """`1.500` orders say `,`, `1.25` KWD say `.`: the file contradicts itself."""
    text = "Date,Orders,Revenue\n2024-01-10,1.500,1.25\n"
    root = workspace(tmp_path, {"d.csv": text}, csv_source(BOTH_MAP))
    said = error_of(root, "k_orders")
    assert said.startswith("d.csv:2:12: `1.500` is not in the number format of `1.25`")
    assert "mix decimal marks" in said


def test_an_amount_column_alone_still_asks(tmp_path):
    root = workspace(tmp_path, {"d.csv": REVENUE}, csv_source("{revenue: {column: Revenue}}"))
    assert error_of(root, "k_revenue").startswith(f"d.csv:2:12: `1.250` {ASK}")


@pytest.mark.parametrize(
    ("mapping", "kpi"),
    [
        # one column read as a count and as an amount: an amount
        ("{orders: {column: Orders}, revenue: {column: Orders}}", "k_orders"),
        # `currency:` makes a column an amount
        ("{orders: {column: Orders, currency: KWD}}", "k_orders"),
        # a scaled count may be 1.5 thousand
        ("{orders: {column: Orders, scale: 1000}}", "k_orders"),
        # not whole counts: `1000 impressions` (1.5 thousand), a mean (1.5 orders a day)
        ("{shown: {column: Orders}}", "k_shown"),
        ("{daily_orders: {column: Orders}}", "k_daily"),
    ],
)
def test_columns_that_are_not_plain_counts_still_ask(tmp_path, mapping, kpi):
    root = workspace(tmp_path, {"d.csv": ORDERS}, csv_source(mapping))
    assert error_of(root, kpi).startswith(f"d.csv:2:12: `1.500` {ASK}")


def test_a_usd_workspace_reads_counts_as_before(tmp_path):
    root = workspace(tmp_path, {"d.csv": BOTH}, csv_source(BOTH_MAP), currency="USD")
    assert january(root, "k_orders", "k_revenue") == {"k_orders": 3500.0, "k_revenue": 3750.0}


# --- csv: a long file -------------------------------------------------------------------------

LONG = "    format: long\n"


def test_a_long_file_of_counts_only(tmp_path):
    text = "date,variable,value\n2024-01-10,orders,1.500\n2024-01-11,orders,2.000\n"
    root = workspace(tmp_path, {"d.csv": text}, csv_source("{orders: {column: orders}}", LONG))
    assert january(root, "k_orders") == {"k_orders": 3500.0}
    auto = workspace(
        tmp_path / "auto", {"d.csv": text}, "    connector: csv\n    path: d.csv\n" + LONG
    )
    assert january(auto, "k_orders") == {"k_orders": 3500.0}


@pytest.mark.parametrize(
    ("rows", "mapping"),
    [
        # the shared value column holds amounts too: an amount column
        ("2024-01-12,revenue,7\n", "{orders: {column: orders}, revenue: {column: revenue}}"),
        # rows of a variable the source does not map may be amounts (`1.250` KWD)
        ("2024-01-12,refunds,1.250\n", "{orders: {column: orders}}"),
    ],
)
def test_a_long_file_with_other_values_still_asks(tmp_path, rows, mapping):
    text = "date,variable,value\n2024-01-10,orders,1.500\n2024-01-11,orders,2.000\n" + rows
    root = workspace(tmp_path, {"d.csv": text}, csv_source(mapping, LONG))
    # line 2: `2024-01-10,orders,` is 18 characters, the value starts at column 19
    assert error_of(root, "k_orders").startswith(f"d.csv:2:19: `1.500` {ASK}")


# --- sql `files:` -----------------------------------------------------------------------------


def test_sql_files_kwd_orders_read_as_thousands_without_asking(tmp_path):
    (tmp_path / "d.csv").write_text(ORDERS)
    root = workspace(tmp_path / "ws", {}, sql_source(tmp_path, "{orders: Orders}"))
    assert january(root, "k_orders") == {"k_orders": 3500.0}


def test_sql_files_a_count_tells_the_mark_of_the_amounts(tmp_path):
    (tmp_path / "d.csv").write_text(BOTH)
    root = workspace(
        tmp_path / "ws", {}, sql_source(tmp_path, "{orders: Orders, revenue: Revenue}")
    )
    assert january(root, "k_orders", "k_revenue") == {"k_orders": 3500.0, "k_revenue": 3750.0}


@pytest.mark.parametrize(
    ("text", "mapping"),
    [
        (REVENUE, "{revenue: Revenue}"),
        (ORDERS.replace("Orders", "Revenue"), "{orders: Revenue, revenue: Revenue}"),
        (ORDERS.replace("Orders", "Revenue"), "{orders: {column: Revenue, currency: KWD}}"),
    ],
)
def test_sql_files_amounts_still_ask(tmp_path, text, mapping):
    (tmp_path / "d.csv").write_text(text)
    root = workspace(tmp_path / "ws", {}, sql_source(tmp_path, mapping))
    said = error_of(root, "k_orders" if "orders" in mapping else "k_revenue")
    assert said.startswith(f"{tmp_path / 'd.csv'}:2:12: `1.") and ASK in said


# --- the connector as a plugin sees it --------------------------------------------------------


def test_the_csv_connector_reads_counts_from_the_config(tmp_path):
    """Built by hand with `counts`, as the engine builds it."""
    from kpiengine.connectors.csv_files import CsvConnector

    (tmp_path / "d.csv").write_text(ORDERS)

    def connector(counts: frozenset[str]) -> CsvConnector:
        return CsvConnector(
            SourceConfig(
                "s",
                "csv",
                tmp_path,
                Location("kpi.yaml"),
                options={"path": "d.csv"},
                mappings={"orders": Mapping("orders", Location("kpi.yaml"), column="Orders")},
                currency="KWD",
                variables=frozenset({"orders"}),
                counts=counts,
            )
        )

    assert connector(frozenset({"orders"}))._decimals() == {"d.csv": ","}
    with pytest.raises(KpiError, match=ASK):
        connector(frozenset())._decimals()


# --- a count's mark never turns an amount into a three-decimal fraction -----------------------

MIXED = 'Date,Orders,Revenue\n2024-01-05,1.500,"1,250"\n2024-01-06,2,3\n'


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_a_count_telling_a_mark_that_makes_an_amount_three_decimals_asks(tmp_path, currency):
    """`1.500` orders are whole only with `,` as the decimal mark, which makes `1,250` dollars
    1.25; with `.` the amount is 1250 and the orders 1.5: one cell is wrong, and the cells
    cannot tell which (before counts were told apart, both asked; a person reads $1,250)."""
    root = workspace(tmp_path, {"d.csv": MIXED}, csv_source(BOTH_MAP), currency)
    message = error_of(root, "k_revenue")
    # line 2: `2024-01-05,1.500,` is 17 characters: the amount's field starts at column 18
    assert message.startswith("d.csv:2:18: `1,250` is not a number whose decimal mark")
    assert "the count `1.500` is whole only with `,`" in message
    assert "1.25" in message and "1250 with `.`" in message
    told = workspace(
        tmp_path / "told", {"d.csv": MIXED}, csv_source(BOTH_MAP, "    decimal: ','\n")
    )
    assert january(told, "k_orders", "k_revenue") == {"k_orders": 1502.0, "k_revenue": 4.25}


def test_a_count_and_an_amount_telling_the_same_mark_read_without_asking(tmp_path):
    """`1,500` orders are whole with `.` as the decimal mark, as `1,250` dollars read grouped:
    1500 orders, $1250 (and 2 + 3 on the next day)."""
    text = 'Date,Orders,Revenue\n2024-01-05,"1,500","1,250"\n2024-01-06,2,3\n'
    root = workspace(tmp_path, {"d.csv": text}, csv_source(BOTH_MAP), "USD")
    assert january(root, "k_orders", "k_revenue") == {"k_orders": 1502.0, "k_revenue": 1253.0}
