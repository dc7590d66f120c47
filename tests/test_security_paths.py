"""Output paths: `kpi report -o` and `kpi plan --write` write only what was asked.

An existing file keeps its mode; a symlink stays a symlink and its target is replaced
atomically; anything that is not a regular file is refused with a message; `-o -` is stdout.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpiengine
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.safewrite import write_atomic
from kpiengine.writeback import write_targets

DATA = "date,revenue,marketing_cost\n2024-01-05,100,80\n2024-02-05,120,90\n2024-03-05,90,70\n"
SHOP = Path(__file__).parent / "fixtures" / "analysis" / "shop"


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ws(write_workspace) -> Path:
    return write_workspace(kpi_yaml="data: data.csv\n", data=DATA)


def test_the_report_keeps_the_mode_of_an_existing_file(ws):
    out = ws / "out.html"
    out.write_text("old")
    out.chmod(0o600)
    code, _, err = run("report", "-w", ws, "-o", out)
    assert code in (0, 1), err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and "<html" in out.read_text()


def test_a_new_report_follows_the_umask(ws):
    old = os.umask(0o027)
    try:
        code, _, err = run("report", "-w", ws, "-o", ws / "new.html")
    finally:
        os.umask(old)
    assert code in (0, 1), err
    assert stat.S_IMODE((ws / "new.html").stat().st_mode) == 0o640


def test_the_report_is_written_through_a_symlink(ws, tmp_path):
    target = tmp_path / "shared" / "report.html"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o640)
    link = ws / "link.html"
    link.symlink_to(target)
    code, _, err = run("report", "-w", ws, "-o", link)
    assert code in (0, 1), err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "<html" in target.read_text() and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]  # no temp left


def test_a_dangling_symlink_creates_its_target(ws, tmp_path):
    link = ws / "link.md"
    link.symlink_to(tmp_path / "later.md")
    code, _, err = run("report", "-w", ws, "-o", link)
    assert code in (0, 1), err
    assert link.is_symlink() and (tmp_path / "later.md").read_text().startswith("#")


@pytest.mark.parametrize("kind", ["fifo", "link to fifo", "directory"])
def test_anything_but_a_regular_file_is_refused(ws, tmp_path, kind):
    special = tmp_path / "special"
    if kind == "directory":
        special.mkdir()
    else:
        os.mkfifo(special)
    path = special
    if kind == "link to fifo":
        path = ws / "link.html"
        path.symlink_to(special)
    with pytest.raises(KpiError, match="not a regular file"):
        write_atomic(path, b"x", "the report")
    if kind != "directory":  # click refuses a directory for -o before kpiengine sees it
        code, _, err = run("report", "-w", ws, "-o", path)
        assert code == 2 and "refusing to write the report" in err and "Traceback" not in err
    assert special.is_fifo() or special.is_dir()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".special")] == []


def test_a_missing_folder_is_a_message(ws):
    code, _, err = run("report", "-w", ws, "-o", ws / "no" / "such" / "r.html")
    assert code == 2 and "cannot write the report" in err


def test_dash_writes_to_standard_output(ws):
    code, out, err = run("report", "-w", ws, "-o", "-", "--format", "md")
    assert code in (0, 1), err
    assert out.startswith("#") and "wrote" not in out and not (ws / "-").exists()
    code, out, _ = run("report", "-w", ws, "-o", "-")
    assert "<html" in out


@pytest.fixture
def shop(tmp_path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def test_plan_write_updates_a_symlinked_kpi_yaml(shop, tmp_path):
    real = tmp_path / "config" / "kpi.yaml"
    real.parent.mkdir()
    shutil.move(shop / "kpi.yaml", real)
    real.chmod(0o600)
    (shop / "kpi.yaml").symlink_to(real)
    code, _, err = run("plan", "roas", "-w", shop, "--target", "4", "--given",
                       "ad_spend=25000", "--write")  # fmt: skip
    assert code == 0, err
    assert (shop / "kpi.yaml").is_symlink()
    assert "  roas: {2023: 2.5, 2024: 3, 2025: 4}\n" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_plan_write_refuses_a_kpi_yaml_that_is_not_a_file(tmp_path):
    (tmp_path / "kpi.yaml").mkdir()
    with pytest.raises(KpiError):
        write_targets(tmp_path, "roi", {"2025": 0.3}, 2025, False)


def test_a_comment_stays_on_its_line(tmp_path):
    (tmp_path / "kpi.yaml").write_text("name: x\ntargets:\n  roi: 0.3\n  cac: 500 # cac comment\n")
    write_targets(tmp_path, "roas", {"2025": 4.0}, 2025, False)
    expected = "name: x\ntargets:\n  roi: 0.3\n  cac: 500 # cac comment\n  roas: {2025: 4}\n"
    assert (tmp_path / "kpi.yaml").read_text() == expected
    write_targets(tmp_path, "cac", {"2025": 480.0}, 2025, False)
    assert "  cac: {annual: 500, 2025: 480} # cac comment\n" in (tmp_path / "kpi.yaml").read_text()


BLOCK = """\
name: x   # the name
targets:
  sales_revenue:   # the big one
    annual:
      2024: 100000   # last year
      2025: 120000
    split: even
    # a one-off
    2024-03: 5000
    2025-03: 6000  # replaced by the plan
  roi: 0.3  # keep
# trailing
"""


def test_a_block_entry_stays_a_block_with_its_comments(tmp_path):
    (tmp_path / "kpi.yaml").write_text(BLOCK)
    write_targets(tmp_path, "sales_revenue", {"2025-01": 10000.0, "2025-02": 11000.0}, 2025, True)
    assert (tmp_path / "kpi.yaml").read_text() == BLOCK.replace("      2025: 120000\n", "").replace(
        "    2025-03: 6000  # replaced by the plan\n",
        "    2025-01: 10000\n    2025-02: 11000\n",
    )
    ws = kpiengine.load_workspace(tmp_path)
    spec = ws.kpis["sales_revenue"].target
    assert spec.annual == {"2024": 100000.0} and spec.by_period["2025-02"] == 11000.0


def test_a_flow_entry_stays_flow(tmp_path):
    (tmp_path / "kpi.yaml").write_text("targets: {roi: 0.3, roas: {2024: 3}}  # flow\n")
    write_targets(tmp_path, "roas", {"2025": 4.0}, 2025, False)
    expected = "targets: {roi: 0.3, roas: {2024: 3, 2025: 4}}  # flow\n"
    assert (tmp_path / "kpi.yaml").read_text() == expected


def test_a_kpi_yaml_that_is_a_fifo_is_refused_not_read(tmp_path):
    os.mkfifo(tmp_path / "kpi.yaml")
    with pytest.raises(KpiError, match="not a regular file"):
        write_targets(tmp_path, "roi", {"2025": 0.3}, 2025, False)
    with pytest.raises(KpiError, match="not a regular file"):
        kpiengine.load_workspace(tmp_path)
