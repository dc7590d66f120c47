"""The UI text catalogs: every key in every locale, compiled catalogs up to date, plurals."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kpiengine.i18n import catalog_for, is_rtl, keys, label, locales

LOCALES_DIR = Path(__file__).parents[1] / "kpiengine" / "locales"
PO_FILES = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/kpiengine.po"))


def read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_each_catalog_folder_is_a_locale():
    assert [p.parents[1].name for p in PO_FILES] == sorted(n.replace("-", "_") for n in locales())
    assert locales()[0] == "en"
    assert {"en", "fr", "zh-Hans", "zh-Hant", "fa"} <= set(locales())


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: p.parents[1].name)
def test_every_key_is_translated_in_every_catalog(path):
    english = {m.id if isinstance(m.id, str) else m.id[0] for m in read(PO_FILES_EN()) if m.id}
    catalog = read(path)
    found = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing = sorted(english - set(found))
    assert not missing, f"{path.parents[1].name} lacks {missing}"
    assert not sorted(set(found) - english), "keys that English does not have"
    for key, message in found.items():
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"{path.parents[1].name}: `{key}` is empty"
        assert len(forms) == (catalog.num_plurals if isinstance(message.id, tuple) else 1), key
        assert not message.fuzzy, key


def PO_FILES_EN() -> Path:  # noqa: N802 - reads like the constant it is
    return LOCALES_DIR / "en" / "LC_MESSAGES" / "kpiengine.po"


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: p.parents[1].name)
def test_compiled_catalogs_are_up_to_date(path):
    """`pybabel compile -d kpiengine/locales -D kpiengine` after editing a `.po` file."""
    compiled = io.BytesIO()
    write_mo(compiled, read(path))
    assert path.with_suffix(".mo").read_bytes() == compiled.getvalue()


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: p.parents[1].name)
def test_placeholders_match_english(path):
    import re

    english = {m.id: m.string for m in read(PO_FILES_EN()) if m.id}
    for message in read(path):
        if not message.id:
            continue
        want = set(re.findall(r"%\((\w+)\)s", str(english[message.id])))
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            got = set(re.findall(r"%\((\w+)\)s", form))
            assert got <= want | {"n"} and want - {"n"} <= got, (message.id, form)


def test_plural_forms_follow_each_language():
    assert label("trend_n", "en", n=1) == "Last period"
    assert label("trend_n", "en", n=12) == "Last 12 periods"
    assert label("trend_n", "fr", n=1) == "Dernière période"
    assert label("trend_n", "fr", n=3) == "3 dernières périodes"
    assert label("trend_n", "zh-Hans", n=1) == label("trend_n", "zh-Hans", n=2).replace("2", "1")


def test_fallbacks():
    assert catalog_for("fr-CA") == "fr"
    assert catalog_for("zh-TW") == "zh-Hant"
    assert catalog_for("de") == "en"
    assert is_rtl("fa") and not is_rtl("fr")
    assert "scorecard" in keys()
