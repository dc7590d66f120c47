"""Definitions as users write them: no title, a KPI through itself, a constant formula, a title
naming another KPI, a copy of a built-in, and which built-in findings a workspace's lint shows."""

from __future__ import annotations

import json

from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.engine import Engine


def lint(root, **kwargs):
    return Engine(kpiengine.load_workspace(root)).lint(**kwargs)


def codes(report, kpi_id: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for finding in report.findings:
        if finding.kpi == kpi_id:
            out.setdefault(finding.code, []).append(finding)
    return out


# --- title is optional -------------------------------------------------------------------------

NO_TITLE = """\
kpis:
  cost_per_mql:
    formula: marketing_cost / mqls
    unit: currency / mqls
"""


def test_a_kpi_without_title_is_titled_from_its_id_and_evaluates(write_workspace):
    root = write_workspace(
        {"mine": NO_TITLE},
        data="date,marketing_cost,mqls\n2024-01-05,300,4\n2024-01-20,100,4\n",
    )
    ws = kpiengine.load_workspace(root)
    kpi = ws.kpis["cost_per_mql"]
    assert kpi.evaluable and kpi.title_in() == "Cost per mql"
    [info] = codes(lint(root), "cost_per_mql")["KPI014"]
    assert info.severity == "info" and "Cost per mql" in info.message
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "-w",
            str(root),
            "--data",
            str(root / "data.csv"),
            "--kpi",
            "cost_per_mql",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "50" in result.stdout  # 400 / 8


def test_a_kpi_with_a_title_has_no_kpi014(write_workspace):
    root = write_workspace(
        {
            "mine": NO_TITLE.replace(
                "  cost_per_mql:\n", "  cost_per_mql:\n    title: Cost per MQL\n"
            )
        }
    )
    assert "KPI014" not in codes(lint(root), "cost_per_mql")


# --- a KPI defined through itself --------------------------------------------------------------

# Article 001 (French): "Vous pouvez calculer votre chiffre d'affaires avec l'Inbound Marketing à
# l'aide d'une formule très simple : (Ventes totales pour l'année) - (Revenu total des clients
# acquis via le marketing entrant)": the inbound revenue minus... the inbound revenue.
INBOUND = """\
variables:
  total_sales: {unit: currency}
  outbound_revenue: {unit: currency}
kpis:
  inbound_revenue:
    title: Inbound revenue
    formula: total_sales - inbound_revenue
    unit: currency
  inbound_by_alias:
    title: Inbound revenue (alias)
    aliases: [inbound_sales]
    formula: total_sales - inbound_sales
    unit: currency
  inbound_near_miss:
    title: Inbound revenue
    formula: total_sales - outbound_revenue
    unit: currency
"""


def test_a_kpi_defined_through_itself_is_an_error_that_blocks_it(write_workspace):
    root = write_workspace({"mine": INBOUND})
    report = lint(root)
    ws = report.workspace
    [by_id] = codes(report, "inbound_revenue")["KPI211"]
    assert by_id.severity == "error"
    assert "defined through itself" in by_id.message and "its own id" in by_id.message
    assert (by_id.location.line, by_id.location.column) == (7, 28)  # at `inbound_revenue`
    assert "KPI007" not in codes(report, "inbound_revenue")  # not reported twice as a cycle
    [by_alias] = codes(report, "inbound_by_alias")["KPI211"]
    assert "its alias `inbound_sales`" in by_alias.message
    assert "KPI006" not in codes(report, "inbound_by_alias")
    assert not ws.kpis["inbound_revenue"].evaluable
    assert codes(report, "inbound_near_miss") == {}


def test_a_kpi_replacing_the_builtin_variable_it_uses(write_workspace):
    root = write_workspace(
        {
            "mine": "variables:\n  total_sales: {unit: currency}\nkpis:\n  revenue:\n"
            "    title: Inbound revenue\n    formula: total_sales - revenue\n    unit: currency\n"
        }
    )
    [finding] = codes(lint(root), "revenue")["KPI211"]
    assert "replaces the built-in `revenue`" in finding.message


def test_a_real_cycle_is_still_kpi007(write_workspace):
    root = write_workspace(
        {
            "mine": "kpis:\n  a: {title: A, formula: b * 2, unit: currency}\n"
            "  b: {title: B, formula: a / 2, unit: currency}\n"
        }
    )
    report = lint(root)
    assert "KPI007" in codes(report, "a") and "KPI211" not in codes(report, "a")


# --- a formula that is constant ----------------------------------------------------------------

# Article 002 (Chinese): "参与=参与者人数/覆盖总人数" then "覆盖的总人数是指参与活动的用户总数":
# the reach is the users who took part, so engagement = participants / participants.
ENGAGEMENT = """\
units: [participants]
variables:
  participants: {unit: participants}
  reach: {unit: participants}
kpis:
  engagement:
    title: Engagement rate
    formula: participants / participants
    unit: ratio
    format: percent
  nothing_left:
    title: Revenue less revenue
    formula: revenue - revenue
    unit: currency
  engagement_near_miss:
    title: Engagement rate
    formula: participants / reach
    unit: ratio
    format: percent
"""


def test_a_constant_formula_is_an_error_with_its_value(write_workspace):
    report = lint(write_workspace({"mine": ENGAGEMENT}))
    [always] = codes(report, "engagement")["KPI212"]
    assert always.severity == "error"
    assert "`participants / participants` is always 100%" in always.message
    [zero] = codes(report, "nothing_left")["KPI212"]
    assert "is always 0" in zero.message
    assert "KPI212" not in codes(report, "engagement_near_miss")


def test_constant_only_after_expanding_the_kpis_it_names(write_workspace):
    root = write_workspace(
        {
            "mine": "kpis:\n  back_to_one:\n    title: Back to one\n"
            "    formula: cost_per_lead * leads / marketing_cost\n    unit: ratio\n"
            "  near_miss:\n    title: Leads per cost\n    formula: cost_per_lead * leads\n"
            "    unit: currency\n"
        }
    )
    report = lint(root)
    [finding] = codes(report, "back_to_one")["KPI212"]
    assert "always 1" in finding.message
    assert "KPI212" not in codes(report, "near_miss")


# --- a title that names another KPI ------------------------------------------------------------

# Article 003 (Chinese) heads its ROI section "#3。 资产回报率 (ROI)": 资产回报率 is the return on
# assets, another KPI, and defines ROI as (销售收入 - 营销成本)/营销成本. The built-in library's
# `roa` alone must catch it: the workspace does not define the return on assets.
TITLES = """\
kpis:
  article_roi:
    title: {en: Marketing ROI, zh-Hans: 资产回报率 (ROI)}
    formula: (revenue - marketing_cost) / marketing_cost
    unit: ratio
  assets_titled_assets:
    title: {zh-Hans: 资产回报率}
    formula: net_income / total_assets
    unit: ratio
  roas_titled_roi:
    title: {en: ROI}
    formula: revenue / marketing_cost
    unit: ratio
  roi_titled_roi:
    title: {en: ROI}
    formula: (revenue - marketing_cost) / marketing_cost
    unit: ratio
  cost_titled_cost:
    title: {en: Cost}
    formula: marketing_cost / leads
    unit: currency / leads
"""


def test_a_title_naming_another_kpi_is_a_warning(write_workspace):
    report = lint(write_workspace({"mine": TITLES}))
    [assets] = codes(report, "article_roi")["KPI213"]
    assert assets.severity == "warning"
    assert assets.message == (
        '`article_roi` is titled "资产回报率 (ROI)" (zh-Hans), which names KPI `roa` '
        "(资产回报率 (ROA) = net_income / total_assets), but its formula is "
        "`(revenue - marketing_cost) / marketing_cost`"
    )
    assert assets.fix.startswith("title the KPI after what its formula computes")
    [roas] = codes(report, "roas_titled_roi")["KPI213"]
    assert "names KPI `roi`" in roas.message
    # near misses: a KPI titled ROI computing the ROI; a title that is part of a longer one
    assert "KPI213" not in codes(report, "roi_titled_roi")
    assert "KPI213" not in codes(report, "cost_titled_cost")
    assert "KPI213" not in codes(report, "assets_titled_assets")  # the built-in `roa`, as titled


def test_normalised_titles_ignore_case_spaces_and_punctuation():
    from kpiengine.checks.library import normalised, title_names

    assert normalised("Cost-per  Lead!") == normalised("cost per lead")
    assert title_names("资产回报率 (ROI)") == {"资产回报率roi", "资产回报率", "roi"}


# --- a copy of a built-in, and what a workspace's lint shows ------------------------------------


def test_a_copy_of_a_builtin_is_an_info_suggesting_its_id(write_workspace):
    root = write_workspace(
        {
            "mine": "kpis:\n  my_roi:\n    title: My ROI\n"
            "    formula: (revenue - marketing_cost) / marketing_cost\n    unit: ratio\n"
        }
    )
    [copy] = codes(lint(root), "my_roi")["KPI209"]
    assert copy.severity == "info"
    assert "built-in `roi`" in copy.message and "under its id `roi`" in copy.fix


def test_two_workspace_copies_remain_a_warning(write_workspace):
    root = write_workspace(
        {
            "mine": "kpis:\n"
            "  a: {title: A, formula: revenue / visitors * 2, unit: currency / visitors}\n"
            "  b: {title: B, formula: 2 * revenue / visitors, unit: currency / visitors}\n"
        }
    )
    report = lint(root)
    found = codes(report, "a").get("KPI209", []) + codes(report, "b").get("KPI209", [])
    assert [f.severity for f in found] == ["warning"]


def test_workspace_lint_shows_builtins_only_where_used(write_workspace):
    root = write_workspace({"mine": NO_TITLE.replace("mqls", "leads")})
    report = lint(root)
    builtin = {f.kpi for f in report.findings if f.kpi not in ("cost_per_mql",)}
    assert "roi" not in builtin and "ltv" not in builtin
    assert report.silenced == []
    library = Engine(kpiengine.load_workspace(None)).lint()
    assert {"roi", "ltv"} <= {f.kpi for f in library.findings if f.code == "KPI206"}
    assert any(s.finding.kpi == "roi" for s in library.silenced)


def test_a_builtin_the_workspace_uses_keeps_its_findings_but_not_its_notes(write_workspace):
    root = write_workspace(
        {"mine": "kpis:\n  roi_gap:\n    title: ROI gap\n    formula: 1 - roi\n    unit: ratio\n"},
        kpi_yaml="kpis: [roi_gap]\n",
    )
    report = lint(root)
    assert not [f for f in report.findings if f.kpi == "roi" and f.code == "KPI206"]
    assert report.silenced == []


def test_lint_json_of_a_workspace_has_no_library_notes(write_workspace):
    root = write_workspace({"mine": NO_TITLE})
    result = CliRunner().invoke(cli, ["lint", "-w", str(root), "--format", "json"])
    data = json.loads(result.stdout)
    assert {f["kpi"] for f in data["findings"]} == {"cost_per_mql"}
