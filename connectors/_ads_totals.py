"""The `ads` connector's totals rows against the rows they total (not a plugin module).

Google Ads writes up to several `Total:` rows under a report, each of other rows:
- the rows shown (`Total: Campaigns`, `Total: Filtered campaigns`, `Total: All enabled
  campaigns`; Meta's summary row, Microsoft's `Total` row): its file's rows, or the file was
  edited;
- the whole account (`Total: Account`, `Gesamt: Konto`, ...): every campaign of the range, those
  a filter or the status view hid too (the default view hides removed campaigns, which may have
  spent in the range). Rows short of it are not the account's spend, whatever the other totals
  say: an error giving the gap and the totals without rows (`Total: Performance Max campaigns`
  of a report filtered to Search), unless other files of the source over the same range with the
  same account total hold the rest (one download split by a filter: together they are the
  account's, which is the number the source gives);
- a campaign type (`Total: Search campaigns`, `Total : campagnes Search`): the rows of that type,
  when a campaign type column tells them and the file's rows make its account total;
- anything else (a type no column or row tells, a scope word in a language not listed after a
  totals word the reading layer knows: `Összesen: Fiók`): a part of the rows, so never more than
  they add up to; more is a total of campaigns they do not hold, a gap as an account total's.
A report segmented by device, network, ... writes each of them once per segment, its segment
filled (`Total: Account,--,--,Mobile phones`), with or without the overall row: each
is then read as above over the rows of its segment alone (`_ads_segments`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from kpiengine.errors import KpiError
from kpiengine.fileformats import CellError, read_number
from kpiengine.fileformats.tables import FileTable

from ._ads_profiles import (
    ACCOUNT_TOTALS,
    ALL_WORDS,
    CAMPAIGNS_WORDS,
    CONVERSION_SEGMENTS,
    GOOGLE,
    META,
    SHOWN_TOTALS,
    total_scope,
)
from ._ads_segments import Segment
from ._csv_rounding import rounding

Total = tuple[FileTable, int, str, list[str]]  # (table, line, label, cells) of a totals row
ALL_ROWS = Segment("", "")  # a totals row of no segment: it totals every row
EDITED = "the export was edited or is incomplete: download it again (without filters hiding rows)"


def scope(label: str, platform: str) -> str:
    """Which rows a totals row totals: `shown` (every row of its file), `account`, or what else
    its label names (lowercase: a campaign type, as the rows would write it, or a scope word of
    a language not listed: `check_totals` bounds it by the rows). The totals word is any the
    reading layer knows (`Total`, `合計`, `Yhteensä`, ...), alone for the rows shown."""
    if platform != GOOGLE:
        return "shown"
    found = total_scope(label)
    kind = " ".join((label if found is None else found).split()).lower()
    if kind in ACCOUNT_TOTALS:
        return "account"
    if kind in SHOWN_TOTALS or kind.split(" ", 1)[0] in ALL_WORDS:
        return "shown"
    for word in CAMPAIGNS_WORDS:  # `Search campaigns`, `campagnes Search`
        kind = kind.removesuffix(f" {word}").removeprefix(f"{word} ")
    return kind.strip() or "shown"


@dataclass
class Share:
    """A campaign type's total in a file short of its account total: its numbers (column ->
    value) and its rows' (None: no campaign type column tells them), `count` rows."""

    label: str
    numbers: dict[str, float]
    rows: dict[str, float] | None
    count: int = 0


@dataclass
class Gap:
    """An account total its file's rows do not add up to, or a total no rows tell that is more
    than them (`placed` False), which `raise_gaps` settles with the source's other files: its
    numbers and the rows' sums by column, the file's stated range, its campaign types' totals
    and its total of the rows shown (label, or None)."""

    table: FileTable
    line: int
    label: str
    span: Any
    numbers: dict[str, float]
    sums: dict[str, float]
    count: int
    shares: list[Share]
    shown: str | None
    placed: bool = True  # an account total (else a total of what the rows do not tell)
    segment: str = ""  # the segment it totals (`Device: Mobile phones`), "" for all rows


def _segment(segments: dict[tuple[str, int], Segment], table: FileTable, line: int) -> Segment:
    """The segment of the totals row on `line` of `table`; none (every row's) by default."""
    return segments.get((table.name, line), ALL_ROWS)


def _gap(got: float, expected: float) -> str:
    """How much more or less a total says than its rows add up to."""
    return f"{abs(expected - got):,.2f} {'more' if expected > got else 'less'}"


def close(got: float, expected: float, count: int) -> bool:
    """Whether `count` rows adding up to `got` make a total of `expected`, within rounding."""
    return abs(got - expected) <= 0.005 + rounding(count, 0.01) + 1e-9 * abs(expected)


def check_totals(
    totals: list[Total],
    metrics: dict[str, tuple[str, int]],
    checks: dict[str, Any],
    decimals: dict[str, str],
    types: set[str],
    platform: str,
    files: dict[str, str] | None = None,
    spans: dict[str, Any] | None = None,
    segments: dict[tuple[str, int], Segment] | None = None,
) -> list[Gap]:
    """Total (summary) rows must match the sum of the rows they total, beyond rounding; the
    account totals their files' rows do not make are returned (`raise_gaps`).

    `totals`: (table, line, label, cells) of each; `metrics`: column -> (name in the checks,
    field index); the checks hold `sum_<name>` and `rows` for every row, `sum_<name>_<type>`
    and `rows_<type>` by campaign type, each followed by the file's key in `files` (table name
    -> key; none for one file): a file's totals total its own rows. A type's total is checked
    only when rows of that type are there to add up, in a file whose rows make its account
    total (else it is a share of the gap). `spans`: each file's stated range; `segments`: the
    segment of each totals row filling one ((file, line) -> `Segment`: `Total: Account` once per
    device), whose checks (`sum_<name>_<key>`, `rows_<key>`) are its segment's rows'."""
    files, spans, segments = files or {}, spans or {}, segments or {}
    scopes = [scope(label, platform) for _, _, label, _ in totals]
    shown: dict[tuple[str, str], str] = {}
    for (table, line, label, _), where in zip(totals, scopes, strict=True):
        if where == "shown":
            shown.setdefault((table.name, _segment(segments, table, line).name), label)
    rank = {"shown": 0, "account": 1}
    order = sorted(zip(totals, scopes, strict=True), key=lambda t: rank.get(t[1], 2))
    gaps: list[Gap] = []
    for (table, line, label, cells), where in order:
        part = _segment(segments, table, line)
        if any(g.table.name == table.name and g.segment == part.name for g in gaps):
            continue  # a type's total in a file (segment) short of its account: a share
        key = files.get(table.name, "")
        # a type's total is compared with the rows of that type when a column tells them
        typed = part.typed if part.name else f"_{where}"
        placed = where in rank or bool(where in types and checks.get(f"rows{typed}{key}"))
        suffix = (part.plain if where in rank or not placed else typed) + key
        count = checks.get(f"rows{suffix}") or 0
        if part.name:  # `Total: Account (Device: Mobile phones)`: of its segment's rows
            label = f"{label} ({part.name})"
        numbers = _numbers(table, line, cells, metrics, decimals)
        sums = {c: checks.get(f"sum_{name}{suffix}") or 0.0 for c, (name, _) in metrics.items()}
        short = not all(close(sums[c], v, count) for c, v in numbers.items())
        if not placed:  # a type the rows cannot tell, or a scope no list here names: a part
            # of the rows, else of campaigns they do not hold (the account's, in a language
            # not listed; a type a filter hid): then a gap, as an account's
            if any(v > sums[c] and not close(sums[c], v, count) for c, v in numbers.items()):
                shares = _shares(totals, scopes, table, line, metrics, checks, decimals, types,
                                 files, segments)  # fmt: skip
                gaps.append(Gap(table, line, label, spans.get(table.name), numbers, sums, count,
                                shares, shown.get((table.name, part.name)), placed=False,
                                segment=part.name))  # fmt: skip
            continue
        if where == "account":
            if short:
                shares = _shares(totals, scopes, table, line, metrics, checks, decimals, types,
                                 files, segments)  # fmt: skip
                span = spans.get(table.name)
                gaps.append(Gap(table, line, label, span, numbers, sums, count, shares,
                                shown.get((table.name, part.name)), segment=part.name))  # fmt: skip
            continue
        for column, expected in numbers.items():
            if not close(sums[column], expected, count):
                what = "the summary row" if platform == META else f"`{label}`"
                mine = " in this file" if table.name in files else ""
                raise KpiError(
                    f"the rows{mine} add up to {sums[column]:,.2f} in column `{column}` but "
                    f"{what} says {expected:,.2f}, {_gap(sums[column], expected)}",
                    table.location(line, column),
                    EDITED,
                )
    return gaps


def _numbers(
    table: FileTable,
    line: int,
    cells: list[str],
    metrics: dict[str, tuple[str, int]],
    decimals: dict[str, str],
) -> dict[str, float]:
    """A totals row's numbers by column (a `--` or empty cell left out)."""
    out = {}
    for column, (_, index) in metrics.items():
        if column in table.columns:  # files of one source may order their columns otherwise
            index = table.columns.index(column)
        text = cells[index] if index < len(cells) else ""
        try:
            value = read_number(text, decimals[table.name]).value
        except CellError as exc:
            raise exc.at(table.location(line, column)) from None
        if not math.isnan(value):
            out[column] = value
    return out


def _shares(
    totals: list[Total],
    scopes: list[str],
    table: FileTable,
    line: int,
    metrics: dict[str, tuple[str, int]],
    checks: dict[str, Any],
    decimals: dict[str, str],
    types: set[str],
    files: dict[str, str],
    segments: dict[tuple[str, int], Segment],
) -> list[Share]:
    """The campaign types' totals of `table` and of the segment of its total on `line` (but
    that one), with their rows' sums when a column tells them."""
    out = []
    segment = _segment(segments, table, line).name
    for (mine, at, label, cells), where in zip(totals, scopes, strict=True):
        if mine.name != table.name or at == line or where in ("shown", "account"):
            continue
        part = _segment(segments, mine, at)
        if part.name != segment:
            continue
        numbers = _numbers(table, at, cells, metrics, decimals)
        if where not in types:
            out.append(Share(label, numbers, None))
            continue
        suffix = f"{part.typed if part.name else f'_{where}'}{files.get(table.name, '')}"
        sums = {c: checks.get(f"sum_{name}{suffix}") or 0.0 for c, (name, _) in metrics.items()}
        out.append(Share(label, numbers, sums, checks.get(f"rows{suffix}") or 0))
    return out


#: The metrics a conversion segment's rows leave out (`--`).
UNSEGMENTED = ("impressions", "clicks", "cost")


def conversion_segment(columns: list[str]) -> str | None:
    """The report's conversion segment column (`Conversion action`), else None."""
    return next((c for c in columns if c.strip().lower() in CONVERSION_SEGMENTS), None)


def segmented_why(segment: str) -> str:
    """Why a report segmented by a conversion segment has no clicks, impressions or cost."""
    return (
        f"the report is segmented by `{segment}`: Google Ads leaves clicks, impressions and "
        "cost out of its rows (`--`: they belong to no conversion action); download them in a "
        f"report without the `{segment}` segment (a source of its own)"
    )


def raise_gaps(
    gaps: list[Gap], several: bool = False, segment: tuple[str, set[str]] | None = None
) -> None:
    """The error of an account total its rows do not make. Files over the same stated range
    with the same account total are one account's download split by a filter: their rows
    together must make it. `several`: the source has several files; `segment`: the report's
    conversion segment column and the columns its rows leave out (the cause of their gap)."""
    groups: dict[Any, list[Gap]] = {}
    for gap in gaps:
        numbers = tuple(sorted((c, round(v, 2)) for c, v in gap.numbers.items()))
        key = (gap.span, gap.segment, numbers)
        groups.setdefault(key, []).append(gap)
    for group in groups.values():
        first = group[0]
        sums = {c: sum(g.sums[c] for g in group) for c in first.numbers}
        count = sum(g.count for g in group)
        if len(group) > 1 and all(close(sums[c], v, count) for c, v in first.numbers.items()):
            continue  # the rest of the account is in the source's other files
        off = [c for c, v in first.numbers.items() if not close(sums[c], v, count)]
        # a total of what the rows do not tell is more than them on some column: that one
        column = next((c for c in off if first.numbers[c] > sums[c] or first.placed), off[0])
        got, expected = sums[column], first.numbers[column]
        mine = f"the rows{' in this file' if several else ''}" if len(group) == 1 else (
            f"the rows of the {len(group)} files over this range with this `{first.label}` "
            f"({', '.join(f'`{g.table.name}`' for g in group)})"
        )  # fmt: skip
        said = (
            f"{mine} add up to {got:,.2f} in column `{column}` but `{first.label}` says "
            f"{expected:,.2f}"
        )
        where = first.table.location(first.line, column)
        if got > expected:
            raise KpiError(f"{said}, {_gap(got, expected)}", where, EDITED)
        if segment and column in segment[1]:
            why = segmented_why(segment[0])
            raise KpiError(f"{why.split(';')[0]}, so {said}", where, why.split("; ")[1])
        named = _named(first, column, count) if len(group) == 1 else []
        if not first.placed and not named:  # a scope no list here names, or a type no row has
            named = ["it totals campaigns that are not among the rows"]
        why = f"`{first.shown}` totals only the rows shown; " if first.shown else ""
        raise KpiError(
            f"{said}, {expected - got:,.2f} more" + (f": {'; '.join(named)}" if named else ""),
            where,
            f"{why}a filter or the campaign status view hid campaigns that `{first.label}` "
            "counts (removed ones are hidden by default): download the report again with all "
            "campaigns and no filter, or make the downloads it was split into files of this "
            "one source",
        )


def _named(gap: Gap, column: str, count: int) -> list[str]:
    """The campaign types' totals the rows do not make: without rows of their type, or more
    than their rows (a type column tells them); else those that add up to the gap on every
    column (the rows cannot be told by type)."""
    out = []
    for share in gap.shares:
        value = share.numbers.get(column)
        if share.rows is None or value is None:
            continue
        if not share.count and not close(0.0, value, 0):
            out.append(f"`{share.label}` ({value:,.2f}) has no rows")
        elif value > share.rows[column] and not close(share.rows[column], value, share.count):
            out.append(f"`{share.label}` is {value - share.rows[column]:,.2f} more than its rows")
    if out:
        return out
    untold = [s for s in gap.shares if s.rows is None and column in s.numbers][:12]
    for size in range(1, len(untold) + 1):
        for chosen in combinations(untold, size):
            if all(
                close(sum(s.numbers.get(c, 0.0) for s in chosen), v - gap.sums[c], count)
                for c, v in gap.numbers.items()
            ):
                return [f"`{s.label}` ({s.numbers[column]:,.2f}) has no rows" for s in chosen]
    return []
