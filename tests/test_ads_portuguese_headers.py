"""A Google Ads campaign report in Portuguese (Brazil), as the UI downloads it: BOM, CRLF, the
title and range lines, `1.234,56` numbers, `Total: conta`; `Valor conv.` is its conversion
value. Expected sums come from the csv module."""

import csv
import io

import pytest
from test_connector_ads import connector, fetch

REPORT = (
    "\ufeffRelatório de campanhas\r\n1 de junho de 2024 - 30 de junho de 2024\r\n"
    "Campanha,Status da campanha,Código da moeda,Impr.,Cliques,Custo,Conversões,Valor conv.\r\n"
    'Marke,Ativada,EUR,12.040,960,"1.499,20","40,00","11.800,00"\r\n'
    'Generisch,Ativada,EUR,29.800,990,"1.603,80","10,50","2.450,50"\r\n'
    'Retargeting,Ativada,EUR,5.100,120,"88,15","2,00","300,00"\r\n'
    'Total: conta,--,EUR,46.940,2.070,"3.191,15","52,50","14.550,50"\r\n'
)


def number(cell: str) -> float:
    return float(cell.replace(".", "").replace(",", "."))


def test_conversion_value_and_the_others_are_read(tmp_path):
    (tmp_path / "pt.csv").write_bytes(REPORT.encode("utf-8"))
    rows = [r for r in csv.reader(io.StringIO(REPORT.lstrip("\ufeff"))) if r][3:-1]
    frame = fetch(
        connector(tmp_path, "pt.csv", currency="EUR"),
        *("impressions", "clicks", "ad_spend", "conversions", "ad_revenue"),
    )
    for variable, index in [("impressions", 3), ("clicks", 4), ("ad_spend", 5),
                            ("conversions", 6), ("ad_revenue", 7)]:  # fmt: skip
        expected = sum(number(r[index]) for r in rows)
        assert frame.values[variable].sum() == pytest.approx(expected), variable
