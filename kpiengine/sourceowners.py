"""Which source gives each variable: one, or the one kpi.yaml's `choose:` names."""

from __future__ import annotations

from typing import Protocol, TypeVar

from .errors import KpiError, Location, suggestion
from .sourceconfig import SourceConfig


class Opened(Protocol):
    """A source opened: its configuration and the variables it gives."""

    config: SourceConfig
    provides: set[str]


S = TypeVar("S", bound=Opened)


def owners(sources: list[S], choose: dict[str, str], location: Location | None) -> dict[str, S]:
    """Which source gives each variable; two sources for one variable need `choose:`."""
    by_name = {s.config.name: s for s in sources}
    for variable, name in choose.items():
        if name not in by_name:
            raise KpiError(
                f"`choose` names unknown source `{name}` for `{variable}`"
                f"{suggestion(name, by_name)}",
                location,
            )
    out: dict[str, S] = {}
    for source in sources:
        shared = sorted(v for v in source.provides if v in out and v not in choose)
        if shared:  # every variable the two share, in a fixed order: one `choose:` block
            other = out[shared[0]].config.name
            both = [v for v in shared if out[v].config.name == other]
            block = ", ".join(f"{v}: {other}" for v in both)
            raise KpiError(
                f"{', '.join(f'`{v}`' for v in both)}: provided by sources `{other}` and "
                f"`{source.config.name}`",
                source.config.location,
                f"choose the source in kpi.yaml: `choose: {{{block}}}`",
            )
        for variable in source.provides:
            if variable not in choose or choose[variable] == source.config.name:
                out[variable] = source
    return out
