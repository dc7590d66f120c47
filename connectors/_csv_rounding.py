"""The rounding a sum of displayed cells may carry (not a plugin module): `_csv_totals`,
`_csv_summary`, `_ads_totals`, `_sql_totals`.

Excel saves what it shows: each cell of a column may be a display rounded to its last written
digit, and a totals row rounded from the unrounded values. Each row's error is uniform within
half a unit; rows showing different values are taken as independent, rows showing the same
value as one error repeated (100 orders of `8.40`, each 10/1.19 = 8.4034, are all 0.0034 low):
the rows' sum has a standard deviation of `unit * sqrt(sum(c * c) / 12)`, `c` the number of
rows showing each value (`rows` when all differ, `rows * rows` when all are equal), and never
more than every row's half unit. A total may differ from the rows' sum by its own half unit and
`SIGMAS` of those. A bound growing with the rows themselves would let an export of differing
amounts short of a row in every few hundred through (150,000 rows, €375).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from kpiengine.fileformats.numbers import normalize
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.sqlgen import quote_ident

#: Standard deviations of the rows' summed rounding a total may differ by: about one honestly
#: rounded export in 1.7 million is off by more (a false error stops a run).
SIGMAS = 5.0


def rounding(rows: int, unit: float, square_counts: int | None = None) -> float:
    """How far `rows` cells, each rounded to `unit`, may add up from the total of their
    unrounded values (never more than every row off by half a unit). `square_counts`: the sum
    over the values shown of the square of the rows showing each (`squares`); None: every row
    shows its own (the rows' errors independent)."""
    spread = rows if square_counts is None else max(square_counts, rows)
    return unit * min(0.5 * rows, SIGMAS * math.sqrt(spread / 12))


def squares(cells: Iterable[str]) -> int:
    """The sum over the values shown in `cells` of the square of the cells showing each."""
    return sum(c * c for c in Counter(cell.strip() for cell in cells).values())


def places(text: str, decimal: str) -> int:
    """Digits written after the decimal mark of a cell (`1.234,50 €`: 2)."""
    found = re.search(f"[{re.escape(decimal)}\u066b]([0-9]+)", normalize(text))
    return len(found.group(1)) if found else 0


def close(got: float, expected: float, allowed: float) -> bool:
    return abs(got - expected) <= allowed + 1e-9 * max(abs(got), abs(expected))


def file_squares(columns: list[tuple[FileTable, str, int | None]], keep: str = "TRUE") -> int:
    """`squares` of the data rows of each (file, its column, the line of a summary row left
    out): from the sample of files read whole, else one grouped query over the files' column
    (`keep`: SQL true on their data rows). Read only where a totals row is to be compared."""
    if all(t.sniffed is not None and t.sniffed.whole for t, _, _ in columns):
        cells: list[str] = []
        for table, name, skip in columns:
            assert table.sniffed is not None
            at = table.columns.index(name)
            cells += [r.fields[at] if at < len(r.fields) else "" for r in table.sniffed.sample
                      if r.line != skip]  # fmt: skip
        return squares(cells)
    parts = []
    for table, name, _ in columns:
        text = table.typed({name: "VARCHAR"})
        parts.append(f"SELECT coalesce(trim({quote_ident(name)}), '') AS v FROM "
                     f"{text.reader()} WHERE {text.keep_sql()} AND ({keep})")  # fmt: skip
    rows = " UNION ALL ".join(parts)
    sql = f"SELECT sum(c * c) FROM (SELECT count(*) AS c FROM ({rows}) GROUP BY v)"
    ((found,),) = run_sql(sql, columns[0][0])
    return int(found or 0)
