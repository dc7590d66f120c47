"""Values as the analysis commands write them (English, the workspace currency): a KPI in its
format (`€151.61`, `364.5%`, `4.0×`), an input by its unit (`€25,000.00`, `97`)."""

from __future__ import annotations

import math

from ..localformat import Formatter
from ..model import Workspace


def formatter(ws: Workspace) -> Formatter:
    return Formatter("en", ws.settings.currency)


def kpi_value(ws: Workspace, kpi_id: str, value: float | None) -> str:
    """A KPI's value as the report writes it (`€540.04`, `42.9%`, `3.2×`)."""
    kpi = ws.kpis[kpi_id]
    return formatter(ws).kpi_value(value, kpi.format, kpi.decimals)


def input_value(ws: Workspace, name: str, value: float | None) -> str:
    """An input in its KPI's format (a KPI) or by its unit (currency with cents, a whole
    number without decimals, else 4 significant digits)."""
    if name in ws.kpis:
        return kpi_value(ws, name, value)
    variable = ws.variables.get(name.split("__")[0])
    money = variable is not None and variable.unit is not None and "currency" in str(variable.unit)
    if value is not None and math.isfinite(value) and not money and value == int(value):
        return formatter(ws).integer(value)
    return formatter(ws).kpi_value(value, "currency" if money else "number")
