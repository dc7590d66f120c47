"""Jinja2 filters for Markdown and HTML text; numbers are formatted by `kpiengine.localformat`."""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import math
import re
import string
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import TemplateRuntimeError
from markupsafe import Markup, escape

from ..formatting import strip_bidi
from ..localformat import UNDEFINED, Formatter, defined, parse_locale

__all__ = ["UNDEFINED", "Formatter", "defined", "inline_code", "markdown_text", "parse_locale"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$])")  # `$` starts maths on GitHub
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def markdown_text(value: object) -> str:
    """Text safe inside Markdown and a table cell: `code spans` kept, other specials escaped."""
    text = " ".join(strip_bidi(str(value)).split())
    parts = []
    for i, part in enumerate(_CODE_SPAN.split(text)):
        if i % 2:
            parts.append(part.replace("|", "\\|"))
        else:
            parts.append(_MARKDOWN_SPECIAL.sub(r"\\\1", part).replace("&", "&amp;"))
    out = "".join(parts)
    return "\\" + out if out[:1] in ("#", "+", "-", "=", ">") else out


def without_bidi(value: object) -> object:
    """Every `{{ ... }}` output without bidi override characters (the environment's finalize);
    a list's text is measured first (one list may hold another many times over)."""
    if isinstance(value, list | tuple | dict | set):
        limit_tree(value, "`{{ ... }}`")
    if isinstance(value, Markup):
        return Markup(strip_bidi(str(value)))
    return strip_bidi(value) if isinstance(value, str) else value


def inline_code(value: object) -> Markup:
    """HTML-escaped text whose `backticked` parts are shown as <code>."""
    parts = _CODE_SPAN.split(strip_bidi(str(value)))
    return Markup("").join(
        Markup("<code>{}</code>").format(part[1:-1]) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


# --- limits on what an untrusted template may build -------------------------------------------
# A workspace's template is untrusted (README "Security"): besides the sandbox, every operation
# that can turn a small template into a huge value is checked *before* it runs, so a mistake or
# an attack stops at once with `templates/NAME:LINE: template error: ...` naming the limit.

MAX_OUTPUT = 50_000_000  # characters of the rendered report
MAX_TEXT = 50_000_000  # characters of one text built by a template
MAX_ITEMS = 5_000_000  # items of one list built by a template
MAX_STEPS = 10_000_000  # steps in one render: a loop iteration or call is one,
MACRO_STEPS = 20  # a macro call this many (it costs about as much as 20 iterations)
MAX_DIGITS = 4_300  # digits of an integer (Python's own limit for printing one)
MAX_WIDTH = 10_000  # a width, precision, indent or number of decimals

_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_NUMBER = 400  # characters allowed for a formatted value that is not a text


class TemplateLimit(TemplateRuntimeError):
    """A template went over one of the limits above."""


class Budget:
    """Loop iterations and calls left in one render."""

    def __init__(self) -> None:
        self.steps = 0

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise TemplateLimit(
                f"more than {MAX_STEPS:,} steps (loop iterations and calls) in one report"
                " (the limit)"
            )


def limit_text(size: int, what: str) -> None:
    if size > MAX_TEXT:
        raise TemplateLimit(
            f"{what} would make a text of {size:,} characters (the limit is {MAX_TEXT:,})"
        )


def limit_items(size: int, what: str) -> None:
    if size > MAX_ITEMS:
        raise TemplateLimit(
            f"{what} would make a list of {size:,} items (the limit is {MAX_ITEMS:,})"
        )


def limit_width(value: object, what: str) -> int:
    width = value if isinstance(value, int) else 0
    if abs(width) > MAX_WIDTH:
        raise TemplateLimit(f"{what} {width:,} is over the limit of {MAX_WIDTH:,}")
    return abs(width)


def limit_result(value: object, what: str) -> object:
    if isinstance(value, str | bytes):
        limit_text(len(value), what)
    elif isinstance(value, list | tuple):
        limit_items(len(value), what)
    return value


def limit_tree(value: object, what: str) -> None:
    """The text of a list (of lists...) measured without building it: the items and the
    characters of its texts, counted every time a list holds them."""
    items, size, stack = 0, 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple | set | frozenset | dict):
            items += len(item)
            limit_items(items, what)
            stack.extend(item.items() if isinstance(item, dict) else item)
        else:
            size += _length(item) if isinstance(item, str | bytes) else 8
            limit_text(size, what)


def _length(value: object) -> int:
    return len(value) if isinstance(value, str | bytes) else _NUMBER


def check_repeat(left: object, right: object, what: str) -> None:
    """`text * n`, `list * n` and `int * int` checked before they run."""
    if isinstance(left, int) and not isinstance(right, int):
        left, right = right, left
    if isinstance(left, int) and isinstance(right, int):
        _limit_digits(_digits(left) + _digits(right), what)
    elif isinstance(right, int) and isinstance(left, str | bytes):
        limit_text(len(left) * right, what)
    elif isinstance(right, int) and isinstance(left, list | tuple):
        limit_items(len(left) * right, what)


def _digits(number: int) -> int:
    return len(str(abs(number))) if abs(number) < 10**18 else int(number.bit_length() * 0.30103) + 1


def _limit_digits(digits: float, what: str) -> None:
    if digits > MAX_DIGITS:
        raise TemplateLimit(
            f"{what} would make a number of about {digits:,.0f} digits"
            f" (the limit is {MAX_DIGITS:,})"
        )


def check_power(base: object, exponent: object) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _limit_digits(int(exponent * math.log10(abs(base))) + 1, "`**`")


def printf(text: str, args: object, what: str) -> None:
    """`text % args` and the `format` filter: widths and the result's size, before running."""
    count, widths, stars = _printf_specs(text)
    if not count:
        return
    values = list(args.values()) if isinstance(args, Mapping) else args
    values = list(values) if isinstance(values, tuple | list) else [values]
    longest = max((_length(v) for v in values), default=0)
    if stars:
        widths += stars * max(
            (limit_width(v, "a `*` width of") for v in values if isinstance(v, int)), default=0
        )
    limit_text(len(text) + widths + count * (longest + 32), what)


@functools.lru_cache(maxsize=512)
def _printf_specs(text: str) -> tuple[int, int, int]:
    """How many `%` conversions `text` has, the sum of its widths and precisions, and how many
    of them are `*` (given by the arguments)."""
    specs = _PRINTF.findall(text)
    numbers = [n for width, precision, _ in specs for n in (width, precision) if n]
    widths = sum(limit_width(int(n), "a width or precision of") for n in numbers if n != "*")
    return len(specs), widths, numbers.count("*")


def str_format(text: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """`text.format(...)` / `format_map`: widths and the result's size, before running."""
    values = [*args, *kwargs.values()]
    longest = max((_length(v) for v in values), default=0)
    size = len(text)
    for _, field, spec, _ in string.Formatter().parse(text):
        if field is None:
            continue
        numbers = [int(n) for n in re.findall(r"\d+", spec or "")]
        if spec and "{" in spec:  # a nested width comes from the arguments
            numbers += [v for v in values if isinstance(v, int)]
        size += sum(limit_width(n, "a width or precision of") for n in numbers) + longest + 32
    limit_text(size, "`format()`")


def _replaced(text: object, old: object, new: object, count: object = -1) -> int:
    if not isinstance(text, str | bytes) or not isinstance(new, str | bytes):
        return 0
    gone = len(old) if isinstance(old, str | bytes) else 0
    places = len(text) + 1 if not gone else len(text) // gone
    grow = len(new) - gone
    if isinstance(count, int) and count >= 0:
        places = min(places, count)
    return len(text) + places * max(grow, 0)


def _joined(sep: object, items: list[Any]) -> int:
    return (
        len(sep) * max(len(items) - 1, 0) + sum(map(_length, items))
        if isinstance(sep, str | bytes)
        else 0
    )


def method_call(method: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Check a call of a text's (or an integer's) method that can build a huge value; returns
    the arguments to call it with (an iterator to `join` is read into a list first)."""
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    what = f"`{name}()`"
    if isinstance(owner, int) and name == "to_bytes" and args:
        limit_text(limit_width(args[0], "a length of"), what)
    if not isinstance(owner, str | bytes):
        return args
    first: Any = args[0] if args else None
    if name in ("center", "ljust", "rjust", "zfill") and isinstance(first, int):
        limit_text(max(len(owner), first), what)
    elif name == "expandtabs":
        size = first if isinstance(first, int) else kwargs.get("tabsize", 8)
        tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
        limit_text(len(owner) + tabs * (size if isinstance(size, int) else 8), what)
    elif name == "replace" and len(args) >= 2:
        limit_text(_replaced(owner, *args[:3]), what)
    elif name == "join" and args:
        items = list(first)
        limit_text(_joined(owner, items), what)
        return (items, *args[1:])
    elif name == "translate" and args:
        table = first.values() if isinstance(first, Mapping) else first
        longest = max((len(v) for v in table if isinstance(v, str | bytes)), default=1)
        limit_text(len(owner) * max(longest, 1), what)
    return args


def _bound(func: Callable[..., Any]) -> Callable[..., inspect.BoundArguments]:
    """Bind a filter's arguments by name. Jinja2's sync/async filters (`slice`, ...) take an
    eval context first that their signature (the sync function's) does not show."""
    signature = inspect.signature(func)
    first = next(iter(signature.parameters), "")
    skip = int(hasattr(func, "jinja_pass_arg") and first not in ("eval_ctx", "environment"))

    def bind(*args: Any, **kwargs: Any) -> inspect.BoundArguments:
        bound = signature.bind(*args[skip:], **kwargs)
        bound.apply_defaults()
        return bound

    return bind


def _check_filter(name: str, a: dict[str, Any], budget: Budget) -> None:
    """Check the arguments of filter `name` (bound by name) before it runs."""
    what = f"the `{name}` filter"
    value = a.get("value", a.get("s"))
    text = value if isinstance(value, str) else ""
    length = len(text)
    if name == "center":
        limit_text(max(length, a["width"] if isinstance(a["width"], int) else 0), what)
    elif name == "indent":
        width = a["width"] if isinstance(a["width"], int) else len(str(a["width"]))
        limit_text(length + (text.count("\n") + 1) * width, what)
    elif name == "wordwrap":
        limit_text(length + (length + 1) * len(a["wrapstring"] or "\n"), what)
    elif name == "replace":
        limit_text(_replaced(text, a["old"], a["new"], a["count"] or -1), what)
    elif name == "batch" and a["fill_with"] is not None:
        limit_items(a["linecount"], what)
    elif name == "slice":
        limit_items(a["slices"], what)
        budget.step(max(a["slices"], 0) if isinstance(a["slices"], int) else 0)
    elif name == "round":
        limit_width(a["precision"], "a precision of")
    elif name == "tojson":
        _json_size(a["value"], limit_width(a["indent"], "an indent of") or None, what)
    elif name == "urlize":
        extra = len(a["target"] or "") + len(a["rel"] or "") + 64
        limit_text(3 * length + (length // 4 + 1) * extra, what)


def _json_size(value: object, indent: int | None, what: str) -> None:
    size = 0
    for chunk in json.JSONEncoder(indent=indent, sort_keys=True).iterencode(value):
        size += len(chunk) * 6  # HTML-safe escapes are at most six characters
        limit_text(size, what)


_DECIMALS = {"number": 1, "currency": 1, "percent": 1, "multiple": 1, "change": 1}
_DECIMALS |= {"kpi_value": 2, "gap": 2, "change_amount": 2}
_CHECKED = ["center", "indent", "wordwrap", "replace", "batch", "slice", "round"]
_CHECKED += ["tojson", "urlize"]


def guard_filters(filters: dict[str, Callable[..., Any]], budget: Callable[[], Budget]) -> None:
    """Wrap the filters that can build a huge value so their arguments are checked first;
    `join` and `sum` read their input into a list and check the result's size before building
    it. `budget` gives the current render's budget."""
    for name in _CHECKED:
        if name in filters:
            filters[name] = _guarded(name, filters[name], budget)
    filters["format"] = _format_checked(filters["format"])
    for name, where in _DECIMALS.items():  # the report's number filters: the hot path
        if name in filters:
            filters[name] = _decimals_checked(filters[name], where)
    for name in ("join", "sum"):
        filters[name] = _guarded_fold(name, filters[name], budget)


def _guarded(name: str, func: Callable[..., Any], budget: Callable[[], Budget]) -> Callable:
    bind = _bound(func)

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        arguments = bind(*args, **kwargs).arguments
        _check_filter(name, arguments, budget())
        return limit_result(func(*args, **kwargs), f"the `{name}` filter")

    return checked


def _format_checked(func: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(func)
    def checked(value: str, *args: Any, **kwargs: Any) -> str:
        printf(value if isinstance(value, str) else "", kwargs or args, "the `format` filter")
        return func(value, *args, **kwargs)

    return checked


def _decimals_checked(func: Callable[..., Any], where: int) -> Callable[..., Any]:
    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        decimals = args[where] if len(args) > where else kwargs.get("decimals")
        limit_width(decimals, "a number of decimals of")
        return func(*args, **kwargs)

    return checked


def _guarded_fold(name: str, func: Callable[..., Any], budget: Callable[[], Budget]) -> Callable:
    """`join` and `sum` (whose `start` may be a list) over a list read first and measured."""
    bind = _bound(func)
    where = 1  # the first argument is the eval context / environment

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        arguments = bind(*args, **kwargs).arguments
        key = "value" if name == "join" else "iterable"
        items = list(arguments[key])
        budget().step(len(items))
        limit_items(len(items), f"the `{name}` filter")
        if name == "join" and arguments["attribute"] is None:
            limit_text(_joined(str(arguments["d"]), items), "the `join` filter")
        if name == "sum" and isinstance(arguments["start"], list | tuple | str):
            sizes = [len(x) if isinstance(x, list | tuple) else 0 for x in items]
            limit_items(len(arguments["start"]) + sum(sizes), "the `sum` filter")
            budget().step(sum(itertools.accumulate(sizes)))  # each step copies the list so far
        args = (*args[:where], items, *args[where + 1 :]) if len(args) > where else args
        if len(args) <= where:
            kwargs = {**kwargs, key: items}
        return limit_result(func(*args, **kwargs), f"the `{name}` filter")

    return checked


def lipsum(func: Callable[..., str], budget: Callable[[], Budget]) -> Callable[..., str]:
    """The `lipsum()` global with its size checked first."""

    @functools.wraps(func)
    def checked(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002
        words = limit_width(n, "a number of paragraphs of") * limit_width(max, "a length of")
        budget().step(words)
        limit_text(words * 20, "`lipsum()`")
        return func(n, html, min, max)

    return checked
