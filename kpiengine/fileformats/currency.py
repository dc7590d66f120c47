"""Currency marks written in number cells, and what each says about the currency.

A number cell may carry a currency before or after it (`US$50.00`, `1.234,50 €`, `EUR 12`): the
number grammar records it so that a connector can check it against the workspace currency. A
mark names one currency (`€`, `US$`, `R$`, an ISO 4217 code) or several (`$`, `¥`, `kr`), and
then the mark itself is recorded: `currency_fits("$", "CAD")` is true, `currency_fits("$",
"EUR")` false.

The marks are CLDR's currency symbols (as Babel gives them for the locales marketing exports
come in: en, fr, de, es, it, nl, pt, sv, nb, da, pl, cs, hu, tr, ru, uk, ja, zh, ko, fa, hi,
with their regional variants), written out here rather than computed, so that importing the
module stays cheap and the grammar does not change with the installed Babel. Marks holding
characters of the number grammar itself (digits, `.`, `,`, spaces, signs) are left out.
"""

from __future__ import annotations

__all__ = [
    "AMBIGUOUS",
    "ISO_CODES",
    "SYMBOLS",
    "THREE_DECIMALS",
    "currency_fits",
    "currency_marks",
]

#: Current ISO 4217 codes (CLDR's tender currencies of every territory, 2025).
_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
    UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG
"""
ISO_CODES = frozenset(_CODES.split())
#: The currencies whose amounts have three decimals (ISO 4217's minor unit; CLDR, and so Babel,
#: writes the Iraqi dinar without decimals, but a file may follow ISO): `123.450` dinars are
#: as likely 123.45 as 123450, where two-decimal amounts never put three digits after the mark.
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})

#: Symbols that name one currency -> its ISO code.
SYMBOLS: dict[str, str] = {
    **dict.fromkeys(("US$", "$US"), "USD"),
    **dict.fromkeys(("CA$", "$CA"), "CAD"),
    **dict.fromkeys(("AU$", "A$", "$AU"), "AUD"),
    **dict.fromkeys(("NZ$", "$NZ"), "NZD"),
    **dict.fromkeys(("HK$", "$HK"), "HKD"),
    **dict.fromkeys(("S$", "$SG"), "SGD"),
    **dict.fromkeys(("MX$", "$MX"), "MXN"),
    "NT$": "TWD",
    "R$": "BRL",
    "€": "EUR",
    **dict.fromkeys(("£", "UK£", "£GB"), "GBP"),
    "₹": "INR",
    "₩": "KRW",
    "₪": "ILS",
    "₫": "VND",
    "₱": "PHP",
    "₴": "UAH",
    "₺": "TRY",
    "₽": "RUB",
    "฿": "THB",
    "₦": "NGN",
    **dict.fromkeys(("元", "CN¥", "¥CN", "人民币"), "CNY"),
    **dict.fromkeys(("円", "JP¥"), "JPY"),
    "zł": "PLN",
    "Kč": "CZK",
    "Ft": "HUF",
    "R": "ZAR",
    "Rp": "IDR",
    "ریال": "IRR",
    # a toman is ten rials: recorded apart (not ISO) so that it never passes for IRR
    "تومان": "IRT",
}

#: Symbols that several currencies use -> the ISO codes they may stand for.
AMBIGUOUS: dict[str, frozenset[str]] = {
    "$": frozenset(
        ["USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD", "ARS", "CLP", "COP", "UYU"]
    ),
    "C$": frozenset({"CAD", "NIO"}),
    "¥": frozenset({"JPY", "CNY"}),
    "kr": frozenset({"SEK", "NOK", "DKK", "ISK"}),
    "Rs": frozenset({"INR", "PKR", "LKR", "NPR", "MUR", "SCR"}),
    "﷼": frozenset({"IRR", "SAR", "OMR", "QAR", "YER"}),
}


def currency_marks() -> list[str]:
    """Every mark the number grammar accepts before or after a number."""
    return sorted({*ISO_CODES, *SYMBOLS, *AMBIGUOUS})


def recorded(mark: str) -> str:
    """What a number records for a mark: an ISO code, or the mark when it names several."""
    return SYMBOLS.get(mark, mark)


def currency_fits(found: str, code: str) -> bool:
    """Whether a recorded currency (an ISO code or an ambiguous mark) can be `code`."""
    code = code.upper()
    return found == code or code in AMBIGUOUS.get(found, ())
