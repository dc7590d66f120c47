"""Locale-aware formatting of numbers, money, percentages, periods and dates (Babel).

Shared by the report's filters and the terminal, so both write a value the same way.

Every function returns "—" for an undefined value (None, NaN or infinite), never 0, nan or inf.
`Formatter(locale, currency).filters()` gives the Jinja2 filters the report templates use.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeGuard

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_interval, format_skeleton
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
)

from .errors import KpiError
from .i18n import label
from .periods import RANGE, PeriodError, label_bounds, parse_label

UNDEFINED = "—"
# Babel knows each locale's default numbering system but writes ASCII digits; these are its digits.
NATIVE_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}


def parse_locale(locale: str) -> Locale:
    """A Babel locale from `en`, `fr`, `zh-Hans`, `zh_Hant`, `fa`...; KpiError when unknown."""
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise KpiError(
            f"unknown locale `{locale}`", fix="use en, fr, zh-Hans, zh-Hant or fa"
        ) from None


def defined(value: object) -> TypeGuard[float]:
    """True for a finite number."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _pattern(decimals: int, sign: bool = False, optional: bool = False) -> str:
    body = "#,##0" + ("." + ("#" if optional else "0") * decimals if decimals > 0 else "")
    return f"+{body};-{body}" if sign else body


def _wide() -> AbstractContextManager[decimal.Context]:
    """A decimal context wide enough to round any float (1e308 to the cent needs 311 digits)."""
    return decimal.localcontext(prec=400)


class Formatter:
    """Formatting for one locale and one workspace currency (None: amounts without a symbol)."""

    def __init__(self, locale: str = "en", currency: str | None = None):
        self.locale_name = locale
        self.locale = parse_locale(locale)
        self.currency = currency if currency and re.fullmatch(r"[A-Z]{3}", currency) else None
        system = self.locale.default_numbering_system
        native = NATIVE_DIGITS.get(system, "0123456789")
        self._digits = str.maketrans("0123456789", native)
        symbols = self.locale.number_symbols.get(system, {})
        self._percent_sign = symbols.get("percentSign", "%")

    def _native(self, text: str) -> str:
        return text.translate(self._digits)

    def _number_text(self, value: float, pattern: str | None = None) -> str:
        with _wide():
            text = format_decimal(value, pattern, locale=self.locale, numbering_system="default")
        return self._native(text)

    # --- numbers --------------------------------------------------------------------------------

    def number(self, value: object, decimals: int | None = None, sign: bool = False) -> str:
        """`1,234.5`; `decimals` fixes the decimals, else 4 significant digits below 1000."""
        if not defined(value):
            return UNDEFINED
        if decimals is not None:
            return self._number_text(value, _pattern(decimals, sign))
        places = 0 if abs(value) >= 1000 else _significant(abs(value))
        return self._number_text(value, _pattern(places, sign, optional=True))

    def integer(self, value: object, sign: bool = False) -> str:
        """`1,235`: rounded to a whole number."""
        return self.number(value, 0, sign)

    def currency_amount(
        self, value: object, decimals: int | None = None, sign: bool = False
    ) -> str:
        """`€1,234.50` with the workspace currency, else `1,234.50` (no symbol)."""
        if not defined(value):
            return UNDEFINED
        places = 2 if decimals is None else decimals
        if self.currency is None:
            return self._number_text(value, _pattern(places, sign))
        standard = self.locale.currency_formats["standard"].pattern.split(";")[0]
        body = re.sub(r"[#,0.]+", _pattern(places), standard, count=1)
        with _wide():
            text = format_currency(
                value,
                self.currency,
                f"+{body};-{body}" if sign else body,
                locale=self.locale,
                currency_digits=False,
                numbering_system="default",
            )
        return self._native(text)

    def percent(self, value: object, decimals: int | None = 1, sign: bool = False) -> str:
        """`42.3%` for 0.423."""
        if not defined(value):
            return UNDEFINED
        places = 1 if decimals is None else decimals
        standard = self.locale.percent_formats[None].pattern.split(";")[0]
        body = re.sub(r"[#,0.]+", _pattern(places), standard, count=1)
        with _wide():
            text = format_percent(
                value,
                f"+{body};-{body}" if sign else body,
                locale=self.locale,
                numbering_system="default",
            )
        return self._native(text).replace("%", self._percent_sign)

    def multiple(self, value: object, decimals: int | None = 1, sign: bool = False) -> str:
        """`3.2×` for a multiple such as ROAS."""
        if not defined(value):
            return UNDEFINED
        return self.number(value, 1 if decimals is None else decimals, sign) + "×"

    def kpi_value(
        self, value: object, fmt: str = "number", decimals: int | None = None, sign: bool = False
    ) -> str:
        """A KPI value by its `format`: number, integer, percent, currency or multiple."""
        if fmt == "percent":
            return self.percent(value, decimals, sign)
        if fmt == "currency":
            return self.currency_amount(value, decimals, sign)
        if fmt == "integer":
            return self.integer(value, sign)
        if fmt == "multiple":
            return self.multiple(value, decimals, sign)
        return self.number(value, decimals, sign)

    def gap(self, value: object, fmt: str = "number", decimals: int | None = None) -> str:
        """A signed difference in the KPI's format, shown as a change is (`change_amount`):
        never rounded to an unsigned zero (`+0.03×`, `+0.05 pp`); 0 unsigned; percentages in
        points (`-3.2 pp`)."""
        return self.change_amount(value, fmt, decimals)

    def _zero(self, fmt: str, decimals: int | None) -> str:
        """Zero in the KPI's format, unsigned; percentages in points (`0.0 pp`)."""
        if fmt == "percent":
            points = self._number_text(0.0, _pattern(1 if decimals is None else decimals))
            return f"{points} {label('points', self.locale_name)}"
        places = 2 if fmt == "multiple" and decimals is None else decimals
        return self.kpi_value(0.0, fmt, places)

    def change_amount(self, value: object, fmt: str = "number", decimals: int | None = None) -> str:
        """An absolute change in the KPI's format, signed unless it is 0: `+0.04` for 0.0438
        where the format's decimals would show `0.0` (the fewest more decimals, at most 6, that
        show a non-zero digit); percentages in points (`+0.02 pp`)."""
        if not defined(value):
            return UNDEFINED
        if fmt == "integer":
            places: int | None = 0
        elif decimals is not None:
            places = decimals
        else:
            places = {"percent": 1, "currency": 2, "multiple": 2}.get(fmt)
        scaled = value * 100 if fmt == "percent" else value
        if places is None:  # a plain number's 4 significant digits show it (to 6 decimals)
            return self.number(value, sign=True) if round(value, 6) else self.number(0.0)
        while _shown_zero(scaled, places) and places < 6:
            places += 1
        if _shown_zero(scaled, places):  # below a millionth: float noise, shown as 0
            return self._zero(fmt, decimals)
        if fmt == "percent":
            points = self._number_text(scaled, _pattern(places, sign=True))
            return f"{points} {label('points', self.locale_name)}"
        return self.kpi_value(value, "number" if fmt == "integer" else fmt, places, sign=True)

    def axis(self, value: object, fmt: str = "number", step: float | None = None) -> str:
        """A short axis label: compact from 10,000 up (`€115K`), else just enough decimals."""
        if not defined(value):
            return UNDEFINED
        if fmt != "percent" and abs(value) >= 10_000:
            if fmt == "currency" and self.currency:
                text = format_compact_currency(
                    value, self.currency, locale=self.locale, fraction_digits=1,
                    numbering_system="default",
                )  # fmt: skip
            else:
                text = format_compact_decimal(
                    value, locale=self.locale, fraction_digits=1, numbering_system="default"
                )
            return self._native(text)
        places = _step_decimals(step * 100 if fmt == "percent" else step) if step else None
        if fmt in ("integer", "currency", "number") and places is None:
            places = 0 if abs(value) >= 100 else None
        return self.kpi_value(value, "number" if fmt == "integer" else fmt, places)

    def change(self, value: object, decimals: int = 1) -> str:
        """A signed relative change, with the fewest more decimals (to 6) that show a non-zero
        digit: `+12.5%`, `+0.02%` for 0.0002; `0.0%` for no change (or float noise)."""
        if not defined(value):
            return UNDEFINED
        places = decimals
        while _shown_zero(value * 100, places) and places < 6:
            places += 1
        if _shown_zero(value * 100, places):
            return self.percent(0.0, decimals)
        return self.percent(value, places, sign=True)

    def change_parts(
        self,
        delta: object,
        pct: object = None,
        fmt: str = "number",
        decimals: int | None = None,
        rate: bool = False,
    ) -> dict[str, object] | None:
        """A change as shown: `main` (a rate's difference in points or in its own unit, else the
        relative change), `extra` (an amount's absolute change, else "") and `sign` (-1, 0, 1
        as `main` reads once rounded); None when undefined."""
        if not defined(delta):
            return None
        if rate or not defined(pct):  # a non-zero change shows a non-zero digit: `-0.03×`
            main, extra = self.change_amount(delta, fmt, decimals), ""
        else:
            main, extra = self.change(pct), self.change_amount(delta, fmt, decimals)
        shown = any(ch.isdigit() and ch not in "0٠۰" for ch in main)
        sign = (1 if delta > 0 else -1) if shown and delta != 0 else 0
        return {"main": main, "extra": extra, "sign": sign}

    # --- periods and dates ------------------------------------------------------------------------

    def digits(self, text: object) -> str:
        """ASCII digits in `text` written in the locale's digits (Persian digits for `fa`)."""
        return self._native(str(text))

    def period(self, text: str, style: str = "long") -> str:
        """A period label (`2024-06`, `2024-Q2`, `2024-W23`, `2024`) for humans: `June 2024`."""
        try:
            grain, start = parse_label(str(text))
        except PeriodError:
            return str(text)
        long = style == "long"
        if grain == RANGE:  # an undated export's range: `8–31 Jul 2025`
            end = label_bounds(str(text))[1]
            return self.digits(format_interval(start, end, "yMMMd", locale=self.locale))
        if grain == "day":
            out = format_date(start, "long" if long else "medium", locale=self.locale)
        elif grain == "week":
            year, week, _ = start.isocalendar()
            out = label("week", self.locale_name, w=week, y=year)
        elif grain == "month":
            out = format_skeleton("yMMMM" if long else "yMMM", start, locale=self.locale)
        elif grain == "quarter":
            out = format_skeleton("yQQQ", start, locale=self.locale)
        else:
            out = str(start.year)
        return self.digits(out)

    def date(self, value: dt.date | None, style: str = "medium") -> str:
        """A date (`Jun 1, 2024`)."""
        if value is None:
            return UNDEFINED
        return self.digits(format_date(value, style, locale=self.locale))

    def datetime(self, value: dt.datetime | None, style: str = "long") -> str:
        """A date and time with its time zone (`June 3, 2024 at 2:05:00 PM UTC`)."""
        if value is None:
            return UNDEFINED
        tz = value.tzinfo or dt.UTC
        return self.digits(format_datetime(value, style, tzinfo=tz, locale=self.locale))

    def filters(self) -> dict[str, Callable]:
        """The Jinja2 filters, by name."""
        return {
            "number": self.number,
            "integer": self.integer,
            "currency": self.currency_amount,
            "percent": self.percent,
            "multiple": self.multiple,
            "kpi_value": self.kpi_value,
            "gap": self.gap,
            "axis": self.axis,
            "change": self.change,
            "change_parts": self.change_parts,
            "change_amount": self.change_amount,
            "period": self.period,
            "date": self.date,
            "datetime": self.datetime,
            "digits": self.digits,
        }


def _significant(magnitude: float, digits: int = 4) -> int:
    """Decimals that show `digits` significant digits of a number below 1000 (at most 6)."""
    if magnitude == 0:
        return 0
    return max(0, min(6, digits - 1 - math.floor(math.log10(magnitude))))


def _shown_zero(value: float, places: int) -> bool:
    """Whether `value` shows as zero at `places` decimals, rounded as Babel writes it (half to
    even on the shortest decimal text: 0.05 is `0.0`, where `round` says 0.1)."""
    exponent = decimal.Decimal(1).scaleb(-places)
    shown = decimal.Decimal(repr(float(value)))  # `np.float64(0.5)` is its repr in numpy 2
    shown = shown.quantize(exponent, rounding=decimal.ROUND_HALF_EVEN)
    return shown == 0


def _step_decimals(step: float) -> int:
    """The fewest decimals (at most 4) that show multiples of `step` exactly."""
    for places in range(5):
        scaled = abs(step) * 10**places
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return places
    return 4
