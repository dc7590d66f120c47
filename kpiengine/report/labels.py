"""The report's own words in every supported locale; a missing translation falls back to English."""

from __future__ import annotations

from collections.abc import Callable

LOCALES = ("en", "fr", "zh-Hans", "zh-Hant", "fa")
RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})

# key -> (en, fr, zh-Hans, zh-Hant, fa); `{name}` placeholders are filled by `label()`.
_TABLE: dict[str, tuple[str, ...]] = {
    "report_title": (
        "KPI report",
        "Rapport des indicateurs",
        "关键绩效指标报告",
        "關鍵績效指標報告",
        "گزارش شاخص‌های کلیدی عملکرد",
    ),
    "period": ("Period", "Période", "期间", "期間", "دوره"),
    "data_range": ("Data", "Données", "数据", "資料", "داده‌ها"),
    "generated_at": ("Generated", "Généré le", "生成时间", "產生時間", "زمان تهیه"),
    "sources": ("Sources", "Sources", "数据来源", "資料來源", "منابع داده"),
    "source_failed": ("failed", "en échec", "失败", "失敗", "ناموفق"),
    "no_sources": (
        "No sources recorded",
        "Aucune source enregistrée",
        "没有记录数据来源",
        "沒有記錄資料來源",
        "منبعی ثبت نشده است",
    ),
    "contents": ("Contents", "Sommaire", "目录", "目錄", "فهرست"),
    "scorecard": ("Scorecard", "Tableau de bord", "记分卡", "計分卡", "کارنامه"),
    "kpi": ("KPI", "Indicateur", "指标", "指標", "شاخص"),
    "kpis": ("KPIs", "Indicateurs", "指标详情", "指標詳情", "شاخص‌ها"),
    "kpis_count": ("{n} KPIs", "{n} indicateurs", "{n} 项指标", "{n} 項指標", "{n} شاخص"),
    "value": ("Value", "Valeur", "数值", "數值", "مقدار"),
    "target": ("Target", "Objectif", "目标", "目標", "هدف"),
    "gap": ("Gap", "Écart", "差距", "差距", "فاصله"),
    "gap_to_target": (
        "Gap to target",
        "Écart à l'objectif",
        "与目标的差距",
        "與目標的差距",
        "فاصله تا هدف",
    ),
    "status": ("Status", "Statut", "状态", "狀態", "وضعیت"),
    "vs_previous": ("vs previous", "vs précédente", "环比", "較上期", "نسبت به دوره قبل"),
    "vs_last_year": ("vs last year", "vs an dernier", "同比", "較去年同期", "نسبت به پارسال"),
    "trend_n": (
        "Last {n} periods",
        "{n} dernières périodes",
        "最近 {n} 期",
        "最近 {n} 期",
        "{n} دوره اخیر",
    ),
    "on_track": ("On track", "En bonne voie", "达标", "達標", "در مسیر هدف"),
    "at_risk": ("At risk", "À risque", "有风险", "有風險", "در معرض خطر"),
    "off_track": ("Off track", "Hors trajectoire", "未达标", "未達標", "دور از هدف"),
    "no_target": ("No target", "Sans objectif", "无目标", "無目標", "بدون هدف"),
    "undefined": ("Undefined", "Non défini", "未定义", "未定義", "نامعین"),
    "definition": ("Definition", "Définition", "定义", "定義", "تعریف"),
    "formula": ("Formula", "Formule", "公式", "公式", "فرمول"),
    "unit": ("Unit", "Unité", "单位", "單位", "واحد"),
    "direction": ("Direction", "Sens", "方向", "方向", "جهت مطلوب"),
    "higher": (
        "Higher is better",
        "Plus élevé est meilleur",
        "越高越好",
        "越高越好",
        "بیشتر بهتر است",
    ),
    "lower": ("Lower is better", "Plus bas est meilleur", "越低越好", "越低越好", "کمتر بهتر است"),
    "none": (
        "No preferred direction",
        "Pas de sens préféré",
        "无偏好方向",
        "無偏好方向",
        "بدون جهت مطلوب",
    ),
    "depends_on": ("Depends on", "Dépend de", "依赖于", "依賴於", "وابسته به"),
    "trend": ("Trend and target", "Tendance et objectif", "趋势与目标", "趨勢與目標", "روند و هدف"),
    "breakdown": (
        "Breakdown by {dims}",
        "Répartition par {dims}",
        "按{dims}细分",
        "按{dims}細分",
        "تفکیک بر اساس {dims}",
    ),
    "no_breakdown": (
        "No breakdown: evaluate with --by to compare segments.",
        "Pas de répartition : évaluez avec --by pour comparer les segments.",
        "无细分：使用 --by 评估以比较各细分。",
        "無細分：使用 --by 評估以比較各區隔。",
        "بدون تفکیک: برای مقایسهٔ بخش‌ها با ‎--by‎ ارزیابی کنید.",
    ),
    "segment": ("Segment", "Segment", "细分", "區隔", "بخش"),
    "total": ("Total", "Total", "合计", "合計", "کل"),
    "kpi_findings": ("Pitfalls", "Pièges", "注意事项", "注意事項", "نکات احتیاطی"),
    "no_kpi_findings": (
        "No pitfalls found for this KPI.",
        "Aucun piège détecté pour cet indicateur.",
        "此指标未发现问题。",
        "此指標未發現問題。",
        "برای این شاخص مشکلی یافت نشد.",
    ),
    "findings": ("Findings", "Constats", "发现的问题", "發現的問題", "یافته‌ها"),
    "no_findings": (
        "No definitional or data pitfalls were found.",
        "Aucun piège de définition ou de données n'a été détecté.",
        "未发现定义或数据方面的问题。",
        "未發現定義或資料方面的問題。",
        "هیچ مشکلی در تعریف‌ها یا داده‌ها یافت نشد.",
    ),
    "error": ("Error", "Erreur", "错误", "錯誤", "خطا"),
    "warning": ("Warning", "Avertissement", "警告", "警告", "هشدار"),
    "info": ("Note", "Remarque", "提示", "提示", "نکته"),
    "fix": ("How to fix", "Correction", "修复方法", "修正方法", "راه‌حل"),
    "where": ("Where", "Emplacement", "位置", "位置", "محل"),
    "appendix": (
        "Appendix: definitions",
        "Annexe : définitions",
        "附录：定义",
        "附錄：定義",
        "پیوست: تعریف‌ها",
    ),
    "variables": (
        "Input variables",
        "Variables d'entrée",
        "输入变量",
        "輸入變數",
        "متغیرهای ورودی",
    ),
    "variable": ("Variable", "Variable", "变量", "變數", "متغیر"),
    "aggregate": ("Aggregation", "Agrégation", "汇总方式", "彙總方式", "روش تجمیع"),
    "defined_at": ("Defined at", "Défini dans", "定义位置", "定義位置", "محل تعریف"),
    "notes": ("Notes", "Remarques", "说明", "說明", "یادداشت‌ها"),
    "undefined_notes": (
        "Why some values are undefined",
        "Pourquoi certaines valeurs ne sont pas définies",
        "部分数值未定义的原因",
        "部分數值未定義的原因",
        "چرا برخی مقادیر نامعین‌اند",
    ),
    "not_comparable": (
        "Not comparable: a value is missing or zero",
        "Non comparable : une valeur manque ou est nulle",
        "无法比较：数值缺失或为零",
        "無法比較：數值缺失或為零",
        "قابل مقایسه نیست: یک مقدار موجود نیست یا صفر است",
    ),
    "actual": ("Actual", "Réalisé", "实际", "實際", "واقعی"),
    "generated_by": (
        "Generated by kpiengine {version}",
        "Généré par kpiengine {version}",
        "由 kpiengine {version} 生成",
        "由 kpiengine {version} 產生",
        "تهیه‌شده با kpiengine {version}",
    ),
    "points": ("pp", "pts", "个百分点", "個百分點", "واحد درصد"),
    "week": ("Week {w}, {y}", "Semaine {w}, {y}", "{y}年第{w}周", "{y}年第{w}週", "هفتهٔ {w}، {y}"),
    "chart_trend": (
        "{title}: last {n} periods against the target",
        "{title} : {n} dernières périodes, comparées à l'objectif",
        "{title}：最近 {n} 期与目标对比",
        "{title}：最近 {n} 期與目標對比",
        "{title}: {n} دورهٔ اخیر در برابر هدف",
    ),
    "chart_bars": (
        "{title} by {dims}",
        "{title} par {dims}",
        "按{dims}划分的{title}",
        "按{dims}劃分的{title}",
        "{title} بر اساس {dims}",
    ),
    "no_values": (
        "No value can be computed for these periods.",
        "Aucune valeur ne peut être calculée pour ces périodes.",
        "这些期间无法计算任何数值。",
        "這些期間無法計算任何數值。",
        "برای این دوره‌ها هیچ مقداری قابل محاسبه نیست.",
    ),
    "colon": (":", "\u202f:", "：", "：", ":"),
    "summary": ("Summary", "Synthèse", "概览", "概覽", "خلاصه"),
    "top_drivers": (
        "Top drivers",
        "Principaux leviers",
        "主要驱动因素",
        "主要驅動因素",
        "مهم‌ترین عوامل اثرگذار",
    ),
    "drivers_help": (
        "Effect of {one} in one input, the others unchanged",
        "Effet de {one} sur une entrée, les autres inchangées",
        "单个输入变动 {one}（其他不变）的影响",
        "單一輸入變動 {one}（其他不變）的影響",
        "اثر تغییر {one} در یک ورودی، با ثابت ماندن بقیه",
    ),
    "driver_effect": (
        "If {input} changes by {one}, {kpi} changes by {effect}",
        "Si {input} varie de {one}, {kpi} varie de {effect}",
        "{input} 变动 {one} 时，{kpi} 变动 {effect}",
        "{input} 變動 {one} 時，{kpi} 變動 {effect}",
        "اگر {input} به اندازهٔ {one} تغییر کند، {kpi} به اندازهٔ {effect} تغییر می‌کند",
    ),
    "no_drivers": (
        "No driver can be computed: the value is undefined in this period.",
        "Aucun levier n'est calculable : la valeur n'est pas définie pour cette période.",
        "无法计算驱动因素：本期数值未定义。",
        "無法計算驅動因素：本期數值未定義。",
        "عوامل اثرگذار قابل محاسبه نیستند: مقدار در این دوره نامعین است.",
    ),
    "change_since": (
        "Change since {period}",
        "Évolution depuis {period}",
        "自{period}以来的变化",
        "自{period}以來的變化",
        "تغییر از {period}",
    ),
    "chart_waterfall": (
        "{title}: from {start} to {end}, each input's contribution",
        "{title} : de {start} à {end}, contribution de chaque entrée",
        "{title}：从{start}到{end}，各输入的贡献",
        "{title}：從{start}到{end}，各輸入的貢獻",
        "{title}: از {start} تا {end}، سهم هر ورودی",
    ),
    "contributions_table": (
        "Contributions as a table",
        "Contributions sous forme de tableau",
        "贡献明细表",
        "貢獻明細表",
        "جدول سهم ورودی‌ها",
    ),
    "no_input_changed": (
        "No input changed.",
        "Aucune entrée n'a changé.",
        "没有输入发生变化。",
        "沒有輸入發生變化。",
        "هیچ ورودی‌ای تغییر نکرد.",
    ),
    "input": ("Input", "Entrée", "输入", "輸入", "ورودی"),
    "contribution": ("Contribution", "Contribution", "贡献", "貢獻", "سهم"),
    "to_reach_target": (
        "To reach the target",
        "Pour atteindre l'objectif",
        "达成目标所需",
        "達成目標所需",
        "برای رسیدن به هدف",
    ),
    "needs_help": (
        "The value each input alone would need in {period} for {kpi} to reach {target}, "
        "the others unchanged.",
        "La valeur que chaque entrée devrait prendre seule en {period} pour que {kpi} "
        "atteigne {target}, les autres inchangées.",
        "{period}，在其他输入不变时，单个输入需达到多少才能使{kpi}达到{target}。",
        "{period}，在其他輸入不變時，單一輸入需達到多少才能使{kpi}達到{target}。",
        "مقداری که هر ورودی به‌تنهایی در {period} لازم دارد تا {kpi} به {target} برسد، "
        "با ثابت ماندن بقیه.",
    ),
    "current": ("Now", "Actuel", "当前", "目前", "فعلی"),
    "needed": ("Needed", "Nécessaire", "所需", "所需", "لازم"),
    "change": ("Change", "Variation", "变化", "變化", "تغییر"),
    "feasible": ("Feasible", "Réalisable", "可行", "可行", "شدنی"),
    "feasible_yes": ("Yes", "Oui", "是", "是", "بله"),
    "feasible_no": ("No", "Non", "否", "否", "خیر"),
    "no_solution": (
        "No value of this input alone reaches the target.",
        "Aucune valeur de cette seule entrée n'atteint l'objectif.",
        "仅调整此输入无法达成目标。",
        "僅調整此輸入無法達成目標。",
        "هیچ مقداری از این ورودی به‌تنهایی به هدف نمی‌رسد.",
    ),
}

_INDEX = {locale: i for i, locale in enumerate(LOCALES)}


def language_index(locale: str) -> int:
    """The column of `locale` in the label table: exact, then by language, else English (0)."""
    if locale in _INDEX:
        return _INDEX[locale]
    language = locale.replace("_", "-").split("-")[0]
    if language == "zh":
        traditional = any(part in locale for part in ("Hant", "TW", "HK", "MO"))
        return _INDEX["zh-Hant" if traditional else "zh-Hans"]
    return _INDEX.get(language, 0)


def label(key: str, locale: str = "en", **values: object) -> str:
    """The label `key` in `locale` (English when untranslated), with `{name}` filled in."""
    try:
        texts = _TABLE[key]
    except KeyError:
        raise KeyError(f"the report has no label `{key}`") from None
    index = language_index(locale)
    text = texts[index] if index < len(texts) and texts[index] else texts[0]
    return text.format(**values) if values else text


def labeller(locale: str, number: Callable[[object], str]) -> Callable[..., str]:
    """`_(key, **values)` for templates: integer values are written in the locale's digits."""

    def translate(key: str, **values: object) -> str:
        shown = {
            k: number(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in values.items()
        }
        return label(key, locale, **shown)

    return translate


def keys() -> list[str]:
    """Every label key (for tests)."""
    return list(_TABLE)


def is_rtl(locale: str) -> bool:
    """True when `locale` is written right to left."""
    return locale.replace("_", "-").split("-")[0] in RTL_LANGUAGES
