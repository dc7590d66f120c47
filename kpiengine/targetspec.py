"""A KPI's `target:` as YAML writes it: a constant, values by period, or annual amounts split
over the months (`kpi.yaml`'s `targets:` too)."""

from __future__ import annotations

import math
import re
from typing import Any

from .checker import Checker
from .checks.definitions import BadValue
from .errors import Location
from .model import TargetSpec
from .periods import DEFAULT, PeriodError
from .sourceconfig import kind_of
from .yamlio import YMap

PERIOD_LABEL = re.compile(r"^(FY)?\d{4}(-(\d{2}|Q[1-4]|W\d{2}|\d{2}-\d{2}))?$")


def is_number(value: Any) -> bool:
    """A finite number (YAML's `.inf` and `.nan` are not targets, weights or examples)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_PERCENT = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*")


#: YAML 1.1 numbers that are not written in decimals: hexadecimal, binary, octal with a leading
#: zero, and base 60 (`1:30` is 90); `0o17` is text already.
_NOT_DECIMAL = (
    (re.compile(r"[-+]?0x[0-9a-fA-F_]+"), "a hexadecimal number"),
    (re.compile(r"[-+]?0b[01_]+"), "a binary number"),
    (re.compile(r"[-+]?0[0-7_]+"), "an octal number (a leading zero)"),
    (re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"), "a number in base 60"),
)


def not_decimal(value: Any, written: str | None) -> str | None:
    """Why a number YAML read is not the one written in decimals (`0x10` is 16, `017` is 15,
    `1:30` is 90); None for a decimal number, text or anything else."""
    if not is_number(value) or written is None:
        return None
    for pattern, what in _NOT_DECIMAL:
        if pattern.fullmatch(written.strip()):
            return f"`{written.strip()}`, {what}, which YAML reads as {value:g}"
    return None


def target_number(value: Any) -> float | None:
    """A target's number: a finite number, or a percentage written as text (`5%` = 0.05, as a
    percent KPI shows it); None for anything else."""
    if is_number(value):
        return float(value)
    found = _PERCENT.fullmatch(value) if isinstance(value, str) else None
    return float(found.group(1)) / 100 if found else None


def refused(value: Any, expected: str) -> str:
    """What is wrong with a bad value as the user wrote it: text in quotes, saying so (`"0.5"`
    is text); a number beyond any float (`1e999`, which YAML reads as infinite) too large."""
    if isinstance(value, float) and math.isinf(value):
        return "is a number too large for any calculation (the largest is about 1.8e+308)"
    if isinstance(value, str):
        return f'must be {expected}, not the text "{value}" (a number is written without quotes)'
    return f"must be {expected}, not {kind_of(value)}"


def _is_period(label: str) -> bool:
    """A label naming a real period (not 2024-02-30, nor one ending after year 9999)."""
    try:
        DEFAULT.label_bounds(label.removeprefix("FY"))  # a fiscal year's dates need the calendar
    except (PeriodError, ValueError, OverflowError):
        return False
    return True


def parse_target(
    value: Any, location: Location, kpi: str, checker: Checker, written: str | None = None
) -> TargetSpec | None:
    """`0.3`, `{2024-06: 0.3, ...}` or `{annual: 1200000, split: even}`; None when absent.
    `written` is the YAML text of a single value: a number not written in decimals (`0x10`)
    is an error, as `0o17` (text) is."""
    if value is None:
        return None
    if _refused_notation(value, written, location, f"the target of `{kpi}`", kpi, checker):
        return None
    constant = target_number(value)
    if constant is not None:
        return TargetSpec(location, constant=constant)
    if not isinstance(value, YMap):
        checker.error(
            BadValue,
            "`target` "
            + refused(
                value,
                "a number (or a percentage: `5%`), a map of period to number, or "
                "{annual: ..., split: ...}",
            ),
            location,
            kpi,
        )
        return None
    spec = TargetSpec(location)
    for key, item in value.items():
        key = str(key)
        item_loc = value.value_loc(key)
        if key == "annual":
            if not _refused_notation(item, value.raw.get(key), item_loc, "`annual`", kpi, checker):
                spec.annual = _annual(item, item_loc, kpi, checker)
        elif key == "split":
            spec.split = _split(item, item_loc, kpi, checker)
        elif PERIOD_LABEL.match(key) and _is_period(key):
            number = target_number(item)
            what = f"the target of `{kpi}` for `{key}`"
            if _refused_notation(item, value.raw.get(key), item_loc, what, kpi, checker):
                continue
            if number is None:
                checker.error(
                    BadValue,
                    f"the target for `{key}` " + refused(item, "a number (or a percentage: `5%`)"),
                    item_loc,
                    kpi,
                )
            else:
                spec.by_period[key] = number
        else:
            checker.error(
                BadValue,
                f"target key `{key}` must be a period (2024, 2024-Q2, 2024-06, 2024-W23, "
                "2024-06-01) with a number, or `annual`/`split`",
                value.key_loc(key),
                kpi,
            )
    if spec.split is not None and not spec.annual:
        checker.error(BadValue, "`split` goes with `annual`", value.key_loc("split"), kpi)
    return spec


def _refused_notation(
    value: Any, written: str | None, location: Location, what: str, kpi: str, checker: Checker
) -> bool:
    """An error (and True) for a number not written in decimals."""
    why = not_decimal(value, written)
    if why is None:
        return False
    checker.error(
        BadValue,
        f"{what} is written {why}: a target is a decimal number",
        location,
        kpi,
        fix=f"write the number in decimals (`{value:g}` if {value:g} is meant)",
    )
    return True


def _annual(item: Any, location: Location, kpi: str, checker: Checker) -> dict[str, float]:
    if is_number(item):
        return {"*": float(item)}
    if isinstance(item, YMap) and all(
        re.match(r"^\d{4}$", str(k)) and _is_period(str(k)) and is_number(v)
        for k, v in item.items()
    ):
        return {str(k): float(v) for k, v in item.items()}
    checker.error(BadValue, "`annual` must be a number or a map of year to number", location, kpi)
    return {}


def _split(item: Any, location: Location, kpi: str, checker: Checker) -> list[float] | None:
    if item == "even":
        return None
    if (
        isinstance(item, list)
        and len(item) == 12
        and all(is_number(w) and w >= 0 for w in item)
        and sum(item) > 0
    ):
        total = float(sum(item))
        return [float(w) / total for w in item]
    checker.error(
        BadValue, "`split` must be `even` or 12 non-negative monthly weights", location, kpi
    )
    return None
