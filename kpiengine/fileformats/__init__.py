"""The reading layer: how exports write files, numbers, dates, durations and missing values.

One definition of each, read alike by Python and by DuckDB SQL generated from it:
`missing` (the cells that mean no value), `numbers` (the number grammar, currencies recorded,
a column's decimal mark), `durations`, `dates` (formats, their grain, detection), `sniff`
(encoding, delimiter, preamble and date range, header, totals rows, what cannot be read).
Errors are `kpiengine.errors.KpiError`; a cell's is a `CellError` that `at(location)` places.
"""

from __future__ import annotations

from .currency import currency_fits
from .dates import DateFormat, compile_format, detect_date_format, read_date
from .decimals import guess_decimal
from .durations import bad_duration_sql, duration_sql, parse_duration
from .missing import MISSING, is_missing, missing_sql
from .numbers import (
    Number,
    bad_number_sql,
    currency_sql,
    number_sql,
    parse_number,
    read_number,
)
from .preamble import parse_date_range
from .sniff import Sniffed, check_file, sniff
from .sql import CellError, Expr

__all__ = [
    "MISSING",
    "CellError",
    "DateFormat",
    "Expr",
    "Number",
    "Sniffed",
    "bad_duration_sql",
    "bad_number_sql",
    "check_file",
    "compile_format",
    "currency_fits",
    "currency_sql",
    "detect_date_format",
    "duration_sql",
    "guess_decimal",
    "is_missing",
    "missing_sql",
    "number_sql",
    "parse_date_range",
    "parse_duration",
    "parse_number",
    "read_date",
    "read_number",
    "sniff",
]
