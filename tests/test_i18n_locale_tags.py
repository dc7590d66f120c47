"""Locale tags as people write them pick one language for labels, titles and descriptions.

`zh-CN` is Simplified Chinese (`zh-Hans`), `zh-TW` Traditional (`zh-Hant`), `fr_FR` French:
before, `kpi show roi --locale zh-CN` gave Chinese labels around the English title. A locale
with no translations (`de`) is a warning naming the available ones, not a silent fallback.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.cli.common import _warn_locale
from kpiengine.describe import describe_kpi
from kpiengine.i18n import missing_locale, normalize_locale
from kpiengine.workspace import load_workspace

# the titles of `roi` in the library (definitions/revenue.yaml; checked below)
ROI_TITLES = {
    "en": "Marketing return on investment (ROI)",
    "fr": "Retour sur investissement (ROI)",
    "zh-Hans": "营销投资回报率 (ROI)",
    "zh-Hant": "投資回報率 (ROI)",
}


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh_CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh_hant", "zh-Hant"),
        ("fr_FR", "fr"),
        ("fr-CA", "fr"),
        ("FR", "fr"),
        ("fa-IR", "fa"),
        ("en-US", "en"),
        ("en", "en"),
        ("pt_BR", "pt-BR"),  # no catalog: Babel's spelling, for definitions keyed `pt-BR`
        ("xx", "xx"),  # not a locale Babel knows: as written
    ],
)
def test_tags_normalise_to_the_locale_texts_are_keyed_by(tag, expected):
    assert normalize_locale(tag) == expected


def test_the_library_titles_are_the_ones_this_test_expects(tmp_path):
    roi = load_workspace(tmp_path).kpis["roi"]
    assert {k: roi.title[k] for k in ROI_TITLES} == ROI_TITLES


@pytest.mark.parametrize(
    ("tag", "title", "label"),
    [
        ("zh-CN", ROI_TITLES["zh-Hans"], "公式"),
        ("zh", ROI_TITLES["zh-Hans"], "公式"),
        ("zh-TW", ROI_TITLES["zh-Hant"], "公式"),
        ("fr_FR", ROI_TITLES["fr"], "formule"),
        ("fr-FR", ROI_TITLES["fr"], "formule"),
    ],
)
def test_kpi_show_titles_and_labels_share_one_language(tmp_path, tag, title, label):
    code, out, err = run("show", "roi", "-w", str(tmp_path), "--locale", tag)
    assert code == 0, err
    first = out.splitlines()[0]
    assert first == f"roi: {title}"
    assert ROI_TITLES["en"] not in out
    assert any(line.strip().startswith(label) for line in out.splitlines())
    assert "warning" not in err


def test_describe_normalises_the_locale_it_is_given(tmp_path):
    ws = load_workspace(tmp_path)
    text = describe_kpi(ws, ws.kpis["roi"], "zh_CN")
    assert text.splitlines()[0] == f"roi: {ROI_TITLES['zh-Hans']}"


@pytest.mark.parametrize("tag", ["de", "xx"])
def test_a_locale_without_translations_is_a_warning_naming_the_available_ones(tmp_path, tag):
    _warn_locale.cache_clear()
    code, out, err = run("show", "roi", "-w", str(tmp_path), "--locale", tag)
    assert code == 0
    assert out.splitlines()[0] == f"roi: {ROI_TITLES['en']}"
    [warning] = [line for line in err.splitlines() if line.startswith("warning:")]
    assert f"`{tag}`" in warning
    assert "en, fr, zh-Hans, zh-Hant, fa" in warning
    # once per run: a second use of the same tag does not repeat it
    code, out, err = run("show", "roi", "-w", str(tmp_path), "--locale", tag)
    assert "warning:" not in err


def test_locales_with_translations_give_no_warning():
    for tag in ("en", "en-GB", "fr_FR", "zh-CN", "zh-HK", "fa-IR", "zh-Hant"):
        assert missing_locale(tag) is None, tag


def test_eval_titles_follow_a_normalised_locale(write_workspace):
    data = "date,revenue,marketing_cost\n2024-01-05,130,100\n"
    root = write_workspace(kpi_yaml="data: data.csv\n", data=data)
    code, out, err = run("eval", "-w", str(root), "--kpi", "roi", "--locale", "zh_TW")
    assert code == 0, err
    assert ROI_TITLES["zh-Hant"] in out and ROI_TITLES["en"] not in out


def test_a_locale_in_kpi_yaml_is_normalised_too(write_workspace):
    data = "date,revenue,marketing_cost\n2024-01-05,130,100\n"
    root = write_workspace(kpi_yaml="data: data.csv\nlocale: zh-CN\n", data=data)
    assert load_workspace(root).settings.locale == "zh-Hans"
    code, out, err = run("eval", "-w", str(root), "--kpi", "roi")
    assert code == 0, err
    assert ROI_TITLES["zh-Hans"] in out


def test_report_takes_a_locale_as_written(tmp_path):
    out = tmp_path / "r.md"
    code, _, err = run("report", "--sample", "--locale", "zh-CN", "-o", str(out))
    assert code == 0, err
    assert "关键绩效指标报告" in out.read_text("utf-8")
    code, _, err = run("report", "--sample", "--locale", "de", "-o", str(out))
    assert code == 2 and "`de` has no report translations: en, fr, zh-Hans, zh-Hant, fa" in err
