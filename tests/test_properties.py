"""Property-based tests: formula semantics, ratio roll-ups and the safety of formula parsing.

Every expected value here is computed independently of the engine: formulas by a small
evaluator over Python's own `ast` (exact `Fraction`s, high-precision `Decimal`s and plain
floats), roll-ups by summing the generated rows in plain Python.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import datetime as dt
import decimal
import math
import os
import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import sympy
import sympy.parsing.sympy_parser
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from sympy.core.function import AppliedUndef

import kpiengine
from kpiengine.formula import FormulaError, parse_formula, symbol
from kpiengine.table import Frame
from kpiengine.workspace import load_workspace

# --- an independent evaluator over Python's ast ------------------------------------------------

#: Valid names, including ones that could collide with sympy, numpy or lambdify internals.
NAMES = ("a", "b", "cost", "revenue", "lead_2", "x0", "x1", "pi", "e", "i", "nan", "inf", "numpy")
EXPONENTS = ("0", "1", "2", "3", "-1", "-2", "(-1)", "(+2)")


class Skip(Exception):
    """The reference arithmetic is undefined for these numbers (x/0, overflow, ...)."""


def _source(text: str) -> str:
    """The text the engine hands to Python's parser (line breaks and tabs are blanks)."""
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ").strip()


def py_evaluate(
    text: str,
    env: dict[str, object],
    literal: Callable[[str], object],
    functions: dict[str, Callable],
    scale: list[float] | None = None,
) -> object:
    """Evaluate formula `text` with Python arithmetic on the number type that `literal` makes.

    Number literals are converted from their source text (so `0.1` is one tenth for Fraction
    and Decimal); `scale`, if given, collects the magnitude of every intermediate result.
    """
    source = _source(text)
    tree = ast.parse(source, mode="eval").body

    def walk(node: ast.AST) -> object:
        if isinstance(node, ast.Constant):
            value = literal(ast.get_source_segment(source, node))
        elif isinstance(node, ast.Name):
            value = env[node.id]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = -walk(node.operand)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            value = walk(node.operand)
        elif isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            op = type(node.op)
            if op is ast.Add:
                value = left + right
            elif op is ast.Sub:
                value = left - right
            elif op is ast.Mult:
                value = left * right
            elif op is ast.Div:
                value = left / right
            elif op is ast.Pow:
                value = left**right
            else:  # pragma: no cover - the generators only make the five operators
                raise AssertionError(ast.dump(node))
        elif isinstance(node, ast.Call):
            value = functions[node.func.id](*[walk(a) for a in node.args])
        else:  # pragma: no cover
            raise AssertionError(ast.dump(node))
        if isinstance(value, complex):
            raise Skip("complex result")
        if scale is not None:
            scale.append(abs(float(value)))
        return value

    try:
        return walk(tree)
    except (ArithmeticError, ValueError) as exc:  # ZeroDivision, Overflow, decimal errors
        raise Skip(str(exc)) from None


#: min and max of one argument are that argument, as in the formula language
EXACT_FUNCTIONS = {"min": lambda *a: min(a), "max": lambda *a: max(a), "abs": abs}
FLOAT_FUNCTIONS = {**EXACT_FUNCTIONS, "sqrt": math.sqrt, "log": math.log}
DECIMAL_FUNCTIONS = {**EXACT_FUNCTIONS, "sqrt": decimal.Decimal.sqrt, "log": decimal.Decimal.ln}


# --- formula generators ------------------------------------------------------------------------

int_literals = st.integers(0, 999).map(str)
decimal_literals = st.tuples(st.integers(0, 99), st.integers(0, 999)).map(
    lambda t: f"{t[0]}.{t[1]:03d}"
)
sci_literals = st.tuples(st.integers(1, 99), st.integers(-3, 3)).map(lambda t: f"{t[0]}e{t[1]}")
number_literals = st.one_of(int_literals, decimal_literals, sci_literals)
names = st.sampled_from(NAMES)


def _binop(parts: tuple[str, str, str, bool]) -> str:
    left, op, right, parenthesised = parts
    text = f"{left} {op} {right}"
    return f"({text})" if parenthesised else text


def _grammar(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(children, st.sampled_from("+-*/"), children, st.booleans()).map(_binop),
            # exponents are small constants; the base is always parenthesised so that
            # `a ** 3 ** 3` towers cannot appear
            st.tuples(children, st.sampled_from(EXPONENTS)).map(lambda t: f"({t[0]}) ** {t[1]}"),
            children.map(lambda c: f"-{c}"),
            children.map(lambda c: f"( {c} )"),
            children.map(lambda c: f"abs({c})"),
            st.tuples(
                st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3)
            ).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        )

    return st.recursive(leaves, extend, max_leaves=10)


#: + - * / **, unary minus, parentheses, min, max, abs over numbers and names.
exact_formulas = _grammar(st.one_of(number_literals, names))
#: The same, with square roots, logarithms and half powers of (positive) names as leaves too.
float_formulas = _grammar(
    st.one_of(
        number_literals,
        names,
        names.map(lambda n: f"sqrt({n})"),
        names.map(lambda n: f"log({n})"),
        names.map(lambda n: f"{n} ** 0.5"),
    )
)
positive_fractions = st.fractions(min_value=Fraction(1, 100), max_value=100, max_denominator=100)
#: Positive values on a 1/8 grid: sums and differences of inputs are exact in floats.
grid_values = st.integers(1, 400).map(lambda k: k / 8)


def _value_table(values: list[Fraction]) -> dict[str, Fraction]:
    return dict(zip(NAMES, values, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    text=exact_formulas,
    values=st.lists(positive_fractions, min_size=len(NAMES), max_size=len(NAMES)),
)
def test_formula_matches_exact_python_arithmetic(text: str, values: list[Fraction]) -> None:
    env = _value_table(values)
    try:
        expected = py_evaluate(text, env, Fraction, EXACT_FUNCTIONS)
    except Skip:
        assume(False)
    formula = parse_formula(text)
    assert set(formula.names) <= set(NAMES)
    replaced = formula.expr.xreplace(
        {symbol(n): sympy.Rational(v.numerator, v.denominator) for n, v in env.items()}
    )
    note(f"expr={formula.expr!r} -> {replaced!r}, expected {expected}")
    assert replaced.is_Rational, replaced
    assert replaced == sympy.Rational(expected.numerator, expected.denominator)


@settings(max_examples=250, deadline=None)
@given(
    text=float_formulas,
    rows=st.lists(
        st.lists(grid_values, min_size=len(NAMES), max_size=len(NAMES)), min_size=1, max_size=4
    ),
)
def test_compiled_formula_matches_python_arithmetic(text: str, rows: list[list[float]]) -> None:
    from kpiengine.vectorize import compile_expr

    formula = parse_or_reject(text, {n: float(rows[0][i]) for i, n in enumerate(NAMES)})
    names_used = formula.input_names
    assert set(names_used) <= set(NAMES)
    columns = {n: np.array([row[NAMES.index(n)] for row in rows]) for n in NAMES}
    func = compile_expr(formula.expr, names_used)
    with np.errstate(all="ignore"):
        got = np.broadcast_to(np.asarray(func(*[columns[n] for n in names_used]), float), len(rows))
    checked = 0
    for i, row in enumerate(rows):
        floats = dict(zip(NAMES, row, strict=True))
        decimals = {n: decimal.Decimal(v) for n, v in floats.items()}  # exact: grid values
        scale: list[float] = []
        try:
            with decimal.localcontext(prec=50):
                reference = float(
                    py_evaluate(text, decimals, decimal.Decimal, DECIMAL_FUNCTIONS, scale)
                )
            plain = py_evaluate(text, floats, float, FLOAT_FUNCTIONS)
        except Skip:
            continue
        if not (math.isfinite(reference) and math.isfinite(plain) and math.isfinite(max(scale))):
            continue
        # Python's float arithmetic must itself agree with the 50-digit reference: otherwise
        # the formula is ill-conditioned at this point (x/(y - z) with y ~ z) and any
        # rearrangement of it may legitimately differ.
        if not math.isclose(plain, reference, rel_tol=1e-10, abs_tol=1e-13 * max(scale)):
            continue
        note(f"row {i}: engine {got[i]!r}, python {plain!r}, reference {reference!r}")
        assert math.isclose(got[i], plain, rel_tol=1e-8, abs_tol=1e-11 * max(scale))
        checked += 1
    assume(checked > 0)


def parse_or_reject(text: str, values: dict[str, float]):
    """The parsed formula; a formula rejected for a non-finite constant part must be one that
    Python cannot compute to a finite number either (then the example is skipped)."""
    try:
        return parse_formula(text)
    except FormulaError as exc:
        assert "not a finite real number" in exc.message, exc.message
        try:
            value = py_evaluate(text, values, float, FLOAT_FUNCTIONS)
        except Skip:
            value = math.nan
        assert not math.isfinite(value), f"{text} was rejected but Python gives {value}"
        assume(False)


def test_evaluator_can_tell_formulas_apart() -> None:
    """The reference evaluator is not a no-op: it gives different values for different texts."""
    env = {"a": Fraction(3), "b": Fraction(2)}
    results = [py_evaluate(t, env, Fraction, EXACT_FUNCTIONS) for t in ("a - b", "b - a", "a / b")]
    assert results == [1, -1, Fraction(3, 2)]
    assert py_evaluate("-a ** 2", env, Fraction, EXACT_FUNCTIONS) == -9
    assert py_evaluate("0.1 * 3", {}, Fraction, EXACT_FUNCTIONS) == Fraction(3, 10)


# --- ratio KPIs roll up as sum(numerator) / sum(denominator) -----------------------------------

DEFINITIONS = """\
variables:
  num:
    unit: currency
    aggregate: sum
    title: {en: Numerator}
  den:
    unit: customers
    aggregate: sum
    title: {en: Denominator}
kpis:
  ratio_kpi:
    title: {en: Ratio KPI}
    formula: num / den
    unit: currency / customers
"""
CHANNELS = ("Email", "Paid Search", "SEO", "Social, organic", "Référence", "10")


@pytest.fixture(scope="module")
def ratio_workspace(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ratio_ws")
    (root / "definitions").mkdir()
    (root / "definitions" / "x.yaml").write_text(DEFINITIONS, "utf-8")
    ws = load_workspace(root)
    assert "ratio_kpi" in ws.kpis
    assert not [f for f in ws.errors if f.kpi == "ratio_kpi"], [f.format() for f in ws.errors]
    return ws


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_between(first: dt.date, last: dt.date) -> list[str]:
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


amounts = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)
ratio_rows = st.integers(1, 5).flatmap(
    lambda n: st.lists(
        st.tuples(
            st.dates(dt.date(2023, 11, 1), dt.date(2024, 3, 31)),
            st.sampled_from(CHANNELS[:n]),
            amounts,
            amounts,
        ),
        min_size=1,
        max_size=40,
    )
)


def _evaluate_ratio(ws, rows: list[tuple[dt.date, str, float, float]]) -> list[dict]:
    frame = Frame(
        np.array([r[0] for r in rows], dtype="datetime64[D]"),
        {"channel": np.array([r[1] for r in rows], dtype=object)},
        {"num": np.array([r[2] for r in rows]), "den": np.array([r[3] for r in rows])},
    )
    results = kpiengine.evaluate(ws, frame, grain="month", by=["channel"], kpis=["ratio_kpi"])
    return [r for r in results.records() if r["kpi"] == "ratio_kpi"]


def _expected_ratios(rows) -> dict[tuple[str, str | None], float | None]:
    """(month, channel or None for the total) -> sum(num) / sum(den), None where no rows."""
    sums: dict[tuple[str, str | None], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for day, channel, num, den in rows:
        for key in ((_month(day), None), (_month(day), channel)):
            sums[key][0] += num
            sums[key][1] += den
    months = _months_between(min(r[0] for r in rows), max(r[0] for r in rows))
    channels = sorted({r[1] for r in rows})
    expected = {}
    for month in months:
        for channel in [None, *channels]:
            cell = sums.get((month, channel))
            expected[(month, channel)] = None if cell is None else cell[0] / cell[1]
    return expected


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ratio_rows)
def test_ratio_kpi_rolls_up_as_ratio_of_sums(ratio_workspace, rows) -> None:
    records = _evaluate_ratio(ratio_workspace, rows)
    got = {}
    for record in records:
        segment = record["segment"]
        assert set(segment) <= {"channel"}
        key = (record["period"], segment.get("channel"))
        assert key not in got, f"two records for {key}"
        got[key] = record["value"]
    expected = _expected_ratios(rows)
    assert set(got) == set(expected)
    for key, value in expected.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] is not None, key
            assert math.isclose(got[key], value, rel_tol=1e-9), (key, got[key], value)


def test_ratio_total_is_not_the_mean_of_segment_ratios(ratio_workspace) -> None:
    day = dt.date(2024, 1, 15)
    rows = [(day, "Email", 100.0, 1.0), (day, "SEO", 1.0, 100.0)]
    values = {
        (r["period"], r["segment"].get("channel")): r["value"]
        for r in _evaluate_ratio(ratio_workspace, rows)
    }
    pooled = (100.0 + 1.0) / (1.0 + 100.0)
    mean_of_ratios = (100.0 / 1.0 + 1.0 / 100.0) / 2
    assert values[("2024-01", "Email")] == pytest.approx(100.0)
    assert values[("2024-01", "SEO")] == pytest.approx(0.01)
    assert values[("2024-01", None)] == pytest.approx(pooled)
    assert values[("2024-01", None)] != pytest.approx(mean_of_ratios)


def test_package_evaluate_stays_the_function() -> None:
    """`kpiengine.evaluate` must not turn into a module once the submodules are imported."""
    import kpiengine.evaluation  # noqa: F401

    first, second = kpiengine.evaluate, kpiengine.evaluate
    assert callable(first) and first is second


# --- parsing never executes anything ------------------------------------------------------------

#: Calls a formula may make, with their number of arguments (None: one or more).
ALLOWED_CALLS = {
    "min": None,
    "max": None,
    "abs": 1,
    "sqrt": 1,
    "log": 1,
    "exp": 1,
    "prev": 1,
    "last_year": 1,
}
PLAIN_NAME = r"[a-z][a-z0-9_]*"


def is_forbidden(text: str) -> bool:
    """True when `text` is outside the formula language, judged from Python's ast alone."""
    source = _source(text)
    if not source or len(text) > 5000:
        return True
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True

    def bad(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            value = node.value
            return (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (isinstance(value, float) and not math.isfinite(value))
            )
        if isinstance(node, ast.Name):
            return (
                not re.fullmatch(PLAIN_NAME, node.id) or "__" in node.id or node.id in ALLOWED_CALLS
            )
        if isinstance(node, ast.UnaryOp):
            return not isinstance(node.op, ast.USub | ast.UAdd) or bad(node.operand)
        if isinstance(node, ast.BinOp):
            allowed = ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow
            return not isinstance(node.op, allowed) or bad(node.left) or bad(node.right)
        if isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in ALLOWED_CALLS or node.keywords:
                return True
            arity = ALLOWED_CALLS[func.id]
            if not node.args or (arity is not None and len(node.args) != arity):
                return True
            if func.id in ("prev", "last_year") and not isinstance(node.args[0], ast.Name):
                return True
            return any(isinstance(a, ast.Starred) or bad(a) for a in node.args)
        return True

    try:
        return bad(tree.body)
    except RecursionError:
        return True


def _plain_names(text: str) -> set[str]:
    tree = ast.parse(_source(text), mode="eval")
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


@contextlib.contextmanager
def no_dynamic_code() -> Iterator[None]:
    """Fail on eval, exec, non-AST compile, sympify, parse_expr or os.system while inside."""

    def trap(name: str) -> Callable:
        def trapped(*args: object, **kwargs: object) -> None:
            raise AssertionError(f"{name} was called while parsing a formula: {args!r:.200}")

        return trapped

    sympify_module = sys.modules["sympy.core.sympify"]
    real_sympify = sympify_module.sympify

    def sympify_of_objects_only(*args: object, **kwargs: object) -> object:
        # sympy converts its own operands through this function (`x + 1` sympifies the 1), so
        # only text is trapped here; the public `sympy.sympify` is trapped whatever it gets
        if any(isinstance(a, str | bytes) for a in [*args, *kwargs.values()]):
            raise AssertionError(f"sympify() of text while parsing a formula: {args!r:.200}")
        return real_sympify(*args, **kwargs)

    real_compile = builtins.compile

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError(f"compile() to code while parsing a formula: {source!r:.200}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    patches = [
        mock.patch.object(builtins, "eval", trap("eval")),
        mock.patch.object(builtins, "exec", trap("exec")),
        mock.patch.object(builtins, "compile", ast_only_compile),
        mock.patch.object(sympy, "sympify", trap("sympy.sympify")),
        mock.patch.object(sympify_module, "sympify", sympify_of_objects_only),
        mock.patch.object(sympy.parsing.sympy_parser, "parse_expr", trap("parse_expr")),
        mock.patch.object(os, "system", trap("os.system")),
        mock.patch.object(subprocess, "Popen", trap("subprocess.Popen")),
    ]
    if hasattr(sympy, "parse_expr"):
        patches.append(mock.patch.object(sympy, "parse_expr", trap("sympy.parse_expr")))
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        yield


def check_parse_is_safe(text: str) -> None:
    """parse_formula raises FormulaError, or returns an expression over plain names only."""
    forbidden = is_forbidden(text)
    try:
        with no_dynamic_code():
            formula = parse_formula(text)
    except FormulaError as exc:
        assert isinstance(exc.message, str) and exc.message
        assert isinstance(exc.column, int) and 0 <= exc.column <= len(text)
        return
    assert not forbidden, f"accepted a formula outside the language: {text!r:.300}"
    for sym in formula.expr.free_symbols:
        assert isinstance(sym, sympy.Symbol), sym
        base, sep, func = sym.name.partition("__")
        assert re.fullmatch(PLAIN_NAME, base), sym.name
        assert not sep or func in ("prev", "last_year"), sym.name
    assert not formula.expr.atoms(AppliedUndef), formula.expr
    assert {s.name for s in formula.expr.free_symbols} <= set(formula.input_names)
    assert set(formula.names) == _plain_names(text)


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    return tmp_path / "SENTINEL"


def _tricks(sentinel: Path) -> list[str]:
    s = str(sentinel)
    touch = f"__import__('os').system('touch {s}')"
    return [
        touch,
        f"__import__('pathlib').Path('{s}').touch()",
        f"open('{s}', 'w').write('x')",
        "().__class__.__bases__[0].__subclasses__()",
        "x.__class__",
        "revenue.real",
        f"exec(\"open('{s}', 'w')\")",
        f'eval("{touch}")',
        "eval('1')",
        "exec('1')",
        "open('/etc/passwd').read()",
        "__import__('os')",
        "__builtins__",
        "getattr(x, 'y')",
        "compile('1', 'f', 'eval')",
        "lambda: 1",
        f"(lambda: {touch})()",
        "[x for x in ()]",
        f"[{touch} for x in (1,)]",
        f"{{x: {touch} for x in (1,)}}",
        f"min({touch} for x in (1,))",
        f'f"{{{touch}}}"',
        "f'{x}'",
        "x[0]",
        "[1, 2][0]",
        "x[1:2]",
        "a if b else c",
        f"1 if {touch} else 2",
        f"min(a, key={touch})",
        "min(a, key=b)",
        "max(*a)",
        "max(**a)",
        "(x := 1)",
        f"(x := {touch})",
        "10**10**10",
        "2 ** 1000",
        "x ** 101",
        "x ** -101",
        "1e400",
        "1e309 * x",
        "'text'",
        "b'bytes'",
        "1j",
        "True",
        "None",
        "...",
        "x < y",
        "x and y",
        "not x",
        "~x",
        "x % 2",
        "x // 2",
        "x ^ 2",
        "x @ y",
        "x | y",
        "x << 1",
        "(yield x)",
        "await x",
        "Revenue",
        "_x",
        "a__b",
        "min",
        "prev(1)",
        "prev(a + b)",
        "ytd(prev(x))",  # a window reads first: prev(ytd(x))
        "rolling(x, 1.5)",
        "total(x + 1)",
        "abs(a, b)",
        "min()",
        "sqrt()",
        "Symbol('x')",
        "S('x')",
        "sympify('x')",
        "ｅｖａｌ('1')",  # NFKC-normalised to `eval` by Python's parser
        "a\n+\nb",
        "a;b",
        "import os",
        "x = 1",
        "#",
        "",
        "   ",
        "\x00",
        "1\x00",
        "(" * 5000,
        ")" * 5000,
        "(" * 2000 + "x" + ")" * 2000,
        "(" * 2500 + "x" + ")" * 2500,
        "-" * 4999 + "x",
        "+".join(["x"] * 2500),
        "x" + "**x" * 1600,
        "min(" * 1000 + "x" + ")" * 1000,
        "abs(" * 1000 + "x" + ")" * 1000,
        "[" * 5000,
        "1" * 4301,
        "1" * 6000,
        "x" * 5001,
        "a" * 5000,
    ]


def test_known_tricks_never_run(sentinel: Path) -> None:
    for trick in _tricks(sentinel):
        check_parse_is_safe(trick)
        assert not sentinel.exists(), f"{trick!r:.100} created the sentinel file"


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "x.y", "x[0]", "lambda: 1", "a if b else c", "min(a, key=b)", "(x := 1)"],
)
def test_forbidden_constructs_raise_formula_error(text: str) -> None:
    """The trick list is not vacuous: these must be rejected, not merely tolerated."""
    assert is_forbidden(text)
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_safety_check_accepts_valid_formulas() -> None:
    for text in ["(revenue - cost) / cost", "min(a, b) + abs(-x) ** 2", "prev(x) / last_year(x)"]:
        assert not is_forbidden(text)
        check_parse_is_safe(text)


def test_guards_do_catch_dynamic_code() -> None:
    """The traps work: calling eval or sympify while they are set fails."""
    with no_dynamic_code():
        with pytest.raises(AssertionError):
            builtins.eval("1")
        with pytest.raises(AssertionError):
            sympy.sympify(1)
        with pytest.raises(AssertionError):
            sys.modules["sympy.core.sympify"].sympify("x")
        with pytest.raises(AssertionError):
            sympy.parsing.sympy_parser.parse_expr("x")
        with pytest.raises(AssertionError):
            os.system("true")
        with pytest.raises(AssertionError):
            builtins.compile("1", "<f>", "eval")
        ast.parse("1")  # AST-only compilation stays allowed


FUZZ_PIECES = [
    *"abcxyz_019 .,()[]{}+-*/%^<>=!&|~@:;'\"\\#\n\t",
    "**",
    "//",
    "min(",
    "max(",
    "abs(",
    "sqrt(",
    "log(",
    "exp(",
    "prev(",
    "last_year(",
    "lambda ",
    "__",
    "__import__",
    "os",
    "eval",
    "exec",
    "open",
    " if ",
    " else ",
    " for ",
    " in ",
    ":=",
    "f'",
    "1e309",
    "0x",
    "j",
    "É",
    "ｅ",
    "\x00",
    "\u2028",
    "\ufeff",
    "revenue",
    "cost",
]
fuzz_text = st.one_of(
    st.text(max_size=60), st.lists(st.sampled_from(FUZZ_PIECES), max_size=30).map("".join)
)


@settings(max_examples=500, deadline=None)
@given(text=fuzz_text)
def test_random_text_is_rejected_or_plain(text: str) -> None:
    check_parse_is_safe(text)


def _hostile_grammar() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(NAMES),
        st.sampled_from(
            ["__import__", "open", "os", "eval", "Revenue", "_x", "a__b", "min", "prev"]
        ),
        st.integers(1, 999).map(str),
        st.sampled_from(["0.5", "1e400", "1j", "True", "None", "'s'", "b'x'", "...", "0x1f"]),
    )

    def extend(c: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        funcs = st.sampled_from(
            [*ALLOWED_CALLS, "eval", "exec", "open", "__import__", "getattr", "sum", "pow", "print"]
        )
        args = st.lists(c, max_size=3).map(", ".join)
        return st.one_of(
            # allowed constructs (exponents are literals and min/max take leaves, so that no
            # non-real constant such as sqrt(-1) or 0/0 reaches them: see the xfail tests below)
            st.tuples(c, st.sampled_from(["+", "-", "*", "/"]), c).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(c, st.integers(0, 3)).map(lambda t: f"({t[0]}) ** {t[1]}"),
            c.map(lambda x: f"-{x}"),
            st.tuples(st.sampled_from(["abs", "sqrt", "log", "exp"]), c).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
            st.tuples(st.sampled_from(["min", "max"]), st.lists(leaf, min_size=1, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"
            ),
            # forbidden constructs
            st.tuples(funcs, args).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(funcs, args, c).map(lambda t: f"{t[0]}({t[1]}, key={t[2]})"),
            st.tuples(funcs, c).map(lambda t: f"{t[0]}(*{t[1]})"),
            st.tuples(c, st.sampled_from(["__class__", "real", "system", "x"])).map(
                lambda t: f"({t[0]}).{t[1]}"
            ),
            st.tuples(c, c).map(lambda t: f"({t[0]})[{t[1]}]"),
            c.map(lambda x: f"(lambda: {x})"),
            st.tuples(c, c).map(lambda t: f"[{t[0]} for x in {t[1]}]"),
            st.tuples(c, c, c).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            st.tuples(
                c, st.sampled_from(["<", "==", " and ", " or ", "%", "//", "^", "&", "@", "<<"]), c
            ).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            c.map(lambda x: f"(x := {x})"),
            c.map(lambda x: f'f"{{{x}}}"'),
            c.map(lambda x: f"[{x}]"),
            c.map(lambda x: f"not {x}"),
        )

    return st.recursive(leaf, extend, max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(text=_hostile_grammar())
def test_hostile_formulas_are_rejected_or_plain(text: str) -> None:
    check_parse_is_safe(text)


# --- engine bugs these tests found, kept as regression tests -----------------------------------


@pytest.mark.parametrize(
    "text", ["min(1, sqrt(-1))", "max(x, 1/0)", "min(0/0, x)", "max(x, log(-1))"]
)
def test_min_max_of_non_real_constant_is_a_formula_error(text: str) -> None:
    check_parse_is_safe(text)


@pytest.mark.parametrize("text", ["x ** (0/0)", "min(x) ** (0/0)"])
def test_nan_exponent_is_a_formula_error(text: str) -> None:
    check_parse_is_safe(text)


@pytest.mark.parametrize("name", ["minimum", "maximum", "reduce"])
def test_min_max_work_for_every_valid_name(name: str) -> None:
    from kpiengine.vectorize import compile_expr

    formula = parse_formula(f"min({name}, 2) + max({name}, 3)")
    values = np.array([1.0, 2.5, 4.0])
    got = compile_expr(formula.expr, formula.input_names)(values)
    expected = [min(v, 2) + max(v, 3) for v in values]
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("text", ["x / 0", "x / (y - y)", "log(0) + x", "1 / 0"])
def test_division_by_constant_zero_is_rejected_or_undefined(text: str) -> None:
    from kpiengine.vectorize import compile_expr

    try:
        formula = parse_formula(text)
    except FormulaError:
        return  # rejecting such a formula is a fix too
    func = compile_expr(formula.expr, formula.input_names)
    with np.errstate(all="ignore"):
        out = np.asarray(func(*[np.array([1.0, 2.0])] * len(formula.input_names)), float)
    assert not np.isfinite(out).any()


def test_constant_power_tower_is_rejected_quickly() -> None:
    code = textwrap.dedent(
        """
        from kpiengine.formula import FormulaError, parse_formula
        try:
            parse_formula("(((9 ** 99) ** 99) ** 99) ** 99")
        except FormulaError:
            pass
        """
    )
    try:
        subprocess.run([sys.executable, "-c", code], timeout=3, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail("parse_formula took more than 3 s on a 31-character formula")


def test_syntax_error_column_counts_characters() -> None:
    text = "café_total + ("  # `(` is never closed; `é` is two bytes in UTF-8
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert info.value.column == text.index("(")
