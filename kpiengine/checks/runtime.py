"""KPI011-KPI017, KPI200: what can go wrong while a run plans, fetches and checks.

The engine reports these as it works (the plan, the sources, the check runner); they are checks
so that they are catalogued, documented and shown in SARIF like every other code.
"""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl
from .base import DATA, ERROR, STATIC, WARNING, Check


class MissingInput(Check):
    code = "KPI011"
    severity = ERROR
    stage = DATA
    title = "a KPI that was asked for but whose inputs the data lacks"
    fix = "add the missing inputs to the data, or leave the KPI out"


class SourceFailed(Check):
    code = "KPI012"
    severity = ERROR
    stage = DATA
    title = "a source whose connector (plugin code) raised an error; the other sources were used"
    fix = "its variables are missing from this evaluation; report it to the connector's author"


class Undatable(Check):
    code = "KPI013"
    severity = WARNING
    stage = DATA
    title = "a source without dates covers a range that no period of the grain holds"
    fix = "evaluate that source on its own (one period: its range), or export it with dates"


class RowsLeftOut(Check):
    code = "KPI015"
    severity = WARNING
    stage = DATA
    title = "a source that left variables out because of rows no period of the grain can count"
    fix = (
        "the message names the first such row and what to do: correct it, export at a finer "
        "grain, or evaluate at a grain that holds the rows"
    )


class SuspectRows(Check):
    code = "KPI016"
    severity = WARNING
    stage = DATA
    title = (
        "rows a source counted although they look wrong (a deal closed on a day to come, a "
        "date years from the rest)"
    )
    fix = "the message names the first such row: correct it in the system it comes from"


class MissingMonths(Check):
    code = "KPI017"
    severity = WARNING
    stage = DATA
    title = (
        "a source lacking some of its dates: months between a monthly source's first and last, "
        "or days between its files that no file covers"
    )
    fix = (
        "export or paste in the missing months or days (a month without activity as a row of "
        "zeros), or add the missing download"
    )


class CheckFailed(Check):
    code = "KPI200"
    severity = ERROR
    stage = STATIC
    title = "a check that crashed (the other checks ran)"
    fix = "report it to the check's author; the other checks ran"


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (
        MissingInput,
        SourceFailed,
        Undatable,
        RowsLeftOut,
        SuspectRows,
        MissingMonths,
        CheckFailed,
    ):
        register(check)
