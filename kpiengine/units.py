"""Units of measure: currency, counted entities, time, and their products and quotients."""

from __future__ import annotations

import ast
import functools
import itertools
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from .errors import suggestion

#: Entities counted out of the box; a workspace may declare more under `units:`.
ENTITIES = frozenset(
    [
        "customers",
        "leads",
        "mqls",
        "sqls",
        "sqos",
        "opportunities",
        "deals",
        "sessions",
        "visitors",
        "users",
        "clicks",
        "impressions",
        "conversions",
        "orders",
        "purchases",
        "bounces",
        "pageviews",
        "signups",
        "subscribers",
        "followers",
        "engagements",
        "interactions",
        "posts",
        "emails",
        "contacts",
        "accounts",
        "trials",
        "downloads",
        "views",
        "students",
        "enrollments",
        "messages",
        "opens",
        "goals",
        "calls",
        "meetings",
        "demos",
    ]
)

#: Length of each time unit in days, exactly (a month is 1/12 of a 365.25-day year).
TIME_UNITS: dict[str, Fraction] = {
    "second": Fraction(1, 86400),
    "minute": Fraction(1, 1440),
    "hour": Fraction(1, 24),
    "day": Fraction(1),
    "week": Fraction(7),
    "month": Fraction(1461, 48),
    "quarter": Fraction(1461, 16),
    "year": Fraction(1461, 4),
}

TIME = "time"
CURRENCY = "currency"
_ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")
# A count written in a multiple (`1000 impressions`, `1,000 impressions`, `1e3 impressions`):
# the number and the spaces after it become one name `_1000impressions` of the same length,
# so the multiple binds to its entity (`currency / 1000 impressions` is per 1,000) and the
# columns of errors stay exact.
_MULTIPLE = re.compile(r"(?<![\w.])(\d[\d,_]*(?:[eE]\d+)?)(\s+)(?=[A-Za-z_])")
_MULTIPLE_NAME = re.compile(r"^_(\d[\d_]*?(?:e\d+)?)(_*)([A-Za-z]\w*)$")
_PER = re.compile(r"(?<!\w)per(?!\w)")
_IRREGULAR_SINGULARS = {"opportunity": "opportunities", "day": "day", "sqo": "sqos"}


@dataclass(frozen=True)
class Unit:
    """A product of base dimensions with rational exponents, times an exact scale.

    The scale comes from time units and from counts written in multiples: `customers / year`
    has dimension customers/time and scale 1/365.25 (per day); `currency / (1000 impressions)`
    has dimension currency/impressions and scale 1/1000. Two units with equal dimensions but
    different scales differ by a conversion factor (`scale` ratio) a formula must apply.
    """

    dims: tuple[tuple[str, Fraction], ...] = ()
    scale: Fraction = Fraction(1)

    @staticmethod
    def of(dims: dict[str, Fraction], scale: Fraction = Fraction(1)) -> Unit:
        return Unit(tuple(sorted((k, Fraction(v)) for k, v in dims.items() if v != 0)), scale)

    @property
    def dim_map(self) -> dict[str, Fraction]:
        return dict(self.dims)

    def __mul__(self, other: Unit) -> Unit:
        dims = self.dim_map
        for name, exp in other.dims:
            dims[name] = dims.get(name, Fraction(0)) + exp
        return Unit.of(dims, self.scale * other.scale)

    def __truediv__(self, other: Unit) -> Unit:
        return self * other**-1

    def __pow__(self, exponent: Fraction | int) -> Unit:
        exponent = Fraction(exponent)
        scale = self.scale**exponent if exponent.denominator == 1 else self.scale
        return Unit.of({k: v * exponent for k, v in self.dims}, Fraction(scale))

    @property
    def dimensionless(self) -> bool:
        return not self.dims

    def same_dimension(self, other: Unit) -> bool:
        return self.dims == other.dims

    def factor_to(self, other: Unit) -> Fraction:
        """The number a value in this unit must be multiplied by to be expressed in `other`."""
        return self.scale / other.scale

    def __str__(self) -> str:
        return format_unit(self)


RATIO = Unit()


def time_unit_for(dims: dict[str, Fraction], scale: Fraction) -> str | None:
    """The time unit whose power matches `scale` for the time exponent in `dims`."""
    exp = dims.get(TIME, Fraction(0))
    if exp == 0 or exp.denominator != 1:
        return None
    for name, days in TIME_UNITS.items():
        if days**exp == scale:
            return name
    return None


def _is_multiple(factor: Fraction) -> bool:
    """Whether `factor` is a power of ten above 1, the multiples a unit may count in."""
    if factor.denominator != 1 or factor.numerator < 10:
        return False
    digits = str(factor.numerator)
    return digits[0] == "1" and set(digits[1:]) == {"0"}


#: Time units that may share a unit's time dimension (`/ month / year`): at most this many.
_MAX_TIME_LABELS = 4


@functools.lru_cache(maxsize=256)
def _time_labels(
    exp: Fraction, scale: Fraction
) -> tuple[tuple[str, ...], tuple[str, ...], Fraction]:
    """(time units multiplying, time units dividing, the scale left for a multiple) for a time
    exponent: one unit when one fits (`month**2`), else a few (`/ month / year`: a monthly
    amount over a lifetime in years), else `day` and the whole scale (`(x...)`)."""
    if exp.denominator != 1:
        label = f"day^{abs(exp)}"
        return ((label,), (), scale) if exp > 0 else ((), (label,), scale)
    n = int(exp)
    if n == 0 and (scale == 1 or _is_multiple(scale) or _is_multiple(1 / scale)):
        return (), (), scale  # no time, or only a multiple (`(1000 impressions)`)
    best: tuple[tuple, tuple[str, ...], tuple[str, ...], Fraction] | None = None
    for extra in (0, 1):  # the fewest labels: `month / year` (time cancelling) only if needed
        ups, downs = max(n, 0) + extra, max(-n, 0) + extra
        if ups + downs > _MAX_TIME_LABELS or ups + downs == 0:
            continue
        for top in itertools.combinations_with_replacement(TIME_UNITS, ups):
            for bottom in itertools.combinations_with_replacement(TIME_UNITS, downs):
                if set(top) & set(bottom):
                    continue
                days = math.prod((TIME_UNITS[u] for u in top), start=Fraction(1))
                days /= math.prod((TIME_UNITS[u] for u in bottom), start=Fraction(1))
                leftover = scale / days
                if leftover != 1 and not (_is_multiple(leftover) or _is_multiple(1 / leftover)):
                    continue
                rank = (leftover != 1, len(set(top) | set(bottom)))
                if best is None or rank < best[0]:
                    best = (rank, top, bottom, leftover)
        if best is not None:
            return best[1], best[2], best[3]
    if n == 0:
        return (), (), scale
    return (("day",) * n, (), scale) if n > 0 else ((), ("day",) * -n, scale)


def _powers(names: tuple[str, ...]) -> list[str]:
    """`month, month, year` -> `month**2`, `year`."""
    counted = dict.fromkeys(names, 0)
    for name in names:
        counted[name] += 1
    return [name if k == 1 else f"{name}**{k}" for name, k in counted.items()]


def readable(unit: Unit) -> bool:
    """Whether the unit can be told in a message: powers that are small fractions (a square
    root, `**3`), not `currency^333/1000` from `revenue ** 0.333` or nested roots."""
    exps = [e for _, e in unit.dims]
    return all(e.denominator <= 4 and abs(e.numerator) <= 12 for e in exps) and (
        " (x" not in format_unit(unit)
    )


def declarable(unit: Unit) -> bool:
    """Whether a KPI can declare the unit (`unit:` takes whole powers and multiples of ten)."""
    return all(e.denominator == 1 for _, e in unit.dims) and readable(unit)


def format_unit(unit: Unit) -> str:
    """Readable form: `currency / customers`, `customers / year`, `currency / (1000 impressions)`,
    `currency / customers / month / year`, `ratio`; it parses back to the same unit."""
    dims = unit.dim_map
    time_exp = dims.pop(TIME, Fraction(0))
    time_up, time_down, leftover = _time_labels(time_exp, unit.scale)
    ordered = sorted(dims.items())
    labels = []
    for name, exp in ordered:
        power = abs(exp)
        labels.append(
            name
            if power == 1
            else f"{name}**{power}"
            if power.denominator == 1
            else f"{name}^{power}"
        )
    # A multiple is written on the first counted entity: per 1,000 impressions is
    # `currency / (1000 impressions)`, whose value is 1,000 times the per-impression one.
    counted_den = [i for i, (_, e) in enumerate(ordered) if e < 0]
    counted_num = [i for i, (_, e) in enumerate(ordered) if e > 0]
    if leftover != 1 and _is_multiple(1 / leftover) and counted_den:
        i = counted_den[0]
        labels[i], leftover = f"({1 / leftover}{_joint(labels[i])}{labels[i]})", Fraction(1)
    elif leftover != 1 and _is_multiple(leftover) and counted_num:
        i = counted_num[0]
        labels[i], leftover = f"({leftover}{_joint(labels[i])}{labels[i]})", Fraction(1)
    num = [label for label, (_, e) in zip(labels, ordered, strict=True) if e > 0]
    den = [label for label, (_, e) in zip(labels, ordered, strict=True) if e < 0]
    num += time_up if time_exp.denominator != 1 else _powers(time_up)
    den += time_down if time_exp.denominator != 1 else _powers(time_down)
    # A multiple with no counted entity to carry it is written as a number, which parses back.
    if leftover != 1 and _is_multiple(leftover):
        num, leftover = [str(leftover), *num], Fraction(1)
    elif leftover != 1 and _is_multiple(1 / leftover):
        den, leftover = [*den, str(1 / leftover)], Fraction(1)
    text = " * ".join(num) if num else ("1" if den else "ratio")
    if den:
        text += " / " + " / ".join(den)
    if leftover != 1:
        text += f" (x{leftover})"
    return text


def _joint(label: str) -> str:
    """A space before a plain name (`1000 impressions`); `*` before a power, which a
    space would bind less tightly than the multiple."""
    return " * " if "*" in label or "^" in label else " "


class UnitSyntaxError(ValueError):
    """A unit string that cannot be read; `column` is 0-based within the string."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.column = column


class UnitSystem:
    """Names that may appear in unit strings for one workspace."""

    def __init__(self, currency: str | None = None, extra_entities: frozenset[str] = frozenset()):
        self.currency = currency
        self.entities = ENTITIES | extra_entities

    def base(self, name: str) -> Unit:
        if name in ("ratio", "1", "percent_fraction"):
            return RATIO
        if name == CURRENCY or (self.currency and name == self.currency):
            return Unit.of({CURRENCY: Fraction(1)})
        if _ISO_CURRENCY.match(name):
            return Unit.of({f"{CURRENCY}:{name}": Fraction(1)})
        time = name[:-1] if name.endswith("s") and name[:-1] in TIME_UNITS else name
        if time in TIME_UNITS:
            return Unit.of({TIME: Fraction(1)}, TIME_UNITS[time])
        if name in ("percent", "percentage", "pct"):
            raise UnitSyntaxError(
                f"`{name}` is no unit: a percentage is the unit `ratio` "
                "(0.25 for 25%), shown as a percent with `format: percent`"
            )
        entity = self._entity(name)
        if entity is None:
            known = sorted(self.entities | set(TIME_UNITS) | {CURRENCY, "ratio"})
            raise UnitSyntaxError(
                f"unknown unit `{name}`{suggestion(name, known)} "
                "(declare new counted entities under `units:`)"
            )
        return Unit.of({entity: Fraction(1)})

    def _entity(self, name: str) -> str | None:
        if name in self.entities:
            return name
        for plural in (_IRREGULAR_SINGULARS.get(name), name + "s", name + "es"):
            if plural in self.entities:
                return plural
        return None

    def parse(self, text: str) -> Unit:
        """Parse `currency / customers`, `customers / year`, `currency * day`, `ratio`, and
        multiples of ten: `currency / (1000 impressions)` (per 1,000 impressions)."""
        source = str(text).strip()
        if not source:
            raise UnitSyntaxError("empty unit")
        # Rewrites keep the length, so columns stay those of the text as written.
        written = source
        source = _PER.sub(" / ", source)
        source = _MULTIPLE.sub(_multiple_name, source)
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise UnitSyntaxError(
                f"cannot read unit `{written}`: {_EXPECTED}", (exc.offset or 1) - 1
            ) from None
        return self._eval(tree.body)

    def _multiple(self, node: ast.Name) -> Unit | None:
        """`_1000impressions` (from `1000 impressions`) as 1000 times the entity, else None."""
        match = _MULTIPLE_NAME.match(node.id)
        if match is None:
            return None
        number, spaces, name = match.groups()
        factor = _number(number.replace("_", ""))
        if factor is None or not _is_multiple(factor):
            raise UnitSyntaxError(
                f"a count is written in a multiple of ten (10, 100, 1000, ...), not "
                f"`{number.replace('_', '')}`",
                node.col_offset,
            )
        column = node.col_offset + 1 + len(number) + len(spaces)
        try:
            return Unit((), factor) * self.base(name)
        except UnitSyntaxError as exc:
            raise UnitSyntaxError(str(exc), column) from None

    def _eval(self, node: ast.AST) -> Unit:
        if isinstance(node, ast.Name):
            multiple = self._multiple(node)
            if multiple is not None:
                return multiple
            try:
                return self.base(node.id)
            except UnitSyntaxError as exc:
                raise UnitSyntaxError(str(exc), node.col_offset) from None
        if isinstance(node, ast.Constant) and node.value == 1 and type(node.value) is int:
            return RATIO
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            factor = _number(str(node.value))
            if factor is not None and _is_multiple(factor):
                return Unit((), factor)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mult):
                return self._eval(node.left) * self._eval(node.right)
            if isinstance(node.op, ast.Div):
                return self._eval(node.left) / self._eval(node.right)
            if (
                isinstance(node.op, ast.Pow)
                and isinstance(node.right, ast.Constant)
                and type(node.right.value) is int
            ):
                return self._eval(node.left) ** node.right.value
        raise UnitSyntaxError(_EXPECTED, getattr(node, "col_offset", 0))


_EXPECTED = (
    "a unit is made of names joined by `*`, `/` (or `per`) and integer `**` powers, "
    "counted in multiples of ten if need be (`1000 impressions`)"
)


def _multiple_name(match: re.Match[str]) -> str:
    number, spaces = match.group(1), match.group(2)
    # Thousands separators (`1,000`) read as `_`, which a Python name may hold.
    return "_" + number.replace(",", "_").lower() + "_" * (len(spaces) - 1)


def _number(text: str) -> Fraction | None:
    """The exact value of `1000`, `1_000` or `1e3`; None for text that is no number."""
    try:
        return Fraction(text.replace("_", ""))
    except ValueError:
        return None
