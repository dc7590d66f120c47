"""Text shown on a terminal without the control characters that drive the terminal.

Ids, titles, segment names and file names come from files someone else may have written: an
escape sequence in them could set the window title (`ESC ] 0;... BEL`), move the cursor over
earlier lines, hide text or, on some terminals, write to the clipboard. Every control character
(C0, DEL, C1) is shown instead as its escape, `\\u001b`, which reads the same in Python, YAML
and JSON (a JSON text keeps its value). Two layers use one rule:

- `escape(text)`: a text from the workspace or the data, before it is styled (a single-line
  field: newline and tab are escaped too unless `layout=True`);
- `guarded_output()`: every command's stdout and stderr while it runs (`kpi`'s group): newline,
  tab, a carriage return before a newline and the colour codes kpiengine itself writes (SGR,
  `ESC [ 1;31 m`) pass; any other control character is escaped. A write that ends inside an
  escape sequence is held back until the next one, so a colour split over two writes survives.

Binary writes (`.buffer`: a PDF on stdout, the MCP server's protocol) are not text shown on a
terminal and pass untouched.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["escape", "escape_stream", "guarded_output", "unguarded"]

#: Every C0 control, DEL and every C1 control.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LAYOUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: In a stream: a colour code, a newline's carriage return, or any other control character.
_STREAM = re.compile(r"\x1b\[([0-9;]*)m|(\r\n)|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: The ASCII control characters a stream escapes (all but tab and newline): with none of them
#: in an ASCII text, a write passes as it is (a 2.5 MB JSON answer: 2 ms, not the regex's 40)
_ASCII_CONTROLS = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])
#: An escape sequence cut off at the end of a write.
_PARTIAL = re.compile(r"\x1b(?:\[[0-9;]*)?\Z")
#: SGR parameters that colour or weigh text; not conceal (8), blink (5, 6) or 256/true colour.
_SAFE_SGR = frozenset(
    [0, 1, 2, 3, 4, 7, 9, 21, 22, 23, 24, 27, 29, 39, 49]
    + [*range(30, 38), *range(40, 48), *range(90, 98), *range(100, 108)]
)


def _code(char: str) -> str:
    return f"\\u{ord(char):04x}"


def escape(text: object, layout: bool = False) -> str:
    """`text` with every control character shown as `\\u001b`; `layout`: newline and tab kept."""
    pattern = _CONTROL_BUT_LAYOUT if layout else _CONTROL
    return pattern.sub(lambda m: _code(m.group()), str(text))


def _safe_sgr(params: str) -> bool:
    """Whether `ESC [ params m` only colours or weighs text (an empty parameter is 0)."""
    return all(p == "" or (p.isdigit() and int(p) in _SAFE_SGR) for p in params.split(";"))


def _stream_part(match: re.Match[str]) -> str:
    text = match.group()
    if match.group(1) is not None:  # `ESC [ ... m`: kept when it only colours
        return text if _safe_sgr(match.group(1)) else _code(text[0]) + text[1:]
    if match.group(2) is not None:
        return text  # `\r\n`: a line end
    return _code(text)


def escape_stream(text: str) -> str:
    """What a guarded stream writes for `text`: kpiengine's colours and line layout kept, every
    other control character escaped."""
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROLS)) == len(raw):
            return text
    return _STREAM.sub(_stream_part, text)


class _Guarded:
    """A text stream that escapes what `escape_stream` escapes; everything else (encoding,
    `isatty`, `fileno`, `buffer`) is the wrapped stream's."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        written = len(text)
        text = self._pending + text  # bytes raise TypeError, as a text stream does
        self._pending = ""
        partial = _PARTIAL.search(text)
        if partial is not None:
            self._pending, text = text[partial.start() :], text[: partial.start()]
        self._stream.write(escape_stream(text))
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(escape_stream(self._pending))  # a cut-off sequence: escaped
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def unguarded(stream: Any) -> Any:
    """The stream a guarded one writes to (for a progress bar's own cursor codes)."""
    return stream._stream if isinstance(stream, _Guarded) else stream


@contextlib.contextmanager
def guarded_output() -> Iterator[None]:
    """While the block runs, `sys.stdout` and `sys.stderr` escape control characters."""
    old_out, old_err = sys.stdout, sys.stderr
    if isinstance(old_out, _Guarded) or old_out is None or old_err is None:
        yield  # already guarded (a command run from a command), or no streams at all
        return
    guarded = _Guarded(old_out), _Guarded(old_err)
    sys.stdout, sys.stderr = guarded
    try:
        yield
    finally:
        for stream in guarded:
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to write
                stream.flush()
        sys.stdout, sys.stderr = old_out, old_err
