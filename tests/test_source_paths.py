"""A source's path that names something other than a file says what is there, at kpi.yaml's
position: a folder, a named pipe, a device, a symbolic link to nowhere or to itself. It used to
be "no file matches" (or, for `data:`, a RuntimeError traceback from `Path.resolve`).

Also here: `kpi lint --by` with a dimension no source has is refused as `kpi eval --by` is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpiengine.cli import cli

DATA = "date,channel,revenue,marketing_cost\n2024-01-05,Email,100,50\n2024-01-06,Search,80,60\n"
SOURCE = "sources:\n  costs:\n    connector: csv\n    path: {path}\n"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("KPIENGINE_TODAY", "2024-06-30")


def _run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def _position(root: Path, text: str, line: int, marker: str) -> str:
    """`kpi.yaml:LINE:COLUMN` of `marker` on a 1-based line, counted by hand."""
    return f"{root / 'kpi.yaml'}:{line}:{text.splitlines()[line - 1].index(marker) + 1}"


# --- data: and --data ------------------------------------------------------------------------


def test_data_that_links_to_itself_is_named_at_kpi_yaml(tmp_path):
    (tmp_path / "data.csv").symlink_to("data.csv")
    text = "currency: EUR\ndata: data.csv\n"
    (tmp_path / "kpi.yaml").write_text(text, encoding="utf-8")
    code, out, err = _run("eval", "-w", tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        f"error: {_position(tmp_path, text, 2, 'data.csv')}: source `data`: "
        "`data.csv` is a symbolic link that points to itself (a loop)\n"
    )


def test_data_option_that_links_to_itself_is_named(tmp_path):
    (tmp_path / "data.csv").symlink_to("data.csv")
    code, out, err = _run("eval", "-w", tmp_path, "--data", tmp_path / "data.csv")
    assert (code, out) == (2, "")
    assert "`data.csv` is a symbolic link that points to itself (a loop)" in err


def test_a_loop_of_two_links_is_named(tmp_path):
    (tmp_path / "a.csv").symlink_to("b.csv")
    (tmp_path / "b.csv").symlink_to("a.csv")
    (tmp_path / "kpi.yaml").write_text("data: a.csv\n", encoding="utf-8")
    code, _, err = _run("eval", "-w", tmp_path)
    assert code == 2
    assert (
        "`a.csv` is a symbolic link to `b.csv` in a loop of links that never reaches a file" in err
    )


def test_data_through_a_link_to_a_file_is_read(tmp_path):
    (tmp_path / "export.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "data.csv").symlink_to("export.csv")
    (tmp_path / "kpi.yaml").write_text("data: data.csv\n", encoding="utf-8")
    code, out, _ = _run("eval", "-w", tmp_path, "--kpi", "roi", "--period", "2024-01",
                        "--format", "json")  # fmt: skip
    assert code == 0
    assert '"value": 0.6363636363636364' in out  # (180 - 110) / 110, by hand


def test_a_data_file_whose_name_holds_glob_characters_is_that_file(tmp_path):
    (tmp_path / "data[2024].csv").write_text(DATA, encoding="utf-8")
    code, out, _ = _run("eval", "-w", tmp_path, "--data", tmp_path / "data[2024].csv",
                        "--kpi", "roi", "--period", "2024-01", "--format", "json")  # fmt: skip
    assert code == 0
    assert '"value": 0.6363636363636364' in out


# --- sources: path ---------------------------------------------------------------------------


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (Path.mkdir, "`exports/costs.csv` is a folder, not a file"),
        (_fifo, "`exports/costs.csv` is a named pipe (FIFO), not a file"),
        (lambda p: p.symlink_to("costs.csv"), "is a symbolic link that points to itself (a loop)"),
        (_device, "`exports/costs.csv` is a symbolic link to `/dev/zero`, a device, not a file"),
        (lambda p: p.symlink_to("old/costs.csv"), "a symbolic link to `old/costs.csv`, which does "
         "not exist"),
    ],
)  # fmt: skip
def test_a_path_naming_something_else_than_a_file_says_what_it_is(tmp_path, make, said):
    (tmp_path / "exports").mkdir()
    make(tmp_path / "exports" / "costs.csv")
    text = SOURCE.format(path="exports/costs.csv")
    (tmp_path / "kpi.yaml").write_text(text, encoding="utf-8")
    code, out, err = _run("eval", "-w", tmp_path)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {_position(tmp_path, text, 4, 'exports')}: source `costs`: ")
    assert said in err and "no file matches" not in err


def test_a_missing_folder_is_said(tmp_path):
    (tmp_path / "kpi.yaml").write_text(SOURCE.format(path="exprots/costs.csv"), encoding="utf-8")
    code, _, err = _run("eval", "-w", tmp_path)
    assert code == 2
    assert f"no file matches `exprots/costs.csv` (looked in {tmp_path / 'exprots'}, which " in err
    assert "does not exist" in err


def test_a_glob_matching_only_a_folder_says_so(tmp_path):
    (tmp_path / "exports" / "2024.csv").mkdir(parents=True)
    (tmp_path / "kpi.yaml").write_text(SOURCE.format(path="exports/*.csv"), encoding="utf-8")
    code, _, err = _run("eval", "-w", tmp_path)
    assert code == 2
    assert "`exports/2024.csv` is a folder, not a file" in err


@pytest.mark.parametrize(
    ("value", "said"), [("[a.csv, b.csv]", "not a list"), ("{a: b}", "not a mapping")]
)
def test_a_path_that_is_not_text_is_an_error_at_its_position(tmp_path, value, said):
    text = SOURCE.format(path=value)
    (tmp_path / "kpi.yaml").write_text(text, encoding="utf-8")
    code, _, err = _run("eval", "-w", tmp_path)
    assert code == 2
    assert err.startswith(
        f"error: {_position(tmp_path, text, 4, value[0])}: error KPI003: source `costs`: "
    )
    assert f"`path` is the path of a file, or a pattern such as `exports/*.csv` (text), {said}" in (
        err
    )
    assert "['a.csv'" not in err and "{'a'" not in err


# --- lint --by -------------------------------------------------------------------------------


def test_lint_by_an_unknown_dimension_is_refused_as_eval_refuses_it(tmp_path):
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "kpi.yaml").write_text("data: data.csv\n", encoding="utf-8")
    eval_code, _, eval_err = _run("eval", "-w", tmp_path, "--by", "nosuch")
    lint_code, lint_out, lint_err = _run("lint", "-w", tmp_path, "--by", "nosuch")
    assert eval_code == lint_code == 2
    assert (
        lint_err
        == eval_err
        == ("error: no source has the dimension `nosuch` (dimensions: channel)\n")
    )
    assert "data checks ran" not in lint_out
    code, _, err = _run("lint", "-w", tmp_path, "--by", "chanel", "--data", tmp_path / "data.csv")
    assert code == 2
    assert "no source has the dimension `chanel`; did you mean `channel`?" in err


def test_lint_by_a_known_dimension_runs_the_data_checks(tmp_path):
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "kpi.yaml").write_text("data: data.csv\n", encoding="utf-8")
    code, out, _ = _run("lint", "-w", tmp_path, "--by", "channel")
    assert code in (0, 1)
    assert "data checks ran" in out


def test_a_folder_that_cannot_be_read_is_said(tmp_path, monkeypatch):
    (tmp_path / "exports").mkdir()
    (tmp_path / "kpi.yaml").write_text(SOURCE.format(path="exports/costs.csv"), encoding="utf-8")
    access = os.access
    # what a user who is not root meets in a `chmod 000 exports` folder (root reads it anyway)
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p).name != "exports" and access(p, mode))
    code, _, err = _run("eval", "-w", tmp_path)
    assert code == 2
    assert (
        f"no file matches `exports/costs.csv` (looked in {tmp_path / 'exports'}, which cannot be "
        "read: permission denied)"
    ) in err
