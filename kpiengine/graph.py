"""The KPI dependency graph: evaluation order, cycles, and the raw inputs behind each KPI."""

from __future__ import annotations

from collections.abc import Mapping


def find_cycles(deps: Mapping[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle found by depth-first search, each as a path `a -> b -> a`."""
    cycles: list[list[str]] = []
    seen_cycles: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(deps.get(node, ())):
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                path = stack[stack.index(dep) :] + [dep]
                key = frozenset(path)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    cycles.append(path)
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(deps):
        if node not in state:
            visit(node)
    return cycles


def topological_order(deps: Mapping[str, set[str]]) -> list[str]:
    """Nodes with their dependencies first; nodes on cycles are left out."""
    on_cycle = {node for cycle in find_cycles(deps) for node in cycle}
    order: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> bool:
        if node in done:
            return True
        if node in on_cycle:
            return False
        ok = all(visit(dep) for dep in sorted(deps.get(node, ())) if dep in deps)
        if ok:
            done.add(node)
            order.append(node)
        else:
            on_cycle.add(node)
        return ok

    for node in sorted(deps):
        visit(node)
    return order


def closure(node: str, deps: Mapping[str, set[str]]) -> set[str]:
    """Everything `node` depends on, directly or through other nodes (not itself)."""
    out: set[str] = set()
    todo = list(deps.get(node, ()))
    while todo:
        item = todo.pop()
        if item not in out:
            out.add(item)
            todo.extend(deps.get(item, ()))
    return out
