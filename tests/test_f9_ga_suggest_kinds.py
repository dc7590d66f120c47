"""The GA header offered for a header `ga_export` does not know is told by the column's cells
and by kind words misspelt, never lost when the header is a close spelling of a GA header, and
never one of another kind: a `headers:` entry `Bounce rat` on a column of `70,17%` is offered
`Bounce rate` (not `Bounces`), `Datum` of `20240601` cells `Date`, `Totale opbrengst` (Dutch:
total revenue) `Total revenue` (not `Total users`), a header whose translation is unknown `"?"`.
The English headers expected are the translations of GA's own headers, by hand."""

from __future__ import annotations

import pytest
import yaml

import kpiengine
from connectors._ga_suggest import hint, suggested
from kpiengine.errors import KpiError

UA = """\
# ----------------------------------------
# All Web Site Data
# Kanalen
# 20240601-20240630
# ----------------------------------------

Default Channel Grouping,Sessions,Absprungrate,Sitzungsdauer,Zielvorhaben-Conversion-Rate
Organic Search,2.546,"70,17%",00:01:36,"1,18%"
Direct,1.449,"65,24%",00:00:21,"0,41%"
,3.995,"68,34%",00:01:09,"0,90%"
"""
NL = """\
# Start date: 20240601
# End date: 20240602
Datum,Standaard kanaalgroep van sessie,Gebruikers,Sessies,Betrokkenheidspercentage,Totale opbrengst
Grand total,,"1,693","1,995",58.30%,593.56
20240601,Organic Search,"1,037","1,161",57.88%,325.91
20240601,Direct,656,834,60.07%,267.65
"""


@pytest.mark.parametrize(
    ("target", "english"),
    [
        ("Bounce rat", "Bounce rate"),  # was `Bounces`
        ("Goal Conversion Rat", "Goal Conversion Rate"),  # was `Conversions`
        ("Avg. Session Duraton", "Avg. Session Duration"),  # was no hint
    ],
)
def test_a_headers_entry_misspelt_is_offered_the_header_of_its_column_s_kind(
    write_workspace, target, english
):
    column = {"Bounce": "Absprungrate", "Goal": "Zielvorhaben-Conversion-Rate"}
    text = column.get(target.split()[0], "Sitzungsdauer")
    kpi = "sources:\n  ga:\n    connector: ga_export\n    path: ua.csv\n"
    root = write_workspace({}, kpi + f"    headers: {{{text}: {target}}}\n")
    (root / "ua.csv").write_text(UA, "utf-8")
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), grain="month")
    assert info.value.message == (
        f"source `ga`: `headers`: `{target}` (for `{text}`) is not a GA header I know; "
        f"did you mean `{english}`?"
    )
    assert str(info.value.location).endswith("kpi.yaml:5:14")


def test_a_misspelt_kind_word_is_the_kind_word_whatever_the_cells():
    assert hint("Bounce rat") == "; did you mean `Bounce rate`?"
    assert hint("Bounce rat", ["70,17%", "65,24%"], ",") == "; did you mean `Bounce rate`?"
    assert hint("Goal Conversion Rat", ["1,18%"], ",") == "; did you mean `Goal Conversion Rate`?"
    assert hint("Avg. Session Duraton") == "; did you mean `Avg. Session Duration`?"
    # a close spelling of a GA header as a whole is never lost, its kind word misspelt or not
    assert suggested("Session key event ate") == "Session key event rate"
    assert suggested("Average engagement ime per session") == "Average engagement time per session"
    assert suggested("Total evenue") == "Total revenue"
    # a word a letter off a GA header's other word is that word: `rane` is `range`, not `rate`
    assert suggested("Date rane", ["Jun 1 - Jun 30"]) == "Date range"
    assert suggested("Session duraton", ["00:01:23"]) is None  # a total time is no average


def test_the_unknown_headers_block_of_a_dutch_export(write_workspace):
    root = write_workspace({}, "sources:\n  ga: {connector: ga_export, path: nl.csv}\n")
    (root / "nl.csv").write_text(NL, "utf-8")
    with pytest.raises(KpiError) as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), grain="month")
    block = info.value.fix.split("delete the others):\n")[1].split("\n    English headers")[0]
    assert yaml.safe_load(block)["headers"] == {
        "Datum": "Date",  # `20240601` cells are days, not numbers (was "?")
        "Standaard kanaalgroep van sessie": "?",
        "Gebruikers": "?",
        "Sessies": "Sessions",
        "Betrokkenheidspercentage": "?",
        "Totale opbrengst": "Total revenue",  # was `Total users`
    }


COUNTS = ["1,037", "656", "305"]


@pytest.mark.parametrize(
    ("header", "cells", "english"),
    [
        # days are a date (was "?" for these numbers), whatever the language
        ("Datum", ["20240601", "20240602"], "Date"),
        ("Data", ["20240601", "20240602"], "Date"),
        ("Data", ["2024-06-01", "2024-06-02"], "Date"),
        ("Fecha", ["20240601"], None),  # not spelt like `Date`
        ("Datum", ["12", "7"], None),  # numbers: no date
        # the money words of GA's languages (an amount was offered a count)
        ("Totale opbrengst", ["14,207.66", "325.91"], "Total revenue"),
        ("Entrate totali", ["14,207.66"], "Total revenue"),
        ("Receita total", ["14,207.66"], "Total revenue"),
        ("Ingresos totales", ["14,207.66"], "Total revenue"),
        ("Gesamtumsatz", ["14,207.66"], None),  # `gesamt` is not spelt like `total`
        # no kind told, another kind almost as close: which metric is not said
        ("Totale omzetting", ["14,207.66", "325.91"], None),
        ("Sessioni con engagement", ["672", "501"], None),  # not `Session campaign` nor a rate
        ("Eventos principais", ["37", "29"], None),  # not `Events per session`
        ("Nutzer", COUNTS, None),  # not `Minute`: counts are no time of day
        # the old right answers
        ("Sessies", COUNTS, "Sessions"),
        ("Sessões", COUNTS, "Sessions"),
        ("Usuarios", COUNTS, "Users"),
        ("Usuários", COUNTS, "Users"),
        ("Sesiones", COUNTS, "Sessions"),
        ("Sesions", COUNTS, "Sessions"),
        ("eSssions", COUNTS, "Sessions"),
        # and those 57c6ee2 made right
        ("Standard-Channelgruppe der Sitzung", ["Organic Search"], "Session default channel group"),
        ("Tasso di engagement", ["57.88%"], "Engagement rate"),
        ("Bounce", ["70,17%"], "Bounce rate"),  # percentages in the other decimal mark
        ("Quelle/Medium", ["google / organic"], "Session source / medium"),
        # time dimensions written as digits of one width
        ("Year wek", ["202423", "202424"], "Year week"),
        ("Nth dy", ["0001", "0002"], "Nth day"),
        ("Minuten", ["07", "13"], "Minute"),
        ("Minuten", COUNTS, None),  # counts of several widths: no minute
    ],
)
def test_the_cells_tell_the_kind(header, cells, english):
    assert suggested(header, cells, ".") == english
