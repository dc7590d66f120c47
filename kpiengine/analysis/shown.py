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


MORE_DECIMALS = 6  # at most this many more decimals to tell values apart


def kpi_values_apart(ws: Workspace, kpi_id: str, values: list[float | None]) -> list[str]:
    """The KPI's values in its format (`kpi_value`), with the fewest more decimals that show
    different values differently (a whole count giving 90.0003% against a target of 90%:
    `90.0003%`, `90.0000%`, never `90.0%` twice)."""
    kpi = ws.kpis[kpi_id]
    shown = formatter(ws)
    base = (
        kpi.decimals
        if kpi.decimals is not None
        else {"percent": 1, "multiple": 1}.get(
            kpi.format, 2 if kpi.format in ("currency", "number") else None
        )
    )
    first = [shown.kpi_value(v, kpi.format, kpi.decimals) for v in values]
    if base is None or kpi.format == "integer":
        return first
    out = first
    for places in range(base, base + MORE_DECIMALS + 1):
        if _apart(values, out):
            return out
        out = [shown.kpi_value(v, kpi.format, places + 1) for v in values]
    return out


def _apart(values: list[float | None], texts: list[str]) -> bool:
    """True when values that differ are shown differently."""
    pairs = zip(values, texts, strict=True)
    seen: dict[str, float | None] = {}
    for value, text in pairs:
        other = seen.get(text)
        if text in seen and not _same(other, value):
            return False
        seen[text] = value
    return True


def _same(a: float | None, b: float | None) -> bool:
    """Equal, or equal but for float noise (12 significant digits)."""
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b))
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def exact_apart(value: float, whole: float) -> str:
    """An exact value next to the whole number shown for it, with the decimals (at least 2)
    that tell them apart and keep a figure that is not 0: `1,925.56` beside 1,925, not
    `1,926`; `0.00047` beside 1, not `0.00`."""
    for places in range(2, 11):
        text = f"{value:,.{places}f}"
        shown = float(text.replace(",", ""))
        if shown != whole and abs(shown - value) <= 0.01 * abs(value):  # 2 figures at least
            return text
    return f"{value:,.15g}"
