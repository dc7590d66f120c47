"""Jinja2 filters for Markdown and HTML text; numbers are formatted by `kpiengine.localformat`."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from ..formatting import strip_bidi
from ..localformat import UNDEFINED, Formatter, defined, parse_locale

__all__ = ["UNDEFINED", "Formatter", "defined", "inline_code", "markdown_text", "parse_locale"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$])")  # `$` starts maths on GitHub
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def markdown_text(value: object) -> str:
    """Text safe inside Markdown and a table cell: `code spans` kept, other specials escaped."""
    text = " ".join(strip_bidi(str(value)).split())
    parts = []
    for i, part in enumerate(_CODE_SPAN.split(text)):
        if i % 2:
            parts.append(part.replace("|", "\\|"))
        else:
            parts.append(_MARKDOWN_SPECIAL.sub(r"\\\1", part).replace("&", "&amp;"))
    out = "".join(parts)
    return "\\" + out if out[:1] in ("#", "+", "-", "=", ">") else out


def without_bidi(value: object) -> object:
    """Every `{{ ... }}` output without bidi override characters (the environment's finalize)."""
    if isinstance(value, Markup):
        return Markup(strip_bidi(str(value)))
    return strip_bidi(value) if isinstance(value, str) else value


def inline_code(value: object) -> Markup:
    """HTML-escaped text whose `backticked` parts are shown as <code>."""
    parts = _CODE_SPAN.split(strip_bidi(str(value)))
    return Markup("").join(
        Markup("<code>{}</code>").format(part[1:-1]) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )
