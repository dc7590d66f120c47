"""The `crm` connector: HubSpot, Salesforce and generic deal (opportunity) and lead exports.
It is longer than 420 lines: the one scan of a request (`_scan`) builds every variable's role.

A deals file gives the opportunities created by create date, and the deals won (all of them, and
those with an amount: the denominator of the average deal size) and lost, their revenue and
sales-cycle days by close date, each deal's stage classed as won, lost or open, and the
deals open at each period's end (`_crm_pipeline`). A contacts file gives leads, MQLs, SQLs and
new customers by their lifecycle dates (a skipped stage's by the next stage's: `_crm_contacts`),
churned customers by a churn date, and the customer stock at the start and end of each period.

Each export is a profile of `_crm_tables` (column roles, stages); the rows are read by the
reading layer and aggregated in one DuckDB scan per request (`kpiengine.filescan`), every date,
amount, stage and currency checked in the same pass. Only an error reads a file again.
Closed deals no period can count right are never dropped silently: one without a close date
(revenue, deals won and lost would leave it out), a won one closed before it was created (a
negative sales cycle) or without a create date leave the variables they would distort out of
the answer, with how many deals and where the first is: the KPIs reading them are undefined
with that reason, the others stand. A deal with a date but no stage (a grouped report exported
formatted) is an error naming `fill_down:` (`_crm_grouped`), and summary rows are never counted.
Every variable covers the days the export covers, whatever is asked (`_crm_span`: a deals
export's create dates and closed deals' close dates, a contacts export's date columns, to the
last day a record was changed when later: the export was taken after it): counts
are 0 in its months and segments where nothing happened (an export of open deals answers 0
revenue, not "no data"). Closed deals dated after today are reported (`_crm_closed`). A NUL in
a stage or in a segment's label stops at it (`_crm_cells`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from kpiengine.cellreader import as_text, trimmed_sql
from kpiengine.connector import Connector, Mapping, Option, Request, SourceConfig
from kpiengine.errors import KpiError
from kpiengine.fileformats import DateFormat
from kpiengine.fileformats.tables import FileTable
from kpiengine.filescan import Reader, Scan
from kpiengine.filesource import (
    date_format_option,
    decimal_of,
    decimal_option,
    find,
    open_files,
    require,
    typed,
)
from kpiengine.hookspecs import hookimpl
from kpiengine.model import Aggregate
from kpiengine.scanerrors import raise_nul
from kpiengine.sqlgen import where_value
from kpiengine.table import Frame, union

from . import _crm_frames as frames
from ._crm_cells import mapped_texts, nul_sql, raise_nul_stage
from ._crm_contacts import ContactStages
from ._crm_currency import CurrencyCodes
from ._crm_files import check_repeated, check_shared
from ._crm_grouped import GroupedReports, crm_tables
from ._crm_headers import check_key_roles
from ._crm_mapped import kept_kind, mixed
from ._crm_pipeline import OPEN, OpenDeals
from ._crm_span import covered, seen_to, span_checks, stamp_format
from ._crm_tables import CLOSED, DAY_ROLE, NONE, STAGE_DATES, STAGES, STOCKS
from ._crm_totals import check_stated, stated_checks

DEALS = "__deals"  # every deal by its create date: the segments of the export
CONTACTS = "__contacts"  # every contact by its create date: the segments of the export
SUM = Aggregate()


class CrmConnector(GroupedReports, OpenDeals, CurrencyCodes, ContactStages):
    name = "crm"
    renames_values = True
    description = "HubSpot, Salesforce or generic exports of deals (opportunities) or leads"
    mapping_dates = True
    _unknown = "FALSE"  # SQL: a deal whose stage is not classed (set by `_scan`)
    options = (
        Option("path", "file or glob, relative to the workspace", required=True, kind="path"),
        Option("system", "`hubspot`, `salesforce` or `generic` (default: detected)", kind="text"),
        Option(
            "object",
            "`deals` (Salesforce opportunities) or `contacts` (Salesforce leads) "
            "(default: detected from the headers)",
            kind="text",
        ),
        Option(
            "columns",
            "role -> column, to override the export's defaults (roles: stage, amount, "
            "close_date, create_date, source, campaign, pipeline, won, closed, currency, "
            "converted_currency, id (the record id that tells the same deal in two files), "
            "lifecycle_stage, converted, became_lead_date, became_mql_date, became_sql_date, "
            "became_opportunity_date, became_customer_date, churn_date, date, modified_date "
            "(the day a record was last changed: the export was taken on or after it))",
            kind="mapping",
        ),
        Option(
            "stages",
            "deal stage -> won | lost | open, added to the built-in HubSpot and Salesforce stages",
            kind="mapping",
        ),
        date_format_option("%m/%d/%Y"),
        decimal_option("detected from the amounts"),
        Option(
            "churn_date",
            "contacts: the column holding the date a customer churned",
            kind="name",
        ),
        Option(
            "fill_down",
            "columns a grouped (formatted) report shows once per group, carried down to the "
            "group's rows, e.g. `[Stage, Lead Source]`; `[]`: none (default: an empty stage, or "
            "a dimension column that looks grouped, is an error)",
            kind="names",
            expected="lists the columns a grouped report shows once per group",
        ),
    )

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self._check_option_values()
        self.tables = open_files(config)
        self.layout = self.tables[0]
        self.fill = self._fill_down()
        plain, self.tables = self.tables, crm_tables(self.tables, self.fill or ())
        self.layout = self.tables[0]
        self.system = self._system()
        self.object = self._object()
        self.columns = self._columns()
        check_key_roles(self.layout, self.system, self.object, self.columns, self.provides(),
                        set(config.mappings), config.name, not self.option("system"))  # fmt: skip
        self.stage_classes = {**STAGES[self.system], **self._stage_option()}
        self.dims = self._dimensions()
        dates = ("create_date", "close_date", "churn_date", "date", *STAGE_DATES)
        self.date_columns = {self.columns[r] for r in dates if r in self.columns}
        # a mapping's own `date:` column (a snapshot's day) is read as the role dates are
        self.date_columns |= {self._mapped_date(m) for m in config.mappings.values() if m.date}
        # summary rows left out: a totals label first on a row with an id (else a stage) is a
        # record's (a deal of an account named `Total`); a summary row may show a date
        record = [self.columns[r] for r in ("id", "stage") if r in self.columns][:1]
        self.tables = crm_tables(plain, self.fill or (), record)
        self.layout = self.tables[0]
        self._formats: dict[str, DateFormat] = {}
        self._unsampled: set[str] = set()  # formats guessed from the other date columns
        self._shared_checked = False  # `_crm_files`: no two files hold the same deals
        self._texts: list[str] = []  # the `map:` text columns a scan tests (`_crm_cells`)

    # --- fetch --------------------------------------------------------------------------------

    def fetch(self, request: Request) -> Frame:
        self._check_grouped(request.dimensions)
        if not self._shared_checked:  # files holding the same deals (one file: no query)
            check_shared(self.tables, self.columns.get("id"), sorted(self.date_columns),
                         self.object)  # fmt: skip
            # one record on several rows of a file (a product line's, a contact role's)
            check_repeated(self.tables, self.columns.get("id"), self._record())
            self._shared_checked = True
        self._detail = False
        while True:
            built = self._scan(request)
            scanned = built[0].try_run(self._reguess)
            if scanned is None:
                continue  # the dates are read otherwise now
            if scanned.checks.get("nul"):  # a NUL in a `map:` text cell (`_crm_cells`)
                raise_nul(self.tables, self._texts)
            if not self._detail and (scanned.checks.get("undated") or scanned.checks.get("cycles")):
                self._detail = True  # closed deals to leave out: count them in detail
                continue
            break
        scan, dated, klass = built
        checks = scanned.checks
        if checks.get("no_stage"):
            self._raise_no_stage(int(checks["no_stage"]))
        if checks.get("unknown"):  # a NUL in a stage makes it unknown (`_crm_cells`)
            raise_nul_stage(scan, self._unknown, self.columns["stage"])
            self._raise_stages(scan, self._unknown)
        self._check_codes(checks)
        left_out = self._left_out(checks) | self._undated_customers(checks)
        left_out |= self._uncreated(checks)  # `open_opportunities` (`_crm_pipeline`)
        if self.object == "deals":  # a deal variable beside a mapping filtering the deals
            asked = [v for v in request.variables if v in self.provides()]
            left_out |= mixed(self.config.mappings, self.columns, asked, self.config.name)
        dims = [d for d in request.dimensions if d in self.dims]
        wanted = [v for v in request.variables if v in self.provides() and v not in left_out]
        parts = [scanned.frame]
        # the days of the whole export, whatever is asked (`_crm_span`)
        span = seen_to(union([scanned.frame.span, *covered(checks)]), checks)
        sums = [v for v in wanted if v not in STOCKS and request.variables[v].time == "sum"]
        if span is None and any(v in CLOSED for v in sums):
            # no closed deal, no create date: no month to say 0 in
            why = (
                f"{scan.source} has no won or lost deal (column "
                f"`{self.columns['stage']}`), and no create date to tell the months it "
                "covers: no month can say 0"
            )
            left_out |= {v: why for v in sums if v in CLOSED}
            wanted = [v for v in wanted if v not in left_out]
            sums = [v for v in sums if v not in left_out]
        if sums and dated:
            frame = scanned.frame
            segments = sorted(set(zip(*(frame.dims[d] for d in dims), strict=True)))
            parts.append(frames.zeros(sums, span, segments, dims, request.grain, request.calendar))
        stocks = [v for v in wanted if v in STOCKS]
        if stocks:
            won, lost = (scanned.day_values.get(k, np.zeros(len(scanned.days)))
                         for k in ("__won", "__lost"))  # fmt: skip
            stock = frames.stock(scanned.days, scanned.day_dims, won, lost, stocks, request.grain,
                                 request.calendar, span)  # fmt: skip
            parts.append(stock)
            if len(scanned.days):
                span = union([span, (scanned.days.min().item(), scanned.days.max().item())])
        if OPEN in wanted and OPEN not in self.config.mappings:  # the open deals' stock
            parts.append(self._open_frame(scanned, request.grain, request.calendar, span))
        out = frames.concat(parts, wanted, dims)
        out.span, out.source = span, scan.source
        out.dated_by = self._dated_by(wanted)
        out.missing = {v: why for v, why in left_out.items() if v in request.variables}
        future = self._future(checks) if any(v in CLOSED for v in wanted) else None
        if future is not None:
            out.warnings.append(future)
        out.warnings += check_stated(self._stated, checks, self._record())
        formats = [self._format(c) for c in self.date_columns if c in self._formats]
        if formats and all(f.grain == "month" for f in formats):
            out.date_grain = "month"
        return out

    def _record(self) -> str:
        """A record of the export, as errors name it."""
        if self.object == "deals":
            return "opportunity" if self.system == "salesforce" else "deal"
        return "lead" if self.system == "salesforce" else "contact"

    def _dated_by(self, wanted: list[str]) -> dict[str, str]:
        out = {v: self._column(DAY_ROLE[v]) for v in wanted if v in DAY_ROLE and
               v not in self.config.mappings}  # fmt: skip
        out |= {v: self._mapped_date(m) for v, m in self.config.mappings.items() if v in wanted}
        for v, m in self.config.mappings.items():  # the built-in meaning, filtered
            if v in wanted and not m.date and kept_kind(m, self.columns, self.layout):
                out[v] = self._column("close_date")
        return out

    def _scan(self, request: Request) -> tuple[Scan, list[str], str]:
        """The scan of a request: every variable by its date column, every check."""
        wanted = {v: a for v, a in request.variables.items() if v in self.provides()}
        mapped = {v: self.config.mappings[v] for v in wanted if v in self.config.mappings}
        derived = [v for v in wanted if v not in mapped]
        kept = {v: k for v, m in mapped.items() if (k := kept_kind(m, self.columns, self.layout))}
        measured = set(derived) | {v for v in kept if mapped[v].count}  # built-in measures
        amount = (
            self.columns.get("amount") if {"revenue", "deals_won_with_amount"} & measured else None
        )
        if amount:  # converted amounts in another currency than the workspace's (the sample)
            self._check_company_currency()
            amount = self.columns["amount"]  # the amounts as entered, when they are not
        numbers = {require(self.layout, m.column) for m in mapped.values() if m.column}
        numbers |= {amount} if amount else set()
        # the mark the cells of every amount column tell, whichever are asked for (one reading
        # for every request), never a default: `12.000` alone is twelve thousand, `1,200` and
        # `1.500` together ask for the `decimal:` option (`guess_decimal`)
        mappings = self.config.mappings.values()
        evidence = {find(self.layout, [m.column]) for m in mappings if m.column}
        evidence |= {self.columns.get("amount")}
        known = numbers | {c for c in evidence if c}
        decimal = "."
        if numbers:  # `1.250` KWD amounts are 1.25 or 1250: `decimal:` decides (`_amounts`)
            option = self.option("decimal")
            amounts, whole = self._amounts(), self._whole()
            kinds = {amount: "amount"} if amount else None  # a `45%` amount: the scan names it
            decimal = decimal_of(self.layout, known, option, whole=whole, currency=amounts,
                                 quantities=kinds)  # fmt: skip
        # in name order: the first column whose dates fail is the same on every run
        formats = {c: self._format(c).spec for c in sorted(self.date_columns)}
        stamp = stamp_format(self.columns, self._format)  # typed as the dates are: no regex
        if stamp is not None:
            formats.setdefault(self.columns["modified_date"], stamp.spec)
        tables = [typed(t, numbers, decimal, formats) for t in self.tables]
        source = ", ".join(t.name for t in self.tables)
        # report footers (`Generated By:`, a company's name) fill only the first cell: without
        # dates they count in no variable; summary rows (`Subtotal`, `Grand Totals (16
        # records)`, `Sum of Amount`) are left out by the tables (`CrmTable`)
        scan = Scan(tables, request.grain, request.calendar, request.start, request.end, source)
        day = {c: scan.read(c, Reader("date", fmt=self._format(c))) for c in self.date_columns}
        self._texts = mapped_texts(self.layout, mapped.values())  # `_crm_cells`: a NUL in them
        if self._texts:  # (stages and segments' labels cost nothing per row)
            scan.check("nul", "count", scan.row(partial(nul_sql, self._texts)))
        klass, stage = "NULL", "''"
        if "stage" in self.columns:
            # the stage as written, trimmed only on the rows the sampled stages leave (a trim
            # copies every cell): the class, then the checks of unclassed deals, read it
            named = self.columns["stage"]
            written = scan.row(partial(_as_text, named))
            stage = trimmed_sql(written, "")
            klass = scan.derive(
                self._class_sql(lambda c: stage if c == named else scan.text(c), written)
            )
        workspace = self.config.currency or ""
        held = Reader("number", decimal, quantity="amount")  # `45%` is no amount: an error
        value = scan.read(amount, held, workspace) if amount else "NULL"
        # the records (and amounts) a `Grand Totals (5 records)` row states (`_crm_totals`)
        self._stated = stated_checks(scan, tables, value, amount, decimal, workspace)
        roles: dict[tuple[str, str], dict[str, Any]] = {}
        for variable in derived:
            if variable in STOCKS or variable == OPEN:
                continue
            column = self._column(DAY_ROLE[variable])
            stage_day = self._stage_day(variable, day)  # else a later stage's (`_crm_contacts`)
            if stage_day:
                column = f"{variable}:{column}"
                day = {**day, column: stage_day}
            where = f"{klass} IN ('won', 'lost')" if variable in CLOSED else "TRUE"
            if variable == "churned_customers":
                where = f"{day[self.columns['became_customer_date']]} IS NOT NULL"
            sql = self._measure(variable, klass, value, day)
            roles.setdefault((column, where), {})[variable] = (sql, wanted[variable])
        for variable, mapping in mapped.items():
            held = Reader("number", decimal, quantity=request.quantities.get(variable, ""))
            column, where = self._mapped_date(mapping), "TRUE"
            if variable in kept:  # the built-in meaning, filtered (`_crm_mapped`)
                column = self._column("close_date") if not mapping.date else column
                where = f"{klass} = '{kept[variable]}'"
            if variable in kept and mapping.count:  # the built-in measure on those rows
                rows = scan.rows({require(self.layout, c): vs for c, vs in mapping.where.items()},
                                 mapping.present and require(self.layout, mapping.present),
                                 mapping.location)  # fmt: skip
                measure = self._measure(variable, klass, value, day)
                sql = f"(CASE WHEN {rows} THEN {measure} ELSE 0.0 END)"
            else:
                sql = self._mapping_sql(scan, mapping, held, workspace, wanted[variable].time)
            self._check_stock_mapping(mapping, column, wanted[variable])  # `_crm_pipeline`
            roles.setdefault((column, where), {})[variable] = (sql, wanted[variable])
        if "create_date" in self.columns and any(
            v in CLOSED and wanted[v].time == "sum" for v in [*derived, *kept]
        ):  # the segments of every deal: closed variables are 0 where none closed
            roles.setdefault((self.columns["create_date"], "TRUE"), {})[DEALS] = ("1.0", SUM)
        anchor = self.columns.get("create_date") or self.columns.get("became_lead_date")
        counts = [v for v, a in wanted.items() if a.time == "sum" and v not in STOCKS]
        if (
            self.object == "contacts"
            and anchor
            and counts
            and set(request.dimensions) & set(self.dims)
        ):
            # the segments of every contact: a count is 0 in those where none reached its stage
            roles.setdefault((anchor, "TRUE"), {})[CONTACTS] = ("1.0", SUM)
        if any(v in STOCKS for v in derived):
            became = day[self.columns["became_customer_date"]]
            rule = wanted.get("customers_at_end") or wanted["customers_at_start"]
            scan.role(became, {"__won": ("1.0", rule)}, daily=True)
            if "churn_date" in self.columns:
                churn = day[self.columns["churn_date"]]
                scan.role(churn, {"__lost": ("1.0", rule)}, f"{became} IS NOT NULL", daily=True)
        for (column, where), measures in roles.items():
            if measures:
                scan.role(day[column], measures, where)
        dated = sorted({c for c, _ in roles})
        if OPEN in derived:
            self._open_roles(scan, klass, day, wanted[OPEN])
        if any(v in CLOSED or v == OPEN for v in [*derived, *kept]):
            dates = [self.columns[r] for r in ("close_date", "create_date") if r in self.columns]
            # a row without any date is no deal (a footer such as a company's name); the rest
            # is tested on unclassed rows only (a CASE), the stage trimmed on those alone
            has_date = " OR ".join(f"{day[c]} IS NOT NULL" for c in dates)
            deal = f"CASE WHEN {klass} IS NULL THEN ({has_date})"
            self._unknown = f"{deal} AND {stage} <> '' END"
            scan.check("unknown", "count", self._unknown)
            # a deal without a stage: a grouped report's row (`_raise_no_stage`)
            scan.check("no_stage", "count", f"{deal} AND {stage} = '' END")
            self._closed_checks(scan, measured | set(kept), klass, day, value)
        self._customer_checks(scan, set(derived), day)
        span_checks(scan, self.object, self.columns, klass, day, stamp)
        code = self._code_column()
        if amount and code:
            scan.check("code_min", "min", f"nullif(upper({scan.text(code)}), '')")
            scan.check("code_max", "max", f"nullif(upper({scan.text(code)}), '')")
        for dim in request.dimensions:
            if dim in self.dims:
                renames = self.config.dimension_values.get(dim)
                scan.dimension(dim, scan.text(self.dims[dim], empty=NONE), renames)
        return scan, dated, klass

    def _measure(self, variable: str, klass: str, value: str, day: dict[str, str]) -> str:
        """A derived variable's value on a row."""
        if variable in ("deals_won", "deals_lost"):
            won = "won" if variable == "deals_won" else "lost"
            return f"(CASE WHEN {klass} = '{won}' THEN 1.0 ELSE 0.0 END)"
        if variable == "revenue":
            return f"(CASE WHEN {klass} = 'won' THEN coalesce({value}, 0.0) ELSE 0.0 END)"
        if variable == "deals_won_with_amount":  # the deals the revenue is the amounts of
            return f"(CASE WHEN {klass} = 'won' AND {value} IS NOT NULL THEN 1.0 ELSE 0.0 END)"
        if variable == "sales_cycle_days":
            create = day[self.columns["create_date"]]
            close = day[self.columns["close_date"]]
            days = f"CAST(date_diff('day', {create}, {close}) AS DOUBLE)"
            return f"(CASE WHEN {klass} = 'won' THEN {days} ELSE 0.0 END)"
        return "1.0"  # a count by the variable's date

    def _mapped_date(self, mapping: Mapping) -> str:
        if mapping.date:
            return require(self.layout, mapping.date, "date column")
        for role in ("date", "create_date"):
            if role in self.columns:
                return self.columns[role]
        raise KpiError(
            f"source `{self.config.name}`: `{mapping.variable}` is mapped but the export has no "
            "create date to count it by",
            mapping.location,
            "name the date column with `columns: {date: COLUMN}`, or `date:` in the mapping",
        )

    def _mapping_sql(
        self, scan: Scan, mapping: Mapping, number: Reader, workspace: str, time: str
    ) -> str:
        condition = scan.rows(
            {require(self.layout, c): vs for c, vs in mapping.where.items()},
            mapping.present and require(self.layout, mapping.present),
            mapping.location,
        )
        if mapping.count:
            return f"(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END)"
        if mapping.distinct is not None:
            text = scan.text(require(self.layout, mapping.distinct))
            return f"(CASE WHEN {condition} AND {text} <> '' THEN {text} END)"
        assert mapping.column is not None  # sourceconfig: `column:`, `count:` or `distinct:`
        if mapping.currency and workspace and mapping.currency.upper() != workspace.upper():
            raise KpiError(
                f"`{mapping.variable}` is in {mapping.currency} but the workspace currency is "
                f"{workspace}",
                mapping.location,
                "convert it first, or set the workspace `currency:` to match",
            )
        column = require(self.layout, mapping.column)
        value = scan.read(column, number, mapping.currency or workspace)
        if mapping.scale != 1.0:
            value = f"({value} * {mapping.scale!r})"
        return where_value(condition, value, time) if mapping.where else value


def _as_text(column: str, table: FileTable) -> str:
    """A column's cells as text, as written (a typed column cast to VARCHAR)."""
    return as_text(column, table.type_of(column))


@hookimpl(trylast=True)
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(CrmConnector)
