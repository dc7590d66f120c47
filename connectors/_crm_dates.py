"""The date formats of a CRM export's columns, for the `crm` connector (not a plugin module).

Detected from the rows `sniff` read (the first 200 of each file), so that no scan of a large file
is spent on them. A column whose own dates are ambiguous (6/1/2024) takes the format the export's
other date columns settle; so does a column without a date in those rows (a churn date, say),
whose format is then detected again from the file's values if its dates turn out not to fit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable

from kpiengine.errors import KpiError
from kpiengine.filequery import Sniffed, guess_date_format

from ._crm_tables import TOTALS_PATTERN

DEFAULT = "%Y-%m-%d"  # a column without any date: nothing to go by (and nothing to parse)


class DateFormats:
    """column -> strptime format: the `date_format` option, else detected."""

    def __init__(
        self,
        files: list[Sniffed],
        dates: set[str],
        explicit: str | None,
        read: Callable[[str], list[str]],
    ):
        self.files = files
        self.layout = files[0]
        self.dates = dates  # the export's date columns, which settle each other's formats
        self.explicit = explicit
        self.read = read  # a column's first values in the files (data rows, trimmed)
        self.known: dict[str, str] = {}
        self.unsampled: set[str] = set()  # columns without a date in the sampled rows

    def __getitem__(self, column: str) -> str:
        if self.explicit:
            return self.explicit
        if column not in self.known:
            values = self.sample(column)
            if values:
                self.known[column] = self._detect(column, values, self.sample)
            else:
                self.unsampled.add(column)
                try:
                    self.known[column] = self._guess(column, self._others(column, self.sample))
                except KpiError:
                    self.known[column] = DEFAULT
        return self.known[column]

    def reguess(self, column: str) -> bool:
        """For a column without a date in the samples whose dates do not fit: the format of its
        first values in the files (another scan). True when that changed it."""
        if self.explicit or column not in self.unsampled:
            return False
        self.unsampled.discard(column)
        values = self.read(column)
        fmt = self._detect(column, values, self.read) if values else DEFAULT
        changed = fmt != self.known.get(column)
        self.known[column] = fmt
        return changed

    def sample(self, column: str, limit: int = 200) -> list[str]:
        """Non-empty values of a column in the rows `sniff` read (data rows only)."""
        index = self.layout.columns.index(column)
        values = [
            row[index].strip(" ")  # DuckDB's trim, as the queries read the cells
            for sniffed in self.files
            for row in sniffed.sample
            if index < len(row) and row[index].strip(" ") and self._is_data(row)
        ]
        return values[:limit]

    def _is_data(self, row: list[str]) -> bool:
        """The connector's data-row test (not a report footer) on a sampled row."""
        width = len(self.layout.columns)
        if width < 2:
            return True
        if not any(cell.strip(" ") for cell in row[1:width]):
            return False
        return not re.search(TOTALS_PATTERN, row[0].strip(" "))

    def _detect(self, column: str, values: list[str], source: Callable) -> str:
        try:
            return self._guess(column, values)
        except KpiError as error:  # ambiguous: pooled with the other date columns' values
            try:
                fmt = self._guess(column, values + self._others(column, source))
            except KpiError:
                raise error from None
            if not all(_fits(v, fmt) for v in values):
                raise error from None
            return fmt

    def _others(self, column: str, source: Callable[[str], list[str]]) -> list[str]:
        return [v for other in sorted(self.dates - {column}) for v in source(other)]

    def _guess(self, column: str, values: list[str]) -> str:
        index = self.layout.columns.index(column)
        probe = dataclasses.replace(self.layout, sample=[[""] * index + [v] for v in values])
        return guess_date_format(probe, column)


def _fits(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True
