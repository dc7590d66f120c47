"""The `stages:` mapping the `crm` connector suggests for unknown stages: won or lost guessed only
from a clear word of the main CRM languages (marked as a guess), every other stage a placeholder
that kpi.yaml refuses until it is replaced, so that pasting the suggestion never classes a won
stage as open silently.

The fixture is a HubSpot deals export whose pipeline stages were named in French; expected values
are worked out here with the csv module.
"""

import csv
import datetime as dt
import textwrap
from collections import defaultdict

import pytest
import yaml
from kpiengine.connectors._crm_hints import PLACEHOLDER, guess
from test_connector_crm import FIXTURES, connector, nonzero, table

import kpiengine
from kpiengine.errors import KpiError

FRENCH = "hubspot_deals_fr_stages.csv"


@pytest.mark.parametrize(
    ("stage", "klass"),
    [
        ("Closed Won", "won"),
        ("closedwon", "won"),
        ("Conclue gagnée", "won"),
        ("Cerrado ganado", "won"),
        ("Fechado ganho", "won"),
        ("Gewonnen", "won"),
        ("Vinto", "won"),
        ("Contract signed", "won"),
        ("成交", "won"),
        ("赢单", "won"),
        ("受注", "won"),
        ("برنده", "won"),
        ("Выиграна", "won"),
        ("Closed Lost", "lost"),
        ("Conclue perdue", "lost"),
        ("Cerrado perdido", "lost"),
        ("Verloren", "lost"),
        ("Perso", "lost"),
        ("输单", "lost"),
        ("丢失", "lost"),
        ("失注", "lost"),
        ("بازنده", "lost"),
        ("ناموفق", "lost"),  # holds `موفق` (successful): the lost word wins
        ("Disqualified", "lost"),
        # no clear word, both, or a negation: the user chooses
        ("Rendez-vous programmé", None),
        ("Closed", None),
        ("Personal meeting", None),  # `perso` only as a whole word
        ("Window cleaning", None),
        ("Contract to be signed", None),
        ("Not won", None),
        ("未成交", None),
        ("Won / lost review", None),
        ("Negotiation", None),
    ],
)
def test_a_stage_is_guessed_only_from_a_clear_word(stage, klass):
    assert guess(stage) == klass


def french_deals():
    with (FIXTURES / FRENCH).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_suggestion_guesses_won_and_lost_and_leaves_the_rest_to_choose():
    rows = french_deals()
    with pytest.raises(KpiError) as info:
        table(connector(FRENCH, currency="EUR"), "revenue")
    fix = info.value.fix
    snippet = fix[fix.index("    stages:") :]
    suggested = yaml.safe_load(textwrap.dedent(snippet))["stages"]
    assert set(suggested) == {r["Deal Stage"] for r in rows}
    assert suggested["Conclue gagnée"] == "won" and suggested["Conclue perdue"] == "lost"
    assert suggested["Rendez-vous programmé"] == PLACEHOLDER
    assert suggested["Contrat envoyé"] == PLACEHOLDER
    assert '"Conclue gagnée": won  # guessed from its name: check it' in fix
    # pasted as is, the suggestion does not load: a stage is still to be classed
    with pytest.raises(KpiError, match="stage `.*` is still to be classed") as refused:
        connector(FRENCH, currency="EUR", stages=suggested)
    assert PLACEHOLDER in refused.value.fix
    # once chosen, the won deals count, with their amounts
    chosen = {s: ("open" if k == PLACEHOLDER else k) for s, k in suggested.items()}
    got = table(connector(FRENCH, currency="EUR", stages=chosen), "revenue", "deals_won")
    revenue, won = defaultdict(float), defaultdict(float)
    for r in rows:
        if r["Deal Stage"] == "Conclue gagnée":
            month = dt.date.fromisoformat(r["Close Date"][:10]).strftime("%Y-%m")
            revenue[month] += float(r["Amount"] or 0)
            won[month] += 1
    assert nonzero(got["revenue"]) == nonzero(revenue)
    assert nonzero(got["deals_won"]) == nonzero(won)


def test_the_placeholder_is_refused_at_its_line_in_kpi_yaml(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "deals.csv").write_bytes((FIXTURES / FRENCH).read_bytes())
    text = textwrap.dedent(
        f"""\
        name: t
        currency: EUR
        sources:
          hs:
            connector: crm
            path: deals.csv
            stages:
              "Conclue gagnée": won
              "Conclue perdue": lost
              "Contrat envoyé": open
              "Rendez-vous programmé": {PLACEHOLDER}  # choose one
        """
    )
    (root / "kpi.yaml").write_text(text, "utf-8")
    with pytest.raises(KpiError, match="`Rendez-vous programmé` is still to be classed") as info:
        kpiengine.evaluate(kpiengine.load_workspace(root), kpis=["sales_revenue"], grain="month")
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if PLACEHOLDER in t)
    assert info.value.location.file.endswith("kpi.yaml") and info.value.location.line == line
