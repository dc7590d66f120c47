"""Import a Cube data model (YAML `cubes:`) as kpiengine sources, variables and KPIs.

Each cube becomes a `sql` source (`sql_table` as its table, `sql` as its query, the first time
dimension as its date, column dimensions as dimensions); each measure becomes a KPI named
`<cube>_<measure>`: count, sum, avg (sum / rows), min and max through variables mapped from the
source, `filters` as `where:` (`IS NOT NULL` on a count: `count: column`), `number` measures by
translating their SQL over other measures. `rolling_window` reads the measure through a window
(`type: to_date, granularity: year` is `ytd(x)`, `trailing: 3 month` is `rolling(x, 3)` at a
monthly grain); `count_distinct` measures are distinct counts (`distinct:` mappings, never added
up). Unbounded or leading windows, windows over distinct counts, multi-stage measures other than
a one-year shift, joins, segments, views and pre-aggregations are listed as not imported, each
with its reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import KpiError, Location
from .aggregates import aggregate, distinct_column
from .guess import POINTS, distinct_unit, ident, percent_points, variable_id, variable_unit
from .model import Kpi, Mapping, Model, Source, Variable
from .reading import at, files_under, items, read_file, text
from .sqlexpr import (
    RowMeasure,
    Untranslatable,
    conditions,
    count_measure,
    is_aggregate,
    merge_where,
    parse,
    plain_column,
    restrict,
    row_measure,
    short,
    to_formula,
    with_present,
)
from .windows import apply, rolling_count, rolling_note, to_date, windowable

UNBOUNDED = (
    "an unbounded trailing window is an all-time running total: kpiengine's windows are "
    "ytd/qtd/mtd and rolling(x, n)"
)
_DISTINCT = ("countdistinct", "countdistinctapprox")
_REF = re.compile(r"\$?\{([^{}]*)\}")
_MEMBER = "mbr__"
_CUBE_KEYS_NOT_IMPORTED = {
    "joins": "joins are not imported: each source reads one table",
    "segments": "segments are query-time filters; add a `where:` to a mapping instead",
    "pre_aggregations": "pre-aggregations are a cache; kpiengine aggregates at the source",
    "hierarchies": "hierarchies are a presentation feature",
    "access_policy": "access policies are not imported",
    "accessPolicy": "access policies are not imported",
    "extends": "`extends` is not followed: import the cube it extends",
}
_YEAR = re.compile(r"^\s*(1\s*years?|12\s*months?)\s*$", re.I)


def import_cube(path: str | Path) -> Model:
    """Read a Cube model folder (every `*.yml`/`*.yaml` with `cubes:`) or one file."""
    root = Path(path)
    model = Model(f"the Cube model {path}")
    seen: dict[str, Location] = {}
    for file in files_under(root):
        data = _read(file)
        if not isinstance(data, dict):
            continue
        for entry, loc in items(data, "cubes", str(file), str(file)):
            cube = _Cube(model, entry, loc)
            if cube.prefix in seen:
                raise KpiError(
                    f"cube `{cube.name}` is defined twice (first at {seen[cube.prefix]})", loc
                )
            seen[cube.prefix] = loc
            cube.run()
        for entry, loc in items(data, "views", str(file), str(file)):
            why = "views re-expose cube members; their cubes are imported"
            model.skip(text(entry, "name", loc, "a view"), "view", why, loc)
    if root.is_dir():
        for script in sorted(root.rglob("*.js")):
            why, name = "JavaScript models are not read", str(script.relative_to(root))
            model.skip(name, "file", why, Location(str(script)))
    if not seen and not model.unmapped:
        raise KpiError(
            f"no `cubes:` found in {path}",
            fix="point at a Cube model folder (`model/`) or one of its YAML files",
        )
    return model


def _read(file: Path) -> object:
    """The file's YAML; a syntax error in a Jinja-templated model says the template is why."""
    try:
        return read_file(file)
    except KpiError as exc:
        if exc.message.startswith("invalid YAML") and "{%" in file.read_text(errors="replace"):
            exc.fix = "Cube renders the Jinja in this model first: import the rendered YAML"
        raise


class _Cube:
    def __init__(self, model: Model, entry: dict, loc: Location):
        self.model = model
        self.entry = entry
        self.loc = loc
        self.name = text(entry, "name", loc, "a cube", required=True)
        self.prefix = ident(self.name)
        what = f"cube `{self.name}`"
        # a member name is unique in its cube (Cube refuses the model otherwise)
        self.locs: dict[str, Location] = {}
        self.dimensions = self._members(entry, "dimensions", what, self.locs)
        self.measures = self._members(entry, "measures", what, self.locs)
        self.done: dict[str, str | None] = {}
        self.at: Location | None = None  # the measure being read, for its variables
        table = text(entry, "sql_table", loc, what)
        query = text(entry, "sql", loc, what)
        self.source = Source(
            self.prefix, table=table or None, query=None if table else query, loc=loc
        )

    def _members(
        self, entry: dict, key: str, what: str, seen: dict[str, Location]
    ) -> dict[str, dict]:
        out = {}
        for member, mloc in items(entry, key, self.loc.file, what):
            name = text(member, "name", mloc, f"an entry of `{key}`", True)
            if name in seen:
                raise KpiError(f"`{name}` is defined twice in {what} (first at {seen[name]})", mloc)
            seen[name] = mloc
            out[name] = member
        return out

    def run(self) -> None:
        if not self.source.table and not self.source.query:
            self.model.skip(self.name, "cube", "it has neither `sql_table` nor `sql`", self.loc)
            return
        if self.source.query and _REF.search(self.source.query):
            self.model.skip(self.name, "cube", "its `sql` uses templates ({...})", self.loc)
            return
        if self.source.table and ("{" in self.source.table or "%}" in self.source.table):
            # `{{ env_var('SCHEMA') }}.orders`: Cube renders it; kpiengine would query it as is
            why = "its `sql_table` uses templates ({{ ... }})"
            self.model.skip(self.name, "cube", why, self.loc)
            return
        for key, reason in _CUBE_KEYS_NOT_IMPORTED.items():
            if self.entry.get(key):
                where = at(self.entry, key, self.loc.file)
                self.model.skip(f"{self.name}.{key}", key.rstrip("s"), reason, where)
        self._dimensions()
        self.model.sources[self.prefix] = self.source
        for name in self.measures:
            self.kpi(name)

    def _dimensions(self) -> None:
        for name, dim in self.dimensions.items():
            full, loc = f"{self.name}.{name}", self.locs[name]
            kind = str(dim.get("type", "string"))
            try:
                column = plain_column(self.expand(str(dim.get("sql", name)), row=True))
            except Untranslatable:
                column = None
            if dim.get("primary_key"):
                self.model.skip(full, "dimension", "a primary key: not a breakdown", loc)
            elif column is None:
                why = "an expression: source dimensions are columns"
                self.model.skip(full, "dimension", why, loc)
            elif kind == "time" and self.source.date is None:
                self.source.date = column
            elif kind == "time":
                self.model.skip(
                    full,
                    "time dimension",
                    "another time dimension: each variable is dated by one column",
                    loc,
                )
            else:
                self.source.dimensions[ident(name)] = column

    def expand(self, sql: str, row: bool) -> str:
        """Cube's `{CUBE}.col`, `{dim}` and `{measure}` references resolved in the SQL text."""

        def replace(match: re.Match) -> str:
            inner = match.group(1).strip()
            after = match.string[match.end() : match.end() + 1]
            if inner == "CUBE" and after == ".":
                return "cube_self"
            member = inner[5:] if inner.startswith("CUBE.") else inner
            if "." in member or not re.fullmatch(r"\w+", member):
                raise Untranslatable(f"`{inner}` refers to another cube or a context variable")
            if member in self.dimensions:
                return f"({self.expand(str(self.dimensions[member].get('sql', member)), row)})"
            if member in self.measures and not row:
                return _MEMBER + member
            raise Untranslatable(f"`{inner}` is not a dimension of cube `{self.name}`")

        out = _REF.sub(replace, sql)
        return re.sub(r"\bcube_self\.", "", out)

    # --- measures ------------------------------------------------------------------------------

    def kpi(self, name: str) -> str | None:
        """The KPI id of a measure, importing it first; None when it cannot be imported."""
        if name in self.done:
            return self.done[name]
        self.done[name] = None
        measure = self.measures[name]
        kind = str(measure.get("type", "number")).lower()
        notes: list[str] = []
        kpi_id = self._kpi_id(name)
        before = self.model.checkpoint()
        outer, self.at = self.at, self.locs[name]
        try:
            formula = self._formula(name, measure, kind, notes)
        except Untranslatable as exc:
            self.model.rollback(before)
            reason = re.sub(rf"\b{_MEMBER}(\w+)", r"{\1}", exc.reason)
            self.model.skip(f"{self.name}.{name}", f"{kind} measure", reason, self.locs[name])
            return None
        finally:
            self.at = outer
        kpi = Kpi(
            kpi_id,
            formula,
            text(measure, "title", self.loc, name) or name,
            text(measure, "description", self.loc, name),
            loc=self.locs[name],
        )
        self._format(kpi, measure, notes)
        if notes:
            kpi.extra["notes"] = "\n".join(notes)
            for note in notes:
                self.model.note(f"{self.name}.{name}", f"{kind} measure", note, self.locs[name])
        self.model.kpis[kpi_id] = kpi
        self.done[name] = kpi_id
        return kpi_id

    def _formula(self, name: str, measure: dict, kind: str, notes: list[str]) -> str:
        if measure.get("rolling_window"):
            return self._rolling(name, measure, kind, notes)
        if measure.get("case"):
            raise Untranslatable("`case` switches on a dimension at query time")
        if measure.get("multi_stage") and measure.get("time_shift"):
            return self._shifted(measure)
        if (
            measure.get("multi_stage")
            and kind != "number"
            or any(measure.get(k) for k in ("group_by", "reduce_by", "add_group_by"))
        ):
            raise Untranslatable(
                "multi-stage measures with their own grouping are query-time stages, not imported"
            )
        where: dict[str, list[str]] = {}
        present: list[str] = []  # columns a filter says must have a value (IS NOT NULL)
        for item, iloc in items(measure, "filters", self.loc.file, f"measure `{name}`"):
            sql = self.expand(text(item, "sql", iloc, "a filter"), True)
            _, tests, needed = conditions(parse(sql))
            where = merge_where(where, tests)
            present += [c for c in needed if c not in present]
        if kind == "number":
            if where or present:
                raise Untranslatable("`filters` on a number measure")
            sql = self.expand(text(measure, "sql", self.loc, name, required=True), row=False)
            return to_formula(parse(sql), lambda node: self._leaf(node, name, notes), notes)
        if kind.replace("_", "") in _DISTINCT:
            return self._distinct(name, measure, kind, where, present, notes)
        if kind not in ("count", "sum", "avg", "min", "max"):
            raise Untranslatable(f"the measure type `{kind}` has no kpiengine equivalent")
        sql = str(measure.get("sql", "")).strip()
        if kind == "count":
            # COUNT(column) counts the rows where it has a value: `count: column`
            row = RowMeasure(plain_column(self.expand(sql, row=True)) if sql else None, True)
            if sql and row.column is None:
                try:  # COUNT(CASE WHEN ... THEN 1 END): the rows the CASE keeps
                    row = count_measure(parse(self.expand(sql, row=True)))
                except Untranslatable:
                    notes.append("counts every row (COUNT of an expression skips empty values)")
        else:
            row = row_measure(parse(self.expand(sql or "", row=True)))
        return self._aggregate(kind, restrict(row, where, present, sql or "*"), name, measure)

    def _rolling(self, name: str, measure: dict, kind: str, notes: list[str]) -> str:
        """The measure without its window, read through the window."""
        spec = measure.get("rolling_window")
        if not isinstance(spec, dict):
            raise Untranslatable("`rolling_window` is not a mapping")
        window_type = str(spec.get("type", "fixed")).lower()
        trailing, leading = spec.get("trailing"), spec.get("leading")
        if leading:
            raise Untranslatable("a `leading` window reads later periods")
        if str(spec.get("offset", "end")).lower() != "end":
            raise Untranslatable("`offset: start` ends the window before the period")
        inner = self._formula(
            name, {k: v for k, v in measure.items() if k != "rolling_window"}, kind, notes
        )
        if window_type.endswith("to_date"):
            grain = spec.get("granularity") or window_type.removesuffix("_to_date")
            func = to_date(grain)
            windowable(inner, self.model, func)
            return apply(inner, func)
        if str(trailing).strip().lower() == "unbounded" or not trailing:
            raise Untranslatable(UNBOUNDED)
        grain = "month"  # the grain the written kpi.yaml declares
        count = rolling_count(trailing, grain)
        windowable(inner, self.model, "rolling")
        notes.append(rolling_note(count, grain))
        return apply(inner, "rolling", count)

    def _distinct(
        self, name: str, measure: dict, kind: str, where: dict, present: list[str], notes: list[str]
    ) -> str:
        sql = str(measure.get("sql", "")).strip()
        if not sql:
            raise Untranslatable("a distinct count without `sql`")
        row = with_present(row_measure(parse(self.expand(sql, row=True))), present, sql)
        column = distinct_column(row, sql)
        self._dated()
        if "approx" in kind.lower():
            notes.append("an approximate distinct count in Cube; kpiengine counts exactly")
        var_id = variable_id(
            f"{self.prefix}_{name}", "distinct", self.model.taken | self._kpi_ids()
        )
        unit = distinct_unit(var_id, column)
        self.model.variables[var_id] = Variable(var_id, unit, "distinct", loc=self.at)
        self.source.mappings[var_id] = Mapping(
            var_id, None, False, merge_where(row.where, where), distinct=column
        )
        return var_id

    def _shifted(self, measure: dict) -> str:
        shifts = measure.get("time_shift") or []
        sql = str(measure.get("sql", "")).strip()
        target = re.fullmatch(r"\$?\{(?:CUBE\.)?(\w+)\}", sql)
        shift = shifts[0] if isinstance(shifts, list) and len(shifts) == 1 else None
        if (
            target
            and isinstance(shift, dict)
            and str(shift.get("type", "")).lower() == "prior"
            and _YEAR.match(str(shift.get("interval", "")))
            and target.group(1) in self.measures
        ):
            inner = self.kpi(target.group(1))
            if inner is None:
                raise Untranslatable(f"it shifts `{target.group(1)}`, which is not imported")
            return f"last_year({inner})"
        raise Untranslatable(
            "a `time_shift` other than one year back on one measure needs "
            "windows, not yet supported (a year maps to last_year)"
        )

    def _leaf(self, node: Any, name: str, notes: list[str]) -> str:
        if is_aggregate(node):
            return self._sql_aggregate(node, name)
        if node.key == "column" and node.name.startswith(_MEMBER) and not node.table:
            kpi = self.kpi(node.name[len(_MEMBER) :])
            if kpi is None:
                raise Untranslatable(
                    f"it reads `{node.name[len(_MEMBER) :]}`, which is not imported"
                )
            return kpi
        raise Untranslatable(f"`{node.sql()}` is a column outside an aggregate")

    def _sql_aggregate(self, node: Any, name: str) -> str:
        kind = {"sum": "sum", "count": "count", "avg": "avg", "min": "min", "max": "max"}.get(
            node.key
        )
        inner = node.this
        if kind is None or (inner is not None and inner.key == "distinct"):
            raise Untranslatable(f"`{short(node.sql())}` is not a plain SUM, COUNT, AVG, MIN, MAX")
        row = count_measure(inner) if kind == "count" else row_measure(inner)
        return self._aggregate(kind, row, row.column or "rows", {})

    def _aggregate(self, kind: str, row: RowMeasure, name: str, measure: dict) -> str:
        base = f"{self.prefix}_{name}"
        hint = str(measure.get("currency", "")).upper() or (
            "currency" if measure.get("format") == "currency" else ""
        )

        def make(part: str, suffix: str, got: RowMeasure, rule: str) -> str:
            stem = f"{base}_{part}" if part else base
            return self._variable(stem, suffix, got, rule, "" if got.count else hint)

        return aggregate(kind, row, make)

    def _dated(self) -> None:
        reason = self.source.undated("cube")
        if reason:
            raise Untranslatable(reason)

    def _variable(self, base: str, suffix: str, row: RowMeasure, aggregate: str, hint: str) -> str:
        self._dated()
        var_id = variable_id(base, suffix, self.model.taken | self._kpi_ids())
        kind = "count" if row.count else "column"
        unit = variable_unit(var_id, kind, row.column, self.source.table or self.name, hint)
        self.model.variables[var_id] = Variable(var_id, unit, aggregate, loc=self.at)
        self.source.mappings[var_id] = Mapping(var_id, row.column, row.count, dict(row.where))
        return var_id

    def _kpi_id(self, measure: str) -> str:
        """`<cube>_<measure>`: `orders_total` (a measure alone named `total` is not a valid id)."""
        return ident(f"{self.prefix}_{measure}")

    def _kpi_ids(self) -> set[str]:
        return {self._kpi_id(n) for n in self.measures}

    def _format(self, kpi: Kpi, measure: dict, notes: list[str]) -> None:
        fmt = str(measure.get("format", ""))
        decimals = re.fullmatch(r"number_(\d)", fmt)
        if decimals:
            kpi.extra["decimals"] = int(decimals.group(1))
        elif fmt == "currency":
            kpi.format = "currency"
        elif fmt == "percent" and percent_points(kpi.formula):
            # Cube's percent shows the value with a % sign (its docs multiply by 100 in SQL)
            notes.append(POINTS)
            kpi.format = "number"
        elif fmt == "percent":
            kpi.format = "percent"
