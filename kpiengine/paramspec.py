"""`parameters:` entries (assumptions such as a gross margin): read and checked, with locations.

A parameter is `{value: 0.75, unit: ratio, title: ..., description: ...}`; its value is one
number, or a map from the start of a period to the number that holds from then on
(`value: {2024: 0.7, 2025-01: 0.75}`: a year, a month `YYYY-MM` or a day `YYYY-MM-DD`).

An override in another unit of the same kind is converted exactly to the unit the overridden
parameter declares, which its formulas are written for: `customer_lifetime: {value: 12, unit:
month}` is 1 year for the library's LTV. A unit of another kind is an error at the override.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import Any

from .checker import Checker
from .checks.definitions import BadValue
from .errors import Location, suggestion
from .formula import NAME_PATTERN
from .model import PERIODS_PER_YEAR, Parameter
from .schema import parse_unit
from .targetspec import is_number
from .units import UnitSystem
from .yamlio import YMap

PARAMETER_KEYS = ("value", "unit", "title", "description")
_START = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
VALUE_HELP = "a number, or a map from a period start to a number (`{2024: 0.7, 2025-01: 0.75}`)"


def period_start(key: Any) -> dt.date | None:
    """`2024` -> 2024-01-01, `2025-01` -> 2025-01-01, `2025-03-15` -> itself; None if not one."""
    if isinstance(key, dt.date) and not isinstance(key, dt.datetime):
        return key
    if isinstance(key, bool):
        return None
    found = _START.match(str(key))
    if not found:
        return None
    year, month, day = (int(g) if g else 1 for g in found.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_values(
    value: Any, location: Location, what: str, checker: Checker
) -> tuple[float | None, tuple[tuple[dt.date, float], ...]] | None:
    """(constant, ()) or (None, ((start, value), ...) sorted); None after reporting an error."""
    if is_number(value):
        return float(value), ()
    if not isinstance(value, YMap) or not value:
        checker.error(BadValue, f"the `value` of {what} must be {VALUE_HELP}", location)
        return None
    starts: list[tuple[dt.date, float]] = []
    for key, item in value.items():
        start = period_start(key)
        if start is None:
            checker.error(
                BadValue,
                f"`{key}` is not a period start: write a year (2024), a month (2025-01) "
                "or a day (2025-01-15)",
                value.key_loc(key),
            )
            return None
        if not is_number(item):
            checker.error(
                BadValue, f"the value from {key} on must be a number", value.value_loc(key)
            )
            return None
        starts.append((start, float(item)))
    return None, tuple(sorted(starts))


def build_parameter(
    name: str,
    entry: Any,
    location: Location,
    layer: str,
    units: UnitSystem,
    checker: Checker,
    base: Parameter | None = None,
) -> Parameter | None:
    """A parameter from its entry; `base` (the one it overrides) lends its unit and texts, and
    then the entry may be the value alone (`gross_margin_rate: 0.7` in kpi.yaml)."""
    what = f"parameter `{name}`"
    if not isinstance(entry, YMap) or (base is not None and "value" not in entry):
        entry = _wrap(entry, location)
    checker.keys(entry, PARAMETER_KEYS, what)
    if "value" not in entry:
        checker.error(BadValue, f"{what} has no `value`", location, fix="add e.g. `value: 0.75`")
        return None
    parsed = parse_values(entry["value"], entry.value_loc("value"), what, checker)
    if parsed is None:
        return None
    written = entry.get("unit", base.unit_text if base else None)
    if written is None or written == "":
        checker.error(BadValue, f"{what} has no `unit`", location, fix="add e.g. `unit: ratio`")
        return None
    unit_loc = entry.value_loc("unit") if "unit" in entry else location
    unit = parse_unit(written, unit_loc, units, checker)  # a list or a mapping is KPI008
    if unit is None and (isinstance(written, bool) or not isinstance(written, str | int)):
        return None
    unit_text = str(written)
    if base is not None and base.unit is not None and unit is not None and unit != base.unit:
        if not unit.same_dimension(base.unit):
            checker.error(
                BadValue,
                f"{what} is in {base.unit_text} where it is declared ({base.location}), which "
                f"its formulas rely on: `{unit_text}` cannot be converted to {base.unit_text}",
                unit_loc,
                fix=f"give the value in {base.unit_text}, or declare a parameter of your own",
            )
            return None
        parsed = _converted(parsed, unit.factor_to(base.unit))
        unit, unit_text = base.unit, base.unit_text
    return Parameter(
        id=name,
        unit_text=unit_text,
        unit=unit,
        constant=parsed[0],
        by_period=parsed[1],
        title=checker.text(entry, "title", what) or (base.title if base else {}),
        description=checker.text(entry, "description", what) or (base.description if base else {}),
        location=location,
        layer=layer,
        overrides=base.location if base else None,
    )


def _converted(
    parsed: tuple[float | None, tuple[tuple[dt.date, float], ...]], factor: Fraction
) -> tuple[float | None, tuple[tuple[dt.date, float], ...]]:
    """The values times an exact unit factor (12 month x 1/12 = 1 year, not 0.9999...)."""

    def times(value: float) -> float:
        return float(Fraction(value) * factor)

    constant, by_period = parsed
    return (
        None if constant is None else times(constant),
        tuple((start, times(value)) for start, value in by_period),
    )


def _wrap(value: Any, location: Location) -> YMap:
    """`{value: <value>}` located where the value stands."""
    out = YMap({"value": value})
    out.loc = location
    out.key_locs = {"value": location}
    out.value_locs = {"value": location}
    out.raw = {"value": None}
    return out


def merge_parameters(
    layers: list[tuple[str, list[tuple[Any, str, Location]]]],
    units: UnitSystem,
    checker: Checker,
) -> dict[str, Parameter]:
    """Every layer's parameters, a later layer overriding an earlier one's (kpi.yaml last)."""
    out: dict[str, Parameter] = {}
    for layer, entries in layers:
        for entry, name, location in entries:
            if not NAME_PATTERN.match(name) or "__" in name or name == PERIODS_PER_YEAR:
                checker.error(
                    BadValue,
                    f"`{name}` is not a valid parameter id: use lower_snake_case"
                    + (" (`periods_per_year` is built in)" if name == PERIODS_PER_YEAR else ""),
                    location,
                )
                continue
            base = out.get(name)
            bare = base is None and not isinstance(entry, YMap)
            close = suggestion(name, out) if bare else ""
            if close:  # a bare value overrides a parameter: `gross_margn_rate: 0.7` is a typo
                checker.error(
                    BadValue, f"parameter `{name}` overrides no parameter{close}", location,
                    fix="write the id of the parameter to override, or give a new one its "
                    "`value:` and `unit:`",
                )  # fmt: skip
                continue
            built = build_parameter(name, entry, location, layer, units, checker, base)
            if built is not None:
                out[name] = built
    return out
