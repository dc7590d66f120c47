"""The English header offered for a header `ga_export` does not know (not a plugin module).

The `headers:` block an unrecognised header's error suggests, and the `did you mean` of a
`headers:` entry naming no GA header, offer a GA header only on evidence that it is the same
metric, else `"?"` (nothing): a wrong guess pasted in would read a rate as a count.
- The kind words of the two headers are the same: a rate's (`rate`, `%`, `taux`, `率`, `نرخ`),
  a time's (`time`, `duration`, `durée`, `时长`), an amount's (`revenue`, `value`, `revenu`,
  `收入`), a quotient's (`per`, `/`, `avg.`, `moyenne`, `每`); a word ending in one counts
  (`Bouncepercentage`). The cells add theirs: percentages a rate's, `00:01:23` a time's, a
  currency mark an amount's. So `Completion rate` is offered no count (`Goal Completions`),
  and only a GA rate, amount or time is offered for a header telling one (none for a header
  telling none: `參與度`, a rate without the word, is offered for nothing).
- Cells that are all numbers are offered no dimension, cells of text no metric.
- The words beside the kind words are spelt alike (difflib's ratio at least 0.6, as
  `errors.did_you_mean`), headers compared as `header_key` compares them: `Abandonment rate`
  is not `Engagement rate`, the `rate` they share set aside. Two GA fields as close: none.
The GA headers offered are the English ones `_ga_headers.FIELDS` lists (each field by its
first name, as `headers:` and its error name them), the variants of each compared too.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache

from kpiengine.errors import suggestion
from kpiengine.fileformats import CellError, is_missing, parse_duration, read_number

from ._ga_headers import ENGLISH, FIELDS, KIND, METADATA, NUMBER_KINDS, header_key

CUTOFF = 0.6
#: kind -> its words; a word ending in one of 4 letters or more counts too (`Bouncepercentage`)
_WORDS = {
    "rate": "rate rates percent percentage taux tasa taxa tasso quote",
    "time": "time duration durée temps tiempo duración durata dauer zeit",
    "money": "revenue revenues value revenu revenus valeur affaires ingresos valor umsatz wert",
    "quotient": "per par por pro avg moy gem average moyenne moyen promedio durchschnitt",
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


def _kind_of(word: str) -> tuple[str, str] | None:
    """(the kind a word marks, what is left of it) or None: `bouncepercentage`: rate, bounce."""
    for kind, words in _WORDS.items():
        for mark in words.split():
            if word == mark:
                return kind, ""
            if len(mark) >= 4 and word.endswith(mark):
                return kind, word[: -len(mark)]
    return None


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


@cache
def _candidates() -> tuple[tuple[str, frozenset[str], str], ...]:
    """(field, its kind words, the rest) of every English GA header listed."""
    out = []
    for name, (_, names) in FIELDS.items():
        for header in names["en"].split("|"):
            kinds, rest = _marks(header)
            if rest:
                out.append((name, kinds, rest))
    return tuple(out)


def _shown(cells: Iterable[str], decimal: str) -> tuple[frozenset[str], bool | None]:
    """(the kinds the cells show, whether they are numbers: None when they do not tell)."""
    kinds: set[str] = set()
    numbers, texts = 0, 0
    for cell in (c.strip() for c in cells):
        if not cell or is_missing(cell):
            continue
        if ":" in cell:
            try:
                parse_duration(cell, decimal)
            except (CellError, ValueError):
                texts += 1
                continue
            kinds.add("time")
            numbers += 1
            continue
        try:
            number = read_number(cell, decimal)
        except CellError:
            texts += 1
            continue
        numbers += 1
        if number.percent:
            kinds.add("rate")
        if number.currency:
            kinds.add("money")
    if numbers and texts:
        return frozenset(), None  # a mixed column tells nothing
    return frozenset(kinds), (bool(numbers) if numbers or texts else None)


def suggested(header: str, cells: Sequence[str] = (), decimal: str = ".") -> str | None:
    """The English GA header to offer for `header` (its column's sampled `cells`, numbers
    written with `decimal`), None when none is the same metric (see the module)."""
    kinds, rest = _marks(header)
    if not rest:
        return None  # only kind words (`Rate`, `%`): which metric is not said
    shown, numeric = _shown(cells, decimal)
    kinds |= shown
    best: dict[str, float] = {}
    for name, their_kinds, their_rest in _candidates():
        if their_kinds != kinds or any((k in kinds) != (KIND[name] == g) for g, k in _TOLD.items()):
            continue  # another kind (the GA header's own kind too: `參與度` is a rate)
        if numeric is not None and (KIND[name] in NUMBER_KINDS) != numeric:
            continue
        ratio = difflib.SequenceMatcher(None, rest, their_rest).ratio()
        if ratio >= CUTOFF:
            best[name] = max(best.get(name, 0.0), ratio)
    if not best:
        return None
    top = max(best.values())
    names = [n for n, r in best.items() if r == top]
    return ENGLISH[names[0]] if len(names) == 1 else None


def hint(target: str) -> str:
    """`; did you mean `x`?` for a `headers:` entry naming no GA header (`target`): the GA
    header `suggested` offers, else a close `#` metadata key (`Start date`); or ''."""
    close = suggested(target)
    if close is not None:
        return f"; did you mean `{close}`?"
    return suggestion(target, sorted({k for keys in METADATA.values() for k in keys}))
