"""The labels that mark totals rows, one list for every reader, and the pattern they make.

A totals row is told by the label in its first field (`Total`, `Grand total`, `Total: Account`,
`Total général`, `Grand Totals (16 records)`, `Gesamtsummen (5 Datensätze)`, `总计`, `مجموع` ...),
one pattern for Python and SQL. `SUBTOTAL_LABELS`, among them, total a group's rows rather than
the file's: a check of a grand total against the rows leaves them aside. The sniff (`rows`),
the `csv` connector's totals checks and the `crm` connector's summary rows all read these lists,
so that a row one of them leaves out is one the others know.
"""

from __future__ import annotations

from .sql import (
    WHITESPACE,
    alternatives,
    anchored,
    char_class,
    column_sql,
    full_regex,
    quote_text,
    spelt,
)

__all__ = [
    "SUBTOTAL_LABELS",
    "TOTAL_LABELS",
    "TOTAL_PATTERN",
    "is_total_label",
    "total_label_sql",
]

#: Labels of a group's totals rows (any case), in the main languages of the platforms' UIs.
SUBTOTAL_LABELS = (
    *("subtotal", "subtotals", "sub-total", "sub total", "sous-total", "sous-totaux"),
    *("zwischensumme", "zwischensummen", "teilsumme", "subtotale", "subtotaal", "delsumma"),
    *("ara toplam", "mezisoučet", "suma częściowa", "промежуточный итог", "小计", "小計", "소계"),
    *("المجموع الفرعي", "جمع جزء"),
)
#: First-field labels of totals rows, as the platforms write them in their UI languages (any
#: case); also `label: scope` (`Total: Account`, `Total : campagnes`, `Gesamt: Kampagnen`)
#: and a count of records (`Grand Totals (16 records)`, as Salesforce writes, in its languages:
#: `Gesamtsummen (16 Datensätze)`, `Totaux généraux (16 enregistrements)` ...).
TOTAL_LABELS = (
    *("total", "totals", "grand total", "total général", "totaux", "total general", "totales"),
    *("total geral", "totale", "totale generale", "totale complessivo", "totaal", "eindtotaal"),
    *("gesamt", "gesamtsumme", "gesamtergebnis", "summe", "totalt", "summa", "suma", "razem"),
    *("celkem", "итого", "всего", "общий итог", "toplam", "genel toplam", "tổng cộng"),
    *("总计", "合计", "總計", "合計", "總和", "合计值", "総計", "総合計", "총계", "합계"),
    *("مجموع", "جمع", "جمع کل", "مجموع کل", "جمع كل", "مجموع كل", "الإجمالي", "المجموع"),
    *("grand totals", "gesamtsummen", "totaux généraux", "totales generales", "totais gerais"),
    *("totali complessivi", *SUBTOTAL_LABELS),
    # the other languages of the GA and Google Ads interfaces
    *("i alt", "i alt i alt", "yhteensä", "kaikki yhteensä", "σύνολο", "γενικό σύνολο"),
    *("összesen", "mindösszesen", "kokku", "kopā", "iš viso", "ukupno", "sveukupno", "skupaj"),
    *("spolu", "celkom", "общо", "усього", "разом", "укупно", "סה״כ", 'סה"כ', "סך הכל"),
    *("รวม", "ผลรวม", "jumlah", "jumlah keseluruhan", "kabuuan", "कुल", "कुल योग", "sumă"),
)


def _label(text: str) -> str:
    return "[ \u00a0]+".join(spelt(w) for w in text.split(" "))  # any case: `Итого`, `TOTAL`


_WS = char_class(WHITESPACE) + "*"
TOTAL_PATTERN = (
    f"{_WS}{alternatives([_label(t) for t in TOTAL_LABELS])}(?:[ \u00a0]*[:：][^\n\r]*)?"
    f"(?:[ \u00a0]*\\([^()\n\r]*\\))?{_WS}"
)

#: the characters a totals label can start with, in either case: most cells start otherwise, and
#: are told apart without compiling the pattern or matching it (a reader tests every row)
_FIRST_CHARS = frozenset(
    f
    for label in TOTAL_LABELS
    for f in (label[0], label[0].lower(), label[0].upper())
    if len(f) == 1
)


def is_total_label(text: str) -> bool:
    """Whether a first field marks a totals row (`Total`, `Total: Account`, `总计` ...)."""
    if text.lstrip(WHITESPACE)[:1] not in _FIRST_CHARS:
        return False
    return full_regex(TOTAL_PATTERN).fullmatch(text) is not None


def total_label_sql(column: str) -> str:
    """SQL true where the cell is a totals label (`is_total_label`)."""
    pattern = quote_text(anchored(TOTAL_PATTERN))
    return f"coalesce(regexp_full_match({column_sql(column)}, {pattern}), FALSE)"
