"""Every kpi.yaml value is checked for its type: a list, a mapping or nothing where text is
expected is an error at its file:line:column saying what was expected, never Python's text of
the value (a segment `channel=['Email', 'Mail']`, a report titled `['Marketing', 'Sales']`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import DefinitionError, KpiError

DEALS = "Date,Source,Amount\n2024-01-05,Email Marketing,100\n2024-01-06,Paid Search,50\n"
SOURCE = """\
sources:
  deals:
    connector: csv
    path: deals.csv
    date: Date
    dimensions:
      channel:
        column: Source
        values: {RENAMES}
    map:
      revenue: Amount
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-30")


def _write(tmp_path: Path, kpi_yaml: str) -> Path:
    (tmp_path / "kpi.yaml").write_text(kpi_yaml, encoding="utf-8")
    (tmp_path / "deals.csv").write_text(DEALS, encoding="utf-8")
    return tmp_path


def _position(text: str, line: int, marker: str) -> str:
    """`kpi.yaml:LINE:COLUMN` of the first `marker` on a 1-based line, counted by hand."""
    return f"kpi.yaml:{line}:{text.splitlines()[line - 1].index(marker) + 1}"


def _run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


# --- a source's value renames ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("renames", "marker", "said"),
    [
        ("{Email Marketing: [Email, Mail]}", "[", "not a list"),
        ("{Email Marketing: null}", "null", "not nothing (null)"),
        ("{Email Marketing: {a: b}}", "{a", "not a mapping"),
    ],
)
def test_a_rename_to_something_not_text_is_an_error_at_its_position(
    tmp_path, renames, marker, said
):
    text = SOURCE.replace("{RENAMES}", renames)
    root = _write(tmp_path, text)
    with pytest.raises(KpiError) as caught:
        kpiengine.load_workspace(root)
    message = str(caught.value)
    assert message.startswith(str(root / _position(text, 9, marker)))
    assert f"renames `Email Marketing` to one segment name (text), {said}" in message
    code, out, err = _run("eval", "-w", root, "--by", "channel")
    assert (code, out) == (2, "")
    assert "not a list" in err or said in err
    assert "['Email'" not in err and "None" not in err and "Traceback" not in err


def test_a_key_yaml_1_1_reads_as_true_is_the_text_written(tmp_path):
    text = SOURCE.replace("{RENAMES}", "{Yes: Paid, No: Organic}")
    ws = kpiengine.load_workspace(_write(tmp_path, text))
    [config] = ws.settings.sources
    assert config.dimension_values == {"channel": {"Yes": "Paid", "No": "Organic"}}


def test_a_rename_to_a_number_or_yes_keeps_the_text_as_written(tmp_path):
    text = SOURCE.replace("{RENAMES}", "{Email Marketing: 2024-01, Paid Search: Yes}")
    ws = kpiengine.load_workspace(_write(tmp_path, text))
    [config] = ws.settings.sources
    assert config.dimension_values == {
        "channel": {"Email Marketing": "2024-01", "Paid Search": "Yes"}
    }


def test_renames_that_are_text_still_name_the_segments(tmp_path):
    root = _write(tmp_path, SOURCE.replace("{RENAMES}", "{Email Marketing: Email}"))
    (root / "definitions").mkdir()
    (root / "definitions" / "r.yaml").write_text(
        "kpis:\n  revenue_total: {formula: revenue, unit: currency}\n", encoding="utf-8"
    )
    code, out, _ = _run("eval", "-w", root, "--by", "channel", "--kpi", "revenue_total",
                        "--period", "2024-01", "--format", "json")  # fmt: skip
    assert code == 0
    values = {json.dumps(r["segment"]): r["value"] for r in json.loads(out)}
    # DEALS by hand: 100 from Email Marketing (renamed Email), 50 from Paid Search
    assert values == {"{}": 150, '{"channel": "Email"}': 100, '{"channel": "Paid Search"}': 50}


@pytest.mark.parametrize(
    ("entry", "marker", "said"),
    [
        ("channel: {column: [Source, Medium]}", "[", "the `column` of dimension `channel`"),
        ("channel: {column: null}", "null", r"not nothing \(null\)"),
    ],
)
def test_a_dimension_column_that_is_not_text_is_an_error(tmp_path, entry, marker, said):
    text = (
        "sources:\n  deals:\n    connector: csv\n    path: deals.csv\n"
        f"    dimensions: {{{entry}}}\n"
    )
    root = _write(tmp_path, text)
    with pytest.raises(KpiError, match=said) as caught:
        kpiengine.load_workspace(root)
    assert str(caught.value).startswith(str(root / _position(text, 5, marker)))


def test_a_connector_that_is_not_text_is_an_error(tmp_path):
    text = "sources:\n  deals:\n    connector: [csv]\n    path: deals.csv\n"
    root = _write(tmp_path, text)
    with pytest.raises(KpiError, match=r"`connector` of source `deals` .* not a list") as caught:
        kpiengine.load_workspace(root)
    assert str(caught.value).startswith(str(root / _position(text, 3, "[")))


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "marker", "message"),
    [
        ("name: {a: 1}\n", 1, "{", "`name` of kpi.yaml is text, not a mapping"),
        ("description: [a, b]\n", 1, "[", "`description` of kpi.yaml is text, not a list"),
        ("locale: [fr]\n", 1, "[", "`locale` of kpi.yaml is text, not a list"),
        (
            "report:\n  title: [Marketing, Sales]\n",
            2,
            "[",
            "`title` of `report` is text, not a list",
        ),
    ],
)
def test_a_setting_that_is_not_text_is_kpi003_at_its_position(
    tmp_path, text, line, marker, message
):
    root = _write(tmp_path, text)
    ws = kpiengine.load_workspace(root)
    [finding] = [f for f in ws.findings if f.code == "KPI003"]
    assert finding.message == message
    assert str(finding.location) == str(root / _position(text, line, marker))
    assert ws.settings.name == "" and ws.settings.report.title == ""
    assert ws.settings.locale == "en"
    code, out, _ = _run("lint", "-w", root, "--format", "json")
    assert code == 1
    assert message in out and "['" not in out and "{'a'" not in out


def test_text_settings_keep_numbers_and_dates_as_written(tmp_path):
    root = _write(tmp_path, "name: 2024\ndescription: 2024-01\nreport: {title: 1e3}\n")
    ws = kpiengine.load_workspace(root)
    assert (ws.settings.name, ws.settings.description) == ("2024", "2024-01")
    assert ws.settings.report.title == "1e3"
    assert not [f for f in ws.findings if f.code == "KPI003"]


@pytest.mark.parametrize(
    ("value", "said", "column"),  # the column of the value; of a quoted one, inside the quotes
    [("[data.csv, data.csv]", "not a list", 7), ("", "not nothing (null)", 6),
     ("''", "not empty text", 8)],
)  # fmt: skip
def test_data_that_is_not_one_path_stops_the_command(tmp_path, value, said, column):
    text = f"data: {value}\n"
    root = _write(tmp_path, text)
    with pytest.raises(DefinitionError) as caught:
        kpiengine.load_workspace(root)
    [finding] = caught.value.findings
    assert finding.code == "KPI003"
    assert finding.message == f"`data` is the path of one CSV file (text), {said}"
    assert str(finding.location) == f"{root / 'kpi.yaml'}:1:{column}"
    code, out, err = _run("eval", "-w", root)
    assert (code, out) == (2, "")
    assert "KPI003" in err and "['data.csv'" not in err and "ry/" not in err


def test_a_grain_that_is_not_text_is_said_as_yaml_not_python(tmp_path):
    root = _write(tmp_path, "grain: [month]\n")
    with pytest.raises(KpiError, match=r"`grain` is a list, not one of day"):
        kpiengine.load_workspace(root)


def test_a_target_that_is_a_list_is_said_as_a_list(tmp_path):
    root = _write(tmp_path, "targets:\n  roi: [0.3]\n")
    ws = kpiengine.load_workspace(root)
    [finding] = [f for f in ws.findings if f.code == "KPI003"]
    assert finding.message.endswith("{annual: ..., split: ...}, not a list")
    assert ws.kpis["roi"].target is None or ws.kpis["roi"].target.constant != 0.3


@pytest.mark.parametrize(("unit", "code"), [("[ratio]", "KPI008"), ("null", "KPI003")])
def test_a_parameter_unit_that_is_not_text_is_an_error(tmp_path, unit, code):
    text = f"parameters:\n  margin: {{value: 0.7, unit: {unit}}}\n"
    root = _write(tmp_path, text)
    ws = kpiengine.load_workspace(root)
    [finding] = [f for f in ws.findings if f.code == code]
    assert "['ratio']" not in finding.message and "None" not in finding.message
    assert "unit" in finding.message
    assert "margin" not in ws.parameters
