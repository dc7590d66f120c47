import pytest

from kpiengine.errors import KpiError
from kpiengine.workspace import load_workspace

VARS = """\
variables:
  revenue: {unit: currency}
  marketing_cost: {unit: currency}
  new_customers: {unit: customers}
  visitors: {unit: visitors}
"""


def load(write_workspace, kpis: str, **kw):
    root = write_workspace({"vars": VARS, "kpis": kpis}, **kw)
    return load_workspace(root, builtins=False), root


def codes(ws):
    return sorted(f.code for f in ws.findings)


def by_code(ws, code):
    return [f for f in ws.findings if f.code == code]


def test_clean_workspace(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        kpis:
          roi:
            title: ROI
            formula: (revenue - marketing_cost) / marketing_cost
            unit: ratio
            examples:
              - {given: {revenue: 10000, marketing_cost: 7000}, expect: 0.428571}
        """,
    )
    assert ws.findings == []
    assert ws.kpis["roi"].inferred_unit.dimensionless


def test_unknown_variable_suggests_and_points_at_the_name(write_workspace):
    ws, root = load(
        write_workspace,
        """\
        kpis:
          roi:
            title: ROI
            formula: (revnue - marketing_cost) / marketing_cost
            unit: ratio
        """,
    )
    [finding] = by_code(ws, "KPI006")
    assert "unknown variable `revnue`; did you mean `revenue`?" in finding.message
    assert str(finding.location) == f"{root / 'definitions' / 'kpis.yaml'}:4:15"
    assert not ws.kpis["roi"].evaluable


def test_unit_clash_names_the_consistent_reading(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        kpis:
          roi:
            title: ROI
            formula: revenue - marketing_cost / marketing_cost
            unit: ratio
        """,
    )
    [finding] = by_code(ws, "KPI101")
    assert "(revenue - marketing_cost) / marketing_cost" in finding.fix
    assert finding.location.line == 4


def test_inverted_conversion_rate(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        kpis:
          conversion:
            title: Conversion
            formula: visitors / new_customers
            unit: customers / visitors
        """,
    )
    [finding] = by_code(ws, "KPI102")
    assert "inverted" in finding.message


def test_unknown_keys_and_bad_values(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        kpis:
          roi:
            title: ROI
            fromula: revenue / marketing_cost
            formula: revenue / marketing_cost
            unit: ratio
            direction: up
        """,
    )
    [unknown] = by_code(ws, "KPI002")
    assert (
        "unknown key `fromula`" in unknown.message and "did you mean `formula`" in unknown.message
    )
    assert unknown.location.line == 4 and unknown.location.column == 5
    [bad] = by_code(ws, "KPI003")
    assert "`direction` must be one of higher, lower, none" in bad.message


def test_duplicate_in_one_layer_names_both_places(tmp_path):
    root = tmp_path / "ws"
    (root / "definitions").mkdir(parents=True)
    (root / "definitions" / "a.yaml").write_text("variables:\n  revenue: {unit: currency}\n")
    (root / "definitions" / "b.yaml").write_text("variables:\n\n  revenue: {unit: currency}\n")
    ws = load_workspace(root, builtins=False)
    [finding] = by_code(ws, "KPI004")
    assert str(finding.location).endswith("b.yaml:3:12")
    assert "a.yaml:2:12" in finding.message


def test_workspace_overrides_builtin_and_says_so(write_workspace):
    root = write_workspace(
        {
            "mine": """\
            kpis:
              cac:
                title: Marketing CAC
                formula: marketing_cost / new_customers
                unit: currency / customers
            """
        }
    )
    ws = load_workspace(root)
    cac = ws.kpis["cac"]
    assert cac.layer == "workspace"
    assert cac.overrides is not None and "<built-in>" in cac.overrides.file
    assert cac.formula_text == "marketing_cost / new_customers"


def test_cycle_is_reported_with_its_path(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        kpis:
          a: {title: A, formula: b + revenue, unit: currency}
          b: {title: B, formula: c, unit: currency}
          c: {title: C, formula: a, unit: currency}
          d: {title: D, formula: a * 2, unit: currency}
        """,
    )
    cycles = by_code(ws, "KPI007")
    assert {f.kpi for f in cycles} == {"a", "b", "c"}
    assert "a -> b -> c -> a" in cycles[0].message
    assert "d" not in ws.order and ws.blocked_by("d") is not None


def test_example_mismatch_is_reported(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        kpis:
          roi:
            title: ROI
            formula: (revenue - marketing_cost) / marketing_cost
            unit: ratio
            examples:
              - given: {revenue: 10000, marketing_cost: 7000}
                expect: 0.42
              - given: {revenue: 10000}
                expect: 0.5
        """,
    )
    [mismatch] = by_code(ws, "KPI009")
    assert "gives 0.428571" in mismatch.message and mismatch.location.line == 7
    [incomplete] = by_code(ws, "KPI010")
    assert "`marketing_cost`" in incomplete.message


def test_examples_compute_kpis_they_do_not_give(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        kpis:
          cac: {title: CAC, formula: marketing_cost / new_customers, unit: currency / customers}
          double_cac:
            title: Twice CAC
            formula: 2 * cac
            unit: currency / customers
            examples:
              - {given: {marketing_cost: 100, new_customers: 4}, expect: 50}
              - {given: {cac: 7}, expect: 14}
        """,
    )
    assert ws.findings == []


def test_kpi_yaml_settings_and_targets(write_workspace):
    root = write_workspace(
        {"vars": VARS},
        kpi_yaml="""\
        name: Demo
        currency: EUR
        targets:
          roi: 0.3
          roii: 0.4
        colour: blue
        """,
    )
    ws = load_workspace(root)
    assert ws.name == "Demo" and ws.units.currency == "EUR"
    assert ws.kpis["roi"].target.constant == 0.3
    messages = " | ".join(f.message for f in ws.findings)
    assert "target for unknown KPI `roii`; did you mean `roi`?" in messages
    assert "unknown key `colour`" in messages


def test_one_kpi_written_at_the_top_of_a_file_says_where_it_goes(write_workspace):
    root = write_workspace(
        {"ctr100": "id: ctr100\ntitle: CTR\nformula: clicks / impressions\nformat: percent\n"}
    )
    found = [f for f in load_workspace(root).findings if "ctr100.yaml" in str(f.location)]
    assert len(found) == 1  # one error, not one unknown key per line
    assert "under `kpis:`" in found[0].message and found[0].location.line == 3
    assert "`  ctr100:`" in found[0].fix and "formula: clicks / impressions" in found[0].fix


def test_yaml_syntax_error_is_a_user_error(write_workspace):
    root = write_workspace({"broken": "kpis:\n  roi: {title: ROI\n"})
    with pytest.raises(KpiError) as info:
        load_workspace(root)
    assert info.value.location.file.endswith("broken.yaml")


def test_missing_folder(tmp_path):
    with pytest.raises(KpiError):
        load_workspace(tmp_path / "nope")


def test_additive_kpis(write_workspace):
    ws, _ = load(
        write_workspace,
        """\
        variables:
          stock: {unit: customers, aggregate: last}
        kpis:
          total: {title: T, formula: revenue + marketing_cost, unit: currency}
          ratio: {title: R, formula: revenue / marketing_cost, unit: ratio}
          net: {title: N, formula: revenue - marketing_cost, unit: currency}
          base: {title: B, formula: stock, unit: customers}
        """,
    )
    assert ws.is_additive("total")
    assert not ws.is_additive("ratio")
    assert ws.is_additive("net")
    assert not ws.is_additive("base")


def test_a_workspace_kpi_named_as_a_library_variable_shadows_it_cleanly(write_workspace):
    """A KPI `deals_won` (as `kpi import cube` names a cube `deals`' measure `won`) replaces the
    library's variable of that name: the library's stand-in that named it no longer applies,
    with no error pointing into the built-in files."""
    import kpiengine

    root = write_workspace(
        {
            "d": """\
            variables:
              won_count: {unit: deals, aggregate: sum}
            kpis:
              deals_won: {title: Deals won, formula: won_count, unit: deals}
            """
        },
        kpi_yaml="data: data.csv\n",
        data="date,won_count\n2024-06-01,3\n2024-07-01,4\n",
    )
    ws = kpiengine.load_workspace(root)
    assert not ws.errors and ws.variables["deals_won_with_amount"].otherwise is None
    records = kpiengine.evaluate(ws, kpis=["deals_won"]).records()
    assert [r["value"] for r in records] == [3.0, 4.0]
