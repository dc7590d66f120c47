"""A `45%` among plain amounts (a Google Ads cost, a CRM deal's amount) is named at its own cell
as a percentage in a column of amounts, wherever it is: not a "mixed column" whose fix (`%` on
every cell) is another error."""

from __future__ import annotations

import pytest

import kpiengine
from kpiengine.errors import KpiError

ADS = (
    "Campaign report\n"
    '"January 1, 2024 - January 3, 2024"\n'
    "Day,Campaign,Currency code,Impr.,Clicks,Cost\n"
    "2024-01-01,C1,EUR,100,10,10\n"
    "2024-01-02,C1,EUR,100,10,45%\n"
    "2024-01-03,C1,EUR,100,10,10\n"
)
DEALS = (
    '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Pipeline","Create Date"\n'
    '"1","D1","Closed won","2024-01-05","100","Sales Pipeline","2024-01-01"\n'
    '"2","D2","Closed won","2024-01-06","45%","Sales Pipeline","2024-01-02"\n'
    '"3","D3","Closed won","2024-01-07","200","Sales Pipeline","2024-01-03"\n'
)


@pytest.mark.parametrize(
    ("connector", "text", "kpi", "where"),
    [("ads", ADS, "cpc", "data.csv:5:26"), ("crm", DEALS, "sales_revenue", "data.csv:3:36")],
)
def test_a_percentage_among_amounts_is_named_at_its_cell(
    tmp_path, monkeypatch, connector, text, kpi, where
):
    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-01")
    (tmp_path / "data.csv").write_text(text, "utf-8")
    (tmp_path / "kpi.yaml").write_text(
        f"currency: EUR\nsources:\n  s: {{connector: {connector}, path: data.csv}}\n", "utf-8"
    )
    with pytest.raises(KpiError) as caught:
        kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=[kpi])
    message = str(caught.value)
    assert message.startswith(f"{where}: expected an amount in column `")
    assert "found `45%` (a percentage in a column of amounts)" in message
