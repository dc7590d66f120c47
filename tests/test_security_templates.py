"""Workspace templates are untrusted: they render sandboxed, and their mistakes are messages."""

from __future__ import annotations

from pathlib import Path

import jinja2.sandbox
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.report.environment import make_environment

DATA = "date,revenue,marketing_cost\n2024-01-05,100,80\n2024-02-05,120,90\n2024-03-05,90,70\n"


def report(write_workspace, template: str, name: str = "report.html.j2") -> tuple[int, str, Path]:
    root = write_workspace(kpi_yaml="data: data.csv\n", data=DATA)
    (root / "templates").mkdir()
    (root / "templates" / name).write_text(template)
    out = root / "out.html"
    result = CliRunner().invoke(cli, ["report", "-w", str(root), "-o", str(out)])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output, out


@pytest.mark.parametrize(
    "payload",
    [
        "{{ cycler.__init__.__globals__.os.system('touch {marker}') }}",
        "{{ joiner.__init__.__globals__.os.system('touch {marker}') }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ lipsum.__globals__['os'].system('touch {marker}') }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_a_workspace_template_cannot_run_code(write_workspace, tmp_path, payload):
    marker = tmp_path / "pwned"
    code, output, out = report(write_workspace, payload.replace("{marker}", str(marker)))
    assert not marker.exists()
    assert code == 2 and "templates/report.html.j2:1: template error: not allowed" in output
    assert not out.exists()


def test_built_in_filters_and_extends_still_work(write_workspace):
    template = (
        '{% extends "default:report.html.j2" %}'
        "{% block title %}{{ 'my report'|title }} {{ [3, 1, 2]|sort|join(',') }}"
        "{{ '%.1f'|format(2.25) }}{% endblock %}"
    )
    code, output, out = report(write_workspace, template)
    assert code in (0, 1), output
    assert "My Report 1,2,3" in out.read_text()


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("ok\n{{ nope.x }}", "templates/report.html.j2:2: template error: 'nope' is undefined"),
        ("ok\nok\n{{ 1/0 }}", "templates/report.html.j2:3: template error: ZeroDivisionError"),
        ("{% if %}", "templates/report.html.j2:1: template syntax error: Expected an expression"),
        ("{% include 'nowhere.j2' %}", "template not found: nowhere.j2"),
    ],
)
def test_template_mistakes_are_messages_with_the_line(write_workspace, template, message):
    code, output, _ = report(write_workspace, template)
    assert code == 2 and message in output and "Traceback" not in output


def test_a_broken_partial_is_named(write_workspace):
    code, output, _ = report(write_workspace, "{{ undefined_name }}", "_scorecard.html.j2")
    assert code == 2 and "templates/_scorecard.html.j2:1: template error" in output


def test_the_environment_is_sandboxed():
    env = make_environment()
    assert isinstance(env, jinja2.sandbox.SandboxedEnvironment)
    with pytest.raises(jinja2.sandbox.SecurityError):
        env.from_string("{{ x.__class__ }}").render(x=1)
