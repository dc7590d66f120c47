"""The one place the report's Jinja2 environment is built: loaders, autoescape, filters, labels.

Templates are looked up in the workspace's `templates/` folder first, then among the built-in
ones; `default:NAME` always names the built-in template, so a user template can extend it:
`{% extends "default:report.html.j2" %}`. A workspace's templates are not trusted: every
template renders in Jinja2's sandbox (no attribute starting with `_`, no unsafe call), and a
template's mistake is a `KpiError` at `template:line`, never a traceback.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from ..errors import KpiError
from ..i18n import labeller, translations
from ..plugincall import PluginFailure, call
from .filters import Formatter, inline_code, markdown_text, without_bidi

BUILTIN_PACKAGE = "kpiengine.templates"
_PLAIN_SUFFIXES = (".md", ".md.j2", ".txt", ".txt.j2")


def autoescape(name: str | None) -> bool:
    """HTML-escape every template except Markdown and plain-text ones."""
    return not (name or "").endswith(_PLAIN_SUFFIXES)


def loader(workspace_templates: Path | None = None) -> jinja2.BaseLoader:
    """Workspace templates first, then built-ins; `default:` names a built-in template."""
    builtin = jinja2.PackageLoader(BUILTIN_PACKAGE, ".")
    loaders: list[jinja2.BaseLoader] = []
    if workspace_templates is not None and Path(workspace_templates).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(workspace_templates)))
    loaders += [jinja2.PrefixLoader({"default": builtin}, delimiter=":"), builtin]
    return jinja2.ChoiceLoader(loaders)


def make_environment(
    locale: str = "en",
    currency: str | None = None,
    workspace_templates: Path | None = None,
    prepare: Callable[[jinja2.Environment], None] | None = None,
) -> jinja2.Environment:
    """A Jinja2 environment for one locale and currency, with the report filters and `_()`.

    `prepare` (the engine's `prepare_environment`, which calls the plugins'
    `prepare_jinja2_environment` hook) then adjusts it.
    """
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=loader(workspace_templates),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
        finalize=without_bidi,  # data must not reorder the text around it
    )
    # gettext/ngettext and {% trans %} for template authors; `_` also formats numbers
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    formatter = Formatter(locale, currency)
    env.filters.update(formatter.filters())
    env.filters["md"] = markdown_text
    env.filters["code"] = inline_code
    env.globals["_"] = labeller(locale, formatter.integer)
    if prepare is not None:
        try:
            call(partial(prepare, env), "a plugin's `prepare_jinja2_environment`")
        except PluginFailure as exc:
            raise KpiError(str(exc), fix="report it to the plugin's author") from None
    return env


def render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render template `name`; a syntax or runtime error in any template (a workspace's, or a
    built-in one fed odd data) is a KpiError starting `template:line:`, never a traceback."""
    folders = _workspace_folders(env)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        where = _shown(exc.filename or exc.name or name, folders, exc.lineno)
        raise KpiError(f"{where}: template syntax error: {exc.message}", fix=_FIX) from None
    except jinja2.TemplateNotFound as exc:
        raise KpiError(f"template not found: {exc.name}", fix=_FIX) from None
    except Exception as exc:  # a template runs user logic: any error is the template's
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
        where = _shown(frames[-1].filename, folders, frames[-1].lineno) if frames else name
        message = str(exc) or type(exc).__name__
        if isinstance(exc, jinja2.sandbox.SecurityError):
            message = f"not allowed in a report template: {message}"
        elif not isinstance(exc, jinja2.TemplateError):
            message = f"{type(exc).__name__}: {message}"
        raise KpiError(f"{where}: template error: {message}", fix=_FIX) from None


_FIX = "fix the template in the workspace's templates/ folder (or remove it to use the built-in)"


def _workspace_folders(env: jinja2.Environment) -> list[Path]:
    loaders = getattr(env.loader, "loaders", [env.loader])
    return [
        Path(folder).resolve()
        for item in loaders
        if isinstance(item, jinja2.FileSystemLoader)
        for folder in item.searchpath
    ]


def _shown(filename: str, folders: list[Path], line: int | None) -> str:
    """`templates/report.html.j2:3` for a workspace template, `default:report.html.j2:3` for a
    built-in one."""
    path = Path(filename)
    inside = any(path.resolve().is_relative_to(folder) for folder in folders)
    if path.is_absolute():
        filename = f"templates/{path.name}" if inside else f"default:{path.name}"
    return f"{filename}:{line}" if line else filename
