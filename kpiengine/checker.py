"""Collects findings while reading YAML structures: keys, mappings, text, numbers, choices."""

from __future__ import annotations

from typing import Any

from .checks.base import Check
from .checks.definitions import BadValue, UnknownKey
from .errors import Finding, Location, suggestion
from .yamlio import YMap


class Checker:
    """Collects findings while reading YAML structures."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(
        self,
        check: type[Check],
        message: str,
        location: Location,
        kpi: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.findings.append(check.finding(message, kpi, location, fix=fix))

    def keys(
        self, entry: YMap, allowed: tuple[str, ...], what: str, kpi: str | None = None
    ) -> None:
        for key in entry:
            if key not in allowed:
                self.error(
                    UnknownKey,
                    f"unknown key `{key}` in {what}{suggestion(str(key), allowed)}",
                    entry.key_loc(key),
                    kpi,
                    f"allowed keys: {', '.join(allowed)}",
                )

    def mapping(self, value: Any, location: Location, what: str, kpi: str | None = None) -> bool:
        if isinstance(value, YMap):
            return True
        self.error(BadValue, f"{what} must be a mapping of keys to values", location, kpi)
        return False

    def text(self, entry: YMap, key: str, what: str, kpi: str | None = None) -> dict[str, str]:
        """A string, or a map of locale to string."""
        value = entry.get(key)
        if value is None:
            return {}
        if isinstance(value, str):
            return {"en": value.strip()}
        if isinstance(value, YMap) and all(isinstance(v, str) for v in value.values()):
            return {str(k): v.strip() for k, v in value.items()}
        self.error(
            BadValue,
            f"`{key}` of {what} must be text or a map of locale to text (en: ..., fr: ...)",
            entry.value_loc(key),
            kpi,
        )
        return {}

    def number(self, entry: YMap, key: str, what: str, kpi: str | None = None) -> float | None:
        value = entry.get(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        self.error(BadValue, f"`{key}` of {what} must be a number", entry.value_loc(key), kpi)
        return None

    def choice(
        self, entry: YMap, key: str, options: tuple[str, ...], default: str, kpi: str | None
    ) -> str:
        value = entry.get(key, default)
        if value in options:
            return value
        self.error(
            BadValue,
            f"`{key}` must be one of {', '.join(options)}, not `{value}`"
            f"{suggestion(str(value), options)}",
            entry.value_loc(key),
            kpi,
        )
        return default

    def strings(self, entry: YMap, key: str, kpi: str | None) -> list[str]:
        value = entry.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        self.error(BadValue, f"`{key}` must be text or a list of text", entry.value_loc(key), kpi)
        return []
