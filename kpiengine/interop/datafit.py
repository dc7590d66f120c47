"""An imported model fitted to the files `kpi import --data` reads: column names, boolean tests.

SQL reads an unquoted identifier whatever its case (Snowflake's `STATUS` is `status` in the
model), so each column a source names that its file lacks takes the one header equal to it but
for case; two such headers are an error naming both. A boolean test (`where:` listing every
spelling of true or false, `truth`) becomes what the column's type holds: `1` (`0`) for a number
column, `true` (`false`) for a BOOLEAN. Without the files, `boolean_notes` says what a number
column would need.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import KpiError, Location
from ..sqlgen import quote_text
from .model import Model, Source
from .truth import for_type, truth_of


def fit(model: Model, tables: dict[str, list[str]]) -> None:
    """Rename each source's columns to its file's headers and type its boolean tests;
    `tables`: source name -> the columns its connector reads in the file (others kept)."""
    for source in model.sources.values():
        if source.name not in tables:
            continue
        kinds = {c.lower(): t for c, t in _file_types(source).items()}
        columns = {c: kinds.get(c.lower(), "") for c in tables[source.name]}

        def name(column: str, source: Source = source, columns: dict = columns) -> str:
            return _header(column, columns, source)

        def typed(where: dict[str, list[str]], columns: dict = columns) -> dict[str, list[str]]:
            out = {}
            for column, values in where.items():
                column, truth = name(column), truth_of(values)
                kind = columns.get(column)
                out[column] = values if truth is None or not kind else for_type(truth, kind)
            return out

        source.date = name(source.date) if source.date else source.date
        source.dimensions = {
            dim: name(col) if isinstance(col, str) else col
            for dim, col in source.dimensions.items()
        }
        source.filters = typed(source.filters)
        for mapping in source.mappings.values():
            mapping.column = name(mapping.column) if mapping.column else mapping.column
            mapping.distinct = name(mapping.distinct) if mapping.distinct else mapping.distinct
            mapping.date = name(mapping.date) if mapping.date else mapping.date
            mapping.where = typed(mapping.where)


def _file_types(source: Source) -> dict[str, str]:
    """The type of each column of the source's file as DuckDB reads it ({} when it cannot); a
    CSV file's BOOLEAN is text to kpiengine's reader (`True` stays `True`): typed as text."""
    files = source.options.get("files")
    path = Path(str(next(iter(files.values())))) if isinstance(files, dict) and files else None
    if path is None:
        return {}
    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv"
    try:
        with duckdb.connect() as con:
            found = con.execute(f"DESCRIBE SELECT * FROM {reader}({quote_text(str(path))})")
            rows = found.fetchall()
    except duckdb.Error:
        return {}
    text = reader == "read_csv"
    return {str(r[0]): "VARCHAR" if text and r[1] == "BOOLEAN" else str(r[1]) for r in rows}


def _header(column: str, columns: dict[str, str], source: Source) -> str:
    """The file's header `column` stands for: itself, else the one equal to it but for case."""
    if column in columns and not any(c.lower() == column.lower() and c != column for c in columns):
        return column
    found = [c for c in columns if c.lower() == column.lower()]
    if len(found) == 1:
        return found[0]
    if not found:
        return column  # the lint names the missing column
    files = source.options.get("files") or {}
    path = str(next(iter(files.values()), "")) if isinstance(files, dict) else ""
    defined = f" (defined at {source.loc})" if source.loc is not None else ""
    raise KpiError(
        f"source `{source.name}`{defined} reads the column `{column}`, which SQL reads whatever "
        f"its case, and the file has {' and '.join(f'`{c}`' for c in found)}",
        Location(path, 1, 1) if Path(path).suffix.lower() == ".csv" else Location(path),
        "rename one of the columns in the file, or quote the one meant in the model",
    )


def boolean_notes(model: Model) -> None:
    """A note on each boolean test written without knowing its column's type."""
    seen: set[tuple[str, str]] = set()
    for source in model.sources.values():
        wheres = [source.filters] + [m.where for m in source.mappings.values()]
        for column, values in ((c, v) for w in wheres for c, v in w.items()):
            truth = truth_of(values)
            if truth is None or (source.name, column) in seen:
                continue
            seen.add((source.name, column))
            words = ", ".join(dict.fromkeys(v.lower() for v in values))
            model.note(
                f"{source.name}.{column}",
                "boolean test",
                f"`where:` lists every spelling of {str(truth).lower()} in a BOOLEAN or text "
                f"column ({words}, in three cases); a number column (0/1) holds `{int(truth)}` "
                f"instead: write `{column}: [{int(truth)}]` there (`kpi import --data` writes "
                "it for the files it reads)",
                source.loc,
            )
