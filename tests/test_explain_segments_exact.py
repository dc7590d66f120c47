"""`kpi explain --by`: the mix / rate / entering-leaving / no-denominator split of a ratio's
change is exact, on random segment tables and on the sample (numbers from its files); `kpi
drivers` shows the exact change for +1% of an input."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpiengine
from kpiengine.analysis import split_by_segment
from kpiengine.analysis.segments import decompose
from kpiengine.cli import cli
from kpiengine.engine import load_context
from kpiengine.errors import KpiError

numerators = st.one_of(st.just(0), st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False))
# down to 1e-300: a tinier one makes a rate beyond the largest float
denominators = st.one_of(st.just(0), st.integers(0, 1000), st.floats(1e-300, 1e6))
segment_rows = st.lists(
    st.tuples(numerators, denominators, numerators, denominators), min_size=1, max_size=7
)


@settings(max_examples=400, deadline=None)
@given(segment_rows)
def test_terms_sum_exactly_to_the_change(rows):
    n0, d0, n1, d1 = (list(column) for column in zip(*rows, strict=True))
    if math.fsum(d0) == 0 or math.fsum(d1) == 0:
        with pytest.raises(KpiError, match="denominator's total is 0"):
            decompose(n0, d0, n1, d1)
        return
    found = decompose(n0, d0, n1, d1)
    # the KPI from the sums alone, in floats: the decomposition's ratios are the same numbers
    kpi0, kpi1 = math.fsum(n0) / math.fsum(d0), math.fsum(n1) / math.fsum(d1)
    scale = max(1.0, abs(kpi0), abs(kpi1), *(abs(v) / abs(math.fsum(d0)) for v in n0),
                *(abs(v) / abs(math.fsum(d1)) for v in n1))  # fmt: skip
    assert abs(float(found.before) - kpi0) <= 1e-9 * scale
    assert abs(float(found.after) - kpi1) <= 1e-9 * scale
    assert abs(float(found.change) - (kpi1 - kpi0)) <= 1e-9 * scale
    # exact in fractions: every term, summed, is the change, nothing left over
    kinds = ("mix", "rate", "entering_leaving", "without_denominator")
    totals = {k: sum((getattr(t, k) for t in found.terms), Fraction(0)) for k in kinds}
    assert sum(totals.values(), Fraction(0)) == found.change
    # and each term, rounded once to a float, still sums to the change to rounding (relative
    # to the terms: a tiny denominator makes a huge rate, and mix and rate cancel)
    floats = [float(getattr(t, k)) for t in found.terms for k in kinds]
    scale = max(scale, *map(abs, floats))
    assert abs(math.fsum(floats) - float(found.change)) <= 1e-9 * scale
    total0, total1 = sum(map(Fraction, d0), Fraction(0)), sum(map(Fraction, d1), Fraction(0))
    for (a, b, c, d), t in zip(rows, found.terms, strict=True):
        status = {(True, True): "both", (False, True): "entering", (True, False): "leaving",
                  (False, False): "neither"}[(b != 0, d != 0)]  # fmt: skip
        assert t.status == status
        share0, share1 = Fraction(a) / total0, Fraction(c) / total1
        if status == "both":
            assert t.entering_leaving == 0 and t.without_denominator == 0
        else:
            assert t.mix == 0 and t.rate == 0
        if status == "entering":  # its whole share is new; any numerator it had is not
            assert t.entering_leaving == share1 and t.without_denominator == -share0
        if status == "leaving":
            assert t.entering_leaving == -share0 and t.without_denominator == share1
        if status == "neither":
            assert t.without_denominator == share1 - share0


def test_one_segment_is_all_rate():
    found = decompose([50], [100], [30], [40])
    [t] = found.terms
    assert t.mix == 0 and t.rate == Fraction(30, 40) - Fraction(50, 100) == found.change


def test_by_hand_entering_leaving_and_a_numerator_without_denominator():
    # A: 10/100 -> 30/100; B: leaves (40/100 -> 0 customers, 5 of cost left);
    # C: enters (cost 20 with 0 customers -> 60/100)
    found = decompose([10, 40, 20], [100, 100, 0], [30, 5, 60], [100, 0, 100])
    a, b, c = found.terms
    assert found.before == Fraction(70, 200) and found.after == Fraction(95, 200)
    # A's share of the denominator goes from 1/2 to 1/2: all rate, 0.5 * (0.3 - 0.1)
    assert (a.status, a.mix, a.rate) == ("both", 0, Fraction(1, 10))
    assert (b.status, b.entering_leaving, b.without_denominator) == (
        "leaving", Fraction(-40, 200), Fraction(5, 200),
    )  # fmt: skip
    assert (c.status, c.entering_leaving, c.without_denominator) == (
        "entering", Fraction(60, 200), Fraction(-20, 200),
    )  # fmt: skip
    assert a.total + b.total + c.total == Fraction(95 - 70, 200)


def test_a_total_denominator_of_zero_is_refused():
    with pytest.raises(KpiError, match="is 0"):
        decompose([0, 0], [0, 0], [1, 2], [3, 4])


counts = st.one_of(st.none(), st.integers(0, 50))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(counts, counts, counts, counts), min_size=1, max_size=4))
def test_split_by_segment_on_random_tables(tmp_path_factory, rows):
    # None: no row for the segment in that month (present in one period only)
    lines = ["date,channel,conversions,sessions"]
    for k, (c0, s0, c1, s1) in enumerate(rows):
        for day, c, s in (("2024-05-10", c0, s0), ("2024-06-10", c1, s1)):
            if c is not None and s is not None:
                lines.append(f"{day},ch{k},{c},{s}")
    sums = defaultdict(lambda: [0, 0])
    for line in lines[1:]:
        day, _, c, s = line.split(",")
        sums[day[:7]][0] += int(c)
        sums[day[:7]][1] += int(s)
    root = tmp_path_factory.mktemp("ws")
    (root / "definitions").mkdir()
    (root / "kpi.yaml").write_text("data: data.csv\n", "utf-8")
    (root / "data.csv").write_text("\n".join(lines) + "\n", "utf-8")
    if not all(sums[m][1] for m in ("2024-05", "2024-06")):
        return  # conversion_rate is undefined in a month: nothing to split
    ctx = load_context(kpiengine.load_workspace(root), ["conversion_rate"], by=["channel"])
    split = split_by_segment(ctx, "conversion_rate", "2024-05", "2024-06")
    expected = sums["2024-06"][0] / sums["2024-06"][1] - sums["2024-05"][0] / sums["2024-05"][1]
    assert split.change == pytest.approx(expected, rel=1e-12, abs=1e-15)
    terms = [split.mix, split.rate, split.entering_leaving, split.without_denominator]
    assert math.fsum(t or 0.0 for t in terms) == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert math.fsum(r.change for r in split.rows) == pytest.approx(expected, abs=1e-12)
    assert not any("unexplained" in n for n in split.notes)


SAMPLE_EXPLAIN = [
    "explain",
    "cac",
    "--sample",
    "--from",
    "2023-01",
    "--to",
    "2023-02",
    "--by",
    "channel",
]
# the sample's channel names in HubSpot, as its kpi.yaml maps them
HUBSPOT_CHANNELS = {"Email Marketing": "Email", "Referrals": "Referral", "Direct Traffic": "Direct"}


def _sample_by_channel() -> tuple[dict, dict]:
    """(marketing cost, new customers) by (month, channel) for 2023-01 and 2023-02, read from
    the sample's files with the csv module."""
    root = kpiengine.sample_workspace()
    cost: dict[tuple[str, str], float] = defaultdict(float)
    with open(root / "costs" / "marketing_costs.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            month, year = row["Month"].split("/")
            amount = row["Amount"].replace("€", "").replace(".", "").replace(",", ".").strip()
            cost[(f"{year}-{month}", row["Channel"])] += float(amount)
    customers: Counter[tuple[str, str]] = Counter()
    with open(root / "exports" / "hubspot_contacts.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            month = row["Became a Customer Date"][:7]
            source = row["Original Source"]
            customers[(month, HUBSPOT_CHANNELS.get(source, source))] += 1
    return cost, customers


def _expected_sample_terms() -> dict[str, float]:
    cost, customers = _sample_by_channel()
    m0, m1 = "2023-01", "2023-02"
    channels = {ch for (m, ch) in cost if m in (m0, m1)}
    cost0 = sum(cost[(m0, ch)] for ch in channels)
    cost1 = sum(cost[(m1, ch)] for ch in channels)
    cust0 = sum(customers[(m0, ch)] for ch in channels)
    cust1 = sum(customers[(m1, ch)] for ch in channels)
    out = {"change": cost1 / cust1 - cost0 / cust0, "mix": 0.0, "rate": 0.0,
           "entering_leaving": 0.0, "without_denominator": 0.0}  # fmt: skip
    for ch in channels:
        n0, d0, n1, d1 = cost[(m0, ch)], customers[(m0, ch)], cost[(m1, ch)], customers[(m1, ch)]
        if d0 and d1:
            w0, w1, r0, r1 = d0 / cust0, d1 / cust1, n0 / d0, n1 / d1
            out["mix"] += (w1 - w0) * (r0 + r1) / 2
            out["rate"] += (r1 - r0) * (w0 + w1) / 2
        elif d1:  # entering: Referral, cost in January but no customer
            out["entering_leaving"] += n1 / cust1
            out["without_denominator"] -= n0 / cust0
        elif d0:
            out["entering_leaving"] -= n0 / cust0
            out["without_denominator"] += n1 / cust1
        else:
            out["without_denominator"] += n1 / cust1 - n0 / cust0
    return out


def test_sample_cac_january_to_february_by_channel():
    expected = _expected_sample_terms()
    # Referral: €785.50 of cost and no customer in January, 2 customers in February
    assert expected["without_denominator"] == pytest.approx(-785.50 / 9)
    assert expected["entering_leaving"] == pytest.approx(815.61 / 32)
    result = CliRunner().invoke(cli, [*SAMPLE_EXPLAIN, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    split = json.loads(result.output)["segments"]
    for key, value in expected.items():
        assert split[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    terms = math.fsum(split[k] for k in expected if k != "change")
    assert terms == pytest.approx(split["change"], rel=1e-12)
    assert not split["notes"]
    [referral] = [r for r in split["rows"] if r["segment"] == {"channel": "Referral"}]
    assert referral["status"] == "entering" and referral["mix"] is None


def test_sample_cac_terminal_equation_is_exact_and_labelled():
    expected = _expected_sample_terms()
    result = CliRunner().invoke(cli, SAMPLE_EXPLAIN)
    assert result.exit_code in (0, 1), result.output

    def euros(value: float) -> str:
        return f"{'-' if value < 0 else '+'}€{abs(value):,.2f}"

    equation = (
        f"change {euros(expected['change'])} = mix {euros(expected['mix'])} + rate "
        f"{euros(expected['rate'])} + entering/leaving {euros(expected['entering_leaving'])} "
        f"+ no new_customers {euros(expected['without_denominator'])}"
    )
    assert equation in result.output
    assert equation == (
        "change -€1,371.35 = mix +€1.86 + rate -€1,311.42 + entering/leaving +€25.49 "
        "+ no new_customers -€87.28"
    )
    assert "unexplained" not in result.output
    assert "entered in 2023-02: channel=Referral" in result.output
    assert "channel=Referral in 2023-01: €785.50" in result.output


LEAVING_ROWS = (
    "date,channel,conversions,sessions\n"
    "2024-05-10,A,10,100\n2024-05-10,B,5,50\n"
    "2024-06-10,A,20,100\n2024-06-10,B,3,0\n"
)


def test_a_leaving_segment_with_conversions_but_no_sessions(write_workspace):
    # May 15/150 = 10%, June 23/100 = 23%. A: share 2/3 -> 1, rate 10% -> 20%:
    # mix (1 - 2/3) * 15% = 5 pp, rate 10% * (2/3 + 1)/2 = 8.33 pp. B leaves: -5/150 = -3.33 pp;
    # its 3 conversions over no sessions still count in June: +3/100 = +3 pp.
    root = write_workspace(kpi_yaml="data: data.csv\n", data=LEAVING_ROWS)
    ctx = load_context(kpiengine.load_workspace(root), ["conversion_rate"], by=["channel"])
    split = split_by_segment(ctx, "conversion_rate", "2024-05", "2024-06")
    assert split.change == pytest.approx(0.13)
    assert split.mix == pytest.approx(0.05) and split.rate == pytest.approx(0.25 / 3)
    assert split.entering_leaving == pytest.approx(-1 / 30)
    assert split.without_denominator == pytest.approx(0.03)
    b = split.rows[1]
    assert (b.status, b.before, b.after, b.mix) == ("leaving", 0.1, None, None)
    result = CliRunner().invoke(
        cli,
        [
            "explain",
            "conversion_rate",
            "-w",
            str(root),
            "--from",
            "2024-05",
            "--to",
            "2024-06",
            "--by",
            "channel",
        ],  # fmt: skip
    )
    assert (
        "change +13.0 pp = mix +5.0 pp + rate +8.3 pp + entering/leaving -3.3 pp "
        "+ no sessions +3.0 pp\n" in result.output
    )
    assert "left in 2024-06: channel=B" in result.output
    assert "channel=B in 2024-06: 3" in result.output


def test_a_rounded_equation_that_does_not_add_up_says_so(write_workspace):
    from kpiengine.terminal.analysis import render_split

    root = write_workspace(kpi_yaml="data: data.csv\n", data=LEAVING_ROWS)
    ctx = load_context(kpiengine.load_workspace(root), ["conversion_rate"], by=["channel"])
    split = split_by_segment(ctx, "conversion_rate", "2024-05", "2024-06")
    # 0.04 pp + 0.04 pp = 0.08 pp: each shows as 0.0 pp, the change as 0.1 pp
    split.change, split.mix, split.rate = 0.0008, 0.0004, 0.0004
    split.entering_leaving = split.without_denominator = 0.0
    text = render_split(ctx.ws, split)
    assert "they add up exactly before rounding" in text
    split.change, split.mix, split.rate = 0.13, 0.05, 0.08
    assert "rounding" not in render_split(ctx.ws, split)


def test_drivers_prints_the_exact_change_for_one_percent_on_the_sample():
    cost, customers = _sample_by_channel()
    c = math.fsum(v for (m, _), v in cost.items() if m == "2024-11")
    n = sum(v for (m, _), v in customers.items() if m == "2024-11")
    exact = {"marketing_cost": c * 1.01 / n - c / n, "new_customers": c / (n * 1.01) - c / n}
    linear = -c / n / 100  # (dcac/dn) * n / 100, what the column used to show
    assert abs(exact["new_customers"] - linear) > 0.04
    args = ["drivers", "cac", "--sample", "--period", "2024-11"]
    found = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).output)["drivers"]
    for driver in found:
        assert driver["change_1pct"] == pytest.approx(exact[driver["input"]], rel=1e-12)
    out = CliRunner().invoke(cli, args).output
    assert "kpi change for +1% (exact)" in out
    [line] = [x for x in out.splitlines() if x.startswith("2 ")]
    assert line.split()[1] == "new_customers"
    assert f"-€{-exact['new_customers']:,.2f}" in line
    assert f"-€{-linear:,.2f}" not in line  # -€4.27, the linear estimate, is not shown


def test_a_kpi_of_kpis_with_a_constant_numerator_is_said_not_to_split(tmp_path):
    # rk / rsum = (revenue / deals_won * 1000) / (2 * revenue) = 500 / deals_won: the 500 is
    # in every segment, so no split applies (it was "the total of `500`" does not add up).
    (tmp_path / "definitions").mkdir()
    (tmp_path / "kpi.yaml").write_text("data: data.csv\n", "utf-8")
    (tmp_path / "data.csv").write_text(
        "date,channel,revenue,deals_won\n2024-01-01,Web,1000,4\n2024-02-01,Web,1200,5\n"
        "2024-01-01,شبکه,500,2\n2024-02-01,شبکه,700,1\n",
        "utf-8",
    )
    (tmp_path / "definitions" / "a.yaml").write_text(
        "kpis:\n"
        "  rsum: {title: Rsum, formula: revenue + revenue, unit: currency}\n"
        "  rk: {title: Rk, formula: revenue / deals_won * 1000, unit: currency / (1000 deals)}\n"
        "  kk: {title: KK, formula: rk / rsum, unit: 1 / (1000 deals)}\n",
        "utf-8",
    )
    args = ["explain", "kk", "-w", str(tmp_path), "--by", "channel"]
    result = CliRunner().invoke(cli, [*args, "--from", "2024-01", "--to", "2024-02"])
    assert (
        result.exit_code != 0
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    assert "neither a ratio of sums nor a sum of its inputs" in result.output
    assert "`500`" not in result.output
