"""One table of a Google Analytics export, for the `ga_export` connector.

A `Table` is a header, its data rows (kept column by column: a big export is many rows of few
columns) and its totals rows (split by `_ga_file`). It reads its columns by what their headers
mean: numbers (rates as fractions, durations in seconds), the date of each row (a Date, Nth day
or month column, else the export's date range), counts derived from rates and sessions
(`RECIPES`), `map:` entries, dimensions, and it checks the totals rows against the rows. Private
to the connector: not a plugin module.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from kpiengine.connector import Mapping
from kpiengine.errors import KpiError, Location
from kpiengine.numbers import NumberError, ascii_digits
from kpiengine.periods import ordinals

from ._ga_dates import DateError, distinct, parse_day_column
from ._ga_headers import DAY_KINDS, GA4_FIELDS, KIND, NUMBER_KINDS, PER_SESSION, header_key
from ._ga_values import decimal_places, expected, parse_cells, round_counts, show_number


class ExportInfo(Protocol):
    """What a table reads of the export it belongs to (`_ga_file.Export` is one)."""

    name: str
    decimal: str

    @property
    def start(self) -> dt.date | None: ...

    @property
    def end(self) -> dt.date | None: ...

    @property
    def window(self) -> tuple[dt.date, dt.date] | None: ...

    @property
    def ga4(self) -> bool: ...

    @property
    def day_first(self) -> bool: ...

    def field_of(self, header: str) -> str | None: ...

    def cell_location(self, line: int, index: int) -> Location: ...


# recipe -> steps, tried in order: (how, field). column: the column itself; rate: rate x sessions;
# complement: (1 - rate) x sessions; difference: sessions - column; per_session: x sessions.
# A trailing `4` only applies to GA4 files.
RECIPES: dict[str, tuple[tuple[str, str], ...]] = {
    "sessions": (("column", "sessions"),),
    "visitors": (("column", "users"), ("column", "total_users"), ("column", "active_users")),
    "new_visitors": (("column", "new_users"),),
    "bounces": (
        ("column", "bounces"),
        ("rate", "bounce_rate"),
        ("complement", "engagement_rate"),
        ("difference", "engaged_sessions"),
    ),
    "engaged_sessions": (
        ("column", "engaged_sessions"),
        ("rate", "engagement_rate"),
        ("complement4", "bounce_rate"),
        ("difference4", "bounces"),
    ),
    "pageviews": (("column", "pageviews"), ("per_session", "pages_per_session")),
    "conversions": (("column", "conversions"), ("rate", "conversion_rate")),
    "goal_completions": (("column", "goal_completions"), ("rate", "goal_conversion_rate")),
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
# GA4 counts sessions approximately, and a session crossing midnight counts on both days: the
# rows of a GA4 table may exceed its total by a little more than rounding.
APPROXIMATE = {"sessions": 0.02, "engaged_sessions": 0.02, "bounces": 0.02}
_GRAIN_RANK = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}


@dataclass(eq=False)
class Table:
    """One table of an export: its header, data rows and totals rows."""

    export: ExportInfo
    number: int  # 1-based position in the file
    line: int  # line of the header
    headers: list[str]
    fields: list[str | None]
    texts: list[list[str]] = field(default_factory=list)  # the data rows' cells, by column
    lines: list[int] = field(default_factory=list)  # the line of each data row
    totals: list[tuple[int, list[str]]] = field(default_factory=list)
    _numbers: dict[int, np.ndarray] = field(default_factory=dict)
    _dates: tuple[np.ndarray | None, str | None] | None = None
    _checked: bool = False

    @property
    def where(self) -> Location:
        return Location(self.export.name, self.line, 1)

    @cached_property
    def columns(self) -> dict[str, int]:
        """field -> index of its first column."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.fields):
            if name:
                out.setdefault(name, i)
        return out

    @property
    def ga4(self) -> bool:
        return self.export.ga4 or any(f in GA4_FIELDS for f in self.fields)

    @property
    def metric_count(self) -> int:
        return sum(1 for f in self.fields if f and KIND[f] in NUMBER_KINDS)

    def column(self, name: str) -> int | None:
        """The column a header names: its text in the file, or its meaning (any language)."""
        wanted = header_key(name)
        for i, header in enumerate(self.headers):
            if header_key(header) == wanted:
                return i
        meaning = self.export.field_of(name)
        return self.columns.get(meaning) if meaning else None

    # -- values
    def cell_location(self, line: int, index: int) -> Location:
        return self.export.cell_location(line, index)

    @property
    def size(self) -> int:
        """How many data rows."""
        return len(self.lines)

    def cells(self, index: int) -> list[str]:
        """The text of a column in the data rows."""
        return self.texts[index]

    def numbers(self, index: int) -> np.ndarray:
        """The data rows of a column as floats (rates as fractions, durations in seconds)."""
        if index not in self._numbers:
            self._numbers[index] = self._parse(index, self.cells(index), self.lines)
        return self._numbers[index]

    def _parse(self, index: int, texts: list[str], lines: list[int]) -> np.ndarray:
        name = self.fields[index]
        kind = KIND[name] if name else ("duration" if any(":" in t for t in texts) else "number")
        if kind in DAY_KINDS or kind == "dim":
            raise KpiError(
                f"column `{self.headers[index]}` holds {kind} values, not numbers",
                self.cell_location(self.line, index),
            )
        decimal = self.export.decimal
        try:
            return parse_cells(kind, texts, decimal)
        except NumberError as exc:
            i = exc.index or 0
            raise KpiError(
                f"expected {expected(kind, decimal)} in column `{self.headers[index]}`, "
                f"found `{texts[i]}`",
                self.cell_location(lines[i], index),
                "export the report again, or fix the cell" if kind != "number" else None,
            ) from None

    def dates(self) -> tuple[np.ndarray | None, str | None]:
        """(date of each data row, its granularity: 'day' or 'month'), or (None, None)."""
        if self._dates is None:
            self._dates = self._read_dates()
        return self._dates

    def _read_dates(self) -> tuple[np.ndarray | None, str | None]:
        columns = self.columns
        export = self.export
        if "date_range" in columns:
            i = columns["date_range"]
            raise KpiError(
                f"comparison exports are not supported (column `{self.headers[i]}`)",
                self.cell_location(self.line, i),
                "export one date range at a time (turn the comparison off)",
            )
        if "date" in columns:
            i = columns["date"]
            return self._day_column(i, self.cells(i)), "day"
        if "nth_day" in columns:
            i = columns["nth_day"]
            if export.start is None:
                raise KpiError(
                    f"`{self.headers[i]}` counts days from the start date, but the export has "
                    "no `# Start date` line",
                    self.cell_location(self.line, i),
                    "export the file again with its `#` header lines",
                )
            texts = self.cells(i)
            unique, inverse = distinct(texts)  # each distinct text read once
            days = []
            for text in unique:
                digits = ascii_digits(text.strip())
                if not digits.isdigit():
                    raise KpiError(
                        f"expected a day number like 0007 in column `{self.headers[i]}`, "
                        f"found `{text}`",
                        self.cell_location(self.lines[texts.index(text)], i),
                    )
                days.append(int(digits))
            start = np.datetime64(export.start, "D")
            return start + np.asarray(days, dtype="timedelta64[D]")[inverse], "day"
        if "month" in columns:
            i = columns["month"]
            texts = self.cells(i)
            unique, inverse = distinct(texts)
            out = []
            for text in unique:
                digits = ascii_digits(text.strip()).replace("-", "")
                if not (len(digits) == 6 and digits.isdigit() and 1 <= int(digits[4:]) <= 12):
                    raise KpiError(
                        f"expected a month like 202406 in column `{self.headers[i]}`, "
                        f"found `{text}`",
                        self.cell_location(self.lines[texts.index(text)], i),
                    )
                out.append(f"{digits[:4]}-{digits[4:]}-01")
            return np.asarray(out, dtype="datetime64[D]")[inverse], "month"
        return None, None

    def _day_column(self, index: int, texts: list[str]) -> np.ndarray:
        export = self.export
        try:
            return parse_day_column(texts, export.day_first, export.window)
        except DateError as exc:
            raise KpiError(
                f"expected a date like 20240601 in column `{self.headers[index]}`, "
                f"found `{texts[exc.index]}`{exc.why}",
                self.cell_location(self.lines[exc.index], index),
            ) from None

    def datable(self, grain: str) -> bool:
        """Whether the rows can be dated at `grain` (one period per undated export)."""
        _, granularity = self.dates()
        if granularity == "day":
            return True
        if granularity == "month":
            return _GRAIN_RANK[grain] >= _GRAIN_RANK["month"]
        start, end = self.export.start, self.export.end or self.export.start
        if start is None:
            return False
        both = np.array([start, end], dtype="datetime64[D]")
        first, last = ordinals(both, grain)
        return bool(first == last)

    def dated(self, grain: str) -> np.ndarray:
        """The date of each data row at `grain`; an error says why the rows cannot be dated."""
        days, granularity = self.dates()
        if not self.datable(grain):
            export = self.export
            if granularity == "month":
                index = self.columns["month"]
                raise KpiError(
                    f"the rows are months (`{self.headers[index]}`), too coarse for {grain}",
                    self.cell_location(self.line, index),
                    "export the report with the Date dimension, or use a grain of a month or more",
                )
            if export.start is None:
                raise KpiError(
                    "the table has no Date column and the file no `# Start date` line to date "
                    "its rows",
                    self.where,
                    "export the report with the Date dimension, keeping the `#` header lines",
                )
            raise KpiError(
                f"the export covers {export.start} to {export.end}, more than one {grain}, "
                "and has no Date column",
                self.where,
                f"export the report with the Date dimension to use it by {grain} "
                "(or use a coarser grain)",
            )
        if days is None:
            return np.full(self.size, np.datetime64(self.export.start, "D"))
        return days

    # -- what the table can give
    def can(self, recipe: str) -> bool:
        return self._step(recipe) is not None

    def _step(self, recipe: str) -> tuple[str, str] | None:
        columns = self.columns
        for how, name in RECIPES[recipe]:
            if name not in columns:
                continue
            if how.endswith("4") and not self.ga4:
                continue
            if how == "column" or "sessions" in columns:
                return how, name
        return None

    def derive(self, recipe: str) -> np.ndarray:
        """A count for each data row, from its column or from a rate and the sessions."""
        step = self._step(recipe)
        if step is None:
            raise KeyError(recipe)
        how, name = step
        values = self.numbers(self.columns[name])
        if how == "column":
            return values
        sessions = self.numbers(self.columns["sessions"])
        if how.startswith("difference"):
            return sessions - values
        if how.startswith("complement"):
            values = 1.0 - values
        return round_counts(values * sessions)

    def mapped(self, mapping: Mapping) -> np.ndarray | None:
        """The values of a `map:` entry, or None when this table lacks its columns."""
        mask = np.ones(self.size, dtype=bool)
        for name, accepted in mapping.where.items():
            index = self.column(name)
            if index is None:
                return None
            wanted = {str(v).strip() for v in accepted}
            mask &= np.array([text.strip() in wanted for text in self.cells(index)], dtype=bool)
        values: np.ndarray | None
        if mapping.count:
            values = np.ones(self.size)
        else:
            values = self._mapped_column(mapping)
            if values is None:
                return None
        values = np.where(mask, values, 0.0)
        return values * mapping.scale if mapping.scale != 1.0 else values

    def mappable(self, mapping: Mapping) -> bool:
        if any(self.column(name) is None for name in mapping.where):
            return False
        if mapping.count:
            return True
        index = self.column(mapping.column or "")
        if index is None:
            recipe = FIELD_RECIPE.get(self.export.field_of(mapping.column or "") or "")
            return bool(recipe and self.can(recipe))
        kind = KIND.get(self.fields[index] or "", "number")
        return kind not in PER_SESSION or "sessions" in self.columns

    def _mapped_column(self, mapping: Mapping) -> np.ndarray | None:
        index = self.column(mapping.column or "")
        if index is None:
            recipe = FIELD_RECIPE.get(self.export.field_of(mapping.column or "") or "")
            return self.derive(recipe) if recipe and self.can(recipe) else None
        kind = KIND.get(self.fields[index] or "", "number")
        if kind in DAY_KINDS or kind == "dim":
            raise KpiError(
                f"`{mapping.variable}` maps to `{self.headers[index]}`, a dimension, not a number",
                mapping.location,
                "map a metric column, or list this column under `dimensions:`",
            )
        values = self.numbers(index)
        if kind in PER_SESSION:
            if "sessions" not in self.columns:
                return None
            return round_counts(values * self.numbers(self.columns["sessions"]))
        return values

    def _dimension_columns(self, column: str | None, default: str) -> list[int] | None:
        if column is not None:
            index = self.column(column)
            return None if index is None else [index]
        if default in self.columns:
            return [self.columns[default]]
        if default == "source_medium" and {"source", "medium"} <= set(self.columns):
            return [self.columns["source"], self.columns["medium"]]
        return None

    def has_dimension(self, column: str | None, default: str) -> bool:
        return self._dimension_columns(column, default) is not None

    def dimension(self, column: str | None, default: str) -> np.ndarray:
        """The text of a dimension for each data row (`column` as configured, or the default);
        separate source and medium columns make `source / medium`."""
        indexes = self._dimension_columns(column, default)
        if indexes is None:
            raise KeyError(default)
        if len(indexes) == 1:
            return np.array(list(map(str.strip, self.cells(indexes[0]))), dtype=object)
        parts = [map(str.strip, self.cells(i)) for i in indexes]
        return np.array([" / ".join(texts) for texts in zip(*parts, strict=True)], dtype=object)

    def _decimal_places(self, index: int) -> int:
        """The most digits after the decimal mark in a column's data rows."""
        decimal, texts = self.export.decimal, self.cells(index)
        if decimal not in "".join(texts):
            return 0
        return max((decimal_places(t, decimal) for t in dict.fromkeys(texts)), default=0)

    def check_totals(self) -> None:
        """The totals rows must equal the sum of the rows (beyond rounding) for additive columns."""
        if self._checked:
            return
        self._checked = True
        for line, cells in self.totals:
            for index, name in enumerate(self.fields):
                if not name or KIND[name] not in ("count", "money") or not cells[index].strip():
                    continue
                total = float(self._parse(index, [cells[index]], [line])[0])
                values = self.numbers(index)
                if math.isnan(total):
                    continue
                added = float(np.nansum(values))
                places = self._decimal_places(index)
                allowed = 0.5 * 10.0**-places * (len(values) + 1)
                if self.ga4 and name in APPROXIMATE:
                    allowed = max(allowed, APPROXIMATE[name] * abs(total))
                if abs(added - total) > allowed + 1e-9 * abs(total):
                    raise KpiError(
                        f"the totals row gives {self.headers[index]} = {show_number(total)} but "
                        f"the {len(values)} rows of the table (header on line {self.line}) add "
                        f"up to {show_number(added)}",
                        self.cell_location(line, index),
                        "export the whole report again (all rows, no row limit), or remove the "
                        "rows that are not segments",
                    )
