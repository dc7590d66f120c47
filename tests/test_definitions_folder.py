"""The workspace's `definitions/` folder: read as a whole or not at all, never skipped in silence.

A `definitions` that cannot be read (no permission, a plain file, a link to nowhere) used to be
skipped, and the built-in KPI of the same id was evaluated instead: a number the workspace does
not define, with exit 0. It is now an error naming the folder and why. YAML files the workspace
does not read (in a subfolder) are warned about; a `.YAML` suffix is read like `.yaml`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError

# The workspace's own ROI counts 40% of revenue as margin; the built-in one counts all revenue.
OWN_ROI = """\
kpis:
  roi:
    title: Margin ROI
    formula: (revenue * 0.4 - marketing_cost) / marketing_cost
    unit: ratio
    format: percent
"""
DATA = "date,revenue,marketing_cost\n2024-01-05,1000,300\n"
OWN_VALUE = (1000 * 0.4 - 300) / 300  # 0.3333: the workspace's definition; the built-in
# ROI, (1000 - 300) / 300 = 2.3333, is what a skipped folder gave


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-30")


def _workspace(write_workspace) -> Path:
    return write_workspace({"own": OWN_ROI}, "data: data.csv\nkpis: [roi]\n", DATA)


def _eval(root: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["eval", "-w", str(root), "--period", "2024-01", "--format", "json"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def test_a_readable_folder_gives_the_workspace_definition(write_workspace):
    code, out, _ = _eval(_workspace(write_workspace))
    assert code == 0
    [row] = json.loads(out)
    assert row["value"] == pytest.approx(OWN_VALUE)


def test_an_unreadable_folder_is_an_error_not_the_built_in_kpi(write_workspace, monkeypatch):
    root = _workspace(write_workspace)
    scandir = os.scandir

    def denied(path):  # what `chmod 000 definitions` does to a user who is not root
        if Path(path).name == "definitions":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(KpiError, match=r"the folder `definitions` cannot be read") as caught:
        kpiengine.load_workspace(root)
    assert caught.value.location.file == str(root / "definitions")
    code, out, err = _eval(root)
    assert code == 2
    assert "definitions" in err and "Permission denied" in err and "Traceback" not in err
    assert out == ""  # no value at all, not the built-in ROI (2.3333)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode")
def test_a_folder_without_read_permission_is_an_error(write_workspace):
    root = _workspace(write_workspace)
    (root / "definitions").chmod(0)
    try:
        with pytest.raises(KpiError, match="cannot be read"):
            kpiengine.load_workspace(root)
    finally:
        (root / "definitions").chmod(0o755)


def test_definitions_as_a_plain_file_is_an_error(write_workspace):
    root = _workspace(write_workspace)
    (root / "definitions" / "own.yaml").unlink()
    (root / "definitions").rmdir()
    (root / "definitions").write_text(OWN_ROI, encoding="utf-8")
    with pytest.raises(KpiError, match=r"`definitions` is a file, not a folder"):
        kpiengine.load_workspace(root)
    code, out, err = _eval(root)
    assert (code, out) == (2, "")
    assert "`definitions` is a file, not a folder" in err


def test_definitions_as_a_link_to_nowhere_is_an_error(write_workspace):
    root = _workspace(write_workspace)
    (root / "definitions" / "own.yaml").unlink()
    (root / "definitions").rmdir()
    (root / "definitions").symlink_to("defs")  # renamed, the link left behind
    with pytest.raises(KpiError, match=r"a symbolic link to `defs`, which does not exist"):
        kpiengine.load_workspace(root)


def test_a_definitions_file_that_links_to_itself_is_named(write_workspace):
    root = _workspace(write_workspace)
    (root / "definitions" / "loop.yaml").symlink_to("loop.yaml")
    with pytest.raises(KpiError) as caught:
        kpiengine.load_workspace(root)
    assert "`loop.yaml` is a symbolic link that points to itself (a loop)" in str(caught.value)
    assert caught.value.location.file == str(root / "definitions" / "loop.yaml")


def test_a_definitions_file_that_is_a_folder_is_named(write_workspace):
    root = _workspace(write_workspace)
    (root / "definitions" / "old.yaml").mkdir()
    with pytest.raises(KpiError, match=r"`old.yaml` is a folder, not a file"):
        kpiengine.load_workspace(root)


def test_yaml_files_in_a_subfolder_are_warned_about(write_workspace):
    root = _workspace(write_workspace)
    (root / "definitions" / "own.yaml").rename(root / "definitions" / "sub.yaml")
    (root / "definitions" / "archive").mkdir()
    (root / "definitions" / "archive" / "kpis.yaml").write_text("kpis: {}\n", encoding="utf-8")
    (root / "definitions" / ".git").mkdir()  # tools' hidden folders are not the user's YAML
    (root / "definitions" / ".git" / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    ws = kpiengine.load_workspace(root)
    [warning] = [f for f in ws.findings if f.severity == "warning"]
    assert warning.code == "KPI002"
    assert "`definitions/archive/kpis.yaml`" in warning.message
    assert "not read" in warning.message
    assert warning.location.file == str(root / "definitions" / "archive")
    assert ws.kpis["roi"].title["en"] == "Margin ROI"  # the files directly in it are read
    code, out, err = _eval(root)
    assert code == 0
    assert "definitions/archive/kpis.yaml" in err
    [row] = json.loads(out)
    assert row["value"] == pytest.approx(OWN_VALUE)


def test_a_suffix_in_capitals_is_read(write_workspace):
    root = _workspace(write_workspace)
    (root / "definitions" / "own.yaml").rename(root / "definitions" / "OWN.YAML")
    ws = kpiengine.load_workspace(root)
    assert ws.kpis["roi"].title["en"] == "Margin ROI"
    assert not [f for f in ws.findings if f.severity != "info"]
    code, out, _ = _eval(root)
    assert code == 0
    [row] = json.loads(out)
    assert row["value"] == pytest.approx(OWN_VALUE)


def test_kpi_yaml_as_a_link_to_nowhere_is_an_error(write_workspace):
    root = _workspace(write_workspace)
    (root / "kpi.yaml").unlink()
    (root / "kpi.yaml").symlink_to("settings/kpi.yaml")
    with pytest.raises(KpiError, match=r"`kpi.yaml` is a symbolic link to `settings/kpi.yaml`"):
        kpiengine.load_workspace(root)


def test_no_definitions_folder_is_still_fine(tmp_path):
    (tmp_path / "kpi.yaml").write_text("name: Bare\n", encoding="utf-8")
    ws = kpiengine.load_workspace(tmp_path)
    assert ws.settings.name == "Bare" and "roi" in ws.kpis
