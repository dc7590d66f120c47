"""The `crm` connector's configuration (not a plugin module): which export a file is, its
columns by role, the stages classed (and the unknown ones listed with the mapping to add), the
column naming the amounts' currency (`_crm_headers.currency_column`: by its name in the UI's
language, or the one column of currency codes), the date format of each date column.

The system and object come from the options or the headers (`_crm_tables` markers), the columns
from the profile's roles then the `columns:` option; a date column's format from its sampled
cells, with the other date columns' cells when they read day/month and month/day alike, and from
its own first values in the file when the sample held none (a churn date appears late).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from kpiengine.connector import Connector
from kpiengine.errors import KpiError, suggestion
from kpiengine.fileformats import DateFormat, detect_date_format
from kpiengine.fileformats.currency import ISO_CODES, THREE_DECIMALS
from kpiengine.fileformats.sql import CellError, shown
from kpiengine.fileformats.tables import FileTable, run_sql
from kpiengine.filescan import Scan
from kpiengine.filesource import count_columns, date_format_of, find, require
from kpiengine.sqlgen import quote_ident, quote_text

from . import _crm_hints as hints
from ._crm_headers import CURRENCY_WORDS, check_object, converted, currency_column, yaml_text
from ._crm_outcome import outcome_columns, status_sql
from ._crm_tables import (
    CLASSES,
    CONTACT_VARIABLES,
    DEAL_VARIABLES,
    DEFAULT_COLUMNS,
    FALSE,
    OBJECT_ALIASES,
    OBJECT_MARKERS,
    OBJECTS,
    ROLES,
    STAGE_DATES,
    SYSTEM_MARKERS,
    SYSTEMS,
    TRUE,
)


def _in(expr: str, values: tuple[str, ...]) -> str:
    return f"lower(trim({expr})) IN ({', '.join(quote_text(v) for v in values)})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


#: At most this many of the sampled stages are classed as written (see `_seen_stages`).
SEEN_STAGES = 12


class CrmConfig(Connector):
    """The configuration half of `crm.CrmConnector`."""

    tables: list[FileTable]
    layout: FileTable
    system: str
    object: str
    columns: dict[str, str]
    stage_classes: dict[str, str]
    dims: dict[str, str]
    date_columns: set[str]
    _formats: dict[str, DateFormat]
    _unsampled: set[str]
    _guessed: str | None = None  # the currency column taken for its cells (`_code_note`)

    def _check_option_values(self) -> None:
        options = self.config.options
        for key, allowed in (("system", SYSTEMS), ("object", OBJECTS + tuple(OBJECT_ALIASES))):
            value = options.get(key)
            if value is not None and str(value).lower() not in allowed:
                raise self.config.error(
                    f"`{key}` must be one of {', '.join(allowed)}, not `{value}`"
                    f"{suggestion(str(value).lower(), allowed)}",
                    key,
                )
        if options.get("decimal") is not None and options["decimal"] not in (".", ","):
            raise self.config.error("`decimal` must be `.` or `,`", "decimal")
        for key in ("date_format", "churn_date"):
            if key in options and not (isinstance(options[key], str) and options[key].strip()):
                raise self.config.error(f"`{key}` must be a column name or text", key)
        for key in ("columns", "stages"):
            value = options.get(key)
            if value is not None and not (
                isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
            ):
                example = "{source: Lead Source}" if key == "columns" else "{Verbal yes: won}"
                raise self.config.error(f"`{key}` maps names to text", key, f"e.g. {example}")

    def _stage_option(self) -> dict[str, str]:
        out = {}
        stages = self.option("stages") or {}
        for stage, klass in stages.items():
            if klass.strip() == hints.PLACEHOLDER:  # a pasted suggestion not yet chosen
                raise KpiError(
                    f"source `{self.config.name}`: stage `{stage}` is still to be classed",
                    stages.value_loc(stage)  # its line in kpi.yaml
                    if hasattr(stages, "value_loc")
                    else self.config.where("stages"),
                    f"replace `{hints.PLACEHOLDER}` with the stage's class: won (its deals "
                    "count as won, with their revenue), lost, or open (still in the pipeline)",
                )
            if klass.strip().lower() not in CLASSES:
                raise self.config.error(
                    f"stage `{stage}` is classed `{klass}`; the classes are won, lost and open"
                    f"{suggestion(klass.strip().lower(), CLASSES)}",
                    "stages",
                )
            out[str(stage).strip().lower()] = klass.strip().lower()
        return out

    def _detect(self, markers: dict[str, tuple[str, ...]], key: str) -> str:
        have = {c.lower() for c in self.layout.columns}
        scores = {name: sum(m.lower() in have for m in found) for name, found in markers.items()}
        best = max(scores.values())
        winners = [name for name, score in scores.items() if score == best]
        if best == 0 or len(winners) > 1:
            raise KpiError(
                f"cannot tell the {key} of this export from its columns "
                f"({', '.join(self.layout.columns)})",
                self.layout.header(),
                f"set the source option `{key}: {' | '.join(markers)}` in kpi.yaml"
                + (" (`generic`: a deal or lead table of another CRM)" if key == "system" else ""),
            )
        return winners[0]

    def _system(self) -> str:
        explicit = self.option("system")
        return str(explicit).lower() if explicit else self._detect(SYSTEM_MARKERS, "system")

    def _object(self) -> str:
        explicit = self.option("object")
        if explicit:
            return OBJECT_ALIASES.get(str(explicit).lower(), str(explicit).lower())
        check_object(self.layout, self.system, self.config.name)  # headers none knows
        return self._detect(OBJECT_MARKERS, "object")

    def _columns(self) -> dict[str, str]:
        """role -> the file's column: the profile's, then `columns:` and `churn_date:`."""
        out = {}
        for role, candidates in DEFAULT_COLUMNS[(self.system, self.object)].items():
            found = find(self.layout, candidates + (CURRENCY_WORDS if role == "currency" else ()))
            if found:
                out[role] = found
        explicit = dict(self.option("columns") or {})
        if self.option("churn_date"):
            if self.object != "contacts":
                raise self.config.error("`churn_date` is for contacts files", "churn_date")
            explicit["churn_date"] = self.option("churn_date")
        allowed = ROLES[self.object]
        for role, column in explicit.items():
            if role not in allowed:
                raise self.config.error(
                    f"no column role `{role}` for {self.object} files"
                    f"{suggestion(str(role), allowed)}",
                    "columns",
                    f"roles: {', '.join(allowed)}",
                )
            out[role] = require(self.layout, column, f"{role.replace('_', ' ')} column")
            for other in STAGE_DATES if role in STAGE_DATES else ():
                if other != role and other not in explicit and out.get(other) == out[role]:
                    del out[other]  # one lifecycle date, the stage `columns:` names
        currency = currency_column(self.tables, out, self.config.name)
        if currency:  # the amounts' currency beyond the profile's English headers
            out[currency[0]] = currency[1]
            self._guessed = currency[1] if currency[2] else None
        if (self.system, self.object) == ("generic", "deals") and "status" not in out:
            outcomes = outcome_columns(self.tables, set(out.values()))
            if outcomes:  # won | lost | open beside the last stage reached (`_crm_outcome`)
                out["status"] = outcomes[0]
        if "status" in out and "stage" not in out:
            out["stage"] = out["status"]  # the deals' classes are their status's
        return out

    def _dimensions(self) -> dict[str, str]:
        if self.config.dimensions:
            return {
                dim: require(self.layout, column, "dimension column")
                for dim, column in self.config.dimensions.items()
            }
        defaults = (("channel", "source"), ("campaign", "campaign"), ("pipeline", "pipeline"))
        return {dim: self.columns[role] for dim, role in defaults if role in self.columns}

    def _has(self, role: str) -> bool:
        if role == "lead_date":
            return "became_lead_date" in self.columns or "create_date" in self.columns
        return role in self.columns

    def _column(self, role: str) -> str:
        if role == "lead_date":
            return self.columns.get("became_lead_date") or self.columns["create_date"]
        return self.columns[role]

    def provides(self) -> set[str]:
        derived = DEAL_VARIABLES if self.object == "deals" else CONTACT_VARIABLES
        found = {v for v, roles in derived.items() if all(self._has(r) for r in roles)}
        return found | set(self.config.mappings)

    def dimensions(self) -> set[str]:
        return set(self.dims)

    # --- date formats --------------------------------------------------------------------

    def _date_format(self, column: str) -> str:
        """A date column's format, as `date_format:` would give it."""
        return self._format(column).written

    def _format(self, column: str) -> DateFormat:
        """A date column's format: its sampled dates'; when they read both day/month and
        month/day, with the other date columns' dates; without any, the others' format."""
        if column not in self._formats:
            option = self.option("date_format")
            others = [c for o in sorted(self.date_columns - {column}) for t in self.tables
                      for c in t.cells(o)]  # fmt: skip
            if option or any(c.strip() for t in self.tables for c in t.cells(column)):
                try:
                    fmt = date_format_of(self.tables, column, option)
                except KpiError as error:  # ambiguous alone: the other columns may settle it
                    if option:
                        raise
                    fmt = self._settled(column, others, error)
            else:
                self._unsampled.add(column)
                try:
                    fmt = detect_date_format(others, column=column)
                except KpiError:
                    fmt = detect_date_format(["2024-01-01"])  # nothing to go by (or parse)
            self._formats[column] = fmt
        return self._formats[column]

    def _settled(self, column: str, others: list[str], error: KpiError) -> DateFormat:
        """The format of a date column whose own dates do not tell it (`error`), read with the
        other date columns' dates. When these do not tell it either, `error` (its own cells at
        their lines); when the format found does not read one of its cells, that cell's place
        and the format expected."""
        try:
            fmt = date_format_of(self.tables, column, extra=others)
        except KpiError:
            raise error from None
        for table in self.tables:
            for cell in dict.fromkeys(table.cells(column)):
                try:
                    fmt.read(cell)
                except CellError:
                    found = table.first_cell(
                        column, f"{quote_ident(column)} = {quote_text(cell)}", cell.__eq__
                    )
                    raise KpiError(
                        f"expected a date like {fmt.written} in column "
                        f"`{column}` (the format of the other date columns: its own dates do "
                        f"not tell one), found `{shown(cell)}`",
                        found[0] if found else table.header(column),
                        error.fix
                        or "set the source's `date_format:` to the format of "
                        f"the dates of `{column}`",
                    ) from None
        return fmt

    def _reguess(self, columns: set[str]) -> bool:
        """Columns whose format came from the other date columns and whose dates do not read
        so: their format from their own first values in the files. True when one changed."""
        changed = False
        for column in columns & self._unsampled:
            self._unsampled.discard(column)
            c = quote_ident(column)
            values = [
                str(v[0])
                for t in self.tables
                for v in run_sql(
                    f"SELECT trim({c}) FROM {t.relation()} WHERE {t.keep_sql()} AND "
                    f"coalesce(trim({c}), '') <> '' LIMIT 200",
                    t,
                )
            ]
            if values:
                fmt = detect_date_format(values, column=column)
                changed |= fmt.spec != self._formats[column].spec
                self._formats[column] = fmt
        return changed

    # --- stages and currencies ----------------------------------------------------------------

    def _class_sql(self, text: Callable[[str], str], written: str | None = None) -> str:
        """SQL for a deal's class (won | lost | open; NULL when the stage is unknown), on the
        columns' trimmed `text` (the scan's, or the file's as written for an error's place);
        `written`: the stage's text untrimmed, compared with the sampled stages first."""
        stage = text(self.columns["stage"])
        # a MAP lookup, not `CASE x WHEN ...`: DuckDB expands that into one `x = ...` per stage
        classes = ", ".join(
            f"{quote_text(n)}: {quote_text(k)}" for n, k in self.stage_classes.items()
        )
        bare = f"lower(trim(regexp_replace({stage}, '\\s*\\([^()]*\\)$', '')))"
        parts = [f"MAP {{{classes}}}[lower({stage})]", f"MAP {{{classes}}}[{bare}]"]
        if "won" in self.columns and "closed" in self.columns:  # Salesforce's own flags
            won, closed = text(self.columns["won"]), text(self.columns["closed"])
            parts.append(
                f"CASE WHEN {_in(won, TRUE)} THEN 'won' WHEN {_in(closed, TRUE)} THEN 'lost' "
                f"WHEN {_in(closed, FALSE)} THEN 'open' END"
            )
        found = f"coalesce({', '.join(parts)})"
        seen = self._seen_stages()
        if seen:
            # the sample's stages as written first: the other rows alone are trimmed, lowered
            # and looked up (DuckDB works out a CASE's branch on the rows that reach it only)
            whens = " ".join(f"WHEN {quote_text(t)} THEN {quote_text(k)}" for t, k in seen)
            found = f"CASE {written or stage} {whens} ELSE {found} END"
        status = self.columns.get("status")
        if status and status != self.columns["stage"]:  # won | lost | open first
            return f"coalesce({status_sql(text(status), self.tables, status)}, {found})"
        return found

    def _seen_stages(self) -> list[tuple[str, str]]:
        """The sample's stages as written that the table classes (`_class_sql`), the most
        frequent first (at most `SEEN_STAGES`): ASCII texts only, whose lower case is DuckDB's
        and Python's alike, so that each is classed as `lower` would class it."""
        stage = self.columns["stage"]
        cells = Counter(
            c.strip() for t in self.tables if stage in t.columns for c in t.cells(stage)
        )
        return [
            (text, self.stage_classes[text.lower()])
            for text, _ in cells.most_common()
            if text.isascii() and text.lower() in self.stage_classes
        ][:SEEN_STAGES]

    def _code_column(self) -> str | None:
        """The column naming the amounts' currency: HubSpot's `Currency`, Salesforce's
        `Opportunity Currency` or `Amount Currency`; for converted amounts, the currency they
        were converted to (Salesforce's `Amount (converted) Currency`) when exported, or
        mapped (`columns: {converted_currency: Betrag (konvertiert) Währung}`)."""
        mapped = "converted_currency" in dict(self.option("columns") or {})
        if mapped or converted(self.columns.get("amount", "")):
            return self.columns.get("converted_currency")
        return self.columns.get("currency")

    def _amounts(self) -> dict[str, str]:
        """The currency of each amount column, for the decimal mark (`1.250` KWD is 1.25 or
        1250: `guess_decimal` asks for `decimal:`). The amount column's is the one its currency
        column names (`_code_column`; of several, a three-decimal one first: a mix is an error
        later), else the workspace's; a mapped value column's its mapping's `currency:`, else
        the workspace's, as the `csv` connector reads them (a column of unknown kind asks
        rather than guesses), unless it holds whole counts (`_whole`). Other columns (ids,
        probabilities) are no amounts."""
        workspace = (self.config.currency or "").upper()
        out: dict[str, str] = {}
        whole = self._whole()
        for mapping in self.config.mappings.values():
            column = find(self.layout, [mapping.column]) if mapping.column else None
            if column and column not in whole and (mapping.currency or workspace):
                out[column] = str(mapping.currency or workspace).upper()
        amount, code = self.columns.get("amount"), self._code_column()
        cells = [c.strip().upper() for t in self.tables if code in t.columns
                 for c in t.cells(code)] if code else []  # fmt: skip
        codes = [c for c in dict.fromkeys(cells) if c in ISO_CODES]
        told = next((c for c in codes if c in THREE_DECIMALS), codes[0] if codes else workspace)
        stated = {find(self.layout, [m.column]) for m in self.config.mappings.values()
                  if m.column and m.currency}  # fmt: skip
        if amount and told and amount not in stated:  # a mapping's own `currency:` wins
            out[amount] = told
        return out

    def _whole(self) -> set[str]:
        """The mapped value columns of whole counts, as the `csv` connector tells them: no
        amounts, so `1.500` is 1500."""
        read = [(find(self.layout, [m.column]) if m.column else None, m)
                for m in self.config.mappings.values()]  # fmt: skip
        return count_columns(read, self.config.counts)

    def _raise_stages(self, scan: Scan, unknown: str) -> None:
        """Every deal stage must be classed: list the unknown ones (the deals where the scan's
        SQL `unknown` holds) with the mapping to add."""
        counts: dict[str, int] = {}
        stage = self.columns["stage"]
        name = scan.text(stage)
        first = None
        for table in scan.tables:
            rows = run_sql(
                f"SELECT {name}, count(*) FROM ({scan.rows_sql(table)}) WHERE {unknown} GROUP BY 1",
                table,
            )
            for text, n in rows:
                counts[str(text)] = counts.get(str(text), 0) + int(n)
            if rows and first is None:
                found = {str(t) for t, _ in rows}
                cell = table.first_cell(
                    stage,
                    f"trim({quote_ident(stage)}) IN ({', '.join(map(quote_text, found))})",
                    found.__contains__,
                )
                first = cell[0] if cell else table.header(stage)
        ordered = sorted(counts, key=lambda s: (-counts[s], s))
        listed = ", ".join(f"`{s}` ({_plural(counts[s], 'deal')})" for s in ordered)
        status = self.columns.get("status")
        which = f" (deals whose `{status}` is not won, lost or open)" if status else ""
        raise KpiError(
            f"source `{self.config.name}`: {_plural(len(counts), 'deal stage')} of column "
            f"`{stage}`{which} are not known as won, lost or open: {listed}",
            first,
            f"class them under the source `{self.config.name}` in kpi.yaml: each one won, lost "
            f"or open (replace `{hints.PLACEHOLDER}`, check the guesses)\n"
            + hints.suggestion(ordered)
            + self._status_hint(),
        )

    def _status_hint(self) -> str:
        """The unknown-stages error's words naming a column of won, lost and open words
        beside the stage column (`_crm_outcome`), if there is one and no `status` yet."""
        if "status" in self.columns:
            return ""
        found = outcome_columns(self.tables, set(self.columns.values()), loose=True)
        if not found:
            return ""
        name = yaml_text(found[0])
        return (
            f"\n  or, if column `{found[0]}` tells whether each deal was won, lost or is open "
            f"(the stage being the last one it reached): `columns: {{status: {name}}}` classes "
            "the deals by it (by their stage where it says none of these)"
        )
