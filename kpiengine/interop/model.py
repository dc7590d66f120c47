"""The neutral form every importer produces and the writer consumes.

It mirrors a workspace as kpi.yaml and a definitions file spell it (ids, unit text, formula
text), so that the writer only has to order and print it. Whatever an importer could not map is
an `Unmapped` entry with its reason; whatever it mapped with a caveat is a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Location


@dataclass(frozen=True)
class Unmapped:
    """A feature of the imported model left out (or, as a note, mapped with a caveat), with
    where the model defines it."""

    name: str
    kind: str
    reason: str
    loc: Location | None = None

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc is not None else ""
        return f"{where}{self.name} ({self.kind}): {self.reason}"


@dataclass
class Variable:
    """A workspace variable: `aggregate` is a rule (`sum`) or {time: ..., segments: ...}."""

    id: str
    unit: str
    aggregate: str | dict[str, str] = "sum"
    title: str | dict[str, str] = ""  # text, or locale -> text
    description: str | dict[str, str] = ""
    loc: Location | None = None  # what the model defines it from


@dataclass
class Mapping:
    """How a source gives one variable: a column, a count of rows (of the rows where `column`
    has a value, when both are set), or a count of the distinct
    values of the column `distinct`; `where` keeps rows whose column holds one of the values;
    `date` is the column dating this variable if not the source's; `extra` holds other mapping
    keys (scale, currency) as they were."""

    variable: str
    column: str | None = None
    count: bool = False
    where: dict[str, list[str]] = field(default_factory=dict)
    date: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    distinct: str | None = None


@dataclass
class Source:
    """A source of kpi.yaml; `filters` are rows every mapping keeps (merged into each `where`)."""

    name: str
    table: str | None = None
    query: str | None = None
    date: str | None = None
    dimensions: dict[str, Any] = field(default_factory=dict)  # workspace dimension -> column
    filters: dict[str, list[str]] = field(default_factory=dict)
    mappings: dict[str, Mapping] = field(default_factory=dict)
    connector: str = "sql"
    options: dict[str, Any] = field(default_factory=dict)  # other options: url, dialect, path
    loc: Location | None = None  # the semantic model, cube or dataset it is read from

    def undated(self, kind: str, date: str | None = None) -> str:
        """Why a variable read from this built `sql` source (with its own `date`, if any) cannot
        be evaluated, or ''. The connector dates rows by a column of the table (`date` when
        none is named), so a table dated only through a join has no periods."""
        if self.connector != "sql" or self.date or date:
            return ""
        return (
            f"{kind} `{self.name}` has no time column of its own: each variable is dated by a "
            "column of its table (a date reached through a join is not imported)"
        )


@dataclass
class Kpi:
    """A KPI; an empty `unit` or `format` is inferred from the formula when the model is done."""

    id: str
    formula: str
    title: str | dict[str, str] = ""
    description: str | dict[str, str] = ""
    unit: str = ""
    format: str = ""
    direction: str = "none"  # the importers rarely know which way is better
    target: Any = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # decimals, at_risk, aliases, tags, notes
    loc: Location | None = None  # the metric or measure it is read from

    def restore(self, entry: dict[str, Any]) -> None:
        """Take back what kpiengine saved of this KPI (its definitions entry) in an export."""
        for key, value in entry.items():
            if key in KPI_FIELDS:
                setattr(self, key, value)
            elif key != "formula":
                self.extra[key] = value


KPI_FIELDS = ("title", "description", "unit", "format", "direction", "target", "examples")


@dataclass
class Model:
    """A whole imported model, ready for the writer."""

    origin: str  # what was read, for the header of the written files
    name: str = ""
    description: str = ""
    variables: dict[str, Variable] = field(default_factory=dict)
    kpis: dict[str, Kpi] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    units: list[str] = field(default_factory=list)  # counted entities the definitions declare
    settings: dict[str, Any] = field(default_factory=dict)  # other kpi.yaml keys
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[Unmapped] = field(default_factory=list)

    def skip(self, name: str, kind: str, reason: str, loc: Location | None = None) -> None:
        """List a feature (defined at `loc`) as not imported."""
        self.unmapped.append(Unmapped(name, kind, reason, loc))

    def note(self, name: str, kind: str, reason: str, loc: Location | None = None) -> None:
        """List a feature (defined at `loc`) imported with a caveat."""
        self.notes.append(Unmapped(name, kind, reason, loc))

    @property
    def taken(self) -> set[str]:
        """Every id in use (variables and KPIs share one namespace)."""
        return set(self.variables) | set(self.kpis)

    def source_of(self, variable: str) -> Source | None:
        """The source that maps `variable`, if any."""
        return next((s for s in self.sources.values() if variable in s.mappings), None)

    def checkpoint(self) -> set[str]:
        """The variable ids so far, for `rollback` when a metric turns out not to map."""
        return set(self.variables)

    def rollback(self, before: set[str]) -> None:
        """Drop the variables (and their mappings) made since `before` that no KPI reads."""
        read = {n for k in self.kpis.values() for n in re.findall(r"[a-z]\w*", k.formula)}
        for var_id in set(self.variables) - before - read:
            del self.variables[var_id]
            for source in self.sources.values():
                source.mappings.pop(var_id, None)

    def drop_unread_sources(self, kind: str) -> None:
        """List and drop the built `sql` sources that map no variable (reachable only by joins)."""
        for key, source in list(self.sources.items()):
            if source.connector == "sql" and not source.mappings:
                del self.sources[key]
                self.skip(key, kind, "no imported metric reads it", source.loc)

    def use_files(self, folder: Path) -> list[str]:
        """Point each `sql` source reading a table at `folder/<table>.csv` (or `.parquet`) through
        an in-memory DuckDB (`files:`); return the tables without a file there."""
        missing = []
        for source in self.sources.values():
            if source.connector != "sql" or not source.table or "url" in source.options:
                continue
            name = source.table.split(".")[-1]  # `public.orders`: the file is orders.csv
            found = [folder / f"{name}{ext}" for ext in (".csv", ".parquet")]
            path = next((p for p in found if p.is_file()), None)
            if path is None:
                missing.append(source.table)
                continue
            source.table = name
            source.options["url"] = "duckdb://"
            source.options["files"] = {name: str(path.resolve())}
        return missing

    def use_database(self, url: str, dialect: str | None = None) -> None:
        """Point every `sql` source without a URL at `url` (and `dialect`, if given)."""
        for source in self.sources.values():
            if source.connector == "sql":
                source.options.setdefault("url", url)
                if dialect:
                    source.options.setdefault("dialect", dialect)
