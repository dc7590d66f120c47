"""Rows of a large `crm` deals export that its sample (the first 256 KiB) never shows: stages
written otherwise than the sampled ones (another case, spaces, a non-breaking space, a pipeline
in brackets), stages the sample lacks, unknown stages, and summary rows whose first filled cell
is not in the first column, or follows a record id. The scan classes the sampled stages as
written first and tests the first column's first character before the summary pattern: these
rows must come out as the full rules say (`_crm_config._class_sql`, `_crm_grouped.summary_sql`).

Every expected value is worked out here with the csv module.
"""

import csv
import re
from collections import defaultdict

import pytest
from test_connector_crm import HUBSPOT_OPEN, connector, nonzero, table

from kpiengine.errors import KpiError

HEADER = [
    "Record ID", "Deal Name", "Deal Stage", "Close Date", "Amount", "Pipeline", "Create Date",
    "Original Source Type",
]  # fmt: skip
CLASSES = {s.lower(): "open" for s in HUBSPOT_OPEN} | {"closed won": "won", "closed lost": "lost"}
SUMMARIES = {"Total", "Subtotal", "Grand Totals (6203 records)"}
LATER_STAGES = [
    "closed WON",  # another case
    "  Closed lost  ",  # spaces around
    "Closed won\u00a0",  # a non-breaking space after
    "Closed won (Sales Pipeline)",  # the pipeline in brackets
    "Appointment scheduled",  # not in the sample
    "Contract sent",  # in the sample
]


def stage_class(text):
    """won | lost | open, or None: the stage trimmed, any case, a bracketed suffix dropped."""
    text = text.strip().lower()
    if text in CLASSES:
        return CLASSES[text]
    return CLASSES.get(re.sub(r"\s*\([^()]*\)$", "", text).strip())


def deal(i, stage, first=None, name=None):
    month = 1 + i % 12
    created = f"2024-{month:02d}-{1 + i % 27:02d} 09:30"
    closed = f"2024-{month:02d}-{2 + i % 26:02d} 17:05"
    rid = str(100000 + i) if first is None else first
    return [rid, name or f"Deal {i}", stage, closed, f"{10 + i % 97}.50", "Sales Pipeline",
            created, ("Direct", "Organic Search")[i % 2]]  # fmt: skip


def export(path, later, unknown=None):
    """4000 sampled rows of three stages, then `later` rows, then 2000 plain ones (the file's
    tail); the rows as the csv module reads them back."""
    rows = [deal(i, ("Closed won", "Closed lost", "Contract sent")[i % 3]) for i in range(4000)]
    rows += later
    if unknown:
        rows.append(deal(4999, unknown))
    rows += [deal(i, ("Closed won", "Closed lost")[i % 2]) for i in range(5000, 7000)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows([HEADER, *rows])
    with path.open(newline="", encoding="utf-8") as handle:
        return [dict(zip(HEADER, r, strict=True)) for r in list(csv.reader(handle))[1:]]


def later_rows():
    rows = [deal(4000 + i, LATER_STAGES[i % len(LATER_STAGES)]) for i in range(180)]
    # deals whose first column is empty or does not start with a digit: counted
    rows.append(deal(4200, "Closed won", first="", name="7 seats"))
    rows.append(deal(4201, "Closed won", first="A-17"))
    rows.append(deal(4202, "Closed lost", first=" 42"))
    # summary rows with dates and a stage: never counted
    rows.append(deal(4203, "Closed won", first="", name="Subtotal"))
    rows.append(deal(4204, "Closed won", first="Total"))
    rows.append(deal(4205, "Closed lost", first="Grand Totals (6203 records)"))
    return rows


def is_summary(row):
    first = next((row[c].strip() for c in HEADER if row[c].strip()), "")
    return first in SUMMARIES


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-06")


def test_rows_beyond_the_sample_are_classed_and_summaries_left_out(tmp_path):
    rows = export(tmp_path / "deals.csv", later_rows())
    deals = [r for r in rows if not is_summary(r)]
    assert len(rows) - len(deals) == 3
    won, lost, revenue, opened = (defaultdict(float) for _ in range(4))
    for r in deals:
        opened[r["Create Date"][:7]] += 1
        klass = stage_class(r["Deal Stage"])
        assert klass is not None, r
        month = r["Close Date"][:7]
        if klass == "won":
            won[month] += 1
            revenue[month] += float(r["Amount"])
        elif klass == "lost":
            lost[month] += 1
    assert sum(won.values()) > 2000 and sum(lost.values()) > 2000
    got = table(
        connector("deals.csv", root=tmp_path),
        "deals_won", "deals_lost", "revenue", "opportunities",
    )  # fmt: skip
    assert nonzero(got["deals_won"]) == nonzero(won)
    assert nonzero(got["deals_lost"]) == nonzero(lost)
    assert nonzero(got["revenue"]) == nonzero(revenue)
    assert nonzero(got["opportunities"]) == nonzero(opened)


def test_an_unknown_stage_beyond_the_sample_stops_with_it(tmp_path):
    export(tmp_path / "deals.csv", later_rows(), unknown="Verbal yes")
    with pytest.raises(KpiError) as caught:
        table(connector("deals.csv", root=tmp_path), "deals_won")
    assert "Verbal yes" in str(caught.value)
