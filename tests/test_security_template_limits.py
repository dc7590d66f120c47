"""Untrusted workspace templates cannot hang the machine, exhaust its memory or disk, or read
files outside their `templates/` folder; each limit is a message at `templates/NAME:LINE`.

The explorer's repros run with the default limits through `kpi report` and must stop within
seconds; the other cases lower a limit (monkeypatched) so they stop at once.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import jinja2
import jinja2.sandbox
import pytest
from click.testing import CliRunner

from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.report import environment, filters
from kpiengine.report.environment import make_environment, render
from kpiengine.safewrite import write_atomic

DATA = "date,revenue,marketing_cost\n2024-01-05,100,80\n2024-02-05,120,90\n2024-03-05,90,70\n"


def cli_report(root: Path, template: str | None, out: str = "out.md") -> tuple[int, str, float]:
    if template is not None:
        (root / "templates").mkdir(exist_ok=True)
        (root / "templates" / "report.md.j2").write_text(template)
    start = time.perf_counter()
    result = CliRunner().invoke(cli, ["report", "-w", str(root), "-o", str(root / out)])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output, time.perf_counter() - start


def rendered(tmp_path: Path, template: str, **files: str) -> str:
    """Render `template` as a workspace's templates/t.md.j2 (no data needed): its text, or the
    KpiError's message."""
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "t.md.j2").write_text(template)
    for name, text in files.items():
        (folder / name).write_text(text)
    try:
        return render(make_environment(workspace_templates=folder), "t.md.j2", {})
    except KpiError as exc:
        return str(exc)


# --- the explorer's repros, default limits, through the command line ---------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ (7 ** 1000000000) % 10 }}", ":1: template error: `**` would make a number of about"),
        (
            "ok\n{{ 'a' * 1000000000 }}",
            ":2: template error: `*` would make a text of 1,000,000,000",
        ),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            ":1: template error: more than 10,000,000 steps (loop iterations and calls)",
        ),
        (
            '\n\n{{ "%999999999d"|format(1) }}',
            ":3: template error: a width or precision of 999,999,999 is over the limit of 10,000",
        ),
        ("{{ (9**99)**99 }}", ":1: template error: `**` would make a number of about 9,353 digits"),
    ],
)
def test_the_explorers_templates_stop_within_seconds(write_workspace, template, message):
    root = write_workspace(kpi_yaml="data: data.csv\n", data=DATA)
    code, output, seconds = cli_report(root, template)
    assert code == 2 and "templates/report.md.j2" + message in output, output
    assert "Traceback" not in output and not (root / "out.md").exists()
    assert seconds < 30  # about 2 s each here; generous for a loaded machine


def test_a_symlink_out_of_templates_is_refused(write_workspace):
    root = write_workspace(kpi_yaml="data: data.csv\n", data=DATA)
    secret = root.parent / "secret.txt"
    secret.write_text("the secret text")
    (root / "templates").mkdir()
    (root / "templates" / "h.j2").symlink_to(secret)
    code, output, _ = cli_report(root, "{% include 'h.j2' %}")
    assert (
        code == 2
        and "templates/report.md.j2:1: template error: `templates/h.j2` is a link" in output
    )
    assert "outside the workspace's templates/ folder: refused" in output
    assert "the secret text" not in output and not (root / "out.md").exists()


def test_a_report_template_linked_out_of_templates_is_refused(write_workspace):
    root = write_workspace(kpi_yaml="data: data.csv\n", data=DATA)
    elsewhere = root.parent / "elsewhere.md.j2"
    elsewhere.write_text("the secret text")
    (root / "templates").mkdir()
    (root / "templates" / "report.md.j2").symlink_to(elsewhere)
    code, output, _ = cli_report(root, None)
    assert code == 2 and "`templates/report.md.j2` is a link to" in output, output
    assert "the secret text" not in output and not (root / "out.md").exists()


def test_links_inside_templates_still_work_and_a_linked_subfolder_out_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.j2").write_text("outside text")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "real.j2").write_text("inside text")
    (folder / "alias.j2").symlink_to(folder / "real.j2")
    (folder / "sub").symlink_to(outside)
    assert rendered(tmp_path, "{% include 'alias.j2' %}") == "inside text"
    refused = rendered(tmp_path, "{% include 'sub/x.j2' %}")
    assert "templates/t.md.j2:1: template error: `templates/sub/x.j2` is a link to" in refused
    assert "outside text" not in refused


def test_a_template_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "MAX_TEMPLATE_BYTES", 100)
    message = rendered(tmp_path, "{% include 'big.j2' %}", **{"big.j2": "x" * 101})
    assert "templates/t.md.j2:1: template error: `templates/big.j2` is over 100 bytes" in message


# --- each limit, lowered so it is hit at once ---------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'ab' * 501 }}", "`*` would make a text of 1,002 characters (the limit is 1,000)"),
        ("{{ 501 * 'ab' }}", "`*` would make a text of 1,002 characters"),
        ("{{ [1, 2] * 51 }}", "`*` would make a list of 102 items (the limit is 100)"),
        ("{{ 'a' * 600 + 'b' * 600 }}", "`+` would make a text of 1,200 characters"),
        ("{{ 'a' * 600 ~ 'b' * 600 }}", "`~` would make a text of 1,200 characters"),
        ("{{ '%2000s' % 'x' }}", "`%` would make a text of"),
        ("{{ '%(a)s%(a)s' % {'a': 'x' * 600} }}", "`%` would make a text of"),
        ("{{ '{0}{0}'.format('x' * 600) }}", "`format()` would make a text of"),
        ("{{ '{a}{a}'.format_map({'a': 'x' * 600}) }}", "`format()` would make a text of"),
        ("{{ 'x'.ljust(1001) }}", "`ljust()` would make a text of 1,001 characters"),
        ("{{ ('a' * 100).replace('a', 'bb' * 10) }}", "`replace()` would make a text of 2,000"),
        ("{{ ('x' * 100).join(['a'] * 11) }}", "`join()` would make a text of 1,011 characters"),
        ("{{ 'x'|center(1001) }}", "the `center` filter would make a text of 1,001"),
        ("{{ ('a' * 100)|replace('a', 'bb' * 10) }}", "the `replace` filter would make a text"),
        ("{{ (['a'] * 11)|join('x' * 100) }}", "the `join` filter would make a text of 1,011"),
        ("{{ 'a\\nb'|indent(600) }}", "the `indent` filter would make a text of 1,203"),
        ("{{ [1]|batch(101, 0)|list }}", "the `batch` filter would make a list of 101 items"),
        ("{{ [[1] * 60, [2] * 60]|sum(start=[]) }}", "the `sum` filter would make a list of 120"),
        ("{{ (['x' * 10] * 60)|tojson }}", "the `tojson` filter would make a text of"),
        (
            "{% set ns = namespace(a=['x']) %}{% for i in range(20) %}{% set ns.a = [ns.a, ns.a] %}"
            "{% endfor %}{{ ns.a }}",
            "`{{ ... }}` would make a list of",
        ),
        (
            "{% macro m() %}{{ 'x' * 600 }}{{ 'x' * 600 }}{% endmacro %}{{ m() }}",
            "a block's output would make a text of 1,200 characters",
        ),
    ],
)
def test_what_one_operation_builds_is_capped(tmp_path, monkeypatch, template, message):
    monkeypatch.setattr(filters, "MAX_TEXT", 1000)
    monkeypatch.setattr(filters, "MAX_ITEMS", 100)
    assert f"templates/t.md.j2:1: template error: {message}" in rendered(tmp_path, template)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 10 ** 10 }}", "`**` would make a number of about 11 digits (the limit is 10)"),
        ("{{ 99999 * 999999 }}", "`*` would make a number of about 11 digits"),
        ("{{ '%.11f' % 1 }}", "a width or precision of 11 is over the limit of 10"),
        ("{{ '%*d' % (11, 1) }}", "a `*` width of 11 is over the limit of 10"),
        ("{{ '{:>11}'.format(1) }}", "a width or precision of 11 is over the limit of 10"),
        ("{{ '{:{w}}'.format(1, w=11) }}", "a width or precision of 11 is over the limit of 10"),
        ("{{ '%11d'|format(1) }}", "a width or precision of 11 is over the limit of 10"),
        ("{{ 1.5|number(11) }}", "a number of decimals of 11 is over the limit of 10"),
        ("{{ 1.5|kpi_value('number', 11) }}", "a number of decimals of 11 is over the limit"),
        ("{{ 5|round(-11) }}", "a precision of -11 is over the limit of 10"),
        ("{{ [1]|tojson(11) }}", "an indent of 11 is over the limit of 10"),
        ("{{ lipsum(11) }}", "a number of paragraphs of 11 is over the limit of 10"),
        ("{{ (1).to_bytes(11, 'big') }}", "a length of 11 is over the limit of 10"),
    ],
)
def test_numbers_and_widths_are_capped(tmp_path, monkeypatch, template, message):
    monkeypatch.setattr(filters, "MAX_DIGITS", 10)
    monkeypatch.setattr(filters, "MAX_WIDTH", 10)
    assert f"templates/t.md.j2:1: template error: {message}" in rendered(tmp_path, template)


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(100) %}{% for j in range(100) %}x{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(20) }}",
        "{% for x in [[1, [2, [3]]]] * 300 recursive %}{{ loop(x[1:]) }}{% endfor %}",
        "{{ range(10)|list|slice(2000)|list }}",
        "{{ ([[1] * 50] * 50)|sum(start=[]) }}",
    ],
)
def test_loop_iterations_and_calls_are_counted_across_the_render(tmp_path, monkeypatch, template):
    monkeypatch.setattr(filters, "MAX_STEPS", 1000)
    message = rendered(tmp_path, template)
    assert "templates/t.md.j2:1: template error: more than 1,000 steps" in message, message


def test_the_output_is_streamed_and_stopped_at_the_line_writing_past_the_limit(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(filters, "MAX_OUTPUT", 1000)
    template = "head\n{% for i in range(100) %}\n{{ 'x' * 50 }}\n{% endfor %}\n"
    message = rendered(tmp_path, template)
    assert (
        "templates/t.md.j2:3: template error: the report would be over 1,000 characters" in message
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory limit is Linux's")
def test_memory_is_a_backstop_for_what_the_checks_miss(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "MAX_MEMORY", 300 * 2**20)
    before = resource.getrlimit(resource.RLIMIT_AS)
    # a list holding a list holding ... (2**22 leaves): `string` builds its text in one call
    template = (
        "{% set ns = namespace(a=['x' * 100]) %}{% for i in range(22) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a|string|length }}"
    )
    message = rendered(tmp_path, template)
    assert "template error: the report needs more than 300 MB of memory (the limit)" in message
    assert resource.getrlimit(resource.RLIMIT_AS) == before


# --- what templates may still do ----------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'ab' * 3 }} {{ 3 * [1] }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2.5 ** 2 }} {{ 7 % 3 }}",
        "{{ [1, 2] + [3] }} {{ 'a' + 'b' }} {{ 1 ~ 'x' ~ [2] }} {{ '%05.1f|%s' % (2.25, 'x') }}",
        "{{ '%(a)s'|format(a=1) }} {{ '{:>6.2f}|{}'.format(2.5, 'x') }}"
        "{{ '{a}'.format_map({'a': 1}) }}",
        "{{ [1, 2]|join(', ') }} {{ 'x'|center(7) }} {{ 'a\nb'|indent(2, true) }}"
        "{{ 'a b c'|wordwrap(1) }}",
        "{{ [1, 2, 3]|batch(2, 0)|list }} {{ [1, 2, 3]|slice(2)|list }} {{ 2.567|round(2) }}",
        "{{ {'b': [1, 2]}|tojson(2) }} {{ [[1], [2]]|sum(start=[]) }} {{ [1, 2]|sum }}"
        "{{ 'a'.ljust(3) }}|",
        "{{ 'www.example.com'|urlize(target='_blank') }} {{ 'a\tb'.expandtabs(4) }}"
        "{{ ','.join('abc') }} {{ lipsum(2, html=false)|wordcount > 10 }}",
        "{% for x in [[1, [2, [3]]]] recursive %}{{ x[0] }}{{ loop(x[1:]) }}{% endfor %}",
        "{% macro m(a) %}<{{ caller() }}{{ a }}>{% endmacro %}{% call m(1) %}c{% endcall %}"
        "{% set s %}{% for i in range(3) %}{{ loop.index }}{% endfor %}{% endset %}{{ s }}"
        "{% filter upper %}abc{% endfilter %}",
    ],
)
def test_ordinary_templates_render_as_in_plain_jinja2(tmp_path, template):
    plain = jinja2.sandbox.SandboxedEnvironment(autoescape=False)
    assert rendered(tmp_path, template) == plain.from_string(template).render()


def test_the_sample_report_uses_a_small_part_of_the_budget(monkeypatch):
    import kpiengine
    from kpiengine.report import render_report

    used = []
    real = environment._streamed

    def streamed(chunks):
        text = real(chunks)
        used.append(len(text))
        return text

    monkeypatch.setattr(environment, "_streamed", streamed)
    monkeypatch.setattr(filters, "MAX_STEPS", filters.MAX_STEPS // 100)
    results = kpiengine.evaluate(kpiengine.load_workspace(kpiengine.sample_workspace()))
    for fmt in ("html", "md"):
        render_report(results, fmt)
    assert len(used) == 2 and max(used) < filters.MAX_OUTPUT // 20


# --- output names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["newdir/", "file.md/"])
def test_an_output_name_ending_in_a_separator_is_a_directory(write_workspace, monkeypatch, name):
    root = write_workspace(kpi_yaml="data: data.csv\n", data=DATA)
    (root / "file.md").write_text("kept")
    before = sorted(p.name for p in root.iterdir())
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["report", "-w", str(root), "-o", name])
    folder = name.rstrip("/")
    state = "does not exist" if folder == "newdir" else "is a file, not a directory"
    assert result.exit_code == 2, result.output
    assert (
        f"cannot write the report to {name}: a name ending in `/` is a directory" in result.output
    )
    assert f"and {folder} {state}" in result.output
    assert sorted(p.name for p in root.iterdir()) == before
    assert (root / "file.md").read_text() == "kept"


def test_write_atomic_refuses_a_text_name_ending_in_a_separator(tmp_path):
    with pytest.raises(KpiError, match="a name ending in `/` is a directory"):
        write_atomic(f"{tmp_path}/newdir/", b"x", "the report")
    assert list(tmp_path.iterdir()) == []
