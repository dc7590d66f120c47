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

One file is never read again for this (a 1M-row export keeps its one scan). The same id on two
rows of one file (Salesforce's `Opportunities with Products` or `with Contact Roles` reports:
one row per product line or contact role, the opportunity's amount on each) would count the
record once per row: it is an error at the second row, naming the id and the first one's line
(`check_repeated`). It is found in the sampled rows (the file's first 2000), where such reports
write a record's rows one after the other; beyond them only in an export whose headers are a
line-item report's (`Product Name`, `Sales Price`, `Contact Role`: `LINE_HEADERS`; `Quantity`
only beside a product header, alone it is an opportunity's field), with one query on the id
column. A file repeating an id only past its first 2000 rows, without such headers, is counted
row by row. Without an id column, such headers (or `Primary`, a
contact's `First Name` and `Last Name` in an export of deals) make two rows alike in every
other cell an error (`_check_unkeyed`): rows none alike are provably one per record.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpiengine.errors import KpiError, Location
from kpiengine.fileformats.tables import SAMPLE_ROWS, FileTable, run_sql
from kpiengine.filesource import find
from kpiengine.sqlgen import quote_ident, quote_text

FIX = (
    "keep one export per source (a download saved twice? a snapshot of all {what} each "
    "month?): delete the other copies, or point the source's `path:` at the latest export"
)


#: Headers of a report with one row per line item (a product's: Salesforce's `Opportunities
#: with Products`, OpportunityLineItem's labels) or contact role of a record (any case).
LINE_HEADERS = frozenset(
    ("product name", "product code", "product family", "product", "sales price", "list price",
     "unit price", "total price", "line item", "line items", "line description",
     "opportunity product name", "contact role", "opportunity contact role", "role")
)  # fmt: skip
#: A line item's own cells, beside product headers only: alone they are an opportunity's too
#: (Salesforce's standard Opportunity field `Quantity`, TotalOpportunityQuantity), no marker.
ITEM_CELLS = frozenset(("quantity", "discount"))
#: The product headers of `LINE_HEADERS`: the evidence that `ITEM_CELLS` are a line item's.
PRODUCT = LINE_HEADERS - {"contact role", "opportunity contact role", "role"}
#: A contact's columns in a report of one row per contact role (any case): no deal's own.
PERSON = frozenset(("first name", "last name", "title", "full name", "name", "email", "phone",
                    "mobile", "role", "primary", "is primary"))  # fmt: skip
REPEATED_FIX = (
    "export one row per {what}: a report without product lines or contact roles (Salesforce: "
    "the plain Opportunities report, with `{column}`)"
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


def check_repeated(tables: Sequence[FileTable], id_column: str | None, what: str) -> None:
    """An error when one file holds the same record id on two rows (see the module). `what`:
    the record, as the error names it (`opportunity`, `deal`, `lead`, `contact`)."""
    if not id_column:
        if what in ("opportunity", "deal"):
            for table in tables:
                _check_unkeyed(table, what)
        return
    for table in tables:
        column = find(table, [id_column])
        if column is None:
            continue
        found = _repeated_in_sample(table, column)
        lines = _line_items(table)
        if found is None and lines and not table.complete:
            found = _repeated_in_file(table, column)
        if found is None:
            continue
        value, first, second = found
        items = f" (a report of one row per line: {', '.join(f'`{c}`' for c in lines)})"
        raise KpiError(
            f"{column} `{value}` is on {_line(first)} and again on {_line(second)}: one {what} "
            "on several "
            f"rows{items if lines else ''}; the source would count it, and its amount, once "
            "per row",
            second,
            REPEATED_FIX.format(what=what, column=column),
        )


def _check_unkeyed(table: FileTable, what: str) -> None:
    """Without an id column, a report of one row per contact role or line item (its headers:
    `_per_row`) is an error unless no two of its rows hold the same record (every cell alike
    but the per-row ones): the sample tells, the file only when larger (one query)."""
    marks = _per_row(table)
    if not marks:
        return
    own = [c for c in table.columns if c not in marks and c.strip().casefold() not in PERSON
           and not c.strip().casefold().startswith(("contact", "product"))]  # fmt: skip
    if not own:
        return
    index = [table.columns.index(c) for c in own]
    rows = ([(r.line, r.fields) for r in table.sniffed.sample[:SAMPLE_ROWS]]
            if table.sniffed is not None else list(enumerate(table.sample, 1)))  # fmt: skip
    seen: dict[tuple[str, ...], int] = {}
    pair: tuple[int, int] | None = None
    for line, fields in rows:
        key = tuple(fields[i].strip() if i < len(fields) else "" for i in index)
        if sum(bool(k) for k in key) < 2:
            continue  # a footer, a summary row
        if key in seen:
            pair = (seen[key], line)
            break
        seen[key] = line
    if pair is None and not table.complete:
        pair = _unkeyed_in_file(table, own)
    if pair is None:
        return
    where = table.location(pair[1], marks[0])
    raise KpiError(
        f"column `{marks[0]}` marks a report of one row per contact role or line item, and "
        f"there is no id: lines {pair[0]} and {pair[1]} hold the same {what} (every other "
        "cell alike); the source would count it, and its amount, once per row",
        where,
        f"export one row per {what} (Salesforce: the plain Opportunities report, without "
        "contact roles or products), or add its id column (`Opportunity ID`; `columns: {id: "
        "COLUMN}`)",
    )


def _per_row(table: FileTable) -> list[str]:
    """The headers of a report of one row per contact role or line item (`_line_items`),
    `Primary`, or a contact's `First Name` and `Last Name` in an export of deals."""
    folded = {c.strip().casefold(): c for c in table.columns}
    marks = _line_items(table)
    marks += [c for f, c in folded.items() if f in ("primary", "is primary")]
    if {"first name", "last name"} <= set(folded):
        marks += [folded["first name"], folded["last name"]]
    return marks


def _unkeyed_in_file(table: FileTable, own: list[str]) -> tuple[int, int] | None:
    """The lines of the first two rows alike in the columns `own` (one query on the file)."""
    cells = ", ".join(_text(c) for c in own)
    filled = " + ".join(f"CAST({_text(c)} <> '' AS INTEGER)" for c in own)
    sql = (
        f"SELECT k, list_sort(list(n))[1], list_sort(list(n))[2] FROM (SELECT [{cells}] AS k, "
        f"{filled} AS f, row_number() OVER () AS n FROM {table.relation()} WHERE "
        f"{table.keep_sql()}) WHERE f >= 2 GROUP BY k HAVING count(*) > 1 ORDER BY min(n) "
        "LIMIT 1"
    )
    found = run_sql(sql, table)
    if not found or table.sniffed is None:  # Parquet, JSON lines: the rows by number
        return (int(found[0][1]), int(found[0][2])) if found else None
    key = [str(v) for v in found[0][0]]
    index = [table.columns.index(c) for c in own]
    lines: list[int] = []
    for nth in (1, 2):
        count = [0]

        def match(fields: list[str], nth: int = nth, count: list[int] = count) -> bool:
            count[0] += all(i < len(fields) and fields[i].strip() == k
                            for i, k in zip(index, key, strict=True))  # fmt: skip
            return count[0] == nth

        lines.append(table._line_of(match) or 0)
    return lines[0], lines[1]


def _line(where: Location) -> str:
    return f"line {where.line}" if where.line else str(where)


def _line_items(table: FileTable) -> list[str]:
    """The columns of a line item or contact role: `LINE_HEADERS`, and `ITEM_CELLS` only
    beside a product header (`Quantity` alone is an opportunity's own field)."""
    folded = [c.strip().casefold() for c in table.columns]
    items = LINE_HEADERS | ITEM_CELLS if PRODUCT.intersection(folded) else LINE_HEADERS
    found = [c for c, f in zip(table.columns, folded, strict=True) if f in items]
    return sorted(found, key=lambda c: c.strip().casefold() in ITEM_CELLS)  # a product's first


def _repeated_in_sample(table: FileTable, column: str) -> tuple[str, Location, Location] | None:
    """The first id of the sampled rows seen before, and the places of its two rows."""
    index = table.columns.index(column)
    seen: dict[str, int] = {}
    if table.sniffed is None:  # Parquet, JSON lines: the rows by number
        rows = [(n + 1, r) for n, r in enumerate(table.sample)]
    else:
        rows = [(r.line, r.fields) for r in table.sniffed.sample[:SAMPLE_ROWS]]
    for line, fields in rows:
        value = fields[index].strip() if index < len(fields) else ""
        if not value:
            continue  # a footer, a summary row
        if value in seen:
            return value, table.location(seen[value], column), table.location(line, column)
        seen[value] = line
    return None


def _repeated_in_file(table: FileTable, column: str) -> tuple[str, Location, Location] | None:
    """The first id on two rows of the whole file (one query), and the places of its rows."""
    sql = (
        f"SELECT id FROM (SELECT {_text(column)} AS id, row_number() OVER () AS n "
        f"FROM {table.relation()} WHERE {table.keep_sql()}) WHERE id <> '' GROUP BY id "
        "HAVING count(*) > 1 ORDER BY min(n) LIMIT 1"
    )
    found = run_sql(sql, table)
    if not found:
        return None
    value = str(found[0][0])
    index = table.columns.index(column)
    lines = []
    for nth in (1, 2):
        count = [0]

        def match(fields: list[str], nth: int = nth, count: list[int] = count) -> bool:
            count[0] += index < len(fields) and fields[index].strip() == value
            return count[0] == nth

        line = table._line_of(match) if table.sniffed is not None else None
        lines.append(table.location(line, column) if line else table.header(column))
    return value, lines[0], lines[1]
