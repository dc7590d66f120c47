"""The check contract: every finding code is one `Check` with a code, severity, title, fix, stage.

The engine's own codes (reading YAML, resolving names, units, examples, sources, crashed checks)
and the pitfall checks are all `Check` subclasses registered through the `register_checks` hook,
so `kpi lint --list-checks`, the README's table and the SARIF rules come from one registry.

Stages: `load` checks run while a workspace is loaded (their findings can block a KPI), `static`
ones look at definitions only, `data` ones at evaluated results. A check whose findings the engine
produces as it works (a YAML reader, a source) keeps the default `run`, which yields nothing.
This module imports nothing from the engine but the finding types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Protocol

from ..errors import ERROR, INFO, WARNING, Finding, Location

__all__ = ["DATA", "ERROR", "INFO", "LOAD", "STAGES", "STATIC", "WARNING", "Check"]

LOAD, STATIC, DATA = "load", "static", "data"
STAGES = (LOAD, STATIC, DATA)


class Located(Protocol):
    """What a finding needs of a KPI: its id and where its formula is written."""

    id: str
    location: Location
    formula_location: Location | None


class Check:
    """Base class of checks; `name` (the registry key) defaults to `code`."""

    code: ClassVar[str] = ""
    severity: ClassVar[str] = WARNING
    title: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    stage: ClassVar[str] = STATIC
    #: A finding of this check leaves its KPI without a usable formula (load stage only).
    blocking: ClassVar[bool] = False
    #: A finding of this check says the KPI's values would be wrong (unlike units added): runs
    #: leave the KPI out unless it allows the code (`allow:`); lint still checks it.
    withholds: ClassVar[bool] = False
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code and not cls.__dict__.get("name"):
            cls.name = cls.code
        if cls.stage not in STAGES:
            raise TypeError(f"{cls.__name__}.stage must be one of {', '.join(STAGES)}")

    def run(self, context: Any) -> Iterable[Finding]:
        """Yield the findings of this check (a `kpiengine.checks.context.CheckContext`)."""
        return ()

    @classmethod
    def finding(
        cls,
        message: str,
        kpi: Located | str | None = None,
        location: Location | None = None,
        *,
        fix: str | None = None,
        severity: str | None = None,
        withholds: bool | None = None,
        **details: Any,
    ) -> Finding:
        """A finding of this check; located at the KPI's formula unless `location` is given.

        `kpi` is a KPI (or only its id, when the definition is not built yet).
        """
        kpi_id = kpi if isinstance(kpi, str) or kpi is None else kpi.id
        if location is None and kpi is not None and not isinstance(kpi, str):
            location = kpi.formula_location or kpi.location
        return Finding(
            cls.code,
            severity or cls.severity,
            message,
            location,
            kpi_id,
            fix or cls.fix or None,
            details,
            blocking=cls.blocking,
            withholds=cls.withholds if withholds is None else withholds,
        )

    @classmethod
    def describe(cls) -> dict[str, str]:
        """The catalogue entry: code, severity, stage, title, fix."""
        return {
            "code": cls.code,
            "severity": cls.severity,
            "stage": cls.stage,
            "title": cls.title,
            "fix": cls.fix,
        }
