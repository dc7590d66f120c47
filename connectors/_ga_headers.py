"""Google Analytics export headers: what each means, in every language GA writes them.

The header tables of the `ga_export` connector (English for Universal Analytics and GA4, French,
Chinese simplified and traditional, Persian), the totals-row labels and `#` metadata keys, and
`header_key`, how headers compare. Private to the connector: not a plugin module. The module is
longer than 420 lines because it is one table of data, a block per field, which reads best whole.
"""

from __future__ import annotations

import unicodedata

from kpiengine.fileformats.preamble import END_KEYS, START_KEYS

from ._ga_segment_headers import SEGMENT_FIELDS
from ._ga_summary_headers import SUMMARY_FIELDS
from ._ga_time_headers import TIME_FIELDS

# --- what the headers mean ------------------------------------------------------------------
# kind: how a column is read and used.
#   date: a day (`20240601`, a locale date); nth_day: days after the start date (GA4 charts);
#   period: the row's days in another way (`Year month` 202406, `_ga_periods`); range: a
#   comparison's date range (unsupported); dim: a dimension;
#   count: an additive count (checked against the totals row); users: a count that does not add
#   up (users are deduplicated in totals); money: an amount; rate: a share of sessions;
#   duration: seconds per session; average: a quantity per session; ratio: another quotient.
DAY_KINDS = ("date", "nth_day", "period", "range")
NUMBER_KINDS = ("count", "users", "money", "rate", "duration", "average", "ratio")
PER_SESSION = ("rate", "duration", "average")

# field -> (kind, {language: headers separated by |}); the first English header is the canonical
# name used by the `headers:` option and in messages. Languages: en, fr, zh (simplified and
# traditional, as GA writes them), fa. Variants that GA used over the years are all listed.
FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "date": (
        "date",
        {
            "en": "Date|Day Index|Date + hour (YYYYMMDDHH)|dateHour",
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
        "period",
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
                "|Session primary channel group (Default Channel Group)|sessionPrimaryChannelGroup"
                "|Session default channel grouping|Default Channel Grouping"
                "|Default channel group"
            ),
            "fr": (
                "Groupe de canaux par défaut de la session"
                "|Groupe de canaux principal de la session (Groupe de canaux par défaut)"
                "|Groupe de canaux principal de la session"
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
            "en": "Session source / medium|Source / Medium|sessionSourceMedium",
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
            "en": "Landing page|Landing page + query string|landingPagePlusQueryString",
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
            "zh": "互动会话数|参与度会话数|感兴趣的会话数|感兴趣的会话|互動工作階段|參與工作階段"
            "|參與的工作階段",
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
            "en": "Pageviews|Views|Page views|screenPageViews",
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
            "zh": "转化次数|转化|关键事件|关键事件数|轉換|轉換次數|主要事件|重要事件",
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
            "zh": "互动率|感兴趣的会话占比|參與度|參與率|互動率",
            "fa": "نرخ تعامل",
        },
    ),
    "conversion_rate": (
        "rate",
        {
            "en": "Session key event rate|Session conversion rate",
            "fr": "Taux d'événements clés de la session|Taux d'événement clé de la session"
            "|Taux de conversion de la session",
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
            "en": "Pages / Session|Views per session|screenPageViewsPerSession",
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
    **TIME_FIELDS,
    **SEGMENT_FIELDS,
    **SUMMARY_FIELDS,
}
KIND = {name: kind for name, (kind, _) in FIELDS.items()}
ENGLISH = {name: names["en"].split("|")[0] for name, (_, names) in FIELDS.items()}
# fields only GA4 has: in such a file, bounce rate is 1 - engagement rate
GA4_FIELDS = frozenset(
    {
        "nth_day",
        "nth_week",
        "nth_month",
        "nth_year",
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
# the `#` block's keys; the start and end dates are the reading layer's (it reads the range)
METADATA = {
    "start": START_KEYS,
    "end": END_KEYS,
    "property": (
        "Property", "Property name", "Propriété", "Propiedad", "Proprietà", "Propriedade",
        "Ресурс", "プロパティ", "속성", "媒体资源", "資源", "ویژگی", "دارایی",
    ),
    "account": (
        "Account", "Compte", "Konto", "Cuenta", "Conta", "Аккаунт", "アカウント", "계정", "账号",
        "帳戶", "حساب",
    ),
}  # fmt: skip


# --- recognising headers ---------------------------------------------------------------------
def header_key(text: str) -> str:
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
    fields: dict[str, str] = {}
    languages: dict[str, str] = {}
    for name, (_, names) in FIELDS.items():
        english = {header_key(h) for h in names["en"].split("|")}
        for language, headers in names.items():
            for header in headers.split("|"):
                key = header_key(header)
                fields.setdefault(key, name)
                if language == "en" or key not in english:
                    languages[key] = language
    return fields, languages


ALIASES, LANGUAGE = _index()
TOTALS = frozenset(header_key(label) for label in TOTAL_LABELS)
METADATA_KEYS = {header_key(k): name for name, keys in METADATA.items() for k in keys}


def language_of(headers: list[str]) -> str:
    """The interface language most of the recognised headers are in (`other` when none is)."""
    votes: dict[str, int] = {}
    for header in headers:
        language = LANGUAGE.get(header_key(header))
        if language:
            votes[language] = votes.get(language, 0) + 1
    if not votes:
        return "other"
    return max(votes, key=lambda lang: votes[lang])
