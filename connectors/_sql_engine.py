"""What every engine runner of the `sql` connector shares: its error and its optional package."""

from __future__ import annotations

import importlib
from types import ModuleType

#: Rows as the database returns them: column names, tuples, and the columns' type names as the
#: engine writes them (`DECIMAL(18,2)`, `numeric(18,2)`, `Nullable(Decimal(18, 2))`, ...).
Result = tuple[list[str], list[tuple], list[str]]


class EngineError(Exception):
    """An engine could not run the query; `str()` is the message (the caller redacts it)."""

    def __init__(self, message: str, fix: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix
        self.key = key


def need(module: str, package: str, extra: str) -> ModuleType:
    """Import an optional engine package, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise EngineError(
            f"this URL needs the `{package}` package",
            fix=f'pip install "kpiengine[{extra}]"',
            key="url",
        ) from None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def no_files() -> Result:
    """PostgreSQL would read `table:` from the database, not from the file `files:` names."""
    raise EngineError(
        "`files` is for in-process engines (duckdb://, chdb://, spark:local); PostgreSQL reads "
        "its own tables",
        key="files",
    )
