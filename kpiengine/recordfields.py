"""The fields of a result record (`evaluation.Results.records`): what a status rests on
(`BASES`), what a cell's gap compares, the numbers records hold and their JSON.

Pure: plain values in and out; `evaluation` fills the records with them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import cast

from .formatting import tidy

PACING_FIELDS = (
    "projected", "projected_low", "projected_high", "p_target", "target_to_date", "status_reason"
)  # fmt: skip
#: What a partial period's status rests on: its projection; with none, the value to date
#: against the target for the days to date (an additive KPI), or against the whole target (a
#: ratio, whose value to date does not grow with the days); else nothing (`undefined`).
PROJECTION, PRO_RATA, VALUE, UNJUDGED = "projection", "pro_rata", "value", "none"
BASES = (PROJECTION, PRO_RATA, VALUE, UNJUDGED)
#: The `status_reason` of a `not_judged` cell: its gap is a plain difference, not a judgement.
NOT_JUDGED_REASON = (
    "not judged: the KPI's direction is `none` (neither a higher nor a lower value is better), "
    "so its target is a reference and the gap only the difference to it"
)


def records_json(records: Iterable[dict]) -> str:
    """A JSON array of records, one per line: as readable as an indented dump, and written by
    json's C encoder (`indent` takes its pure-Python path: 10x slower on 4,000 records)."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = [encode(r) for r in records]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def judged(
    value: float | None, target: float | None, pacing: dict[str, object]
) -> tuple[float | None, float | None]:
    """What a cell's gap compares, as its status does: a partial period's projection with the
    target, or its value to date with the target to date (pro rata); none when not judged."""
    basis = pacing["status_basis"]
    if basis == PROJECTION:
        return cast("float | None", pacing["projected"]), target
    if basis == PRO_RATA:
        return value, cast("float | None", pacing["target_to_date"])
    return (None, None) if basis == UNJUDGED else (value, target)


def num(value: float) -> float | None:
    """`value` without float noise, a Python float (never numpy's); None for NaN, infinities
    and None."""
    return None if value is None or not math.isfinite(value) else tidy(float(value))


def sub(a: float | None, b: float | None) -> float | None:
    """a - b, None when either is missing or the difference is not finite."""
    return None if a is None or b is None else num(a - b)


def rel(a: float | None, b: float | None) -> float | None:
    """(a - b) / |b|, None when either is missing or b is 0."""
    return None if a is None or b is None or b == 0 else (a - b) / abs(b)


def cell_reason(reason: str | None, period: str, segment: dict[str, str]) -> str | None:
    """Why a cell is undefined, with its period and segment."""
    if reason is None:
        return None
    where = ", ".join(f"{k}={v}" for k, v in segment.items())
    return f"{reason} in {period}" + (f" ({where})" if where else "")
