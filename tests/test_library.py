"""The built-in KPI library: clean, complete, and keeping the articles' mistakes on record."""

import re
from pathlib import Path

import pytest

from kpiengine.examples import example_value
from kpiengine.workspace import load_workspace

LOCALES = {"en", "zh-Hans", "zh-Hant", "fr", "fa"}
# a letter every description in the locale must contain (so an English copy fails)
SCRIPTS = {"zh-Hans": r"[\u4e00-\u9fff]", "zh-Hant": r"[\u4e00-\u9fff]", "fa": r"[\u0600-\u06ff]"}
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="module")
def library():
    return load_workspace(None)


def test_library_has_no_findings(library):
    assert [f.format() for f in library.findings] == []
    assert len(library.kpis) >= 35


def test_every_kpi_is_complete(library):
    for kpi in library.kpis.values():
        assert set(kpi.title) >= LOCALES, kpi.id
        assert kpi.description.get("en"), kpi.id
        # a description in every locale that has a title, written in that locale's script
        assert set(kpi.description) >= set(kpi.title), kpi.id
        for locale, script in SCRIPTS.items():
            assert re.search(script, kpi.description[locale]), (kpi.id, locale)
        # a KPI from the articles names them; the others (e-mail rates, AOV...) have none
        assert all(re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", s) for s in kpi.source), kpi.id
        assert kpi.inferred_unit == kpi.unit, kpi.id


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed articles are not beside the checkout")
def test_sources_name_existing_articles(library):
    names = {p.name for p in SEEDS.iterdir()}
    for kpi in library.kpis.values():
        assert set(kpi.source) <= names, kpi.id


def test_articles_named_kpis_are_present(library):
    expected = [
        "roi",
        "roas",
        "cac",
        "cost_per_lead",
        "cpa",
        "cost_per_conversion",
        "cost_per_sqo",
        "ltv",
        "ltv_to_cac",
        "retention_rate",
        "churn_rate",
        "engagement_rate",
        "landing_page_conversion_rate",
        "goal_conversion_rate",
        "traffic_to_lead_ratio",
        "traffic_to_customer_ratio",
        "mql_to_lead_ratio",
        "mql_to_sql_rate",
        "bounce_rate",
        "ctr",
        "cpc",
        "cpm",
        "sales_growth",
        "close_rate",
        "pipeline_velocity",
        "organic_traffic_share",
        "social_traffic_share",
        "revenue_per_customer",
    ]
    assert set(expected) <= set(library.kpis)


def reported_examples(library):
    return {
        (kpi.id, ex.reported): ex
        for kpi in library.kpis.values()
        for ex in kpi.examples
        if ex.reported is not None
    }


def test_article_mistakes_are_recorded_with_the_correct_value(library):
    found = reported_examples(library)
    roi = found[("roi", 0.42)]
    assert roi.expect == pytest.approx(3000 / 7000, abs=1e-6) and roi.note["en"]
    ltv = found[("ltv", 5400)]
    assert ltv.expect == 450 and "12" in ltv.note["en"]
    ratio = library.kpis["traffic_to_customer_ratio"]
    [inverted] = [ex for ex in ratio.examples if "inverted" in ex.note["en"]]
    assert inverted.expect == pytest.approx(inverted.given["new_customers"] / 100000)


def test_every_example_reproduces_through_the_formula(library):
    for kpi in library.kpis.values():
        for example in kpi.examples:
            value = example_value(library, kpi, example.given)
            assert value == pytest.approx(example.expect, abs=example.tolerance * 1.0001), kpi.id


def test_roa_is_net_income_over_total_assets(library):
    roa = library.kpis["roa"]
    assert roa.formula_text == "net_income / total_assets"
    assert set(roa.title) >= LOCALES and set(roa.description) >= LOCALES
    assert "资产回报率" in roa.title["zh-Hans"]  # the name article 003 gives its ROI
    assert roa.range is None  # not a share: a loss makes it negative
    assert library.variables["total_assets"].aggregate.time == "last"  # a balance-sheet stock
    [example] = roa.examples
    assert 150000 / 1200000 == 0.125
    assert example_value(library, roa, example.given) == pytest.approx(0.125)


@pytest.mark.parametrize("locale", ["fr", "zh-Hans", "zh-Hant", "fa"])
def test_kpi_show_says_the_library_parameters_in_each_locale(locale):
    from click.testing import CliRunner

    from kpiengine.cli import cli

    for kpi in ("ltv", "cac_payback_months"):
        result = CliRunner().invoke(cli, ["show", kpi, "--sample", "--locale", locale])
        assert result.exit_code == 0, result.output
        assert "An assumption, not data" not in result.output
