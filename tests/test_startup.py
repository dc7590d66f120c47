"""Start-up is part of speed: light commands do not import the heavy libraries."""

import subprocess
import sys

PROBE = """
import sys
sys.argv = ["kpi"] + {args!r}
from kpiengine.cli import main
try:
    main()
except SystemExit:
    pass
print([m for m in {modules!r} if m in sys.modules], file=sys.stderr)
"""


HEAVY = ("duckdb", "numpy", "sympy")


def imported(*args: str, modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of `modules` a `kpi` command with `args` imports, in their order."""
    probe = PROBE.format(args=list(args), modules=modules)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return eval_list(proc.stderr.strip().splitlines()[-1])


def eval_list(text: str) -> list[str]:
    return [part.strip(" '\"") for part in text.strip("[]").split(",") if part.strip()]


def test_help_imports_neither_sympy_nor_numpy():
    assert imported("--help") == []


def test_list_imports_neither_duckdb_nor_sympy():
    """Formulas are parsed and checked on exact fractions; sympy is for the analyses and lint."""
    assert imported("list", "--sample") == ["numpy"]  # the probe works: definitions load


def test_show_does_not_import_duckdb():
    assert imported("show", "roi", "--sample") == ["numpy", "sympy"]  # sympy: its lint


def test_a_formula_only_sympy_can_judge_is_still_refused(tmp_path):
    """`x / (y - y)` divides by zero once sympy simplifies it: the fractions cannot tell, so
    that formula (and only it) is checked with sympy, and refused as before."""
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "variables:\n  x: {unit: currency}\n  y: {unit: currency}\n"
        "kpis:\n  odd: {title: Odd, formula: x / (y - y), unit: ratio}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=["lint", "-w", str(tmp_path)], modules=HEAVY)],
        capture_output=True,
        text=True,
    )
    assert "not a finite real number" in proc.stdout + proc.stderr
    assert "sympy" in eval_list(proc.stderr.strip().splitlines()[-1])


def test_eval_as_json_loads_no_table_or_report_library(tmp_path):
    """`kpi eval --format json` on a plain CSV is for scripts: Babel, rich and Jinja2 serve
    tables and reports only, sympy the analyses: they stay unimported."""
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "variables:\n  cash: {unit: currency}\n"
        "kpis:\n  cash_in: {title: Cash in, formula: cash, unit: currency}\n"
    )
    (tmp_path / "kpi.yaml").write_text(
        "sources:\n  books:\n    connector: csv\n    path: cash.csv\n"
    )
    (tmp_path / "cash.csv").write_text("date,cash\n2024-01-05,10\n2024-02-01,7\n")
    args = ["eval", "-w", str(tmp_path), "--kpi", "cash_in", "--format", "json"]
    probe = PROBE.format(args=args, modules=("babel", "duckdb", "jinja2", "rich", "sympy"))
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert '"value": 10.0' in proc.stdout and '"value": 7.0' in proc.stdout, proc.stderr
    assert eval_list(proc.stderr.strip().splitlines()[-1]) == ["duckdb"]  # the probe works


def test_eval_of_the_sample_imports_no_sympy():
    """Whether a KPI adds up (its targets split across segments) is read from its formula
    tree (see `kpiengine.additivity`): the sample's sums and ratios need no sympy."""
    assert imported("eval", "--sample", "--format", "json") == ["duckdb", "numpy"]


CONNECTORS = ("csv_files", "ga_export", "crm", "ads", "sql")


def connectors_imported(*args: str) -> list[str]:
    modules = tuple(f"kpiengine.connectors.{name}" for name in CONNECTORS)
    return [m.rsplit(".", 1)[1] for m in imported(*args, modules=modules)]


def test_a_run_imports_only_the_connectors_its_sources_name(tmp_path):
    (tmp_path / "kpi.yaml").write_text("data: data.csv\nkpis: [roi]\n")
    (tmp_path / "data.csv").write_text("date,revenue,marketing_cost\n2024-01-05,130,100\n")
    assert connectors_imported("eval", "-w", str(tmp_path)) == ["csv_files"]
    listed = connectors_imported("connectors", "-w", str(tmp_path))
    assert listed == ["csv_files", "ga_export", "crm", "ads", "sql"]  # a list names them all
    (tmp_path / "kpi.yaml").write_text("sources:\n  s: {connector: csvv, path: data.csv}\n")
    out = subprocess.run(
        [sys.executable, "-m", "kpiengine.cli", "eval", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert "unknown connector `csvv`; did you mean `csv`? (installed: ads, crm, csv" in out.stderr
