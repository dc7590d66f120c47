"""What the KPIENGINE extension of an OSI document saved, restored: kpi.yaml's sources as they
were, and the KPIs `kpi export osi` could not write as SQL (a window over a distinct count, which
kpiengine itself leaves undefined), so that importing the document gives the workspace back.
"""

from __future__ import annotations

from typing import Any

from ..formula import FormulaError, parse_formula
from .model import Kpi, Mapping, Model, Source


def restore_kpis(model: Model, saved: Any) -> None:
    """The KPIs the extension keeps outside the document's metrics (`kpis`: id -> entry); one
    whose formula does not parse is listed as not imported."""
    for kpi_id, entry in (saved or {}).items() if isinstance(saved, dict) else []:
        formula = entry.get("formula") if isinstance(entry, dict) else None
        if str(kpi_id) in model.kpis:
            continue
        try:
            parse_formula(str(formula))
        except FormulaError as exc:
            model.skip(str(kpi_id), "KPI", f"its saved formula does not parse: {exc.message}")
            continue
        kpi = Kpi(str(kpi_id), str(formula))
        kpi.restore(entry)
        model.kpis[kpi.id] = kpi


def restore_source(name: str, raw: Any) -> Source:
    """A kpi.yaml source as the KPIENGINE extension saved it."""
    raw = dict(raw) if isinstance(raw, dict) else {}
    source = Source(name, connector=str(raw.pop("connector", "sql")))
    source.dimensions = dict(raw.pop("dimensions", None) or {})
    for var_id, spec in (raw.pop("map", None) or {}).items():
        if isinstance(spec, str):
            source.mappings[var_id] = Mapping(var_id, spec)
            continue
        spec = dict(spec)
        where = {
            str(k): [str(x) for x in (v if isinstance(v, list) else [v])]
            for k, v in (spec.pop("where", None) or {}).items()
        }
        distinct = spec.pop("distinct", None)
        count = spec.pop("count", False)
        column = spec.pop("column", None)
        source.mappings[var_id] = Mapping(
            var_id,
            str(count) if isinstance(count, str) else column,  # `count: COLUMN` keeps its column
            count is not False and count is not None,
            where,
            spec.pop("date", None),
            spec,
            str(distinct) if distinct is not None else None,
        )
    source.options = raw  # table, query, date, path and the other options, in their order
    return source
