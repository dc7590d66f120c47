"""The one place the report's Jinja2 environment is built: loaders, autoescape, filters, labels.

Templates are looked up in the workspace's `templates/` folder first, then among the built-in
ones; `default:NAME` always names the built-in template, so a user template can extend it:
`{% extends "default:report.html.j2" %}`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2

from ..i18n import labeller, translations
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
    env = jinja2.Environment(
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
        prepare(env)
    return env
