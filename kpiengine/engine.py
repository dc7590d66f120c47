"""One run's context: a workspace, its plugin manager (built once), and the run's caches.

The command line builds one `Engine` per command; API users get one from
`kpiengine.evaluate(ws, ...)` or build their own to share it across calls:

    >>> engine = Engine(kpiengine.load_workspace("examples/sample"))
    >>> results = engine.evaluate(by=["channel"])
    >>> report = engine.lint()

The pipeline runs one way: plan (`kpiengine.plan`), fetch (`kpiengine.sources`), evaluate
(`kpiengine.evaluation`, pure), then checks, analysis and outputs over the results.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .connector import NoDailyValues
from .errors import Finding, KpiError, sort_findings
from .evaluation import Results, in_progress
from .evaluation import evaluate as evaluate_plan
from .model import Workspace
from .periods import RANGE
from .plan import Plan, daily_plan, make_plan
from .plugins import PluginManager, Registered, registered
from .runcache import RunCache
from .sources import FrameInput, Inputs, NoData, OnlyRange, Sources
from .table import Frame, InputTable
from .today import today, unknown_past_cut

if TYPE_CHECKING:
    import jinja2

    from .analysis.expand import Context
    from .lint import LintReport

Data = Frame | str | Path | None


class Engine:
    """A workspace with the plugins and caches of one run; see the module docstring."""

    def __init__(self, workspace: Workspace, plugins: PluginManager | None = None):
        self.workspace = workspace
        self._plugins = plugins
        self.cache = RunCache()
        self._inputs: dict[object, Inputs] = {}
        self.on_source: Callable[[str], None] | None = None  # told as each source is read

    @cached_property
    def plugins(self) -> PluginManager:
        """The run's plugin manager: built-in connectors, installed packages, then workspace
        plugins; the built-in checks join when `checks` is first asked for."""
        pm = self._plugins or PluginManager()
        pm.load_builtins(checks=False, connectors=self._named)
        pm.load_entry_points()
        pm.load_workspace(self.workspace.root)
        return pm

    @property
    def _named(self) -> set[str]:
        """The connectors the workspace's sources name (`csv` for a `data:` or `--data` file)."""
        return {"csv", *(s.connector for s in self.workspace.settings.sources)}

    @cached_property
    def connectors(self) -> dict[str, Registered]:
        """The registered connectors by name: every plugin's, and the built-ins the sources name
        (`every_connector` for all)."""
        return registered(self.plugins, "register_connectors")

    def every_connector(self) -> dict[str, Registered]:
        """Every registered connector by name, the built-ins no source names included."""
        self.plugins.load_builtins(checks=False)
        return registered(self.plugins, "register_connectors")

    @cached_property
    def checks(self) -> list[Registered]:
        """Every registered check, sorted by code (a plugin's check replaces a built-in one)."""
        self.plugins.load_builtins(connectors=self._named)
        found = registered(self.plugins, "register_checks")
        return sorted(found.values(), key=lambda r: r.obj.code)

    def inputs(self, data: Data = None) -> Inputs:
        """Where the variables come from: `data` (a Frame or a CSV path), else the sources;
        opened once per run."""
        if isinstance(data, Frame):
            return FrameInput(data, self.workspace)
        key = str(data) if data is not None else None
        if key not in self._inputs:
            broken = self.plugins.broken.values()
            self._inputs[key] = Sources(self.workspace, self.connectors, data, broken)
        return self._inputs[key]

    def plan(
        self,
        data: Data = None,
        *,
        grain: str | None = None,
        by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        kpis: list[str] | None = None,
        window: str | None = None,
    ) -> Plan:
        """What `evaluate` with these arguments would compute and ask the sources for."""
        inputs = self.inputs(data)
        try:
            return make_plan(self.workspace, inputs.available, kpis, grain, by, start, end, window)
        except KpiError as exc:  # nothing to evaluate: the sources that failed are why, if any
            failed = [f.finding for f in inputs.failures]
            if not failed:
                unread = [u for s in inputs.opened if (u := s.connector.unread()) is not None]
                if unread:  # headers a source does not know may be the inputs missing
                    raise KpiError(
                        f"{exc.message}; source {unread[0].message}",
                        unread[0].location,
                        unread[0].fix,
                    ) from None
                raise
            text = "; ".join(f.message for f in failed)
            raise KpiError(
                f"no KPI can be evaluated: {text}", failed[0].location, failed[0].fix
            ) from None

    def evaluate(
        self,
        data: Data = None,
        *,
        grain: str | None = None,
        by: Sequence[str] = (),
        start: dt.date | None = None,
        end: dt.date | None = None,
        kpis: list[str] | None = None,
        window: str | None = None,
    ) -> Results:
        """Evaluate the chosen KPIs for every period and segment (and the total).

        `data` is a Frame, a CSV path, or None for the sources listed in kpi.yaml; `window`
        (`ytd`, `qtd`, `mtd`, `rolling:N`) evaluates every KPI over that window. A period
        outside the data is a KpiError naming the data's range.
        """
        plan = self.plan(data, grain=grain, by=by, start=start, end=end, kpis=kpis, window=window)
        try:
            table = self.fetch(plan, data)
        except OnlyRange as only:  # undated exports of one range: that range is the period
            plan, table = self._range(plan, data, only.span)
        except NoData:
            if not (start or end):
                raise
            whole = self.fetch(
                dataclasses.replace(plan, start=None, end=None, fetch_start=None), data
            )
            raise self._outside(whole) from None
        paced = in_progress(table)
        days = daily_plan(plan, table) if paced else None
        daily = None
        # distinct counts have no daily values to project: nothing to fetch when only they are read
        if days is not None and days.variables:
            try:
                daily = self.fetch(days, data)
            except OnlyRange as only:
                # the partial period is an undated export's range, which has no days to compare
                # or project: when it is all the data, it is that range, one complete period
                # (labelled by its dates); beside other periods it is left unprojected
                # (unless the run is cut inside it: its files after the cut are left out)
                cut = min(today(), plan.end or dt.date.max)
                if table.n_periods == 1 and only.span[1] <= cut:
                    plan, table = self._range(plan, data, only.span)
            except (NoDailyValues, NoData):  # no source has days (a Meta row of 1-14 Feb)
                daily = None
        # months reaching past `--to` or today, as the source's own rows say (distinct counts
        # too, never asked by day), unless the source had the days to cut them at
        dated = set(days.variables) - set(daily.missing) if days and daily is not None else set()
        unknown_past_cut(table, set(table.past_cut) - dated)
        results = evaluate_plan(plan, table, daily)
        if daily is not None and daily.missing:
            _unprojected(results, set(daily.missing))
        _projected_where_known(results)
        if (start or end) and not results.selected and table.n_periods:
            raise self._outside(table)
        return results

    def _range(
        self, plan: Plan, data: Data, span: tuple[dt.date, dt.date]
    ) -> tuple[Plan, InputTable]:
        """The plan and table of one `range` period: the dates of undated exports."""
        calendar = plan.calendar.for_range(*span)
        plan = dataclasses.replace(plan, grain=RANGE, calendar=calendar, fetch_start=None)
        return plan, self.fetch(plan, data)

    @staticmethod
    def _outside(table: InputTable) -> KpiError:
        labels = table.labels
        return KpiError(
            f"no data in the periods asked for: the data covers {labels[0]} to {labels[-1]}",
            fix=f"choose periods from {labels[0]} to {labels[-1]}",
        )

    def fetch(self, plan: Plan, data: Data = None) -> InputTable:
        """The input table the plan asks for, from `data` or the sources."""
        inputs = self.inputs(data)
        if isinstance(inputs, Sources):
            inputs.on_source = self.on_source
        with self.cache:
            return inputs.fetch(plan)

    def lint(
        self,
        data: Data | bool = None,
        *,
        results: Results | list[Results] | None = None,
        by: list[str] | None = None,
        kpis: list[str] | None = None,
        coverage: dict[str, tuple[dt.date, dt.date]] | None = None,
    ) -> LintReport:
        """Run every registered check: static ones always, data ones on `results` or on `data`
        (True: the workspace's sources) evaluated here; `coverage` gives the dates each
        variable's data covers (default: what the results tell)."""
        from .lint import lint, report_dimension_findings  # noqa: PLC0415 - runs that lint
        from .lintdata import data_for_lint  # noqa: PLC0415

        extra: list[Finding] = []
        if results is None and data is not None and data is not False:
            source = None if data is True else data
            counts = self.inputs(source).dimension_counts()
            extra = report_dimension_findings(self.workspace, counts)
            try:
                results, coverage = data_for_lint(self.evaluate, counts, source, by)
            except KpiError:
                if not self.workspace.errors:
                    raise
                # nothing to evaluate because of definition errors: report those, located
                results, coverage = None, None
        found = [results] if isinstance(results, Results) else list(results or [])
        report = lint(self.workspace, self.checks, found, coverage, kpis)
        report.findings = sort_findings([*report.findings, *extra])
        return report

    def context(
        self,
        kpis: list[str],
        data: Data = None,
        *,
        grain: str | None = None,
        by: Sequence[str] = (),
    ) -> Context:
        """The inputs of `kpis` for analysis; KpiError when the data lacks some of them."""
        from .analysis.expand import context_of, resolve_kpi  # noqa: PLC0415
        from .checks.runtime import MissingInput  # noqa: PLC0415

        kpis = [resolve_kpi(self.workspace, k) for k in kpis]
        results = self.evaluate(data, grain=grain, by=by, kpis=kpis)
        problems = [f.message for f in results.findings if f.code == MissingInput.code]
        if problems:
            raise KpiError("; ".join(problems))
        return context_of(results)

    def prepare_environment(self, env: jinja2.Environment) -> None:
        """Let plugins add filters and globals to a report's Jinja2 environment."""
        self.plugins.hook.prepare_jinja2_environment(env=env)


def _unprojected(results: Results, undated: set[str]) -> None:
    """No projection for the KPIs with an input the daily data lacks (an undated export's,
    monthly rows, a failed source's): the projection would add none of it for the days left.
    Beside inputs to date, such an input (the whole month's or the month so far: no day says)
    leaves the partial period unjudged: CAC from a whole month's costs over 18 days' customers
    is no CAC."""
    for result in results.kpis.values():
        inputs = results.workspace.inputs_of(result.kpi.id)
        if inputs & undated:
            result.projection = None
            if inputs - undated:
                result.undated = tuple(sorted(inputs & undated))


def _projected_where_known(results: Results) -> None:
    """No projection for a segment whose value to date is undefined (a source that cannot
    split its input by the dimension): the value it would end at does not exist either."""
    for result in results.kpis.values():
        p, projected = result.partial, result.projection
        if p is not None and projected is not None and np.isnan(result.values[p]).any():
            unknown = np.isnan(result.values[p])
            result.projection = dataclasses.replace(
                projected,
                value=np.where(unknown, np.nan, projected.value),
                low=np.where(unknown, np.nan, projected.low),
                high=np.where(unknown, np.nan, projected.high),
                draws=np.where(unknown, np.nan, projected.draws),
            )


def evaluate(workspace: Workspace, data: Data = None, **options: Any) -> Results:
    """Evaluate a workspace in a run of its own (see `Engine.evaluate` for the options)."""
    return Engine(workspace).evaluate(data, **options)


def load_context(
    workspace: Workspace,
    kpis: list[str],
    data: Data = None,
    *,
    grain: str | None = None,
    by: Sequence[str] = (),
) -> Context:
    """The analysis context of `kpis` in a run of its own (see `Engine.context`)."""
    return Engine(workspace).context(kpis, data, grain=grain, by=by)
