"""What third-party models do not say, guessed the same way by every importer: ids, units, formats.

Semantic layers have no units; kpiengine needs one per variable. The guesses are deliberately
plain: a count of rows is in the rows' entity (named after the table), a sum whose name speaks of
money is `currency`, a variable the built-in library knows keeps the library's unit, anything
else is a plain number (`ratio`). KPI units are then inferred from the formulas, so they agree.
A formula multiplied by 100 as a whole (`100.0 * a / b`) gives percentages on a 0-100 scale: it
is imported with `format: number`, so that every value reads as the model computed it (`percent`
would multiply by 100 again).
"""

from __future__ import annotations

import ast
import functools
import keyword
import re

from ..formula import FUNCTIONS, FormulaError, parse_formula
from ..unitcheck import infer_unit
from ..units import UnitSyntaxError, UnitSystem, format_unit
from .model import Model

_MONEY = re.compile(
    r"amount|revenue|usd|eur|gbp|price|cost|spend|sales|profit|total|paid|tax|fee|income|budget"
    r"|discount|refund|margin|gmv|arpu|salary|payment|invoice"
)
_COUNTISH = re.compile(r"(?<![a-z])(count|quantity|qty|number|units|items|rate|pct|percent)")
_TABLE_PREFIXES = re.compile(r"^(fct|fact|dim|stg|int|mart|mrt|rpt|agg)_")
POINTS = (
    "the formula multiplies by 100: its values are percentages on a 0-100 scale, as the model "
    "computes them; imported with `format: number` so that each value reads as it did there "
    "(`format: percent` would multiply by 100 again)"
)


def ident(text: str) -> str:
    """A valid kpiengine id from any name: `Orders.totalAmount` -> `orders_total_amount`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(text))
    name = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = "m_" + name
    name = name.rstrip("_") or "m"
    # a formula reads `log` as the function and `in` as Python: such ids need another spelling
    return f"{name}_metric" if name in FUNCTIONS or keyword.iskeyword(name) else name


def unique(base: str, taken: set[str] | dict, suffix: str = "") -> str:
    """`base`, else `base_suffix`, else `base_suffix_2`, ... whichever is not taken."""
    if base not in taken:
        return base
    stem = f"{base}_{suffix}" if suffix else base
    if stem not in taken:
        return stem
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def variable_id(base: str, suffix: str, taken: set[str] | dict) -> str:
    """A variable id from `base`, with `_suffix` when a KPI (or another variable) has `base`;
    `orders_count` with suffix `count` becomes `orders_count_rows`, not `orders_count_count`."""
    base = ident(base)
    if base.endswith(f"_{suffix}") or base == suffix:
        suffix = "rows" if suffix == "count" else "value"
    return unique(base, taken, suffix)


def entity_of(table: str) -> str:
    """The counted entity a table's rows are: `fct_orders` -> `orders`, `Orders` -> `orders`."""
    name = ident(str(table).split(".")[-1])
    return _TABLE_PREFIXES.sub("", name) or name


@functools.cache
def builtin_units(sections: tuple[str, ...] = ("variables",)) -> dict[str, str]:
    """The unit text of each built-in library variable (and KPI, if asked)."""
    from ..resources import builtin_definitions
    from ..yamlio import parse_yaml

    units: dict[str, str] = {}
    for name, text in builtin_definitions():
        data = parse_yaml(text, name) or {}
        for section in sections:
            for item_id, entry in (data.get(section) or {}).items():
                if isinstance(entry, dict) and "unit" in entry:
                    units[str(item_id)] = str(entry["unit"])
    return units


def variable_unit(var_id: str, kind: str, column: str | None, table: str, hint: str = "") -> str:
    """The unit of a variable that counts rows (`kind` count) or aggregates a column.

    A count is in the table's entity; a column in the library's unit for that id, in `currency`
    when its name speaks of money, in the unit its name is when kpiengine knows it (`sessions`),
    else in a unit named after the column, declared with the definitions (a plain number that
    adds up is a count of something; `ratio` would read as a rate).
    """
    if hint:
        return hint
    known = builtin_units().get(var_id) or builtin_units().get(column or "")
    if kind == "count":
        if known and "currency" not in known and "/" not in known:
            return known
        return entity_of(table)
    if known:
        return known
    words = f"{var_id} {column or ''}".lower()
    if _MONEY.search(words) and not _COUNTISH.search(words):
        return "currency"
    name = ident(column or var_id)
    # `count_lifetime_orders` counts orders; any other name is declared as a new entity
    return _entity(name.split("_")[-1]) or name


def distinct_unit(var_id: str, column: str) -> str:
    """The unit of a count of distinct `column` values: the entity the column identifies
    (`customer_id` -> customers), the library's unit for that id, else one named after it."""
    known = builtin_units().get(var_id)
    if known and "currency" not in known and "/" not in known:
        return known
    stem = re.sub(r"_?(id|key|uuid)$", "", ident(column)) or ident(column)
    return _entity(stem.split("_")[-1]) or stem


def _entity(word: str) -> str | None:
    """The counted entity kpiengine knows by that word (`order` -> `orders`), if any."""
    try:
        dims = UnitSystem().base(word).dim_map
    except UnitSyntaxError:
        return None
    names = [d for d in dims if d not in ("time", "currency") and not d.startswith("currency:")]
    return names[0] if len(dims) == 1 and names else None


def declared_entities(model: Model) -> list[str]:
    """The counted entities the variables use that kpiengine does not know out of the box."""
    system = UnitSystem()
    out = set(model.units)
    for variable in model.variables.values():
        for name in re.findall(r"[A-Za-z_]\w*", variable.unit):
            try:
                system.base(name)
            except UnitSyntaxError:
                out.add(name)
    return sorted(out)


def finish(model: Model) -> None:
    """Declare new entities, then give every KPI without a unit or format the inferred one."""
    model.units = declared_entities(model)
    system = UnitSystem(model.settings.get("currency"), frozenset(model.units))
    known: dict[str, object] = {}
    for var_id, variable in model.variables.items():
        try:
            known[var_id] = system.parse(variable.unit)
        except UnitSyntaxError:
            known[var_id] = None
    pending = dict(model.kpis)
    for _ in range(len(pending) + 1):  # KPIs naming KPIs: settle those whose inputs are known
        for kpi_id, kpi in list(pending.items()):
            try:
                formula = parse_formula(kpi.formula)
            except FormulaError:
                del pending[kpi_id]
                continue
            names = set(formula.names)
            if any(n in pending and n != kpi_id for n in names):
                continue
            del pending[kpi_id]
            if kpi.unit:
                try:
                    known[kpi_id] = system.parse(kpi.unit)
                except UnitSyntaxError:
                    known[kpi_id] = None
            else:
                unit, _ = infer_unit(formula, lambda n: _lookup(n, known, system))
                text = format_unit(unit) if unit is not None else "ratio"
                text = re.sub(r"currency:([A-Z]{3})", r"\1", text)  # ISO codes as written
                kpi.unit = text.replace("^", " ** ")
                known[kpi_id] = unit
            if not kpi.format and kpi.unit == "ratio" and percent_points(kpi.formula):
                kpi.format = "number"
                model.note(kpi.id, "KPI", POINTS, kpi.loc)
                notes = kpi.extra.get("notes")
                kpi.extra["notes"] = f"{notes}\n{POINTS}" if notes else POINTS
            kpi.format = kpi.format or _format(kpi.unit, "/" in kpi.formula)
        if not pending:
            break
    for kpi in pending.values():  # a cycle: the loader will report it
        kpi.unit = kpi.unit or "ratio"
        kpi.format = kpi.format or "number"
    _keep_library_units(model, system)


def _keep_library_units(model: Model, system: UnitSystem) -> None:
    """Rename an imported id that would replace a library one in another unit: the library's
    KPIs that read it would stop adding up."""
    units = {
        **{v.id: v.unit for v in model.variables.values()},
        **{k.id: k.unit for k in model.kpis.values()},
    }
    for item_id, unit in units.items():
        library = builtin_units(("variables", "kpis")).get(item_id)
        if library is None or _same_unit(unit, library, system):
            continue
        new = unique(f"{item_id}_imported", model.taken)
        item = model.kpis.get(item_id) or model.variables.get(item_id)
        model.note(
            item_id,
            "id",
            f"the library's `{item_id}` is in {library}, the import gives "
            f"{unit}: imported as `{new}` so that the library's KPIs keep their units",
            item.loc if item is not None else None,
        )
        rename(model, item_id, new)


def _same_unit(a: str, b: str, system: UnitSystem) -> bool:
    try:
        return system.parse(a) == system.parse(b)
    except UnitSyntaxError:
        return False


def rename(model: Model, old: str, new: str) -> None:
    """Give a variable or KPI another id, in every formula and mapping that names it."""
    pattern = re.compile(rf"(?<![\w]){re.escape(old)}(?![\w])")
    if old in model.variables:
        model.variables[new] = model.variables.pop(old)
        model.variables[new].id = new
        for source in model.sources.values():
            if old in source.mappings:
                source.mappings[new] = source.mappings.pop(old)
                source.mappings[new].variable = new
    if old in model.kpis:
        model.kpis[new] = model.kpis.pop(old)
        model.kpis[new].id = new
    for kpi in model.kpis.values():
        kpi.formula = pattern.sub(new, kpi.formula)


def _lookup(name: str, known: dict[str, object], system: UnitSystem):
    if name in known:
        return known[name]
    text = builtin_units().get(name)
    try:
        return system.parse(text) if text else None
    except UnitSyntaxError:
        return None


def _format(unit: str, divides: bool) -> str:
    if unit == "currency":
        return "currency"
    if unit == "ratio":
        return "percent" if divides else "number"
    if re.fullmatch(r"[a-z_]+", unit) and not divides:
        return "integer"
    return "number"


def percent_points(formula: str) -> bool:
    """True when the whole formula is multiplied by 100 (`100.0 * a / b`, `(a - b) * 100 / b`,
    `a / b / 0.01`): its values are percentages on a 0-100 scale, not fractions."""
    try:
        tree = parse_formula(formula).tree
    except FormulaError:
        return False

    def factors(node: ast.AST, inverse: bool) -> list[tuple[ast.AST, bool]]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
            right = inverse != isinstance(node.op, ast.Div)
            return factors(node.left, inverse) + factors(node.right, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return factors(node.operand, inverse)
        return [(node, inverse)]

    for node, inverse in factors(tree, False):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, int | float) and value == (0.01 if inverse else 100):
            return True
    return False
