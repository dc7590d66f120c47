"""A connector option of the wrong kind (a list where a column is named, `yes` where a number
of lines is) is an error at the value's file:line:column saying what was expected, for every
built-in connector and for a plugin's options that declare a `kind`: never KPI012 (a plugin
failure) nor a traceback deep in the connector. Positions are counted by hand in the YAML text."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.connector import KINDS, Connector, Option, OptionError
from kpiengine.errors import KpiError
from kpiengine.plugins import make_plugin_manager, registered
from kpiengine.sourceconfig import parse_sources
from kpiengine.yamlio import parse_yaml

CONNECTORS = {
    name: item.obj
    for name, item in registered(make_plugin_manager(), "register_connectors").items()
    if item.origin == "built-in"
}
#: What each built-in connector needs besides the option tested (never read: the options are
#: checked before any file is opened).
REQUIRED = {
    "csv": {"path": "data.csv"},
    "crm": {"path": "deals.csv"},
    "ads": {"path": "ads.csv"},
    "ga_export": {"path": "ga.csv"},
    "sql": {"url": "'duckdb://'", "table": "deals"},
}
#: A value of the wrong kind for each kind, as kpi.yaml writes it.
WRONG = {"names": "{a: b}", "mapping": "[a, b]"}
DATA = "Month,Channel,Amount\n2024-01-01,A,10\n2024-02-01,B,20\n2024-03-01,A,5\n"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-30")


def _yaml(connector: str, options: dict[str, str]) -> str:
    lines = ["sources:", "  s:", f"    connector: {connector}"]
    lines += [f"    {key}: {value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def _open(connector: str, text: str, root: Path = Path(".")) -> Connector:
    [config] = parse_sources(parse_yaml(text, "kpi.yaml")["sources"], None, root, "EUR")
    config.variables = frozenset({"revenue", "sessions", "ad_spend", "ad_revenue"})
    return CONNECTORS[connector](config)


def _position(text: str, marker: str, after: str = "") -> str:
    """`kpi.yaml:LINE:COLUMN` of `marker` on the first line holding `after` + `marker`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if after + marker in line:
            return f"kpi.yaml:{number}:{line.index(after + marker) + len(after) + 1}"
    raise AssertionError(marker)


def _rejected(connector: str, text: str) -> tuple[str, str]:
    """The error's location and message."""
    with pytest.raises(OptionError) as caught:
        _open(connector, text)
    return str(caught.value.location), caught.value.message


def test_every_built_in_option_declares_its_kind():
    for connector in CONNECTORS.values():
        for option in connector.options:
            assert option.kind in KINDS, (connector.name, option.name)


@pytest.mark.parametrize(
    ("connector", "option"),
    [(c, o.name) for c, cls in sorted(CONNECTORS.items()) for o in cls.options],
)
def test_a_value_of_the_wrong_kind_is_kpi003_at_its_position(connector, option):
    kind = next(o for o in CONNECTORS[connector].options if o.name == option).kind
    value = WRONG.get(str(kind), "[a, b]")
    text = _yaml(connector, {**REQUIRED[connector], option: value})
    where, message = _rejected(connector, text)
    assert where == _position(text, value[0], after=f"{option}: ")
    said = "a mapping" if value.startswith("{") else "a list"
    assert message.startswith(f"source `s`: `{option}` ") and message.endswith(f"not {said}")
    assert "['a'" not in message and "{'a'" not in message


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("date", "[Month]", "`date` is a name (text), not a list"),
        ("delimiter", "[';']", "`delimiter` is text, not a list"),
        ("skip", "{a: 1}", "`skip` is a whole number (0 or more), not a mapping"),
        ("skip", "yes", "`skip` is a whole number (0 or more), not `true` (read as true/false)"),
        ("skip", "'2'", "`skip` is a whole number (0 or more), not the text `2`"),
        ("skip", "1.5", "`skip` is a whole number (0 or more), not `1.5`"),
        ("skip", "-1", "`skip` is a whole number (0 or more), not `-1`"),
        ("decimal", "1", "`decimal` is text, not `1`"),
        ("decimal", "';'", "`decimal` is one of `.`, `,`, not the text `;`"),
        ("format", "Long", "`format` is one of `wide`, `long`, not the text `Long`; did you mean"),
        ("date_format", "5", "`date_format` is a strptime format (text), not `5`"),
        ("path", "[a.csv]", "`path` is the path of a file, or a pattern such as `exports/*.csv`"),
        ("value_column", "''", "`value_column` is a name (text), not empty text"),
    ],
)
def test_the_csv_options_of_the_brief(option, value, message):
    text = _yaml("csv", {"path": "data.csv", option: value})
    where, said = _rejected("csv", text)
    line = text.splitlines().index(f"    {option}: {value}") + 1
    column = len(f"    {option}: ") + 1 + value.startswith("'")  # inside the quotes
    assert where == f"kpi.yaml:{line}:{column}"
    assert said.startswith(f"source `s`: {message}")


def test_a_quoted_number_is_said_to_be_written_without_quotes():
    with pytest.raises(OptionError) as caught:
        _open("csv", _yaml("csv", {"path": "data.csv", "skip": "'2'"}))
    assert caught.value.fix is not None
    assert caught.value.fix.startswith("write the number without quotes, `skip: 2`")


def test_a_wrong_item_or_entry_is_located_at_itself():
    text = _yaml("crm", {"path": "deals.csv", "fill_down": "[Stage, [Owner]]"})
    where, message = _rejected("crm", text)
    assert where == _position(text, "[Owner]")
    assert message.endswith("`fill_down` lists the columns a grouped report shows once per group: "
                            "its item 2 is a list")  # fmt: skip
    text = _yaml("crm", {"path": "deals.csv", "columns": "{stage: [A, B]}"})
    where, message = _rejected("crm", text)
    assert where == _position(text, "[A, B]")
    assert message.endswith("`columns` is a mapping of names to names: `stage` maps to a list")
    text = _yaml("sql", {"url": "'duckdb://'", "table": "t", "files": "{t: [a.csv]}"})
    where, message = _rejected("sql", text)
    assert where == _position(text, "[a.csv]")
    assert "`files` maps table names to CSV or Parquet files: `t` maps to a list" in message


def test_where_the_sources_are_opened_the_error_is_kpi003_stopping_the_command():
    from kpiengine.checks.definitions import BadValue

    text = _yaml("csv", {"path": "data.csv", "date": "[Month]"})
    with pytest.raises(OptionError) as caught:
        _open("csv", text)
    stopping = caught.value.stopping(BadValue)
    [finding] = stopping.findings
    assert (finding.code, finding.severity, finding.fix) == ("KPI003", "error", caught.value.fix)
    assert str(finding.location) == _position(text, "[Month]") == "kpi.yaml:5:11"
    assert str(stopping).startswith("kpi.yaml:5:11: error KPI003: source `s`: `date` is a name")


def test_a_url_of_the_wrong_kind_is_never_printed():
    text = _yaml("sql", {"url": "[postgresql://kpi:hunter2@db/marketing]", "table": "t"})
    where, message = _rejected("sql", text)
    assert where == _position(text, "[postgresql")
    assert message.endswith("`url` is text, not a list") and "hunter2" not in message


def test_null_is_the_default_and_a_required_null_is_said_where_its_value_is_missing(tmp_path):
    (tmp_path / "long.csv").write_text("date,variable,value\n2024-01-05,revenue,7\n", "utf-8")
    text = _yaml("csv", {"path": "long.csv", "format": "long", "value_column": "", "skip": ""})
    conn = _open("csv", text, tmp_path)
    assert conn.option("value_column") == "value" and conn.option("skip") is None
    assert conn.provides() == {"revenue"}
    text = _yaml("csv", {"path": "", "date": "Month"})
    with pytest.raises(KpiError) as caught:
        _open("csv", text, tmp_path)
    assert str(caught.value.location) == f"kpi.yaml:4:{len('    path:') + 1}"  # its value's place
    assert caught.value.message.startswith("source `s`: option `path` is required")


def test_values_of_the_right_kind_are_read(tmp_path):
    """`skip: 1` reads the header on line 2; a column named by a number (`2024`) is a name."""
    (tmp_path / "data.csv").write_text("exported 2024-06-30\n" + DATA.replace("Month", "2024"))
    text = _yaml("csv", {"path": "data.csv", "skip": "1", "date": "2024", "decimal": "'.'"})
    conn = _open("csv", text, tmp_path)
    assert conn.tables[0].columns == ["2024", "Channel", "Amount"]
    assert conn.date_column == "2024"


class _Plugin(Connector):
    name = "plugin"
    options: ClassVar[tuple[Option, ...]] = (
        Option("limit", "rows to read", kind="whole_number"),
        Option("ratio", "a share", kind="number"),
        Option("strict", "stop on a bad row", kind="boolean"),
        Option("tags", "campaign tags", kind="names"),
        Option("anything", "read by the plugin itself"),  # no kind: never checked
    )


def _plugin(options: str) -> Connector:
    text = "sources:\n  s:\n    connector: plugin\n" + options
    [config] = parse_sources(parse_yaml(text, "kpi.yaml")["sources"], None, Path("."), None)
    return _Plugin(config)


@pytest.mark.parametrize(
    ("options", "said", "column"),
    [
        ("    limit: many\n", "`limit` is a whole number (0 or more), not the text `many`", 12),
        ("    ratio: .inf\n", "`ratio` is a number, not `inf`", 12),
        ("    ratio: [1]\n", "`ratio` is a number, not a list", 12),
        ("    strict: 'no'\n", "`strict` is true or false, not the text `no`", 14),
        ("    tags: [a, {b: c}]\n", "`tags` is a name or a list of names: its item 2 is", 15),
    ],
)
def test_a_plugin_gets_its_declared_kinds_checked(options, said, column):
    with pytest.raises(OptionError) as caught:
        _plugin(options)
    assert said in caught.value.message
    assert str(caught.value.location) == f"kpi.yaml:4:{column}"


def test_a_plugin_option_without_a_kind_is_its_own():
    conn = _plugin("    anything: {a: [1, 2]}\n    limit: 0\n    tags: one\n    strict: false\n")
    assert conn.option("anything") == {"a": [1, 2]} and conn.option("limit") == 0


def test_an_unknown_kind_is_the_plugin_author_s_error():
    with pytest.raises(ValueError, match="unknown kind `int`"):
        Option("limit", "rows", kind="int")


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "-w", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_eval_and_lint_stop_at_the_option_where_eval_would_have_failed(tmp_path):
    """Was: `date: [Month]` said "no date column `['Month']`" at the CSV file's header, and
    `delimiter: [';']` was KPI012 (a TypeError in the csv module)."""
    (tmp_path / "data.csv").write_text(DATA, "utf-8")
    good = _yaml("csv", {"path": "data.csv", "date": "Month", "map": "{revenue: Amount}"})
    (tmp_path / "kpi.yaml").write_text(good, "utf-8")
    assert _run(tmp_path, "eval", "--kpi", "sales_revenue")[0] == 0
    assert _run(tmp_path, "lint")[0] != 2
    for bad, said in (
        (good.replace("date: Month", "date: [Month]"), "`date` is a name (text), not a list"),
        (good + "    delimiter: [';']\n", "`delimiter` is text, not a list"),
    ):
        (tmp_path / "kpi.yaml").write_text(bad, "utf-8")
        marker = "[Month]" if "[Month]" in bad else "[';']"
        where = f"{tmp_path / _position(bad, marker)}: error KPI003: source `s`: {said}"
        for command in ("eval", "lint"):
            code, out, err = _run(tmp_path, command)
            assert (code, out) == (2, ""), command
            assert err.startswith(f"error: {where}") and "KPI012" not in err
