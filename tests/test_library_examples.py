"""The published examples, reproduced through `kpi eval` with the built-in library alone."""

import json

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def evaluate(tmp_path, columns, kpi, *extra, kpi_yaml=None):
    """`kpi eval` of one KPI on a one-row CSV dated January 2025; the total's value."""
    names = list(columns)
    (tmp_path / "d.csv").write_text(
        "date," + ",".join(names) + "\n2025-01-01," + ",".join(str(columns[n]) for n in names)
    )
    args = ["eval", "--data", str(tmp_path / "d.csv"), "--kpi", kpi, "--format", "json"]
    if kpi_yaml is not None:
        (tmp_path / "kpi.yaml").write_text(kpi_yaml)
        args += ["-w", str(tmp_path)]
    code, out, err = run(*args, *extra)
    assert code == 0, err
    [row] = [r for r in json.loads(out) if r["kpi"] == kpi and r["segment"] == {}]
    return row


# (KPI, data columns, the value worked out by hand)
EXAMPLES = [
    ("aov", {"revenue": 428000, "orders": 6240}, 428000 / 6240),  # 68.59
    ("cost_per_opportunity", {"marketing_cost": 30000, "opportunities": 60}, 500.0),
    ("win_rate", {"deals_won": 45, "deals_lost": 135, "opportunities": 400}, 0.25),
    ("email_open_rate", {"email_opens": 2400, "emails_delivered": 12000}, 0.20),
    ("email_click_rate", {"email_clicks": 360, "emails_delivered": 12000}, 0.03),
    ("email_click_to_open_rate", {"email_clicks": 360, "email_opens": 2400}, 0.15),
    ("unsubscribe_rate", {"unsubscribes": 24, "emails_delivered": 12000}, 0.002),
    ("paid_traffic_share", {"paid_sessions": 3000, "sessions": 12000}, 0.25),
    ("average_session_duration", {"session_duration": 360000, "sessions": 3000}, 120.0),
    # 5% a month: 1 - 0.95^12 = 0.4596399...
    ("annual_churn_rate", {"churned_customers": 5, "customers_at_start": 100}, 0.4596399123),
    # 40 open deals x 25,000 (1,125,000 / 45 won) x 25% (45 / 180) / 90 days (4,050 / 45)
    (
        "pipeline_velocity",
        {
            "open_opportunities": 40,
            "deals_won": 45,
            "deals_lost": 135,
            "revenue": 1125000,
            "sales_cycle_days": 4050,
        },
        2777.7777778,
    ),
]


@pytest.mark.parametrize(("kpi", "columns", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_published_example(tmp_path, kpi, columns, expected):
    row = evaluate(tmp_path, columns, kpi)
    assert row["value"] == pytest.approx(expected, rel=1e-9)


def test_aov_rounds_to_the_published_figure(tmp_path):
    row = evaluate(tmp_path, {"revenue": 428000, "orders": 6240}, "aov")
    assert round(row["value"], 2) == 68.59


def test_win_rate_is_not_the_close_rate(tmp_path):
    columns = {"deals_won": 45, "deals_lost": 135, "opportunities": 400}
    assert evaluate(tmp_path, columns, "close_rate")["value"] == pytest.approx(45 / 400)
    code, _, err = run("eval", "--data", str(tmp_path / "d.csv"), "--kpi", "win_rate")
    assert code == 0, err


def test_annual_churn_compounds_at_the_grain(tmp_path):
    columns = {"churned_customers": 5, "customers_at_start": 100}
    quarter = evaluate(tmp_path, columns, "annual_churn_rate", "--grain", "quarter")
    assert quarter["value"] == pytest.approx(1 - 0.95**4)  # 0.18549375
    year = evaluate(tmp_path, columns, "annual_churn_rate", "--grain", "year")
    assert year["value"] == pytest.approx(0.05)


def test_cac_payback_uses_the_gross_margin_parameter(tmp_path):
    # CAC = (400 + 200) / 1 = 600; 600 / (100 x 0.75) = 8 months
    columns = {"marketing_cost": 400, "sales_cost": 200, "new_customers": 1, "arpa": 100}
    row = evaluate(tmp_path, columns, "cac_payback_months")
    assert row["value"] == pytest.approx(8.0)
    assert row["unit"] == "month"
    # a workspace's own margin overrides the library's 75%: 600 / (100 x 0.6) = 10
    row = evaluate(
        tmp_path, columns, "cac_payback_months", kpi_yaml="parameters:\n  gross_margin_rate: 0.6\n"
    )
    assert row["value"] == pytest.approx(10.0)


def test_solve_pipeline_velocity_for_the_open_pipeline(tmp_path):
    columns = {
        "open_opportunities": 40,
        "deals_won": 45,
        "deals_lost": 135,
        "revenue": 1125000,
        "sales_cycle_days": 4050,
    }
    evaluate(tmp_path, columns, "pipeline_velocity")
    data = str(tmp_path / "d.csv")
    args = ["solve", "pipeline_velocity", "--data", data, "--for", "open_opportunities"]
    code, out, err = run(*args, "--target", "5000", "--format", "json")
    assert code == 0, err
    [answer] = json.loads(out)
    # 5,000 / (25,000 x 25% / 90) = 72 open deals
    assert answer["input"] == "open_opportunities" and answer["input_value"] == 40
    assert [s["value"] for s in answer["solutions"]] == [pytest.approx(72.0)]


def test_missing_inputs_are_named(tmp_path):
    (tmp_path / "d.csv").write_text("date,marketing_cost,new_customers\n2025-01-01,1000,10\n")
    result = CliRunner().invoke(cli, ["eval", "--data", str(tmp_path / "d.csv"), "--kpi", "cac"])
    assert result.exit_code != 0
    assert "`cac` needs `sales_cost`, which the data does not provide" in result.stderr
    assert "it provides `marketing_cost` and `new_customers`" in result.stderr
    assert "Traceback" not in result.stderr


def test_average_deal_size_reads_deals_won_when_the_data_has_no_count_with_amount(tmp_path):
    # `deals_won_with_amount` has `otherwise: deals_won`: data that does not tell them apart
    row = evaluate(tmp_path, {"revenue": 1125000, "deals_won": 45}, "average_deal_size")
    assert row["value"] == pytest.approx(25000.0)
    # data that does: the won deals with an amount, not every won deal
    columns = {"revenue": 1125000, "deals_won": 50, "deals_won_with_amount": 45}
    row = evaluate(tmp_path, columns, "average_deal_size")
    assert row["value"] == pytest.approx(25000.0)


def test_otherwise_stands_in_for_frame_input():
    import datetime as dt

    import numpy as np

    import kpiengine
    from kpiengine.table import Frame

    frame = Frame(
        dates=np.array([dt.date(2025, 1, 1)], dtype="datetime64[D]"),
        dims={},
        values={"revenue": np.array([1000.0]), "deals_won": np.array([4.0])},
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(None), frame, kpis=["average_deal_size"])
    assert results.kpis["average_deal_size"].values[0, 0] == pytest.approx(250.0)


def test_otherwise_must_name_a_variable_in_the_same_unit(write_workspace):
    import kpiengine

    root = write_workspace(
        {
            "mine": """\
            variables:
              paid_deals: {unit: deals, otherwise: deals_wonn}
              paid_revenue: {unit: currency, otherwise: deals_won}
            """
        }
    )
    found = [f for f in kpiengine.load_workspace(root).findings if "otherwise" in f.message]
    assert len(found) == 2
    assert "did you mean `deals_won`" in found[0].message
    assert "`otherwise: deals_won` is in deals, `paid_revenue` in currency" in found[1].message
    assert found[0].location.line == 2


def test_otherwise_naming_a_kpi_a_parameter_or_itself_says_so(write_workspace):
    import kpiengine

    root = write_workspace(
        {
            "mine": """\
            variables:
              a: {unit: ratio, otherwise: roa}
              b: {unit: year, otherwise: customer_lifetime}
              c: {unit: deals, otherwise: c}
            """
        }
    )
    found = [f.message for f in kpiengine.load_workspace(root).findings if "otherwise" in f.message]
    assert len(found) == 3
    assert "`otherwise: roa` names a KPI" in found[0]
    assert "`otherwise: customer_lifetime` names a parameter" in found[1]
    assert "`otherwise: c` names the variable itself" in found[2]


def test_left_out_deals_in_a_period_where_none_has_an_amount(write_workspace):
    import kpiengine
    from kpiengine.engine import Engine

    root = write_workspace(
        kpi_yaml="data: data.csv\n",
        data="date,revenue,deals_won,deals_won_with_amount\n"
        "2025-01-10,900,4,3\n2025-02-10,0,2,0\n2025-03-10,500,5,5\n",
    )
    report = Engine(kpiengine.load_workspace(root)).lint(True, kpis=["average_deal_size"])
    [finding] = [f for f in report.findings if f.code == "KPI314"]
    assert finding.details["left_out"] == {"2025-01": 1.0, "2025-02": 2.0}
    # 900 / 3 = 300 without the deal left out, 900 / 4 = 225 with it
    assert finding.details["without"] == {"2025-01": 300.0, "2025-02": None}
    assert finding.details["with_them"] == {"2025-01": 225.0, "2025-02": 0.0}
    assert "3 `deals_won` are left out of it, in 2 periods" in finding.message
    assert "2025-02: 2 left out, undefined without them" in finding.message


def test_otherwise_follows_its_chain_to_the_first_variable_the_data_gives():
    """`a: {otherwise: b}`, `b: {otherwise: c}`: data with only c reads c for a."""
    import dataclasses
    import datetime as dt

    import numpy as np

    import kpiengine
    from kpiengine.table import Frame

    ws = kpiengine.load_workspace(None)
    # won deals with an amount -> won deals -> a stand-in further down the chain
    won = ws.variables["deals_won"]
    ws.variables["deals_closed_won"] = dataclasses.replace(won, id="deals_closed_won")
    won.otherwise = "deals_closed_won"
    frame = Frame(
        dates=np.array([dt.date(2025, 1, 1)], dtype="datetime64[D]"),
        dims={},
        values={"revenue": np.array([1000.0]), "deals_closed_won": np.array([8.0])},
    )
    results = kpiengine.evaluate(ws, frame, kpis=["average_deal_size"])
    assert results.kpis["average_deal_size"].values[0, 0] == pytest.approx(125.0)
    assert ws.stand_in("deals_won_with_amount", {"deals_won"}) == "deals_won"
    assert ws.stand_in("deals_won_with_amount", {"deals_closed_won"}) == "deals_closed_won"
    assert ws.stand_in("deals_won_with_amount", {"revenue"}) is None


def test_otherwise_going_round_in_a_circle_is_an_error(write_workspace):
    import kpiengine

    root = write_workspace(
        {
            "mine": """\
            variables:
              a: {unit: deals, otherwise: b}
              b: {unit: deals, otherwise: c}
              c: {unit: deals, otherwise: a}
            """
        }
    )
    found = [f for f in kpiengine.load_workspace(root).findings if "otherwise" in f.message]
    assert [f.message for f in found] == [
        "variable `a`: `otherwise:` goes round in a circle: `a` -> `b` -> `c` -> `a`"
    ]
    assert found[0].severity == "error" and found[0].location.line == 2
