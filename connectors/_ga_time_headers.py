"""Google Analytics time dimension headers, for the `ga_export` connector (not a plugin module).

The time dimensions other than Date that GA4 reports, Explorations and the Data API write
(and Universal Analytics before them), as `_ga_headers.FIELDS` entries: field -> (kind,
{language: headers separated by |}). Kinds: `date` (a day: `Date hour and minute`); `period`
(a row's days: `Year month` 202401, `ISO week of ISO year` 202401, `Year week` 202401 of
Sunday weeks, `Year`, `ISO year`; `Month` 01-12, `Week` 01-53 and `ISO week of the year`
without their year; `Nth week`, `Nth month`, `Nth year` counted from the range's start);
`dim` (hour of day, day of week and month, minute: segments of any period, never periods).
API names that do not read as an English header (`isoYearIsoWeek`) are listed with it. What
the values mean is `_ga_periods`.
"""

from __future__ import annotations

TIME_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "date_minute": (
        "date",
        {
            "en": "Date hour and minute|Date + hour and minute|dateHourMinute",
            "fr": "Date, heure et minute|Date + heure et minute",
            "zh": "日期、小时和分钟|日期 + 小时和分钟|日期、小時和分鐘|日期 + 小時和分鐘",
            "fa": "تاریخ، ساعت و دقیقه|تاریخ + ساعت و دقیقه",
        },
    ),
    "year": (
        "period",
        {"en": "Year", "fr": "Année", "zh": "年|年份", "fa": "سال"},
    ),
    "iso_year": (
        "period",
        {"en": "ISO year", "fr": "Année ISO", "zh": "ISO 年|ISO 年份", "fa": "سال ISO"},
    ),
    "year_week": (
        "period",
        {
            "en": "Year week|Week of Year",
            "fr": "Année et semaine|Semaine et année",
            "zh": "年周|年份和周|年週|年份和週",
            "fa": "سال و هفته",
        },
    ),
    "iso_year_week": (
        "period",
        {
            "en": "ISO week of ISO year|isoYearIsoWeek|ISO Year ISO Week",
            "fr": "Semaine ISO de l'année ISO",
            "zh": "ISO 年的 ISO 周|ISO 年中的 ISO 周|ISO 年的 ISO 週|ISO 年中的 ISO 週",
            "fa": "هفته ISO سال ISO",
        },
    ),
    "month_of_year": (
        "period",
        {
            "en": "Month|Month of the year",
            "fr": "Mois",
            "zh": "月|月份",
            "fa": "ماه",
        },
    ),
    "week_of_year": (
        "period",
        {
            "en": "Week|Week of the Year",
            "fr": "Semaine",
            "zh": "周|週",
            "fa": "هفته",
        },
    ),
    "iso_week": (
        "period",
        {
            "en": "ISO week of the year|isoWeek|ISO Week",
            "fr": "Semaine ISO de l'année|Semaine ISO",
            "zh": "一年中的 ISO 周|ISO 周|一年中的 ISO 週|ISO 週",
            "fa": "هفته ISO سال|هفته ISO",
        },
    ),
    "nth_week": (
        "period",
        {
            "en": "Nth week",
            "fr": "Nième semaine|N-ième semaine|Énième semaine|Ne semaine",
            "zh": "第 N 周|第 N 週",
            "fa": "هفته Nام|Nامین هفته|هفته N",
        },
    ),
    "nth_month": (
        "period",
        {
            "en": "Nth month",
            "fr": "Nième mois|N-ième mois|Énième mois|Ne mois",
            "zh": "第 N 个月|第 N 月|第 N 個月",
            "fa": "ماه Nام|Nامین ماه|ماه N",
        },
    ),
    "nth_year": (
        "period",
        {
            "en": "Nth year",
            "fr": "Nième année|N-ième année|Énième année|Ne année",
            "zh": "第 N 年",
            "fa": "سال Nام|Nامین سال|سال N",
        },
    ),
    "hour": (
        "dim",
        {"en": "Hour|Hour of Day", "fr": "Heure", "zh": "小时|小時", "fa": "ساعت"},
    ),
    "day_of_week": (
        "dim",
        {
            "en": "Day of week",
            "fr": "Jour de la semaine",
            "zh": "星期几|星期幾|一周中的日期|一週中的日期",
            "fa": "روز هفته",
        },
    ),
    "day_of_week_name": (
        "dim",
        {
            "en": "Day of week name",
            "fr": "Nom du jour de la semaine",
            "zh": "星期名称|星期名稱",
            "fa": "نام روز هفته",
        },
    ),
    "day_of_month": (
        "dim",
        {
            "en": "Day|Day of the month",
            "fr": "Jour|Jour du mois",
            "zh": "日|一个月中的日期|一個月中的日期",
            "fa": "روز|روز ماه",
        },
    ),
    "minute": (
        "dim",
        {"en": "Minute", "fr": "Minute", "zh": "分钟|分鐘", "fa": "دقیقه"},
    ),
}
