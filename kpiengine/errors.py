"""Source locations, findings and the exceptions that carry them to the user."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
INFO = "info"
_SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Location:
    """A position in a user file; line and column are 1-based (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def shifted(self, columns: int) -> Location:
        """The location `columns` characters further along the same line."""
        return Location(self.file, self.line, self.column + columns)

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    """One problem found in definitions or data: what, where, how bad, how to fix."""

    code: str
    severity: str
    message: str
    location: Location | None = None
    kpi: str | None = None
    fix: str | None = None
    details: dict = field(default_factory=dict, compare=False, hash=False)
    blocking: bool = field(default=False, compare=False)  # leaves the KPI without a formula
    withholds: bool = field(default=False, compare=False)  # its values would be wrong

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity} {self.code}: {self.message}"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "kpi": self.kpi,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "fix": self.fix,
        }


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by file position."""

    def key(f: Finding) -> tuple[int, str, int, int, str]:
        loc = f.location or Location("")
        return (_SEVERITY_RANK.get(f.severity, 9), loc.file, loc.line, loc.column, f.code)

    return sorted(findings, key=key)


class KpiError(Exception):
    """A user error: bad input, bad usage. Shown as a message, never a traceback."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.fix = fix

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.message}"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class DefinitionError(KpiError):
    """Definitions that cannot be loaded at all (the findings say why)."""

    def __init__(self, findings: list[Finding]):
        self.findings = sort_findings(findings)
        super().__init__("\n".join(f.format() for f in self.findings))

    def __str__(self) -> str:
        return self.message


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, if any is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """'; did you mean `x`?' or an empty string."""
    match = did_you_mean(name, candidates)
    return f"; did you mean `{match}`?" if match else ""
