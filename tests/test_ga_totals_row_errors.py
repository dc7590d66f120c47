"""A malformed totals row in a GA export is an error at its `file:line:column`, as the same fault
in a data row is, never KPI012 with DuckDB's own message.

Was: `Grand total,x"354,585","329,764"` in the sample's GA4 users-by-month export (a stray
character before a quote: four fields under a three-column header) gave KPI012 "connector
`ga_export` ... raised InvalidInputException: ... CSV Error on Line: 11 ... Possible fixes", and
left the KPIs of users undefined. Expected lines and columns are computed here from the file's
text, not by kpiengine.
"""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError

USERS = "ga4_users_by_month.csv"
TOTAL = 'Grand total,"354,585","329,764"'


def sample_with(tmp_path, old: str, new: str):
    """A copy of the sample workspace, its GA4 users export's line `old` replaced by `new`;
    the (1-based) line number, and the header's field count and line (csv module)."""
    root = tmp_path / "sample"
    shutil.copytree(kpiengine.sample_workspace(), root)
    path = root / "exports" / USERS
    lines = path.read_text("utf-8").split("\n")
    index = lines.index(old)
    lines[index] = new
    path.write_text("\n".join(lines), "utf-8")
    header = next(i for i, t in enumerate(lines) if t.startswith("Year month,"))
    width = len(next(csv.reader([lines[header]])))
    return root, index + 1, width, header + 1


def run(root):
    args = ["eval", "-w", str(root), "--period", "2024-06", "--kpi", "traffic_to_lead_ratio"]
    return CliRunner().invoke(cli, args)


def assert_located(result, line: int, column: int, message: str):
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"exports/{USERS}:{line}:{column}: {message}" in text, result.output
    for raw in ("KPI012", "CSV Error", "Possible fixes", "InvalidInputException", "Traceback"):
        assert raw not in result.output


def beyond(fields: list[str], width: int) -> int:
    """The column where the field beyond the header's last starts: the fields before it hold
    their quotes as written (a quote inside a field is no quoting), so they are the line's text."""
    return len(",".join(fields[:width])) + 2


def test_the_sample_reads_as_it_came(tmp_path):
    root, line, width, _ = sample_with(tmp_path, TOTAL, TOTAL)
    assert (line, width) == (11, 3)
    result = run(root)
    assert result.exit_code in (0, 1), result.output
    assert "KPI012" not in result.output


def test_a_stray_character_before_a_quote_in_the_totals_row(tmp_path):
    bad = 'Grand total,x"354,585","329,764"'
    root, line, width, header = sample_with(tmp_path, TOTAL, bad)
    fields = next(csv.reader([bad]))  # ['Grand total', 'x"354', '585"', '329,764']
    assert len(fields) == width + 1
    assert_located(
        run(root),
        line,
        beyond(fields, width),
        f"the row has {len(fields)} fields but the header (line {header}) has {width}: "
        f"`{fields[width]}` is beyond the last column",
    )


def test_the_same_fault_in_a_data_row_says_the_same(tmp_path):
    good = '202301,"25,586","14,584"'
    bad = '202301,x"25,586","14,584"'
    root, line, width, header = sample_with(tmp_path, good, bad)
    fields = next(csv.reader([bad]))
    assert_located(
        run(root),
        line,
        beyond(fields, width),
        f"the row has {len(fields)} fields but the header (line {header}) has {width}: "
        f"`{fields[width]}` is beyond the last column",
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('Grand total,"354,585"', "the row has 2 fields but the header (line 10) has 3"),
        (TOTAL + ",", "the row has 4 fields but the header (line 10) has 3: an empty field"),
    ],
)
def test_a_totals_row_short_or_long_by_a_field(tmp_path, bad, message):
    root, line, width, header = sample_with(tmp_path, TOTAL, bad)
    assert header == 10 and width == 3
    column = len(bad) + 1  # past the line's end: where the missing field or the empty one is
    assert_located(run(root), line, column, message)


GA4_TRAFFIC = (
    "\ufeff# ----------------------------------------\n"
    "# Traffic acquisition: Session default channel group\n"
    "# Account: Acme\n"
    "# Property: acme - GA4\n"
    "# ----------------------------------------\n"
    "#\n"
    "# All Users\n"
    "# Start date: 20250701\n"
    "# End date: 20250731\n"
    "Session default channel group,Users,Sessions,Engaged sessions,Views\n"
    'Grand total,x"1,200","1,500",900,"4,000"\n'
    'Direct,700,"1,000",600,"3,000"\n'
    'Organic Search,500,500,300,"1,000"\n'
)
UA_CHANNELS = (
    "# ----------------------------------------\n"
    "# All Web Site Data\n"
    "# Channels\n"
    "# 20240601-20240630\n"
    "# ----------------------------------------\n"
    "\n"
    "Default Channel Grouping,Users,Sessions\n"
    'Organic Search,"1,234","1,500"\n'
    'Direct,766,"1,000"\n'
    ',"2,000",x"2,500"\n'
)


@pytest.mark.parametrize("text", [GA4_TRAFFIC, UA_CHANNELS], ids=["ga4", "ua"])
def test_a_report_without_dates_with_a_totals_row_a_field_too_long(tmp_path, text):
    """The scan's path (was, for GA4: "cannot read the file as delimited text", no line); UA's
    totals row has an empty first cell, checked all the same."""
    from kpiengine.connectors.ga_export import GaExportConnector

    from kpiengine.connector import Request, SourceConfig
    from kpiengine.model import Aggregate

    (tmp_path / "ga.csv").write_text(text, "utf-8")
    lines = text.lstrip("\ufeff").split("\n")
    header = next(i for i, t in enumerate(lines) if t and not t.startswith("#")) + 1
    width = len(next(csv.reader(io.StringIO(lines[header - 1]))))
    line = next(i for i, t in enumerate(lines) if 'x"' in t) + 1
    fields = next(csv.reader(io.StringIO(lines[line - 1])))
    config = SourceConfig(
        name="ga", connector="ga_export", root=tmp_path, location=None,
        options={"path": "ga.csv"},
    )  # fmt: skip
    request = Request({"sessions": Aggregate()}, "month", [], None, None)
    with pytest.raises(KpiError) as error:
        GaExportConnector(config).fetch(request)
    where = error.value.location
    assert (where.file, where.line) == ("ga.csv", line)
    assert error.value.message == (
        f"the row has {len(fields)} fields but the header (line {header}) has {width}: "
        f"`{fields[width]}` is beyond the last column"
    )
