"""The terminal: a rich console that colours only a real terminal, and values as the report
writes them (currency symbol, percent, points, time units)."""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from ..formatting import UNDEFINED, decimals_for, strip_bidi, time_unit_word
from .safe import escape, unguarded

BIG = 20_000_000  # bytes: a data file this large takes long enough to show progress
PIPE_WIDTH = 120  # a pipe has no width: wide enough for `kpi eval` with titles and units
MIN_WIDTH, MAX_WIDTH = 20, 10_000  # a COLUMNS outside these is a mistake, not a width


def is_terminal() -> bool:
    """True when stdout is an interactive terminal (not a pipe, a file or CI)."""
    return sys.stdout.isatty() and not os.environ.get("CI")


def width() -> int:
    """`COLUMNS`, else the terminal's columns (on a terminal), else 120. A `COLUMNS` that is no
    whole number from 20 to 10,000 (`0`, `-3`, `wide`, `1e9`) is ignored, as rich ignores an
    unset one, and so is a terminal size out of that range (a pty may say 0)."""
    columns = sane_columns(os.environ.get("COLUMNS"))
    stdout = sys.__stdout__
    if columns is None and stdout is not None and is_terminal():
        try:
            columns = sane_columns(str(os.get_terminal_size(stdout.fileno()).columns))
        except (OSError, ValueError):  # not a terminal after all
            columns = None
    return columns or PIPE_WIDTH


def sane_columns(text: str | None) -> int | None:
    """A width from `COLUMNS`, when it is a whole number from MIN_WIDTH to MAX_WIDTH."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    columns = int(text)
    return columns if MIN_WIDTH <= columns <= MAX_WIDTH else None


def render(*renderables: Any, columns: int | None = None, colour: bool | None = None) -> str:
    """Renderables as text `columns` wide (default: `width()`), with colours only on a TTY."""
    from rich.console import Console  # noqa: PLC0415 - rich loads only for tables

    colour = is_terminal() if colour is None else colour
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=columns or width(),
        force_terminal=colour,
        color_system="standard" if colour else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    with console.capture() as captured:  # a StringIO alone stays empty on a real terminal
        for item in renderables:
            console.print(item)
    return captured.get().rstrip("\n")


def progress(total: int, description: str) -> AbstractContextManager[Any]:
    """A progress bar on a terminal (`.advance()` per step); nothing in pipes or CI."""
    if not is_terminal():
        return nullcontext(_Silent())
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import Progress  # noqa: PLC0415

    # the bar's own cursor codes go to the terminal itself, not through the guard that
    # escapes control characters in what commands print (`terminal.safe`)
    console = Console(file=unguarded(sys.stdout))
    return _Bar(Progress(console=console, transient=True), total, description)


def reading(engine: Any, data: object = None, passes: int = 1) -> AbstractContextManager[Any]:
    """A progress bar over the engine's sources while a command reads them (a terminal only,
    and only with several sources or a large file); `.done()` ends it."""
    sources = engine.workspace.settings.sources if data is None else []
    large = data is not None and Path(str(data)).is_file() and Path(str(data)).stat().st_size > BIG
    if not is_terminal() or not (len(sources) > 1 or large):
        return nullcontext(_Silent())
    bar = progress(max(1, len(sources)) * passes, "reading sources")
    engine.on_source = lambda name: bar.advance()  # type: ignore[attr-defined]
    return bar


class _Silent:
    def advance(self, steps: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


class _Bar(AbstractContextManager):
    def __init__(self, bar: Any, total: int, description: str):
        self.bar, self.total, self.description = bar, total, description

    def __enter__(self) -> _Bar:
        self.bar.__enter__()
        self.task = self.bar.add_task(self.description, total=self.total)
        return self

    def advance(self, steps: int = 1) -> None:
        self.bar.advance(self.task, steps)

    def done(self) -> None:
        self.bar.update(self.task, completed=self.total)

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)


class Values:
    """A KPI's values as text, like the report: decimals chosen from the values shown."""

    def __init__(self, currency: str | None, locale: str = "en"):
        from ..localformat import Formatter  # noqa: PLC0415 - Babel loads only for tables

        self.locale = locale if locale else "en"
        self.format = Formatter(self.locale, currency)

    def value(self, value: float | None, fmt: str, decimals: int | None, unit: str = "") -> str:
        if value is None or not math.isfinite(value):
            return UNDEFINED
        text = self.format.kpi_value(value, fmt, decimals)
        word = time_unit_word(unit, value, self.locale)
        return f"{text} {word}" if word else text

    def change(
        self, delta: float | None, pct: float | None, fmt: str, decimals: int | None, rate: bool
    ) -> str:
        parts = self.format.change_parts(delta, pct, fmt, decimals, rate)
        if parts is None:
            return UNDEFINED
        arrow = {1: "▲ ", -1: "▼ "}.get(int(parts["sign"]), "")  # type: ignore[call-overload]
        return f"{arrow}{parts['main']}"

    def number(self, value: float | None, fmt: str = "number", decimals: int | None = None) -> str:
        return self.format.kpi_value(value, fmt, decimals)


def decimals(values: Iterable[float | None], fmt: str, fixed: int | None) -> int | None:
    """The decimals that tell these values apart (see `formatting.decimals_for`)."""
    return decimals_for(values, fmt, fixed)


def clean(text: object, layout: bool = False) -> str:
    """Data shown in the terminal: without bidi override characters, and every control
    character escaped (`\\u001b`; `layout`: newline and tab kept), see `terminal.safe`."""
    return escape(strip_bidi(str(text)), layout)
