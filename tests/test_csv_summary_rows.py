"""A `csv` source's totals within the rounding of its cells, and Meta's unlabelled summary row
(`connectors/_csv_rounding.py`, `connectors/_csv_summary.py`, `connectors/_csv_totals.py`).

Rounded display cells make a total differ from its rows' sum by errors that are independent
where the rows show differing values: the allowance grows as the square root of the rows, not
with every row, so a short export is not forgiven as rounding; rows showing one value round
alike (up to every row's half unit). Meta Ads Manager writes, under the header, a row without
labels summing the report: counted as data it doubles every total; without Meta's reporting
columns an unlabelled row is data. Expected sums are computed here with the `csv` module and
`Decimal`, never copied from the connector's output.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import numpy as np
import pytest
from kpiengine.connectors._csv_rounding import rounding

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import KpiError, Location
from kpiengine.model import Aggregate


def connector(tmp_path, text: str, date: str, mappings: dict[str, str], **options):
    from kpiengine.connectors.csv_files import CsvConnector

    (tmp_path / "d.csv").write_bytes(("\ufeff" + text).encode("utf-8"))
    where = Location("kpi.yaml", 3, 5)
    config = SourceConfig(
        name="s",
        connector="csv",
        root=tmp_path,
        location=where,
        options={"path": "d.csv", "date": date, **options},
        mappings={
            v: Mapping(v, where, column=c, currency="EUR" if v == "cost" else None)
            for v, c in mappings.items()
        },
        variables=frozenset(mappings),
        counts=frozenset({"clicks", "impressions"}),
    )
    return CsvConnector(config)


def fetch(conn, *variables, dims=(), start=None, end=None):
    request = Request({v: Aggregate() for v in variables}, "month", list(dims), start, end)
    return conn.fetch(request)


def sums(text: str, column: str, keep=lambda row: True) -> Decimal:
    rows = list(csv.DictReader(io.StringIO(text)))
    return sum((Decimal(r[column].replace(",", ".")) for r in rows if keep(r)), Decimal(0))


# --- a total within the rounding of its rows -------------------------------------------------


def test_the_rounding_allowed_grows_as_the_square_root_of_the_rows():
    assert rounding(1, 0.01) == pytest.approx(0.005)  # one row: half a unit
    assert rounding(2000, 0.01) == pytest.approx(5 * (2000 / 12) ** 0.5 * 0.01)  # 0.65, not 10


def test_twenty_differing_rows_short_of_their_total_by_nine_are_an_error(tmp_path):
    """20 rows of `100` to `119` and a total 9 more: 20 independent roundings of half a euro
    each make 5 sigma of 6.45, not 9."""
    text = "date,channel,revenue\n" + "".join(
        f"2024-01-{d:02d},web,{99 + d}\n" for d in range(1, 21)
    )
    total = sums(text, "revenue") + 9  # 2,190 + 9
    text += f"Total,,{total}\n"
    with pytest.raises(KpiError) as caught:
        fetch(connector(tmp_path, text, "date", {"cost": "revenue"}), "cost")
    error = caught.value
    assert error.message == (
        "the 20 rows add up to 2,190 in column `revenue` but `Total` says 2,199, 9 more"
    )
    assert (error.location.file, error.location.line) == ("d.csv", 22)


def test_twenty_equal_rows_may_round_to_nine_less_than_their_total(tmp_path):
    """20 rows of `100` and `Total,,2009`: twenty amounts of 100.45 each show `100`, the total
    of their unrounded values 2,009: one rounding repeated, within 20 half euros."""
    text = "date,channel,revenue\n" + "".join(f"2024-01-{d:02d},web,100\n" for d in range(1, 21))
    frame = fetch(connector(tmp_path, text + "Total,,2009\n", "date", {"cost": "revenue"}), "cost")
    assert float(np.nansum(frame.values["cost"])) == pytest.approx(float(sums(text, "revenue")))
    assert not frame.warnings


def test_two_thousand_differing_rows_short_of_their_total_by_a_half_row_are_an_error(tmp_path):
    text = "date,channel,revenue\n" + "".join(
        f"2024-01-{1 + i % 28:02d},web,{10 + i / 100:.2f}\n" for i in range(2000)
    )
    total = sums(text, "revenue") + Decimal("9.50")
    with pytest.raises(KpiError) as caught:
        fetch(connector(tmp_path, text + f"Total,,{total}\n", "date", {"cost": "revenue"}), "cost")
    assert caught.value.message.endswith(f"says {total:,.2f}, 9.50 more")


def test_two_thousand_equal_rows_are_short_of_their_total_beyond_every_half_cent(tmp_path):
    """2,000 rows of `19.99`: one repeated rounding makes at most 2,000 half cents (10.00):
    9.50 may be rounding, 10.50 is not."""
    text = "date,channel,revenue\n" + "".join(
        f"2024-01-{1 + i % 28:02d},web,19.99\n" for i in range(2000)
    )
    shown = sums(text, "revenue")  # 39,980.00
    within = text + f"Total,,{shown + Decimal('9.50')}\n"
    frame = fetch(connector(tmp_path, within, "date", {"cost": "revenue"}), "cost")
    assert float(np.nansum(frame.values["cost"])) == pytest.approx(float(shown))
    beyond = shown + Decimal("10.50")
    with pytest.raises(KpiError) as caught:
        fetch(connector(tmp_path, text + f"Total,,{beyond}\n", "date", {"cost": "revenue"}),
              "cost")  # fmt: skip
    assert caught.value.message.endswith(f"says {beyond:,.2f}, 10.50 more")


def test_rows_rounded_for_display_still_add_up_to_their_total(tmp_path):
    """3,000 amounts shown with 2 decimals, the total rounded from their unrounded sum (as a
    spreadsheet's SUM shows it): within the rounding, no warning, no error."""
    rng = random.Random(11)
    values = [Decimal(rng.randrange(1, 10**7)) / 10**5 for _ in range(3000)]  # 5 decimals
    rows = "".join(f"2024-02-{1 + i % 28:02d},web,{v:.2f}\n" for i, v in enumerate(values))
    total = sum(values, Decimal(0))
    text = f"date,channel,revenue\n{rows}Total,,{total:.2f}\n"
    shown = sums(f"date,channel,revenue\n{rows}", "revenue")
    assert shown != total.quantize(Decimal("0.01"))  # the rows' rounding does show
    frame = fetch(connector(tmp_path, text, "date", {"cost": "revenue"}), "cost")
    assert float(np.nansum(frame.values["cost"])) == pytest.approx(float(shown))
    assert not frame.warnings


# --- Meta's summary row ------------------------------------------------------------------------

META = (
    "Day,Campaign name,Reporting starts,Reporting ends,Impressions,Amount spent (EUR),"
    "Link clicks\n"
    ",,2024-01-01,2024-01-31,3000,30.50,60\n"
    "2024-01-02,A,2024-01-02,2024-01-02,1000,10.25,20\n"
    "2024-01-30,A,2024-01-30,2024-01-30,2000,20.25,40\n"
)
MAPS = {"cost": "Amount spent (EUR)", "impressions": "Impressions", "clicks": "Link clicks"}
GERMAN = (
    "Kampagnenname,Kampagnenauslieferung,Berichtsbeginn,Berichtsende,Attributionseinstellung,"
    "Reichweite,Impressionen,Ausgegebener Betrag (EUR),Link-Klicks\n"
    ',,2024-01-01,2024-01-31,,15000,30000,"450,75",600\n'
    'Prospecting,active,2024-01-01,2024-01-31,7-Tage-Klick,10000,20000,"300,00",400\n'
    'Retargeting,inactive,2024-01-01,2024-01-31,7-Tage-Klick,5000,10000,"150,75",200\n'
)
GERMAN_MAPS = {
    "cost": "Ausgegebener Betrag (EUR)",
    "impressions": "Impressionen",
    "clicks": "Link-Klicks",
}


def named(row: dict[str, str]) -> bool:
    return bool(row.get("Campaign name") or row.get("Kampagnenname"))


def test_meta_summary_row_is_left_out_of_a_csv_source(tmp_path):
    frame = fetch(connector(tmp_path, META, "Reporting starts", MAPS), *MAPS)
    for variable, column in MAPS.items():
        expected = sums(META, column, named)  # 30.50, 3,000, 60
        assert float(np.nansum(frame.values[variable])) == pytest.approx(float(expected))
    assert not frame.warnings
    assert [str(d) for d in frame.span] == ["2024-01-01", "2024-01-31"]  # the report's range


def test_german_meta_summary_row_by_campaign(tmp_path):
    conn = connector(tmp_path, GERMAN, "Berichtsbeginn", GERMAN_MAPS)
    conn.dims = {"campaign": "Kampagnenname"}
    frame = fetch(conn, "cost", dims=["campaign"])
    assert sorted(frame.dims["campaign"]) == ["Prospecting", "Retargeting"]
    expected = sums(GERMAN, "Ausgegebener Betrag (EUR)", named)  # 450.75
    assert float(np.nansum(frame.values["cost"])) == pytest.approx(float(expected))


def test_a_summary_row_the_rows_do_not_make_is_an_error_at_its_line(tmp_path):
    """The second campaign's row lost: the row without labels is no summary of the one left."""
    text = "".join(GERMAN.splitlines(keepends=True)[:3])
    with pytest.raises(KpiError) as caught:
        fetch(connector(tmp_path, text, "Berichtsbeginn", GERMAN_MAPS), "cost")
    error = caught.value
    assert error.location.line == 2 and "without labels" in error.message
    assert "300.00" in error.message and "450.75" in error.message
    assert "labels" in error.fix


def test_a_row_without_labels_that_is_data_is_counted(tmp_path):
    """An unlabelled first row smaller than the others (a campaign whose name is missing): data,
    counted, never dropped."""
    text = META.replace(",,2024-01-01,2024-01-31,3000,30.50,60", "2024-01-05,,2024-01-05,"
                        "2024-01-05,300,3.05,6")  # fmt: skip
    frame = fetch(connector(tmp_path, text, "Reporting starts", MAPS), "cost")
    expected = sums(text, "Amount spent (EUR)")  # every row: 33.55
    assert float(np.nansum(frame.values["cost"])) == pytest.approx(float(expected))


def test_a_summary_row_of_a_file_larger_than_its_sample_is_checked_by_the_scan(tmp_path):
    """3,000 daily rows (the sample holds 2,000): a summary row a row's worth (1.50) more than
    all of them is found by the scan's sums; equal, it is left out."""
    rows = "".join(
        f"2024-01-{1 + i % 31:02d},C{i},2024-01-{1 + i % 31:02d},2024-01-{1 + i % 31:02d},"
        f"{100 + i},{1 + i // 100}.{i % 100:02d},{i % 7}\n"  # amounts that differ
        for i in range(3000)
    )
    header = META.splitlines()[0] + "\n"
    body = header + rows
    spent = sums(body, "Amount spent (EUR)")
    impressions, clicks = sums(body, "Impressions"), sums(body, "Link clicks")
    good = f"{header},,2024-01-01,2024-01-31,{impressions},{spent},{clicks}\n{rows}"
    frame = fetch(connector(tmp_path, good, "Reporting starts", MAPS), "cost")
    assert float(np.nansum(frame.values["cost"])) == pytest.approx(float(spent))
    early = fetch(connector(tmp_path, good, "Reporting starts", MAPS), "cost", start=TENTH[0],
                  end=TENTH[1])  # fmt: skip
    assert not early.warnings
    bad = good.replace(f",{spent},", f",{spent + Decimal('1.50')},", 1)
    for dates in [(None, None), TENTH]:  # the dates asked cut the rows: the whole file compared
        with pytest.raises(KpiError) as caught:
            fetch(connector(tmp_path, bad, "Reporting starts", MAPS), "cost", start=dates[0],
                  end=dates[1])  # fmt: skip
        assert caught.value.location.line == 2 and "without labels" in caught.value.message


TENTH = (dt.date(2024, 1, 1), dt.date(2024, 1, 10))
