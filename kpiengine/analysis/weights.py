"""Monthly weights for `kpi plan --weights`: 12 numbers given inline (`10,8,8,...`) or in a
file. The file may be anything a user points at (a `.env`, `/etc/passwd`): a cell that is not a
weight is named by file, line and column and shown shortened, never the file's contents."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from ..errors import KpiError

MONTHS = 12
WEIGHTS_FORMAT = (
    "12 non-negative numbers, January to December (`10`, `8.5`, `1/3`), separated by commas, "
    "semicolons, spaces or new lines; `#` starts a comment"
)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?|[+-]?\d+/0*[1-9]\d*")
_CELL = re.compile(r"[^,;\s\[\]]+")
MAX_WEIGHTS_BYTES = 64_000  # twelve numbers and their comments take far less


def read_weights(text: str) -> list[Fraction]:
    """12 non-negative monthly weights from `10,8,8,...` or a file holding them (see
    `WEIGHTS_FORMAT`). A cell that is no such number is named by file, line and column,
    shortened (the file may be anything: a `.env`, `/etc/passwd`)."""
    path = Path(text)
    if path.is_dir():
        raise KpiError(f"weights file {text} is a folder: give a file of {WEIGHTS_FORMAT}")
    if path.is_file():
        where, source = str(path), _weights_file(path)
    elif re.search(r"[,;\s]", text.strip()):
        where, source = "--weights", text
    else:
        raise KpiError(f"weights file not found: {text} (or give 12 numbers: 10,8,8,...)")
    weights: list[Fraction] = []
    for row, line in enumerate(source.splitlines(), 1):
        for cell in _CELL.finditer(line.split("#")[0]):
            at = f"{where}:{row}:{cell.start() + 1}"
            if len(weights) == MONTHS:
                raise KpiError(f"{at}: a 13th number: weights must be {WEIGHTS_FORMAT}")
            weights.append(_weight(cell.group(), at))
    if len(weights) != MONTHS:
        raise KpiError(
            f"{where}: {len(weights)} number(s), not 12: weights must be {WEIGHTS_FORMAT}"
        )
    if sum(weights) <= 0:
        raise KpiError(f"{where}: the weights are all 0: at least one month needs a weight")
    return weights


def _weights_file(path: Path) -> str:
    """The text of a weights file; KpiError when it is too large or not UTF-8 text."""
    size = path.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise KpiError(f"{path}: {size:,} bytes is not a weights file: it holds {WEIGHTS_FORMAT}")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise KpiError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start + 1}): a weights file holds "
            f"{WEIGHTS_FORMAT}"
        ) from None


def _weight(cell: str, at: str) -> Fraction:
    """One weight: a number at or above 0, else KpiError naming `at` and the cell (shortened)."""
    shown = cell if len(cell) <= 12 else cell[:12] + "…"
    if not _NUMBER.fullmatch(cell):
        why = "is not a number"
        if re.fullmatch(r"[+-]?[\d.]+[eE][+-]?\d+", cell):
            why = "is out of range (exponents up to 999)"
        elif re.fullmatch(r"[+-]?\d+/0+", cell):
            why = "divides by 0"
        raise KpiError(f"{at}: `{shown}` {why}: weights must be {WEIGHTS_FORMAT}")
    weight = Fraction(cell)
    if weight < 0:
        raise KpiError(f"{at}: `{shown}` is negative: weights must be {WEIGHTS_FORMAT}")
    return weight
