"""A file's text encoding from its first bytes, and the files that are not text at all.

UTF-8 with or without a BOM; UTF-16 with a BOM, as Excel saves "Unicode text" and Google Ads'
"Excel" download is written (little-endian, tabs); otherwise Windows-1252, the encoding of
Excel's "CSV" on Western Windows. UTF-16 without a BOM is read when its bytes leave no doubt
(`bomless_utf16`: NUL in every other byte, text in the others); other NUL bytes are those of a
sparse file (a download cut short, a disk full), which is rejected, as is a binary file (XLSX,
PDF, zip), with the place of the first offending byte (and `encoding:` to set if it may be
UTF-16).

The first bytes may not tell the whole file: an Excel CSV whose first `é` or `€` comes after them
starts as ASCII (taken as UTF-8) or with `é` alone (Latin-1, which DuckDB reads without `€`).
The last bytes, read anyway, are checked too (`tail_fits`); when they, or DuckDB reading the
file, show otherwise, the encoding is decided from every byte (`file_encoding`: a pass only
then): UTF-8, else Windows-1252, else an error at the first byte neither reads. A file whose
UTF-8 text is followed by bytes that are not UTF-8 mixes encodings: an error there too.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from kpiengine.errors import KpiError, Location

__all__ = [
    "HEAD_BYTES",
    "TAIL_BYTES",
    "Whole",
    "bomless_utf16",
    "decode",
    "detect_encoding",
    "file_encoding",
    "not_as_told",
    "read_sample",
    "read_text",
    "tail_fits",
]

HEAD_BYTES = 256 * 1024
TAIL_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_C1 = re.compile(rb"[\x80-\x9f]")  # Windows-1252's `€`, `–`, `’`...: not DuckDB's latin-1
_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # no Windows-1252 character
NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


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
        utf16 = bomless_utf16(head)
        if utf16 is not None and utf16[1]:
            return utf16[0], None  # read from a UTF-8 copy
        line, column = _position(head, nul)
        told = f", or set the source's `encoding: {utf16[0]}` if it is UTF-16 text" if utf16 else ""
        raise KpiError(
            "the file holds NUL bytes: it is not a text export (a sparse or partly written "
            "file, or a binary one)",
            Location(name, line, column),
            f"export the report again as CSV{told}",
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
    if is_oem(head):
        return "cp850", None  # DOS/OEM text: read from a UTF-8 copy
    if any(0x80 <= b <= 0x9F for b in head):
        return "cp1252", None  # `€`, curly quotes: Windows-1252, not DuckDB's latin-1
    return "cp1252", "latin-1"


def bomless_utf16(head: bytes) -> tuple[str, bool] | None:
    """UTF-16 without a BOM: (`utf-16-le` or `utf-16-be`, whether the first bytes leave no
    doubt), or None. It is so when NUL is in one of every two byte positions (most of them: the
    high byte of ASCII characters) and in none of the others (the text), and the characters
    are text with a line break: no control character but tab. A sparse file (NUL runs) or a
    binary one has NUL bytes in both positions, or control characters."""
    sample = head[: min(len(head), 4096) // 2 * 2]
    for codec, high, low in (("utf-16-le", sample[1::2], sample[::2]),
                             ("utf-16-be", sample[::2], sample[1::2])):  # fmt: skip
        if len(high) < 4 or 2 * high.count(0) < len(high) or 100 * low.count(0) > len(low):
            continue
        text = sample.decode(codec, errors="replace")[:-1]  # the last may be cut
        lines = "\n" in text or "\r" in text or len(head) == len(sample)
        clean = not any(c < " " and c not in "\t\r\n" or c == "\ufffd" for c in text)
        return codec, lines and clean and not low.count(0)
    return None


def decode(data: bytes, encoding: str, at_start: bool = True) -> str:
    """Text of a sample; one from a file's middle (`at_start=False`) may start mid-character."""
    if at_start:
        return data.decode(encoding, errors="replace")
    if encoding.startswith("utf-16"):  # from the end of a file of whole characters
        codec = "utf-16-be" if encoding.endswith("be") else "utf-16-le"
        return data[len(data) % 2 :].decode(codec, errors="replace")
    return data.decode(encoding.removesuffix("-sig"), errors="replace")


def tail_fits(tail: bytes, codec: str, duckdb: str | None) -> bool:
    """Whether a file's last bytes read as its first ones told (`detect_encoding`): UTF-8
    (past a character the tail's start cuts), or Latin-1 without Windows-1252's `€`, `–`..."""
    if codec == "utf-8":
        start = 0
        while start < min(3, len(tail)) and 0x80 <= tail[start] <= 0xBF:
            start += 1
        try:
            tail[start:].decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    return duckdb != "latin-1" or _C1.search(tail) is None


class Whole(NamedTuple):
    """What every byte of a file says (`file_encoding`)."""

    codec: str  # Python's: utf-8 or cp1252
    duckdb: str | None  # DuckDB's (utf-8, latin-1), None: transcode first
    not_utf8: int | None  # the offset of the first byte that is not UTF-8
    c1: int | None  # the offset of the first byte 0x80-0x9F (not Latin-1 text)


def file_encoding(path: Path, name: str) -> Whole:
    """The encoding that reads every byte of a file, in one pass over them: UTF-8, else
    Windows-1252 (DuckDB's latin-1 when no byte is 0x80-0x9F). KpiError at the first byte
    that is not UTF-8 when UTF-8 text comes before it (the file mixes encodings), else at the
    first byte Windows-1252 leaves undefined."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    not_utf8 = c1 = undefined = None
    utf8_before = False  # non-ASCII UTF-8 text before the first byte that is not UTF-8
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if not_utf8 is None:
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(chunk)
                    utf8_before = utf8_before or not chunk.isascii()
                except UnicodeDecodeError as exc:
                    not_utf8 = offset - pending + exc.start
                    head = chunk[: max(0, exc.start - pending)]
                    utf8_before = utf8_before or pending > 0 or not head.isascii()
            if c1 is None and (found := _C1.search(chunk)):
                c1 = offset + found.start()
            if undefined is None and (found := _UNDEFINED.search(chunk)):
                undefined = offset + found.start()
            offset += len(chunk)
    if not_utf8 is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            where, _ = place(path, name, offset - len(decoder.getstate()[0]), "utf-8")
            raise KpiError(
                "the file ends inside a UTF-8 character: it was cut short",
                where,
                "export the report again",
            ) from None
        else:
            return Whole("utf-8", "utf-8", None, c1)
    if utf8_before:
        where, byte = place(path, name, not_utf8, "utf-8")
        raise KpiError(
            f"byte {byte:#04x} is not UTF-8, while the text before it is: the file mixes encodings",
            where,
            "save it again in one encoding (Excel: CSV UTF-8)",
        )
    if undefined is not None:
        where, byte = place(path, name, undefined, "cp1252")
        raise KpiError(
            f"byte {byte:#04x} is neither UTF-8 nor Windows-1252 text: the file's encoding is "
            "not known",
            where,
            "save it again as CSV UTF-8, or set the source's `encoding:` to the file's",
        )
    return Whole("cp1252", None if c1 is not None else "latin-1", not_utf8, c1)


def place(path: Path, name: str, offset: int, codec: str) -> tuple[Location, int]:
    """`file:line:column` of a byte (the column in characters of `codec`), and the byte."""
    line, start = 1, 0
    with path.open("rb") as handle:
        data = b""
        while len(data) <= offset - start:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            data += chunk
            cut = data.rfind(b"\n", 0, offset - start)
            if cut >= 0:
                line += data.count(b"\n", 0, cut + 1)
                start += cut + 1
                data = data[cut + 1 :]
    index = offset - start
    column = len(data[:index].decode(codec, errors="replace")) + 1
    return Location(name, line, column), data[index] if index < len(data) else 0


def not_as_told(path: Path, name: str, start: str | None) -> KpiError | None:
    """The error of a file DuckDB found not in the encoding its first bytes told (`start`:
    utf-8 or latin-1) when it is in another one: at the first byte `start` does not read."""
    if start not in ("utf-8", "latin-1"):
        return None
    whole = file_encoding(path, name)  # KpiError when no encoding reads it
    offset = whole.not_utf8 if start == "utf-8" else whole.c1
    if offset is None:
        return None
    where, byte = place(path, name, offset, whole.codec)
    return KpiError(
        f"the file is {NAMES[whole.codec]} text, not {NAMES[start]} as its first "
        f"{HEAD_BYTES // 1024} KiB are (byte {byte:#04x})",
        where,
        f"set the source's `encoding: {whole.codec}` (csv, ga_export), or save the file as "
        "CSV UTF-8",
    )


def read_text(path: Path, name: str, codec: str, told: bool) -> str:
    """A whole file's text. Bytes `codec` does not read are an error at the first when it was
    told (the source's `encoding:`); detected from the first bytes, it is decided from every
    byte (`file_encoding`); UTF-16 cut short keeps a replacement character."""
    data = path.read_bytes()
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if told:
            where, byte = place(path, name, exc.start, "latin-1")
            raise KpiError(
                f"the file is not {codec} text (byte {byte:#04x})",
                where,
                "set the source's `encoding:` to the file's, or leave it out to detect it",
            ) from None
    if codec in NAMES:
        codec = file_encoding(path, name).codec
    return data.decode(codec, errors="replace")


_ODD = frozenset("\u201a\u0192\u201e\u2020\u2021\u2030\u2039\u203a\u2022\u00a1\u00bf\u00aa\u00ba")


def is_oem(head: bytes) -> bool:
    """Whether a file's first bytes are DOS/OEM text (cp850) rather than Windows-1252: bytes
    Windows-1252 leaves undefined, or clearly more plausible letters (bytes 0xA5 and 0xE9 in
    `ESPAÑA`, `PERÚ`, not `ESPA¥A`, `PERé`). Unsure: Windows-1252 (`encoding:` decides). Only
    files not UTF-8 are tested: the sample's characters beyond ASCII, no more."""
    if re.search(b"[\x81\x8d\x8f\x90\x9d]", head):
        return True
    (good, bad), (oem_good, oem_bad) = (_plausible(head.decode(c, "replace")) for c in
                                        ("cp1252", "cp850"))  # fmt: skip
    return oem_good - oem_bad >= good - bad + 2 and 4 * oem_bad <= bad


def _plausible(text: str) -> tuple[int, int]:
    """(plausible, implausible) characters beyond ASCII within words: letters of the word's case
    (`Société`, `ESPAÑA`) against symbols between letters (`ESPA¥A`) and letters of the other
    case (`PERé`, `SociÚtÚ`)."""
    good = bad = 0
    for found in re.finditer("[^\x00-\x7f]", text):
        i, c = found.start(), found.group()
        before, after = text[i - 1 : i], text[i + 1 : i + 2]
        if not (before.isalpha() or after.isalpha()):
            continue  # not in a word: `€ 5`, `“`
        if not c.isalpha() or c in _ODD:
            symbol = unicodedata.category(c)[0] == "S" or c in _ODD
            bad += symbol and before.isalpha() and after.isalpha()
        elif (c.isupper() and before.islower()) or (
            c.islower()
            and (after.isupper() or (before.isupper() and text[i - 2 : i - 1].isupper()))
        ):
            bad += 1
        else:
            good += 1
    return good, bad
