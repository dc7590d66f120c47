"""Grouped ("formatted") Salesforce reports in the `crm` connector: a deal whose stage is empty
(the report shows each group's stage on its first row only) is an error at its cell naming the
`fill_down:` option, never an open deal nor a dropped one; `fill_down:` carries each group's
values down; a dimension column that looks grouped is an error too; summary rows (`Subtotal`,
`Total`, `Grand Totals (5 records)`, `Count`, `Sum of Amount`, Salesforce's footer lines) are
never counted nor offered as stages.

The fixtures are Lightning "Formatted Report" exports saved as CSV UTF-8 by Excel (a byte order
mark, CRLF, every row padded to the header's width, only cells with a comma or a quote quoted).
Every expected value is worked out here with the csv module and a fill-down of its own.
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path

import pytest
from test_connector_crm import FIXTURES, NONE, connector, nonzero, table

from kpiengine.errors import KpiError
from kpiengine.fileformats.tables import run_sql

BY_STAGE = "salesforce_formatted_by_stage.csv"
BY_SOURCE_AND_STAGE = "salesforce_formatted_by_source_and_stage.csv"
CLASSES = {"Closed Won": "won", "Closed Lost": "lost", "Prospecting": "open"}
NOTES = ("Confidential Information", "Copyright (c)")


def records(name):
    """(line, fields) of the rows after the header, as the csv module reads the file."""
    text = (FIXTURES / name).read_text("utf-8-sig")
    rows = list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    start = next(i for i, (_, fields) in enumerate(rows) if "Opportunity Name" in fields)
    return rows[start][1], rows[start + 1 :]


def summary(fields):
    first = next((f for f in fields if f.strip()), "")
    return first in ("Subtotal", "Total") or first.startswith(NOTES)


def deals(name, fill=()):
    """The deals of a formatted export: summary and blank rows out, `fill` carried down within
    the groups of the filled columns left of each."""
    header, rows = records(name)
    order = [c for c in header if c in fill]
    out, last = [], {}
    for line, fields in rows:
        if not any(f.strip() for f in fields) or summary(fields):
            continue
        row = dict(zip(header, fields, strict=True))
        raw = dict(row)
        for k, column in enumerate(order):
            if any(raw[c] for c in order[:k]):  # a new outer group starts here
                for inner in order[k:]:
                    last.pop(inner, None)
            if row[column]:
                last[column] = row[column]
            else:
                row[column] = last.get(column, "")
        row["line"] = line
        out.append(row)
    return out


def day(text):
    return dt.datetime.strptime(text, "%m/%d/%Y").date() if text else None


def money(text):
    return float(text.replace("$", "").replace(",", "")) if text else 0.0


def by_month(rows, value, key=lambda r: ()):
    out = defaultdict(float)
    for r in rows:
        month = day(r["Close Date"]).strftime("%Y-%m")
        out[(month, *key(r)) if key(r) else month] += value(r)
    return nonzero(out)


# --- a deal without a stage ------------------------------------------------------------------


def test_a_deal_without_a_stage_is_an_error_at_its_cell_naming_fill_down():
    empty = [r for r in deals(BY_STAGE) if not r["Stage"]]
    with pytest.raises(KpiError) as info:
        table(connector(BY_STAGE), "revenue")
    error = info.value
    assert error.location.file.endswith(BY_STAGE)
    assert (error.location.line, error.location.column) == (empty[0]["line"], 1)
    assert f"{len(empty)} deals with a date have no stage in column `Stage`" in error.message
    assert "grouped by `Stage` and exported formatted" in error.message
    assert '"Details Only"' in error.fix and "`fill_down: [Stage]`" in error.fix
    assert '`stages: {"": open}`' in error.fix
    # the summary rows (`Subtotal` in the stage column, with a date) are no stage to class
    assert "Subtotal" not in error.message + error.fix


def test_the_tester_report_grouped_by_stage(tmp_path):
    # a report grouped by Stage: Feb's won deals sit under the `Closed Won` of January's row
    (tmp_path / "opps.csv").write_text(
        '"Stage","Opportunity Owner","Opportunity Name","Amount","Close Date","Created Date",'
        '"Lead Source"\n'
        '"Closed Won","Jane Doe","Acme","10000.00","1/15/2024","12/1/2023","Web"\n'
        '"","Jane Doe","Beta Corp","5000.00","2/15/2024","1/10/2024","Web"\n'
        '"","John Roe","Delta","3000.00","2/25/2024","2/1/2024","Partner"\n'
        '"Closed Lost","Jane Doe","Gamma","7000.00","2/20/2024","1/5/2024","Partner"\n',
        "utf-8",
    )
    with pytest.raises(KpiError, match="2 deals with a date have no stage") as info:
        table(connector("opps.csv", root=tmp_path), "revenue")
    assert (info.value.location.line, info.value.location.column) == (3, 1)
    filled = table(connector("opps.csv", root=tmp_path, fill_down=["Stage"]), "revenue")
    assert nonzero(filled["revenue"]) == {"2024-01": 10000.0, "2024-02": 8000.0}
    # an empty stage classed explicitly: those deals are open, as the user says
    said = table(connector("opps.csv", root=tmp_path, stages={"": "open"}), "revenue")
    assert nonzero(said["revenue"]) == {"2024-01": 10000.0}


def test_fill_down_carries_each_groups_stage_and_skips_summary_rows():
    rows = deals(BY_STAGE, fill=["Stage"])
    got = table(
        connector(BY_STAGE, fill_down=["Stage"]),
        "revenue",
        "deals_won",
        "deals_lost",
        "opportunities",
        dims=["channel"],
    )
    won = [r for r in rows if CLASSES[r["Stage"]] == "won"]
    lost = [r for r in rows if CLASSES[r["Stage"]] == "lost"]
    channel = lambda r: (r["Lead Source"] or NONE,)  # noqa: E731
    assert nonzero(got["revenue"]) == by_month(won, lambda r: money(r["Amount"]), channel)
    assert nonzero(got["deals_won"]) == by_month(won, lambda r: 1, channel)
    assert nonzero(got["deals_lost"]) == by_month(lost, lambda r: 1, channel)
    created = defaultdict(float)
    for r in rows:
        created[(day(r["Created Date"]).strftime("%Y-%m"), r["Lead Source"] or NONE)] += 1
    assert nonzero(got["opportunities"]) == nonzero(created)
    # the subtotal rows hold the groups' sums and a date: counted, they would double revenue
    assert sum(got["revenue"].values()) == pytest.approx(sum(money(r["Amount"]) for r in won))


def test_fill_down_of_two_groupings_restarts_with_each_outer_group():
    rows = deals(BY_SOURCE_AND_STAGE, fill=["Lead Source", "Stage"])
    conn = connector(BY_SOURCE_AND_STAGE, fill_down=["Stage", "Lead Source"])
    got = table(conn, "revenue", "deals_won", dims=["channel"])
    won = [r for r in rows if CLASSES[r["Stage"]] == "won"]
    channel = lambda r: (r["Lead Source"],)  # noqa: E731
    assert nonzero(got["revenue"]) == by_month(won, lambda r: money(r["Amount"]), channel)
    assert nonzero(got["deals_won"]) == by_month(won, lambda r: 1, channel)
    # without `fill_down`, the error names both grouped columns, in the file's order
    with pytest.raises(KpiError) as info:
        table(connector(BY_SOURCE_AND_STAGE), "revenue")
    assert "`fill_down: [Lead Source, Stage]`" in info.value.fix


def test_an_inner_value_is_not_carried_into_the_next_outer_group(tmp_path):
    text = (
        "Lead Source,Stage,Opportunity Name,Amount,Close Date,Created Date\r\n"
        "Partner,Closed Won,Delta,3000,2/25/2024,2/1/2024\r\n"
        ",,Kestrel,5000,3/12/2024,2/10/2024\r\n"
        "Web,,Acme,10000,1/15/2024,12/1/2023\r\n"  # a new source: its stage is its own (none)
    )
    (tmp_path / "r.csv").write_text(text, "utf-8", newline="")
    with pytest.raises(KpiError, match="1 deal with a date has no stage") as info:
        table(connector("r.csv", root=tmp_path, fill_down=["Lead Source", "Stage"]), "revenue")
    assert info.value.location.line == 4


# --- a grouped dimension ---------------------------------------------------------------------


def test_a_grouped_dimension_column_is_an_error_unless_fill_down_says():
    header, rows = records(BY_SOURCE_AND_STAGE)
    with pytest.raises(KpiError) as info:
        table(connector(BY_SOURCE_AND_STAGE, fill_down=None), "opportunities", dims=["channel"])
    error = info.value
    first = next(line for line, f in rows if not f[0] and any(f) and not summary(f))
    assert (error.location.line, error.location.column) == (first, 1)
    assert "column `Lead Source` (dimension `channel`) looks like a grouped report's" in (
        error.message
    )
    assert "`fill_down: [Lead Source, Stage]`" in error.fix and "`fill_down: []`" in error.fix
    # asked without the dimension, opportunities need neither the source nor the stage
    created = defaultdict(float)
    for r in deals(BY_SOURCE_AND_STAGE):
        created[day(r["Created Date"]).strftime("%Y-%m")] += 1
    assert nonzero(table(connector(BY_SOURCE_AND_STAGE), "opportunities")["opportunities"]) == (
        nonzero(created)
    )
    # `fill_down: []`: the empty cells are taken as written, under `(none)`
    taken = table(connector(BY_SOURCE_AND_STAGE, fill_down=[]), "opportunities", dims=["channel"])
    as_written = defaultdict(float)
    for r in deals(BY_SOURCE_AND_STAGE):
        as_written[(day(r["Created Date"]).strftime("%Y-%m"), r["Lead Source"] or NONE)] += 1
    assert nonzero(taken["opportunities"]) == nonzero(as_written)


def test_a_detail_export_has_no_grouped_column():
    # the built-in Salesforce fixture: owners repeat, every source is written out
    got = table(connector("salesforce_opportunities.csv"), "opportunities", dims=["channel"])
    assert sum(got["opportunities"].values()) == 16


# --- summary rows ----------------------------------------------------------------------------


def test_summary_and_footer_rows_are_left_out_of_every_query(tmp_path):
    header = '"Opportunity Name","Stage","Amount","Close Date","Created Date","Lead Source","Age"'
    lines = [
        header,
        '"Acme","Closed Won","USD 10,000.00","1/15/2024","12/1/2023","Web","45"',
        '"Beta Corp","Closed Won","USD 5,000.00","2/15/2024","1/10/2024","Web","36"',
        '"Gamma","Closed Lost","USD 7,000.00","2/20/2024","1/5/2024","Partner","46"',
        '"Grand Totals (3 records)","","USD 22,000.00","2/20/2024","1/10/2024","",""',
        '"Count","","","2/20/2024","1/10/2024","","3"',
        '"Sum of Amount","","USD 22,000.00","2/20/2024","1/10/2024","",""',
        '"Generated By:  Jane Doe  3/1/2024 10:14 AM","","","","","",""',
    ]
    (tmp_path / "opps.csv").write_text("\n".join(lines) + "\n", "utf-8")
    conn = connector("opps.csv", root=tmp_path)
    kept = sum(run_sql(f"SELECT count(*) FROM {t.relation()} WHERE {t.keep_sql()}", t)[0][0]
               for t in conn.tables)  # fmt: skip
    assert kept == 3
    got = table(conn, "revenue", "opportunities")
    assert nonzero(got["revenue"]) == {"2024-01": 10000.0, "2024-02": 5000.0}
    assert nonzero(got["opportunities"]) == {"2023-12": 1.0, "2024-01": 2.0}


@pytest.mark.parametrize(
    "label",
    ["Subtotal", "Grand Totals (5 records)", "Count", "Sum of Amount", "Total", "Zwischensumme"],
)
def test_a_summary_label_in_the_stage_column_is_not_a_stage(tmp_path, label):
    (tmp_path / "opps.csv").write_text(
        '"Stage","Opportunity Name","Amount","Close Date","Created Date"\n'
        '"Closed Won","Acme","10000","1/15/2024","12/1/2023"\n'
        f'"{label}","","10000","1/15/2024","12/1/2023"\n'
        '"Negotiation/Review","Beta","500","3/15/2024","1/10/2024"\n',
        "utf-8",
    )
    got = table(connector("opps.csv", root=tmp_path), "revenue", "deals_won", "opportunities")
    assert nonzero(got["revenue"]) == {"2024-01": 10000.0}
    assert nonzero(got["deals_won"]) == {"2024-01": 1.0}
    assert nonzero(got["opportunities"]) == {"2023-12": 1.0, "2024-01": 1.0}


# --- places and options ----------------------------------------------------------------------


def test_errors_in_a_filled_file_name_the_cells_line(tmp_path):
    text = (FIXTURES / BY_STAGE).read_text("utf-8-sig")
    bad = text.replace("2/25/2024", "2/25/2O24")  # Delta, a filled row
    (tmp_path / BY_STAGE).write_text(bad, "utf-8", newline="")
    line = next(i for i, t in enumerate(bad.splitlines(), start=1) if "2O24" in t)
    with pytest.raises(KpiError) as info:
        table(connector(BY_STAGE, root=tmp_path, fill_down=["Stage"]), "revenue")
    where = info.value.location
    assert where.line == line
    assert where.column == bad.splitlines()[line - 1].index("2/25/2O24") + 1


def test_an_unknown_stage_of_a_filled_group_is_shown_where_it_is_written(tmp_path):
    text = (FIXTURES / BY_STAGE).read_text("utf-8-sig").replace("Closed Lost,", "Lost It,")
    (tmp_path / BY_STAGE).write_text(text, "utf-8", newline="")
    with pytest.raises(KpiError, match=r"`Lost It` \(2 deals\)") as info:
        table(connector(BY_STAGE, root=tmp_path, fill_down=["Stage"]), "revenue")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if t.startswith("Lost It"))
    assert (info.value.location.line, info.value.location.column) == (line, 1)


@pytest.mark.parametrize(
    ("value", "words"),
    [({"Stage": "x"}, "lists the columns"), (["Stgae"], "did you mean `Stage`")],
)
def test_fill_down_option_errors(value, words):
    with pytest.raises(KpiError, match=words):
        connector(BY_STAGE, fill_down=value)


def test_a_filled_fetch_reads_the_file_once(scans):
    conn = connector(BY_STAGE, fill_down=["Stage"])
    scans.clear()
    streamed = table(conn, "revenue", "deals_won", "sales_cycle_days", dims=["channel"])
    assert len(scans) == 1
    assert streamed == table(
        connector(BY_STAGE, fill_down=["Stage"]),
        "revenue",
        "deals_won",
        "sales_cycle_days",
        dims=["channel"],
    )


def test_fixtures_are_as_excel_writes_them():
    for name in (BY_STAGE, BY_SOURCE_AND_STAGE):
        raw = Path(FIXTURES / name).read_bytes()
        assert (
            raw.startswith(b"\xef\xbb\xbf")
            and b"\r\n" in raw
            and b"\n" not in raw.replace(b"\r\n", b"")
        )
        header, rows = records(name)
        assert {len(f) for _, f in rows} == {len(header)}
