"""Meta rows from `Reporting starts` to `Reporting ends` longer than a day are counted only by a
period holding all their days. Was: rows of whole months by day put each month's total on its
1st and called the days complete; the fix for week rows by day said "or export whole months",
which no day can count either."""

from __future__ import annotations

import pytest
from test_connector_ads import connector, fetch

from kpiengine.connector import NoDailyValues

MONTHS = (
    '"Reporting starts","Reporting ends","Campaign name","Impressions","Link clicks",'
    '"Amount spent (EUR)"\n'
    '"2024-01-01","2024-01-31","P","3100","31","310.00"\n'
    '"2024-02-01","2024-02-29","P","2900","29","290.00"\n'
)


def test_month_rows_by_day_are_months_no_day_counts(tmp_path):
    (tmp_path / "m.csv").write_text(MONTHS, "utf-8")
    frame = fetch(connector(tmp_path, "m.csv", currency="EUR"), "ad_spend", grain="day")
    assert frame.date_grain == "month"  # the engine: "whole months, which no day can count"
    by_month = fetch(connector(tmp_path, "m.csv", currency="EUR"), "ad_spend")
    got = dict(zip(by_month.dates.astype(str), by_month.values["ad_spend"], strict=True))
    assert got == {"2024-01-01": 310.0, "2024-02-01": 290.0}


def test_month_rows_by_week_are_refused(tmp_path):
    (tmp_path / "m.csv").write_text(MONTHS, "utf-8")
    frame = fetch(connector(tmp_path, "m.csv", currency="EUR"), "ad_spend", grain="week")
    assert frame.missing["ad_spend"].endswith("`--grain month`")  # no week gets a value


def test_week_rows_by_day_suggest_the_week_not_months(tmp_path):
    text = MONTHS.splitlines(keepends=True)[0] + (
        '"2024-07-01","2024-07-07","P","700","7","70.00"\n'
        '"2024-07-08","2024-07-14","P","1400","14","140.00"\n'
    )
    (tmp_path / "w.csv").write_text(text, "utf-8")
    with pytest.raises(NoDailyValues) as info:
        fetch(connector(tmp_path, "w.csv", currency="EUR"), "ad_spend", grain="day")
    assert info.value.fix is not None and "whole months" not in info.value.fix
    assert info.value.fix.endswith("or evaluate with `--grain week`")


def test_rows_of_three_days_in_one_week_count_by_week(tmp_path):
    text = MONTHS.splitlines(keepends=True)[0] + (
        '"2024-07-02","2024-07-04","P","300","3","30.00"\n'
        '"2024-07-09","2024-07-11","P","600","6","60.00"\n'
    )
    (tmp_path / "r.csv").write_text(text, "utf-8")
    with pytest.raises(NoDailyValues):
        fetch(connector(tmp_path, "r.csv", currency="EUR"), "ad_spend", grain="day")
    frame = fetch(connector(tmp_path, "r.csv", currency="EUR"), "ad_spend", grain="week")
    got = dict(zip(frame.dates.astype(str), frame.values["ad_spend"], strict=True))
    assert got == {"2024-07-01": 30.0, "2024-07-08": 60.0}  # Monday weeks


def test_month_rows_by_day_in_kpi_eval(tmp_path, monkeypatch):
    """As Google's `Month` rows by day: refused, never each month's total on its 1st."""
    from click.testing import CliRunner

    from kpiengine.cli import cli

    monkeypatch.setenv("KPIENGINE_TODAY", "2024-12-31")
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "d.yaml").write_text(
        "kpis:\n  spend: {title: Spend, formula: ad_spend, unit: currency, format: currency}\n"
    )
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  s:\n    connector: ads\n    path: m.csv\n", "utf-8"
    )
    (tmp_path / "m.csv").write_text(MONTHS, "utf-8")
    out = CliRunner().invoke(cli, ["eval", "-w", str(tmp_path), "--grain", "day"])
    assert out.exit_code == 2 and "whole months, which no day can count" in out.output
