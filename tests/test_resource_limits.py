"""Resource limits: small inputs that would blow up memory or time end in a clear error instead.

Outcomes are tested, never timings: the error and its message, the number of nodes built, the
peak of memory traced while the work runs.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kpiengine import yamlio
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.yamlio import MAX_ALIAS_NODES, parse_yaml


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 9, 30])
def test_an_alias_bomb_stops_after_the_node_budget(levels, monkeypatch):
    built = []
    original = yamlio._Builder._build

    def counting(self, node):
        built.append(1)
        return original(self, node)

    monkeypatch.setattr(yamlio._Builder, "_build", counting)
    with pytest.raises(KpiError, match="aliases expand to more than 100,000 nodes") as caught:
        parse_yaml(alias_bomb(levels), "bomb.yaml")
    assert caught.value.location is not None and caught.value.location.line >= 2
    assert len(built) <= MAX_ALIAS_NODES + 200  # 9**7 = 4.8 million without the budget


def test_a_small_alias_is_fine():
    data = parse_yaml(alias_bomb(3), "ok.yaml")
    assert len(data["a3"]) == 9 and len(data["a3"][0][0]) == 9


def test_an_alias_bomb_in_a_workspace_is_exit_2(write_workspace):
    root = write_workspace({"bomb": alias_bomb(9)})
    result = CliRunner().invoke(cli, ["lint", "-w", str(root)])
    assert result.exit_code == 2 and "bomb.yaml:" in result.output


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(write_workspace, monkeypatch):
    root = write_workspace({"big": "# " + "x" * yamlio.MAX_BYTES + "\n"})
    result = CliRunner().invoke(cli, ["lint", "-w", str(root)])
    assert result.exit_code == 2 and "big.yaml: the file is 8,000,003 bytes, over the" in (
        result.output
    )
    monkeypatch.setattr(yamlio, "MAX_BYTES", 1000)
    with pytest.raises(KpiError, match="over the 1,000 characters"):
        parse_yaml("a: " + "x" * 1000, "t.yaml")


# --- segments --------------------------------------------------------------------------------


def uid_frame(n: int):
    import numpy as np

    from kpiengine.table import Frame

    dates = np.array(["2024-01-05", "2024-02-05"] * n, dtype="datetime64[D]")
    uids = np.repeat(np.array([f"u{i:06d}" for i in range(n)]), 2)
    values = np.arange(2 * n, dtype=float)
    values[::7] = np.nan
    return Frame(dates, {"uid": uids}, {"revenue": values})


@pytest.mark.parametrize("rule", ["sum", "mean", "min", "max", "last", "first"])
def test_segments_aggregate_sparsely(rule, monkeypatch):
    """20,000 segments: the old one-hot matrix alone was 20,000 x 20,000 floats (3.2 GB)."""
    import tracemalloc

    import numpy as np

    from kpiengine.model import Aggregate
    from kpiengine.table import build_table

    monkeypatch.setenv("KPIENGINE_MAX_SEGMENTS", "50000")
    n = 20_000
    frame = uid_frame(n)
    tracemalloc.start()
    try:
        aggregate = Aggregate(rule, rule if rule in ("sum", "mean", "min", "max") else "sum")
        table = build_table(frame, {"revenue": aggregate}, "month", ["uid"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100_000_000
    values = table.values["revenue"]
    assert values.shape == (2, n + 1)
    # each uid has one row per month: its cell is that row's value (NaN stays missing)
    by_month = frame.values["revenue"].reshape(n, 2).T
    assert np.array_equal(values[:, 1:], by_month, equal_nan=True)
    reduce = {"sum": np.nansum, "mean": np.nanmean, "min": np.nanmin, "max": np.nanmax}
    total = reduce.get(aggregate.segments, np.nansum)(by_month, axis=1)
    assert np.allclose(values[:, 0], total)


def test_too_many_segments_is_a_clear_error(write_workspace, monkeypatch):
    monkeypatch.setenv("KPIENGINE_MAX_SEGMENTS", "100")
    rows = "".join(f"2024-01-05,u{i},{i}\n" for i in range(150))
    root = write_workspace(
        {"d": "variables:\n  revenue: {unit: currency}\n"},
        "data: data.csv\n",
        "date,uid,revenue\n" + rows,
    )
    result = CliRunner().invoke(cli, ["eval", "-w", str(root), "--by", "uid"])
    assert result.exit_code == 2
    assert "the breakdown has 150 segments, more than the 100 allowed" in result.output
    assert "KPIENGINE_MAX_SEGMENTS=150" in result.output
    monkeypatch.setenv("KPIENGINE_MAX_SEGMENTS", "lots")
    result = CliRunner().invoke(cli, ["eval", "-w", str(root), "--by", "uid"])
    assert result.exit_code == 2 and "must be a positive whole number" in result.output


def test_the_default_segment_limit_is_documented():
    from pathlib import Path

    from kpiengine.table import MAX_SEGMENTS

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "KPIENGINE_MAX_SEGMENTS" in readme and f"{MAX_SEGMENTS:,}" in readme


# --- validation grows with the KPIs, not with their pairs ------------------------------------


def many_kpis(root, n: int, formula: str) -> None:
    lines = ["variables:", "  a: {unit: currency}", "  b: {unit: currency}", "kpis:"]
    for i in range(n):
        lines += [f"  k{i}:", f"    title: K {i}", f"    formula: {formula.format(i=i)}"]
        lines += ["    unit: ratio"]
    (root / "definitions").mkdir(parents=True, exist_ok=True)
    (root / "definitions" / "many.yaml").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("formula", "most"),
    [
        ("a / b * 2 + 0 * {i}", 1),  # 300 copies of one formula: each compared with the first
        ("a / b * {i}", 0),  # 300 formulas on the same inputs: none compared symbolically
    ],
)
def test_duplicate_formulas_are_found_in_linear_work(tmp_path, monkeypatch, formula, most):
    import sympy

    import kpiengine
    from kpiengine.engine import Engine

    calls = []
    original = sympy.simplify
    monkeypatch.setattr(sympy, "simplify", lambda e, *a, **k: calls.append(1) or original(e))
    n = 300
    many_kpis(tmp_path, n, formula)
    report = Engine(kpiengine.load_workspace(tmp_path)).lint()
    duplicates = [f for f in report.findings if f.code == "KPI209" and f.kpi.startswith("k")]
    assert len(duplicates) == (n - 1) * most
    assert len(calls) <= n * most + 10  # the built-in library's own pairs


def test_unknown_names_are_suggested_in_linear_work(tmp_path, monkeypatch):
    import difflib

    import kpiengine

    compared = []
    original = difflib.get_close_matches

    def counting(word, possibilities, *args, **kwargs):
        possibilities = list(possibilities)
        compared.append(len(possibilities))
        return original(word, possibilities, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    n = 1500
    lines = ["variables:"] + [f"  v{i}: {{unit: currency}}" for i in range(n)] + ["kpis:"]
    for i in range(n):
        lines += [f"  k{i}:", "    title: K", f"    formula: vx{i} / v{i}", "    unit: ratio"]
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "d.yaml").write_text("\n".join(lines) + "\n")
    ws = kpiengine.load_workspace(tmp_path)
    unknown = [f for f in ws.findings if f.code == "KPI006"]
    assert len(unknown) == n and "did you mean `v" in unknown[7].message
    assert max(compared) <= 100  # a short list per name, not all 3,000 names


# --- symbolic work is bounded ----------------------------------------------------------------


@pytest.mark.parametrize(
    "formula",
    [
        "revenue ** 0.123456789 / marketing_cost ** 0.123456789",
        "sqrt(revenue / marketing_cost) ** 1e-300",  # a root of a ratio: its unit is told
        "(revenue / marketing_cost) ** 99",
        "exp(exp(exp(exp(10)))) * revenue / marketing_cost",
    ],
)
def test_solve_does_not_try_a_closed_form_it_cannot_afford(write_workspace, monkeypatch, formula):
    import sympy

    def refuse(*args, **kwargs):
        raise AssertionError("solveset called on a form too hard for it")

    monkeypatch.setattr(sympy, "solveset", refuse)
    monkeypatch.setattr(sympy.Rational, "__pow__", refuse_exact_power(sympy.Rational.__pow__))
    root = write_workspace(
        {
            "d": "variables:\n  revenue: {unit: currency}\n  marketing_cost: {unit: currency}\n"
            f"kpis:\n  odd:\n    title: Odd\n    formula: {formula}\n    unit: ratio\n"
        },
        "data: data.csv\n",
        "date,revenue,marketing_cost\n2024-01-05,100,80\n2024-02-05,120,90\n",
    )
    result = CliRunner().invoke(
        cli, ["solve", "odd", "-w", str(root), "--target", "1.2", "--format", "json"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1), result.output
    import json

    for answer in json.loads(result.stdout):
        assert answer["method"] == "numeric"
        assert any("no closed form tried" in note for note in answer["notes"])


def refuse_exact_power(original):
    """Rational ** Rational with a huge denominator is the minutes-long exact root."""

    def power(self, other, *args):
        import sympy

        if isinstance(other, sympy.Rational) and other.q > 10**6:
            raise AssertionError(f"exact power {self} ** {other}")
        return original(self, other, *args)

    return power
