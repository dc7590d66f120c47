"""The one check runner: load-stage checks while a workspace loads, the others for `kpi lint`.

A check that raises (anything but KeyboardInterrupt: SystemExit from a plugin is a bug too) or
yields something other than a Finding becomes a KPI200 finding naming the check and where it
came from; the other checks still run.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from pathlib import Path

from ..errors import Finding
from ..model import Workspace
from .base import Check
from .context import CheckContext
from .examples import ExampleIncomplete, ExampleMismatch
from .formulas import PercentScaling
from .resolution import Cycle, UnknownName
from .runtime import CheckFailed
from .selfref import SelfReference
from .units import DeclaredUnitMismatch, TimeScale, UnitClash

BUILTIN = "built-in"

#: The built-in load-stage checks, in the order they must run: a KPI blocked by an earlier
#: check (an unknown name, a cycle) is not looked at by the later ones.
LOAD_CHECKS: tuple[type[Check], ...] = (
    SelfReference,
    UnknownName,
    Cycle,
    UnitClash,
    DeclaredUnitMismatch,
    TimeScale,
    PercentScaling,
    ExampleIncomplete,
    ExampleMismatch,
)


def run_check(check: type[Check], context: CheckContext, origin: str = BUILTIN) -> list[Finding]:
    """The check's findings; a crash (or something that is not a finding) is one KPI200 finding."""
    try:
        found = list(check().run(context))
        bad = [f for f in found if not isinstance(f, Finding)]
        if bad:  # `None` too
            raise TypeError(f"yielded {type(bad[0]).__name__}, not a Finding")
        return found
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a check's bug is a finding, not a traceback
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        return [
            CheckFailed.finding(
                f"check {check.code} ({check.title}, {origin}) failed: "
                f"{type(exc).__name__}: {exc}{where}"
            )
        ]


def run_checks(checks: Iterable[tuple[type[Check], str]], context: CheckContext) -> list[Finding]:
    """The findings of every (check, origin), in order."""
    return [f for check, origin in checks for f in run_check(check, context, origin)]


def run_load_checks(workspace: Workspace) -> None:
    """Attach the reader's findings to their KPIs, then run the load-stage checks in order,
    attaching each finding to the workspace and to its KPI."""
    for finding in workspace.findings:
        _attach(workspace, finding)
    context = CheckContext(workspace, list(workspace.kpis.values()))
    for check in LOAD_CHECKS:
        for finding in run_check(check, context):
            workspace.findings.append(finding)
            _attach(workspace, finding)


def _attach(workspace: Workspace, finding: Finding) -> None:
    kpi = workspace.kpis.get(finding.kpi) if finding.kpi else None
    if kpi is not None:
        kpi.findings.append(finding)
