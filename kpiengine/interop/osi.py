"""Import an Apache Ossie (OSI) document: datasets as sources, metrics as KPIs.

Metric expressions are read in the dialect asked for (ANSI_SQL by default, else the only one
given): each aggregate (`SUM(orders.amount)`, `COUNT(*)`, `AVG(x)`, `MIN`/`MAX`, over a column,
a field or a `CASE WHEN <equalities> THEN ... ELSE 0 END`; `IS NOT NULL` in a counted CASE is
`count: column`) becomes a variable mapped from its dataset's source, the arithmetic around it
the formula. A document written by `kpi export osi` carries kpiengine's own data in
`custom_extensions` under the vendor `KPIENGINE` (each KPI and variable as the definitions spell
it, the settings and sources of kpi.yaml); it is used when present, so that
import(export(workspace)) gives the workspace back. The module is longer than 420 lines because
a dataset's fields, its metrics and the extension that restores them are read by one importer
that resolves names across the three.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import KpiError, Location
from ..formula import FormulaError, parse_formula
from .aggregates import aggregate, distinct_column
from .guess import distinct_unit, ident, variable_id, variable_unit
from .model import Kpi, Mapping, Model, Source, Variable
from .osi_restore import restore_kpis, restore_source
from .reading import items, mapping, read_file, text
from .sqlexpr import (
    DIALECTS,
    RowMeasure,
    Untranslatable,
    count_measure,
    is_aggregate,
    parse,
    plain_column,
    row_measure,
    short,
    to_formula,
)

VENDOR = "KPIENGINE"
TEMPORAL = ("Date", "Time", "DateTime", "DateTimeTz")
_TEMPORAL = {t.lower() for t in TEMPORAL} | {"timestamp", "timestamp_tz", "timestamptz"}
_DATE_NAME = re.compile(r"(date|timestamp|_at|_on|_time)$", re.I)
_AGGREGATES = {"sum": "sum", "count": "count", "avg": "avg", "min": "min", "max": "max"}


def extension(entry: Any) -> dict:
    """The KPIENGINE custom extension of an OSI object, decoded ({} when absent or unreadable)."""
    for item in (entry.get("custom_extensions") or []) if isinstance(entry, dict) else []:
        if isinstance(item, dict) and str(item.get("vendor_name", "")).upper() == VENDOR:
            try:
                data = json.loads(str(item.get("data", "")))
            except json.JSONDecodeError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def import_osi(path: str | Path, dialect: str = "ANSI_SQL", extensions: bool = True) -> Model:
    """Read an OSI YAML (or JSON) document; `extensions=False` ignores KPIENGINE extensions."""
    file = Path(path)
    data = read_file(file)
    where = Location(str(file), 1, 1)
    data = mapping(data, where, "an OSI document")
    models = items(data, "semantic_model", str(file), "the document")
    if not models:
        raise KpiError(
            "no `semantic_model:` list in the document",
            where,
            "an OSI document starts with `version:` and `semantic_model:`",
        )
    dialect = dialect.upper()
    if dialect not in DIALECTS:
        raise KpiError(f"kpiengine reads the dialects {', '.join(DIALECTS)}, not {dialect}")
    model = Model(f"the OSI document {path}")
    for entry, loc in models:
        _Reader(model, entry, loc, dialect, extensions).run()
    return model


class _Reader:
    def __init__(self, model: Model, entry: dict, loc: Location, dialect: str, use_ext: bool):
        self.model = model
        self.entry = entry
        self.loc = loc
        self.dialect = dialect
        self.use_ext = use_ext
        self.name = text(entry, "name", loc, "a semantic model", required=True)
        self.datasets: dict[str, tuple[dict, Location]] = {}
        self.metrics: dict[str, tuple[dict, Location]] = {}
        self.done: dict[str, str | None] = {}
        self.fragments: dict[tuple, str] = {}
        self.targets: set[str] = set()  # datasets on the "one" side of a relationship
        self.fallbacks: set[str] = set()
        self.guessed: dict[str, tuple[str, Location]] = {}  # dataset -> its guessed time field
        self.at: Location | None = None  # the metric being read, for its variables

    def ext(self, entry: Any) -> dict:
        return extension(entry) if self.use_ext else {}

    def run(self) -> None:
        top = self.ext(self.entry)
        self.model.name = self.model.name or self.name
        self.model.description = self.model.description or text(
            self.entry, "description", self.loc, "the semantic model"
        )
        for key, value in (top.get("settings") or {}).items():
            self.model.settings.setdefault(key, value)
        self.model.units += [u for u in top.get("units") or [] if u not in self.model.units]
        for entry, loc in items(self.entry, "datasets", self.loc.file, "the semantic model"):
            _once(self.datasets, text(entry, "name", loc, "a dataset", True), entry, loc)
        for entry, loc in items(self.entry, "metrics", self.loc.file, "the semantic model"):
            _once(self.metrics, text(entry, "name", loc, "a metric", True), entry, loc)
        for entry, loc in items(self.entry, "relationships", self.loc.file, "the semantic model"):
            self.targets.add(text(entry, "to", loc, "a relationship"))
            self.model.skip(
                text(entry, "name", loc, "a relationship") or "?",
                "relationship",
                "joins are not imported: each source reads one table",
                loc,
            )
        restored = isinstance(top.get("sources"), dict)
        for name, raw in (top.get("sources") or {}).items():
            self.model.sources[str(name)] = restore_source(str(name), raw)
        for name, (entry, loc) in self.datasets.items():
            self._dataset(name, entry, loc, build=not restored)
        for name in self.metrics:
            self.kpi(name)
        restore_kpis(self.model, top.get("kpis"))  # the KPIs the export could not write as SQL
        if not restored:
            self.model.drop_unread_sources("dataset")
        for name, (full, floc) in self.guessed.items():
            if name in self.model.sources:
                self.model.note(
                    full,
                    "time field",
                    "taken as the dataset's time column for its name: the document gives it "
                    "no `dimension: {is_time: true}` or date `datatype`",
                    floc,
                )

    # --- datasets ------------------------------------------------------------------------------

    def _dataset(self, name: str, entry: dict, loc: Location, build: bool) -> None:
        source = Source(ident(name), loc=loc)
        relation = text(entry, "source", loc, f"dataset `{name}`", required=True)
        if re.match(r"^\s*(select|with)\b", relation, re.I):
            source.query = relation
        else:
            source.table = relation
        keys = entry.get("primary_key") or []
        if not isinstance(keys, list):
            raise KpiError(
                f"`primary_key` of dataset `{name}` must be a list of columns",
                entry.value_loc("primary_key") if hasattr(entry, "value_loc") else loc,
            )
        keys = {str(k) for k in keys}
        named_like_dates: list[tuple[str, str, Location]] = []
        for field, floc in items(entry, "fields", loc.file, f"dataset `{name}`"):
            fname = text(field, "name", floc, "a field", True)
            variable = self.ext(field).get("variable")
            if isinstance(variable, dict):
                self._restore_variable(variable)
            if not build or variable:
                continue
            try:
                sql = self._expression(field, floc)
            except Untranslatable as exc:
                self.model.skip(f"{name}.{fname}", "field", exc.reason, floc)
                continue
            column = plain_column(sql, DIALECTS[self.dialect]) if sql else None
            dim = field.get("dimension") if isinstance(field.get("dimension"), dict) else None
            datatype = str(field.get("datatype") or "").lower()  # converters write `string`
            is_time = dim.get("is_time") if dim and "is_time" in dim else datatype in _TEMPORAL
            categorical = dim is not None or datatype in ("string", "boolean")
            full = f"{name}.{fname}"
            if dim is None and not datatype and column and _DATE_NAME.search(fname):
                named_like_dates.append((full, column, floc))
            if not (is_time or categorical):
                continue  # a fact: read by the metrics that aggregate it
            if column is None:
                self.model.skip(full, "field", "a computed field: source columns are plain", floc)
            elif is_time and source.date is None:
                source.date = column
            elif is_time:
                why = "another time field: each variable is dated by one column"
                self.model.skip(full, "time field", why, floc)
            elif fname in keys:
                self.model.skip(full, "field", "a primary key: not a breakdown", floc)
            else:
                source.dimensions[ident(fname)] = column
        if build and source.date is None and len(named_like_dates) == 1:
            # no field says it is a time: one untyped field named like a date dates the rows
            full, source.date, floc = named_like_dates[0]
            self.guessed[name] = (full, floc)
        if build:
            self.model.sources[name] = source

    def _restore_variable(self, raw: dict) -> None:
        var_id = str(raw.get("id", ""))
        entry = raw.get("entry") or {}
        self.model.variables[var_id] = Variable(
            var_id,
            str(entry.get("unit", "ratio")),
            entry.get("aggregate", "sum"),
            entry.get("title", ""),
            entry.get("description", ""),
        )

    def _expression(self, entry: dict, loc: Location) -> str:
        """The expression in the chosen dialect, else ANSI_SQL, else the only readable one."""
        expression = entry.get("expression")
        dialects = expression.get("dialects") if isinstance(expression, dict) else None
        if not isinstance(dialects, list) or not dialects:
            raise KpiError("`expression` needs `dialects:` with at least one entry", loc)
        found = {
            str(d.get("dialect", "")).upper(): str(d.get("expression", ""))
            for d in dialects
            if isinstance(d, dict)
        }
        for choice in (self.dialect, "ANSI_SQL"):
            if choice in found:
                return found[choice]
        readable = [d for d in found if d in DIALECTS]
        if len(readable) == 1:
            if readable[0] not in self.fallbacks:
                self.fallbacks.add(readable[0])
                self.model.note(
                    self.name,
                    "dialect",
                    f"no {self.dialect} expressions: read the {readable[0]} ones",
                    self.loc,
                )
            return found[readable[0]]
        raise Untranslatable(f"no {self.dialect} expression (given: {', '.join(found)})")

    # --- metrics -------------------------------------------------------------------------------

    def kpi(self, name: str) -> str | None:
        """The KPI id of a metric, importing it first; None when it cannot be imported."""
        if name in self.done:
            return self.done[name]
        self.done[name] = None
        entry, loc = self.metrics[name]
        kpi_id = ident(name)
        saved = self.ext(entry).get("kpi")
        notes: list[str] = []
        before = self.model.checkpoint()
        outer, self.at = self.at, loc
        try:
            formula = self._saved_formula(saved) or self._translate(name, entry, loc, notes)
        except Untranslatable as exc:
            self.at = outer
            self.model.rollback(before)
            self.fragments = {
                k: v
                for k, v in self.fragments.items()
                if set(re.findall(r"[a-z]\w*", v)) <= set(self.model.variables)
            }
            self.model.skip(name, "metric", exc.reason, loc)
            return None
        self.at = outer
        kpi = Kpi(kpi_id, formula, name, text(entry, "description", loc, f"metric `{name}`"))
        kpi.loc = loc
        if isinstance(saved, dict):
            kpi.restore(saved)
        else:
            synonyms = (
                (entry.get("ai_context") or {}) if isinstance(entry.get("ai_context"), dict) else {}
            )
            if isinstance(synonyms.get("synonyms"), list):
                kpi.extra["aliases"] = [str(s) for s in synonyms["synonyms"]]
        if notes:
            kpi.extra["notes"] = "\n".join(notes)
            for note in notes:
                self.model.note(name, "metric", note, loc)
        self.model.kpis[kpi_id] = kpi
        self.done[name] = kpi_id
        return kpi_id

    def _saved_formula(self, saved: Any) -> str:
        formula = saved.get("formula") if isinstance(saved, dict) else None
        if not isinstance(formula, str):
            return ""
        try:
            parse_formula(formula)
        except FormulaError:
            return ""  # not ours to trust: read the SQL instead
        return formula

    def _translate(self, name: str, entry: dict, loc: Location, notes: list[str]) -> str:
        sql = self._expression(entry, loc)

        def leaf(node: Any) -> str:
            if is_aggregate(node):
                return self._aggregate(node, name)
            if node.key == "column" and not node.table and node.name in self.metrics:
                inner = self.kpi(node.name)
                if inner is None:
                    raise Untranslatable(f"it reads `{node.name}`, which is not imported")
                return inner
            raise Untranslatable(f"`{node.sql()}` is a column outside an aggregate")

        return to_formula(parse(sql, DIALECTS[self.dialect]), leaf, notes)

    def _aggregate(self, node: Any, metric: str) -> str:
        kind = _AGGREGATES.get(node.key)
        inner = node.this
        if kind == "count" and inner is not None and inner.key == "distinct":
            if len(inner.expressions) != 1:
                raise Untranslatable(f"`{short(node.sql())}` counts combinations of columns")
            kind, row = "distinct", row_measure(inner.expressions[0])
            if row.column is None:
                raise Untranslatable(f"`{short(node.sql())}` counts a constant")
        elif kind is None or (inner is not None and inner.key == "distinct"):
            raise Untranslatable(
                f"`{short(node.sql())}`: only SUM, COUNT, AVG, MIN and MAX of rows and "
                "COUNT(DISTINCT column) map"
            )
        else:
            row = count_measure(inner) if kind == "count" else row_measure(inner)
        dataset = self._dataset_of(row, node)
        field = row.column
        row = self._resolve_fields(dataset, row, kind == "count")
        # a field standing for an expression names its variable; a filtered column, the metric
        base = field if field and field != row.column else (metric if row.where else "")
        if kind == "distinct":
            distinct_column(row, node.sql())
            # a field (an exported variable) names the count; a bare `customer_id` does not
            base = base or (field if field and field in self._fields(dataset) else metric)
            return self._cached(dataset, kind, row, base)

        def make(part: str, suffix: str, got: RowMeasure, rule: str) -> str:
            stem = f"{base or got.column or dataset}_{part}" if part not in ("", "sum") else base
            return self._cached(dataset, suffix if rule == "sum" else rule, got, stem)

        return aggregate(kind, row, make)

    def _cached(self, dataset: str, kind: str, row: RowMeasure, base: str) -> str:
        where = tuple(sorted((k, tuple(v)) for k, v in row.where.items()))
        key = (dataset, kind, row.column, row.count, where)
        if key not in self.fragments:
            self.fragments[key] = self._variables(dataset, kind, row, base)
        return self.fragments[key]

    def _dataset_of(self, row: RowMeasure, node: Any) -> str:
        if row.table:
            if row.table not in self.datasets:
                raise Untranslatable(f"`{short(node.sql())}` names no dataset of the model")
            return row.table
        if len(self.datasets) == 1:
            return next(iter(self.datasets))
        owners = [n for n in self.datasets if row.column and row.column in self._fields(n)]
        facts = [n for n in self.datasets if n not in self.targets]
        found = owners or facts
        if len(found) != 1:
            raise Untranslatable(f"`{short(node.sql())}`: which dataset it reads is ambiguous")
        return found[0]

    def _fields(self, dataset: str) -> set[str]:
        entry = self.datasets[dataset][0]
        return {str(f.get("name")) for f in entry.get("fields") or [] if isinstance(f, dict)}

    def _resolve_fields(self, dataset: str, row: RowMeasure, counting: bool) -> RowMeasure:
        """Field names replaced by the row expressions they stand for (under COUNT, the rows
        where the expression has a value)."""
        entry, loc = self.datasets[dataset]
        fields = {str(f.get("name")): f for f in entry.get("fields") or [] if isinstance(f, dict)}
        if row.column in fields:
            node = parse(self._expression(fields[row.column], loc), DIALECTS[self.dialect])
            inner = count_measure(node) if counting else row_measure(node)
            clash = set(inner.where) & set(row.where)
            if clash:
                raise Untranslatable(f"field `{row.column}` and its condition both test {clash}")
            zeros = row.zeros  # `ELSE 0` outside: the rows left out by either condition give 0
            if inner.zeros is not None and zeros is None:  # inside only: those the outer keeps
                zeros = RowMeasure(row.tested, True, dict(row.where))
            elif zeros is not None and inner.where and inner.zeros is None:
                raise Untranslatable(f"field `{row.column}` gives NULL where `ELSE 0` gives 0")
            where = {**row.where, **inner.where}
            tested = inner.tested or row.tested
            row = RowMeasure(inner.column, row.count or inner.count, where, None, zeros, tested)
        for part in (row, row.zeros) if row.zeros is not None else (row,):
            for column in list(part.where):
                if column in fields:
                    sql = self._expression(fields[column], loc)
                    found = plain_column(sql, DIALECTS[self.dialect])
                    if found is None:
                        raise Untranslatable(f"the condition tests the computed field `{column}`")
                    part.where[found] = part.where.pop(column)
        return row

    def _variables(self, dataset: str, kind: str, row: RowMeasure, base: str) -> str:
        """One variable: a count of `row`'s rows, its column's sum, min or max (`kind`), or a
        distinct count."""
        if kind == "distinct":
            return self._distinct(dataset, row, base)
        count = kind == "count" or row.count
        self._dated(dataset)
        base = base or (dataset if count else str(row.column))
        suffix = "count" if count else kind
        var_id = variable_id(base, suffix, self.model.taken | {ident(m) for m in self.metrics})
        table = self.datasets[dataset][0].get("source", dataset)
        unit = variable_unit(var_id, "count" if count else "column", row.column, str(table))
        aggregate = kind if kind in ("min", "max") else "sum"
        self.model.variables[var_id] = Variable(var_id, unit, aggregate, loc=self.at)
        source = self.model.sources.get(dataset)
        if source is not None and source.connector == "sql" and not self._restored():
            # COUNT(column), or SUM(CASE WHEN column IS NOT NULL THEN 1 ...), counts the rows
            # where the column has a value: `count: column`
            source.mappings[var_id] = Mapping(var_id, row.column, count, dict(row.where))
        return var_id

    def _distinct(self, dataset: str, row: RowMeasure, base: str) -> str:
        """A count of the distinct values of a column: never added up across periods."""
        column = str(row.column)
        if dataset in self.targets:
            raise Untranslatable(
                f"COUNT(DISTINCT {dataset}.{column}) counts `{dataset}`, the one side of a "
                "relationship, through a join; joins are not imported"
            )
        self._dated(dataset)
        taken = self.model.taken | {ident(m) for m in self.metrics}
        var_id = variable_id(base or column, "distinct", taken)
        unit = distinct_unit(var_id, column)
        self.model.variables[var_id] = Variable(var_id, unit, "distinct", loc=self.at)
        source = self.model.sources.get(dataset)
        if source is not None and source.connector == "sql" and not self._restored():
            source.mappings[var_id] = Mapping(var_id, None, False, dict(row.where), distinct=column)
        return var_id

    def _dated(self, dataset: str) -> None:
        source = self.model.sources.get(dataset)
        reason = "" if source is None or self._restored() else source.undated("dataset")
        if reason:
            raise Untranslatable(reason)

    def _restored(self) -> bool:
        return isinstance(self.ext(self.entry).get("sources"), dict)


def _once(table: dict[str, tuple[dict, Location]], name: str, entry: dict, loc: Location) -> None:
    """Add a named entry; a name given twice is an error (the document would be ambiguous)."""
    if name in table:
        raise KpiError(f"`{name}` is defined twice (first at {table[name][1]})", loc)
    table[name] = (entry, loc)
