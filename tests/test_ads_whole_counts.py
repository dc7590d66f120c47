"""Impressions and clicks are whole counts, 0 or more: a `20.5` click or an accountant's
`(1,200)` impressions (-1,200) is an error at its cell. Was: read as 20.5 clicks, and as
impressions 1,200 short (exit 0; only `kpi lint` said KPI311). Conversions may be fractional
(data-driven attribution) and negative (adjustments): read as written."""

from __future__ import annotations

import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

HEAD = (
    "Campaign report\n"
    '"January 1, 2024 - January 31, 2024"\n'
    "Day,Campaign,Currency code,Impr.,Clicks,Cost,Conversions\n"
)


@pytest.mark.parametrize(
    ("row", "cell", "column"),
    [
        ("2024-01-03,A,EUR,1000,20.5,10.25,2.00\n", "20.5", "Clicks"),
        ('2024-01-03,A,EUR,"(1,200)",20,10.25,2.00\n', "(1,200)", "Impr."),
        ("2024-01-03,A,EUR,-3,20,10.25,2.00\n", "-3", "Impr."),
    ],
)
def test_a_count_not_whole_or_below_zero_is_an_error_at_its_cell(tmp_path, row, cell, column):
    text = HEAD + "2024-01-02,A,EUR,500,5,1.00,1.00\n" + row
    (tmp_path / "g.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, "g.csv", currency="EUR"), "clicks", "impressions")
    said = info.value
    assert f"`{cell}` in column `{column}`" in said.message and "whole" in said.message
    assert said.location is not None and said.location.line == 5
    line = text.splitlines()[4]
    at = line.index(f'"{cell}"') if cell.startswith("(") else line.index(f",{cell},") + 1
    assert said.location.column == at + 1  # where the cell starts, its quote included


def test_conversions_may_be_fractional_or_negative(tmp_path):
    text = HEAD + "2024-01-02,A,EUR,500,5,1.00,1.50\n2024-01-03,A,EUR,500,5,1.00,-0.50\n"
    (tmp_path / "g.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "g.csv", currency="EUR"), "clicks", "conversions")
    assert float(frame.values["conversions"].sum()) == 1.0
    assert float(frame.values["clicks"].sum()) == 10.0
