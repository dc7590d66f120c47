"""Values in `kpi eval --format json` leave out a float sum's rounding noise: three orders of
50.05 read 150.15, not the float sum 150.14999999999998, and a change between two such sums is
100.1, not 100.10000000000001; a ratio keeps all its digits. Expected values by hand."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kpiengine.cli import cli

DEFS = (
    "kpis:\n  rev: {title: Revenue, formula: revenue, unit: currency, format: currency}\n"
    "  third: {title: Third, formula: revenue / (3 * revenue), unit: ratio}\n"
)


def test_sums_of_cents_read_as_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KPIENGINE_TODAY", "2026-12-07")
    rows = ["date,amount"]
    rows += [f"2024-01-{d:02d},50.05" for d in (3, 4, 5)]  # 150.15
    rows += [f"2024-02-{d:02d},50.05" for d in range(1, 6)]  # 250.25
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  shop:\n    connector: csv\n    path: orders.csv\n"
        "    date: date\n    map: {revenue: amount}\n"
    )
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "mine.yaml").write_text(DEFS)
    assert sum([50.05] * 3) != 150.15  # the float sum the scan finds is not the written one
    assert sum([50.05] * 5) - sum([50.05] * 3) != 100.1

    out = CliRunner().invoke(
        cli, ["eval", "-w", str(tmp_path), "--kpi", "rev", "--kpi", "third", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    records = {r["period"]: r for r in json.loads(out.stdout) if r["kpi"] == "rev"}
    thirds = [r["value"] for r in json.loads(out.stdout) if r["kpi"] == "third"]
    assert thirds == [1 / 3, 1 / 3]  # all 17 digits of a ratio
    assert records["2024-01"]["value"] == 150.15
    assert records["2024-02"]["value"] == 250.25
    assert records["2024-02"]["previous"] == 150.15
    assert records["2024-02"]["change"] == 100.1


def test_a_whole_array_is_tidied_as_each_cell() -> None:
    """`tidy_array` (records take whole arrays) gives what `tidy` gives cell by cell: sums of
    cents, differences of such sums, ratios and magnitudes from 1e-12 to 1e14, signed."""
    import numpy as np

    from kpiengine.formatting import tidy, tidy_array

    rng = np.random.default_rng(7)
    cents = [sum(np.round(rng.random(n) * 1000, 2).tolist()) for n in rng.integers(1, 40, 3000)]
    spread = (rng.random(3000) - 0.5) * 10.0 ** rng.integers(-12, 15, 3000)
    ratios = rng.integers(1, 10**6, 3000) / rng.integers(1, 10**4, 3000)
    cells = np.array([*cents, *np.diff(cents), *spread, *ratios, 0.0, np.nan, np.inf])
    expected = [tidy(c) if np.isfinite(c) else c for c in cells]
    np.testing.assert_array_equal(tidy_array(cells), np.array(expected))
    assert tidy(150.14999999999998) == 150.15 and tidy(1 / 3) == 1 / 3
