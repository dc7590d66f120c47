"""A row with values but no date in a CSV of a `sql` source's `files:` is the `csv` connector's
error, at the same `file:line:column`, in `kpi eval` and `kpi lint` alike; a row without values
(Excel's trailing `,,`) is no data, and a row dated by a mapping's own `date:` needs no source date.

Expected values are sums of the fixture rows written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError

REVENUE = "kpis:\n  rev: {title: Revenue, formula: revenue, unit: currency}\n"
#: line 3 has a revenue but no date
UNDATED = b"date,revenue\n2024-01-05,100\n,50\n2024-01-20,10\n2024-02-03,7\n"
MESSAGE = ":3:1: a row has values but no date in column `date`: no period can count it"


def workspace(root: Path, data: bytes, source: str) -> Path:
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(REVENUE)
    (root / "d.csv").write_bytes(data)
    (root / "kpi.yaml").write_text(f"currency: USD\nsources:\n  s: {source}\n")
    return root


def sql(tmp: Path, data: bytes, mapping: str = "revenue") -> Path:
    return workspace(
        tmp / "sql",
        data,
        "{connector: sql, url: 'duckdb://', files: {t: d.csv}, table: t, date: date, "
        f"map: {{revenue: {mapping}}}}}",
    )


def csv(tmp: Path, data: bytes, mapping: str = "revenue") -> Path:
    return workspace(
        tmp / "csv",
        data,
        f"{{connector: csv, path: d.csv, date: date, map: {{revenue: {mapping}}}}}",
    )


def months(root: Path) -> dict[str, float]:
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["rev"], grain="month")
    return {r["period"]: r["value"] for r in results.records() if r["value"] is not None}


def error_of(root: Path) -> str:
    with pytest.raises(KpiError) as caught:
        months(root)
    return str(caught.value)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-31")


def test_a_row_with_values_but_no_date_is_the_csv_connectors_error(tmp_path):
    said = error_of(sql(tmp_path, UNDATED))
    assert said.startswith(f"d.csv{MESSAGE}")
    assert said == error_of(csv(tmp_path, UNDATED))


@pytest.mark.parametrize("command", ["eval", "lint"])
def test_the_cli_stops_at_the_undated_row(tmp_path, command):
    root = sql(tmp_path, UNDATED)
    result = CliRunner().invoke(cli, [command, "--workspace", str(root)])
    assert result.exit_code == 2, result.output
    assert f"d.csv{MESSAGE}" in result.output


def test_rows_without_values_are_no_data(tmp_path):
    # Excel's trailing empty rows, and a row whose only value is in a column no mapping reads
    data = (
        b"date,revenue,note\n2024-01-05,100,\n2024-01-20,10,\n,,see below\n2024-02-03,7,\n,,\n,,\n"
    )
    assert months(sql(tmp_path, data)) == {"2024-01": 110.0, "2024-02": 7.0}
    assert months(csv(tmp_path, data)) == {"2024-01": 110.0, "2024-02": 7.0}


def test_a_row_dated_by_its_mappings_own_date_needs_no_source_date(tmp_path):
    # a deal closed on its `closed` day: an empty `date` (created) does not matter to it
    data = b"date,closed,revenue\n2024-01-05,2024-01-09,100\n,2024-02-10,50\n"
    mapping = "{column: revenue, date: closed}"
    assert months(sql(tmp_path, data, mapping)) == {"2024-01": 100.0, "2024-02": 50.0}


def test_a_where_column_filled_is_a_value(tmp_path):
    # the undated row's revenue is empty but its `where:` column is filled: csv stops too
    data = b"date,kind,revenue\n2024-01-05,won,100\n,won,\n"
    mapping = json.dumps({"column": "revenue", "where": {"kind": ["won"]}})
    said = error_of(sql(tmp_path, data, mapping))
    assert said.startswith(f"d.csv{MESSAGE}")
    assert said == error_of(csv(tmp_path, data, mapping))
