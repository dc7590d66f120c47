"""One table of a Google Analytics export, for the `ga_export` connector (not a plugin module).

A `Table` is a table the reading layer found in the file, with what its headers mean. It gives
the SQL of its columns to a scan by their meaning: numbers, rates as fractions, durations in
seconds, the date of each row (a Date or Nth day column, the periods of `_ga_periods`, else
none: the export's range), counts derived from rates and sessions (`RECIPES`), `map:` entries
and dimensions; and it checks its totals rows against the sums the scan found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError, Location
from kpiengine.fileformats import CellError, DateFormat, read_number
from kpiengine.fileformats.durations import parse_duration
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Reader, Scan
from kpiengine.filesource import date_format_of
from kpiengine.sqlgen import where_value

from ._ga_counts import COUNTS
from ._ga_headers import DAY_KINDS, GA4_FIELDS, KIND, NUMBER_KINDS, PER_SESSION, header_key
from ._ga_periods import Periods, read_periods
from ._ga_rates import rate_sql
from ._ga_segments import other_segment
from ._ga_unknown import known

# recipe -> steps, tried in order: (how, field). column: the column itself; rate: rate x sessions;
# complement: (1 - rate) x sessions; difference: sessions - column; per_session: x sessions;
# duration: an average duration x sessions, the total seconds (not rounded: time is no count).
# A trailing `4` only applies to GA4 files.
RECIPES: dict[str, tuple[tuple[str, str], ...]] = {
    "sessions": (("column", "sessions"),),
    "visitors": (("column", "users"), ("column", "total_users"), ("column", "active_users")),
    "new_visitors": (("column", "new_users"),),
    # an exact count beside the sessions before a rounded rate (57.11% of 1,234,567)
    "bounces": (
        ("column", "bounces"),
        ("difference", "engaged_sessions"),
        ("rate", "bounce_rate"),
        ("complement", "engagement_rate"),
    ),
    "engaged_sessions": (
        ("column", "engaged_sessions"),
        ("difference4", "bounces"),
        ("rate", "engagement_rate"),
        ("complement4", "bounce_rate"),
    ),
    "pageviews": (("column", "pageviews"), ("per_session", "pages_per_session")),
    "conversions": (("column", "conversions"), ("rate", "conversion_rate")),
    "goal_completions": (("column", "goal_completions"), ("rate", "goal_conversion_rate")),
    # the sessions' total time, so that averages over rows weigh each row by its sessions
    "session_duration": (
        ("duration", "avg_session_duration"),
        ("duration", "avg_engagement_time"),
    ),
}
# a mapped column that is missing but derivable: `map: {bounces: Bounces}` on a GA4 export
FIELD_RECIPE = {
    "sessions": "sessions",
    "users": "visitors",
    "total_users": "visitors",
    "active_users": "visitors",
    "new_users": "new_visitors",
    "bounces": "bounces",
    "engaged_sessions": "engaged_sessions",
    "pageviews": "pageviews",
    "conversions": "conversions",
    "goal_completions": "goal_completions",
}
#: What a column of a kind holds (`fileformats.quantities`): `45%` revenue, `€45` sessions are
#: errors at their cells; an average (`Pages / Session`) is a plain number.
_HELD = {"money": "amount", "count": "count", "users": "count", "average": "plain",
         "ratio": "plain"}  # fmt: skip
# GA4 counts sessions approximately, and a session crossing midnight counts on both days: the
# rows of a GA4 table may exceed its total by a little more than rounding.
APPROXIMATE = {"sessions": 0.02, "engaged_sessions": 0.02, "bounces": 0.02}


def rounded(sql: str) -> str:
    """Counts computed from rates, to whole numbers (halves up), as GA rounds them."""
    return f"floor({sql} + 0.5)"


@dataclass(eq=False)
class Table:
    """One table of an export: its header, what each column means, how to read it."""

    export: Any  # the `_ga_file.Export` it belongs to
    number: int  # 1-based position in the file
    file: FileTable
    headers: list[str]
    fields: list[str | None]
    percent: dict[str, float] = field(default_factory=dict)  # rate column -> 1, 0.01: _ga_rates
    read: set[str] = field(default_factory=set)  # the columns the current scan reads
    segment: str | None = None  # the segment column's value of the rows read (`_ga_segments`)
    peers: list[Any] = field(default_factory=list)  # undated tables whose totals it must reach
    derived: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # `_ga_unknown`

    @property
    def line(self) -> int:
        return self.file.header_line

    @property
    def where(self) -> Location:
        return Location(self.export.name, self.line, 1)

    @cached_property
    def columns(self) -> dict[str, str]:
        """field -> its first column."""
        out: dict[str, str] = {}
        for header, name in zip(self.headers, self.fields, strict=True):
            if name:
                out.setdefault(name, header)
        return out

    @property
    def ga4(self) -> bool:
        return self.export.ga4 or any(f in GA4_FIELDS for f in self.fields)

    @property
    def metric_count(self) -> int:
        return sum(1 for f in self.fields if f and KIND[f] in NUMBER_KINDS)

    def kind(self, header: str) -> str:
        name = self.fields[self.headers.index(header)]
        return KIND.get(name or "", "number")

    def column(self, name: str) -> str | None:
        """The column a header names: its text in the file, or its meaning (any language)."""
        wanted = header_key(name)
        for header in self.headers:
            if header_key(header) == wanted:
                return header
        meaning = self.export.field_of(name)
        return self.columns.get(meaning) if meaning else None

    # --- dates ----------------------------------------------------------------------------

    def no_comparison(self) -> None:
        """A comparison export (a `Date Range` column, `% Change` rows) is an error, before its
        cells are read: its `% Change` rows put percentages in columns of plain numbers."""
        if "date_range" in self.columns:
            header = self.columns["date_range"]
            raise KpiError(
                f"comparison exports are not supported (column `{header}`)",
                self.file.header(header),
                "export one date range at a time (turn the comparison off)",
            )

    @property
    def dating(self) -> tuple[str, str | None]:
        """How rows are dated: ('day' | 'nth' | 'period', column) or ('range', None)."""
        self.no_comparison()
        for name, how in (("date", "day"), ("date_minute", "day"), ("nth_day", "nth")):
            if name in self.columns:
                return how, self.columns[name]
        periods = self.period_columns
        return ("period", periods[0][1]) if periods else ("range", None)

    @property
    def period_columns(self) -> list[tuple[str, str]]:
        """(field, header) of the columns that name the rows' days otherwise (`Year month`)."""
        return [(f, h) for f, h in self.columns.items() if KIND[f] == "period"]

    @cached_property
    def periods(self) -> Periods:
        """The days of each row of a table dated by periods (read once)."""
        fields, headers = zip(*self.period_columns, strict=True)
        return read_periods(self, list(headers), list(fields))

    def format_of(self, header: str) -> DateFormat:
        """The format of a date or `Year month` column: the `date_format:` option, else
        detected (`Date hour and minute` is `%Y%m%d%H%M`)."""
        option = self.export.date_format
        if option is None and self.fields[self.headers.index(header)] == "date_minute":
            option = "%Y%m%d%H%M"
        return date_format_of(
            [self.file],
            header,
            option,
            within=self.export.date_range,
            day_first=self.export.day_first,
        )

    def day(self, scan: Scan) -> str:
        """SQL for the date of each row."""
        how, header = self.dating
        if how == "period":
            return self.periods.day(scan)
        if how == "day" and header is not None:
            return scan.read(header, Reader("date", fmt=self.format_of(header)))
        start = self.export.date_range[0] if self.export.date_range else None
        if start is None and self.export.range_error is not None:
            raise self.export.range_error
        if start is None:
            raise KpiError(
                f"`{header}` counts days from the start date, but the export has no "
                "`# Start date` line"
                if how == "nth"
                else "the table has no Date column and the file no `# Start date` line (nor a "
                "date range) to date its rows",
                self.file.header(header) if header else self.where,
                "export the report with the Date dimension, keeping the `#` header lines",
            )
        if how == "nth" and header is not None:
            nth = scan.read(header, Reader("number", "."))
            return f"(DATE '{start.isoformat()}' + CAST({nth} AS INTEGER))"
        return f"DATE '{start.isoformat()}'"

    # --- values ---------------------------------------------------------------------------

    def reader(self, header: str) -> Reader:
        kind = self.kind(header)
        if kind in DAY_KINDS or kind == "dim":
            raise KpiError(
                f"column `{header}` holds {kind} values, not numbers", self.file.header(header)
            )
        if kind == "duration" or (kind == "number" and self._clocks(header)):
            return Reader("duration", self.export.decimal)
        if kind == "rate":
            what = "a percentage like 45.67% (or a fraction like 0.4567)"
            return Reader("number", self.export.decimal, what=what, quantity="rate")
        return Reader("number", self.export.decimal, quantity=_HELD.get(kind, ""))

    def _clocks(self, header: str) -> bool:
        return any(":" in c for c in self.file.cells(header)[:50])

    def value(self, scan: Scan, header: str, currency: str | None = None) -> str:
        """SQL for a column's value on a row: rates as fractions (`_ga_rates`), durations in
        seconds."""
        money = self.kind(header) == "money"
        sql = scan.read(header, self.reader(header), currency if money else None)
        self.read.add(header)
        if self.kind(header) in COUNTS:  # GA never writes a negative count: `_ga_counts`
            scan.check(f"least {header}", "min", sql)
        return rate_sql(self, scan, header, sql) if self.kind(header) == "rate" else sql

    def can(self, recipe: str) -> bool:
        return self._step(recipe) is not None

    def _step(self, recipe: str) -> tuple[str, str] | None:
        for how, name in RECIPES[recipe]:
            if name not in self.columns:
                continue
            if how.endswith("4") and not self.ga4:
                continue
            if how == "column" or "sessions" in self.columns:
                return how, name
        return None

    def derive(self, scan: Scan, recipe: str) -> str:
        """A count for each row, from its column or from a rate and the sessions."""
        step = self._step(recipe)
        if step is None:
            raise KeyError(recipe)
        how, name = step
        header = self.columns[name]
        value = self.value(scan, header)
        if how == "column":
            return value
        sessions, of = self.value(scan, self.columns["sessions"]), self.columns["sessions"]
        if how.startswith("difference"):
            sql, formula = f"({sessions} - {value})", f"{of} - {header}"
        elif how == "duration":
            sql, formula = f"({value} * {sessions})", f"{header} x {of}"
        elif how.startswith("complement"):
            sql, formula = rounded(f"(1.0 - {value}) * {sessions}"), f"(1 - {header}) x {of}"
        else:
            sql, formula = rounded(f"{value} * {sessions}"), f"{header} x {of}"
        # unknown where a cell has no value and the sessions are not 0 (`_ga_unknown`)
        return known(self, scan, recipe, header, value, sessions, sql, formula)

    def mappable(self, mapping: Mapping) -> bool:
        if any(self.column(name) is None for name in mapping.where):
            return False
        if mapping.count:
            return True
        header = self.column(mapping.column or mapping.distinct or "")
        if header is None:
            recipe = FIELD_RECIPE.get(self.export.field_of(mapping.column or "") or "")
            return bool(recipe and self.can(recipe))
        return self.kind(header) not in PER_SESSION or "sessions" in self.columns

    def mapped(self, scan: Scan, mapping: Mapping, currency: str, time: str = "sum") -> str:
        """SQL for a `map:` entry's value on a row."""
        condition = scan.rows(
            {self.column(c) or c: values for c, values in mapping.where.items()},
            mapping.present and (self.column(mapping.present) or mapping.present),
            mapping.location,
        )
        if mapping.count:
            return f"(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"
        if mapping.distinct is not None:
            text = scan.text(self.column(mapping.distinct) or mapping.distinct)
            return f"(CASE WHEN {condition} AND {text} <> '' THEN {text} END)"
        header = self.column(mapping.column or "")
        if header is None:
            recipe = FIELD_RECIPE[self.export.field_of(mapping.column or "") or ""]
            value = self.derive(scan, recipe)
        else:
            kind = self.kind(header)
            if kind in DAY_KINDS or kind == "dim":
                raise KpiError(
                    f"`{mapping.variable}` maps to `{header}`, a dimension, not a number",
                    mapping.location,
                    "map a metric column, or list this column under `dimensions:`",
                )
            value = self.value(scan, header, mapping.currency or currency)
            if kind in PER_SESSION:
                sessions, of = self.value(scan, self.columns["sessions"]), self.columns["sessions"]
                sql = rounded(f"{value} * {sessions}")
                value = known(self, scan, mapping.variable, header, value, sessions, sql,
                              f"{header} x {of}")  # fmt: skip
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return where_value(condition, value, time) if mapping.where else value

    # --- dimensions -----------------------------------------------------------------------

    def dimension_columns(self, column: str | None, default: str) -> list[str] | None:
        """The columns of a dimension: `column` (`dimensions:`) or the one GA's headers say;
        `dimensions: [channel]` names no column but the dimension GA's headers say."""
        if column is not None:
            found = self.column(column)
            if found is not None or column != default:
                return None if found is None else [found]
        if default in self.columns:
            return [self.columns[default]]
        if default == "source_medium" and {"source", "medium"} <= set(self.columns):
            return [self.columns["source"], self.columns["medium"]]
        return None

    def has_dimension(self, column: str | None, default: str) -> bool:
        return self.dimension_columns(column, default) is not None

    def dimension(self, scan: Scan, column: str | None, default: str) -> str:
        """SQL for a dimension's value; separate source and medium columns make `s / m`."""
        columns = self.dimension_columns(column, default)
        if columns is None:
            raise KeyError(default)
        return " || ' / ' || ".join(scan.text(c) for c in columns)

    @property
    def dimension_fields(self) -> set[str]:
        """The table's dimension columns (a distinct count is per row only when the request
        breaks it down by all of them)."""
        return {h for h, f in zip(self.headers, self.fields, strict=True) if KIND.get(f or "") ==
                "dim" or (f is None and h and not self._numeric(h))}  # fmt: skip

    def _numeric(self, header: str) -> bool:
        cells = [c for c in self.file.cells(header)[:20] if c.strip()]
        return bool(cells) and all(_reads(c, self.export.decimal) for c in cells)

    # --- totals ---------------------------------------------------------------------------

    def totals_checks(self, scan: Scan) -> list[str]:
        """Ask the scan for the sums of the columns the totals rows total (counts, money),
        of those it reads: columns nobody asked for may not add up (sessions by page)."""
        if not self.file.totals:
            return []
        out = []
        for header, name in zip(self.headers, self.fields, strict=True):
            if name and KIND[name] in ("count", "money") and header in self.read:
                scan.check(f"sum {header}", "sum", self.value(scan, header))
                out.append(header)
        scan.check("rows", "count", "TRUE")
        return out

    def check_totals(self, checks: dict[str, Any], columns: list[str]) -> None:
        """The totals rows must equal the sum of the rows (beyond rounding)."""
        rows = int(checks.get("rows") or 0)
        for total in self.file.totals:
            if other_segment(self, total.cells):
                continue  # another segment's totals row (UA writes one per segment)
            for header in columns:
                index = self.headers.index(header)
                text = total.cells[index] if index < len(total.cells) else ""
                where = self.file.location(total.line, header)
                try:
                    expected = read_number(text, self.export.decimal).value
                except CellError as exc:
                    raise exc.at(where) from None
                if math.isnan(expected):
                    continue
                added = checks.get(f"sum {header}") or 0.0
                allowed = 0.5 * 10.0 ** -self._places(header) * (rows + 1)
                name = self.fields[index] or ""
                if self.ga4 and name in APPROXIMATE:
                    allowed = max(allowed, APPROXIMATE[name] * abs(expected))
                if abs(added - expected) > allowed + 1e-9 * abs(expected):
                    raise KpiError(
                        f"the totals row gives {header} = {_shown(expected)} but the {rows} "
                        f"rows of the table (header on line {self.line}) add up to "
                        f"{_shown(added)}",
                        where,
                        "export the whole report again (all rows, no row limit), or remove the "
                        "rows that are not segments",
                    )

    def _places(self, header: str) -> int:
        """The most digits after the decimal mark in a column's sampled cells."""
        decimal, places = self.export.decimal, 0
        for text in dict.fromkeys(self.file.cells(header)):
            head, mark, tail = text.strip().rstrip("%").rpartition(decimal)
            if mark:
                places = max(places, len(tail) - len(tail.lstrip("0123456789")))
        return places


def _reads(text: str, decimal: str) -> bool:
    try:
        read_number(text, decimal)
    except CellError:
        try:
            parse_duration(text, decimal)
        except CellError:
            return False
    return True


def _shown(value: float) -> str:
    """A number in a message: whole with thousands separators, else two decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
