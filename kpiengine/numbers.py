"""Numbers, percentages and durations as spreadsheets and locales write them.

`parse_number("1 234,50", ",")` is 1234.5, `parse_number("45.6%")` is 0.456,
`parse_number("(1,200)")` is -1200 and `parse_duration("00:02:13")` is 133.0. Persian and
Arabic-Indic digits, the Arabic decimal and thousands marks, currency symbols and codes are
understood; an empty cell or a dash is NaN. Pure Python: connectors reuse these helpers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "NumberError",
    "ascii_digits",
    "guess_decimal",
    "parse_duration",
    "parse_number",
    "parse_numbers",
]

MISSING = frozenset({"", "-", "–", "—", "n/a", "nan"})
"""Cells read as NaN (compared case-insensitively, after trimming)."""

_DIGITS = str.maketrans(
    {
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width digits
    }
)
_ARABIC_DECIMAL = "\x00"  # `٫` (U+066B), always a decimal mark
_GROUP_SPACES = " \u00a0\u202f\u2009\u2007\u066c'\u2019"  # spaces, `٬`, apostrophes
_TRANSLATE = str.maketrans(
    {
        **{chr(c): d for c, d in _DIGITS.items()},
        "\u066b": _ARABIC_DECIMAL,
        "\u066a": "%",
        "\uff05": "%",
        "\u2212": "-",
        "\u2012": "-",
        "\u2010": "-",
        "\ufe63": "-",
        "\uff0d": "-",
        "\uff0c": ",",
        "\uff0e": ".",
        "\uff1a": ":",
    }
)
_CURRENCY_WORDS = frozenset({"us", "ca", "au", "nz", "hk", "r", "rs", "kr", "zł", "fr"})
_CURRENCY_WORDS |= {"ریال", "تومان", "元", "円", "人民币"}
_DURATION_UNITS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "heure", "heures", "uur"), 3600.0),
    **dict.fromkeys(("小时", "小時", "时", "時", "ساعت"), 3600.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "minuut", "minuten"), 60.0),
    **dict.fromkeys(("分", "分钟", "分鐘", "دقیقه"), 60.0),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "seconde", "secondes"), 1.0),
    **dict.fromkeys(("seconden", "秒", "秒钟", "秒鐘", "ثانیه"), 1.0),
}
_CORE = re.compile(rf"[.,{_ARABIC_DECIMAL}]?\d(?:.*\d)?", re.DOTALL)  # `.5`, `1 234,5`
_GROUPED = {  # the usual grouped numbers, read without the general parser
    ".": re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"),
    ",": re.compile("[-+]?\\d{1,3}(?:[. \u00a0\u202f]\\d{3})+(?:,\\d+)?"),
}
# the bulk path of parse_numbers: a chunk of values joined by line breaks, read at once when
# every value is a plain or grouped number. With '.' (or no) decimal mark: only these characters,
# float() checks the rest once the commas are gone, and commas must group thousands:
_BULK_CHARS = re.compile(r"[^0-9.,+\-\n]")
_BULK_COMMA = re.compile(  # a comma after no digit or four, not before 3 digits then `,.\n`
    r",(?:(?<![0-9],)|(?<=[0-9]{4},)|(?![0-9]{3}(?:[,.\n]|\Z))|[0-9]{3}\.(?![0-9]))"
)
_BULK_POINT = re.compile(r"\.[0-9]*,")  # a comma after the decimal point
# with ',' as the decimal mark: a line that is not `-1234`, `1234,5` or `1.234,5`
_BULK_BAD_COMMA = re.compile(
    "\n(?![-+]?(?:[0-9]{1,300}(?:,[0-9]+)?|[0-9]{1,3}(?:[. \u00a0\u202f][0-9]{3})+(?:,[0-9]+)?)"
    "(?:\n|\\Z))"
)
_MARKS = re.compile("[.,\uff0c\uff0e]")  # the decimal marks and their full-width forms
_BULK_SIZE = 16384  # values per chunk: a bad value sends only its chunk down the slow path
_PLAIN = "0123456789.-+ "  # what float() reads as it is (fast path of parse_numbers)
_PLAIN_COMMA = "0123456789-+ "
_UNGROUP_COMMA = str.maketrans({".": None, " ": None, "\u00a0": None, "\u202f": None, ",": "."})
_GROUP_MARKS = {m: set(f".,{_GROUP_SPACES}") - {m} for m in (".", ",", _ARABIC_DECIMAL)}
_GROUP_TABLES = {m: str.maketrans(dict.fromkeys(marks, " ")) for m, marks in _GROUP_MARKS.items()}
_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\d\s.,:]+)")
_DURATION_WORDS = re.compile(r"\s*(?:\d+(?:[.,]\d+)?\s*[^\d\s.,:]+\s*)+")


class NumberError(ValueError):
    """Text that is not a number (or a duration) in the expected format."""

    def __init__(self, message: str, text: str = "", index: int | None = None):
        super().__init__(message)
        self.text = text
        self.index = index  # position in the values given to `parse_numbers`


def ascii_digits(text: str) -> str:
    """`text` with Persian, Arabic-Indic and full-width digits written as ASCII digits."""
    return text.translate(_DIGITS)


def _check_decimal(decimal: str | None) -> None:
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.', ',' or None, not {decimal!r}")


def _split(text: str) -> tuple[str, str, str]:
    """(prefix, numeric core, suffix) of normalised text; the core runs from digit to digit."""
    match = _CORE.search(text)
    if match is None:
        return text, "", ""
    first, last = match.span()
    return text[:first], text[first:last], text[last:]


def _affix(part: str, text: str) -> tuple[bool, bool, bool, bool]:
    """(minus, open parenthesis, close parenthesis, percent) of a prefix or suffix."""
    minus = opened = closed = percent = False
    letters = []
    for char in part:
        if char.isspace() or char == "+":
            continue
        if char == "-":
            minus = True
        elif char == "(":
            opened = True
        elif char == ")":
            closed = True
        elif char == "%" and not percent:
            percent = True
        elif char.isalpha():
            letters.append(char)
            continue
        elif unicodedata.category(char) != "Sc":
            raise NumberError(f"`{text}` is not a number", text)
        if letters:
            _currency_word("".join(letters), text)
            letters = []
    if letters:
        _currency_word("".join(letters), text)
    return minus, opened, closed, percent


def _currency_word(word: str, text: str) -> None:
    if not (
        (len(word) == 3 and word.isascii() and word.isupper()) or word.casefold() in _CURRENCY_WORDS
    ):
        raise NumberError(f"`{text}` is not a number (`{word}` is not a currency)", text)


def _infer_decimal(core: str) -> str:
    """The decimal mark of one number written without a known locale."""
    dot, comma = core.count("."), core.count(",")
    if dot and comma:
        return "." if core.rfind(".") > core.rfind(",") else ","
    if comma == 1:
        integer, _, fraction = core.partition(",")
        digits = integer.lstrip("-+")
        grouped = any(c in _GROUP_SPACES for c in integer)
        if len(fraction) == 3 and digits.strip("0") and not grouped:
            return "."  # `1,234`: a thousands separator
        return ","
    if comma > 1:
        return "."
    if dot > 1:
        return ","
    return "."


def _core_value(core: str, decimal: str | None, text: str) -> float:
    mark = _ARABIC_DECIMAL if _ARABIC_DECIMAL in core else (decimal or _infer_decimal(core))
    shown = "٫" if mark == _ARABIC_DECIMAL else mark
    if core.count(mark) > 1:
        raise NumberError(f"`{text}` has more than one decimal mark `{shown}`", text)
    integer, _, fraction = core.partition(mark)
    if fraction and not fraction.isdigit():
        raise NumberError(f"`{text}` is not a number (decimal mark `{shown}`)", text)
    groups = [integer]
    separators = set(integer) - set("0123456789")
    if separators:
        if not separators <= _GROUP_MARKS[mark]:
            raise NumberError(f"`{text}` is not a number", text)
        groups = integer.translate(_GROUP_TABLES[mark]).split(" ")
        sizes = [len(g) for g in groups]
        middle = set(sizes[1:-1])
        if (
            not all(g.isdigit() for g in groups)
            or not 1 <= sizes[0] <= 3
            or sizes[-1] != 3
            or not (middle <= {3} or middle <= {2})
        ):
            raise NumberError(
                f"`{text}` is not a number: with `{shown}` as the decimal mark, "
                f"{' and '.join(sorted(f'`{s}`' for s in separators))} must separate groups "
                "of three digits",
                text,
            )
    digits = "".join(groups)
    if not digits and not fraction:
        raise NumberError(f"`{text}` is not a number", text)
    return float(f"{digits or '0'}.{fraction or '0'}")


def parse_number(text: str, decimal: str | None = None) -> float:
    """The value of a number as a spreadsheet or locale writes it; NaN for empty, `-`, `n/a`.

    `decimal` is the decimal mark, '.' or ','; the other mark, spaces (normal, no-break,
    narrow no-break) and apostrophes then group thousands. Without it, the last of '.' and ','
    is the decimal mark, except a lone ',' before three digits (`1,234`), which groups.
    `45.6%` is 0.456, `(1,200)` is -1200, currency symbols and codes are ignored.
    Raises NumberError for anything else.
    """
    _check_decimal(decimal)
    original = str(text)
    normal = original.translate(_TRANSLATE).strip()
    if normal.casefold() in MISSING:
        return math.nan
    prefix, core, suffix = _split(normal)
    if not core:
        raise NumberError(f"`{original}` is not a number", original)
    minus, opened, _, percent_before = _affix(prefix, original)
    minus_after, opened_after, closed, percent_after = _affix(suffix, original)
    if opened != closed or opened_after or minus_after:
        raise NumberError(f"`{original}` is not a number", original)
    value = _core_value(core, decimal, original)
    if percent_before or percent_after:
        value = float(f"{value!r}e-2")  # 45.6% -> 0.456 exactly, not 0.45599999999999996
    return -value if (minus or opened) else value


def parse_numbers(values: Iterable[str], decimal: str | None = None) -> list[float]:
    """`parse_number` of each value; plain numbers take a fast path.

    Plain and grouped numbers (`1234`, `1,234.5`) are checked and read a chunk at a time; a
    chunk with any other value is read value by value (each distinct value once).
    Raises NumberError whose `index` is the position of the first bad value.
    """
    _check_decimal(decimal)
    texts = values if isinstance(values, list) else list(values)
    out: list[float] = []
    seen: dict[str, float] = {}
    for start in range(0, len(texts), _BULK_SIZE):
        chunk = texts[start : start + _BULK_SIZE]
        bulk = _parse_bulk(chunk, decimal)
        if bulk is not None:
            out += bulk
            continue
        for index, value in enumerate(chunk, start):
            text = str(value)
            number = seen.get(text)
            if number is None:
                try:
                    number = seen[text] = _parse_one(text, decimal)
                except NumberError as exc:
                    exc.index = index
                    raise
            out.append(number)
    return out


def _parse_bulk(texts: list, decimal: str | None) -> list[float] | None:
    """The values when all are plain or grouped numbers (as `_parse_one` reads them), else None."""
    try:
        joined = "\n".join(texts)
    except TypeError:  # not all strings
        return None
    if decimal == ",":
        if _BULK_BAD_COMMA.search("\n" + joined):
            return None
        numbers = joined.translate(_UNGROUP_COMMA).split("\n")
    else:
        if _BULK_CHARS.search(joined):
            return None
        if "," in joined:
            if _BULK_COMMA.search(joined) or ("." in joined and _BULK_POINT.search(joined)):
                return None
            joined = joined.replace(",", "")
        numbers = joined.split("\n")
    if len(numbers) != len(texts):  # a value holds a line break
        return None
    try:
        out = list(map(float, numbers))  # only `[-+]?(1|1.|1.5|.5)` are left to read
    except ValueError:
        return None
    return out if math.isfinite(sum(out)) else None  # huge values: as `_parse_one` reads them


def _parse_one(text: str, decimal: str | None) -> float:
    """One value of `parse_numbers`: the fast paths, then `parse_number`."""
    if not text.strip(_PLAIN_COMMA if decimal == "," else _PLAIN):
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if not math.isinf(number):
                return number
    if _GROUPED[decimal or "."].fullmatch(text):
        if decimal == ",":
            text = text.translate(_UNGROUP_COMMA)
        return float(text.replace(",", ""))
    return parse_number(text, decimal)


def _vote(text: str, whole: bool) -> str | None:
    """'.' or ',' when the text shows the decimal mark; '?' when it could be either."""
    _, core, _ = _split(str(text).translate(_TRANSLATE).strip())
    dot, comma = core.count("."), core.count(",")
    if not dot and not comma:
        return None
    if dot and comma:
        return "." if core.rfind(".") > core.rfind(",") else ","
    mark, other = (".", ",") if dot else (",", ".")
    if max(dot, comma) > 1:
        return other
    integer, _, fraction = core.partition(mark)
    if len(fraction) != 3 or not integer.lstrip("-+").strip("0"):
        return mark
    if whole:
        return other  # a whole number: the mark groups thousands
    if any(c in _GROUP_SPACES for c in integer):
        return mark
    return "?"


def guess_decimal(
    samples: Iterable[str], *, integers: Iterable[str] = (), default: str | None = None
) -> str:
    """The decimal mark, '.' or ',', of a sample of numbers written in one locale.

    `integers` are values known to be whole numbers (counts), so that `2.546` there shows a
    thousands separator. When nothing decides and it matters (only values like `1,234`), return
    `default`, or raise ValueError without one; values with no mark at all give `default` or '.'.
    Raises ValueError when the sample mixes both conventions.
    """
    _check_decimal(default)
    votes: dict[str, list[str]] = {".": [], ",": [], "?": []}
    for values, whole in ((samples, False), (integers, True)):
        known: dict[str, str | None] = {}  # each distinct value judged once
        for value in values:
            text = str(value)
            if text in known:
                vote = known[text]
            elif _MARKS.search(text) is None:
                vote = known[text] = None  # neither mark (nor its full-width form): no vote
            else:
                vote = known[text] = _vote(text, whole)
            if vote:
                votes[vote].append(text)
    if votes["."] and votes[","]:
        raise ValueError(
            f"the numbers mix decimal marks: `{votes['.'][0]}` uses '.', `{votes[','][0]}` uses ','"
        )
    for mark in (".", ","):
        if votes[mark]:
            return mark
    if votes["?"] and default is None:
        raise ValueError(
            f"cannot tell the decimal mark: `{votes['?'][0]}` could be a thousands separator"
        )
    return default or "."


def parse_duration(text: str, decimal: str | None = None) -> float:
    """Seconds in a duration: `00:02:13` (h:m:s), `2:13` (m:s), `1h 2m 3s`, or plain seconds.

    NaN for an empty cell or a dash; raises NumberError for anything else.
    """
    _check_decimal(decimal)
    original = str(text)
    normal = original.translate(_TRANSLATE).strip()
    if normal.casefold() in MISSING:
        return math.nan
    if ":" in normal:
        parts = normal.split(":")
        if len(parts) not in (2, 3) or not all(p.strip().isdigit() for p in parts[:-1]):
            raise NumberError(f"`{original}` is not a duration like 00:02:13", original)
        try:
            seconds = parse_number(parts[-1], decimal)
        except NumberError:
            raise NumberError(f"`{original}` is not a duration like 00:02:13", original) from None
        units = [int(p) for p in parts[:-1]]
        if math.isnan(seconds) or seconds < 0 or seconds >= 60 or any(u < 0 for u in units):
            raise NumberError(f"`{original}` is not a duration like 00:02:13", original)
        if len(units) == 2 and units[1] >= 60:
            raise NumberError(f"`{original}` has {units[1]} minutes", original)
        total = 0.0
        for unit in units:
            total = total * 60 + unit
        return total * 60 + seconds
    if _DURATION_WORDS.fullmatch(normal):
        total = 0.0
        for amount, unit in _DURATION_PART.findall(normal):
            factor = _DURATION_UNITS.get(unit.casefold().rstrip("."))
            if factor is None:
                raise NumberError(f"`{original}`: unknown time unit `{unit}`", original)
            total += float(amount.replace(",", ".")) * factor
        return total
    value = parse_number(normal, decimal)
    if "%" in normal:
        raise NumberError(f"`{original}` is a percentage, not a duration", original)
    return value
