"""KPI002-KPI005, KPI008: definitions that cannot be read as written.

The YAML reader (`kpiengine.schema`, `kpiengine.workspace`) reports these while it reads; they
block the KPI they are about, which is then left out of evaluation.
"""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl
from .base import ERROR, LOAD, Check


class _ReadCheck(Check):
    severity = ERROR
    stage = LOAD
    blocking = True


class UnknownKey(_ReadCheck):
    code = "KPI002"
    blocking = False
    title = "unknown key (with the closest allowed key)"
    fix = "fix the spelling; the allowed keys are listed"


class BadValue(_ReadCheck):
    code = "KPI003"
    title = "a value of the wrong type or outside its choices"
    fix = "write the value as the message says"


class DuplicateId(_ReadCheck):
    code = "KPI004"
    blocking = False
    title = "an id defined twice in one layer"
    fix = "rename one of them, or override a built-in from the workspace's definitions"


class FormulaSyntax(_ReadCheck):
    code = "KPI005"
    title = "a formula that does not parse or uses something not allowed"
    fix = "use numbers, names, + - * / **, parentheses and the functions listed in the README"


class BadUnit(_ReadCheck):
    code = "KPI008"
    title = "an unknown or malformed unit"
    fix = "write a unit such as `currency / customers`; declare new counted entities under `units:`"


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (UnknownKey, BadValue, DuplicateId, FormulaSyntax, BadUnit):
        register(check)
