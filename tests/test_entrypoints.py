"""The quick look for installed kpiengine entry points never hides one importlib.metadata sees."""

import subprocess
import sys
import zipfile

from kpiengine import entrypoints


def _dist(folder, name, text):
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if text is not None:
        (info / "entry_points.txt").write_text(text)


def test_a_declared_group_is_found_as_importlib_metadata_reads_it(tmp_path, monkeypatch):
    _dist(tmp_path, "kpi_other", "[console_scripts]\nother = other:main\n")
    _dist(tmp_path, "kpi_none", None)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert entrypoints.entry_points("kpiengine_test_group") == []
    _dist(
        tmp_path,
        "kpi_plug",
        "[console_scripts]\nx = y:z\n\n[kpiengine_test_group]\nplug = kpi_plug\n",
    )
    found = entrypoints.entry_points("kpiengine_test_group")
    assert [(e.name, e.value, e.dist.name) for e in found] == [("plug", "kpi_plug", "kpi_plug")]


def test_a_zip_on_the_path_is_left_to_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("kpi_zipped-1.0.dist-info/METADATA", "Name: kpi_zipped\nVersion: 1.0\n")
        zipped.writestr(
            "kpi_zipped-1.0.dist-info/entry_points.txt", "[kpiengine_test_group]\nz = kpi_zipped\n"
        )
    monkeypatch.syspath_prepend(str(archive))
    assert [e.name for e in entrypoints.entry_points("kpiengine_test_group")] == ["z"]


def test_no_declared_group_does_not_import_importlib_metadata():
    code = (
        "import sys\nfrom kpiengine.entrypoints import entry_points\n"
        "assert entry_points('kpiengine_test_group') == []\n"
        "print('importlib.metadata' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
