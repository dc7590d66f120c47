"""The report's and the terminal's own words: gettext catalogs, one per locale (Babel).

`kpiengine/locales/<locale>/LC_MESSAGES/kpiengine.po` holds a locale's texts by key (`msgid
"report_title"`), with `%(name)s` placeholders and the locale's plural forms; the `.mo` beside
it is compiled from it (`pybabel compile -d kpiengine/locales -D kpiengine`; a test fails when
one is stale). Adding a language is adding its catalog. English is the fallback of every other
locale, so an untranslated text shows in English, never as its key.

A locale tag as people write it is normalised to the one texts are keyed by (`normalize_locale`):
`zh`, `zh-CN`, `zh_SG` -> `zh-Hans`; `zh-TW`, `zh-HK` -> `zh-Hant`; `fr_FR`, `fr-CA` -> `fr`;
`fa-IR` -> `fa` (Babel reads the tag), so a title and the labels around it share one language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .resources import catalog_locales, open_catalog

DOMAIN = "kpiengine"
RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})


def _folder(locale: str) -> str:
    return locale.replace("-", "_")


def _public(folder: str) -> str:
    return folder.replace("_", "-")


def locales() -> tuple[str, ...]:
    """Every locale with a catalog, English first (`en`, `fr`, `zh-Hans`, `zh-Hant`, `fa`)."""
    names = [_public(f) for f in catalog_locales()]
    return tuple(sorted(names, key=lambda n: (n != "en", LOCALE_ORDER.get(n, 99), n)))


LOCALE_ORDER = {"en": 0, "fr": 1, "zh-Hans": 2, "zh-Hant": 3, "fa": 4}


def normalize_locale(tag: str) -> str:
    """The locale kpiengine's texts are keyed by for a tag as written: the catalog's for a
    language with one (`zh-CN` -> `zh-Hans`, `fr_FR` -> `fr`), else the tag in Babel's
    spelling (`pt-BR`, `de`); a tag Babel cannot read stays as written."""
    written = str(tag).strip().replace("_", "-")
    if written in LOCALE_ORDER:
        return written
    from babel import Locale, UnknownLocaleError  # noqa: PLC0415 - only for another tag

    try:
        parsed = Locale.parse(written, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return written
    if parsed.language == "zh":  # Babel adds the script a region writes: zh-TW is Hant
        return "zh-Hant" if parsed.script == "Hant" else "zh-Hans"
    if parsed.language in {name.split("-")[0] for name in locales()}:
        return str(parsed.language)
    return "-".join(p for p in (parsed.language, parsed.script, parsed.territory) if p)


def missing_locale(tag: str) -> str | None:
    """What to warn about a locale kpiengine has no texts in (`de`, `xx`); None if it has."""
    name = normalize_locale(tag)
    if name.split("-")[0] == "en" or catalog_for(name) != "en":
        return None
    return (
        f"no translations for locale `{tag}`: kpiengine's own texts, and titles and descriptions "
        f"a definition does not give in it, are in English (available: {', '.join(locales())})"
    )


def catalog_for(locale: str) -> str:
    """The catalog that serves `locale`: exact, then by script or region, by language, else `en`."""
    available = {_folder(n) for n in catalog_locales()}
    folder = _folder(locale)
    if folder in available:
        return _public(folder)
    language = folder.split("_")[0]
    if language == "zh":
        traditional = any(part in folder for part in ("Hant", "TW", "HK", "MO"))
        return "zh-Hant" if traditional else "zh-Hans"
    return _public(language) if language in available else "en"


@functools.cache
def translations(locale: str):  # -> babel.support.Translations
    """The compiled catalog of `locale` with English behind it."""
    from babel.support import Translations  # noqa: PLC0415 - Babel loads only when text is shown

    name = catalog_for(locale)
    with open_catalog(_folder(name), DOMAIN) as handle:
        found = Translations(handle, domain=DOMAIN)
    if name != "en":
        found.add_fallback(translations("en"))
    return found


def keys(locale: str = "en") -> list[str]:
    """Every text key of `locale`'s catalog (for tests and translators)."""
    return [k if isinstance(k, str) else k[0] for k in translations(locale)._catalog if k]


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(keys("en"))


def text_of(key: str, locale: str = "en", n: int | None = None) -> str:
    """The raw text `key` in `locale` (the plural form for `n`), placeholders unfilled.

    KeyError for a key no catalog has."""
    found = translations(locale)
    text = found.ugettext(key) if n is None else found.ungettext(key, key, n)
    if n is None and text == key:  # a plural entry: some Python 3.11 builds give no form
        text = found.ungettext(key, key, 1)
    if text == key and key not in _known():
        raise KeyError(f"the report has no label `{key}`")
    return text


def label(key: str, locale: str = "en", n: int | None = None, **values: object) -> str:
    """The text `key` in `locale` with `%(name)s` filled in; `n` picks the plural form and
    fills `%(n)s`."""
    if n is not None:
        values = {**values, "n": n}
    text = text_of(key, locale, n)
    return text % values if values else text


def labeller(locale: str, number: Callable[[object], str]) -> Callable[..., str]:
    """`_(key, n=None, **values)` for templates: integers are written in the locale's digits."""

    def translate(key: str, n: int | None = None, **values: object) -> str:
        shown = {
            k: number(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in values.items()
        }
        if n is not None:
            shown["n"] = number(n)
        text = text_of(key, locale, n)
        return text % shown if shown else text

    return translate


def is_rtl(locale: str) -> bool:
    """True when `locale` is written right to left."""
    return locale.replace("_", "-").split("-")[0] in RTL_LANGUAGES
