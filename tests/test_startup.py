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
