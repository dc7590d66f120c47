"""Partial periods: coverage, values to date, projections (with a backtest) and the default
period, checked against sums of the rows computed here."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine import Frame
from kpiengine.cli import cli

DEFS = """\
variables:
  sales: {unit: currency}
  sessions: {unit: sessions}
  orders: {unit: orders}
kpis:
  revenue_kpi: {title: Revenue, formula: sales, unit: currency, target: {annual: 365000}}
  order_rate:
    {title: Order rate, formula: orders / sessions, unit: orders / sessions, format: percent,
     target: 0.05}
"""
WEEKDAY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.4])  # Monday first


def _daily(first: dt.date, last: dt.date, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    weekday = (days.astype(np.int64) + 3) % 7
    sessions = rng.poisson(400 * WEEKDAY[weekday]).astype(float)
    orders = rng.binomial(sessions.astype(int), 0.05).astype(float)
    sales = orders * rng.uniform(15, 25, len(days))
    return {"date": days, "sales": sales, "sessions": sessions, "orders": orders}


def _frame(data: dict[str, np.ndarray], cut: dt.date | None = None) -> Frame:
    keep = data["date"] <= np.datetime64(cut) if cut else np.ones(len(data["date"]), bool)
    return Frame(data["date"][keep], {}, {k: v[keep] for k, v in data.items() if k != "date"})


def _sum(data, name, lo: dt.date, hi: dt.date) -> float:
    days = data["date"]
    return float(data[name][(days >= np.datetime64(lo)) & (days <= np.datetime64(hi))].sum())


@pytest.fixture
def shop(write_workspace):
    return kpiengine.load_workspace(write_workspace({"shop": DEFS}))


def test_a_partial_month_is_marked_and_compared_to_date(shop):
    data = _daily(dt.date(2023, 1, 1), dt.date(2024, 12, 31))
    results = kpiengine.evaluate(shop, _frame(data, dt.date(2024, 12, 18)))
    rows = {(r["kpi"], r["period"]): r for r in results.records()}
    december = rows[("order_rate", "2024-12")]
    assert december["complete"] is False and december["coverage"] == pytest.approx(18 / 31)
    assert rows[("order_rate", "2024-11")]["complete"] is True
    assert december["compared"] == "to_date"
    expected = _sum(data, "orders", dt.date(2024, 11, 1), dt.date(2024, 11, 18)) / _sum(
        data, "sessions", dt.date(2024, 11, 1), dt.date(2024, 11, 18)
    )
    assert december["previous"] == pytest.approx(expected, rel=1e-12)
    year_ago = _sum(data, "orders", dt.date(2023, 12, 1), dt.date(2023, 12, 18)) / _sum(
        data, "sessions", dt.date(2023, 12, 1), dt.date(2023, 12, 18)
    )
    assert december["last_year"] == pytest.approx(year_ago, rel=1e-12)
    revenue = rows[("revenue_kpi", "2024-12")]
    to_date = _sum(data, "sales", dt.date(2024, 12, 1), dt.date(2024, 12, 18))
    assert revenue["value"] == pytest.approx(to_date)
    assert revenue["projected_low"] <= revenue["projected"] <= revenue["projected_high"]
    assert revenue["projected"] > to_date
    assert revenue["status_basis"] == "projection"
    assert rows[("revenue_kpi", "2024-11")]["projected"] is None


def test_the_status_of_a_partial_period_is_judged_on_its_projection(shop):
    data = _daily(dt.date(2023, 1, 1), dt.date(2024, 12, 31))
    results = kpiengine.evaluate(shop, _frame(data, dt.date(2024, 12, 18)))
    [december] = [
        r for r in results.records() if r["kpi"] == "revenue_kpi" and r["period"] == "2024-12"
    ]
    month_target = 365000 / 12
    assert december["target"] == pytest.approx(month_target)
    assert december["value"] < month_target * 0.8  # to date it looks off track...
    full = _sum(data, "sales", dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    if full > month_target * 1.05:  # ...while pro rata it is ahead
        assert december["status"] == "on_track" and december["p_target"] > 0.5


def test_projection_backtest_covers_the_truth_about_80_percent_of_the_time(shop):
    """A known series (weekday pattern, Poisson noise): the 80% interval of the month total,
    projected from its first 15 days, holds the true total in about 80% of held-back months."""
    data = _daily(dt.date(2022, 1, 1), dt.date(2024, 12, 31), seed=11)
    hits, months = 0, 0
    for year, month in [(y, m) for y in (2023, 2024) for m in range(1, 13)]:
        cut = dt.date(year, month, 15)
        end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        results = kpiengine.evaluate(shop, _frame(data, cut), kpis=["revenue_kpi"])
        [row] = [r for r in results.records() if r["period"] == f"{year}-{month:02d}"]
        truth = _sum(data, "sales", dt.date(year, month, 1), end)
        hits += row["projected_low"] <= truth <= row["projected_high"]
        months += 1
    assert 0.6 <= hits / months <= 0.97, (hits, months)


def test_the_chance_of_reaching_the_target_follows_the_target(write_workspace):
    data = _daily(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    chances = []
    for annual in (100000, 365000, 1000000):
        defs = DEFS.replace("annual: 365000", f"annual: {annual}")
        ws = kpiengine.load_workspace(write_workspace({"shop": defs}, folder=f"w{annual}"))
        results = kpiengine.evaluate(ws, _frame(data, dt.date(2024, 12, 10)), kpis=["revenue_kpi"])
        [row] = [r for r in results.records() if r["period"] == "2024-12"]
        chances.append(row["p_target"])
    assert chances[0] > 0.95 and chances[2] < 0.05 and chances[0] >= chances[1] >= chances[2]


def _cli(root, *args):
    result = CliRunner().invoke(cli, [*args, "--workspace", str(root)], catch_exceptions=False)
    return result


def test_every_command_defaults_to_the_last_complete_period(write_workspace):
    data = _daily(dt.date(2023, 1, 1), dt.date(2024, 12, 18))
    lines = ["date,sales,sessions,orders"] + [
        f"{d},{s},{n},{o}"
        for d, s, n, o in zip(
            data["date"], data["sales"], data["sessions"], data["orders"], strict=True
        )
    ]
    root = write_workspace({"shop": DEFS}, kpi_yaml="data: data.csv\n")
    (root / "data.csv").write_text("\n".join(lines) + "\n")
    table = _cli(root, "eval").stdout
    assert "2024-11" in table and "2024-12 (18/31 d) is partial" in table
    current = json.loads(_cli(root, "eval", "--period", "current", "--format", "json").stdout)
    assert {r["period"] for r in current} == {"2024-12"}
    solved = json.loads(_cli(root, "solve", "order_rate", "--format", "json").stdout)
    assert solved[0]["period"] == "2024-11"
    drivers = json.loads(_cli(root, "drivers", "order_rate", "--format", "json").stdout)
    assert drivers["period"] == "2024-11"
    explained = json.loads(_cli(root, "explain", "order_rate", "--format", "json").stdout)
    assert explained["end"] == "2024-11"
    report = root / "r.md"
    _cli(root, "report", "-o", str(report))
    assert "November 2024" in report.read_text()


def test_monthly_data_dated_on_the_first_covers_its_last_month(write_workspace):
    lines = ["date,sales,sessions,orders"]
    lines += [f"2024-{m:02d}-01,{1000 + m},{900},{40}" for m in range(1, 13)]
    root = write_workspace({"shop": DEFS}, kpi_yaml="data: data.csv\n")
    (root / "data.csv").write_text("\n".join(lines) + "\n")
    records = json.loads(_cli(root, "eval", "--format", "json").stdout)
    december = [r for r in records if r["period"] == "2024-12"]
    assert december and all(r["complete"] for r in december)
    report = root / "r.md"
    _cli(root, "report", "-o", str(report))
    assert "December 2024" in report.read_text()


@pytest.mark.parametrize(
    "args", [["--period", "2030-01"], ["--from", "2024-06", "--to", "2024-01"]]
)
def test_a_period_outside_the_data_is_a_usage_error(write_workspace, args):
    root = write_workspace(
        {"shop": DEFS},
        kpi_yaml="data: data.csv\n",
        data="date,sales\n2024-01-05,10\n2024-02-05,12\n",
    )
    commands = [["eval"]] + ([["report", "-o", str(root / "r.html")]] if "--period" in args else [])
    for command in commands:
        result = CliRunner().invoke(cli, [*command, "--workspace", str(root), *args])
        assert result.exit_code == 2, result.output
        assert "2024-01" in result.output or "after" in result.output


GA_RANGE = Path(__file__).parent / "fixtures" / "ga" / "ga4_custom_range_undated.csv"


def test_an_undated_export_is_one_period_labelled_by_its_range(write_workspace):
    root = write_workspace(kpi_yaml="sources:\n  ga:\n    connector: ga_export\n    path: ga.csv\n")
    shutil.copy(GA_RANGE, root / "ga.csv")
    result = CliRunner().invoke(
        cli, ["eval", "--workspace", str(root), "--kpi", "bounce_rate", "--format", "json"]
    )
    rows = json.loads(result.stdout) if result.exit_code in (0, 1) else result.output
    assert isinstance(rows, list), rows
    assert {r["period"] for r in rows} == {"2025-01-01/2026-05-24"}
    [total] = [r for r in rows if not r["segment"]]
    assert total["value"] == pytest.approx(1 - 57315 / 94633)  # engaged sessions, by hand
    lint = CliRunner().invoke(cli, ["lint", "--workspace", str(root)])
    assert lint.exit_code in (0, 1), lint.output


def test_an_undated_export_beside_dated_data_is_a_finding_not_a_failure(write_workspace):
    root = write_workspace(
        kpi_yaml="data: data.csv\nsources:\n  ga:\n    connector: ga_export\n    path: ga.csv\n",
        data="date,revenue,marketing_cost\n2025-01-05,100,80\n2025-02-05,120,90\n",
    )
    shutil.copy(GA_RANGE, root / "ga.csv")
    ws = kpiengine.load_workspace(root)
    results = kpiengine.evaluate(ws, kpis=["roi", "bounce_rate"])
    [finding] = [f for f in results.findings if f.code == "KPI013"]
    assert "2025-01-01 to 2026-05-24" in finding.message and "`sessions`" in finding.message
    rows = {(r["kpi"], r["period"]): r for r in results.records() if not r["segment"]}
    assert rows[("roi", "2025-01")]["value"] == pytest.approx(0.25)
    assert rows[("bounce_rate", "2025-01")]["value"] is None
    assert "has no dates" in rows[("bounce_rate", "2025-01")]["reason"]


def test_a_partial_period_s_daily_values_reuse_the_scan(write_workspace, scans, monkeypatch):
    """The daily values of a partial month come from the cells of the run's first scan (days
    by segment, kept for the run): the file is read once, and every value is the one the two
    scans of the plain path give, and the rows' own sums."""
    import kpiengine.scanquery
    from kpiengine.engine import Engine

    data = _daily(dt.date(2023, 1, 1), dt.date(2024, 12, 18))
    lines = ["date,channel,sales,sessions,orders"]
    for i, day in enumerate(data["date"]):
        for channel, share in (("A", 0.25), ("B", 0.75)):
            values = [float(data[k][i]) * share for k in ("sales", "sessions", "orders")]
            lines.append(f"{day},{channel}," + ",".join(f"{v!r}" for v in values))
    root = write_workspace(
        {"shop": DEFS}, "sources:\n  shop:\n    connector: csv\n    path: shop.csv\n"
    )
    (root / "shop.csv").write_text("\n".join(lines) + "\n")

    def evaluate() -> dict:
        engine = Engine(kpiengine.load_workspace(root))
        results = engine.evaluate(by=["channel"])
        return {(r["kpi"], r["period"], r["segment"].get("channel")): r
                for r in results.records()}  # fmt: skip

    shared = evaluate()
    assert len(scans) == 1  # one read for the months and the partial month's days
    monkeypatch.setattr(kpiengine.scanquery, "DAY_CELLS_SEGMENTS", 0)
    scans.clear()
    plain = evaluate()
    assert len(scans) == 2
    assert shared.keys() == plain.keys()
    for key, record in plain.items():
        for field in ("value", "previous", "projected", "projected_low", "coverage"):
            expected = record[field]
            if expected is None:
                assert shared[key][field] is None, (key, field)
            else:
                assert shared[key][field] == pytest.approx(expected, rel=1e-12), (key, field)
    december = shared["revenue_kpi", "2024-12", None]
    assert december["projected"] is not None and december["complete"] is False
    assert december["value"] == pytest.approx(
        _sum(data, "sales", dt.date(2024, 12, 1), dt.date(2024, 12, 18))
    )
    november = shared["revenue_kpi", "2024-11", "B"]["value"]
    assert november == pytest.approx(
        0.75 * _sum(data, "sales", dt.date(2024, 11, 1), dt.date(2024, 11, 30))
    )


def test_a_period_asked_alone_is_as_complete_as_in_the_whole_run(write_workspace):
    """June without rows after the 15th is complete when July has rows: asking for June alone
    (`--period 2024-06`) must not judge it partial from the rows of June only."""
    days = [dt.date(2024, 5, 1) + dt.timedelta(days=i) for i in range(92)]
    kept = [d for d in days if not (dt.date(2024, 6, 16) <= d <= dt.date(2024, 6, 30))]
    lines = ["date,sales,sessions,orders"] + [f"{d},10,100,2" for d in kept]
    root = write_workspace({"shop": DEFS}, kpi_yaml="data: data.csv\n")
    (root / "data.csv").write_text("\n".join(lines) + "\n")
    may = sum(10 for d in kept if d.month == 5)
    june = sum(10 for d in kept if d.month == 6)
    whole = json.loads(_cli(root, "eval", "--kpi", "revenue_kpi", "--format", "json").stdout)
    alone = json.loads(
        _cli(root, "eval", "--kpi", "revenue_kpi", "--period", "2024-06", "--format", "json").stdout
    )
    [row] = [r for r in alone if not r["segment"]]
    assert row == next(r for r in whole if r["period"] == "2024-06" and not r["segment"])
    assert row["value"] == june == 150 and row["complete"] and row["previous"] == may == 310
