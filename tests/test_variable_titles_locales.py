"""The built-in input variables are titled and described in every language the KPI library is.

A report in Chinese or Persian names each KPI's inputs (its "depends on" line, its drivers, the
appendix of input variables) by the variables' titles: an English-only variable showed up there
as "Sessions" or "Bounces" in the middle of a translated report.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest

import kpiengine
from kpiengine.engine import Engine
from kpiengine.i18n import normalize_locale
from kpiengine.model import Workspace, localized
from kpiengine.report import render_report
from kpiengine.workspace import load_workspace

PERIOD = "2024-11"
NOW = dt.datetime(2024, 12, 20, 8, 0, tzinfo=dt.UTC)


def scripts(text: str) -> set[str]:
    """The scripts of a text's letters, from their Unicode names (LATIN, CJK, ARABIC...)."""
    return {unicodedata.name(c, "?").split()[0] for c in text if c.isalpha()}


@pytest.fixture(scope="module")
def library() -> Workspace:
    return load_workspace(None)


@pytest.fixture(scope="module")
def kpi_locales(library: Workspace) -> set[str]:
    """The locales the built-in KPIs are titled in (every KPI has each one)."""
    every = [set(kpi.title) for kpi in library.kpis.values()]
    assert every
    return set.intersection(*every)


@pytest.fixture(scope="module")
def own_script_locales(library: Workspace, kpi_locales: set[str]) -> dict[str, set[str]]:
    """Locale -> its scripts, for the locales whose KPI titles are never written in Latin letters
    alone (a title there that is only Latin letters is an untranslated English one)."""
    out = {}
    for locale in kpi_locales:
        found = [scripts(kpi.title[locale]) - {"LATIN"} for kpi in library.kpis.values()]
        if all(found):
            out[locale] = set.union(*found)
    return out


def test_the_library_locales_are_found(kpi_locales, own_script_locales):
    # the list is read from the KPI definitions; this only checks that reading found them
    assert {"en", "fr", "zh-Hans", "zh-Hant", "fa"} <= kpi_locales
    assert {"zh-Hans", "zh-Hant", "fa"} <= set(own_script_locales)
    assert {"en", "fr"}.isdisjoint(own_script_locales)


def test_every_variable_is_titled_and_described_in_every_library_locale(library, kpi_locales):
    assert len(library.variables) >= 50
    missing = [
        (name, field, locale)
        for name, variable in library.variables.items()
        for field in ("title", "description")
        for locale in sorted(kpi_locales)
        if not str(getattr(variable, field).get(locale) or "").strip()
    ]
    assert missing == []


def test_translated_titles_are_not_english_copies(library, own_script_locales):
    copies = []
    for name, variable in library.variables.items():
        english = variable.title["en"]
        for locale, own in own_script_locales.items():
            for field in ("title", "description"):
                text = getattr(variable, field).get(locale, "")
                # at least one letter in the locale's own script (CJK, ARABIC), as its KPIs have
                if not scripts(text) & own:
                    copies.append((name, field, locale, text))
            if variable.title.get(locale, "").strip().casefold() == english.strip().casefold():
                copies.append((name, "title", locale, english))
    assert copies == []


# --- the report: where a variable's title is printed, it is the locale's ------------------------


@pytest.fixture(scope="module")
def sample():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KPIENGINE_TODAY", "2024-12-20")
        engine = Engine(kpiengine.load_workspace(kpiengine.sample_workspace()))
        return engine, engine.evaluate(by=["channel"])


def printed_titles(text: str, name: str) -> list[str]:
    """What the Markdown report prints as `name`'s title: in a KPI's "depends on" line
    (`` `sessions` (Title) ``) and the appendix of input variables (`` | `sessions` Title | ``).
    Findings are left out: their messages are English, titles included."""
    tick = re.escape(f"`{name}`")
    depends = "\n".join(re.findall(r"^- \*\*.*$", text, re.M))  # `- **Depends on:** ...`
    found = re.findall(rf"{tick} \(([^)`]*)\)", depends)
    found += re.findall(rf"^\| {tick} ([^|]*?) \|", text, re.M)
    return [t.strip() for t in found]


def printed_drivers(text: str, name: str) -> list[str]:
    """The text after a driver line's `·`: the title, then the value (`· Title 51,141`)."""
    tick = re.escape(f"`{name}`")
    return re.findall(rf"^\S+ \S+ {tick} → .* · (.+)$", text, re.M)


@pytest.mark.parametrize("written", ["zh", "zh-TW", "fa"])
def test_report_names_variables_in_the_report_locale(sample, library, written):
    engine, results = sample
    locale = normalize_locale(written)
    text = render_report(results, "md", locale, PERIOD, generated_at=NOW, engine=engine)
    seen: dict[str, list[str]] = {}
    for name, variable in library.variables.items():
        titles = printed_titles(text, name)
        drivers = printed_drivers(text, name)
        if titles or drivers:
            seen[name] = titles + drivers
        english = variable.title["en"]
        assert english not in titles, (name, locale, titles)
        assert not any(d.startswith(f"{english} ") for d in drivers), (name, locale, drivers)
        expected = localized(variable.title, locale)
        assert set(titles) <= {expected}, (name, locale, titles)
        assert all(d.startswith(f"{expected} ") for d in drivers), (name, locale, drivers)
    # the sample's report does print them: sessions, bounces and a dozen more
    assert {"sessions", "bounces", "marketing_cost", "revenue"} <= set(seen), sorted(seen)
    assert len(seen) >= 10
    assert printed_drivers(text, "sessions") and printed_drivers(text, "bounces")
    depends = re.findall(r"^- \*\*.*$", text, re.M)
    for english in ("Sessions", "Bounces", "Revenue", "Marketing cost", "New customers"):
        assert not [line for line in depends if f"({english})" in line], english
        assert f" · {english} " not in text
        assert not re.search(rf"^\| `\w+` {english} \|", text, re.M), english
