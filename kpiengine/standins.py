"""Variables read in place of others (`otherwise:`): `deals_won_with_amount` is `deals_won`
for data that does not tell deals without amounts."""

from __future__ import annotations

from dataclasses import replace

from .model import Workspace
from .plan import Plan
from .table import InputTable


def stand_ins(workspace: Workspace, available: set[str]) -> dict[str, str]:
    """Variables the data does not give -> the variable read in their place (`otherwise:`, its
    chain followed): `deals_won_with_amount` is `deals_won` for data that does not tell deals
    without amounts."""
    return {
        v.id: other
        for v in workspace.variables.values()
        if v.id not in available and (other := workspace.stand_in(v.id, available)) is not None
    }


def asking_stand_ins(plan: Plan, stand_in: dict[str, str]) -> Plan:
    """The plan with each stood-in variable replaced by the one read in its place."""
    variables: dict = {}
    for name, aggregate in plan.variables.items():
        variables.setdefault(stand_in.get(name, name), aggregate)
    return replace(plan, variables=variables)


def copy_stand_ins(table: InputTable, plan: Plan, stand_in: dict[str, str]) -> InputTable:
    """The table with each stood-in variable's values (and reasons, spans, gaps, dates) copied
    from the one read in its place."""
    for name, other in stand_in.items():
        if name in plan.variables and other in table.values:
            table.values[name] = table.values[other].copy()
            about: tuple[dict, ...] = (table.missing, table.spans, table.gaps, table.dated_by)
            for facts in about:
                if other in facts:
                    facts[name] = facts[other]
    return table
