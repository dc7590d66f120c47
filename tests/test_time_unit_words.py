"""A KPI in a unit of time shows that unit's word after its value, in the report's language
(CLDR's words, plural by the value), and an amount per day `per day` (the short `/天` where the
long words go before the value); the words typed here by hand."""

import pytest

from kpiengine.formatting import time_unit_word


@pytest.mark.parametrize(
    ("unit", "value", "locale", "word"),
    [
        ("day", 12.0, "en", "days"),
        ("day", 1, "en", "day"),
        ("day", 12.0, "fr", "jours"),
        ("day", 1, "fr", "jour"),
        ("second", 97, "en", "seconds"),
        ("second", 97, "fr", "secondes"),
        ("day", 12.0, "zh_Hans", "天"),
        ("day", 12.0, "fa", "روز"),
        ("week", 3, "en", "weeks"),
        ("currency / day", 2095.16, "en", "per day"),
        ("currency / day", 2095.16, "fr", "par jour"),
        ("currency / day", 2095.16, "zh_Hant", "/天"),
        ("currency", 12.0, "fr", ""),
        ("ratio", 12.0, "en", ""),
        ("day", 1e308, "en", "days"),  # too large for Babel's decimals: no traceback
        ("currency", 1e308, "en", ""),
    ],
)
def test_time_unit_words_in_the_locale(unit, value, locale, word):
    assert time_unit_word(unit, value, locale) == word
