"""A column mixing percentages with plain numbers beyond ±1 (`45.6%` beside `10`) is an error
naming the first plain cell and a percentage, in the sampled cells (`decimal_of`, every file
connector and the sql connector's `files:`) and in every cell of a scan, whose count rides on
the flags it already keeps. Plain cells within ±1 beside percentages are fractions (`0.456`,
as a spreadsheet writes a column some of whose cells are formatted as percentages).
Expected values by hand.
"""

from __future__ import annotations

import math

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.fileformats.missing import is_missing
from kpiengine.fileformats.numbers import NumberError, fast_sql, number_sql, read_number
from kpiengine.fileformats.percents import BAD, PERCENT, PLAIN_ABOVE_ONE, flag_sql, mixed

RATE = (
    "variables:\n  rate: {unit: ratio, aggregate: mean}\n"
    "kpis:\n  rate_k: {title: Rate, formula: rate, unit: ratio, format: percent}\n"
)
#: beyond the 256 KB that a file's sample reads
FILLER = 24_000


def workspace(root, rows: list[str], connector: str = "csv"):
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "t.yaml").write_text(RATE)
    days = [f"2024-01-{i % 28 + 1:02d}" for i in range(len(rows))]
    (root / "d.csv").write_text(
        "Date,Rate\n" + "".join(f"{d},{r}\n" for d, r in zip(days, rows, strict=True)), "utf-8"
    )
    source = (
        "    connector: csv\n    path: d.csv\n"
        if connector == "csv"
        else "    connector: sql\n    url: 'duckdb://'\n    files: {t: d.csv}\n    table: t\n"
    )
    (root / "kpi.yaml").write_text(
        f"currency: USD\nsources:\n  s:\n{source}    date: Date\n"
        "    map: {rate: {column: Rate}}\n"
    )
    return root


def rate(root) -> float:
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["rate_k"], grain="month")
    [value] = [r["value"] for r in results.records() if r["period"] == "2024-01"]
    return value


def error(root) -> str:
    with pytest.raises(KpiError) as info:
        rate(root)
    return str(info.value)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")


EXPECTED = (
    "d.csv:3:12: column `Rate` mixes percentages (`45.6%`, line 2) with plain numbers: `10` is "
    "1000% as a fraction, or 10% with its `%` left out\n    fix: write every cell of `Rate` "
    "with `%` (`10%`), or every cell as a fraction (`0.456` for `45.6%`)"
)


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_a_plain_number_above_one_beside_percentages_is_an_error(tmp_path, connector):
    root = workspace(tmp_path, ["45.6%", "10", "0.1"], connector)
    assert error(root) == EXPECTED


def test_eval_and_lint_say_so(tmp_path):
    root = workspace(tmp_path, ["45.6%", "10", "0.1"])
    for args in (["eval", "--kpi", "rate_k"], ["lint"]):
        out = CliRunner().invoke(cli, [*args, "-w", str(root)])
        assert out.exit_code == 2, (args, out.output)
        assert "d.csv:3:12: column `Rate` mixes percentages (`45.6%`, line 2)" in out.output


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_fractions_beside_percentages_are_fractions(tmp_path, connector):
    root = workspace(tmp_path, ["45.6%", "0.1", "0", "-0.25", "12.5 %"], connector)
    assert rate(root) == pytest.approx((0.456 + 0.1 + 0 - 0.25 + 0.125) / 5)


def test_percentages_alone_and_plain_numbers_alone_are_read(tmp_path):
    assert rate(workspace(tmp_path / "a", ["45.6%", "150%", "-3%"])) == pytest.approx(
        (0.456 + 1.5 - 0.03) / 3
    )
    assert rate(workspace(tmp_path / "b", ["10", "0.1", "250"])) == pytest.approx(260.1 / 3)


def test_a_mix_beyond_the_sample_is_found_by_the_scan(tmp_path):
    """Fractions and percentages in the sample, a plain 12 on line 24,003: the scan's flags."""
    rows = ["0.5", "45%"] * (FILLER // 2) + ["0.25", "12"]
    said = error(workspace(tmp_path, rows))
    assert said.startswith(
        f"d.csv:{FILLER + 3}:12: column `Rate` mixes percentages (`45%`, line 3) with plain "
        "numbers: `12` is 1200% as a fraction"
    )


def test_percentages_after_the_sample_are_read_again(tmp_path):
    """The sample shows no percent sign: the scan flags the percentage it finds later, and the
    cells are read again to tell whether a plain cell is beyond ±1."""
    rows = ["7", "0.5"] * (FILLER // 2) + ["45%"]
    said = error(workspace(tmp_path / "mixed", rows))
    assert said.startswith(
        f"d.csv:2:12: column `Rate` mixes percentages (`45%`, line {FILLER + 2}) with plain "
        "numbers: `7` is 700% as a fraction, or 7% with its `%` left out"
    )
    fractions = ["0.5"] * FILLER + ["45%"]
    assert rate(workspace(tmp_path / "fractions", fractions)) == pytest.approx(
        (0.5 * FILLER + 0.45) / (FILLER + 1)
    )


def test_mixed_names_the_first_plain_cell_and_a_percentage():
    assert mixed(["45.6%", "10", "0.1"], ".") == ("10", "45.6%")
    assert mixed(["0.2", "-7", "n/a", "12,5 %"], ",") == ("-7", "12,5 %")
    assert mixed(["45.6%", "0.1", "0", "1"], ".") is None
    assert mixed(["10", "20"], ".") is None
    assert mixed(["5k", "45%"], ".") is None  # a bad cell is reported as such


# --- the scan's flags: SQL against Python on generated cells --------------------------------


def python_flag(cell: str | None, decimal: str, plain: bool, fast: bool) -> int:
    """What `flag_sql` counts, from `read_number` (the grammar); `fast`: whether DuckDB's own
    cast reads the cell (`fast_sql`, see `fast_cells`)."""
    if cell is None or is_missing(cell):
        return 0
    try:
        number = read_number(cell, decimal)
    except NumberError:
        return BAD
    if math.isnan(number.value):
        return 0
    if number.percent:
        return PERCENT
    if abs(number.value) > 1 and (plain or not fast):
        return PLAIN_ABOVE_ONE
    return 0


def fast_cells(con, cells: list[str | None], decimal: str) -> list[bool]:
    """`fast_sql` of each cell, on its own (one query for all the cells)."""
    rows = con.execute(
        f"SELECT coalesce({fast_sql('x', decimal)}, FALSE) "
        "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i) ORDER BY i",
        [cells, len(cells)],
    ).fetchall()
    return [bool(ok) for (ok,) in rows]


CELLS = st.one_of(
    st.text("0123456789.,-+()%$€ eE_٪％\u00a0", max_size=8),
    st.from_regex(r"[-+ ]{0,2}[0-9]{1,4}([.,][0-9]{1,3})?( ?[%٪])?", fullmatch=True),
    st.sampled_from(["", "--", "n/a", None, "+-5", " +-0", "+0", "US$ 12", "12 €", "(45%)"]),
)


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(cells=st.lists(CELLS, min_size=1, max_size=20), plain=st.booleans())
def test_flags_are_the_grammars(cells, plain):
    con = duckdb.connect()
    for decimal in (".", ","):
        value = number_sql("x", decimal, "VARCHAR", signs=False)
        flag = flag_sql("x", "v", "c", 0, plain)
        rows = con.execute(
            f"SELECT {flag} FROM (SELECT i, x, {value} AS v, {fast_sql('x', decimal)} AS c "
            "FROM (SELECT unnest(?) AS x, unnest(range(?)) AS i)) ORDER BY i",
            [cells, len(cells)],
        ).fetchall()
        fast = fast_cells(con, cells, decimal)
        assert [r[0] for r in rows] == [
            python_flag(c, decimal, plain, f) for c, f in zip(cells, fast, strict=True)
        ]
