"""Resource limits: small inputs that would blow up memory or time end in a clear error instead.

Outcomes are tested, never timings: the error and its message, the number of nodes built, the
peak of memory traced while the work runs.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kpiengine import yamlio
from kpiengine.cli import cli
from kpiengine.errors import KpiError
from kpiengine.yamlio import MAX_ALIAS_NODES, parse_yaml


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 9, 30])
def test_an_alias_bomb_stops_after_the_node_budget(levels, monkeypatch):
    built = []
    original = yamlio._Builder._build

    def counting(self, node):
        built.append(1)
        return original(self, node)

    monkeypatch.setattr(yamlio._Builder, "_build", counting)
    with pytest.raises(KpiError, match="aliases expand to more than 100,000 nodes") as caught:
        parse_yaml(alias_bomb(levels), "bomb.yaml")
    assert caught.value.location is not None and caught.value.location.line >= 2
    assert len(built) <= MAX_ALIAS_NODES + 200  # 9**7 = 4.8 million without the budget


def test_a_small_alias_is_fine():
    data = parse_yaml(alias_bomb(3), "ok.yaml")
    assert len(data["a3"]) == 9 and len(data["a3"][0][0]) == 9


def test_an_alias_bomb_in_a_workspace_is_exit_2(write_workspace):
    root = write_workspace({"bomb": alias_bomb(9)})
    result = CliRunner().invoke(cli, ["lint", "-w", str(root)])
    assert result.exit_code == 2 and "bomb.yaml:" in result.output


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(write_workspace, monkeypatch):
    root = write_workspace({"big": "# " + "x" * yamlio.MAX_BYTES + "\n"})
    result = CliRunner().invoke(cli, ["lint", "-w", str(root)])
    assert result.exit_code == 2 and "big.yaml: the file is 8,000,003 bytes, over the" in (
        result.output
    )
    monkeypatch.setattr(yamlio, "MAX_BYTES", 1000)
    with pytest.raises(KpiError, match="over the 1,000 characters"):
        parse_yaml("a: " + "x" * 1000, "t.yaml")
