"""Plain-text formatting of KPI values for terminals, by the KPI's `format`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from .model import KPI

STATUS_MARKS = {
    "on_track": "✓ on track",
    "at_risk": "! at risk",
    "off_track": "✗ off track",
    "no_target": "",
    "undefined": "? undefined",
}
UNDEFINED = "—"
BASE_DECIMALS = {"percent": 1, "multiple": 1}  # formats whose decimals adapt to the values
MAX_EXTRA_DECIMALS = 2
APART = 0.05  # values further apart than 5% of their typical size must look different
# Bidirectional embedding, override and isolate controls: data must not reorder what it is shown in.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def is_rate(kpi: KPI) -> bool:
    """True for a KPI whose changes are differences, not percentages: a `percent` format or a
    dimensionless unit (a ratio, a multiple). Its `change` is in its own unit (0.005 = 0.5 pp for
    a percentage) and its `change_pct` is None: a relative change of a rate (-1,281.9% for a rate
    that went from 0.1% to -1.2%) says nothing a manager can use."""
    if kpi.format == "percent":
        return True
    unit = kpi.unit
    return unit is not None and unit.dimensionless and kpi.format != "integer"


#: Units of time a KPI may be in, shown after its value in the locale's words (CLDR's, by Babel).
TIME_WORDS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


def time_unit_word(unit: str, value: float = 2.0, locale: str = "en") -> str:
    """`days` for a KPI in `day` (`day` for 1; `jours` in French ...), `per day` for an amount
    per day (`par jour`, `/天`), else ""."""
    from babel.numbers import format_decimal  # noqa: PLC0415 - Babel loads only for tables
    from babel.units import format_compound_unit, format_unit  # noqa: PLC0415

    locale = locale.replace("-", "_")  # `zh-Hans`, as reports name it, is Babel's `zh_Hans`
    unit = unit.strip()
    if not any(unit == w or unit.endswith(f"/ {w}") for w in TIME_WORDS):
        return ""
    value = value if math.isfinite(value) and abs(value) < 1e12 else 2.0  # the plural of many
    number = format_decimal(value, format="0", locale=locale)
    if unit in TIME_WORDS:  # the word of the value's plural form, without the value
        text = format_unit(value, f"duration-{unit}", length="long", locale=locale, format="0")
        return text.replace(number, "", 1).strip()
    for word in TIME_WORDS:
        if unit.endswith(f"/ {word}") and "currency" in unit:
            for length in ("long", "short"):  # the long words, unless they go before the value
                per = format_compound_unit(
                    value, denominator_unit=f"duration-{word}", length=length, locale=locale,
                    format="0",
                )  # fmt: skip
                if per and per.startswith(number):
                    return per[len(number) :].strip()
    return ""


def strip_bidi(text: str) -> str:
    """`text` without bidi override characters (U+202A-U+202E, U+2066-U+2069)."""
    return text.translate(BIDI_CONTROLS)


def decimals_for(values: Iterable[float | None], fmt: str, fixed: int | None = None) -> int | None:
    """The decimals that tell a KPI's values apart: `fixed` when the definition sets them, else
    for percentages and multiples at least the format's one decimal, two significant digits of
    a typical value, and more (at most two) until values over 5% apart no longer look the same.
    None for the other formats (their own rules apply)."""
    if fixed is not None or fmt not in BASE_DECIMALS:
        return fixed
    base = BASE_DECIMALS[fmt]
    scale = 100 if fmt == "percent" else 1
    shown = sorted({v * scale for v in values if v is not None and math.isfinite(v)})
    sizes = sorted(abs(v) for v in shown if v)
    if not sizes:
        return base
    typical = sizes[len(sizes) // 2]
    places = min(base + MAX_EXTRA_DECIMALS, max(base, 1 - math.floor(math.log10(typical))))
    pairs = [(a, b) for a, b in zip(shown, shown[1:], strict=False) if b - a > APART * typical]
    while places < base + MAX_EXTRA_DECIMALS and any(
        round(a, places) == round(b, places) for a, b in pairs
    ):
        places += 1
    return places


def format_value(value: float | None, fmt: str = "number", decimals: int | None = None) -> str:
    """`42.9%`, `12,345.68`, `3.2x`, `1,234`; an undefined value is `—`."""
    if value is None or not math.isfinite(value):
        return UNDEFINED
    if fmt == "percent":
        return f"{value * 100:,.{1 if decimals is None else decimals}f}%"
    if fmt == "integer":
        return f"{value:,.0f}"
    if fmt == "multiple":
        return f"{value:,.{1 if decimals is None else decimals}f}x"
    if fmt == "currency":
        return f"{value:,.{2 if decimals is None else decimals}f}"
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def format_change(change: float | None) -> str:
    """A relative change as `+12.5%`; `—` when undefined."""
    if change is None or not math.isfinite(change):
        return UNDEFINED
    return f"{change * 100:+.1f}%"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A left-aligned text table with a rule under the header."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def tidy_array(values: np.ndarray) -> np.ndarray:
    """`tidy` of every cell of a float array at once (a KPI's periods x segments; NaN kept):
    rounded to 12 and to 14 significant digits by powers of ten, exact as doubles for the
    magnitudes taken (1e-8 to 1e11; the others as computed), the 12 kept where they agree."""
    out = np.array(values, dtype=float)
    finite = np.isfinite(out) & (out != 0)
    exponent = np.floor(np.log10(np.abs(out, out=np.ones_like(out), where=finite)))
    taken = finite & (exponent >= -8) & (exponent <= 10)
    cells, power = out[taken], exponent[taken]
    twelve, fourteen = 10.0 ** (11 - power), 10.0 ** (13 - power)
    short = np.round(cells * twelve) / twelve
    agree = short == np.round(cells * fourteen) / fourteen
    out[taken] = np.where(agree, short, cells)
    return out


def tidy(value: float) -> float:
    """A finite value without a float sum's rounding noise (150.15, not 150.14999999999998;
    24661.8, not 24661.800000000087): kept at 12 significant digits where its 14 agree with
    them, so a ratio keeps its 17 digits (`tidy_array` of one cell)."""
    if value == 0 or not math.isfinite(value):
        return value
    power = math.floor(math.log10(abs(value)))
    if not -8 <= power <= 10:
        return value
    twelve, fourteen = 10.0 ** (11 - power), 10.0 ** (13 - power)
    short = round(value * twelve) / twelve
    return short if short == round(value * fourteen) / fourteen else value


def cells(values: np.ndarray) -> list[list[float | None]]:
    """An array of values as nested lists of floats, None where undefined (NaN)."""
    out = values.astype(object)
    out[~np.isfinite(values)] = None
    return cast("list[list[float | None]]", out.tolist())
