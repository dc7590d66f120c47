"""References to a name at another period, over a window, or for all segments together.

A formula may read a variable or KPI `x` as `prev(x)` (the previous period), `last_year(x)`
(the same period a year earlier), `ytd(x)`, `qtd(x)`, `mtd(x)` (year, quarter or month to date,
in the workspace's calendar), `rolling(x, n)` (the last n periods, the current included) and
`total(x)` (all segments together, in the same period). They nest, with at most one window,
innermost: `prev(ytd(x))`, `total(rolling(x, 3))`.

Internally a reference is one name, the chain of transforms joined by `__` after the base name,
innermost first: `prev(ytd(x))` is `x__ytd__prev`, `rolling(x, 3)` is `x__rolling3`.
"""

from __future__ import annotations

import re

SHIFTS = {"prev": "the previous period", "last_year": "the same period last year"}
WINDOWS = {
    "ytd": "the year to date",
    "qtd": "the quarter to date",
    "mtd": "the month to date",
    "rolling": "the last periods",
}
TOTAL = "total"
#: Every transform a formula may apply to a name, with how it reads in messages.
TRANSFORMS = {**SHIFTS, **WINDOWS, TOTAL: "all segments together"}
MAX_ROLLING = 1000
_ROLLING = re.compile(r"^rolling(\d+)$")


def ref_name(name: str, chain: tuple[str, ...]) -> str:
    """The internal name of `name` read through `chain` (innermost transform first)."""
    return "__".join([name, *chain])


def split_ref(internal: str) -> tuple[str, tuple[str, ...]]:
    """`revenue__ytd__prev` -> (`revenue`, (`ytd`, `prev`))."""
    base, *chain = internal.split("__")
    return base, tuple(chain)


def window_of(token: str) -> tuple[str, int] | None:
    """(`rolling`, 3) for `rolling3`, (`ytd`, 0) for `ytd`; None for a shift or `total`."""
    match = _ROLLING.match(token)
    if match:
        return "rolling", int(match.group(1))
    return (token, 0) if token in WINDOWS else None


def describe(token: str) -> str:
    """How a transform reads in a message: `the previous period`, `the last 3 periods`."""
    window = window_of(token)
    if window and window[0] == "rolling":
        return f"the last {window[1]} periods"
    return TRANSFORMS.get(token, token)


def display_ref(internal: str) -> str:
    """How a user writes an internal name: `revenue__ytd__prev` -> `prev(ytd(revenue))`."""
    text, chain = split_ref(internal)
    for token in chain:
        window = window_of(token)
        if window and window[0] == "rolling":
            text = f"rolling({text}, {window[1]})"
        else:
            text = f"{token}({text})"
    return text


def parse_display(text: str) -> str | None:
    """The internal name of a reference as a user writes it (`prev(ytd(x))`), else None."""
    chain: list[str] = []
    text = text.replace(" ", "")
    while "(" in text:
        match = re.fullmatch(r"(\w+)\((.*)\)", text)
        if not match or match.group(1) not in TRANSFORMS:
            return None
        func, inner = match.groups()
        if func == "rolling":
            inner, _, count = inner.rpartition(",")
            if not count.isdigit():
                return None
            func = f"rolling{int(count)}"
        chain.insert(0, func)
        text = inner
    return ref_name(text, tuple(chain)) if chain and re.fullmatch(r"[a-z]\w*", text) else None
