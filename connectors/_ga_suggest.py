"""The English header offered for a header `ga_export` does not know (not a plugin module).

The `headers:` block an unrecognised header's error suggests, and the `did you mean` of a
`headers:` entry naming no GA header (its column's cells read by `_ga_file.sampled`), offer a GA
header only on evidence that it is the same metric, else `"?"` (nothing): a wrong guess pasted
in would read a rate as a count.
- The kind words of the two headers are the same: a rate's (`rate`, `%`, `taux`, `tasso`, `率`),
  a time's (`time`, `duration`, `dauer`, `tijd`), an amount's (`revenue`, `umsatz`, `opbrengst`,
  `entrate`, `收入`), a quotient's (`per`, `/`, `avg.`, `moyenne`, `gemiddelde`, `每`), in GA's
  UI languages; a word ending in one counts (`Bouncepercentage`), and so does one a letter off
  (`rat`, `Duraton`). The cells add theirs: percentages a rate's, `00:01:23` a time's, a
  currency mark an amount's. So `Completion rate` is offered no count (`Goal
  Completions`), and only a GA rate, amount or time is offered for a header telling one.
- Cells that are all numbers are offered no dimension (but a period, `Nth day`, hour, minute
  or day of week or month for digits of one width: `202406`, `0001`, `07`), cells of text no
  metric; days (`20240601`, `2024-06-01`) only a date.
- The words beside the kind words are spelt alike (difflib's ratio at least 0.6, as
  `errors.did_you_mean`), headers compared as `header_key` compares them: `Abandonment rate`
  is not `Engagement rate`, the `rate` they share set aside. Two GA fields as close: none.
- A header telling no kind (no kind word, cells of plain numbers or none) is compared whole
  with the GA headers telling none either (counts, users, dimensions), and offered the
  closest unless, short of a letter or two off (ratio 0.85), a GA header telling a kind is
  almost as close (within 0.1): `Totale omzetting` may be `Total users` or `Total revenue`.
- A GA header spelt almost alike as a whole (ratio at least 0.9: `Bounce rat`) is offered
  whatever the words, unless the cells or kind words tell another kind.
The GA headers offered are the English ones `_ga_headers.FIELDS` lists (each field by its
first name, as `headers:` and its error name them), the variants of each compared too.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from typing import NamedTuple

from kpiengine.errors import suggestion
from kpiengine.fileformats import CellError, is_missing, parse_duration, read_number

from ._ga_headers import ENGLISH, FIELDS, KIND, METADATA, NUMBER_KINDS, header_key

CUTOFF = 0.6
CLOSE = 0.9  # a GA header spelt this alike as a whole is offered whatever the words
MARGIN = 0.1  # a header telling no kind: another kind this close makes it ambiguous...
SURE = 0.85  # ...unless it is this close (a letter or two off)
#: kind -> its words (GA's UI languages: en, fr, de, es, it, pt, nl); a word ending in one
#: of 4 letters or more counts too (`Bouncepercentage`)
_WORDS = {
    "rate": "rate rates percent percentage porcentaje percentuale percentagem prozentsatz "
    "taux tasa taxa tasso quote",
    "time": "time duration durée temps tiempo duración durata duração tempo dauer zeit tijd duur",
    "money": "revenue revenues value revenu revenus recettes valeur affaires ingreso ingresos "
    "valor receita receitas faturamento entrate ricavi fatturato valore umsatz umsätze "
    "einnahmen erlös erlöse wert opbrengst opbrengsten omzet inkomsten waarde",
    # not `medio`, `média`: a letter off `Medio`, `Mídia`, Session medium in es and pt
    "quotient": "per par por pro avg moy gem average moyenne moyen promedio durchschnitt "
    "durchschnittlich durchschnittliche gemiddeld gemiddelde",
}
#: kind -> its signs, and its words in scripts without spaces: found anywhere in a header
_SIGNS = {
    "rate": "% 率 占比 نرخ درصد",
    "time": "时长 時間 时间 مدت زمان",
    "money": "收入 收益 价值 價值 درآمد ارزش",
    "quotient": "/ 每 平均 میانگین",
}
_TOKENS = re.compile(r"[^\W_]+", re.UNICODE)
#: the GA kinds the kind words tell: a header of a rate says `rate`, and one saying it is a rate
_TOLD = {"rate": "rate", "money": "money", "duration": "time"}
#: a day as GA writes it (`Date`, `Date + hour`, `Date hour and minute`), or an ISO day
_DAY = re.compile(r"(\d{4})(\d\d)(\d\d)(?:\d\d){0,2}|(\d{4})-(\d\d)-(\d\d)")
#: fields of no metric whose cells are digits of one width (`202406`, `0001`, hour `07`)
_NUMBERED = ("hour", "minute", "day_of_week", "day_of_month")


def _kind_of(word: str) -> tuple[str, str] | None:
    """(the kind a word marks, what is left of it) or None: a kind word (`entrate`), a word
    ending in one of 4 letters or more (`bouncepercentage`: rate, bounce), or a word of 3
    letters or more a letter off one of 4 or more and off no other word of a GA header
    (`rat`, `duraton`; `dates` is `date`'s, not `rates`, `rane` `range`'s, not `rate`)."""
    marks = [(kind, mark) for kind, words in _WORDS.items() for mark in words.split()]
    for kind, mark in marks:
        if word == mark:
            return kind, ""
    for kind, mark in marks:
        if len(mark) >= 4 and word.endswith(mark):
            return kind, word[: -len(mark)]
    if any(word == other or _one_off(word, other) for other in _vocabulary()):
        return None  # as near a word of a GA header (`rane`: `range`, not `rate`)
    for kind, mark in marks:
        if len(mark) >= 4 and len(word) >= 3 and _one_off(word, mark):
            return kind, ""
    return None


@cache
def _vocabulary() -> frozenset[str]:
    """The words of the English GA headers that are no kind word (`range`, `sessions`)."""
    marks = {mark for words in _WORDS.values() for mark in words.split()}
    words = (w for _, names in FIELDS.values() for w in _TOKENS.findall(names["en"].casefold()))
    return frozenset(words) - marks


def _one_off(a: str, b: str) -> bool:
    """Whether `a` is `b` but for one letter left out, added, changed or two swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = a[i + 1 : i + 2] + a[i : i + 1] == b[i : i + 2]
        return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])
    return a[i + 1 :] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1 :]


def _marks(text: str) -> tuple[frozenset[str], str]:
    """(the kinds a header's words mark, the rest of its text as `header_key` compares it)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kinds: set[str] = set()
    for kind, signs in _SIGNS.items():
        for sign in signs.split():
            if sign in folded:
                kinds.add(kind)
                folded = folded.replace(sign, " ")
    rest = []
    for word in _TOKENS.findall(folded):
        found = _kind_of(word)
        if found is not None:
            kinds.add(found[0])
        rest.append(word if found is None else found[1])
    return frozenset(kinds), header_key(" ".join(rest))


class _Candidate(NamedTuple):
    field: str
    kinds: frozenset[str]  # its kind words'
    rest: str  # its name without them
    whole: str  # its name, as `header_key` compares


@cache
def _candidates() -> tuple[_Candidate, ...]:
    """Every English GA header listed, each variant of a field."""
    out = []
    for name, (_, names) in FIELDS.items():
        for header in names["en"].split("|"):
            kinds, rest = _marks(header)
            out.append(_Candidate(name, kinds, rest, header_key(header)))
    return tuple(out)


class _Shown(NamedTuple):
    kinds: frozenset[str]  # the kinds the cells show (`%`: rate, `00:01:23`: time...)
    numeric: bool | None  # numbers, text, or None when they do not tell
    dated: bool  # days (`20240601`): a date, never a number
    padded: bool  # digits of one width (`202406`, `0001`, hour `07`): maybe a time dimension


def _day(cell: str) -> bool:
    found = _DAY.fullmatch(cell)
    if found is None:
        return False
    year, month, day = [int(g) for g in found.groups() if g is not None][:3]
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _number(cell: str, decimal: str) -> tuple[bool, bool]:
    """(is it a percentage, is it an amount) of a number cell, read with the file's decimal
    mark or, as an unknown language's may be the other (`70,17%`), that one (CellError when
    neither reads it)."""
    try:
        number = read_number(cell, decimal)
    except CellError:
        number = read_number(cell, "," if decimal == "." else ".")
    return number.percent, number.currency is not None


def _shown(cells: Iterable[str], decimal: str) -> _Shown:
    """What the cells tell of their column's kind."""
    kinds: set[str] = set()
    numbers, texts, days = 0, 0, 0
    widths = set()  # of the cells of digits only, None for the others
    for cell in (c.strip() for c in cells):
        if not cell or is_missing(cell):
            continue
        if _day(cell):
            days += 1
            continue
        try:
            if ":" in cell:
                parse_duration(cell, decimal)
                kinds.add("time")
            else:
                percent, amount = _number(cell, decimal)
                if percent:
                    kinds.add("rate")
                if amount:
                    kinds.add("money")
            numbers += 1
            widths.add(len(cell) if cell.isdigit() else None)
        except (CellError, ValueError):
            texts += 1
    if days and not numbers and not texts:
        return _Shown(frozenset(), False, True, False)
    if numbers and texts or days:
        return _Shown(frozenset(), None, False, False)  # a mixed column tells nothing
    numeric = bool(numbers) if numbers or texts else None
    return _Shown(frozenset(kinds), numeric, False, len(widths) == 1 and None not in widths)


def _best(scores: dict[str, float]) -> str | None:
    """The field of the top score, None when none or two are top."""
    if not scores:
        return None
    top = max(scores.values())
    names = [n for n, r in scores.items() if r == top]
    return names[0] if len(names) == 1 else None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _fits(field: str, shown: _Shown, kinds: frozenset[str] | None) -> bool:
    """Whether a GA field is not of another kind than the cells show and, unless None, the
    `kinds` told (a rate's, an amount's and a time's are told by words or cells)."""
    kind = KIND[field]
    if shown.dated and kind != "date":
        return False
    numbered = shown.padded and (kind in ("period", "nth_day") or field in _NUMBERED)
    if shown.numeric is True and not (kind in NUMBER_KINDS or numbered):
        return False
    if shown.numeric is False and kind in NUMBER_KINDS:
        return False
    return kinds is None or all((k in kinds) == (kind == g) for g, k in _TOLD.items())


def suggested(header: str, cells: Sequence[str] = (), decimal: str = ".") -> str | None:
    """The English GA header to offer for `header` (its column's sampled `cells`, numbers
    written with `decimal`), None when none is the same metric (see the module)."""
    kinds, rest = _marks(header)
    shown = _shown(cells, decimal)
    kinds |= shown.kinds
    whole = header_key(header)
    # a GA header spelt almost alike as a whole is never lost to a misspelt kind word
    close: dict[str, float] = {}
    told = kinds if kinds & set(_TOLD.values()) else None  # a header telling none: any kind
    for c in _candidates():
        if _fits(c.field, shown, told) and (ratio := _ratio(whole, c.whole)) >= CLOSE:
            close[c.field] = max(close.get(c.field, 0.0), ratio)
    if close:
        return _english(_best(close))
    if not kinds and not shown.dated and shown.numeric is not False:
        return _english(_untold(whole, shown))
    if not rest:
        return None  # only kind words (`Rate`, `%`): which metric is not said
    best: dict[str, float] = {}
    for c in _candidates():
        if not (c.rest and c.kinds == kinds and _fits(c.field, shown, kinds)):
            continue  # another kind (the GA header's own kind too: `參與度` is a rate)
        if (ratio := _ratio(rest, c.rest)) >= CUTOFF:
            best[c.field] = max(best.get(c.field, 0.0), ratio)
    return _english(_best(best))


def _untold(whole: str, shown: _Shown) -> str | None:
    """The field of a header telling no kind: the closest as a whole, when neither it nor
    one almost as close has kind words (a rate, an amount would say so)."""
    scores: dict[str, float] = {}
    worded: dict[str, float] = {}
    for c in _candidates():
        if _fits(c.field, shown, None):
            into = worded if c.kinds or KIND[c.field] in _TOLD else scores
            into[c.field] = max(into.get(c.field, 0.0), _ratio(whole, c.whole))
    field = _best(scores)
    if field is None or scores[field] < CUTOFF:
        return None
    if scores[field] < SURE and any(r >= scores[field] - MARGIN for r in worded.values()):
        return None  # a rate, time or amount as close: which kind is not said
    return field


def _english(field: str | None) -> str | None:
    return None if field is None else ENGLISH[field]


def hint(target: str, cells: Sequence[str] = (), decimal: str = ".") -> str:
    """`; did you mean `x`?` for a `headers:` entry naming no GA header (`target`, for a column
    of sampled `cells`): the GA header `suggested` offers, else a close `#` metadata key
    (`Start date`); or ''."""
    close = suggested(target, cells, decimal)
    if close is not None:
        return f"; did you mean `{close}`?"
    return suggestion(target, sorted({k for keys in METADATA.values() for k in keys}))
