"""An export whose headers tell neither its object nor its roles (HubSpot deals in German) stops
at once with the file, its headers, the roles missing and the `columns:` block to paste, the
`object:` in it, not first with `object:` alone. Expected values are worked out with the csv
module."""

import csv
import io

import pytest
import yaml
from test_connector_crm import connector, nonzero, table

from kpiengine.errors import KpiError

HEADER = ["Datensatz-ID", "Deal-Name", "Deal-Phase", "Abschlussdatum", "Betrag", "Pipeline",
          "Erstelldatum", "Währung"]  # fmt: skip
DEALS = [
    ["101", "Deal 1", "Abgeschlossen und gewonnen", "06.09.2024", "1200,50", "Vertrieb",
     "25.08.2024", "EUR"],
    ["102", "Deal 2", "Abgeschlossen und verloren", "04.10.2024", "300,00", "Vertrieb",
     "26.08.2024", "EUR"],
    ["103", "Deal 3", "Abgeschlossen und gewonnen", "15.10.2024", "99,50", "Vertrieb",
     "01.09.2024", "EUR"],
]  # fmt: skip
ROLES = {"stage": "Deal-Phase", "close_date": "Abschlussdatum", "create_date": "Erstelldatum",
         "amount": "Betrag"}  # fmt: skip
STAGES = {"Abgeschlossen und gewonnen": "won", "Abgeschlossen und verloren": "lost"}


def write(path):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows([HEADER, *DEALS])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    rows = list(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";"))
    return [dict(zip(HEADER, r, strict=True)) for r in rows[1:]]


def test_unknown_headers_give_the_roles_missing_and_the_block_at_once(tmp_path):
    write(tmp_path / "deals.csv")
    with pytest.raises(KpiError) as info:
        connector("deals.csv", root=tmp_path, currency="EUR")
    said, fix = str(info.value), info.value.fix or ""
    assert str(info.value.location) == "deals.csv:1:1"
    assert "cannot tell whether deals.csv is an export of deals or of contacts" in said
    assert "`stage`, `close_date`, `create_date` or `amount`" in said  # the roles missing
    assert f"(headers: {', '.join(HEADER)})" in said
    # the block to paste, with its object: filled in as asked, it reads the file
    deals = fix.split("\n  or, for an export of contacts")[0].split(":\n", 1)[1]
    block = yaml.safe_load(deals.replace('"?"', "null"))
    assert block["object"] == "deals"
    assert [r for r, v in block["columns"].items() if v is None] == list(ROLES)
    assert block["columns"]["id"] == "Datensatz-ID" and block["columns"]["currency"] == "Währung"
    assert "object: contacts" in fix


def test_the_block_filled_in_reads_the_export(tmp_path):
    rows = write(tmp_path / "deals.csv")
    revenue: dict[str, float] = {}
    for r in rows:
        if STAGES[r["Deal-Phase"]] == "won":
            _, month, year = r["Abschlussdatum"].split(".")
            key = f"{year}-{month}"
            revenue[key] = revenue.get(key, 0.0) + float(r["Betrag"].replace(",", "."))
    assert revenue == {"2024-09": 1200.5, "2024-10": 99.5}
    conn = connector("deals.csv", root=tmp_path, currency="EUR", object="deals",
                     columns=ROLES, stages=STAGES, date_format="%d.%m.%Y")  # fmt: skip
    assert nonzero(table(conn, "revenue")["revenue"]) == revenue
