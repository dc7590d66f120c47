"""Two sources giving the same variables: every shared variable named at once, in a fixed order,
with one `choose:` block that settles them all."""

from __future__ import annotations

import pytest

import kpiengine
from kpiengine.errors import KpiError

SOURCE = (
    "connector: csv, path: {}, date: Month, map: {{signups: Signups, cost: Cost, amount: Amount}}"
)
DATA = "Month,Signups,Cost,Amount\n2024-01,{},{},5\n"
DEFS = """\
variables:
  signups: {unit: signups}
  cost: {unit: currency}
  amount: {unit: currency}
kpis:
  cost_per_signup: {formula: cost / signups, unit: currency / signups}
"""


def test_every_shared_variable_is_named_and_one_block_chooses(write_workspace):
    sources = "".join(f"  {n}: {{{SOURCE.format(n + '.csv')}}}\n" for n in ("s", "s2"))
    root = write_workspace({"d": DEFS}, f"sources:\n{sources}choose: {{amount: s2}}\n")
    (root / "s.csv").write_text(DATA.format(10, 100))
    (root / "s2.csv").write_text(DATA.format(20, 300))
    for _ in range(3):  # the same message every run, whatever the order of sets
        with pytest.raises(KpiError) as info:
            kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["cost_per_signup"])
        assert info.value.message == "`cost`, `signups`: provided by sources `s` and `s2`"
        assert "`choose: {cost: s, signups: s}`" in info.value.fix
    (root / "kpi.yaml").write_text(
        f"sources:\n{sources}choose: {{amount: s2, cost: s2, signups: s2}}\n"
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["cost_per_signup"])
    assert results.kpis["cost_per_signup"].values[0, 0] == pytest.approx(300 / 20)
