"""What every `kpi` command shares: the group, workspace and data options, error handling."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__

if TYPE_CHECKING:
    from ..engine import Engine
    from ..errors import Finding
    from ..model import Workspace

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def handle_errors(func: Callable) -> Callable:
    """Turn user errors into a message and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..errors import KpiError
        from ..periods import PeriodError

        try:
            return func(*args, **kwargs)
        except KpiError as exc:
            fail(str(exc))
        except PeriodError as exc:
            fail(str(exc))

    return wrapper


def workspace_options(func: Callable) -> Callable:
    func = click.option("--sample", is_flag=True, help="Use the bundled sample workspace.")(func)
    func = click.option(
        "--workspace",
        "-w",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Workspace folder (default: the current directory).",
    )(func)
    return func


def data_option(func: Callable) -> Callable:
    return click.option(
        "--data",
        "-d",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="CSV with `date`, dimension columns and one column per variable.",
    )(func)


def load(workspace: Path | None, sample: bool) -> Workspace:
    """The workspace of `--workspace DIR` (default: the current directory) or `--sample`."""
    from ..resources import sample_workspace
    from ..workspace import load_workspace

    if sample and workspace:
        raise click.UsageError("use either --workspace or --sample")
    root = sample_workspace() if sample else (workspace or Path.cwd())
    return load_workspace(root)


def open_engine(workspace: Path | None, sample: bool) -> Engine:
    """The command's one engine: its workspace, and the plugin manager `kpi` started with."""
    from ..engine import Engine
    from ..plugins import PluginManager

    context = click.get_current_context(silent=True)
    pm = context.find_root().obj if context is not None else None
    return Engine(load(workspace, sample), pm if isinstance(pm, PluginManager) else None)


def report_findings(ws: Workspace, extra: Iterable[Finding] = ()) -> bool:
    """Print definition findings to stderr; True when any is an error."""
    from ..errors import ERROR, sort_findings

    findings = sort_findings([*ws.findings, *extra])
    for finding in findings:
        click.echo(finding.format(), err=True)
    return any(f.severity == ERROR for f in findings)


@functools.cache
def _warn_locale(tag: str) -> None:
    from ..i18n import missing_locale

    warning = missing_locale(tag)
    if warning:
        click.echo(f"warning: {warning}", err=True)


def shown_locale(tag: str | None) -> str | None:
    """`--locale` as kpiengine's texts are keyed (`zh-CN` -> `zh-Hans`, `fr_FR` -> `fr`),
    warning once on stderr when there are no translations for it (`de`): not an error."""
    if not tag:
        return tag
    from ..i18n import normalize_locale

    _warn_locale(tag)
    return normalize_locale(tag)


class _Commands(click.Group):
    """The `kpi` group: every command's `--locale` (plugins' too) goes through `shown_locale`."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        for param in cmd.params:
            if isinstance(param, click.Option) and param.name == "locale" and not param.callback:
                param.callback = lambda _ctx, _param, value: shown_locale(value)
        super().add_command(cmd, name)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run a command with stdout and stderr escaping control characters (`terminal.safe`):
        ids, titles and data from files someone else wrote cannot drive the terminal."""
        from ..terminal.safe import guarded_output

        with guarded_output():
            return super().main(*args, **kwargs)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpi")
def cli() -> None:
    """Declarative marketing and sales KPIs: YAML formulas, checked units, evaluated data."""


GRAINS = ("day", "week", "month", "quarter", "year")


def grain_option(func: Callable) -> Callable:
    return click.option("--grain", type=click.Choice(GRAINS), default=None, help="Period length.")(
        func
    )


def output_options(func: Callable) -> Callable:
    """`--segment DIM=VALUE`, `--grain` and `--format text|json`, shared by the analyses."""
    func = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")(
        func
    )
    func = grain_option(func)
    return click.option("--segment", multiple=True, help="DIMENSION=VALUE, e.g. channel=Email.")(
        func
    )
