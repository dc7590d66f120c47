"""The `crm` connector's rule across a source's files (not a plugin module): no record counted
twice because two files hold it.

The files of a source add up: exports per pipeline, per owner or per period hold other deals.
Two files holding the same deals are one export saved twice (`deals.csv` and `deals (1).csv`),
or snapshots of all deals behind one glob (one each month): adding them up would count those
deals twice, so it is an error naming both files, the first record they share and its lines.
The record id tells (HubSpot's `Record ID`, Salesforce's `Opportunity ID` or `Lead ID` when
exported, or `columns: {id: COLUMN}`): one id in two files is one record counted twice. Without
an id column, rows the same in every cell (among the rows with a date: those counted) tell,
when they are at least half of the smaller file's: a copy shares all its rows, a later snapshot
its closed deals, while other exports hold at most a few deals alike in every cell by chance.

One file is never read again for this (a 1M-row export keeps its one scan): the same id twice in
one file is counted as the file writes it, row by row, as it was before this check.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.sqlgen import quote_ident, quote_text

FIX = (
    "keep one export per source (a download saved twice? a snapshot of all {what} each "
    "month?): delete the other copies, or point the source's `path:` at the latest export"
)


def _text(column: str) -> str:
    return f"coalesce(trim(CAST({quote_ident(column)} AS VARCHAR)), '')"


def check_shared(
    tables: Sequence[FileTable], id_column: str | None, dates: Sequence[str], what: str
) -> None:
    """An error when two files of a source hold the same records (see the module). `what`:
    `deals` or `contacts`; `dates`: the date columns (a row without a date counts in nothing)."""
    if len(tables) < 2:
        return
    if id_column:
        _shared_ids(tables, id_column, what)
    else:
        _shared_rows(tables, dates, what)


def _shared_ids(tables: Sequence[FileTable], column: str, what: str) -> None:
    parts = [
        f"SELECT {i} AS f, row_number() OVER () AS n, {_text(column)} AS id "
        f"FROM {t.relation()} WHERE {t.keep_sql()}"
        for i, t in enumerate(tables)
    ]
    sql = (
        f"WITH ids AS ({' UNION ALL '.join(parts)}), "
        "firsts AS (SELECT id, f, min(n) AS n FROM ids WHERE id <> '' GROUP BY id, f) "
        "SELECT a.f, b.f, a.id, count(*) OVER (PARTITION BY a.f, b.f) "
        "FROM firsts a JOIN firsts b ON a.id = b.id AND a.f < b.f "
        "ORDER BY a.f, b.f, b.n LIMIT 1"
    )
    found = run_sql(sql, tables[0])
    if not found:
        return
    first, second, value, shared = found[0]
    one, two = tables[first], tables[second]
    value = str(value)

    def line(table: FileTable) -> Location:
        cell = table.first_cell(
            column, f"{_text(column)} = {quote_text(value)}", lambda t: t.strip() == value
        )
        return cell[0] if cell else table.header(column)

    where = line(two)
    raise KpiError(
        f"`{one.name}` and `{two.name}` hold the same {what} ({_count(int(shared), what)} in "
        f"both): {column} `{value}` is on {line(one)} and on {where}; the source would count "
        "them twice",
        where,
        FIX.format(what=what),
    )


def _shared_rows(tables: Sequence[FileTable], dates: Sequence[str], what: str) -> None:
    columns = tables[0].columns
    cells = ", ".join(_text(c) for c in columns)
    dated = " OR ".join(f"{_text(c)} <> ''" for c in dates) or "TRUE"
    parts = [
        f"SELECT {i} AS f, row_number() OVER () AS n, [{cells}] AS r "
        f"FROM {t.relation()} WHERE {t.keep_sql()} AND ({dated})"
        for i, t in enumerate(tables)
    ]
    sql = (
        f"WITH rows AS ({' UNION ALL '.join(parts)}), "
        "firsts AS (SELECT f, r, min(n) AS n FROM rows GROUP BY f, r), "
        "sizes AS (SELECT f, count(*) AS size FROM firsts GROUP BY f), "
        "pairs AS (SELECT a.f AS fa, b.f AS fb, b.n AS nb, a.r AS r, "
        "count(*) OVER (PARTITION BY a.f, b.f) AS shared "
        "FROM firsts a JOIN firsts b ON a.r = b.r AND a.f < b.f) "
        "SELECT fa, fb, r, shared, sb.size FROM pairs "
        "JOIN sizes sa ON sa.f = fa JOIN sizes sb ON sb.f = fb "
        "WHERE 2 * shared >= least(sa.size, sb.size) ORDER BY fa, fb, nb LIMIT 1"
    )
    found = run_sql(sql, tables[0])
    if not found:
        return
    first, second, row, shared, size = found[0]
    one, two = tables[first], tables[second]
    texts = [str(v) for v in row]

    def line(table: FileTable) -> Location:
        pairs = zip(columns, texts, strict=True)
        same = " AND ".join(f"{_text(c)} = {quote_text(v)}" for c, v in pairs)
        cell = table.first_cell(columns[0], same, lambda _: True, tuple(columns[1:]))
        return cell[0] if cell and cell[0].line else table.header()

    where = line(two)
    raise KpiError(
        f"`{one.name}` and `{two.name}` hold the same {what}: {_count(int(shared), 'rows')} "
        f"the same in every cell (of the {int(size)} dated rows of `{two.name}`), the first on "
        f"{line(one)} and on {where}; the source would count them twice",
        where,
        FIX.format(what=what) + " (an export with the record id, HubSpot's `Record ID` or "
        "Salesforce's `Opportunity ID`, tells the same deals apart however their cells change)",
    )


def _count(n: int, plural: str) -> str:
    return f"{n} {plural[:-1] if n == 1 else plural}"
