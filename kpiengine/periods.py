"""Calendar periods at each grain (day, week, month, quarter, year) as integer ordinals.

A `Calendar` says when years and weeks start: `fiscal_year_start` (a month number; quarters and
years follow it) and `week_start` (monday, as ISO weeks, or sunday). A fiscal year is labelled by
the calendar year it ends in: with `fiscal_year_start: 4`, `FY2025` runs from April 2024 to March
2025 and `FY2025-Q1` is April-June 2024. Months, weeks and days keep their calendar labels.

An export that covers a custom date range without dates per row is one period of the grain
`range`, labelled `2025-07-08/2025-07-31` (`Calendar.for_range`).

The module-level functions use the default calendar (calendar years, ISO weeks).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

GRAINS = ("day", "week", "month", "quarter", "year")
RANGE = "range"
WEEK_STARTS = ("monday", "sunday")
_EPOCH = dt.date(1970, 1, 1)
#: 1970-01-01 was a Thursday: days to add so that weeks start on Monday (ISO) or Sunday.
_WEEK_OFFSET = {"monday": 3, "sunday": 4}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


#: A first day this many days into a month or longer period may be the data's first event (a
#: first deal on the 5th), not a late start: the period counts as covered from its start.
FIRST_EVENT_DAYS = 7


def first_event_slack(grain: str) -> dt.timedelta:
    """How late a first day may be in a period of `grain` and still be its first event: a week
    into a month, quarter or year; none into a week (data from a Wednesday holds 5 of its 7
    days, judged against a whole week's target otherwise), a day or a range."""
    return dt.timedelta(days=FIRST_EVENT_DAYS if grain in _MONTHS else 0)


def counts_whole(date_grain: str, grain: str) -> bool:
    """Whether rows dated to `date_grain` periods (days, or whole months) fall each in one
    period of `grain`: a month's row is in one quarter or year, never in one week or day."""
    if date_grain in ("day", RANGE) or grain == RANGE:
        return True
    return grain in _MONTHS and _MONTHS[grain] >= _MONTHS.get(date_grain, 13)


class PeriodError(ValueError):
    pass


_LABEL = re.compile(
    r"^(?P<fy>FY)?(?P<y>\d{4})(?:-(?:Q(?P<q>[1-4])|W(?P<w>\d{2})|(?P<m>\d{2})(?:-(?P<d>\d{2}))?))?$"
)
_RANGE_LABEL = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Calendar:
    """When years, quarters and weeks start; `span` is the one period of the `range` grain."""

    fiscal_year_start: int = 1
    week_start: str = "monday"
    span: tuple[dt.date, dt.date] | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.fiscal_year_start <= 12:
            raise PeriodError("`fiscal_year_start` is a month number, 1 to 12")
        if self.week_start not in WEEK_STARTS:
            raise PeriodError(f"`week_start` is one of {', '.join(WEEK_STARTS)}")

    @property
    def fiscal(self) -> bool:
        return self.fiscal_year_start != 1

    def for_range(self, start: dt.date, end: dt.date) -> Calendar:
        """This calendar with one `range` period from `start` to `end`."""
        return Calendar(self.fiscal_year_start, self.week_start, (start, end))

    def _shift(self, grain: str) -> int:
        """Months from a calendar period start to this calendar's (quarters and years)."""
        return self.fiscal_year_start - 1 if grain in ("quarter", "year") else 0

    def ordinals(self, days: np.ndarray, grain: str) -> np.ndarray:
        """Period ordinal for each date (`datetime64[D]` array) at `grain`."""
        d = np.asarray(days).astype("datetime64[D]")
        if grain == "day":
            return d.astype(np.int64)
        if grain == "week":
            return (d.astype(np.int64) + _WEEK_OFFSET[self.week_start]) // 7
        if grain == RANGE:
            return np.zeros(d.shape, dtype=np.int64)
        if grain not in _MONTHS:
            raise PeriodError(f"unknown grain `{grain}`; use one of {', '.join(GRAINS)}")
        months = d.astype("datetime64[M]").astype(np.int64) - self._shift(grain)
        return months // _MONTHS[grain]

    def ordinal_of(self, day: dt.date, grain: str) -> int:
        return int(self.ordinals(np.array([day], dtype="datetime64[D]"), grain)[0])

    def start_date(self, ordinal: int, grain: str) -> dt.date:
        """First day of a period."""
        if grain == "day":
            return _EPOCH + dt.timedelta(days=int(ordinal))
        if grain == "week":
            return _EPOCH + dt.timedelta(days=int(ordinal) * 7 - _WEEK_OFFSET[self.week_start])
        if grain == RANGE:
            return self._span()[0]
        months = _MONTHS[grain] * int(ordinal) + self._shift(grain)
        return dt.date(1970 + months // 12, months % 12 + 1, 1)

    def end_date(self, ordinal: int, grain: str) -> dt.date:
        """Last day of a period."""
        if grain == RANGE:
            return self._span()[1]
        return self.start_date(ordinal + 1, grain) - dt.timedelta(days=1)

    def days_in(self, ordinal: int, grain: str) -> int:
        return (self.end_date(ordinal, grain) - self.start_date(ordinal, grain)).days + 1

    def _span(self) -> tuple[dt.date, dt.date]:
        if self.span is None:
            raise PeriodError("the `range` grain needs the range of an undated export")
        return self.span

    def label(self, ordinal: int, grain: str) -> str:
        """`2024-06-01`, `2024-W23`, `2024-06`, `2024-Q2`, `2024`; fiscal `FY2025-Q1`, `FY2025`;
        a range `2025-07-08/2025-07-31`."""
        start = self.start_date(ordinal, grain)
        if grain == "day":
            return start.isoformat()
        if grain == "week":  # a Sunday week is named after the ISO week of its Monday
            monday = start + dt.timedelta(days=1) if self.week_start == "sunday" else start
            year, week, _ = monday.isocalendar()
            return f"{year}-W{week:02d}"
        if grain == "month":
            return f"{start.year}-{start.month:02d}"
        if grain == RANGE:
            return f"{start.isoformat()}/{self._span()[1].isoformat()}"
        prefix = "FY" if self.fiscal else ""
        year = self.fiscal_year_of(start)
        if grain == "quarter":
            return f"{prefix}{year}-Q{(start.month - self.fiscal_year_start) % 12 // 3 + 1}"
        return f"{prefix}{year}"

    def fiscal_year_of(self, day: dt.date) -> int:
        """The (fiscal) year a day belongs to, named by the calendar year it ends in."""
        if not self.fiscal:
            return day.year
        return day.year + 1 if day.month >= self.fiscal_year_start else day.year

    def parse_label(self, text: str) -> tuple[str, dt.date]:
        """The grain and first day of a period label (`2024`, `FY2025-Q1`, `2024-06`, ...)."""
        text = str(text).strip()
        ranged = _RANGE_LABEL.match(text)
        if ranged:
            start, end = (dt.date.fromisoformat(part) for part in ranged.groups())
            if end < start:
                raise PeriodError(f"`{text}`: the range ends before it starts")
            return RANGE, start
        match = _LABEL.match(text)
        if not match:
            raise PeriodError(
                f"`{text}` is not a period: use 2024, 2024-Q2, 2024-06, 2024-W23 or 2024-06-15"
                + (" (fiscal years: FY2025, FY2025-Q1)" if self.fiscal else "")
            )
        year = int(match["y"])
        annual = match["q"] or not (match["w"] or match["m"])
        if annual and bool(match["fy"]) != self.fiscal:
            if match["fy"]:
                raise PeriodError(f"`{text}` is a fiscal period, but the workspace has none")
            raise PeriodError(
                f"`{text}`: the workspace's years start in month {self.fiscal_year_start}; "
                f"name fiscal periods like FY{year} or FY{year}-Q1"
            )
        try:
            if match["w"]:
                monday = dt.date.fromisocalendar(year, int(match["w"]), 1)
                sunday = self.week_start == "sunday"
                return "week", monday - dt.timedelta(days=1) if sunday else monday
            if match["d"]:
                return "day", dt.date(year, int(match["m"]), int(match["d"]))
            if match["m"]:
                return "month", dt.date(year, int(match["m"]), 1)
        except ValueError as exc:
            raise PeriodError(f"`{text}` is not a valid period: {exc}") from None
        first_year = year - 1 if self.fiscal else year
        first = dt.date(first_year, self.fiscal_year_start, 1)
        if match["q"]:
            months = first.month - 1 + 3 * (int(match["q"]) - 1)
            return "quarter", dt.date(first.year + months // 12, months % 12 + 1, 1)
        return "year", first

    def label_bounds(self, text: str) -> tuple[dt.date, dt.date]:
        """First and last day covered by a period label."""
        grain, start = self.parse_label(text)
        if grain == RANGE:
            ranged = _RANGE_LABEL.match(text.strip())
            assert ranged is not None
            return start, dt.date.fromisoformat(ranged.group(2))
        try:
            return start, self.end_date(self.ordinal_of(start, grain), grain)
        except (ValueError, OverflowError):
            raise PeriodError(f"`{text}` ends after the year 9999") from None

    def year_ago(self, ordinal: int, grain: str) -> int | None:
        """The same period one year earlier (None for a week 53 or a range)."""
        if grain in _MONTHS:
            return ordinal - 12 // _MONTHS[grain]
        if grain == RANGE:
            return None
        start = self.start_date(ordinal, grain)
        if grain == "day":
            day = start.day if not (start.month == 2 and start.day == 29) else 28
            return self.ordinal_of(dt.date(start.year - 1, start.month, day), "day")
        monday = start + dt.timedelta(days=1) if self.week_start == "sunday" else start
        year, week, _ = monday.isocalendar()
        try:
            return self.ordinal_of(dt.date.fromisocalendar(year - 1, week, 1), "week")
        except ValueError:
            return None

    def contains(self, outer: str, inner: str) -> bool:
        """True when the period labelled `inner` lies within the period labelled `outer`."""
        o_start, o_end = self.label_bounds(outer)
        i_start, i_end = self.label_bounds(inner)
        return o_start <= i_start and i_end <= o_end


DEFAULT = Calendar()


def ordinals(days: np.ndarray, grain: str) -> np.ndarray:
    return DEFAULT.ordinals(days, grain)


def start_date(ordinal: int, grain: str) -> dt.date:
    return DEFAULT.start_date(ordinal, grain)


def end_date(ordinal: int, grain: str) -> dt.date:
    return DEFAULT.end_date(ordinal, grain)


def label(ordinal: int, grain: str) -> str:
    return DEFAULT.label(ordinal, grain)


def parse_label(text: str) -> tuple[str, dt.date]:
    return DEFAULT.parse_label(text)


def label_bounds(text: str) -> tuple[dt.date, dt.date]:
    return DEFAULT.label_bounds(text)


def ordinal_of(day: dt.date, grain: str) -> int:
    return DEFAULT.ordinal_of(day, grain)


def year_ago(ordinal: int, grain: str) -> int | None:
    return DEFAULT.year_ago(ordinal, grain)


def days_in(ordinal: int, grain: str) -> int:
    return DEFAULT.days_in(ordinal, grain)


def contains(outer: str, inner: str) -> bool:
    return DEFAULT.contains(outer, inner)
