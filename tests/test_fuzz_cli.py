"""Random YAML, CSV, formulas and command lines: exit code 0, 1 or 2, never a traceback.

The `kpi` command runs in-process (click's CliRunner). Dates stay between 1990 and 2040: periods
at the edges of the calendar belong to the periods module's own tests.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secretguard import contains_secret

from kpiengine.cli import cli

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

NAMES = ["revenue", "marketing_cost", "new_customers", "sessions", "x", "roi", "prev(revenue)"]
NUMBERS = ["0", "1", "2.5", "-3", "1e308", "1e-320", "1e400", "0.123456789", "1e-300", "100"]
TOKENS = [*NAMES, *NUMBERS, "+", "-", "*", "/", "**", "(", ")", ",", "sqrt(", "exp(", "log(",
          "min(", "max(", "abs(", "last_year(", " "]  # fmt: skip
soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join)
well_formed = st.recursive(
    st.sampled_from(["revenue", "marketing_cost", "new_customers", *NUMBERS]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" + ", " - ", " * ", " / ", " ** "]), inner).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"
        ),
        st.tuples(st.sampled_from(["sqrt", "exp", "log", "abs", "prev", "last_year"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
    ),
    max_leaves=6,
)
formulas = st.one_of(soup, well_formed, well_formed, well_formed)

YAML_BITS = [
    "&a ", "*a", "<<: *a", "[", "]", "{", "}", ": ", "\n  ", "\n", "- ", "'", '"', "#",
    "9" * 400, "2024-02-30", ".inf", ".nan", "true", "null", "x", "unit", "formula", "target",
    "${KPI_PLANTED_SECRET}", "!!python/object:os.system", "%", "@", "\t",
]  # fmt: skip
yaml_noise = st.lists(st.sampled_from(YAML_BITS), max_size=15).map("".join)

UNITS = ["currency", "ratio", "customers", "sessions", "currency / customers", "dollarz", "1"]
TARGETS = ["0.3", "{2024-06: 0.4}", "{annual: 1000, split: even}", "{2024-02-30: 1}", ".nan",
           "[1]", "abc", "{annual: {2024: 1e400}}", "{9999: 1}"]  # fmt: skip

odd_cells = st.sampled_from(["-4", "", "nan", "abc", "1e400", '"1,234.5"', "(12)", "0", "1e-320"])
numbers = st.one_of(st.integers(0, 10_000).map(str), st.floats(0, 1e6).map(repr))
cells = st.one_of(numbers, odd_cells)
days = st.dates(min_value=__import__("datetime").date(1990, 1, 1),
                max_value=__import__("datetime").date(2040, 12, 31)).map(str)  # fmt: skip
recent = st.dates(min_value=__import__("datetime").date(2023, 1, 1),
                  max_value=__import__("datetime").date(2024, 12, 31)).map(str)  # fmt: skip
dates = st.one_of(recent, days, st.sampled_from(["2024-13-01", "junk", ""]))


@st.composite
def csv_text(draw) -> str:
    extra = draw(st.lists(st.sampled_from(["new_customers", "sessions", "channel", "uid"]),
                          max_size=3, unique=True))  # fmt: skip
    columns = ["date", "revenue", "marketing_cost", *extra]
    if draw(st.integers(0, 9)) == 9:  # rarely: hypothesis starts from 0
        columns.remove(draw(st.sampled_from(columns)))
    odd = draw(st.integers(0, 3)) == 3  # one file in four has odd dates and cells
    rows = [",".join(columns)]
    for _ in range(draw(st.integers(0 if odd else 1, 14))):
        row = [draw(dates if odd else recent)] if "date" in columns else []
        for column in [c for c in columns if c != "date"]:
            row.append(draw(st.sampled_from(["a", "b", "Email"])) if column in ("channel", "uid")
                       else draw(cells if odd else numbers))  # fmt: skip
        rows.append(",".join(row))
    return "\n".join(rows) + "\n"


@st.composite
def definitions(draw) -> str:
    kpis = []
    for i in range(draw(st.integers(1, 3))):
        kpis.append(
            f"  k{i}:\n    title: K{i}\n    formula: {draw(formulas)!r}\n"
            f"    unit: {draw(st.sampled_from(UNITS))}\n"
            + (f"    target: {draw(st.sampled_from(TARGETS))}\n" if draw(st.booleans()) else "")
        )
    text = textwrap.dedent(
        """\
        variables:
          revenue: {unit: currency}
          marketing_cost: {unit: currency}
          new_customers: {unit: customers}
          sessions: {unit: sessions}
        kpis:
        """
    ) + "".join(kpis)
    if draw(st.booleans()):  # noise at a random place
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(yaml_noise) + text[at:]
    return text


SOURCES = [
    "data: data.csv\n",
    "data: data.csv\ngrain: {grain}\n",
    "sources:\n  s:\n    connector: csv\n    path: data.csv\n    map:\n"
    "      revenue: {{column: revenue, scale: {scale}}}\n",
    "sources:\n  s:\n    connector: csv\n    path: data.csv\n    map:\n"
    "      new_customers: {{count: {count}, where: {{channel: {where}}}}}\n",
    "sources:\n  db:\n    connector: sql\n    url: {url}\n    query: {query!r}\n",
]
URLS = ["postgresql://kpi:${KPI_PLANTED_SECRET}@127.0.0.1:1/db", "duckdb:///${KPI_PLANTED_SECRET}",
        "postgresql://kpi:x@[::1:1/db", "mysql://x", "duckdb:///w.duckdb?x=${HOME}"]  # fmt: skip
QUERIES = ["SELECT * FROM t", "SELECT 1; DROP TABLE t", "COPY t TO 'x'", "SELECT read_text('x')",
           "SELECT * FROM t) AS y; SELECT (1"]  # fmt: skip


@st.composite
def kpi_yaml(draw) -> str:
    template = draw(st.sampled_from(SOURCES))
    return template.format(
        grain=draw(st.sampled_from(["month", "week", "decade", "[1]"])),
        scale=draw(st.sampled_from(["1e-6", "abc", "[1]", "0", "1e999", "true"])),
        count=draw(st.sampled_from(["true", "'no'", "1", "null"])),
        where=draw(st.sampled_from(["a", "[a, b]", "{a: b}", "[]", "[[a]]"])),
        url=draw(st.sampled_from(URLS)),
        query=draw(st.sampled_from(QUERIES)),
    )


periods = st.one_of(
    st.sampled_from(["2024-06", "2024-Q2", "2024", "2024-W23", "2024-06-15", "2024-13", "x", ""]),
    days.map(lambda d: d[:7]),
)
COMMANDS = st.sampled_from(
    [
        ["eval"],
        ["eval", "--by", "channel"],
        ["eval", "--format", "json"],
        ["lint"],
        ["lint", "--format", "sarif"],
        ["list"],
        ["show", "k0"],
        ["solve", "k0"],
        ["drivers", "k0"],
        ["explain", "k0"],
        ["plan", "k0", "--target", "2"],
        ["report", "-o", "-"],
        ["report", "-o", "-", "--format", "md"],
        ["sql", "--source", "db"],
    ]
)
EXTRA = st.sampled_from(
    [[], ["--period", "{p}"], ["--from", "{p}", "--to", "{p}"], ["--target", "{n}"],
     ["--grain", "week"], ["--by", "uid"], ["--segment", "channel=a"], ["--for", "revenue"]]
)  # fmt: skip


def invoke(root: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, "-w", str(root)])
    exception = result.exception
    assert exception is None or isinstance(exception, SystemExit), (args, repr(exception))
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert not contains_secret(result.output)


def workspace(folder: str, defs: str, kpi: str, data: str) -> Path:
    root = Path(folder)
    (root / "definitions").mkdir()
    (root / "definitions" / "d.yaml").write_text(defs, encoding="utf-8")
    (root / "kpi.yaml").write_text(kpi, encoding="utf-8")
    (root / "data.csv").write_text(data, encoding="utf-8")
    return root


@FUZZ
@given(definitions(), csv_text(), COMMANDS, EXTRA, periods, st.sampled_from(NUMBERS + ["nan"]))
def test_random_definitions_data_and_commands(defs, data, command, extra, period, number):
    args = [*command, *(a.format(p=period, n=number) for a in extra)]
    if command[0] in ("eval", "list", "lint") and "--for" in args:
        return
    with tempfile.TemporaryDirectory() as folder:
        invoke(workspace(folder, defs, "data: data.csv\n", data), args)


@FUZZ
@given(kpi_yaml(), csv_text(), st.sampled_from([["eval"], ["lint"], ["sql", "--source", "db"]]))
def test_random_source_settings(kpi, data, args):
    defs = "variables:\n  revenue: {unit: currency}\n"
    with tempfile.TemporaryDirectory() as folder:
        invoke(workspace(folder, defs, kpi, data), args)


@FUZZ
@given(yaml_noise, yaml_noise)
def test_random_yaml_text(defs, kpi):
    with tempfile.TemporaryDirectory() as folder:
        invoke(workspace(folder, defs, kpi, "date,revenue\n2024-01-05,1\n"), ["lint"])
