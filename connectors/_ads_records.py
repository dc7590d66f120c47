"""Rows labelled like totals that are records, for the `ads` connector (not a plugin module).

The reading layer takes a row whose first cell is a totals word (`Total`, `Gesamt`, `合計`, ...)
for a totals row. A campaign may be named so: Google and Microsoft write `--` or nothing in the
label columns of their totals rows (campaign type, day, campaign beside a label in another
column; Microsoft's currency code too), which a record fills (not a segment's column: Google
repeats `Total: Account` once per device or conversion action, its segment filled); Meta
writes no labelled totals (its summary row has every name empty), so a labelled row with a
name is a campaign. Such a row is a record (`AdsTable`): counted, and never a total the rows
are checked against. A scoped label (`Total: Search`, `Total: Account`) names no campaign: such
a row is a total whatever it fills. A report with no such column (campaign and metrics only)
cannot tell them: its labelled rows stay totals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from kpiengine.fileformats.missing import is_missing, missing_sql
from kpiengine.fileformats.rows import Record, is_total_label
from kpiengine.fileformats.sql import Expr
from kpiengine.fileformats.tables import SAMPLE_ROWS, FileTable
from kpiengine.sqlgen import quote_ident

from ._ads_profiles import META, MICROSOFT


@dataclass
class AdsTable(FileTable):
    """A table of an ads report whose rows labelled like totals that fill a `record` column
    are records."""

    record: tuple[str, ...] = ()  # columns a record fills and a totals row leaves empty

    def keep_sql(self) -> str:
        plain = super().keep_sql()
        if plain == "TRUE" or not self.record or (self.sniffed and self.sniffed.beyond):
            return plain
        filled = " OR ".join(
            f"NOT {missing_sql(Expr(f'CAST({quote_ident(c)} AS VARCHAR)'))}" for c in self.record
        )
        first = f"coalesce(CAST({quote_ident(self.columns[0])} AS VARCHAR), '')"
        return f"(({plain}) OR (({filled}) AND NOT regexp_matches({first}, '[:：]')))"

    def _line_of(self, match: Callable[[list[str]], bool]) -> int | None:
        # the reading layer skips every labelled row when looking for a bad cell's line: a
        # record labelled like a total is looked at too (the totals rows still are not)
        sniffed = self.sniffed
        if not self.record or sniffed is None or not sniffed.totals:
            return super()._line_of(match)
        plain = dataclasses.replace(
            self, sniffed=dataclasses.replace(sniffed, totals=[]), record=()
        )

        def kept(fields: list[str]) -> bool:
            labelled = bool(fields) and is_total_label(fields[0])
            return (not labelled or is_record(self, fields, self.record)) and match(fields)

        return plain._line_of(kept)


def is_record(table: FileTable, cells: list[str], record: tuple[str, ...]) -> bool:
    """Whether a row labelled like a total fills a `record` column: a record (never with a
    scoped label, `Total: Search`)."""
    if cells and (":" in cells[0] or "：" in cells[0]):
        return False
    at = [table.columns.index(c) for c in record if c in table.columns]
    return any(i < len(cells) and not is_missing(cells[i]) for i in at)


def record_columns(
    table: FileTable, platform: str, roles: dict[str, str], names: list[str]
) -> tuple[str, ...]:
    """The columns a record fills beside a totals label: the campaign type, the days (but
    Meta's `Reporting starts`/`ends`, which its summary row fills too) and the campaign (not
    the `dimensions:` columns: segmented totals fill theirs); Meta's name columns, the label's
    own too (a name: no summary);
    Microsoft's currency code (its `Total` row leaves it empty; Google's totals rows write it).
    Google's and Microsoft's label column is not one: it holds the label."""
    wanted = [roles.get(r, "") for r in ("campaign", "campaign_type")]
    if platform == MICROSOFT:
        wanted.append(roles.get("currency", ""))
    platform_is_meta = platform == META
    if platform_is_meta:
        wanted += [*names, roles.get("date", "") if "date_end" not in roles else ""]
    else:
        wanted += [roles.get(r, "") for r in ("date", "date_end")]
    label = "" if platform_is_meta else table.columns[0]
    return tuple(dict.fromkeys(c for c in wanted if c and c in table.columns and c != label))


def with_records(
    tables: list[FileTable],
    platform: str,
    roles: dict[str, str],
    names: Callable[[FileTable], list[str]],
) -> list[FileTable]:
    """The tables as `AdsTable`s (`record_columns`: `names` gives Meta's name columns of one):
    a campaign named `Total` is a campaign, not a totals row."""
    return [_with_records(t, record_columns(t, platform, roles, names(t))) for t in tables]


def _with_records(table: FileTable, record: tuple[str, ...]) -> AdsTable:
    """The table as an `AdsTable`: its labelled rows filling a `record` column moved from its
    totals to its data rows (the sample's, when within it)."""
    values = {f.name: getattr(table, f.name) for f in dataclasses.fields(FileTable)}
    sniffed = table.sniffed
    held = [t for t in table.totals if not t.beyond and is_record(table, t.cells, record)]
    if sniffed is not None and held:
        within = sniffed.sample[-1].line if sniffed.sample and not sniffed.whole else None
        rows = [Record(t.line, t.line, t.cells) for t in held]
        rows = [r for r in rows if within is None or r.line < within]
        sample = sorted([*sniffed.sample, *rows], key=lambda r: r.line)
        values["sniffed"] = dataclasses.replace(
            sniffed, totals=[t for t in sniffed.totals if t not in held], sample=sample
        )
        values["sample"] = [r.fields[: len(table.columns)] for r in sample[:SAMPLE_ROWS]]
    return AdsTable(**values, record=record)
