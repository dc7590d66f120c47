"""Shared pieces of the reading layer: regexes that mean the same in Python and DuckDB, SQL.

Every grammar of the layer is written once as a regular expression and read by Python's `re` and
by DuckDB's RE2 alike. The two agree when the pattern keeps to their common ground, which these
helpers enforce: explicit character classes (RE2's `\\d` and `\\s` are ASCII, Python's are not),
no look-around or back-references (RE2 has none), no `(?i)` (the engines fold case differently;
case is spelt out as `[aA]`), and whole-text matches (`re.fullmatch`, `^(?:...)$` in RE2, whose
`$` is the end of the text). Both engines pick the same submatches: RE2 follows Perl's
leftmost-first preference, as `re` does.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kpiengine.errors import KpiError, Location
from kpiengine.sqlgen import quote_ident, quote_text

__all__ = [
    "CellError",
    "Expr",
    "GAP",
    "Rewrite",
    "WHITESPACE",
    "alternatives",
    "anchored",
    "bind_sql",
    "char_class",
    "column_sql",
    "full_regex",
    "lambda_sql",
    "literal",
    "quote_ident",
    "quote_text",
    "shown",
    "spelt",
]

#: Trimmed from both ends of every cell. A superset of the whitespace DuckDB's `TRY_CAST` skips
#: (space, tab, LF, VT, FF, CR), so its fast path never accepts a cell the grammar would not.
WHITESPACE = " \t\n\v\f\r\u00a0\u2007\u2009\u202f\u200b\ufeff"
#: Spaces allowed between a number and its sign, currency or percent sign (`12,5 %`, `€ 5`).
GAP = " \u00a0\u2007\u2009\u202f"
_CLASS_SPECIAL = set("\\]^-[")
_SPECIAL = set(".^$*+?()[]{}|\\/")


class CellError(KpiError, ValueError):
    """A cell that does not read as expected: its text and what was expected.

    A KpiError without a location (the caller knows the file, line and column: `at` adds them),
    and a ValueError for callers that only ask whether a value parses.
    """

    def __init__(self, text: str, expected: str, fix: str | None = None):
        self.text = text
        self.expected = expected
        super().__init__(f"`{shown(text)}` is not {expected}", None, fix)

    def at(self, location: Location) -> KpiError:
        """The same error at a place in a file."""
        return KpiError(self.message, location, self.fix)


def shown(text: str, limit: int = 60) -> str:
    """A cell as messages show it: control characters visible, at most `limit` characters."""
    out = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _escape(char: str, special: set[str]) -> str:
    # `\xHH` reads the same in both engines; higher code points are written as themselves
    if ord(char) < 0x20 or 0x7F <= ord(char) <= 0xFF:
        return f"\\x{ord(char):02x}"
    return "\\" + char if char in special else char


def char_class(chars: str, negate: bool = False) -> str:
    """A character class matching exactly these characters."""
    body = "".join(_escape(c, _CLASS_SPECIAL) for c in dict.fromkeys(chars))
    return f"[{'^' if negate else ''}{body}]"


def literal(text: str) -> str:
    """A pattern matching exactly `text`."""
    return "".join(_escape(c, _SPECIAL) for c in text)


def spelt(word: str) -> str:
    """A pattern matching `word` in any case (`[nN]/[aA]`), the same in both engines."""
    out = []
    for char in word:
        # only one-character case forms: `ß`.upper() is "SS", which a class cannot hold
        forms = "".join(dict.fromkeys(f for f in (char, char.lower(), char.upper()) if len(f) == 1))
        out.append(char_class(forms) if len(forms) > 1 else literal(char))
    return "".join(out)


def alternatives(patterns: list[str]) -> str:
    """`(?:a|b|c)`, longest first so that a longer token is not cut short by its prefix."""
    ordered = sorted(dict.fromkeys(patterns), key=lambda p: (-len(p), p))
    return "(?:" + "|".join(ordered) + ")"


@functools.lru_cache(maxsize=256)
def full_regex(pattern: str) -> re.Pattern[str]:
    """The compiled pattern, for `fullmatch` (Python's side of a shared pattern)."""
    return re.compile(pattern)


def anchored(pattern: str) -> str:
    """The pattern for RE2 matching the whole text (DuckDB's side of a shared pattern)."""
    return f"^(?:{pattern})$"


def lambda_sql(name: str, body: str) -> str:
    """A DuckDB lambda: `lambda x: body` (1.3 and later) or `x -> body` (before)."""
    return f"lambda {name}: {body}" if _lambda_keyword() else f"{name} -> {body}"


@functools.lru_cache(maxsize=1)
def _lambda_keyword() -> bool:
    import duckdb  # noqa: PLC0415 - only SQL generation needs it

    parts = re.findall(r"\d+", duckdb.__version__)[:2]
    major, minor = (int(p) for p in (parts + ["0", "0"])[:2])
    return (major, minor) >= (1, 3)


def bind_sql(value: str, name: str, body: str) -> str:
    """SQL computing `value` once and `body` from it (`name` in `body`): a one-item list mapped
    by a lambda, which DuckDB evaluates once per row, where repeating `value` would not be."""
    return f"list_transform([{value}], {lambda_sql(name, body)})[1]"


class Expr(str):
    """SQL text to use as it is where a column name is expected (`Expr("trim(a)")`)."""

    __slots__ = ()


def column_sql(column: str) -> str:
    """SQL for a column: a name quoted, an `Expr` as it is."""
    return str(column) if isinstance(column, Expr) else quote_ident(column)


# --- rewriting a cell into text that a cast reads --------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    """A grammar as a check and a rewrite, read alike by Python and DuckDB.

    A cell is accepted when `exact` matches it whole and `reject` nowhere in it; it is then
    rewritten by matching `loose`
    (which must match every cell `exact` does, with the groups the template needs) and
    expanding `template` (`\\1` to `\\9`), deleting the characters `drop`, then replacing
    each `fixups` pair in turn: plain
    text operations that DuckDB runs fast, where a struct of groups handed to a lambda is
    prepared again for every chunk of rows. `exact` may be a larger regex than `loose`: DuckDB
    only checks with it, which its automaton does fast, and captures with the smaller one.
    """

    exact: str
    loose: str
    template: str
    fixups: tuple[tuple[str, str], ...] = ()
    reject: str | None = None  # a pattern found anywhere in a cell rejects it
    drop: str = ""  # characters deleted from the expanded template, before the fixups

    def accepts(self, text: str) -> bool:
        if full_regex(self.exact).fullmatch(text) is None:
            return False
        return self.reject is None or full_regex(self.reject).search(text) is None

    def py(self, text: str) -> str | None:
        """The rewritten text, or None when the cell is not accepted."""
        if not self.accepts(text):
            return None
        found = full_regex(self.loose).fullmatch(text)
        if found is None:  # `loose` must match what `exact` does
            raise AssertionError(f"the loose pattern misses {text!r}")
        out = found.expand(self.template)
        if self.drop:
            out = re.sub(char_class(self.drop), "", out)
        for old, new in self.fixups:
            out = out.replace(old, new)
        return out

    def sql(self, text: str) -> str:
        """SQL for the rewritten text of the SQL text `text`, NULL when it is not accepted."""
        out = f"regexp_replace({text}, {quote_text(anchored(self.loose))}, "
        out += f"{quote_text(self.template)})"
        if self.drop:
            out = f"regexp_replace({out}, {quote_text(char_class(self.drop))}, '', 'g')"
        for old, new in self.fixups:
            out = f"replace({out}, {quote_text(old)}, {quote_text(new)})"
        return f"(CASE WHEN {self.accepts_sql(text)} THEN {out} END)"

    def accepts_sql(self, text: str) -> str:
        """SQL true where `accepts` is."""
        check = f"regexp_full_match({text}, {quote_text(anchored(self.exact))})"
        if self.reject is not None:
            check += f" AND NOT regexp_matches({text}, {quote_text(self.reject)})"
        return f"({check})"
