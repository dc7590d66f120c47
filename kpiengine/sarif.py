"""SARIF 2.1.0 output of `kpi lint`, so code-review tools annotate the YAML lines.

File URIs are relative to the workspace (`%SRCROOT%`); built-in definitions are relative to the
installed package (`KPIENGINE`, e.g. `definitions/revenue.yaml`). Silenced findings are results
with an in-source suppression carrying the `allow:` reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ERROR, INFO, WARNING, Finding
from .lint import LintReport, jsonable

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}
SRCROOT = "%SRCROOT%"
PACKAGE = "KPIENGINE"
BUILTIN_PREFIX = "<built-in>/"


def _package_root() -> Path | None:
    from importlib.resources import files  # noqa: PLC0415

    folder = files("kpiengine.definitions")
    return Path(str(folder)).parent if isinstance(folder, Path) else None


def _artifact(file: str, root: Path | None) -> dict[str, str]:
    if file.startswith(BUILTIN_PREFIX):
        return {"uri": file[len(BUILTIN_PREFIX) :], "uriBaseId": PACKAGE}
    path = Path(file).resolve()
    if root is not None:
        try:
            return {"uri": path.relative_to(root).as_posix(), "uriBaseId": SRCROOT}
        except ValueError:
            pass
    return {"uri": path.as_uri()}


def _location(finding: Finding, root: Path | None) -> list[dict[str, Any]]:
    out: dict[str, Any] = {}
    loc = finding.location
    if loc is not None and loc.file:
        physical: dict[str, Any] = {"artifactLocation": _artifact(loc.file, root)}
        if loc.line > 0:
            physical["region"] = {"startLine": loc.line}
            if loc.column > 0:
                physical["region"]["startColumn"] = loc.column
        out["physicalLocation"] = physical
    if finding.kpi:
        out["logicalLocations"] = [{"name": finding.kpi, "kind": "member"}]
    return [out] if out else []


def _result(
    finding: Finding, index: dict[str, int], root: Path | None, reason: str | None = None
) -> dict[str, Any]:
    text = finding.message + (f" Fix: {finding.fix}" if finding.fix else "")
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": LEVELS.get(finding.severity, "none"),
        "message": {"text": text},
        "locations": _location(finding, root),
        "properties": json.loads(
            json.dumps(
                {"kpi": finding.kpi, "fix": finding.fix, "details": finding.details},
                default=jsonable,
            )
        ),
    }
    if reason is not None:
        result["suppressions"] = [{"kind": "inSource", "justification": reason}]
    return result


def to_sarif(report: LintReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for `json.dumps`)."""
    root = report.workspace.root.resolve() if report.workspace.root else None
    names = {r.obj.code: r.obj.__name__ for r in report.checks}
    rules = []
    for rule in report.rules():
        entry: dict[str, Any] = {
            "id": rule["code"],
            "shortDescription": {"text": rule["title"]},
            "defaultConfiguration": {"level": LEVELS.get(rule["severity"], "warning")},
            "properties": {"stage": rule["stage"], "origin": rule["origin"]},
        }
        if rule["code"] in names:
            entry["name"] = names[rule["code"]]
        if rule["fix"]:
            entry["help"] = {"text": rule["fix"]}
        rules.append(entry)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [_result(f, index, root) for f in report.findings]
    results += [_result(s.finding, index, root, s.reason) for s in report.silenced]
    bases: dict[str, Any] = {}
    if root is not None:
        bases[SRCROOT] = {"uri": root.as_uri() + "/"}
    package = _package_root()
    if package is not None:
        bases[PACKAGE] = {"uri": package.as_uri() + "/"}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "kpiengine",
                "version": __version__,
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if bases:
        run["originalUriBaseIds"] = bases
    return {"$schema": SCHEMA, "version": VERSION, "runs": [run]}


def render_sarif(report: LintReport) -> str:
    return json.dumps(to_sarif(report), ensure_ascii=False, indent=1)
