"""A data row of a GA export with an empty Date is the `csv` connector's error (`a row has values
but no date`), at its Date cell, before the totals check, in `kpi eval` and `kpi lint` alike; GA's
own totals rows (`Grand total,,...`, UA's unlabeled `,"2,000",...`) stay totals.

Locations are counted by hand from the fixture; the sessions total is summed with the csv module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "ga" / "ga4_traffic_acquisition.csv"
MESSAGE = "a row has values but no date in column `Date`: no period can count it"


def workspace(root: Path, lines: list[str]) -> Path:
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "k.yaml").write_text(
        "kpis:\n  s: {title: Sessions, formula: sessions, unit: sessions}\n"
    )
    (root / "ga.csv").write_text("\n".join(lines) + "\n")
    (root / "kpi.yaml").write_text("sources:\n  g: {connector: ga_export, path: ga.csv}\n")
    return root


def lines() -> list[str]:
    return FIXTURE.read_text().splitlines()


def run(root: Path, command: str):
    return CliRunner().invoke(
        cli, [command, "--workspace", str(root)], env={"KPIENGINE_TODAY": "2026-12-31"}
    )


@pytest.mark.parametrize("command", ["eval", "lint"])
def test_a_data_row_without_its_date_is_no_totals_row(tmp_path, command):
    edited = lines()
    assert edited[12].startswith("20240601,Direct,656,834,")
    edited[12] = edited[12].removeprefix("20240601")  # `,Direct,656,834,...`
    result = run(workspace(tmp_path, edited), command)
    assert result.exit_code == 2, result.output
    assert f"ga.csv:13:1: {MESSAGE}" in result.output
    assert "totals row" not in result.output


@pytest.mark.parametrize("command", ["eval", "lint"])
def test_an_empty_date_in_another_column_is_no_silent_drop(tmp_path, command):
    # the channel first, the Date second: `Direct,,656,834,...` was left out of the sums
    swapped = []
    for number, line in enumerate(lines(), 1):
        if number < 10:
            swapped.append(line)
            continue
        first, second, rest = line.split(",", 2)
        if number == 13:
            first = ""  # the Date
        swapped.append(
            ",".join([first, second, rest]) if number == 11 else ",".join([second, first, rest])
        )
    assert swapped[12].startswith("Direct,,656,834,")
    result = run(workspace(tmp_path, swapped), command)
    assert result.exit_code == 2, result.output
    assert f"ga.csv:13:8: {MESSAGE}" in result.output  # `Direct,` is 7 characters


def test_the_export_as_ga_writes_it_still_reads(tmp_path):
    rows = list(csv.reader(lines()[9:]))
    header, data = rows[0], [r for r in rows[1:] if r[0] != "Grand total"]
    sessions = sum(float(r[header.index("Sessions")].replace(",", "")) for r in data)
    assert sessions == 7427.0  # the Grand total row's
    result = run(workspace(tmp_path, lines()), "eval")
    assert result.exit_code == 0, result.output
    assert "7,427" in result.output
