"""`kpi export osi|metricflow` of a workspace with a fiscal year (or Sunday weeks).

With `fiscal_year_start: 4`, kpiengine's `ytd(x)` in April 2024 is April alone (FY2025 starts
then) and its quarters run April-June...; with 2, they run February-April... The OSI export
wrote every window over calendar periods (`PARTITION BY DATE_TRUNC('YEAR', month)`: January to
April), and left `fiscal_year_start` out of the settings it keeps, so importing the document gave
a calendar workspace. It now partitions by the fiscal year (`DATE_TRUNC('YEAR', month - INTERVAL
'3' MONTH) + INTERVAL '3' MONTH`) and keeps the calendar. MetricFlow's `grain_to_date: year` is
the calendar year, and dbt-semantic-interfaces refuses a custom granularity (a time spine's fiscal
year) there: a fiscal `ytd` (and a `qtd` whose quarters are not calendar ones) is listed as not
exported. At a weekly grain kpiengine puts a week in the year of its Thursday (2025-W01, from
Monday 30 December 2024, starts 2025's year to date); the OSI export partitioned by its Monday's.

Expected values are computed by hand below from the rows the test writes.
"""

import datetime as dt

import duckdb
import pytest
import sqlglot
import yaml
from test_metricflow_export_windows import _issues, _manifest_documents

import kpiengine
from kpiengine.interop.metricflow import import_metricflow
from kpiengine.interop.metricflow_export import export_metricflow
from kpiengine.interop.osi import import_osi
from kpiengine.interop.osi_export import export_osi, osi_yaml
from kpiengine.interop.writer import write_workspace

KPIS = """\
variables:
  revenue: {unit: currency, aggregate: sum}
kpis:
  revenue_ytd: {title: Revenue YTD, formula: ytd(revenue), unit: currency}
  revenue_qtd: {title: Revenue QTD, formula: qtd(revenue), unit: currency}
  revenue_mtd: {title: Revenue MTD, formula: mtd(revenue), unit: currency}
  revenue_3: {title: Revenue 3 periods, formula: "rolling(revenue, 3)", unit: currency}
  ytd_share: {title: YTD share, formula: revenue / revenue_ytd, unit: ratio}
"""


def _monthly_rows() -> list[tuple[dt.date, str, float]]:
    """Two rows a month from January 2023 to December 2024 (month i: north i+1, south 2(i+1))."""
    rows = []
    for i in range(24):
        year, month = 2023 + i // 12, i % 12 + 1
        rows += [(dt.date(year, month, 1), "north", i + 1.0)]
        rows += [(dt.date(year, month, 28), "south", 2.0 * (i + 1))]
    return rows


def _workspace(tmp_path, rows, settings: str, grain: str = "month"):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "data").mkdir()
    text = "day,region,amount\n" + "".join(f"{d},{r},{a}\n" for d, r, a in rows)
    (root / "data" / "sales.csv").write_text(text, encoding="utf-8")
    (root / "kpi.yaml").write_text(
        f"""name: fiscal
grain: {grain}
{settings}
sources:
  sales:
    connector: sql
    url: duckdb://
    files: {{sales: data/sales.csv}}
    table: sales
    date: day
    dimensions: {{region: region}}
    map:
      revenue: amount
""",
        encoding="utf-8",
    )
    (root / "definitions" / "k.yaml").write_text(KPIS, encoding="utf-8")
    ws = kpiengine.load_workspace(root)
    assert not ws.errors, [f.format() for f in ws.errors]
    return root


def _values(root, grain="month") -> dict[tuple[str, dt.date], float]:
    """(KPI, first day of the period) -> kpiengine's total, where it has one."""
    ws = kpiengine.load_workspace(root)
    records = kpiengine.evaluate(ws, grain=grain).records()
    return {
        (r["kpi"], ws.calendar.parse_label(r["period"])[1]): r["value"]
        for r in records
        if not r["segment"] and r["value"] is not None and r["kpi"] in _KPI_NAMES
    }


_KPI_NAMES = {"revenue_ytd", "revenue_qtd", "revenue_mtd", "revenue_3", "ytd_share"}


def _by_hand(rows, fiscal_start: int) -> dict[tuple[str, dt.date], float]:
    """Each month's windows from the rows, in a year starting in month `fiscal_start`: defined
    where the window starts on or after the data's first month (January 2023)."""
    months: dict[int, float] = {}
    for day, _, amount in rows:
        index = day.year * 12 + day.month - 1
        months[index] = months.get(index, 0.0) + amount
    first, out = min(months), {}
    for index, total in months.items():
        month = index % 12 + 1
        starts = {
            "revenue_ytd": index - (month - fiscal_start) % 12,
            "revenue_qtd": index - (month - fiscal_start) % 3,
            "revenue_mtd": index,
            "revenue_3": index - 2,
        }
        day = dt.date(index // 12, month, 1)
        for kpi, start in starts.items():
            if start >= first:
                out[kpi, day] = sum(months[i] for i in range(start, index + 1))
        if ("revenue_ytd", day) in out:
            out["ytd_share", day] = total / out["revenue_ytd", day]
    return out


def _osi_values(document, csv) -> dict[tuple[str, dt.date], float]:
    """Each metric's SQL run in DuckDB over the dataset's fields, grouped by the period its
    window orders by (the period of the workspace's grain, in its calendar)."""
    [semantic] = document["semantic_model"]
    [dataset] = semantic["datasets"]
    fields = ", ".join(
        f"{f['expression']['dialects'][0]['expression']} AS {f['name']}" for f in dataset["fields"]
    )
    out = {}
    for metric in semantic["metrics"]:
        sql = metric["expression"]["dialects"][0]["expression"]
        window = sqlglot.parse_one(sql).find(sqlglot.exp.Window)
        period = window.args["order"].expressions[0].this.sql()
        query = (
            f"SELECT CAST({period} AS DATE), {sql} "
            f"FROM (SELECT {fields} FROM read_csv('{csv}')) AS sales GROUP BY {period}"
        )
        for day, value in duckdb.sql(query).fetchall():
            out[metric["name"], day] = value
    return out


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-15")


def _fiscal(tmp_path, start: int, grain: str = "month"):
    return _workspace(tmp_path, _monthly_rows(), f"fiscal_year_start: {start}", grain)


@pytest.mark.parametrize("start", [4, 2])
def test_kpiengines_windows_follow_the_fiscal_year(tmp_path, start):
    root = _fiscal(tmp_path, start)
    assert _values(root) == pytest.approx(_by_hand(_monthly_rows(), start))
    # the calendar's windows are other numbers: April 2024 (start 4) is April alone, not Jan-Apr
    calendar = _by_hand(_monthly_rows(), 1)
    april = ("revenue_ytd", dt.date(2024, 4, 1))
    assert _by_hand(_monthly_rows(), start)[april] != calendar[april]


@pytest.mark.parametrize("start", [4, 2])
def test_osi_windows_are_the_fiscal_ones(tmp_path, start):
    root = _fiscal(tmp_path, start)
    document, notes = export_osi(kpiengine.load_workspace(root), own_only=True)
    sql = {
        m["name"]: m["expression"]["dialects"][0]["expression"]
        for m in document["semantic_model"][0]["metrics"]
    }
    assert (
        f"DATE_TRUNC('YEAR', DATE_TRUNC('MONTH', sales.day) - INTERVAL '{start - 1}' MONTH)"
        in (sql["revenue_ytd"])
    )
    ours = _values(root)
    theirs = _osi_values(document, root / "data" / "sales.csv")
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value), key
    assert len(ours) > 80
    why = {n.name: n.reason for n in notes}
    assert f"years from month {start}" in why["revenue_ytd"]


def test_osi_fiscal_quarters_at_a_quarterly_grain(tmp_path):
    """Quarters from February: the SQL orders by the fiscal quarter (Feb-Apr...) and adds up
    each fiscal year's quarters, as kpiengine does."""
    root = _fiscal(tmp_path, 2, grain="quarter")
    document, _ = export_osi(kpiengine.load_workspace(root), own_only=True)
    ours = _values(root, grain="quarter")
    # by hand (month i of the data, from January 2023, adds up to 3(i+1)): FY2024 runs from
    # February 2023 to January 2024, its second quarter from May to July 2023
    by_hand = {
        ("revenue_qtd", dt.date(2023, 5, 1)): 3.0 * (5 + 6 + 7),
        ("revenue_ytd", dt.date(2023, 5, 1)): 3.0 * (2 + 3 + 4 + 5 + 6 + 7),
        ("revenue_ytd", dt.date(2023, 8, 1)): 3.0 * sum(range(2, 11)),
        ("revenue_ytd", dt.date(2024, 2, 1)): 3.0 * (14 + 15 + 16),  # FY2025's first quarter
    }
    assert ("revenue_ytd", dt.date(2022, 11, 1)) not in ours  # FY2023 began before the data
    theirs = _osi_values(document, root / "data" / "sales.csv")
    for key, value in by_hand.items():
        assert ours[key] == pytest.approx(value), key
        assert theirs[key] == pytest.approx(value), key
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value), key


def test_osi_round_trip_keeps_the_fiscal_year(tmp_path):
    root = _fiscal(tmp_path, 4)
    document, _ = export_osi(kpiengine.load_workspace(root), own_only=True)
    path = tmp_path / "model.osi.yaml"
    path.write_text(osi_yaml(document), encoding="utf-8")
    back = write_workspace(import_osi(path), tmp_path / "back")
    (back / "data").mkdir(exist_ok=True)
    (back / "data" / "sales.csv").write_bytes((root / "data" / "sales.csv").read_bytes())
    settings = yaml.safe_load((back / "kpi.yaml").read_text(encoding="utf-8"))
    assert settings["fiscal_year_start"] == 4
    assert _values(back) == pytest.approx(_by_hand(_monthly_rows(), 4))


def test_osi_round_trip_keeps_sunday_weeks(tmp_path):
    root = _workspace(tmp_path, _monthly_rows(), "week_start: sunday")
    document, _ = export_osi(kpiengine.load_workspace(root), own_only=True)
    path = tmp_path / "model.osi.yaml"
    path.write_text(osi_yaml(document), encoding="utf-8")
    settings = yaml.safe_load(
        (write_workspace(import_osi(path), tmp_path / "back") / "kpi.yaml").read_text("utf-8")
    )
    assert settings["week_start"] == "sunday" and "fiscal_year_start" not in settings


def _mf(root, out):
    _, notes = export_metricflow(kpiengine.load_workspace(root), out, own_only=True)
    metrics = yaml.safe_load((out / "metrics.yml").read_text(encoding="utf-8"))["metrics"]
    return {m["name"]: m for m in metrics}, {(n.name, n.kind): n.reason for n in notes}


def test_metricflow_lists_a_fiscal_ytd_as_not_exported(tmp_path):
    root = _fiscal(tmp_path, 4)
    metrics, why = _mf(root, tmp_path / "mf")
    assert "revenue_ytd" not in metrics and "ytd_share" not in metrics
    assert not [m for m in metrics.values() if m.get("grain_to_date") == "year"]
    reason = why["revenue_ytd", "KPI"]
    assert reason.startswith("not exported: `ytd` runs from the start of the fiscal year")
    assert "`fiscal_year_start: 4`" in reason and "custom granularity" in reason
    assert why["ytd_share", "KPI"] == "not exported: it reads `revenue_ytd`, not exported"
    # April's quarters are calendar ones: MetricFlow's quarter to date is kpiengine's qtd
    [qtd] = [m for m in metrics.values() if m.get("grain_to_date") == "quarter"]
    assert metrics["revenue_qtd"]["type_params"]["metrics"] == [{"name": qtd["name"]}]
    calendar, ours = _by_hand(_monthly_rows(), 1), _values(root)
    for key, value in ours.items():
        if key[0] == "revenue_qtd":
            assert calendar[key] == pytest.approx(value), key
    assert {"revenue_mtd", "revenue_3"} <= set(metrics)
    model = import_metricflow(tmp_path / "mf")
    assert model.kpis["revenue_qtd"].formula == "qtd(revenue)"
    assert "revenue_ytd" not in model.kpis
    assert _issues(_manifest_documents(tmp_path / "mf"), True) == []


def test_metricflow_lists_a_qtd_of_other_quarters_as_not_exported(tmp_path):
    root = _fiscal(tmp_path, 2)
    metrics, why = _mf(root, tmp_path / "mf")
    assert not [m for m in metrics.values() if m.get("grain_to_date") in ("year", "quarter")]
    assert "revenue_mtd" in metrics
    assert "fiscal quarter" in why["revenue_qtd", "KPI"]
    # kpiengine's qtd in May 2024 is May alone (Feb-Apr was the last quarter); MetricFlow's Apr-May
    assert _values(root)["revenue_qtd", dt.date(2024, 5, 1)] == pytest.approx(3.0 * 17)
    assert _by_hand(_monthly_rows(), 1)["revenue_qtd", dt.date(2024, 5, 1)] == 3.0 * (16 + 17)


def test_metricflow_refuses_a_fiscal_year_as_grain_to_date(tmp_path):
    """Why the export does not write one: a time spine's custom granularity is refused there."""
    root = _fiscal(tmp_path, 1)
    metrics, _ = _mf(root, tmp_path / "mf")
    assert metrics["revenue_ytd_window"]["grain_to_date"] == "year"  # a calendar year: exported
    docs = _manifest_documents(tmp_path / "mf").split("\n---\n")
    text = "\n---\n".join(d for d in docs if "project_configuration" not in d)
    assert "grain_to_date: year" in text
    text = text.replace("grain_to_date: year", "grain_to_date: fiscal_year")
    spine = {
        "node_relation": {"alias": "time_spine", "schema_name": "analytics"},
        "primary_column": {"name": "date_day", "time_granularity": "day"},
        "custom_granularities": [{"name": "fiscal_year", "column_name": "fiscal_year"}],
    }
    text += "\n---\n" + yaml.safe_dump({"project_configuration": {"time_spines": [spine]}})
    assert any("Custom granularities are not supported" in i for i in _issues(text, False))


def _daily_rows() -> list[tuple[dt.date, str, float]]:
    """One row a day from 2 December 2024 to 26 January 2025, amount = day of the month."""
    day, rows = dt.date(2024, 12, 2), []
    while day <= dt.date(2025, 1, 26):
        rows.append((day, "north" if day.day % 2 else "south", float(day.day)))
        day += dt.timedelta(days=1)
    return rows


@pytest.mark.parametrize("week_start", ["monday", "sunday"])
def test_osi_weekly_ytd_runs_in_the_year_of_the_weeks_thursday(tmp_path, week_start, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-02-10")
    root = _workspace(tmp_path, _daily_rows(), f"week_start: {week_start}", grain="week")
    document, _ = export_osi(kpiengine.load_workspace(root), own_only=True)
    ours = _values(root, grain="week")
    first = dt.date(2024, 12, 30) if week_start == "monday" else dt.date(2024, 12, 29)
    # by hand: 2025's first week holds its Thursday, 2 January; its year to date is that week
    week = [first + dt.timedelta(days=i) for i in range(7)]
    assert ours["revenue_ytd", first] == pytest.approx(sum(d.day for d in week))
    theirs = _osi_values(document, root / "data" / "sales.csv")
    compared = 0
    for key, value in ours.items():  # the weeks the data covers whole
        if key[1] + dt.timedelta(days=6) <= dt.date(2025, 1, 26):
            assert theirs[key] == pytest.approx(value), key
            compared += 1
    assert compared >= 10
