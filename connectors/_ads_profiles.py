"""The `ads` connector's export profiles: Google Ads (UI downloads, the UTF-16 "Excel" download,
API and BigQuery exports) and Meta Ads Manager, as data (not a plugin module).

Each platform's column roles (the headers that play each, any case, the first present wins), its
totals rule (Google: `Total: ...` rows, found by the reading layer; Meta: a summary row with every
name column empty), its currency rule (a code column, `Amount spent (EUR)` in the header, and the
marks in the amounts) and the campaign types the API writes as enums.
"""

from __future__ import annotations

import functools
import re

from kpiengine.fileformats.currency import ISO_CODES
from kpiengine.fileformats.rows import TOTAL_LABELS
from kpiengine.filesource import Profile

GOOGLE, META, MICROSOFT = "google_ads", "meta_ads", "microsoft_ads"
#: platform -> (value of the `platform` dimension, default `channel`)
PLATFORMS = {
    GOOGLE: ("Google Ads", "Paid Search"),
    META: ("Meta Ads", "Paid Social"),
    MICROSOFT: ("Microsoft Advertising", "Paid Search"),
}

#: Google Ads UI headers in the languages it writes them (German, French, Spanish, Italian,
#: Portuguese, Dutch), each as found in published exports and Google's help pages; a language's
#: header not listed here (not found) is named with `columns:`, which the error says how to do.
GOOGLE_LOCAL = {
    # Portuguese `Dia`, `Campanha`, `Tipo de campanha` and Dutch `Dag`, `Campagnetype` (its
    # `Campagne` is French's) are the words of Google Ads' interface in those languages (not
    # confirmed in a published download)
    "date": ("Tag", "Jour", "Día", "Giorno", "Dia", "Dag"),
    "campaign": ("Kampagne", "Campagne", "Campaña", "Campagna", "Campanha"),
    "campaign_type": ("Type de campagne", "Tipo de campaña", "Tipo de campanha", "Campagnetype"),
    # `Código de moneda` as a Spanish download names it (a public importer of Spanish Google Ads
    # reports maps it to `codigo_moneda`); the Italian, Portuguese and Dutch names are assumed
    # (the words Google's other products use), and any column of codes is the currency anyway
    # (`_ads_headers.with_codes`)
    "currency": (
        *("Währungscode", "Code de la devise", "Código de moneda", "Codice valuta"),
        *("Código da moeda", "Valutacode"),
    ),
    "impressions": (
        "Impressionen",
        "Impresiones",
        "Impressioni",
        "Impressões",
        "Vertoningen",
        "Verton.",
        "Vert.",  # Dutch, as the short `Impr.` (assumed, not confirmed in a download)
    ),  # fmt: skip
    "clicks": ("Klicks", "Clics", "Clic", "Cliques", "Klikken"),
    "cost": ("Kosten", "Coût", "Coste", "Costo", "Custo"),
    "conversions": ("Conversiones", "Conversioni", "Conversões", "Conversies"),
    "conversion_value": (
        "Conv.-Wert",
        "Valeur de conv.",
        "Valor de conv.",
        "Valor conv.",  # Portuguese, as Brazilian importers of the download name it
        "Valore conv.",
        "Conv.waarde",
        "Conversiewaarde",
    ),  # fmt: skip
}
#: A `Week` or `Month` segment's header in those languages (`PERIOD_HEADERS` tells its grain).
GOOGLE_PERIODS = ("Woche", "Semaine", "Semana", "Settimana", "Monat", "Mois", "Mes", "Mese",
                  "Maand", "Mês", "Quartal", "Trimestre", "Kwartaal")  # fmt: skip
_GOOGLE = {
    # a day; else the first day of a Week or Month segment (`_ads_spans`)
    "date": (
        "Day",
        "Date",
        "segments.date",
        "segments_date",
        "Week",
        "segments.week",
        "segments_week",
        "Month",
        "segments.month",
        "segments_month",
        "Quarter",
        "segments.quarter",
        "segments_quarter",
    ),
    "campaign": ("Campaign", "Campaign name", "campaign.name", "campaign_name"),
    "campaign_type": (
        "Campaign type",
        "campaign.advertising_channel_type",
        "campaign_advertising_channel_type",
    ),
    "currency": (
        "Currency code",
        "Currency",
        "customer.currency_code",
        "customer_currency_code",
    ),
    "impressions": ("Impr.", "Impressions", "metrics.impressions", "metrics_impressions"),
    "clicks": ("Clicks", "metrics.clicks", "metrics_clicks"),
    "cost": ("Cost", "metrics.cost_micros", "metrics_cost_micros"),
    "conversions": ("Conversions", "metrics.conversions", "metrics_conversions"),
    "conversion_value": (
        "Conv. value",
        "Conversion value",
        "Total conv. value",
        "metrics.conversions_value",
        "metrics_conversions_value",
    ),
}
#: Microsoft Advertising: the Reporting API's column names (`TimePeriod`, `CampaignName`, as
#: `CampaignPerformanceReportColumn` lists them; `GregorianDate` in older versions) and the
#: names the UI's report downloads show (`Gregorian date`, `Campaign name`, `Currency code`),
#: with the grid's short ones (`Impr.`, `Conv.`). `TimePeriod` holds a day, or the first day of
#: a week or month as `Report Aggregation:` says (`_ads_microsoft`).
_MICROSOFT = {
    "date": (
        "TimePeriod",
        "Time period",
        "GregorianDate",
        "Gregorian date",
        "Day",
        "Date",
        "Week",
        "Month",
        "Year",
    ),  # fmt: skip
    "campaign": ("CampaignName", "Campaign name", "Campaign"),
    "campaign_type": ("CampaignType", "Campaign type"),
    "currency": ("CurrencyCode", "Currency code", "Currency"),
    "impressions": ("Impressions", "Impr."),
    "clicks": ("Clicks",),
    "cost": ("Spend",),
    "conversions": ("Conversions", "Conv."),
    "conversion_value": ("Revenue",),
}
#: Meta's `Results` column (each campaign's own objective's results) in the languages Ads
#: Manager writes it, and the column telling their kind. English confirmed (`Results`, `Result
#: indicator`, `Result type`); German `Ergebnisse` confirmed in German Ads Manager guides
#: (`Kosten pro Ergebnis`); the others, and every localized kind column, are assumed (the words
#: Meta's localized help uses), so a file that names them otherwise is named with `columns:`,
#: which checks the kinds all the same (`_ads_config._results_kind`).
RESULTS = ("Results", "Ergebnisse", "Résultats", "Resultados", "Risultati", "Resultaten")
RESULT_TYPES = (
    *("Result type", "Result indicator", "Ergebnisindikator", "Ergebnistyp"),
    *("Indicateur de résultats", "Indicateur de résultat", "Type de résultat"),
    *("Indicador de resultados", "Indicador de resultado", "Tipo de resultado"),
    *("Indicatore del risultato", "Tipo di risultato", "Resultaatindicator", "Resultaattype"),
)
#: Meta Ads Manager's headers in its interface's languages, as public code reading its exports
#: names them: German `Tag`, `Kampagnenname`, `Impressionen`, `Link-Klicks`, `Ausgegebener Betrag
#: (EUR)`; French `Début des rapports`, `Fin des rapports`, `Nom de la campagne`, `Clics sur un
#: lien`, `Montant dépensé (EUR)`; Spanish `Día`, `Inicio del informe`, `Nombre de la campaña`,
#: `Impresiones`, `Clics en el enlace`, `Importe gastado (COP)`; Italian `Giorno`, `Nome della
#: campagna`, `Impression`, `Clic sul link`, `Importo speso (EUR)`; Portuguese `Dia`, `Início dos
#: relatórios`, `Encerramento dos relatórios`, `Nome da campanha`, `Impressões`, `Cliques no
#: link`, `Valor usado (BRL)`. Assumed (not found): German `Berichtsbeginn`/`Berichtsende`,
#: Spanish `Fin del informe`; a file naming them otherwise stops with a `columns:` block.
META_STARTS = ("Reporting starts", "Berichtsbeginn", "Début des rapports", "Inicio del informe",
               "Início dos relatórios")  # fmt: skip
META_ENDS = ("Reporting ends", "Berichtsende", "Fin des rapports", "Fin del informe",
             "Encerramento dos relatórios")  # fmt: skip
META_LOCAL = {
    "date": ("Tag", "Jour", "Día", "Giorno", "Dia", *META_STARTS[1:]),
    "campaign": (
        "Kampagnenname",
        "Nom de la campagne",
        "Nombre de la campaña",
        "Nome della campagna",
        "Nome da campanha",
    ),  # fmt: skip
    "impressions": ("Impressionen", "Impresiones", "Impression", "Impressões"),
    "clicks": (
        "Link-Klicks",
        "Clics sur un lien",
        "Clics en el enlace",
        "Clic sul link",
        "Cliques no link",
    ),  # fmt: skip
}
PROFILES = {
    GOOGLE: Profile(
        GOOGLE,
        {
            role: names + GOOGLE_LOCAL.get(role, ()) + (GOOGLE_PERIODS if role == "date" else ())
            for role, names in _GOOGLE.items()
        },
        totals="label",
        currency="column",
        day_first=None,  # the day/month order from the dates and the report's range, else asked
    ),
    META: Profile(
        META,
        {
            "date": ("Day", "Date", "Reporting starts", *META_LOCAL["date"]),
            "date_end": META_ENDS,
            "campaign": ("Campaign name", "Campaign", *META_LOCAL["campaign"]),
            "currency": ("Currency",),
            "impressions": ("Impressions", *META_LOCAL["impressions"]),
            "clicks": ("Link clicks", "Clicks (all)", "Clicks", *META_LOCAL["clicks"]),
            "cost": ("Amount spent",),  # and `Amount spent (EUR)`: see AMOUNT_SPENT
            "conversions": ("Results", "Purchases", "Conversions", *RESULTS[1:]),
            "conversion_value": (
                "Purchases conversion value",
                "Website purchases conversion value",
                "Purchase conversion value",
                "Conversion value",
            ),
            "result_type": RESULT_TYPES,
        },
        totals="summary",
        currency="header",
        day_first=None,  # the day/month order from the dates and the report's range, else asked
    ),
    MICROSOFT: Profile(
        MICROSOFT,
        _MICROSOFT,
        totals="label",  # a `Total` row above the copyright footer (the footer ends the table)
        currency="column",
        day_first=False,  # Microsoft writes the month first (`Report Time: 1/15/2024,1/31/2024`)
    ),
}
ROLES = (
    "date",
    "date_end",
    "campaign",
    "campaign_type",
    "currency",
    "impressions",
    "clicks",
    "cost",
    "conversions",
    "conversion_value",
    "result_type",
)
ALIASES = {"ad_spend": "cost", "spend": "cost", "ad_revenue": "conversion_value", "day": "date"}
METRICS = ("impressions", "clicks", "cost", "conversions", "conversion_value")
MONEY = ("cost", "conversion_value")
#: Metrics that count (whole numbers): `1.204` impressions say `,` is the decimal mark.
COUNTS = ("impressions", "clicks")
#: Meta summary rows: every name column empty.
META_NAMES = (
    *("campaign name", "ad set name", "ad name", *(n.lower() for n in META_LOCAL["campaign"])),
    *("name der anzeigengruppe", "anzeigenname", "nom de la publicité"),
    *("nombre del conjunto de anuncios", "nombre del anuncio", "nome del gruppo di inserzioni"),
    *("nome dell'inserzione", "nome dell’inserzione", "nome do conjunto de anúncios"),
    "nome do anúncio",
)
#: API enum values of campaign types, as the Google Ads UI writes them.
CAMPAIGN_TYPES = {
    "SEARCH": "Search",
    "DISPLAY": "Display",
    "SHOPPING": "Shopping",
    "VIDEO": "Video",
    "PERFORMANCE_MAX": "Performance Max",
    "DEMAND_GEN": "Demand Gen",
    "DISCOVERY": "Discovery",
    "MULTI_CHANNEL": "App",
    "SMART": "Smart",
    "HOTEL": "Hotel",
    "LOCAL": "Local",
    "LOCAL_SERVICES": "Local Services",
    "TRAVEL": "Travel",
}


def total_scope(label: str) -> str | None:
    """The scope of a totals row's label: what follows a totals word the reading layer knows in
    any language (`Total`, `Gesamt`, `合計`, `Yhteensä`, ...: `rows.TOTAL_LABELS`) and `:`
    (`Total: Account`, `Total : campagnes`, `合計: アカウント`); `""` for the word alone, None
    when the label starts with no totals word."""
    found = _total_label().match(label)
    return None if found is None else found.group(1) or ""


@functools.cache
def _total_label() -> re.Pattern[str]:  # compiled once, when a report has totals rows
    words = sorted(TOTAL_LABELS, key=len, reverse=True)
    spelt = ("[ \u00a0]+".join(map(re.escape, w.split(" "))) for w in words)
    return re.compile(
        rf"^\s*(?:{'|'.join(spelt)})\s*(?:[:：]\s*(.*?))?\s*(?:\([^()]*\))?\s*$", re.IGNORECASE
    )


#: The scope word of a whole account's total. Confirmed in public downloads or code reading
#: them: `Total: Account`, `Gesamt: Konto`, `Total : compte`, `Total: cuenta`, `合計: アカウント`
#: (a scraper of the Japanese campaigns table). Assumed: Italian and Dutch `account`, Portuguese
#: `conta`, Finnish `Tili`, and the word Google Analytics' own interface uses for an account in
#: Russian, Korean, Chinese and Persian/Arabic. A scope not listed is checked all the same
#: (`_ads_totals`: a total more than the rows is one of campaigns they do not hold).
ACCOUNT_TOTALS = (
    *("account", "konto", "compte", "cuenta", "conta", "アカウント", "tili", "аккаунт", "계정"),
    *("账号", "账户", "帳戶", "حساب"),
)
#: Totals of every row shown (as opposed to the whole account, filters included), and the
#: words that open a filter's total (`Total: All enabled campaigns`, `Gesamt: Alle außer
#: entfernte Anzeigen`, `Total : toutes les campagnes activées`).
SHOWN_TOTALS = (
    "",
    "all",
    "campaigns",
    "filtered campaigns",
    "kampagnen",
    "campagnes",
    "campañas",
    "campagne",
    "campanhas",
)
ALL_WORDS = ("all", "alle", "toutes", "tous", "todas", "todos", "tutte", "tutti")
#: How a campaign type's total names it: `Total: Search campaigns`, `Total : campagnes Search`.
CAMPAIGNS_WORDS = ("campaigns", "kampagnen", "campagnes", "campañas", "campagne", "campanhas")
#: Date columns that start a longer period than a day (Google Ads' `Week`, `Month`, ...
#: segments): a row may start before the report's range. Header (any case) -> grain.
PERIOD_HEADERS = {
    **dict.fromkeys(("week", "segments.week", "segments_week", "woche", "semaine"), "week"),
    **dict.fromkeys(("semana", "settimana"), "week"),
    **dict.fromkeys(("month", "segments.month", "segments_month", "monat", "mois"), "month"),
    **dict.fromkeys(("mes", "mese", "maand", "mês"), "month"),
    **dict.fromkeys(("quarter", "segments.quarter", "segments_quarter", "quartal"), "quarter"),
    **dict.fromkeys(("trimestre", "kwartaal"), "quarter"),
    **dict.fromkeys(("year", "segments.year", "segments_year", "jahr", "année"), "year"),
    **dict.fromkeys(("año", "anno", "jaar", "ano"), "year"),
}
#: A conversion segment's column (Google Ads' `Segment > Conversions > Conversion action`; the
#: API's fields): its rows hold conversions only, `--` for clicks, impressions and cost, which
#: belong to no conversion action. English and the API's confirmed; the others assumed. Lowercase.
CONVERSION_SEGMENTS = frozenset(
    {
        *("conversion action", "conversion name", "conversion category", "conversion source"),
        *("conversion action category", "conversion action name", "conversion tracker"),
        *("segments.conversion_action", "segments.conversion_action_name"),
        *("segments.conversion_action_category", "segments_conversion_action_name"),
        *("conversion-aktion", "action de conversion", "acción de conversión"),
        *("azione di conversione", "ação de conversão", "conversieactie"),
    }
)
AMOUNT_SPENT = re.compile(
    r"^(?:amount spent|ausgegebener betrag|montant dépensé|importe gastado|importo speso"
    r"|valor usado)"
    r"(?:\s*\(([A-Za-z]{3})\))?$",
    re.IGNORECASE,
)
#: A currency code closing a header in any language: `Montant dépensé (EUR)`, `Kosten (CHF)`.
HEADER_CODE = re.compile(r"\(([A-Z]{3})\)$")
CODE = re.compile(r"^[A-Z]{3}$")


def header_currency(header: str) -> str | None:
    """The currency a money column's header names (`Amount spent (eur)`, `Montant dépensé
    (EUR)`: an ISO 4217 code in capitals, in any language), else None."""
    english = AMOUNT_SPENT.match(header.strip())
    if english:
        return english.group(1).upper() if english.group(1) else None
    found = HEADER_CODE.search(header.strip())
    return found.group(1) if found and found.group(1) in ISO_CODES else None


def held_as(money: bool, column: str, other: str = "count") -> str:
    """What a metric's column holds: an amount (plain numbers in API micros), else `other`
    (a role's: clicks, impressions, conversions are counts; a mapping's: by its unit)."""
    if money:
        return "plain" if "micros" in column.lower() else "amount"
    return other


#: Headers only Microsoft's Reporting API writes (lowercase).
MICROSOFT_API = frozenset(
    {"timeperiod", "gregoriandate", "campaignname", "currencycode", "averagecpc", "adgroupname"}
)
#: The keys of the lines Microsoft writes before the header (`"Report Time: 1/1/2024,1/31/2024"`).
MICROSOFT_KEYS = frozenset({"report name", "report time", "report aggregation", "report filter"})


def detect_platform(columns: list[str], meta: dict[str, str] | None = None) -> str | None:
    """`google_ads`, `meta_ads` or `microsoft_ads` from a header row and the `key: value`
    lines before it (`meta`); None when it looks like none of them."""
    lowered = {c.strip().lower() for c in columns}
    starts = {n.lower() for n in META_STARTS}
    if lowered & starts or any(AMOUNT_SPENT.match(c.strip()) for c in columns):
        return META
    keys = {k.strip().lower() for k in meta or {}}
    if len(keys & MICROSOFT_KEYS) >= 2 or lowered & MICROSOFT_API:
        return MICROSOFT
    if "spend" in lowered and "cost" not in lowered and lowered & {"impressions", "impr."}:
        return MICROSOFT  # Microsoft's word for the cost (Google: `Cost`, Meta: `Amount spent`)
    if lowered & {"impr.", "currency code", "conv. value", "avg. cpc"}:
        return GOOGLE
    if any(c.startswith(("metrics.", "metrics_", "segments.", "segments_")) for c in lowered):
        return GOOGLE
    roles = PROFILES[GOOGLE].roles  # a campaign and its cost, in a language Google writes,
    # and no clicks or impressions Google does not write (a TikTok export's `Campaign name`,
    # `Cost` and `Clicks (destination)`)
    known = {n.lower() for names in roles.values() for n in names}
    other = any(c.startswith(("click", "impression")) and c not in known for c in lowered)
    if not other and all(lowered & {n.lower() for n in roles[r]} for r in ("campaign", "cost")):
        return GOOGLE
    return None
