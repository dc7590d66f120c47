"""`ga_export`: `map:` and `dimensions:` add to what the headers give (and override it).

Expected values are computed here from the fixture text with the csv module, not by kpiengine.
"""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from test_connector_ga_export import FIXTURES, fetch, source

from kpiengine.cli import cli
from kpiengine.connector import Mapping
from kpiengine.errors import Location

CUSTOM = "ga4_exploration_custom_metric.csv"
# what the headers of the custom-metric Exploration give by themselves (GA4: bounces are the
# sessions without engagement)
RECOGNISED = {"sessions", "engaged_sessions", "bounces", "conversions"}


def _by_key(frame, *dims):
    out = {}
    for i, day in enumerate(frame.dates.astype(str)):
        key = (day, *(str(frame.dims[d][i]) for d in dims))
        assert key not in out
        out[key] = {v: float(a[i]) for v, a in frame.values.items()}
    return out


def _table(name, first_header):
    """Header and data rows (not the totals rows) of a fixture's table starting so."""
    lines = (FIXTURES / name).read_text("utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first_header))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    header, *rows = csv.reader(lines[start:end])
    return header, [r for r in rows if r[0] and r[0] != "Grand total"]


def _number(text):
    return float(text.replace(",", "").replace("$", ""))


def _mapping(variable, column):
    return {variable: Mapping(variable, Location("kpi.yaml", 9, 7), column=column)}


def test_a_mapped_custom_metric_adds_to_the_recognised_variables():
    """Was: `map: {newsletter_signups: ...}` made the source give only `newsletter_signups`;
    sessions, engagement and key events were lost."""
    header, rows = _table(CUSTOM, "Date")
    conn = source(CUSTOM, mappings=_mapping("newsletter_signups", "Newsletter signups"))
    assert conn.provides() == RECOGNISED | {"newsletter_signups"}
    names = ["sessions", "engaged_sessions", "bounces", "conversions", "newsletter_signups"]
    frame = fetch(conn, *names, dims=["channel"])
    expected = {}
    for row in rows:
        cell = dict(zip(header, row, strict=True))
        sessions, engaged = float(cell["Sessions"]), float(cell["Engaged sessions"])
        day = f"{row[0][:4]}-{row[0][4:6]}-{row[0][6:]}"
        expected[(day, row[1])] = {
            "sessions": sessions,
            "engaged_sessions": engaged,
            "bounces": sessions - engaged,
            "conversions": float(cell["Key events"]),
            "newsletter_signups": float(cell["Newsletter signups"]),
        }
    assert _by_key(frame, "channel") == expected
    assert sum(v["newsletter_signups"] for v in expected.values()) == 175  # the totals row


def test_a_mapping_overrides_the_recognised_variable_of_its_name():
    header, rows = _table(CUSTOM, "Date")
    conn = source(CUSTOM, mappings=_mapping("conversions", "Newsletter signups"))
    assert conn.provides() == RECOGNISED
    frame = fetch(conn, "conversions", "sessions", grain="month")
    signups = sum(float(r[header.index("Newsletter signups")]) for r in rows)
    key_events = sum(float(r[header.index("Key events")]) for r in rows)
    assert frame.values["conversions"].tolist() == [signups] != [key_events]
    assert frame.values["sessions"].tolist() == [sum(float(r[2]) for r in rows)]


def test_declared_variables_restrict_the_recognised_ones_not_the_mapped():
    conn = source(
        CUSTOM,
        mappings=_mapping("newsletter_signups", "Newsletter signups"),
        variables={"sessions", "pageviews", "new_visitors"},
    )
    assert conn.provides() == {"sessions", "newsletter_signups"}


def test_mapped_and_recognised_variables_come_from_their_own_tables():
    """UA: `New Users` (mapped) is only in the channel table; sessions by day only in the Day
    Index table. By month both come from the channel table, per channel; by day sessions alone
    come from the Day Index table."""
    channels_header, channels = _table("ua_channels.csv", "Default Channel Grouping")
    _, days = _table("ua_channels.csv", "Day Index")
    conn = source("ua_channels.csv", mappings=_mapping("signed_up", "New Users"))
    assert "sessions" in conn.provides() and "signed_up" in conn.provides()
    frame = fetch(conn, "signed_up", "sessions", grain="month", dims=["channel"])
    expected = {
        ("2024-06-01", r[0]): {
            "signed_up": _number(r[channels_header.index("New Users")]),
            "sessions": _number(r[channels_header.index("Sessions")]),
        }
        for r in channels
    }
    assert _by_key(frame, "channel") == expected
    daily = fetch(conn, "sessions")
    assert len(daily) == len(days) == 30
    assert daily.values["sessions"].tolist() == [_number(r[1]) for r in days]


def test_named_dimensions_add_to_the_recognised_ones():
    """Was: `dimensions: {country: Country}` left only `country`; `channel` was lost."""
    header, rows = _table("ga4_exploration_grand_total.csv", "Session default")
    conn = source("ga4_exploration_grand_total.csv", dimensions={"country": "Country"})
    assert conn.dimensions() == {"country", "channel", "device"}
    frame = fetch(conn, "sessions", grain="month", dims=["channel", "country"])
    expected: dict = {}
    for row in rows:
        key = ("2025-07-01", row[0], row[header.index("Country")])
        cell = expected.setdefault(key, {"sessions": 0.0})
        cell["sessions"] += float(row[header.index("Sessions")])
    assert _by_key(frame, "channel", "country") == expected
    # a column named under another name is no longer given under its own
    renamed = source("ga4_exploration_grand_total.csv", dimensions={"traffic": "Device category"})
    assert renamed.dimensions() == {"traffic", "channel"}
    # the list form names the dimensions the headers give
    listed = source("ga4_exploration_grand_total.csv", dimensions={"channel": "channel"})
    assert listed.dimensions() == {"channel", "device"}
    by_list = fetch(listed, "sessions", grain="month", dims=["channel"])
    assert sorted(by_list.dims["channel"]) == sorted({r[0] for r in rows})


def test_map_through_kpi_yaml_keeps_the_recognised_variables(write_workspace):
    """A KPI reading a mapped custom metric beside sessions, which the headers give."""
    header, rows = _table(CUSTOM, "Date")
    root = write_workspace(
        {
            "signups": """\
            variables:
              newsletter_signups: {unit: signups, aggregate: sum}
            kpis:
              signup_rate:
                formula: newsletter_signups / sessions
                unit: signups / sessions
                format: percent
                direction: higher
            """
        },
        "grain: month\nsources:\n  ga:\n    connector: ga_export\n    path: ga.csv\n"
        "    map: {newsletter_signups: Newsletter signups}\n",
    )
    (root / "ga.csv").write_bytes((FIXTURES / CUSTOM).read_bytes())
    result = CliRunner().invoke(
        cli,
        ["eval", "--workspace", str(root), "--format", "json", "--kpi", "signup_rate",
         "--kpi", "bounce_rate"],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    total = {r["kpi"]: r["value"] for r in json.loads(result.stdout) if not r["segment"]}
    sessions = sum(float(r[header.index("Sessions")]) for r in rows)
    engaged = sum(float(r[header.index("Engaged sessions")]) for r in rows)
    signups = sum(float(r[header.index("Newsletter signups")]) for r in rows)
    assert total["signup_rate"] == pytest.approx(signups / sessions)  # 175 / 7068
    assert total["bounce_rate"] == pytest.approx(1 - engaged / sessions)
