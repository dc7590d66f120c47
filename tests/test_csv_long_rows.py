"""A long file's value column holds every metric's values: only the rows of the metrics mapped
are read. A text value of another metric is no bad cell; a mapped metric's bad cell still is
one, at its cell; a metric name differing from the mapped one only in case is an error, never a
silent zero. Expected values come from the csv module."""

import csv

import pytest

import kpiengine
from kpiengine.errors import KpiError

DEFINITIONS = """\
variables:
  spend: {unit: currency, aggregate: sum}
kpis:
  spent: {title: Spend, formula: spend, unit: currency, format: currency}
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-01")


def evaluate(root, rows):
    (root / "definitions").mkdir()
    (root / "definitions" / "k.yaml").write_text(DEFINITIONS)
    with (root / "metrics.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["date", "metric", "value"], *rows])
    (root / "kpi.yaml").write_text(
        "currency: USD\nsources:\n  s: {connector: csv, path: metrics.csv, format: long, "
        "date: date, variable_column: metric, value_column: value, map: {spend: Spend}}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["spent"])
    values = results.kpis["spent"].values[:, 0]
    return dict(zip(results.labels, values.tolist(), strict=True))


def expected(root):
    with (root / "metrics.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["metric"] == "Spend"]
    out: dict[str, float] = {}
    for r in rows:
        out[r["date"][:7]] = out.get(r["date"][:7], 0.0) + float(r["value"])
    return out


def test_text_values_of_metrics_not_mapped_are_not_read(tmp_path):
    rows = [
        ["2024-01-05", "Spend", "100"],
        ["2024-01-05", "Top campaign", "Spring Sale"],
        ["2024-01-06", "Spend", "50.5"],
        ["2024-02-01", "Notes", "#N/A"],
        ["2024-02-02", "Spend", "20"],
    ]
    assert evaluate(tmp_path, rows) == expected(tmp_path) == {"2024-01": 150.5, "2024-02": 20.0}


def test_a_bad_cell_of_a_mapped_metric_is_still_an_error_at_its_cell(tmp_path):
    rows = [["2024-01-05", "Top campaign", "Spring Sale"], ["2024-01-06", "Spend", "5k"]]
    with pytest.raises(KpiError) as caught:
        evaluate(tmp_path, rows)
    assert str(caught.value).startswith("metrics.csv:3:") and "5k" in str(caught.value)


def test_a_metric_named_in_another_case_is_an_error(tmp_path):
    rows = [["2024-01-05", "Top campaign", "Spring Sale"], ["2024-01-06", "spend", "50"]]
    with pytest.raises(KpiError) as caught:
        evaluate(tmp_path, rows)
    assert "spend" in str(caught.value) and "Spend" in str(caught.value)
