"""Calling a connector's code: what it raises, how long it takes and what it returns, checked.

A connector is plugin code. Whatever it raises but a `KpiError` (bad input, shown to the user)
or `KeyboardInterrupt` (the user stopping the run) is its bug, `SystemExit` included: it becomes
a `PluginFailure` the engine reports as KPI012 while the other sources are used. `fetch` runs in
a worker thread so that one that hangs is abandoned after the source's `timeout:` (seconds); its
answer must be a `Frame` of one-dimensional columns, dates without NaT and numeric values
without infinities.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from .errors import KpiError
from .table import Frame

T = TypeVar("T")


class PluginFailure(Exception):
    """A connector's bug, described in one line (no traceback, no secret)."""


def describe(exc: BaseException) -> str:
    """`RuntimeError: boom (plugin.py:12)`: the exception and the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def call(func: Callable[[], T], what: str) -> T:
    """`func()`, with any failure but KpiError and KeyboardInterrupt as a PluginFailure."""
    try:
        return func()
    except (KpiError, KeyboardInterrupt):
        raise
    except BaseException as exc:  # SystemExit from a plugin is a bug, not the end of the run
        raise PluginFailure(f"{what} raised {describe(exc)}") from None


def call_with_timeout(func: Callable[[], T], timeout: float, what: str) -> T:
    """`call(func)` in a daemon thread (in the caller's context: the run's caches); a
    PluginFailure when it has not returned after `timeout` seconds."""
    box: dict[str, object] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            box["value"] = context.run(call, func, what)
        except BaseException as exc:  # KpiError or PluginFailure: raised in the calling thread
            box["error"] = exc

    worker = threading.Thread(target=target, name=f"kpiengine {what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():  # a thread cannot be stopped: it is left behind, the run goes on
        raise PluginFailure(f"{what} did not answer within {timeout:g} s (its `timeout:`)")
    error = box.get("error")
    if isinstance(error, BaseException):
        raise error
    return box["value"]  # type: ignore[return-value]


def checked_frame(frame: object, variables: list[str], what: str) -> Frame:
    """The connector's answer when it is a well-formed Frame; PluginFailure saying what is
    wrong otherwise (only the offending column is named, never its values)."""
    if not isinstance(frame, Frame):
        raise PluginFailure(f"{what} returned {type(frame).__name__}, not a Frame")
    dates = np.asarray(frame.dates)
    if dates.ndim != 1 or dates.dtype.kind != "M":
        raise PluginFailure(f"{what} returned dates that are not one column of dates")
    if np.isnat(dates).any():
        raise PluginFailure(f"{what} returned {int(np.isnat(dates).sum())} rows without a date")
    columns = [("dimension", k, v) for k, v in frame.dims.items()]
    columns += [("variable", k, v) for k, v in frame.values.items() if k in variables]
    for kind, name, column in columns:
        array = np.asarray(column)
        if array.ndim != 1 or len(array) != len(dates):
            raise PluginFailure(
                f"{what} returned the {kind} column `{name}` with shape {array.shape}, "
                f"not {len(dates)} rows"
            )
        if kind == "variable" and array.dtype.kind not in "biuf":
            raise PluginFailure(
                f"{what} returned the variable `{name}` as {array.dtype}, not numbers"
            )
        if kind == "variable" and array.dtype.kind == "f" and np.isinf(array).any():
            raise PluginFailure(  # NaN is a missing value; infinity is no amount of anything
                f"{what} returned {int(np.isinf(array).sum())} infinite values in the variable "
                f"`{name}`"
            )
    span = frame.span
    if span is not None and not (
        isinstance(span, tuple) and len(span) == 2 and all(isinstance(d, dt.date) for d in span)
    ):
        raise PluginFailure(f"{what} returned a span that is not two dates")
    return frame
