"""The definitions schema: variables, KPIs and units read from YAML, every key checked.

Longer than 420 lines: every key of a definitions file is checked here, with the messages that
say what was expected; split, the readers of one file would be spread over several modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .checker import Checker
from .checks.definitions import BadUnit, BadValue, FormulaSyntax
from .checks.examples import ExampleIncomplete
from .errors import Location, suggestion
from .examples import wrong_given
from .formula import NAME_PATTERN, FormulaError, parse_formula
from .model import (
    AGGREGATES,
    DIRECTIONS,
    DISTINCT,
    FORMATS,
    KPI,
    SEGMENT_AGGREGATES,
    Aggregate,
    Example,
    Reference,
    Variable,
)
from .refs import display_ref, parse_display
from .targetspec import is_number as _is_number
from .targetspec import parse_target, target_number
from .units import Unit, UnitSyntaxError, UnitSystem
from .yamlio import YList, YMap

FILE_KEYS = ("units", "variables", "kpis", "parameters", "references")
VARIABLE_KEYS = ("unit", "aggregate", "title", "description", "otherwise")
KPI_KEYS = (
    "title",
    "description",
    "formula",
    "unit",
    "format",
    "decimals",
    "direction",
    "target",
    "at_risk",
    "examples",
    "aliases",
    "tags",
    "source",
    "references",
    "notes",
    "allow",
    "range",
)
EXAMPLE_KEYS = ("given", "expect", "reported", "note", "source", "tolerance")
TIME_ONLY = ("last", "first")


@dataclass
class FileDefinitions:
    """What one definitions file declares, before names are resolved across files."""

    units: dict[str, Location] = field(default_factory=dict)
    variables: list[tuple[YMap, str]] = field(default_factory=list)  # (entry, id)
    kpis: list[tuple[YMap, str]] = field(default_factory=list)
    parameters: list[tuple[Any, str, Location]] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


def _one_kpi_at_top(data: YMap, checker: Checker) -> bool:
    """A file holding one KPI's keys at its top level (`formula:`, `title:` ...), as a newcomer
    writes it: one error saying where they go (True), not one unknown key per line."""
    if "formula" not in data or any(key in data for key in FILE_KEYS):
        return False
    name = data.get("id")
    name = name if isinstance(name, str) and NAME_PATTERN.match(name) else "my_kpi"
    checker.error(
        BadValue,
        "this file writes one KPI's keys (`formula`, ...) at its top level: a definitions file "
        "lists KPIs under `kpis:`, each under its id",
        data.key_loc("formula"),
        fix=f"indent the KPI under `kpis:` and its id: `kpis:` / `  {name}:` / "
        f"`    formula: {data.get('formula')}` ...",
    )
    return True


def read_file(data: Any, file: str, checker: Checker) -> FileDefinitions:
    """Split a parsed definitions file into its units, variable entries and KPI entries."""
    out = FileDefinitions()
    if data is None:
        return out
    if not checker.mapping(data, Location(file, 1, 1), "a definitions file"):
        return out
    if _one_kpi_at_top(data, checker):
        return out
    checker.keys(data, FILE_KEYS, "a definitions file")
    units = data.get("units")
    if units is not None:
        if isinstance(units, YList) and all(isinstance(u, str) for u in units):
            out.units = {u: units.item_loc(i) for i, u in enumerate(units)}
        else:
            checker.error(BadValue, "`units` must be a list of names", data.value_loc("units"))
    parameters = data.get("parameters")
    if parameters is not None and checker.mapping(
        parameters, data.value_loc("parameters"), "`parameters`"
    ):
        for name, entry in parameters.items():
            out.parameters.append((entry, str(name), parameters.key_loc(name)))
    out.references = read_references(data, checker)
    for section, target in (("variables", out.variables), ("kpis", out.kpis)):
        entries = data.get(section)
        if entries is None:
            continue
        if not checker.mapping(entries, data.value_loc(section), f"`{section}`"):
            continue
        for name, entry in entries.items():
            name = str(name)
            if not NAME_PATTERN.match(name) or "__" in name:
                checker.error(
                    BadValue,
                    f"`{name}` is not a valid id: use lower_snake_case (a letter, then letters, "
                    "digits and single `_`)",
                    entries.key_loc(name),
                )
                continue
            if not checker.mapping(entry, entries.value_loc(name), f"`{name}`"):
                continue
            target.append((entry, name))
    return out


REFERENCE_KEYS = ("title", "language", "published")


def read_references(data: YMap, checker: Checker) -> list[Reference]:
    """A file's `references:`: id -> {title, language, published} (the articles KPIs cite)."""
    entries = data.get("references")
    out: list[Reference] = []
    if entries is None or not checker.mapping(
        entries, data.value_loc("references"), "`references`"
    ):
        return out
    for name, entry in entries.items():
        what = f"reference `{name}`"
        if not checker.mapping(entry, entries.value_loc(name), what):
            continue
        checker.keys(entry, REFERENCE_KEYS, what)
        if not isinstance(entry.get("title"), str) or not isinstance(entry.get("language"), str):
            checker.error(
                BadValue,
                f"{what} needs a `title` and a `language` (text)",
                entries.key_loc(name),
                fix='add e.g. `title: "Marketing KPIs: a guide"` and `language: en`',
            )
            continue
        published = entry.get("published", "")
        out.append(
            Reference(
                str(name), entry["title"], entry["language"], entries.key_loc(name), str(published)
            )
        )
    return out


def parse_unit(
    text: Any, location: Location, units: UnitSystem, checker: Checker, kpi: str | None = None
) -> Unit | None:
    if not isinstance(text, str | int) or isinstance(text, bool):
        checker.error(BadUnit, "`unit` must be text such as `currency / customers`", location, kpi)
        return None
    try:
        return units.parse(str(text))
    except UnitSyntaxError as exc:
        checker.error(BadUnit, str(exc), location.shifted(exc.column), kpi)
        return None


def build_variable(
    name: str, entry: YMap, layer: str, units: UnitSystem, checker: Checker
) -> Variable:
    what = f"variable `{name}`"
    checker.keys(entry, VARIABLE_KEYS, what)
    unit = None
    if "unit" not in entry:
        checker.error(BadValue, f"{what} has no `unit`", entry.loc, fix="add `unit: currency`")
    else:
        unit = parse_unit(entry["unit"], entry.value_loc("unit"), units, checker)
    return Variable(
        id=name,
        unit_text=str(entry.get("unit", "")),
        unit=unit,
        aggregate=_aggregate(entry, what, checker),
        title=checker.text(entry, "title", what),
        description=checker.text(entry, "description", what),
        location=entry.loc,
        layer=layer,
        otherwise=_otherwise(entry, what, checker),
    )


def _otherwise(entry: YMap, what: str, checker: Checker) -> str | None:
    """`otherwise: deals_won`: the variable read in this one's place when no source gives it
    (its own `otherwise:` in turn, when no source gives that one either)."""
    value = entry.get("otherwise")
    if value is None:
        return None
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        checker.error(
            BadValue,
            f"{what}: `otherwise` names another variable, e.g. `otherwise: deals_won`",
            entry.value_loc("otherwise"),
        )
        return None
    return value


def _aggregate(entry: YMap, what: str, checker: Checker) -> Aggregate:
    value = entry.get("aggregate", "sum")
    location = entry.value_loc("aggregate")
    rules = ", ".join(AGGREGATES)
    if isinstance(value, str):
        if value in AGGREGATES:
            # `last`/`first` describe a stock over time; across segments a stock adds up
            return Aggregate(value, "sum" if value in TIME_ONLY else value)
        checker.error(
            BadValue,
            f"`aggregate` of {what} must be one of {rules}{suggestion(value, AGGREGATES)}",
            location,
        )
        return Aggregate()
    if isinstance(value, YMap):
        checker.keys(value, ("time", "segments"), f"`aggregate` of {what}")
        parts = []
        for key in ("time", "segments"):
            rule = value.get(key, "sum")
            allowed = tuple(a for a in AGGREGATES if a != DISTINCT)
            allowed = allowed if key == "time" else SEGMENT_AGGREGATES
            if rule not in allowed:
                checker.error(
                    BadValue,
                    f"`{key}` must be one of {', '.join(allowed)} (a distinct count is "
                    "`aggregate: distinct`)",
                    value.value_loc(key),
                )
                rule = "sum"
            parts.append(rule)
        return Aggregate(*parts)
    checker.error(
        BadValue, f"`aggregate` must be a rule ({rules}) or {{time:, segments:}}", location
    )
    return Aggregate()


def build_kpi(name: str, entry: YMap, layer: str, units: UnitSystem, checker: Checker) -> KPI:
    what = f"KPI `{name}`"
    checker.keys(entry, KPI_KEYS, what, name)
    formula_text = entry.get("formula")
    formula = None
    formula_loc = entry.value_loc("formula")
    if formula_text is None:
        checker.error(BadValue, f"{what} has no `formula`", entry.loc, name)
    elif not isinstance(formula_text, str | int | float) or isinstance(formula_text, bool):
        checker.error(BadValue, "`formula` must be text", formula_loc, name)
    else:
        try:
            formula = parse_formula(str(formula_text))
        except FormulaError as exc:
            checker.error(
                FormulaSyntax, exc.message, formula_loc.shifted(exc.column), name, exc.fix
            )
    unit = None
    if "unit" not in entry:
        checker.error(BadUnit, f"{what} has no `unit`", entry.loc, name, "add e.g. `unit: ratio`")
    else:
        unit = parse_unit(entry["unit"], entry.value_loc("unit"), units, checker, name)
    title = checker.text(entry, "title", what, name)  # optional: KPI.title_in falls back
    decimals = entry.get("decimals")
    if decimals is not None and (not isinstance(decimals, int) or not 0 <= decimals <= 10):
        checker.error(
            BadValue, "`decimals` must be a whole number 0-10", entry.value_loc("decimals"), name
        )
        decimals = None
    at_risk = checker.number(entry, "at_risk", what, name)
    if at_risk is not None and not 0 <= at_risk < 1:
        checker.error(
            BadValue,
            "`at_risk` is a fraction of the target, from 0 to 1",
            entry.value_loc("at_risk"),
            name,
        )
        at_risk = None
    return KPI(
        id=name,
        title=title,
        description=checker.text(entry, "description", what, name),
        formula_text=str(formula_text or ""),
        formula=formula,
        unit_text=str(entry.get("unit", "")),
        unit=unit,
        format=checker.choice(entry, "format", FORMATS, "number", name),
        direction=checker.choice(entry, "direction", DIRECTIONS, "higher", name),
        location=entry.loc,
        layer=layer,
        decimals=decimals,
        target=parse_target(
            entry.get("target"), entry.value_loc("target"), name, checker, entry.raw.get("target")
        ),
        at_risk=at_risk,
        examples=_examples(entry, name, checker),
        aliases=checker.strings(entry, "aliases", name),
        tags=checker.strings(entry, "tags", name),
        source=checker.strings(entry, "references", name) or checker.strings(entry, "source", name),
        notes=checker.text(entry, "notes", what, name),
        allow=_allow(entry, name, checker),
        formula_location=formula_loc,
        range=_range(entry, name, checker),
    )


def _range(entry: YMap, kpi: str, checker: Checker) -> tuple[float | None, float | None] | None:
    """`range: [0, 1]`: the values a KPI can take (`null` for an open end)."""
    value = entry.get("range")
    if value is None:
        return None
    bounds = list(value) if isinstance(value, list) else []
    if len(bounds) == 2 and all(b is None or _is_number(b) for b in bounds):
        low, high = (None if b is None else float(b) for b in bounds)
        if low is None or high is None or low <= high:
            return low, high
    checker.error(
        BadValue,
        "`range` is [lowest, highest] (null for an open end), e.g. `range: [0, 1]` for a share",
        entry.value_loc("range"),
        kpi,
    )
    return None


def _examples(entry: YMap, kpi: str, checker: Checker) -> list:
    items = entry.get("examples")
    if items is None:
        return []
    if not isinstance(items, YList):
        checker.error(BadValue, "`examples` must be a list", entry.value_loc("examples"), kpi)
        return []
    out = []
    for index, item in enumerate(items):
        location = items.item_loc(index)
        if not checker.mapping(item, location, "an example", kpi):
            continue
        checker.keys(item, EXAMPLE_KEYS, "an example", kpi)
        given = item.get("given")
        expect = item.get("expect")
        wrong = wrong_given(given) if isinstance(given, YMap) else None  # `"10,000"`: text
        if not isinstance(given, YMap) or wrong is not None:
            missing = ("an example needs `given:` with a number for each input", location, None)
            message, where, fix = wrong or missing
            checker.error(ExampleIncomplete, message, where, kpi, fix)
            continue
        expected = target_number(expect)  # 0.4286, or `42.86%` as a percent KPI shows it
        if expected is None:
            checker.error(
                ExampleIncomplete,
                "an example needs `expect:` with a number (or a percentage: `42.86%`)",
                location,
                kpi,
            )
            continue
        bad = [str(k) for k in given if _given_key(str(k)) is None]
        if bad:
            checker.error(
                ExampleIncomplete,
                f"`{bad[0]}` is not a name in `given`",
                given.key_loc(bad[0]),
                kpi,
            )
            continue
        tolerance = item.get("tolerance")
        out.append(
            Example(
                given={str(_given_key(str(k))): float(v) for k, v in given.items()},
                expect=expected,
                tolerance=float(tolerance)
                if _is_number(tolerance)
                else written_precision(item.raw.get("expect")),
                location=location,
                reported=float(item["reported"]) if _is_number(item.get("reported")) else None,
                note=checker.text(item, "note", "an example", kpi),
                source=str(item.get("source", "")),
            )
        )
    return out


def _given_key(key: str) -> str | None:
    """A name in `given:` as the engine looks it up: `revenue`, `prev(revenue)`,
    `rolling(revenue, 3)` (references written the usual way); None when it is not one."""
    if NAME_PATTERN.match(key):
        return key
    internal = parse_display(key)
    return display_ref(internal) if internal else None


def written_precision(raw: str | None) -> float:
    """Half a unit of the last decimal written: `0.4286` -> 0.00005, `450` -> 0.5,
    `42.86%` -> 0.00005 (a percentage is hundredths)."""
    text = str(raw).replace("_", "").strip()
    percent = text.endswith("%")
    try:
        exponent = Decimal(text.removesuffix("%").strip()).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return 1e-9
    if not isinstance(exponent, int):
        return 1e-9
    return 0.5 * 10.0 ** (exponent - 2 if percent else exponent)


def _allow(entry: YMap, kpi: str, checker: Checker) -> dict[str, str]:
    """`allow: [KPI203: "reason"]` or `allow: {KPI203: reason}`: checks silenced with a reason."""
    value = entry.get("allow")
    if value is None:
        return {}
    items = value if isinstance(value, list) else [value]
    out: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict) and all(
            re.match(r"^KPI\d{3}$", str(k)) and isinstance(v, str) and v.strip()
            for k, v in item.items()
        ):
            out.update({str(k): v.strip() for k, v in item.items()})
        else:
            checker.error(
                BadValue,
                '`allow` entries are `KPI123: "the reason"` (a code and why it is silenced)',
                entry.value_loc("allow"),
                kpi,
            )
    return out
