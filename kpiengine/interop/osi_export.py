"""Export a workspace as an Apache Ossie (OSI) document.

Variables are fields: a `sql` source is a dataset whose fields give each mapped variable's value
per row (its column, 1 for a count, or `CASE WHEN <where> THEN ... ELSE 0 END`); every other
variable is a field of the dataset `kpiengine_inputs`, the table of variables by date and
segment that kpiengine's sources deliver. KPIs are metrics whose ANSI_SQL expression aggregates
those fields as each variable rolls up, with KPIs they name written out in parentheses; a window
is a window function over the period aggregate, ordered by the period (`DATE_TRUNC('MONTH',
date)`) and by the variable's time rule (`MIN(MIN(x)) OVER (...)` for a min), partitioned by the
workspace's (fiscal) year or quarter; a window kpiengine leaves undefined (over a distinct count
or a mean) is no metric: the extension keeps it. Where a metric's SQL gives other numbers than
kpiengine (the total of a mean over a dataset with dimensions: AVG over all rows, not the mean of
the segments' means, which no single aggregate expression can say), the notes and the
descriptions of the metric, of each KPI reading it and of the variable's field say so.
kpiengine's own data (each KPI and variable as the definitions spell it, the settings and
sources of kpi.yaml) goes into `custom_extensions` under the vendor `KPIENGINE`, so that
importing the document gives the workspace back.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from ..formula import FormulaError, parse_formula
from ..workspace import Workspace
from .guess import unique
from .model import Model, Unmapped, Variable
from .osi import VENDOR
from .sqlwrite import formula_sql
from .windows import period_sql, window_period_sql
from .workspace_model import workspace_model
from .writer import dump, kpi_entry, source_entry, variable_entry

OSI_VERSION = "0.2.0.dev0"
INPUTS = "kpiengine_inputs"
_AGG = {"sum": "SUM", "mean": "AVG", "min": "MIN", "max": "MAX"}
#: A variable's period values over a window, by its time rule (kpiengine's `transforms.window`):
#: a stock is its latest (or first) period's value; a mean or a distinct count has no form.
_WINDOW_SQL = {
    "sum": "SUM",
    "min": "MIN",
    "max": "MAX",
    "last": "LAST_VALUE",
    "first": "FIRST_VALUE",
}
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1, "week": 52, "day": 365}
_SAYS = {"sum": "sum", "mean": "average", "min": "smallest value", "max": "largest value"}


def export_osi(ws: Workspace, own_only: bool = False) -> tuple[dict[str, Any], list[Unmapped]]:
    """The OSI document of a workspace, and what the SQL can only approximate."""
    return osi_document(export_model(ws, own_only))


def export_model(ws: Workspace, own_only: bool = False) -> Model:
    """The neutral model of a workspace for the exports, with its calendar in the settings (a
    fiscal year's start, Sunday weeks), so that its windows are written and read back in it."""
    model = workspace_model(ws, own_only)
    if ws.settings.fiscal_year_start != 1:
        model.settings["fiscal_year_start"] = ws.settings.fiscal_year_start
    if ws.settings.week_start != "monday":
        model.settings["week_start"] = ws.settings.week_start
    return model


def osi_yaml(document: dict[str, Any]) -> str:
    """The document as YAML, with the line editors use to find the OSI JSON Schema."""
    return "# Written by kpiengine (kpi export osi).\n" + dump(document)


def _ext(data: dict[str, Any]) -> list[dict[str, str]]:
    text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False)
    return [{"vendor_name": VENDOR, "data": text}]


def _quote(column: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
        return column
    return '"' + column.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _field(name: str, sql: str, ext: dict[str, Any] | None = None, time: bool = False) -> dict:
    out: dict[str, Any] = {
        "name": name,
        "expression": {"dialects": [{"dialect": "ANSI_SQL", "expression": sql}]},
    }
    if time:
        out["dimension"] = {"is_time": True}
    if ext:
        out["custom_extensions"] = _ext(ext)
    return out


class _Exporter:
    def __init__(self, model: Model):
        self.model = model
        self.notes: list[Unmapped] = []
        self.home: dict[str, tuple[str, str]] = {}  # variable -> (dataset, field)
        self.dates: dict[str, str] = {}  # dataset -> its time field
        self.sql_cache: dict[str, str] = {}
        self.segments: dict[str, list[str]] = {}  # dataset -> its dimension fields
        self.fields: dict[str, dict[str, Any]] = {}  # variable -> its field
        self.fiscal = int(model.settings.get("fiscal_year_start", 1) or 1)
        self.week_start = str(model.settings.get("week_start", "monday"))

    def datasets(self) -> list[dict[str, Any]]:
        out = []
        choose = self.model.settings.get("choose") or {}
        for source in self.model.sources.values():
            relation = source.options.get("table") or source.options.get("query")
            if source.connector != "sql" or not relation or not source.mappings:
                continue
            fields, taken = [], set()
            for var_id, mapping in source.mappings.items():
                if var_id in self.home or choose.get(var_id, source.name) != source.name:
                    continue
                variable = self.model.variables.get(var_id)
                if variable is None:
                    continue
                fields.append(_field(var_id, self._row_sql(mapping), self._var_ext(variable)))
                self.home[var_id] = (source.name, var_id)
                self.fields[var_id] = fields[-1]
                taken.add(var_id)
            date = str(source.options.get("date", "date"))
            self.dates[source.name] = unique(date, taken, "date")
            fields.append(_field(self.dates[source.name], _quote(date), time=True))
            for dim, spec in source.dimensions.items():
                column = spec.get("column", dim) if isinstance(spec, dict) else spec
                name = unique(dim, taken | {self.dates[source.name]}, "dimension")
                fields.append(_field(name, _quote(str(column))))
                self.segments.setdefault(source.name, []).append(name)
            out.append({"name": source.name, "source": str(relation), "fields": fields})
        rest = [v for v in self.model.variables.values() if v.id not in self.home]
        if rest or not out:
            out.append(self._inputs(rest))
        return out

    def _inputs(self, variables: list[Variable]) -> dict[str, Any]:
        self.dates[INPUTS] = "date"
        fields = [_field("date", "date", time=True)]
        dims = sorted({d for s in self.model.sources.values() for d in s.dimensions})
        dims = [d for d in dims if d not in self.model.variables and d != "date"]
        fields += [_field(d, d) for d in dims]
        self.segments[INPUTS] = dims
        for variable in variables:
            fields.append(_field(variable.id, variable.id, self._var_ext(variable)))
            self.home[variable.id] = (INPUTS, variable.id)
            self.fields[variable.id] = fields[-1]
        return {
            "name": INPUTS,
            "source": INPUTS,
            "description": "The variables as kpiengine's sources deliver them: one row per date "
            "and segment, one column per variable (the layout of kpiengine's `data:` file).",
            "fields": fields,
        }

    def _var_ext(self, variable: Variable) -> dict[str, Any]:
        return {"variable": {"id": variable.id, "entry": variable_entry(variable)}}

    def _row_sql(self, mapping: Any) -> str:
        if mapping.distinct:  # counted as COUNT(DISTINCT field): rows left out are NULL
            value = _quote(str(mapping.distinct))
            if not mapping.where:
                return value
            return f"CASE WHEN {self._tests(mapping.where)} THEN {value} END"
        value = _quote(str(mapping.column)) if mapping.column and not mapping.count else "1"
        tests = [self._tests(mapping.where)] if mapping.where else []
        if mapping.count and mapping.column:  # `count: COLUMN`: the rows where it has a value
            tests.append(f"{_quote(str(mapping.column))} IS NOT NULL")
        scale = mapping.extra.get("scale")
        if scale not in (None, 1, 1.0):
            value = f"{value} * {scale!r}"
        if not tests:
            return value
        return f"CASE WHEN {' AND '.join(tests)} THEN {value} ELSE 0 END"

    @staticmethod
    def _tests(where: dict[str, list[str]]) -> str:
        return " AND ".join(
            f"{_quote(col)} IN ({', '.join(_literal(v) for v in values)})"
            for col, values in where.items()
        )

    def metric_sql(self, kpi_id: str, path: tuple[str, ...] = ()) -> str:
        if kpi_id in path:
            raise FormulaError(f"`{kpi_id}` depends on itself")
        if kpi_id not in self.sql_cache:
            formula = parse_formula(self.model.kpis[kpi_id].formula)
            self.sql_cache[kpi_id] = formula_sql(
                formula,
                lambda name: self._name(name, (*path, kpi_id)),
                lambda func, name: self._shift(kpi_id, func, name, (*path, kpi_id)),
            )
        return self.sql_cache[kpi_id]

    def _name(self, name: str, path: tuple[str, ...]) -> str:
        if name in self.model.kpis:
            sql = self.metric_sql(name, path)
            tree = parse_formula(self.model.kpis[name].formula).tree
            return f"({sql})" if isinstance(tree, ast.BinOp | ast.UnaryOp) else sql
        dataset, field = self.home.get(name, (INPUTS, name))
        variable = self.model.variables.get(name)
        if variable is None:
            self._note(
                path[-1] if path else name,
                "KPI",
                f"`{name}` is not data (a parameter, or the periods in a year): the expression "
                f"reads it as a field of {INPUTS}; the KPIENGINE extension keeps the formula",
            )
        rule = variable.aggregate if variable else "sum"
        time = rule if isinstance(rule, str) else rule.get("time", "sum")
        if time == "distinct":
            return f"COUNT(DISTINCT {dataset}.{_quote(field)})"
        if time not in _AGG:
            self._note(
                name,
                "variable",
                f"rolls up by `{time}` over time; SQL has no such "
                "aggregate: the expression sums it, the KPIENGINE extension keeps the rule",
            )
        return f"{_AGG.get(time, 'SUM')}({dataset}.{_quote(field)})"

    def _period(self, name: str) -> str:
        """The period expression of the dataset `name` lives in, at the workspace's grain (what
        a query grouping the metric by period groups by)."""
        dataset = self.home.get(name, (INPUTS, name))[0]
        grain = str(self.model.settings.get("grain", "month"))
        day = f"{dataset}.{self.dates.get(dataset, 'date')}"
        return period_sql(day, grain, self.fiscal, self.week_start)

    def _shift(self, kpi_id: str, func: str, name: str, path: tuple[str, ...]) -> str:
        if func not in ("prev", "last_year"):
            return self._window(kpi_id, func, name, path)
        order = self._period(name)
        grain = str(self.model.settings.get("grain", "month"))
        lag = "" if func == "prev" else f", {_PER_YEAR.get(grain, 12)}"
        self._note(
            kpi_id,
            "KPI",
            f"`{func}({name})` written as LAG(...{lag}) OVER (ORDER BY {order}): the previous row "
            "of a query by period, which is the previous period only when none is missing; the "
            "KPIENGINE extension keeps it",
        )
        return f"LAG({self._name(name, path)}{lag}) OVER (ORDER BY {order})"

    def _window(self, kpi_id: str, func: str, name: str, path: tuple[str, ...]) -> str:
        """A window (or `total`) as a window function over the period aggregate, approximately;
        a KPI read through a window is its formula over windowed inputs, as kpiengine computes
        it. Windows kpiengine cannot compute (a distinct count, a mean) raise FormulaError."""
        text = f"rolling({name}, {func.split(':')[1]})" if ":" in func else f"{func}({name})"
        if name in self.model.kpis:
            if name in path:
                raise FormulaError(f"`{name}` depends on itself")

            def nested(inner_func: str, inner: str) -> str:
                raise FormulaError(f"`{text}`: a window over a KPI that reads `{inner_func}`")

            formula = parse_formula(self.model.kpis[name].formula)
            sql = formula_sql(
                formula, lambda n: self._window(kpi_id, func, n, (*path, name)), nested
            )
            return f"({sql})"
        variable = self.model.variables.get(name)
        rule = variable.aggregate if variable else "sum"
        if func == "total":
            rule = rule if isinstance(rule, str) else rule.get("segments", "sum")
        else:
            rule = rule if isinstance(rule, str) else rule.get("time", "sum")
        if rule not in _WINDOW_SQL or (func == "total" and rule in ("last", "first")):
            across = "segments" if func == "total" else "periods"
            raise FormulaError(
                f"`{text}` has no SQL form: kpiengine leaves it undefined, since a `{rule}` "
                f"variable's values do not combine across {across}"
            )
        inner, period = self._name(name, path), self._period(name)
        outer = {"ytd": "year", "qtd": "quarter", "mtd": "month"}
        window = _WINDOW_SQL[rule] if func != "total" else _AGG.get(rule, "SUM")
        calendar = "calendar periods"
        if self.fiscal != 1 and func in ("ytd", "qtd"):
            calendar += f" (quarters and years from month {self.fiscal}, as kpiengine's)"
        if func in outer:
            grain = str(self.model.settings.get("grain", "month"))
            part = window_period_sql(period, grain, outer[func], self.fiscal, self.week_start)
            over = f"PARTITION BY {part} ORDER BY {period}"
            if window in ("FIRST_VALUE", "LAST_VALUE"):
                over += " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
        elif func.startswith("rolling:"):
            count = int(func.split(":")[1] or 1)
            over = f"ORDER BY {period} ROWS BETWEEN {count - 1} PRECEDING AND CURRENT ROW"
        else:  # total: every segment of the period
            over = f"PARTITION BY {period}"
        self._note(
            kpi_id,
            "KPI",
            f"`{text}` written as {window}(...) OVER ({over}): {calendar}, and "
            "whole ones (a missing period is not counted); the KPIENGINE extension keeps it",
        )
        return f"{window}({inner}) OVER ({over})"

    def caveat(self, var_id: str) -> str:
        """How the expression of a variable of a dataset with dimensions gives another total than
        kpiengine's (a mean's AVG over all the rows, a sum over time taken as a max across
        segments...), or ''. By its finest segment it is kpiengine's value."""
        variable = self.model.variables.get(var_id)
        dims = self.segments.get(self.home.get(var_id, (INPUTS, var_id))[0]) or []
        if variable is None or not dims:
            return ""
        rule = variable.aggregate
        if isinstance(rule, str):
            time, across = rule, rule
        else:
            time, across = rule.get("time", "sum"), rule.get("segments", "sum")
        if time not in _AGG or (time == across and time != "mean"):
            return ""
        if time == across:
            what, ours = f"`{var_id}` is a mean", "the average of the segments' means"
        else:
            what = f"`{var_id}` rolls up by `{time}` over time and by `{across}` across segments"
            ours = f"the {_SAYS.get(across, across)} of the segments' values"
        by = " and ".join(f"`{d}`" for d in dims)
        return (
            f"{what}: by {by} its {_AGG[time]}(...) is kpiengine's value, but the total (and any "
            f"grouping coarser than that) is the {_SAYS[time]} of all the rows, kpiengine's "
            f"{ours}; no metric expression says that, as it needs the rows grouped by segment first"
        )

    def reads(self, kpi_id: str, seen: set[str] | None = None) -> list[str]:
        """The variables a KPI reads, directly or through the KPIs it names, in model order."""
        seen = {kpi_id} if seen is None else seen
        found: set[str] = set()
        for node in ast.walk(parse_formula(self.model.kpis[kpi_id].formula).tree):
            name = node.id if isinstance(node, ast.Name) else ""
            if name in self.model.kpis and name not in seen:
                seen.add(name)
                found.update(self.reads(name, seen))
            elif name in self.model.variables:
                found.add(name)
        return [v for v in self.model.variables if v in found]

    def _note(self, name: str, kind: str, reason: str) -> None:
        note = Unmapped(name, kind, reason)
        if note not in self.notes:
            self.notes.append(note)


def osi_document(model: Model) -> tuple[dict[str, Any], list[Unmapped]]:
    """The OSI document of a neutral model, and the notes on what its SQL approximates."""
    exporter = _Exporter(model)
    datasets = exporter.datasets()
    metrics, kept = [], {}
    readers: dict[str, list[str]] = {}  # variable with a caveat -> the metrics reading it
    differs: list[Unmapped] = []  # other numbers than kpiengine's: listed first
    for kpi in model.kpis.values():
        try:
            sql = exporter.metric_sql(kpi.id)
        except FormulaError as exc:
            exporter._note(
                kpi.id,
                "KPI",
                f"not written as a metric: {exc.message}; the KPIENGINE extension keeps it",
            )
            kept[kpi.id] = kpi_entry(kpi)
            continue
        metric: dict[str, Any] = {
            "name": kpi.id,
            "expression": {"dialects": [{"dialect": "ANSI_SQL", "expression": sql}]},
        }
        description = (
            kpi.description
            if isinstance(kpi.description, str)
            else (kpi.description.get("en", "") if kpi.description else "")
        )
        entry = kpi_entry(kpi)
        caveats = [(v, exporter.caveat(v)) for v in exporter.reads(kpi.id)]
        for var_id, caveat in [c for c in caveats if c[1]]:
            readers.setdefault(var_id, []).append(kpi.id)
            differs.append(Unmapped(kpi.id, "KPI", caveat))
            description += ("\n\n" if description else "") + f"Caveat: {caveat}."
            entry.setdefault("description", "")  # the import takes kpiengine's, not the caveat
        if description:
            metric["description"] = description
        title = kpi.title if isinstance(kpi.title, str) else kpi.title.get("en", kpi.id)
        context: dict[str, Any] = {"instructions": f"{title}, in {kpi.unit or 'ratio'}"}
        if kpi.extra.get("aliases"):
            context["synonyms"] = list(kpi.extra["aliases"])
        metric["ai_context"] = context
        metric["custom_extensions"] = _ext({"kpi": entry})
        metrics.append(metric)
    for var_id, kpis in readers.items():
        caveat = exporter.caveat(var_id)
        names = ", ".join(f"`{k}`" for k in kpis)
        differs.append(Unmapped(var_id, "variable", f"{caveat} (read by {names})"))
        field = exporter.fields[var_id]
        described = {k: v for k, v in field.items() if k != "custom_extensions"}
        described["description"] = f"Caveat: {caveat}."
        described.update({k: v for k, v in field.items() if k == "custom_extensions"})
        field.clear()
        field.update(described)
    top: dict[str, Any] = {"settings": model.settings, "units": model.units}
    top["sources"] = {s.name: source_entry(s) for s in model.sources.values()}
    if kept:
        top["kpis"] = kept
    semantic: dict[str, Any] = {"name": model.name or "kpiengine"}
    if model.description:
        semantic["description"] = model.description
    semantic.update({"datasets": datasets, "metrics": metrics, "custom_extensions": _ext(top)})
    return {"version": OSI_VERSION, "semantic_model": [semantic]}, differs + exporter.notes
