"""DOS/OEM (cp850) files told from Windows-1252 ones by their first bytes (`sniff._oem`).

A cp850 export (a DOS program, a `type` redirect, Excel's "MS-DOS CSV") writes `Ñ` as 0xA5 and
`Ú` as 0xE9: read as Windows-1252 these are `¥` and `é`, so `ESPAÑA` became `ESPA¥A` and a
`where: {pais: [ESPAÑA]}` counted nothing. Expected labels are the bytes decoded by hand.
"""

from __future__ import annotations

import pytest

from kpiengine.connector import Mapping, Request, SourceConfig
from kpiengine.errors import Location
from kpiengine.fileformats.sniff import sniff
from kpiengine.model import Aggregate

OEM = b"date,pais,rev\r\n2024-01-01,ESPA\xa5A,10\r\n2024-01-02,PER\xe9,1\r\n"


def connector(tmp_path, data: bytes, mapping: Mapping, **options):
    from kpiengine.connectors.csv_files import CsvConnector

    (tmp_path / "c.csv").write_bytes(data)
    config = SourceConfig(
        name="p",
        connector="csv",
        root=tmp_path,
        location=Location("kpi.yaml", 3, 5),
        options={"path": "c.csv", "date": "date", **options},
        mappings={"rev": mapping},
        variables=frozenset({"rev"}),
        dimensions={"country": "pais"},
    )
    return CsvConnector(config)


def test_a_cp850_file_is_read_as_cp850(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(OEM)
    assert sniff(path).encoding == "cp850"
    rev = Mapping("rev", Location("k"), column="rev", where={"pais": ["ESPAÑA"]})
    frame = connector(tmp_path, OEM, rev).fetch(
        Request({"rev": Aggregate()}, "month", ["country"], None, None)
    )
    labels = {str(v) for v in frame.dims["country"]}
    assert labels == {"ESPA\u00d1A", "PER\u00da"}  # ESPAÑA, PERÚ
    assert float(sum(frame.values["rev"])) == pytest.approx(10.0)  # the ESPAÑA row only


@pytest.mark.parametrize(
    "text",
    [
        "Société café Straße München don’t “quoted” 5 € España Éric PERÚ",
        "Ürün Çay ÇAY Öl Ä",
        "Ñandú año",
    ],
)
def test_windows_1252_text_stays_windows_1252(tmp_path, text):
    path = tmp_path / "w.csv"
    path.write_bytes(f"date,name,rev\r\n2024-01-01,{text},1\r\n".encode("cp1252"))
    assert sniff(path).encoding == "cp1252"


def test_bytes_windows_1252_leaves_undefined_mean_cp850(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(b"date,city,rev\r\n2024-01-01,M\x81nchen,1\r\n")  # 0x81: `ü` in cp850
    sniffed = sniff(path)
    assert sniffed.encoding == "cp850"
    assert sniffed.sample[0].fields[1] == "M\u00fcnchen"


def test_the_encoding_option_overrides_the_guess(tmp_path):
    rev = Mapping("rev", Location("k"), column="rev")
    conn = connector(tmp_path, OEM, rev, encoding="cp1252")
    frame = conn.fetch(Request({"rev": Aggregate()}, "month", ["country"], None, None))
    assert {str(v) for v in frame.dims["country"]} == {"ESPA\u00a5A", "PER\u00e9"}


@pytest.mark.parametrize(("encoding", "label"), [(None, "ESPAÑA"), ("cp850", "ESPAÐA")])
def test_the_sql_connectors_files_take_the_encoding_option(tmp_path, monkeypatch, encoding, label):
    """`sql` with `files:` reads a CSV file through the reading layer, `encoding:` included:
    Windows-1252 `ESPAÑA` (byte 0xD1) is `ESPAÐA` when the source says cp850."""
    import kpiengine
    from kpiengine.errors import KpiError

    monkeypatch.setenv("KPIENGINE_TODAY", "2025-01-01")
    (tmp_path / "d.csv").write_bytes(b"date,pais,rev\n2024-01-05,ESPA\xd1A,10\n2024-01-06,PERU,1\n")
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "k.yaml").write_text(
        "variables:\n  revenue: {unit: currency}\nkpis:\n  r: {formula: revenue, unit: currency}\n",
        "utf-8",
    )
    option = f"\n    encoding: {encoding}" if encoding else ""
    (tmp_path / "kpi.yaml").write_text(
        "currency: EUR\nsources:\n  s:\n    connector: sql\n    url: 'duckdb://'\n"
        f"    files: {{t: d.csv}}\n    table: t\n    dimensions: {{pais: pais}}\n"
        f"    map: {{revenue: rev}}{option}\n",
        "utf-8",
    )
    results = kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["r"], by=["pais"])
    labels = {s.get("pais") for s in results.table.segments[1:]}
    assert labels == {label, "PERU"}
    (tmp_path / "kpi.yaml").write_text(
        (tmp_path / "kpi.yaml").read_text("utf-8").replace(option, "") + "    encoding: nope\n",
        "utf-8",
    )
    with pytest.raises(KpiError, match="unknown encoding `nope`"):
        kpiengine.evaluate(kpiengine.load_workspace(tmp_path), kpis=["r"])
