"""The `ga_export` connector: Google Analytics CSV exports (Universal Analytics and GA4).

Reads the files as GA writes them ("Export > CSV" in Universal Analytics, "Download file > CSV"
in GA4 reports and explorations, or such a file re-saved by Excel as UTF-16 text): the `#`
metadata block (report, property, start and end dates), one or more tables separated by blank
and `#` lines, a totals row (`Grand total`, `Totals`, or empty dimension cells) that is checked
against the rows and never counted, numbers in the interface language's format, durations
(`00:02:13`) and percentages. Rates come back as counts: bounces = bounce rate x sessions,
engaged sessions = engagement rate x sessions (GA4: bounce rate = 1 - engagement rate),
conversions = key event rate x sessions, pageviews = pages per session x sessions.

Headers are recognised in English (UA and GA4), French, Chinese (simplified and traditional) and
Persian; the `headers:` option translates any other language. GA exports are small, so this is a
pure-Python reader that parses each column in one pass.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.errors import KpiError, Location, did_you_mean, suggestion
from kpiengine.hookspecs import hookimpl
from kpiengine.numbers import (
    NumberError,
    ascii_digits,
    guess_decimal,
    parse_duration,
    parse_numbers,
)
from kpiengine.periods import ordinals
from kpiengine.table import Frame

# --- what the headers mean ------------------------------------------------------------------
# kind: how a column is read and used.
#   date: a day (`20240601`, a locale date); nth_day: days after the start date (GA4 charts);
#   month: a month (`202406`); range: a comparison's date range (unsupported); dim: a dimension;
#   count: an additive count (checked against the totals row); users: a count that does not add
#   up (users are deduplicated in totals); money: an amount; rate: a share of sessions;
#   duration: seconds per session; average: a quantity per session.
DAY_KINDS = ("date", "nth_day", "month", "range")
NUMBER_KINDS = ("count", "users", "money", "rate", "duration", "average")
PER_SESSION = ("rate", "duration", "average")

# field -> (kind, {language: headers separated by |}); the first English header is the canonical
# name used by the `headers:` option and in messages. Languages: en, fr, zh (simplified and
# traditional, as GA writes them), fa. Variants that GA used over the years are all listed.
FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "date": (
        "date",
        {
            "en": "Date|Day Index|Date + hour (YYYYMMDDHH)",
            "fr": "Index des jours|Date + heure (AAAAMMJJHH)",
            "zh": "日期|天索引|日索引|日期 + 小时 (YYYYMMDDHH)|日期 + 小時 (YYYYMMDDHH)",
            "fa": "تاریخ|فهرست روز|نمایه روز",
        },
    ),
    "nth_day": (
        "nth_day",
        {
            "en": "Nth day",
            "fr": "Nième jour|N-ième jour|Énième jour|Ne jour",
            "zh": "第 N 天",
            "fa": "روز Nام|Nامین روز|روز N",
        },
    ),
    "month": (
        "month",
        {
            "en": "Year month|Month of Year",
            "fr": "Année et mois|Mois de l'année",
            "zh": "年月|年份和月份|一年中的月份",
            "fa": "سال و ماه|ماه سال",
        },
    ),
    "date_range": (
        "range",
        {
            "en": "Date range",
            "fr": "Plage de dates",
            "zh": "日期范围|日期範圍",
            "fa": "محدوده تاریخ|بازه تاریخ",
        },
    ),
    "channel": (
        "dim",
        {
            "en": (
                "Session default channel group"
                "|Session primary channel group (Default Channel Group)"
                "|Session default channel grouping|Default Channel Grouping"
                "|Default channel group"
            ),
            "fr": (
                "Groupe de canaux par défaut de la session"
                "|Groupe de canaux principal de la session (Groupe de canaux par défaut)"
                "|Regroupement de canaux par défaut|Groupe de canaux par défaut"
            ),
            "zh": (
                "会话默认渠道组|会话默认渠道分组|会话主要渠道组（默认渠道组）"
                "|默认渠道分组|默认渠道组|工作階段預設管道群組"
                "|工作階段主要管道群組 (預設管道群組)|預設管道群組|預設管道分組"
            ),
            "fa": (
                "گروه کانال پیش‌فرض جلسه|گروه کانال اصلی جلسه (گروه کانال پیش‌فرض)"
                "|گروه‌بندی کانال پیش‌فرض|گروه کانال پیش‌فرض"
            ),
        },
    ),
    "source_medium": (
        "dim",
        {
            "en": "Session source / medium|Source / Medium",
            "fr": "Source/Support de la session|Source/Support",
            "zh": "会话来源/媒介|来源/媒介|工作階段來源/媒介|來源/媒介",
            "fa": "منبع / رسانه جلسه|منبع / رسانه",
        },
    ),
    "source": (
        "dim",
        {
            "en": "Session source|Source",
            "fr": "Source de la session|Source",
            "zh": "会话来源|来源|工作階段來源|來源",
            "fa": "منبع جلسه|منبع",
        },
    ),
    "medium": (
        "dim",
        {
            "en": "Session medium|Medium",
            "fr": "Support de la session|Support",
            "zh": "会话媒介|媒介|工作階段媒介",
            "fa": "رسانه جلسه|رسانه",
        },
    ),
    "landing_page": (
        "dim",
        {
            "en": "Landing page|Landing page + query string",
            "fr": "Page de destination|Page de destination + chaîne de requête",
            "zh": "着陆页|着陆页 + 查询字符串|到達網頁|到達網頁 + 查詢字串",
            "fa": "صفحه فرود|صفحه فرود + رشته پرس‌وجو|صفحه ورود",
        },
    ),
    "campaign": (
        "dim",
        {
            "en": "Session campaign|Campaign|Session campaign name",
            "fr": "Campagne de la session|Campagne",
            "zh": "会话广告系列|广告系列|工作階段廣告活動|廣告活動",
            "fa": "کارزار جلسه|کمپین جلسه|کارزار|کمپین",
        },
    ),
    "device": (
        "dim",
        {
            "en": "Device category",
            "fr": "Catégorie d'appareil",
            "zh": "设备类别|裝置類別",
            "fa": "دسته دستگاه|دسته‌بندی دستگاه",
        },
    ),
    "sessions": (
        "count",
        {
            "en": "Sessions",
            "fr": "Sessions",
            "zh": "会话数|会话|工作階段|工作階段數",
            "fa": "جلسه‌ها|جلسات|نشست‌ها",
        },
    ),
    "users": (
        "users",
        {
            "en": "Users",
            "fr": "Utilisateurs",
            "zh": "用户|用户数|使用者|使用者人數",
            "fa": "کاربران",
        },
    ),
    "total_users": (
        "users",
        {
            "en": "Total users",
            "fr": "Nombre total d'utilisateurs|Total des utilisateurs",
            "zh": "总用户数|使用者總數",
            "fa": "کل کاربران|مجموع کاربران",
        },
    ),
    "active_users": (
        "users",
        {
            "en": "Active users",
            "fr": "Utilisateurs actifs",
            "zh": "活跃用户|活跃用户数|活躍使用者|活躍使用者人數",
            "fa": "کاربران فعال",
        },
    ),
    "new_users": (
        "users",
        {
            "en": "New users",
            "fr": "Nouveaux utilisateurs",
            "zh": "新用户数|新用户|新使用者|新使用者人數",
            "fa": "کاربران جدید",
        },
    ),
    "engaged_sessions": (
        "count",
        {
            "en": "Engaged sessions",
            "fr": "Sessions avec engagement|Sessions engagées",
            "zh": "互动会话数|参与度会话数|互動工作階段|參與工作階段|參與的工作階段",
            "fa": "جلسه‌های با تعامل|جلسه‌های تعامل‌دار|جلسات با تعامل|جلسه‌های درگیر",
        },
    ),
    "bounces": (
        "count",
        {
            "en": "Bounces",
            "fr": "Rebonds",
            "zh": "跳出次数|跳出次數",
            "fa": "پرش‌ها|تعداد پرش",
        },
    ),
    "pageviews": (
        "count",
        {
            "en": "Pageviews|Views|Page views",
            "fr": "Pages vues|Vues",
            "zh": "浏览量|浏览次数|网页浏览量|瀏覽|瀏覽量|瀏覽次數|網頁瀏覽",
            "fa": "بازدیدهای صفحه|بازدیدها|نماها",
        },
    ),
    "conversions": (
        "count",
        {
            "en": "Conversions|Key events",
            "fr": "Conversions|Événements clés",
            "zh": "转化次数|转化|关键事件|轉換|轉換次數|主要事件|重要事件",
            "fa": "تبدیل‌ها|رویدادهای کلیدی",
        },
    ),
    "goal_completions": (
        "count",
        {
            "en": "Goal Completions",
            "fr": "Objectifs réalisés|Réalisations d'objectifs",
            "zh": "目标达成次数|目標達成|目標達成次數",
            "fa": "تکمیل‌های هدف|تکمیل هدف",
        },
    ),
    "transactions": (
        "count",
        {
            "en": "Transactions",
            "fr": "Transactions",
            "zh": "交易次数|交易次數",
            "fa": "تراکنش‌ها",
        },
    ),
    "event_count": (
        "count",
        {
            "en": "Event count",
            "fr": "Nombre d'événements",
            "zh": "事件数|事件計數",
            "fa": "تعداد رویداد|تعداد رویدادها",
        },
    ),
    "revenue": (
        "money",
        {
            "en": "Total revenue|Revenue",
            "fr": "Revenu total|Revenus totaux|Chiffre d'affaires total|Revenus",
            "zh": "总收入|收入|總收益|收益",
            "fa": "کل درآمد|درآمد کل|درآمد",
        },
    ),
    "goal_value": (
        "money",
        {
            "en": "Goal Value",
            "fr": "Valeur de l'objectif",
            "zh": "目标价值|目標價值",
            "fa": "ارزش هدف",
        },
    ),
    "bounce_rate": (
        "rate",
        {
            "en": "Bounce rate",
            "fr": "Taux de rebond",
            "zh": "跳出率",
            "fa": "نرخ پرش",
        },
    ),
    "engagement_rate": (
        "rate",
        {
            "en": "Engagement rate",
            "fr": "Taux d'engagement",
            "zh": "互动率|參與度|參與率|互動率",
            "fa": "نرخ تعامل",
        },
    ),
    "conversion_rate": (
        "rate",
        {
            "en": "Session key event rate|Session conversion rate",
            "fr": "Taux d'événements clés de la session|Taux de conversion de la session",
            "zh": "会话关键事件率|会话转化率|工作階段重要事件發生率|工作階段轉換率",
            "fa": "نرخ رویداد کلیدی جلسه|نرخ تبدیل جلسه",
        },
    ),
    "goal_conversion_rate": (
        "rate",
        {
            "en": "Goal Conversion Rate",
            "fr": "Taux de conversion de l'objectif|Taux de conversion des objectifs",
            "zh": "目标转化率|目標轉換率|目標轉換率",
            "fa": "نرخ تبدیل هدف",
        },
    ),
    "avg_session_duration": (
        "duration",
        {
            "en": "Avg. Session Duration|Average session duration",
            "fr": "Durée moyenne des sessions|Durée moyenne de la session",
            "zh": "平均会话时长|平均工作階段時間長度|平均工作階段持續時間",
            "fa": "میانگین مدت جلسه|میانگین طول جلسه",
        },
    ),
    "avg_engagement_time": (
        "duration",
        {
            "en": "Average engagement time per session",
            "fr": "Durée d'engagement moyenne par session|Temps d'engagement moyen par session",
            "zh": (
                "每次会话的平均互动时长|每个会话的平均互动时长"
                "|每個工作階段的平均參與時間|每個工作階段的平均互動時間"
            ),
            "fa": "میانگین زمان تعامل در هر جلسه|میانگین زمان تعامل هر جلسه",
        },
    ),
    "pages_per_session": (
        "average",
        {
            "en": "Pages / Session|Views per session",
            "fr": "Pages/session|Vues par session",
            "zh": "每次会话浏览页数|每次会话浏览量|單次工作階段頁數|每個工作階段的瀏覽次數",
            "fa": "صفحه / جلسه|صفحات در هر جلسه|بازدید در هر جلسه",
        },
    ),
    "events_per_session": (
        "average",
        {
            "en": "Events per session",
            "fr": "Événements par session",
            "zh": "每次会话的事件数|每個工作階段的事件數",
            "fa": "رویداد در هر جلسه|رویدادها در هر جلسه",
        },
    ),
}
KIND = {name: kind for name, (kind, _) in FIELDS.items()}
ENGLISH = {name: names["en"].split("|")[0] for name, (_, names) in FIELDS.items()}
# fields only GA4 has: in such a file, bounce rate is 1 - engagement rate
GA4_FIELDS = frozenset(
    {
        "nth_day",
        "engaged_sessions",
        "engagement_rate",
        "active_users",
        "total_users",
        "event_count",
        "conversion_rate",
        "avg_engagement_time",
        "events_per_session",
    }
)
TOTAL_LABELS = (
    "Grand total",
    "Total",
    "Totals",
    "Total général",
    "Totaux",
    "总计",
    "合计",
    "總計",
    "合計",
    "جمع کل",
    "مجموع کل",
    "مجموع",
    "جمع",
    "Eindtotaal",
    "Totaal",
)
METADATA = {
    "start": ("Start date", "Date de début", "开始日期", "開始日期", "تاریخ شروع", "تاریخ آغاز"),
    "end": ("End date", "Date de fin", "结束日期", "結束日期", "تاریخ پایان"),
    "property": ("Property", "Property name", "Propriété", "媒体资源", "資源", "ویژگی", "دارایی"),
    "account": ("Account", "Compte", "账号", "帳戶", "حساب"),
}

# workspace variables given by default, and how (see RECIPES)
DEFAULT_VARIABLES = (
    "sessions",
    "visitors",
    "new_visitors",
    "bounces",
    "engaged_sessions",
    "pageviews",
    "conversions",
    "goal_completions",
)
ONLY_IF_DECLARED = frozenset({"new_visitors"})
DEFAULT_DIMENSIONS = ("channel", "source_medium", "landing_page", "campaign", "device")
# recipe -> steps, tried in order: (how, field). column: the column itself; rate: rate x sessions;
# complement: (1 - rate) x sessions; difference: sessions - column; per_session: x sessions.
# A trailing `4` only applies to GA4 files.
RECIPES: dict[str, tuple[tuple[str, str], ...]] = {
    "sessions": (("column", "sessions"),),
    "visitors": (("column", "users"), ("column", "total_users"), ("column", "active_users")),
    "new_visitors": (("column", "new_users"),),
    "bounces": (
        ("column", "bounces"),
        ("rate", "bounce_rate"),
        ("complement", "engagement_rate"),
        ("difference", "engaged_sessions"),
    ),
    "engaged_sessions": (
        ("column", "engaged_sessions"),
        ("rate", "engagement_rate"),
        ("complement4", "bounce_rate"),
        ("difference4", "bounces"),
    ),
    "pageviews": (("column", "pageviews"), ("per_session", "pages_per_session")),
    "conversions": (("column", "conversions"), ("rate", "conversion_rate")),
    "goal_completions": (("column", "goal_completions"), ("rate", "goal_conversion_rate")),
}
# a mapped column that is missing but derivable: `map: {bounces: Bounces}` on a GA4 export
FIELD_RECIPE = {
    "sessions": "sessions",
    "users": "visitors",
    "total_users": "visitors",
    "active_users": "visitors",
    "new_users": "new_visitors",
    "bounces": "bounces",
    "engaged_sessions": "engaged_sessions",
    "pageviews": "pageviews",
    "conversions": "conversions",
    "goal_completions": "goal_completions",
}
# GA4 counts sessions approximately, and a session crossing midnight counts on both days: the
# rows of a GA4 table may exceed its total by a little more than rounding.
APPROXIMATE = {"sessions": 0.02, "engaged_sessions": 0.02, "bounces": 0.02}
DECIMAL_BY_LANGUAGE = {"fr": ","}
DECIMAL_SAMPLE = 2000  # rows per table that decide the decimal mark
CURRENCY_MARKS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "﷼": "IRR"}
_CURRENCY_CODES = re.compile(r"\b(USD|EUR|GBP|JPY|CNY|IRR|CAD|AUD|CHF)\b")

_GRAIN_RANK = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}
_COMPACT_RANGE = re.compile(r"(\d{8})\s*[-–]\s*(\d{8})")
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)$")
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_XXY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})")
_D_MONTH_Y = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})")
_MONTH_D_Y = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_MONTH_NAMES = {
    1: "january jan janvier janv januari ژانویه",
    2: "february feb février févr fevrier februari فوریه",
    3: "march mar mars maart mrt مارس",
    4: "april apr avril avr آوریل",
    5: "may mai mei مه می",
    6: "june jun juin juni ژوئن",
    7: "july jul juillet juil juli ژوئیه جولای",
    8: "august aug août aout augustus اوت اوگوست",
    9: "september sep sept septembre سپتامبر",
    10: "october oct octobre oktober okt اکتبر",
    11: "november nov novembre نوامبر",
    12: "december dec décembre déc decembre دسامبر",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}


def _key(text: str) -> str:
    """How headers compare: case, spaces, ZWNJ, Arabic/Persian letter forms and widths ignored."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = text.translate(_KEY_TABLE)
    return "".join(text.split())


_KEY_TABLE = str.maketrans(
    {
        "\u200c": "",
        "\u200d": "",
        "\u200f": "",
        "\ufeff": "",
        "ـ": "",
        "ي": "ی",
        "ك": "ک",
        "’": "'",
        "‘": "'",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def _index() -> tuple[dict[str, str], dict[str, str]]:
    """(header key -> field, header key -> language) of every known header."""
    fields, languages = {}, {}
    for name, (_, names) in FIELDS.items():
        english = {_key(h) for h in names["en"].split("|")}
        for language, headers in names.items():
            for header in headers.split("|"):
                key = _key(header)
                fields.setdefault(key, name)
                if language == "en" or key not in english:
                    languages[key] = language
    return fields, languages


ALIASES, LANGUAGE = _index()
TOTALS = frozenset(_key(label) for label in TOTAL_LABELS)
METADATA_KEYS = {_key(k): name for name, keys in METADATA.items() for k in keys}


# --- reading a file --------------------------------------------------------------------------
@dataclass(eq=False)
class Table:
    """One table of an export: its header, data rows and totals rows."""

    export: Export
    number: int  # 1-based position in the file
    line: int  # line of the header
    headers: list[str]
    fields: list[str | None]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    totals: list[tuple[int, list[str]]] = field(default_factory=list)
    _numbers: dict[int, np.ndarray] = field(default_factory=dict)
    _dates: tuple[np.ndarray | None, str | None] | None = None
    _checked: bool = False

    @property
    def where(self) -> Location:
        return Location(self.export.name, self.line, 1)

    @cached_property
    def columns(self) -> dict[str, int]:
        """field -> index of its first column."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.fields):
            if name:
                out.setdefault(name, i)
        return out

    @property
    def ga4(self) -> bool:
        return self.export.ga4 or any(f in GA4_FIELDS for f in self.fields)

    @property
    def metric_count(self) -> int:
        return sum(1 for f in self.fields if f and KIND[f] in NUMBER_KINDS)

    def column(self, name: str) -> int | None:
        """The column a header names: its text in the file, or its meaning (any language)."""
        wanted = _key(name)
        for i, header in enumerate(self.headers):
            if _key(header) == wanted:
                return i
        meaning = self.export.field_of(name)
        return self.columns.get(meaning) if meaning else None

    # -- values
    def cell_location(self, line: int, index: int) -> Location:
        return self.export.cell_location(line, index)

    def numbers(self, index: int) -> np.ndarray:
        """The data rows of a column as floats (rates as fractions, durations in seconds)."""
        if index not in self._numbers:
            texts = [row[index] for row in self.rows]
            self._numbers[index] = self._parse(index, texts, self.lines)
        return self._numbers[index]

    def _parse(self, index: int, texts: list[str], lines: list[int]) -> np.ndarray:
        name = self.fields[index]
        kind = KIND[name] if name else ("duration" if any(":" in t for t in texts) else "number")
        decimal = self.export.decimal
        expected = {
            "rate": "a percentage like 45.67% (or a fraction like 0.4567)",
            "duration": "a duration like 00:02:13 (or seconds)",
        }.get(kind, f"a number (decimal mark `{decimal}`)")
        if kind in DAY_KINDS or kind == "dim":
            raise KpiError(
                f"column `{self.headers[index]}` holds {kind} values, not numbers",
                self.cell_location(self.line, index),
            )
        try:
            if kind == "duration":
                values = []
                for i, text in enumerate(texts):
                    try:
                        values.append(parse_duration(text, decimal))
                    except NumberError as exc:
                        exc.index = i
                        raise
            else:
                values = parse_numbers(texts, decimal)
        except NumberError as exc:
            i = exc.index or 0
            raise KpiError(
                f"expected {expected} in column `{self.headers[index]}`, found `{texts[i]}`",
                self.cell_location(lines[i], index),
                "export the report again, or fix the cell" if kind != "number" else None,
            ) from None
        array = np.asarray(values, dtype=float)
        percent_signs = any("%" in t or "٪" in t for t in texts)
        if kind == "rate" and not percent_signs and np.nanmax(np.abs(array), initial=0.0) > 1:
            array = array / 100  # percentages written without the % sign
        return array

    def dates(self) -> tuple[np.ndarray | None, str | None]:
        """(date of each data row, its granularity: 'day' or 'month'), or (None, None)."""
        if self._dates is None:
            self._dates = self._read_dates()
        return self._dates

    def _read_dates(self) -> tuple[np.ndarray | None, str | None]:
        columns = self.columns
        export = self.export
        if "date_range" in columns:
            i = columns["date_range"]
            raise KpiError(
                f"comparison exports are not supported (column `{self.headers[i]}`)",
                self.cell_location(self.line, i),
                "export one date range at a time (turn the comparison off)",
            )
        if "date" in columns:
            i = columns["date"]
            texts = [row[i] for row in self.rows]
            return self._day_column(i, texts), "day"
        if "nth_day" in columns:
            i = columns["nth_day"]
            if export.start is None:
                raise KpiError(
                    f"`{self.headers[i]}` counts days from the start date, but the export has "
                    "no `# Start date` line",
                    self.cell_location(self.line, i),
                    "export the file again with its `#` header lines",
                )
            days = []
            for text, line in zip((row[i] for row in self.rows), self.lines, strict=True):
                digits = ascii_digits(text.strip())
                if not digits.isdigit():
                    raise KpiError(
                        f"expected a day number like 0007 in column `{self.headers[i]}`, "
                        f"found `{text}`",
                        self.cell_location(line, i),
                    )
                days.append(int(digits))
            start = np.datetime64(export.start, "D")
            return start + np.asarray(days, dtype="timedelta64[D]"), "day"
        if "month" in columns:
            i = columns["month"]
            out = []
            for text, line in zip((row[i] for row in self.rows), self.lines, strict=True):
                digits = ascii_digits(text.strip()).replace("-", "")
                if not (len(digits) == 6 and digits.isdigit() and 1 <= int(digits[4:]) <= 12):
                    raise KpiError(
                        f"expected a month like 202406 in column `{self.headers[i]}`, "
                        f"found `{text}`",
                        self.cell_location(line, i),
                    )
                out.append(f"{digits[:4]}-{digits[4:]}-01")
            return np.asarray(out, dtype="datetime64[D]"), "month"
        return None, None

    def _day_column(self, index: int, texts: list[str]) -> np.ndarray:
        export = self.export
        try:
            days = parse_dates(texts, export.day_first, export.window)
        except DateError as exc:
            raise KpiError(
                f"expected a date like 20240601 in column `{self.headers[index]}`, "
                f"found `{texts[exc.index]}`{exc.why}",
                self.cell_location(self.lines[exc.index], index),
            ) from None
        return np.asarray(days, dtype="datetime64[D]")

    def datable(self, grain: str) -> bool:
        """Whether the rows can be dated at `grain` (one period per undated export)."""
        _, granularity = self.dates()
        if granularity == "day":
            return True
        if granularity == "month":
            return _GRAIN_RANK[grain] >= _GRAIN_RANK["month"]
        start, end = self.export.start, self.export.end or self.export.start
        if start is None:
            return False
        both = np.array([start, end], dtype="datetime64[D]")
        first, last = ordinals(both, grain)
        return bool(first == last)

    def dated(self, grain: str) -> np.ndarray:
        """The date of each data row at `grain`; an error says why the rows cannot be dated."""
        days, granularity = self.dates()
        if not self.datable(grain):
            export = self.export
            if granularity == "month":
                index = self.columns["month"]
                raise KpiError(
                    f"the rows are months (`{self.headers[index]}`), too coarse for {grain}",
                    self.cell_location(self.line, index),
                    "export the report with the Date dimension, or use a grain of a month or more",
                )
            if export.start is None:
                raise KpiError(
                    "the table has no Date column and the file no `# Start date` line to date "
                    "its rows",
                    self.where,
                    "export the report with the Date dimension, keeping the `#` header lines",
                )
            raise KpiError(
                f"the export covers {export.start} to {export.end}, more than one {grain}, "
                "and has no Date column",
                self.where,
                f"export the report with the Date dimension to use it by {grain} "
                "(or use a coarser grain)",
            )
        if days is None:
            return np.full(len(self.rows), np.datetime64(self.export.start, "D"))
        return days

    # -- what the table can give
    def can(self, recipe: str) -> bool:
        return self._step(recipe) is not None

    def _step(self, recipe: str) -> tuple[str, str] | None:
        columns = self.columns
        for how, name in RECIPES[recipe]:
            if name not in columns:
                continue
            if how.endswith("4") and not self.ga4:
                continue
            if how == "column" or "sessions" in columns:
                return how, name
        return None

    def derive(self, recipe: str) -> np.ndarray:
        """A count for each data row, from its column or from a rate and the sessions."""
        step = self._step(recipe)
        if step is None:
            raise KeyError(recipe)
        how, name = step
        values = self.numbers(self.columns[name])
        if how == "column":
            return values
        sessions = self.numbers(self.columns["sessions"])
        if how.startswith("difference"):
            return sessions - values
        if how.startswith("complement"):
            values = 1.0 - values
        return _round(values * sessions)

    def mapped(self, mapping: Mapping) -> np.ndarray | None:
        """The values of a `map:` entry, or None when this table lacks its columns."""
        mask = np.ones(len(self.rows), dtype=bool)
        for name, accepted in mapping.where.items():
            index = self.column(name)
            if index is None:
                return None
            wanted = {str(v).strip() for v in accepted}
            mask &= np.array([row[index].strip() in wanted for row in self.rows], dtype=bool)
        if mapping.count:
            values = np.ones(len(self.rows))
        else:
            values = self._mapped_column(mapping)
            if values is None:
                return None
        values = np.where(mask, values, 0.0)
        return values * mapping.scale if mapping.scale != 1.0 else values

    def mappable(self, mapping: Mapping) -> bool:
        if any(self.column(name) is None for name in mapping.where):
            return False
        if mapping.count:
            return True
        index = self.column(mapping.column or "")
        if index is None:
            recipe = FIELD_RECIPE.get(self.export.field_of(mapping.column or "") or "")
            return bool(recipe and self.can(recipe))
        kind = KIND.get(self.fields[index] or "", "number")
        return kind not in PER_SESSION or "sessions" in self.columns

    def _mapped_column(self, mapping: Mapping) -> np.ndarray | None:
        index = self.column(mapping.column or "")
        if index is None:
            recipe = FIELD_RECIPE.get(self.export.field_of(mapping.column or "") or "")
            return self.derive(recipe) if recipe and self.can(recipe) else None
        kind = KIND.get(self.fields[index] or "", "number")
        if kind in DAY_KINDS or kind == "dim":
            raise KpiError(
                f"`{mapping.variable}` maps to `{self.headers[index]}`, a dimension, not a number",
                mapping.location,
                "map a metric column, or list this column under `dimensions:`",
            )
        values = self.numbers(index)
        if kind in PER_SESSION:
            if "sessions" not in self.columns:
                return None
            return _round(values * self.numbers(self.columns["sessions"]))
        return values

    def _dimension_columns(self, column: str | None, default: str) -> list[int] | None:
        if column is not None:
            index = self.column(column)
            return None if index is None else [index]
        if default in self.columns:
            return [self.columns[default]]
        if default == "source_medium" and {"source", "medium"} <= set(self.columns):
            return [self.columns["source"], self.columns["medium"]]
        return None

    def has_dimension(self, column: str | None, default: str) -> bool:
        return self._dimension_columns(column, default) is not None

    def dimension(self, column: str | None, default: str) -> np.ndarray:
        """The text of a dimension for each data row (`column` as configured, or the default);
        separate source and medium columns make `source / medium`."""
        indexes = self._dimension_columns(column, default)
        if indexes is None:
            raise KeyError(default)
        return np.array(
            [" / ".join(row[i].strip() for i in indexes) for row in self.rows], dtype=object
        )

    def check_totals(self) -> None:
        """The totals rows must equal the sum of the rows (beyond rounding) for additive columns."""
        if self._checked:
            return
        self._checked = True
        for line, cells in self.totals:
            for index, name in enumerate(self.fields):
                if not name or KIND[name] not in ("count", "money") or not cells[index].strip():
                    continue
                total = float(self._parse(index, [cells[index]], [line])[0])
                values = self.numbers(index)
                if math.isnan(total):
                    continue
                added = float(np.nansum(values))
                places = max(
                    (_decimals(t, self.export.decimal) for t in [r[index] for r in self.rows]),
                    default=0,
                )
                allowed = 0.5 * 10.0**-places * (len(values) + 1)
                if self.ga4 and name in APPROXIMATE:
                    allowed = max(allowed, APPROXIMATE[name] * abs(total))
                if abs(added - total) > allowed + 1e-9 * abs(total):
                    raise KpiError(
                        f"the totals row gives {self.headers[index]} = {_show(total)} but the "
                        f"{len(values)} rows of the table (header on line {self.line}) add up "
                        f"to {_show(added)}",
                        self.cell_location(line, index),
                        "export the whole report again (all rows, no row limit), or remove the "
                        "rows that are not segments",
                    )


@dataclass
class Export:
    """One exported file: its metadata and tables, and how it writes numbers and dates."""

    path: Path
    name: str
    text_lines: list[str]
    delimiter: str
    translations: dict[str, str]  # _key(file header) -> English header
    meta: dict[str, Any] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    decimal: str = "."
    language: str = "en"

    @property
    def start(self) -> dt.date | None:
        return self.meta.get("start")

    @property
    def end(self) -> dt.date | None:
        return self.meta.get("end") or self.meta.get("start")

    @property
    def window(self) -> tuple[dt.date, dt.date] | None:
        return (self.start, self.end) if self.start and self.end else None

    @property
    def ga4(self) -> bool:
        return bool(self.meta.get("ga4"))

    @property
    def day_first(self) -> bool:
        """Whether `01/06/2024` is the 1st of June when nothing else tells."""
        return self.language not in ("en", "zh")

    def field_of(self, header: str) -> str | None:
        key = _key(header)
        translated = self.translations.get(key)
        return ALIASES.get(_key(translated)) if translated else ALIASES.get(key)

    def cell_location(self, line: int, index: int) -> Location:
        text = self.text_lines[line - 1] if 0 < line <= len(self.text_lines) else ""
        return Location(self.name, line, _cell_column(text, index, self.delimiter))

    def unrecognised(self) -> list[str]:
        seen: list[str] = []
        for table in self.tables:
            for header, name in zip(table.headers, table.fields, strict=True):
                if name is None and header and header not in seen:
                    seen.append(header)
        return seen


def _round(values: np.ndarray) -> np.ndarray:
    """Counts computed from rates, to whole numbers (halves up)."""
    return np.floor(values + 0.5)


def _decimals(text: str, decimal: str) -> int:
    head, mark, tail = text.strip().rstrip("%").rpartition(decimal)
    if not mark:
        return 0
    digits = 0
    for char in tail:
        if not char.isdigit():
            break
        digits += 1
    return digits


def _show(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _cell_column(line: str, index: int, delimiter: str) -> int:
    """The 1-based character column where field `index` of a CSV line starts."""
    position, field_number, quoted = 0, 0, False
    while position < len(line) and field_number < index:
        char = line[position]
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            field_number += 1
        position += 1
    return position + 1


def _decode(data: bytes, encoding: str, name: str) -> str:
    if encoding != "auto":
        chosen = encoding
    elif data.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        chosen = "utf-16"
    else:
        head = data[:400]
        if head and head.count(0) > len(head) // 4:
            chosen = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        else:
            chosen = "utf-8"
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        where = Location(name, line, column) if chosen.startswith("utf-8") else Location(name)
        raise KpiError(
            f"the file is not {chosen} text (byte {data[exc.start]:#04x})",
            where,
            "set the source option `encoding:` (e.g. `encoding: cp1252`), or save the file "
            "as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def _is_comment(line: str) -> bool:
    return line.lstrip().lstrip('"').startswith("#")


def _is_blank(line: str) -> bool:
    return not line.strip().strip(',;\t"')


def _delimiter(lines: list[str]) -> str:
    """The field separator, judged on the header lines (they hold no numbers)."""
    headers = []
    previous_blank = True
    for line in lines:
        if _is_comment(line) or _is_blank(line):
            previous_blank = True
            continue
        if previous_blank:
            headers.append(line)
        previous_blank = False
    sample = headers[:5] or lines[:5]
    counts = {d: sum(h.count(d) for h in sample) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _metadata(export: Export, line: str, loose: list[dt.date]) -> None:
    """One `#` line: `Start date: 20240601`, `20240601-20240630` (UA), the report's name..."""
    content = line.strip().strip(f'{export.delimiter}"').strip()
    content = content.lstrip("#").strip().rstrip(export.delimiter).strip()
    if not content or not content.strip("-= "):
        return
    meta = export.meta
    compact = _COMPACT_RANGE.fullmatch(ascii_digits(content))
    if compact:
        if "start" not in meta:
            meta["start"] = _date_or_none(compact[1])
            meta["end"] = _date_or_none(compact[2])
        return
    for colon in (":", "："):
        if colon in content:
            key, _, value = content.partition(colon)
            break
    else:
        key, value = content, ""
    key_text = export.translations.get(_key(key), key)
    name = METADATA_KEYS.get(_key(key_text))
    value = value.strip()
    if name in ("start", "end"):
        meta.setdefault(name, _date_or_none(value))
        meta["ga4"] = True
        return
    if name:
        meta.setdefault(name, value)
        return
    day = _date_or_none(value) if value else None
    if day is not None:
        loose.append(day)
    elif "report" not in meta:
        meta["report"] = content


def _date_or_none(text: str) -> dt.date | None:
    try:
        return parse_dates([text], False, None)[0]
    except DateError:
        return None


def read_export(path: Path, name: str, encoding: str, translations: dict[str, str]) -> Export:
    """Parse one export: metadata, tables (header, rows, totals rows), number format."""
    data = path.read_bytes()
    if not data.strip():
        raise KpiError("the file is empty", Location(name), "export the report again")
    text = _decode(data, encoding, name)
    if not text.strip():
        raise KpiError("the file is empty", Location(name), "export the report again")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    export = Export(path, name, lines, _delimiter(lines), translations)
    loose: list[dt.date] = []
    block: list[int] = []
    for number, line in enumerate(lines, start=1):
        if _is_comment(line):
            _add_table(export, block)
            block = []
            _metadata(export, line, loose)
        elif _is_blank(line):
            _add_table(export, block)
            block = []
        else:
            block.append(number)
    _add_table(export, block)
    if "start" not in export.meta and len(loose) == 2:
        export.meta["start"], export.meta["end"] = loose
    if not export.tables:
        last = max((n for n, t in enumerate(lines, 1) if t.strip()), default=1)
        raise KpiError(
            "no table in the file (only `#` lines and blank lines)",
            Location(name, last, 1),
            "export the report again with its data",
        )
    export.meta["ga4"] = export.meta.get("ga4") or any(t.ga4 for t in export.tables)
    export.language = _language(export)
    export.decimal = _file_decimal(export)
    return export


def _add_table(export: Export, block: list[int]) -> None:
    if not block:
        return
    texts = [export.text_lines[n - 1] for n in block]
    rows = [next(csv.reader([text], delimiter=export.delimiter)) for text in texts]
    header = [cell.strip().removeprefix("\ufeff") for cell in rows[0]]
    while header and not header[-1]:
        header.pop()  # Excel pads rows with empty cells
    fields = [export.field_of(h) if h else None for h in header]
    table = Table(export, len(export.tables) + 1, block[0], header, fields)
    width = len(header)
    for number, row in zip(block[1:], rows[1:], strict=True):
        if len(row) > width:
            if any(cell.strip() for cell in row[width:]):
                raise KpiError(
                    f"the row has {len(row)} fields but the header (line {block[0]}) has {width}",
                    export.cell_location(number, width),
                    "export the report again; the rows must match the header",
                )
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        first = row[0].strip() if row else ""
        if not first or _key(first) in TOTALS:
            table.totals.append((number, row))
        else:
            table.rows.append(row)
            table.lines.append(number)
    export.tables.append(table)


def _language(export: Export) -> str:
    votes: dict[str, int] = {}
    for table in export.tables:
        for header in table.headers:
            language = LANGUAGE.get(_key(header))
            if language:
                votes[language] = votes.get(language, 0) + 1
    if not votes:
        return "other"
    return max(votes, key=lambda lang: votes[lang])


def _file_decimal(export: Export) -> str:
    samples, whole = [], []
    for table in export.tables:
        cells = table.rows[:DECIMAL_SAMPLE] + [row for _, row in table.totals]
        for index, name in enumerate(table.fields):
            kind = KIND.get(name or "")
            if kind in ("count", "users"):
                whole.extend(row[index] for row in cells)
            elif kind in ("rate", "average", "money", "duration"):
                samples.extend(row[index] for row in cells if ":" not in row[index])
    try:
        return guess_decimal(
            samples, integers=whole, default=DECIMAL_BY_LANGUAGE.get(export.language, ".")
        )
    except ValueError as exc:
        raise KpiError(
            f"{exc}",
            Location(export.name),
            "the file mixes number formats: export it again from one interface language",
        ) from None


# --- dates -----------------------------------------------------------------------------------
class DateError(ValueError):
    def __init__(self, index: int, why: str = ""):
        super().__init__(index)
        self.index = index
        self.why = why


def _jalali_to_gregorian(jy: int, jm: int, jd: int) -> tuple[int, int, int]:
    """A Persian (Solar Hijri) date as a Gregorian (year, month, day)."""
    jy += 1595
    days = -355668 + 365 * jy + (jy // 33) * 8 + ((jy % 33) + 3) // 4 + jd
    days += (jm - 1) * 31 if jm < 7 else (jm - 7) * 30 + 186
    gy = 400 * (days // 146097)
    days %= 146097
    if days > 36524:
        days -= 1
        gy += 100 * (days // 36524)
        days %= 36524
        if days >= 365:
            days += 1
    gy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        gy += (days - 1) // 365
        days = (days - 1) % 365
    leap = (gy % 4 == 0 and gy % 100 != 0) or gy % 400 == 0
    lengths = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    gd = days + 1
    gm = 1
    for length in lengths:
        if gd <= length:
            break
        gd -= length
        gm += 1
    return gy, gm, gd


def _make(year: int, month: int, day: int) -> dt.date:
    if year < 100:
        year += 2000
    if 1300 <= year < 1500 and 1 <= month <= 12 and 1 <= day <= 31:
        year, month, day = _jalali_to_gregorian(year, month, day)
    return dt.date(year, month, day)


def parse_dates(
    texts: list[str], day_first: bool, window: tuple[dt.date, dt.date] | None
) -> list[dt.date]:
    """Dates as GA writes them: `20240601`, `2024-06-01`, `6/1/24`, `1 juin 2024`, `2024年6月1日`.

    Slash dates are read day-first or month-first as the values, the export's date range, then
    `day_first` decide. Raises DateError with the index of a bad value.
    """
    clean = [_TIME_SUFFIX.sub("", ascii_digits(t.strip())) for t in texts]
    if all(len(c) in (8, 10) and c.isdigit() for c in clean):
        out = []
        for i, c in enumerate(clean):
            try:
                out.append(_make(int(c[:4]), int(c[4:6]), int(c[6:8])))
            except ValueError:
                raise DateError(i) from None
        return out
    ambiguous: list[tuple[int, int, int, int]] = []
    out_or_none: list[dt.date | None] = []
    for i, c in enumerate(clean):
        if len(c) in (8, 10) and c.isdigit():
            day = (int(c[:4]), int(c[4:6]), int(c[6:8]))
        elif m := _YMD.fullmatch(c):
            day = (int(m[1]), int(m[2]), int(m[3]))
        elif m := _XXY.fullmatch(c):
            ambiguous.append((i, int(m[1]), int(m[2]), int(m[3])))
            out_or_none.append(None)
            continue
        elif m := _D_MONTH_Y.fullmatch(c):
            day = (int(m[3]), MONTHS.get(m[2].casefold(), 0), int(m[1]))
        elif m := _MONTH_D_Y.fullmatch(c):
            day = (int(m[3]), MONTHS.get(m[1].casefold(), 0), int(m[2]))
        else:
            raise DateError(i)
        try:
            out_or_none.append(_make(*day))
        except ValueError:
            raise DateError(i) from None
    if ambiguous:
        for i, value in _slash_dates(ambiguous, day_first, window).items():
            out_or_none[i] = value
    return [d for d in out_or_none if d is not None]


def _slash_dates(
    values: list[tuple[int, int, int, int]],
    day_first: bool,
    window: tuple[dt.date, dt.date] | None,
) -> dict[int, dt.date]:
    def read(first_is_day: bool) -> dict[int, dt.date] | None:
        out = {}
        for i, a, b, year in values:
            day, month = (a, b) if first_is_day else (b, a)
            try:
                out[i] = _make(year, month, day)
            except ValueError:
                return None
        return out

    readings = {True: read(True), False: read(False)}
    if readings[True] is None and readings[False] is None:
        for i, a, b, year in values:
            if not any(_valid(year, m, d) for m, d in ((a, b), (b, a))):
                raise DateError(i, " (neither day/month/year nor month/day/year)")
    if window:
        start, end = window[0] - dt.timedelta(days=1), window[1] + dt.timedelta(days=1)
        fits = {
            k: r for k, r in readings.items() if r and all(start <= d <= end for d in r.values())
        }
        if len(fits) == 1:
            return next(iter(fits.values()))
    valid = {k: r for k, r in readings.items() if r is not None}
    if len(valid) == 1:
        return next(iter(valid.values()))
    if not valid:  # each value reads one way, but not all the same way
        raise DateError(values[0][0], " (the dates mix day/month and month/day orders)")
    return valid[day_first]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        _make(year, month, day)
    except ValueError:
        return False
    return True


# --- the connector ---------------------------------------------------------------------------
class GaExportConnector(Connector):
    name = "ga_export"
    description = "Google Analytics CSV exports (Universal Analytics and GA4 reports)"
    options = (
        Option("path", "GA export file or glob, relative to the workspace", required=True),
        Option(
            "headers",
            "header text in the file -> English GA header, for other interface languages "
            "(English, French, Chinese and Persian are built in)",
            default={},
        ),
        Option(
            "table",
            "which table of a multi-table file to use: its number (1 = first) or its first "
            "header (default: the table with the metrics, or with dates when needed)",
        ),
        Option(
            "encoding",
            "`auto` (UTF-8 with or without BOM, UTF-16 as Excel saves it) or a Python codec",
            default="auto",
        ),
    )

    def __init__(self, config: SourceConfig):
        super().__init__(config)
        self.translations = self._translations()
        self.table_choice = self._table_choice()
        encoding = self.option("encoding") or "auto"
        if encoding != "auto":
            try:
                codecs.lookup(str(encoding))
            except LookupError:
                raise config.error(
                    f"unknown encoding `{encoding}`", "encoding", "e.g. utf-8, utf-16, cp1252"
                ) from None
        self.encoding = str(encoding)
        self._exports: list[Export] | None = None

    def _translations(self) -> dict[str, str]:
        headers = self.option("headers") or {}
        if not isinstance(headers, dict):
            raise self.config.error(
                "`headers` maps header text in the file to English GA headers",
                "headers",
                "e.g. `headers: {Sessies: Sessions}`",
            )
        english = sorted(ENGLISH.values())
        metadata = {k for keys in METADATA.values() for k in keys}
        out = {}
        for text, target in headers.items():
            target = str(target)
            if _key(target) not in ALIASES and _key(target) not in METADATA_KEYS:
                raise self.config.error(
                    f"`headers`: `{target}` (for `{text}`) is not a GA header I know"
                    f"{suggestion(target, english + sorted(metadata))}",
                    "headers",
                    f"English headers: {', '.join(english)}",
                )
            out[_key(str(text))] = target
        return out

    def _table_choice(self) -> list[int | str] | None:
        value = self.option("table")
        if value is None:
            return None
        values = value if isinstance(value, list) else [value]
        for v in values:
            if (
                isinstance(v, bool)
                or not isinstance(v, (int, str))
                or (isinstance(v, int) and v < 1)
            ):
                raise self.config.error(
                    "`table` is a table number (1 = first) or the table's first header",
                    "table",
                    "e.g. `table: 2` or `table: Day Index`",
                )
        return values

    # -- files
    def exports(self) -> list[Export]:
        if self._exports is None:
            out = []
            for path in self.config.paths():
                name = _display(path, self.config.root)
                out.append(read_export(path, name, self.encoding, self.translations))
            self._exports = out
        return self._exports

    def _tables(self, export: Export) -> list[Table]:
        if self.table_choice is None:
            return export.tables
        chosen = []
        for choice in self.table_choice:
            if isinstance(choice, int):
                found = [t for t in export.tables if t.number == choice]
            else:
                found = [
                    t for t in export.tables if t.headers and _key(t.headers[0]) == _key(choice)
                ]
            if not found:
                listing = "; ".join(
                    f"{t.number}: line {t.line} `{', '.join(t.headers[:3])}`" for t in export.tables
                )
                raise KpiError(
                    f"source `{self.config.name}`: {export.name} has no table `{choice}` "
                    f"(its tables: {listing})",
                    self.config.where("table"),
                )
            chosen.extend(t for t in found if t not in chosen)
        return chosen

    # -- contract
    def provides(self) -> set[str]:
        if self.config.mappings:
            return set(self.config.mappings)
        declared = self.config.variables
        found = set()
        for export in self.exports():
            for table in self._tables(export):
                found |= {v for v in DEFAULT_VARIABLES if table.can(v)}
        if declared:
            found &= declared
        else:
            found -= ONLY_IF_DECLARED
        if not found:
            raise self._unrecognised(self.exports()[0], "no Google Analytics metric recognised")
        return found

    def dimensions(self) -> set[str]:
        if self.config.dimensions:
            return set(self.config.dimensions)
        found = set()
        for export in self.exports():
            for table in self._tables(export):
                found |= {d for d in DEFAULT_DIMENSIONS if table.has_dimension(None, d)}
        return found

    def fetch(self, request: Request) -> Frame:
        provided, available = self.provides(), self.dimensions()
        for variable in request.variables:
            if variable not in provided:
                raise self.config.error(
                    f"does not provide `{variable}` (it gives {', '.join(sorted(provided))})",
                    fix=f"map it: `map: {{{variable}: COLUMN}}`",
                )
        for dim in request.dimensions:
            if dim not in available:
                raise self.config.error(
                    f"has no dimension `{dim}`{suggestion(dim, available)} "
                    f"(it has {', '.join(sorted(available)) or 'none'})",
                    "dimensions",
                    f"name its column: `dimensions: {{{dim}: COLUMN}}`",
                )
        parts: list[tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]] = []
        served: set[str] = set()
        for export in self.exports():
            plan: dict[Table, list[str]] = {}
            for variable in request.variables:
                table = self._choose(export, variable, request)
                if table is not None:
                    plan.setdefault(table, []).append(variable)
                    served.add(variable)
            for table, variables in plan.items():
                dates = table.dated(request.grain)
                table.check_totals()
                dims = {
                    d: table.dimension(self.config.dimensions.get(d), d) for d in request.dimensions
                }
                values = {v: self._values(table, v) for v in variables}
                parts.append((dates, dims, values))  # type: ignore[arg-type]
        for variable in request.variables:
            if variable not in served:
                raise self._missing(variable)
        return self._combine(parts, request)

    # -- helpers of fetch
    def _mapping(self, variable: str) -> Mapping | None:
        return self.config.mappings.get(variable)

    def _serves(self, table: Table, variable: str) -> bool:
        mapping = self._mapping(variable)
        if mapping is not None:
            return table.mappable(mapping)
        return variable in RECIPES and table.can(variable)

    def _values(self, table: Table, variable: str) -> np.ndarray:
        mapping = self._mapping(variable)
        if mapping is None:
            return table.derive(variable)
        values = table.mapped(mapping)
        if values is None:
            raise self._missing(variable)
        self._check_currency(table, mapping)
        return values

    def _choose(self, export: Export, variable: str, request: Request) -> Table | None:
        able = [t for t in self._tables(export) if self._serves(t, variable)]
        if not able:
            return None
        named = self.config.dimensions
        with_dims = [
            t for t in able if all(t.has_dimension(named.get(d), d) for d in request.dimensions)
        ]
        if not with_dims:
            lacking = [d for d in request.dimensions if not able[0].has_dimension(named.get(d), d)]
            raise KpiError(
                f"no table with `{variable}` has a column for dimension "
                f"`{lacking[0]}` (headers: {', '.join(able[0].headers)})",
                able[0].where,
                f"export the report with that dimension, or name its column: "
                f"`dimensions: {{{lacking[0]}: COLUMN}}`",
            )
        datable = [t for t in with_dims if t.datable(request.grain)]
        if not datable:
            with_dims[0].dated(request.grain)  # raises the reason
        return max(datable, key=lambda t: (t.metric_count, -t.number))

    def _missing(self, variable: str) -> KpiError:
        mapping = self._mapping(variable)
        export = self.exports()[0]
        if mapping is not None:
            what = f"column `{mapping.column}`" if mapping.column else "the `where` columns"
            headers = "; ".join(
                f"{e.name}: {', '.join(h for t in e.tables for h in t.headers)}"
                for e in self.exports()
            )
            error = self._unrecognised(
                export, f"no table has the {what} for `{variable}` (headers: {headers})"
            )
            message = f"source `{self.config.name}`: {error.message}"
            return KpiError(message, mapping.location, error.fix)
        return self._unrecognised(export, f"no column gives `{variable}`")

    def _unrecognised(self, export: Export, message: str) -> KpiError:
        unknown = export.unrecognised()
        table = export.tables[0]
        if not unknown:
            return KpiError(
                message,
                table.where,
                "export a report with these metrics (e.g. Traffic acquisition)",
            )
        english = sorted(set(ENGLISH.values()))
        lines = [f"      {_yaml(h)}: {did_you_mean(h, english) or '?'}" for h in unknown]
        fix = (
            f"if these are GA headers in another language, add to source `{self.config.name}` "
            "in kpi.yaml (replace each ? with the English header, delete the others):\n"
            "    headers:\n" + "\n".join(lines) + "\n    English headers: " + ", ".join(english)
        )
        return KpiError(
            f"{message}; unrecognised headers: {', '.join(unknown)}",
            table.where,
            fix,
        )

    def _check_currency(self, table: Table, mapping: Mapping) -> None:
        workspace = self.config.currency
        index = table.column(mapping.column) if mapping.column else None
        if index is None or KIND.get(table.fields[index] or "", "money") != "money":
            return
        written = set()
        for row in table.rows[:50]:
            cell = row[index]
            for mark, code in CURRENCY_MARKS.items():
                if mark in cell:
                    written.add(code)
                    break
            written.update(_CURRENCY_CODES.findall(cell))
        found = written | ({mapping.currency} if mapping.currency else set())
        if len(found) > 1:
            raise KpiError(
                f"column `{table.headers[index]}` mixes currencies ({', '.join(sorted(found))})",
                mapping.location,
                "export the report in one currency",
            )
        if found and workspace and found != {workspace}:
            raise KpiError(
                f"column `{table.headers[index]}` is in {found.pop()} but the workspace currency "
                f"is {workspace}",
                mapping.location,
                "change the property's currency, or set the workspace `currency:` to match",
            )

    def _combine(self, parts: list, request: Request) -> Frame:
        """One row per date and segment: repeated rows added up (by the variable's rule)."""
        names = list(request.variables)
        source = ", ".join(
            f"{e.name} ({e.meta['property']})" if e.meta.get("property") else e.name
            for e in self.exports()
        )
        if not parts:
            return Frame(
                np.array([], dtype="datetime64[D]"),
                {d: np.array([], dtype=object) for d in request.dimensions},
                {v: np.array([], dtype=float) for v in names},
                source,
            )
        dates = np.concatenate([p[0] for p in parts]).astype("datetime64[D]")
        dims = {d: np.concatenate([p[1][d] for p in parts]) for d in request.dimensions}
        values = {
            v: np.concatenate([p[2].get(v, np.full(len(p[0]), np.nan)) for p in parts])
            for v in names
        }
        keep = np.ones(len(dates), dtype=bool)
        if request.start:
            keep &= dates >= np.datetime64(request.start, "D")
        if request.end:
            keep &= dates <= np.datetime64(request.end, "D")
        dates = dates[keep]
        dims = {d: a[keep] for d, a in dims.items()}
        values = {v: a[keep] for v, a in values.items()}
        if not len(dates):
            return self._combine([], request)
        codes = [dates.astype(np.int64)]
        codes += [np.unique(dims[d].astype(str), return_inverse=True)[1].reshape(-1) for d in dims]
        _, first, group = np.unique(
            np.stack(codes, axis=1), axis=0, return_index=True, return_inverse=True
        )
        group = group.reshape(-1)
        n = len(first)
        out = {}
        for name in names:
            column = values[name]
            present = ~np.isnan(column)
            rule = request.variables[name].time
            if rule in ("min", "max"):
                result = np.full(n, np.nan)
                (np.fmin if rule == "min" else np.fmax).at(result, group, column)
            else:
                total = np.bincount(group, weights=np.where(present, column, 0.0), minlength=n)
                count = np.bincount(group, weights=present.astype(float), minlength=n)
                with np.errstate(invalid="ignore", divide="ignore"):
                    result = total / count if rule == "mean" else total
                result[count == 0] = np.nan
            out[name] = result
        return Frame(dates[first], {d: a[first] for d, a in dims.items()}, out, source)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _yaml(text: str) -> str:
    """A header as a YAML key: plain when safe, else double-quoted."""
    if re.fullmatch(r"[^\W\d][^:#\[\]{},\"]*", text) and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)


@hookimpl(trylast=True)
def register_connectors(register):
    register(GaExportConnector)
