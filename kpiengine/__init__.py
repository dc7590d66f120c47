"""kpiengine: declarative, checkable marketing and sales KPIs.

    >>> import kpiengine
    >>> ws = kpiengine.load_workspace("examples/sample")
    >>> results = kpiengine.evaluate(ws, grain="month", by=["channel"])
    >>> results.records()[0]["value"]

Attributes are imported on first use so that `import kpiengine` (and `kpi --help`) stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_workspace": "kpiengine.workspace",
    "Workspace": "kpiengine.model",
    "Engine": "kpiengine.engine",
    "evaluate": "kpiengine.engine",
    "Results": "kpiengine.evaluation",
    "Frame": "kpiengine.table",
    "parse_formula": "kpiengine.formula",
    "KpiError": "kpiengine.errors",
    "Finding": "kpiengine.errors",
    "sample_workspace": "kpiengine.resources",
    "hookimpl": "kpiengine.hookspecs",
    "Connector": "kpiengine.connector",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kpiengine' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
