"""A file's text encoding from its first bytes, and the files that are not text at all.

UTF-8 with or without a BOM; UTF-16 with a BOM, as Excel saves "Unicode text" and Google Ads'
"Excel" download is written (little-endian, tabs); otherwise Windows-1252, the encoding of
Excel's "CSV" on Western Windows. UTF-16 without a BOM is not guessed: its NUL bytes look like
those of a sparse file (a download cut short, a disk full), which is rejected, as is a binary
file (XLSX, PDF, zip), with the place of the first offending byte.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from kpiengine.errors import KpiError, Location

__all__ = ["HEAD_BYTES", "TAIL_BYTES", "decode", "detect_encoding", "read_sample"]

HEAD_BYTES = 256 * 1024
TAIL_BYTES = 64 * 1024


def read_sample(path: Path, name: str) -> tuple[bytes, bytes, int]:
    """(first bytes, last bytes when the file is larger than the first, size)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            tail = b""
            if size > HEAD_BYTES:
                handle.seek(max(HEAD_BYTES, size - TAIL_BYTES))
                tail = handle.read()
    except FileNotFoundError:
        raise KpiError("file not found", Location(name)) from None
    except OSError as exc:
        raise KpiError(f"cannot read the file: {exc.strerror or exc}", Location(name)) from None
    if not head.strip(b" \t\r\n"):
        raise KpiError("the file is empty", Location(name), "export the report again")
    return head, tail, size


def _position(data: bytes, index: int) -> tuple[int, int]:
    """(line, column) of a byte, counted in bytes (the text cannot be decoded)."""
    line = data.count(b"\n", 0, index) + 1
    return line, index - (data.rfind(b"\n", 0, index) + 1) + 1


def detect_encoding(head: bytes, name: str) -> tuple[str, str | None]:
    """(Python codec, DuckDB's `encoding` or None when DuckDB cannot read it as it is)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16", "utf-16"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", None  # DuckDB reads little-endian UTF-16 only
    nul = head.find(b"\x00")
    if nul >= 0:
        line, column = _position(head, nul)
        raise KpiError(
            "the file holds NUL bytes: it is not a text export (a sparse or partly written "
            "file, or a binary one)",
            Location(name, line, column),
            "export the report again as CSV",
        )
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if controls > max(8, len(head) // 200):
        raise KpiError(
            "the file is binary, not delimited text",
            Location(name),
            "export the report as CSV (not XLSX, PDF or a zip)",
        )
    try:
        head.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8", "utf-8"  # a character cut by the sample's end
    if any(0x80 <= b <= 0x9F for b in head):
        return "cp1252", None  # `€`, curly quotes: Windows-1252, not DuckDB's latin-1
    return "cp1252", "latin-1"


def decode(data: bytes, encoding: str, at_start: bool = True) -> str:
    """Text of a sample; one from a file's middle (`at_start=False`) may start mid-character."""
    if at_start:
        return data.decode(encoding, errors="replace")
    if encoding == "utf-16":
        return data[len(data) % 2 :].decode("utf-16-le", errors="replace")
    return data.decode(encoding.removesuffix("-sig"), errors="replace")
