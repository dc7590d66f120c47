"""Monthly Google Ads downloads of one saved report whose columns changed between months (a rate
column added) add up: only the columns the source reads must be in every file; a file lacking
one (its cost under another header) is still an error naming the difference."""

from __future__ import annotations

import csv
import io

import pytest

import kpiengine
from kpiengine.errors import KpiError

JUNE = (
    "Campaign report\n"
    '"June 1, 2024 - June 30, 2024"\n'
    "Day,Campaign,Currency code,Impr.,Clicks,Cost\n"
    "2024-06-01,C1,EUR,100,10,10.00\n"
    "2024-06-02,C1,EUR,100,10,12.00\n"
    "Total: Account,--,EUR,200,20,22.00\n"
)
JULY = (
    "Campaign report\n"
    '"July 1, 2024 - July 31, 2024"\n'
    "Day,Campaign,Currency code,Impr.,Clicks,Avg. CPC,Cost\n"
    "2024-07-01,C1,EUR,100,10,1.00,10.00\n"
    "2024-07-02,C1,EUR,100,12,1.25,15.00\n"
    "Total: Account,--,EUR,200,22,1.14,25.00\n"
)


def _cost(text: str) -> float:
    rows = csv.DictReader(io.StringIO("\n".join(text.splitlines()[2:])))
    return sum(float(r["Cost"]) for r in rows if r["Day"].startswith("2024"))


def _spend(tmp_path, july: str) -> dict[str, float]:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "kpis:\n  sp: {title: Spend, formula: ad_spend, unit: currency}\n", "utf-8"
    )
    (tmp_path / "kpi.yaml").write_text(
        'currency: EUR\nsources:\n  g: {connector: ads, path: "ads_*.csv"}\n', "utf-8"
    )
    (tmp_path / "ads_6.csv").write_text(JUNE, "utf-8")
    (tmp_path / "ads_7.csv").write_text(july, "utf-8")
    results = kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["sp"])
    return dict(zip(results.labels, results.kpis["sp"].values[:, 0].tolist(), strict=True))


def test_a_column_the_source_does_not_read_may_differ(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-09-01")
    got = _spend(tmp_path, JULY)
    assert got == {"2024-06": _cost(JUNE), "2024-07": _cost(JULY)}
    assert got == {"2024-06": 22.0, "2024-07": 25.0}


def test_a_file_lacking_a_column_the_source_reads_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-09-01")
    with pytest.raises(KpiError) as caught:
        _spend(tmp_path, JULY.replace("Avg. CPC,Cost", "Avg. CPC,Kosten"))
    assert str(caught.value).startswith("ads_7.csv:3:1: the columns differ from ads_6.csv's")
    assert "it lacks Cost" in str(caught.value)
