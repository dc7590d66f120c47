"""`kpi plan --weights FILE`: a file that is not 12 weights is named by file, line and column,
with the one bad cell, shortened; never its whole contents (it may be a `.env` or
/etc/passwd). A good file (comments, any separator) gives the split its numbers say."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kpiengine.analysis.plan import read_weights
from kpiengine.cli import cli
from kpiengine.errors import KpiError

SECRET = "DB_PASSWORD=S3cr3tPW_zz"


def plan(weights: str) -> tuple[int, str]:
    args = ["plan", "sales_revenue", "--sample", "--annual", "300000", "--year", "2025"]
    result = CliRunner().invoke(cli, [*args, "--weights", weights])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output


def test_an_env_file_names_its_cell_and_hides_the_secret(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("w.env").write_text(f"# settings\n\n  {SECRET}\n", "utf-8")
    code, output = plan("w.env")
    assert code == 2
    assert "w.env:3:3: `DB_PASSWORD=…` is not a number" in output
    assert "S3cr3tPW" not in output and "['" not in output
    assert "12 non-negative numbers, January to December" in output


def test_a_file_of_many_lines_shows_only_the_first_bad_cell(tmp_path):
    file = tmp_path / "passwd"
    lines = [f"user{i}:x:{i}:{i}:User {i}:/home/user{i}:/bin/sh" for i in range(40)]
    file.write_text("\n".join(lines) + "\n", "utf-8")
    code, output = plan(str(file))
    assert code == 2
    assert f"{file}:1:1: `user0:x:0:0:…` is not a number" in output
    assert "user1" not in output and "/bin/sh" not in output


@pytest.mark.parametrize(
    ("text", "where", "why"),
    [
        ("1 1 1 1 1 1\n1 1 x 1 1 1\n", ":2:5:", "`x` is not a number"),
        ("1,1,1,1,1,1,1,1,1,1,1,-2\n", ":1:23:", "`-2` is negative"),
        ("1;1;1;1;1;1;1;1;1;1;1;1/0\n", ":1:23:", "`1/0` divides by 0"),
        ("1 1 1 1 1 1 1 1 1 1 1 1 1\n", ":1:25:", "a 13th number"),
        ("1 1 1 1 1 1 1 1 1 1 1 1e-999999999\n", ":1:23:", "is out of range"),
        ("# only a comment\n1 2 3\n", ": 3 number(s), not 12", "12 non-negative numbers"),
        ("0 0 0 0 0 0 0 0 0 0 0 0\n", ": the weights are all 0", "needs a weight"),
    ],
    ids=["word", "negative", "divide-by-0", "13-numbers", "huge-exponent", "3-numbers", "zeros"],
)
def test_each_bad_file_is_named_at_its_position(tmp_path, text, where, why):
    file = tmp_path / "weights.txt"
    file.write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        read_weights(str(file))
    assert f"{file}{where}" in str(info.value) and why in str(info.value)


def test_a_binary_file_or_a_folder_is_refused_plainly(tmp_path):
    binary = tmp_path / "w.bin"
    binary.write_bytes(b"1 1 1\n\xff\xfe\x00")
    with pytest.raises(KpiError, match=r"w\.bin:2: not UTF-8 text \(byte 7\)"):
        read_weights(str(binary))
    with pytest.raises(KpiError, match="is a folder"):
        read_weights(str(tmp_path))
    big = tmp_path / "big.txt"
    big.write_text("1 " * 40_000, "utf-8")
    with pytest.raises(KpiError, match="80,000 bytes is not a weights file"):
        read_weights(str(big))


def test_inline_weights_are_named_by_column(tmp_path):
    with pytest.raises(KpiError, match=r"--weights:1:5: `abc` is not a number"):
        read_weights("1,2,abc,4")


def test_a_good_file_splits_by_its_numbers(tmp_path):
    """December 12 parts of 23, every other month 1: 300,000 * 12 / 23 and 300,000 / 23."""
    file = tmp_path / "weights.csv"
    file.write_text("\ufeff# peak in December\n1, 1, 1\n1;1;1\n1 1 1 # autumn\n1\t1\t12\n")
    assert read_weights(str(file))[-1] == 12
    code, output = plan(str(file))
    assert code in (0, 1), output
    december = next(line for line in output.splitlines() if line.startswith("2025-12"))
    assert f"€{300_000 * 12 / 23:,.2f}" in december
    january = next(line for line in output.splitlines() if line.startswith("2025-01"))
    cents = 300_000 * 100 // 23  # each month's share, rounded down or up to the cent
    assert f"€{cents / 100:,.2f}" in january or f"€{(cents + 1) / 100:,.2f}" in january
