"""Comparing two evaluations of the same data: DuckDB sums floats in parallel, so the last bits
of a sum may differ between runs; an undefined value (None) matches only None."""

from __future__ import annotations

import math
from typing import Any


class ApproxValues:
    """Equal to a dict with the same keys whose values are within 1e-12 (relative) or None."""

    def __init__(self, expected: dict[Any, float | None]) -> None:
        self.expected = expected

    def __eq__(self, got: object) -> bool:
        if not isinstance(got, dict) or got.keys() != self.expected.keys():
            return False
        return all(_close(got[k], e) for k, e in self.expected.items())

    def __repr__(self) -> str:
        return f"approx_values({self.expected!r})"


def _close(got: float | None, expected: float | None) -> bool:
    if got is None or expected is None:
        return got is expected
    return math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-12)
