"""Control characters from workspace files never reach the terminal: an id with an OSC sequence
(`ESC ] 0;pwned BEL`, which sets the window title) is shown escaped in every command's output,
on stdout and stderr; kpiengine's own colours and line layout pass (`terminal/safe.py`)."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.terminal.console import clean
from kpiengine.terminal.safe import _Guarded, escape, escape_stream, guarded_output

OSC = "\x1b]0;pwned\x07"
ESCAPED_OSC = "\\u001b]0;pwned\\u0007"
#: a KPI id and a title holding an OSC sequence, a conceal code and a C1 CSI (U+009B)
DEFINITIONS = 'kpis:\n  "k\\e]0;pwned\\a\\e[8m": {formula: revenue, unit: currency}\n'
TITLED = 'kpis:\n  ok: {title: "R\\e]0;pwned\\aZ\\u009b2J", formula: revenue * 2, unit: currency}\n'
DATA = "date,channel,revenue\n2024-01-31,A,100\n2024-01-31,B,5\n"


def _controls(text: str) -> list[str]:
    """The control characters of `text` other than newline."""
    return [c for c in text if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F]


def test_escape_shows_every_control_character():
    assert escape("k\x1b]0;x\x07") == "k\\u001b]0;x\\u0007"
    assert escape("a\x9bb\x7f") == "a\\u009bb\\u007f"  # C1 and DEL
    assert escape("a\nb\tc") == "a\\u000ab\\u0009c"  # a single-line field
    assert escape("a\nb\tc", layout=True) == "a\nb\tc"
    # bidi overrides are dropped, as before, and controls escaped
    assert clean("R\u202eOI\x1b[8m") == "ROI\\u001b[8m"


def test_a_guarded_stream_keeps_colours_and_line_ends_only():
    assert escape_stream("\x1b[1;31merror\x1b[0m\r\n") == "\x1b[1;31merror\x1b[0m\r\n"
    assert escape_stream("\x1b[8mhidden") == "\\u001b[8mhidden"  # conceal is not a colour
    assert escape_stream(f"a{OSC}b") == f"a{ESCAPED_OSC}b"
    assert escape_stream("a\rb") == "a\\u000db"  # a lone carriage return overwrites a line
    target = io.StringIO()
    stream = _Guarded(target)  # type: ignore[arg-type]
    stream.write("x\x1b[3")  # a colour cut between two writes
    stream.write("1mred\x1b")
    stream.flush()
    assert target.getvalue() == "x\x1b[31mred\\u001b"


def test_guarded_output_restores_the_streams():
    import sys

    before = sys.stdout, sys.stderr
    with guarded_output():
        assert isinstance(sys.stdout, _Guarded) and isinstance(sys.stderr, _Guarded)
        with guarded_output():  # nested: guarded once
            assert not isinstance(sys.stdout._stream, _Guarded)
    assert (sys.stdout, sys.stderr) == before


def test_lint_and_eval_escape_an_osc_sequence_in_an_id(write_workspace):
    root = write_workspace({"a": DEFINITIONS}, kpi_yaml="name: f7\ndata: data.csv\n", data=DATA)
    runner = CliRunner()
    lint = runner.invoke(cli, ["lint", "-w", str(root)])
    assert "KPI003" in lint.stdout and ESCAPED_OSC in lint.stdout
    assert not _controls(lint.stdout)
    evaluate = runner.invoke(cli, ["eval", "-w", str(root)])  # the finding goes to stderr
    assert "KPI003" in evaluate.stderr and ESCAPED_OSC in evaluate.stderr
    assert not _controls(evaluate.stderr) and not _controls(evaluate.stdout)


def test_titles_and_segments_are_escaped_in_tables_json_and_csv(write_workspace):
    data = DATA.replace("2024-01-31,B,", f"2024-01-31,B{OSC},")
    root = write_workspace({"a": TITLED}, kpi_yaml="name: f7\ndata: data.csv\n", data=data)
    runner = CliRunner()
    base = ["eval", "-w", str(root), "--kpi", "ok", "--by", "channel"]
    table = runner.invoke(cli, base)
    assert "R\\u001b]0;pwned\\u0007Z\\u009b2J" in table.stdout
    assert f"B{ESCAPED_OSC}" in table.stdout and not _controls(table.stdout)
    rows = json.loads(runner.invoke(cli, [*base, "--format", "json"]).stdout)
    assert rows[0]["title"] == "R\\u001b]0;pwned\\u0007Z\\u009b2J"  # shown as escaped text
    assert {"channel": f"B{ESCAPED_OSC}"} in [r["segment"] for r in rows]
    csv_text = runner.invoke(cli, [*base, "--format", "csv"]).stdout
    assert f"channel=B{ESCAPED_OSC}" in csv_text and not _controls(csv_text)
