"""Golden SQL: the aggregation query for each dialect, committed under tests/snapshots/sql/.

BigQuery and Trino cannot run here, so their generated query is reviewed like code: a change in
sqlgen or sqlglot shows up as a diff. `KPIENGINE_UPDATE_SNAPSHOTS=1` rewrites the files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

from kpiengine.model import Aggregate
from kpiengine.sqlgen import (
    GENERATED_DIALECTS,
    TESTED_DIALECTS,
    AggregateSpec,
    Measure,
    aggregation_sql,
    translate,
)

SNAPSHOTS = Path(__file__).parent / "snapshots" / "sql"
SPEC = AggregateSpec(
    '"deals"',
    'CAST("close_date" AS DATE)',
    {"channel": '"source"', "region": '"region"'},
    {
        "revenue": Measure('CAST("amount" AS DOUBLE)', Aggregate()),
        "marketing_cost": Measure('CAST("cost" AS DOUBLE)', Aggregate("mean", "sum")),
        "customers_at_end": Measure('CAST("customers" AS DOUBLE)', Aggregate("last", "sum")),
        "visitors": Measure('"customer_id"', Aggregate("distinct", "distinct")),
    },
    "\"close_date\" >= DATE '2024-01-01'",
)


@pytest.mark.parametrize("dialect", [*TESTED_DIALECTS, *GENERATED_DIALECTS])
def test_generated_sql_matches_its_snapshot(dialect):
    text = translate(aggregation_sql(SPEC, "month", ["channel"]), dialect) + "\n"
    path = SNAPSHOTS / f"{dialect}.sql"
    if os.environ.get("KPIENGINE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert sqlglot.parse_one(text, read=dialect) is not None
    assert text == path.read_text(), f"{path.name} changed: review, then update the snapshot"
