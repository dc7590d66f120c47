"""The decimal mark of a column, `.` or `,`, guessed from its cells with the number grammar.

One rule, for every connector: each distinct cell is read both ways by `numbers.read_number`;
only cells that read one way only, or differently, tell anything (see `guess_decimal`). Plain
cells (`1234.5`, `-1,234`: digits and one mark) are read by `plain_reading`, which gives the
grammar's answer without compiling its patterns (a twentieth of a second per process);
tests/test_fileformats_numbers.py checks that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping

from .currency import AMBIGUOUS, THREE_DECIMALS, currency_fits
from .numbers import DECIMALS, NumberError, read_number
from .sql import shown

__all__ = ["deciding", "disagreeing", "guess_decimal", "plain_reading"]


_PLAIN = re.compile(r"(-?)([0-9]+)(?:([.,])([0-9]+))?")


def plain_reading(text: str, decimal: str) -> float | None | bool:
    """The value of a plain cell with the decimal mark `decimal` (None: not a number that
    way); False when the cell is not plain."""
    found = _PLAIN.fullmatch(text)
    if found is None:
        return False
    sign, whole, mark, part = found.groups()
    if mark is None or mark == decimal:
        return float(f"{sign}{whole}.{part or 0}")
    if len(part) == 3 and len(whole) <= 3 and whole[0] != "0":  # the mark groups thousands
        return float(f"{sign}{whole}{part}")
    return None


def _reading(text: str, decimal: str) -> float | None:
    plain = plain_reading(text, decimal)
    if plain is not False:
        return plain
    try:
        return read_number(text, decimal).value
    except NumberError:
        return None


def deciding(values: Iterable[str], mark: str) -> str | None:
    """The first cell whose value depends on the decimal mark and that is a number with `mark`:
    a vote for it (`2.50` for `.`) or a cell read otherwise with the other mark (`1.500 €`,
    1500 with `,` and 1.5 with `.`); None when every cell reads alike both ways."""
    other = "," if mark == "." else "."
    for text in values:
        mine = _reading(text, mark) if re.search("[.,\uff0c\uff0e]", text) else None
        if mine is not None and mine != _reading(text, other):
            return text
    return None


def disagreeing(text: str, mark: str, other: str, told_by: tuple[str, str]) -> tuple[str, str]:
    """The message and fix of a file whose cell `text` reads with `mark` (`1.500 €`: 1500 with
    `,`) where another file of the source (`told_by`: its name and a cell) tells `other`."""
    values = [_shown(_reading(text, m) or 0.0) for m in (mark, other)]
    return (
        f"`{shown(text)}` reads with `{mark}` as the decimal mark ({values[0]}; {values[1]} "
        f"with `{other}`), but {told_by[0]} has `{other}` (`{shown(told_by[1])}`): the "
        "source's files disagree on the number format",
        "set the source's `decimal:` to '.' or ',' if the files share one, or read each "
        "number format as a source of its own",
    )


def guess_decimal(
    values: Iterable[str],
    *,
    whole: bool | Container[str] = False,
    default: str | None = None,
    currency: str | Mapping[str, str] | None = None,
) -> str:
    """The decimal mark of a column (or of a file's columns), from a sample of its cells.

    Each distinct cell is read both ways: a cell readable only with `.` (`1,234.5`, `12.5`) or
    only with `,` (`1.234,5`, `12,5`, `0,123`) votes for that mark; a cell read alike both ways
    (`1234`, `12%`) does not vote; a cell read differently (`1,234`: 1234 or 1.234) is
    ambiguous. Counts (`whole`: True for every cell, or the cells that are counts) are whole,
    so an ambiguous count tells the reading that is a whole number, unless that reading makes
    an ambiguous amount a fraction (`1.500` orders beside `1,250` dollars). Votes for both marks
    raise NumberError naming a cell of each (a count whole in neither reading, `1,5` beside
    `1.00`, is the one named). When only ambiguous cells remain, the answer is `default` (what
    the export's language writes); without one, their lone mark before three digits is read as
    grouping thousands, as both conventions write it (`1,200` is 1200 with `.` as the decimal
    mark, `1.500` is 1500 with `,`): amounts have two decimals, counts none. Ambiguous cells of
    both kinds (`1,200` and `1.500`) raise NumberError: the source's `decimal:` option decides.
    So does an ambiguous amount in a currency with three decimals (`KWD 123.450`: 123.45 or
    123450), the currency the cell shows or else `currency` (the amounts' currency: one code,
    or a code for each cell).
    """
    if default is not None and default not in DECIMALS:
        raise ValueError(f"the decimal mark must be '.' or ',', not {default!r}")
    seen: set[str] = set()
    votes: dict[str, str] = {}
    counted: dict[str, str] = {}  # ambiguous counts: the mark that makes them whole
    odd: dict[str, float] = {}  # voting counts whole in neither reading: their one reading
    grouped: dict[str, str] = {}  # the decimal mark under which an ambiguous cell is grouped
    thousandths: list[tuple[str, float, float, str]] = []  # ambiguous, three decimals
    for value in values:
        text = str(value)
        if text in seen or not re.search("[.,\uff0c\uff0e]", text):
            continue
        seen.add(text)
        count = whole is True or (whole is not False and text in whole)
        dot, comma = _reading(text, "."), _reading(text, ",")
        if dot is None or comma is None:
            if dot is not None or comma is not None:
                read = dot if comma is None else comma
                votes.setdefault("." if comma is None else ",", text)
                if count and read is not None and not read.is_integer():
                    odd[text] = read
        elif dot != comma:
            if count and dot.is_integer() != comma.is_integer():
                counted.setdefault("." if dot.is_integer() else ",", text)
            elif not count and (code := _three_decimals(text, currency)):
                thousandths.append((text, dot, comma, code))
            else:
                grouped.setdefault("." if abs(dot) > abs(comma) else ",", text)
        if len(votes.keys() | counted.keys()) == 2:
            raise _mixed({**counted, **votes}, odd)
    if votes:
        return next(iter(votes))
    if counted:
        return _counted(counted, grouped)
    if default is not None:
        return default
    if thousandths:
        raise _thousandths(*thousandths[0])
    if not grouped:
        return "."
    if len(grouped) == 2:
        raise NumberError(
            grouped[","],
            f"in the number format of `{shown(grouped['.'])}` (`,` grouping thousands there, "
            "`.` here): the cells cannot tell the decimal mark",
            "set the source's `decimal:` option to '.' or ','",
        )
    return next(iter(grouped))


def _counted(counted: dict[str, str], grouped: dict[str, str]) -> str:
    """The mark the counts tell, unless it makes an ambiguous amount a fraction with three
    decimals (`1.500` orders say `,`, so `1,250` dollars would be 1.25): which cell is wrong
    the cells cannot tell, so the source's `decimal:` option decides."""
    [(mark, count)] = counted.items()
    other = "," if mark == "." else "."
    if other not in grouped:
        return mark
    amount = grouped[other]
    raise NumberError(
        amount,
        f"a number whose decimal mark the cells tell: the count `{shown(count)}` is whole only "
        f"with `{mark}` as the decimal mark, which makes this amount "
        f"{_shown(_reading(amount, mark) or 0.0)}, and {_shown(_reading(amount, other) or 0.0)} "
        f"with `{other}`",
        "set the source's `decimal:` option to '.' or ','",
    )


def _three_decimals(text: str, currency: str | Mapping[str, str] | None) -> str | None:
    """The currency with three decimals a cell is an amount in, if any (see `guess_decimal`)."""
    workspace = currency.get(text) if isinstance(currency, Mapping) else currency
    found = read_number(text, ".").currency if re.search("[^0-9.,\\-]", text) else None
    if found in AMBIGUOUS:  # `﷼`: the workspace's rial when it may be that one
        found = workspace if workspace and currency_fits(found, workspace) else None
    code = (found or workspace or "").upper()
    return code if code in THREE_DECIMALS else None


def _thousandths(text: str, dot: float, comma: float, code: str) -> NumberError:
    return NumberError(
        text,
        f"a number whose decimal mark the cells tell: {code} amounts have three decimals, so "
        f"it is {_shown(dot)} with `.` as the decimal mark and {_shown(comma)} with `,`",
        "set the source's `decimal:` option to '.' or ','",
    )


def _shown(value: float) -> str:
    return f"{value:.0f}" if value.is_integer() else repr(value)


def _mixed(votes: dict[str, str], odd: dict[str, float]) -> NumberError:
    """The error of cells voting for both marks, naming a count whole in neither reading when
    one voted (the other cell is then right), else the `,` cell."""
    named, other, mark = votes[","], votes["."], "."
    if named not in odd and other in odd:
        named, other, mark = other, named, ","
    if named in odd:
        own = "," if mark == "." else "."
        return NumberError(
            named,
            f"a count in the number format of `{shown(other)}` (`{mark}` as the decimal mark), "
            f"nor a whole number with `{own}` ({_shown(odd[named])}): the cells contradict "
            "each other",
            "correct the cell (a count is a whole number), or export the file again in one "
            "number format",
        )
    return NumberError(
        named,
        f"in the number format of `{shown(other)}` (`{mark}` as the decimal mark): "
        "the cells mix decimal marks",
        "export the file again in one number format, or set the source's `decimal:`",
    )
