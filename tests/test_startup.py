"""Start-up is part of speed: light commands do not import the heavy libraries."""

import subprocess
import sys

import pytest

PROBE = """
import sys
sys.argv = ["kpi"] + {args!r}
from kpiengine.cli import main
try:
    main()
except SystemExit:
    pass
print(sorted(m for m in ("duckdb", "sympy", "numpy") if m in sys.modules), file=sys.stderr)
"""


def imported(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))], capture_output=True, text=True
    )
    return eval_list(proc.stderr.strip().splitlines()[-1])


def eval_list(text: str) -> list[str]:
    return [part.strip(" '\"") for part in text.strip("[]").split(",") if part.strip()]


def test_help_imports_neither_sympy_nor_numpy():
    assert imported("--help") == []


@pytest.mark.parametrize("args", [["list", "--sample"], ["show", "roi", "--sample"]])
def test_list_and_show_do_not_import_duckdb(args):
    modules = imported(*args)
    assert "sympy" in modules  # the probe works: these commands do parse formulas
    assert "duckdb" not in modules


def test_eval_as_json_loads_no_table_or_report_library(tmp_path):
    """`kpi eval --format json` on a plain CSV is for scripts: Babel, rich and Jinja2 serve
    tables and reports only, and stay unimported."""
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "variables:\n  cash: {unit: currency}\n"
        "kpis:\n  cash_in: {title: Cash in, formula: cash, unit: currency}\n"
    )
    (tmp_path / "kpi.yaml").write_text(
        "sources:\n  books:\n    connector: csv\n    path: cash.csv\n"
    )
    (tmp_path / "cash.csv").write_text("date,cash\n2024-01-05,10\n2024-02-01,7\n")
    probe = PROBE.replace('("duckdb", "sympy", "numpy")', '("babel", "rich", "jinja2", "sympy")')
    args = ["eval", "-w", str(tmp_path), "--kpi", "cash_in", "--format", "json"]
    proc = subprocess.run(
        [sys.executable, "-c", probe.format(args=args)], capture_output=True, text=True
    )
    assert '"value": 10.0' in proc.stdout and '"value": 7.0' in proc.stdout, proc.stderr
    assert eval_list(proc.stderr.strip().splitlines()[-1]) == ["sympy"]  # the probe works
