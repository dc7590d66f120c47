"""A GA4 traffic-acquisition report downloaded in simplified Chinese names engaged sessions
`感兴趣的会话数`, the engagement rate `感兴趣的会话占比` and key events `关键事件数` (as real zh-CN
downloads do): they are read, so the engagement, bounce and conversion KPIs are evaluated.
Expected values come from the csv module."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import kpiengine

FIXTURE = Path(__file__).parent / "fixtures" / "ga" / "ga4_zh_cn_acquisition.csv"


def test_chinese_engagement_and_key_event_headers_are_read(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-07-10")
    root = write_workspace({}, "sources:\n  ga: {connector: ga_export, path: ga.csv}\n")
    (root / "ga.csv").write_bytes(FIXTURE.read_bytes())
    lines = [
        line for line in FIXTURE.read_text("utf-8-sig").splitlines() if not line.startswith("#")
    ]
    rows = [r for r in csv.DictReader(lines) if r["会话默认渠道组"] != "总计"]
    sessions = sum(float(r["会话数"]) for r in rows)
    engaged = sum(float(r["感兴趣的会话数"]) for r in rows)
    key_events = sum(float(r["关键事件数"]) for r in rows)
    kpis = ["website_engagement_rate", "bounce_rate", "conversion_rate"]
    results = kpiengine.evaluate(kpiengine.load_workspace(root), grain="month", kpis=kpis)
    values = {r["kpi"]: r["value"] for r in results.records() if r["period"] == "2024-06"}
    assert values == pytest.approx(
        {
            "website_engagement_rate": engaged / sessions,
            "bounce_rate": 1 - engaged / sessions,
            "conversion_rate": key_events / sessions,
        }
    )


def test_kpis_lacking_inputs_name_the_headers_the_export_does_not_know(write_workspace):
    from kpiengine.errors import KpiError

    root = write_workspace({}, "sources:\n  ga: {connector: ga_export, path: ga.csv}\n")
    text = FIXTURE.read_text("utf-8-sig").replace("关键事件数", "关键事件总计")
    (root / "ga.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["conversion_rate"])
    assert "`conversion_rate` needs `conversions`" in info.value.message
    assert "unrecognised headers: 关键事件总计" in info.value.message
    assert '关键事件总计: "?"' in info.value.fix and "headers:" in info.value.fix
