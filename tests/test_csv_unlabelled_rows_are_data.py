"""A `csv` source's row without a label is data unless Meta's reporting columns say it is the
report's summary row; a totals row is within the rounding of rows that show one value
(`connectors/_csv_summary.py`, `connectors/_csv_rounding.py`, `connectors/_csv_totals.py`).

Blank-source direct traffic, an order without a discount code, a campaign whose name is empty:
an empty label, sums that happen to agree or a shared day tell no summary from data. Only a
file with Meta Ads Manager's `Reporting starts`/`Reporting ends` (any language) has its first
row taken as the summary, when its range spans the others' and its additive numbers are their
sums (`Reach` is de-duplicated: no sum). Expected values come from the `csv` module and
`Decimal`, never from the connector's output.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import numpy as np
import pytest
from kpiengine.connectors._csv_rounding import rounding, squares

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import Location
from kpiengine.model import Aggregate


def connector(tmp_path, files: dict[str, str], date: str, mappings: dict, path="*.csv"):
    from kpiengine.connectors.csv_files import CsvConnector

    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    where = Location("kpi.yaml", 3, 5)
    config = SourceConfig(
        name="s",
        connector="csv",
        root=tmp_path,
        location=where,
        options={"path": path, "date": date},
        mappings={v: Mapping(v, where, **m) for v, m in mappings.items()},
        variables=frozenset(mappings),
        counts=frozenset({"clicks", "impressions", "signups", "sessions", "orders", "reach"}),
    )
    return CsvConnector(config)


def total(conn, variable: str, *others: str) -> float:
    asked = {v: Aggregate() for v in (variable, *others)}
    frame = conn.fetch(Request(asked, "month", [], None, None))
    assert not frame.warnings
    return float(np.nansum(frame.values[variable]))


def column_sum(files: dict[str, str], column: str) -> Decimal:
    out = Decimal(0)
    for text in files.values():
        for row in csv.DictReader(io.StringIO(text)):
            if row[column].strip() and not row[next(iter(row))].startswith("Total"):
                out += Decimal(row[column])
    return out


def test_blank_source_first_rows_of_daily_files_are_data(tmp_path):
    """Direct traffic (no `utm_source`) first in each day's file: 6 + 6 signups, not 6."""
    files = {
        "2024-01-01.csv": "date,utm_source,signups\n2024-01-01,,3\n2024-01-01,google,2\n"
        "2024-01-01,newsletter,1\n",
        "2024-01-02.csv": "date,utm_source,signups\n2024-01-02,,3\n2024-01-02,google,2\n"
        "2024-01-02,newsletter,1\n",
    }
    conn = connector(tmp_path, files, "date", {"signups": {"column": "signups"}})
    assert total(conn, "signups") == float(column_sum(files, "signups")) == 12


def test_a_blank_first_row_equal_to_the_others_sum_is_data(tmp_path):
    """`2024-02,,700` over google 650 and newsletter 50: equal sums are no evidence (1,400)."""
    files = {"t.csv": "Month,Source,Sessions\n2024-02,,700\n2024-02,google,650\n"
             "2024-02,newsletter,50\n"}  # fmt: skip
    conn = connector(tmp_path, files, "Month", {"sessions": {"column": "Sessions"}})
    assert total(conn, "sessions") == float(column_sum(files, "Sessions")) == 1400


def test_a_blank_first_row_more_than_the_others_sum_is_data_not_an_error(tmp_path):
    files = {"t.csv": "Month,Source,Sessions\n2024-01,,1200\n2024-01,google,600\n"
             "2024-01,newsletter,100\n"}  # fmt: skip
    conn = connector(tmp_path, files, "Month", {"sessions": {"column": "Sessions"}})
    assert total(conn, "sessions") == float(column_sum(files, "Sessions")) == 1900


def test_orders_without_a_discount_code_are_counted(tmp_path):
    """A count of rows beside a column of zero amounts: the first order (no code) is one of 3."""
    files = {"o.csv": "Day,Order,Discount Code,Discount Amount\n2024-01-05,1001,,0.00\n"
             "2024-01-05,1002,FREESHIP,0.00\n2024-01-05,1003,WELCOME,0.00\n"}  # fmt: skip
    conn = connector(tmp_path, files, "Day", {"orders": {"count": True},
                     "discounts": {"column": "Discount Amount"}})  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(files["o.csv"])))
    assert total(conn, "orders", "discounts") == len(rows) == 3


def test_two_rows_one_without_its_campaign_are_both_data(tmp_path):
    files = {"d.csv": "date,campaign,cost,clicks\n2024-01-01,,50.00,20\n"
             "2024-01-01,Brand,50.00,20\n"}  # fmt: skip
    conn = connector(tmp_path, files, "date", {"cost": {"column": "cost"}})
    assert total(conn, "cost") == float(column_sum(files, "cost")) == 100


META = (
    "Campaign name,Reporting starts,Reporting ends,Reach,Impressions,Amount spent (EUR)\n"
    ",2024-01-01,2024-01-31,5200,6000,150.15\n"
    "Spring,2024-01-01,2024-01-31,3000,3000,100.10\n"
    "Summer,2024-01-01,2024-01-31,2500,3000,50.05\n"
)
META_MAPS = {"cost": {"column": "Amount spent (EUR)"}, "reach": {"column": "Reach"}}


def named(text: str, column: str) -> Decimal:
    rows = csv.DictReader(io.StringIO(text))
    return sum((Decimal(r[column]) for r in rows if r["Campaign name"]), Decimal(0))


def test_meta_summary_row_with_its_deduplicated_reach_is_left_out(tmp_path):
    """Reach 5,200 < 3,000 + 2,500 (people reached by both counted once): the amount decides."""
    conn = connector(tmp_path, {"m.csv": META}, "Reporting starts", META_MAPS)
    assert total(conn, "cost") == pytest.approx(float(named(META, "Amount spent (EUR)")))  # 150.15
    conn = connector(tmp_path, {"m.csv": META}, "Reporting starts", META_MAPS)
    assert total(conn, "reach") == float(named(META, "Reach"))  # the rows' own: 5,500


def test_meta_first_row_whose_range_does_not_span_the_others_is_data(tmp_path):
    text = META.replace(",2024-01-01,2024-01-31,5200", ",2024-01-01,2024-01-15,5200", 1)
    conn = connector(tmp_path, {"m.csv": text}, "Reporting starts", META_MAPS)
    expected = sum((Decimal(r["Amount spent (EUR)"]) for r in csv.DictReader(io.StringIO(text))),
                   Decimal(0))  # fmt: skip
    assert total(conn, "cost") == pytest.approx(float(expected))  # 300.30: every row


# --- rows showing one value round alike ------------------------------------------------------


def test_the_rounding_of_rows_showing_one_value_adds_up():
    assert squares(["8.40"] * 100) == 100 * 100
    assert squares(["1", "2", "2"]) == 1 + 4
    assert rounding(100, 0.01, squares(["8.40"] * 100)) == pytest.approx(0.5)  # 100 half cents
    assert rounding(100, 0.01) == pytest.approx(0.01 * 5 * (100 / 12) ** 0.5)  # independent


def orders(n: int) -> tuple[str, Decimal]:
    """`n` orders of €10.00 gross, `Net` shown as 10/1.19 rounded (8.40); `Total` the SUM of the
    unrounded nets, as a spreadsheet shows it."""
    rows = "".join(f"2024-01-{1 + i % 28:02d},Order {i},10.00,8.40\n" for i in range(n))
    unrounded = Decimal(10) / Decimal("1.19") * n
    return f"Date,Order,Gross,Net\n{rows}Total,,{10 * n}.00,{unrounded:.2f}\n", unrounded


@pytest.mark.parametrize("n", [100, 2500])  # sampled whole; larger than the sample (one query)
def test_a_total_of_one_rounded_net_repeated_is_no_missing_row(tmp_path, n):
    text, unrounded = orders(n)
    shown = Decimal("8.40") * n
    assert unrounded - shown > Decimal("0.005") + Decimal("0.01") * 5 * Decimal(n / 12).sqrt()
    conn = connector(tmp_path, {"o.csv": text}, "Date", {"net_revenue": {"column": "Net"}})
    assert total(conn, "net_revenue") == pytest.approx(float(shown))
