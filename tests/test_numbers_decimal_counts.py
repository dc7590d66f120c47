"""A file's decimal mark is told by all its number cells at once, whatever the variables asked
for: a count voting for `,` beside an amount voting for `.` is an error naming the cell that
cannot be right, the same for `kpi eval` of either variable and for `kpi lint`.

The Google Ads report below has `"1,5"` impressions beside `1.00` costs: with `.` as the decimal
mark `1,5` is not a number, with `,` it is 1.5 impressions (not a whole number) and `1.00` is
not a number. Before, the counts decided `,` alone: impressions read 101.5 while the costs were
an error blaming `1.00`.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.fileformats.decimals import guess_decimal
from kpiengine.fileformats.numbers import NumberError
from kpiengine.fileformats.tables import open_tables
from kpiengine.filesource import decimal_of

REPORT = (
    'Campaign report\r\n"1 January 2024 - 31 January 2024"\r\n'
    "Day,Campaign,Currency code,Impr.,Clicks,Cost\r\n"
    '2024-01-15,Brand,USD,"{impressions}",5,{cost}\r\n2024-01-16,Brand,USD,100,5,1.00\r\n'
)
KPIS = (
    "kpis:\n  spend: {title: Spend, formula: ad_spend, unit: currency, format: number}\n"
    "  impr: {title: Impr, formula: impressions, unit: impressions, format: number}\n"
)
CONTRADICTION = (
    "a.csv:4:22: `1,5` is not a count in the number format of `1.00` (`.` as the decimal "
    "mark), nor a whole number with `,` (1.5): the cells contradict each other"
)


def _workspace(tmp_path, impressions: str, cost: str):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "t.yaml").write_text(KPIS)
    (root / "kpi.yaml").write_text("currency: USD\nsources: {s: {connector: ads, path: a.csv}}\n")
    (root / "a.csv").write_bytes(REPORT.format(impressions=impressions, cost=cost).encode())
    return root


def test_eval_of_each_variable_and_lint_stop_at_the_same_cell(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    root = _workspace(tmp_path, "1,5", "1.00")
    for args in (["eval", "--kpi", "impr"], ["eval", "--kpi", "spend"], ["lint"]):
        out = CliRunner().invoke(cli, [*args, "-w", str(root)])
        assert out.exit_code == 2, (args, out.output)
        assert CONTRADICTION in out.output, (args, out.output)
        assert "1.00`, found" not in out.output  # the valid cost is not blamed


def test_whole_counts_and_amounts_agree(tmp_path, monkeypatch):
    """`1,204` impressions and `1.00` costs: `.` for both; 1204 + 100 impressions, by hand."""
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-06-01")
    root = _workspace(tmp_path, "1,204", "1.00")
    out = CliRunner().invoke(cli, ["eval", "-w", str(root), "--kpi", "impr", "--format", "csv"])
    assert out.exit_code in (0, 1), out.output
    assert ",1304.0," in out.stdout or ",1304," in out.stdout, out.stdout


@pytest.mark.parametrize(
    ("cells", "counts", "named", "other"),
    [
        (["1,5", "100", "1.00"], {"1,5", "100"}, "1,5", "1.00"),  # the count is the odd one
        (["1.00", "1,5"], {"1,5"}, "1,5", "1.00"),
        (["2,5", "3.5"], {"3.5"}, "3.5", "2,5"),
    ],
)
def test_a_count_whole_in_neither_reading_is_named(cells, counts, named, other):
    with pytest.raises(NumberError) as info:
        guess_decimal(cells, whole=counts)
    said = str(info.value)
    assert said.startswith(f"`{named}` is not a count in the number format of `{other}`")
    assert "correct the cell" in (info.value.fix or "")


def test_a_whole_count_beside_an_amount_of_the_other_mark_is_an_error():
    """`2.546` sessions are 2546 with `,`; `1.00` says `.`: before, the counts won silently."""
    with pytest.raises(NumberError, match="`2.546` is not in the number format of `1.00`"):
        guess_decimal(["2.546", "1.00"], whole={"2.546"})
    assert guess_decimal(["2.546", "49,92"], whole={"2.546"}) == ","
    assert guess_decimal(["2,546", "49.92"], whole={"2,546"}) == "."


def test_the_mark_does_not_depend_on_the_columns_asked(tmp_path):
    (tmp_path / "a.csv").write_text('Day,Impr.,Cost\n2024-01-15,"1,5",1.00\n', "utf-8")
    [table] = open_tables(tmp_path / "a.csv", "a.csv")
    for columns in (["Impr.", "Cost"], ["Cost", "Impr."]):
        with pytest.raises(KpiError) as info:
            decimal_of(table, columns, whole=["Impr."])
        assert str(info.value).startswith("a.csv:2:12: `1,5` is not a count")
