"""The `headers:` block suggested for headers `ga_export` does not know offers a GA header only
of the same kind: never a count or an amount for a rate, nor a rate for the opposite metric
sharing its word `rate` (a GA4 funnel exploration's `Completion rate`, `Abandonment rate`);
such headers are left `"?"`. Close misspellings of the same metric are still offered."""

from __future__ import annotations

import csv
import io

import pytest
import yaml

import kpiengine
from connectors._ga_headers import ALIASES, FIELDS, KIND, header_key
from connectors._ga_suggest import hint, suggested
from kpiengine.errors import KpiError

FUNNEL = [
    ["Step", "Device category", "Active users", "Completion rate", "Abandonments",
     "Abandonment rate"],
    ["1. Session start", "desktop", "12,000", "40.00%", "7,200", "60.00%"],
    ["1. Session start", "mobile", "8,000", "30.00%", "5,600", "70.00%"],
    ["2. View item", "desktop", "4,800", "25.00%", "3,600", "75.00%"],
    ["3. Purchase", "desktop", "1,200", "", "", ""],
]  # fmt: skip
BLOCK = "# Funnel exploration\n# Start date: 20240101\n# End date: 20240131\n"


def _kind(english: str | None) -> str | None:
    return None if english is None else KIND[ALIASES[header_key(english)]]


def test_a_funnel_exploration_s_rates_are_left_to_the_user(write_workspace):
    root = write_workspace({}, "sources:\n  ga: {connector: ga_export, path: funnel.csv}\n")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(FUNNEL)
    (root / "funnel.csv").write_text(BLOCK + buffer.getvalue(), "utf-8")
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), grain="month")
    block = info.value.fix.split("delete the others):\n")[1].split("\n    English headers")[0]
    headers = yaml.safe_load(block)["headers"]
    unknown = ["Step", "Completion rate", "Abandonments", "Abandonment rate"]
    assert headers == dict.fromkeys(unknown, "?")


def test_a_rate_is_offered_only_a_rate_and_a_count_no_rate():
    percent = ["40.00%", "12.50%"]
    for kind, names in FIELDS.values():
        if kind in ("count", "users"):  # `Sessions rate`, `Sessions` with percentages: a rate
            header = names["en"].split("|")[0]
            assert _kind(suggested(f"{header} rate", percent)) in (None, "rate"), header
            assert _kind(suggested(header, percent)) in (None, "rate"), header
            assert _kind(suggested(header + "s", ["1,200"])) in (None, "count", "users"), header
    assert suggested("Completion rate", percent) is None  # not `Goal Completions`
    assert suggested("Abandonment rate", percent) is None  # not `Engagement rate`
    assert suggested("Abandonment rate") is None  # whatever the cells


@pytest.mark.parametrize(
    ("header", "cells", "decimal", "english"),
    [
        ("Sesions", ["1,200"], ".", "Sessions"),
        ("Engagment rate", ["0.5589"], ".", "Engagement rate"),
        ("Bounce", ["45.00%"], ".", "Bounce rate"),  # the cells tell a rate
        ("Bouncepercentage", ["45,00%"], ",", "Bounce rate"),
        ("Avg. Sesion Duration", ["00:01:23"], ".", "Avg. Session Duration"),
        ("Totl revenue", ["$12.00"], ".", "Total revenue"),
        ("Device categroy", ["desktop"], ".", "Device category"),
        ("Device categroy", ["12"], ".", None),  # numbers: no dimension
        ("Session duration", ["00:01:23"], ".", None),  # a total time is no average
    ],
)
def test_a_close_header_of_the_same_kind_is_offered(header, cells, decimal, english):
    assert suggested(header, cells, decimal) == english


def test_a_headers_entry_naming_no_ga_header_is_offered_the_same_kind():
    assert hint("Sesions") == "; did you mean `Sessions`?"
    assert hint("Completion rate") == ""  # no `Goal Completions` for a rate
    assert hint("Goal Completion") == "; did you mean `Goal Completions`?"
