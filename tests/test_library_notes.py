"""The built-in library's notes speak to users: no article numbers or reference file names, and
every locale that has a title has the notes; `kpi show` names sources only with --references."""

import re

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.workspace import load_workspace

LOCALES = ("en", "zh-Hans", "zh-Hant", "fr", "fa")
# "Article 004", "articles 000 and 001", "l'article 3", "文章 002", "مقاله ۴", or a file name
PROVENANCE = re.compile(
    r"(?:articles?|l['’]article|文章|مقاله)\s*[0-9۰-۹]|\d{3}_[0-9a-f]{16}\.txt", re.IGNORECASE
)
REF_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


@pytest.fixture(scope="module")
def library():
    return load_workspace(None)


def library_texts(library):
    """(where, text) for every KPI note, in every locale, and every worked-example note."""
    for kpi in library.kpis.values():
        for locale, text in kpi.notes.items():
            yield f"{kpi.id} notes ({locale})", text
        for n, example in enumerate(kpi.examples):
            for locale, text in example.note.items():
                yield f"{kpi.id} example {n + 1} ({locale})", text


@pytest.mark.parametrize(
    "text",
    [
        "Article 004 titles it ...",
        "as articles 000 and 001 write it",
        "Dans l'article 3, le CAC ...",
        "文章 002 把它定义为",
        "مقاله ۴ آن را",
        "see 000_374127cce0fb44f0.txt",
    ],
)
def test_the_pattern_catches_article_references(text):
    # the scan below is only as good as this pattern
    assert PROVENANCE.search(text)


def test_the_pattern_leaves_user_text_alone():
    assert not PROVENANCE.search("Published guides sometimes call it CPA; 12 months = 1 year.")


def test_notes_name_no_article_or_reference_file(library):
    texts = list(library_texts(library))
    assert len(texts) > 100  # 18 KPIs x 5 locales and the examples: the scan saw the library
    assert [where for where, text in texts if PROVENANCE.search(text)] == []


def test_notes_are_in_every_locale_that_has_a_title(library):
    with_notes = [kpi for kpi in library.kpis.values() if kpi.notes]
    assert len(with_notes) >= 18
    for kpi in with_notes:
        assert set(kpi.notes) >= set(kpi.title) >= set(LOCALES), kpi.id
        assert all(text.strip() for text in kpi.notes.values()), kpi.id


def test_example_notes_are_in_every_locale(library):
    noted = [(kpi, ex) for kpi in library.kpis.values() for ex in kpi.examples if ex.note]
    assert len(noted) >= 24
    for kpi, example in noted:
        assert set(example.note) >= set(LOCALES), kpi.id
        assert all(text.strip() for text in example.note.values()), kpi.id


def test_notes_are_translated_not_copied(library):
    # a locale that repeats the English text has not been translated
    for kpi in library.kpis.values():
        for text in [kpi.notes, *(ex.note for ex in kpi.examples)]:
            if text:
                english = text["en"]
                assert [loc for loc in LOCALES[1:] if text[loc] == english] == [], kpi.id


def show(*args: str) -> str:
    result = CliRunner().invoke(cli, ["show", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("locale", LOCALES)
def test_show_prints_no_reference_file_names(locale):
    # roi has article sources on the KPI and on its examples, and notes in every locale
    out = show("roi", "--locale", locale)
    assert not REF_FILE.search(out), out
    assert "source:" not in out


def test_show_prints_the_notes_in_the_locale():
    """Notes, and `kpi show`'s own labels, in the locale of the titles."""
    assert "资产回报率" in show("roi", "--locale", "zh-Hans").split("注意事项:")[1]
    french = show("roi", "--locale", "fr")
    assert "rendement des actifs" in french
    assert "remarque: Une campagne e-mail de 8 000 $ qui rapporte 10 000 $" in french
    assert "\n  formule:" in french and "plus haut est mieux" in french
    assert "\n  formula:" not in french and "is better" not in french
    persian = show("roi", "--locale", "fa")
    assert "\n  فرمول:" in persian and "بیشتر بهتر است" in persian
    overriding = show("cac", "--sample", "--locale", "fr")  # the sample's own cac: KPI208
    assert "\n  vérifications:\n" in overriding and "\n  lint:" not in overriding


def test_show_with_references_names_example_sources_by_title():
    out = show("roi", "--references")
    examples = out.split("  examples:")[1]
    sources = [line.strip() for line in examples.splitlines() if line.strip().startswith("source:")]
    # references.yaml: 000 is in Traditional Chinese, 001 in French, 004 in Persian
    assert sources == [
        "source: 營銷指標:如何跟踪您的在線課程的營銷 KPI (zh-Hant)",
        "source: Métriques marketing : comment suivre les KPI marketing de votre cours en ligne"
        " (fr)",
        "source: شاخصهای کلیدی عملکرد بازاریابی (fa)",
    ]


# --- a workspace's own example notes, in several languages ------------------------------------

LOCALIZED_NOTE = """\
kpis:
  margin_rate:
    title: {en: Margin rate, fr: Taux de marge}
    formula: margin / revenue
    unit: ratio
    format: percent
    examples:
      - given: {margin: 25, revenue: 100}
        expect: 0.25
        note:
          en: 25 of margin on 100 of revenue.
          fr: 25 de marge pour 100 de chiffre d'affaires.
variables:
  margin: {unit: currency}
  revenue: {unit: currency}
"""


def test_an_example_note_can_be_a_locale_map(write_workspace):
    root = write_workspace({"margin": LOCALIZED_NOTE})
    assert "remarque: 25 de marge pour 100 de chiffre d'affaires." in show(
        "margin_rate", "-w", str(root), "--locale", "fr"
    )
    # a locale without its own note falls back to English (the label is Persian)
    assert "نکته: 25 of margin on 100 of revenue." in show(
        "margin_rate", "-w", str(root), "--locale", "fa"
    )


def test_an_example_note_that_is_not_text_is_named_with_its_line(write_workspace):
    bad = LOCALIZED_NOTE.replace(
        "          en: 25 of margin on 100 of revenue.\n", "          en: [25, 100]\n"
    )
    root = write_workspace({"margin": bad})
    result = CliRunner().invoke(cli, ["show", "margin_rate", "-w", str(root)])
    assert "margin.yaml:11:" in result.output + result.stderr
    assert "`note` of an example must be text or a map of locale to text" in (
        result.output + result.stderr
    )
