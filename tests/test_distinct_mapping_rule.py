"""`distinct: COLUMN` on a variable summed over time is an error at the mapping (distinct counts
never add up across days), not a misleading "cannot read the file" or a database's binder error."""

from __future__ import annotations

import pytest

import kpiengine
from kpiengine.errors import KpiError

DEFS = """\
variables:
  visitors: {unit: visitors, aggregate: sum}
kpis:
  visitors_kpi: {formula: visitors, unit: visitors}
"""


@pytest.mark.parametrize("connector", ["csv", "sql"])
def test_distinct_on_a_summed_variable_is_an_error_at_the_mapping(write_workspace, connector):
    where = "path: data.csv" if connector == "csv" else "files: {t: data.csv}\n    table: t"
    kpi_yaml = (
        f"sources:\n  s:\n    connector: {connector}\n    {where}\n    date: date\n"
        "    map:\n      visitors: {distinct: user}\n"
    )
    root = write_workspace({"d": DEFS}, kpi_yaml, "date,user\n2024-01-01,a\n2024-01-02,a\n")
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["visitors_kpi"])
    assert info.value.message == "`visitors` maps `distinct: user` but its aggregate is `sum`"
    line = 7 if connector == "csv" else 8
    assert str(info.value.location).endswith(f"kpi.yaml:{line}:17")
    assert "aggregate: distinct" in info.value.fix
