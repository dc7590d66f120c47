"""Safe formula parsing: a whitelisted Python-expression AST turned into a sympy expression.

User text never reaches `eval`, `exec`, `sympify` or `parse_expr`: Python's `ast` parses it,
every node is checked against a whitelist, and the sympy tree is built node by node. The check
runs on exact fractions first (`kpiengine.formulavalues`), so loading definitions and
evaluating them need no sympy; the sympy tree is built when something asks for it.

The module is longer than 420 lines: the whitelist and the check of each node belong together;
the words of each refusal (what was written, and the fix an analyst needs) are in
`kpiengine.formulamessages`.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from .formulamessages import ALLOWED, HINTS, NOT_FINITE, SMALLER, describe, op_text, too_large
from .formulavalues import Fractions, Sympy
from .refs import MAX_ROLLING, SHIFTS, TRANSFORMS, ref_name, window_of

if TYPE_CHECKING:
    import sympy

__all__ = ["SHIFTS", "TRANSFORMS", "Formula", "FormulaError", "parse_formula", "symbol"]

MAX_FORMULA_LENGTH = 5000
MAX_CONSTANT_EXPONENT = 100
MAX_CONSTANT_DIGITS = 400
#: the largest magnitude a float holds: a constant part beyond it is inf once evaluated
LARGEST = Fraction(1.7976931348623157e308)
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

#: Functions a formula may call, with the number of arguments they take (None: one or more).
FUNCTIONS: dict[str, int | None] = {
    "min": None,
    "max": None,
    "abs": 1,
    "sqrt": 1,
    "log": 1,
    "exp": 1,
    "prev": 1,
    "last_year": 1,
    "ytd": 1,
    "qtd": 1,
    "mtd": 1,
    "rolling": 2,
    "total": 1,
}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class FormulaError(ValueError):
    """A formula that cannot be parsed; `column` is 0-based within the formula text."""

    def __init__(self, message: str, column: int = 0, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.fix = fix


def symbol(name: str) -> sympy.Symbol:
    """The sympy symbol for a variable or KPI id (always real-valued)."""
    import sympy  # noqa: PLC0415 - see the module docstring

    return sympy.Symbol(name, real=True)


def shifted_name(chain: str, name: str) -> str:
    """The internal input name of `name` read through a `__`-joined chain (see `refs`)."""
    return f"{name}__{chain}"


@dataclass(frozen=True)
class Guard:
    """A sub-expression that must be non-zero (or positive) for the formula to be defined."""

    kind: str  # "nonzero" | "positive" | "nonnegative"
    node: ast.expr
    text: str

    @cached_property
    def expr(self) -> sympy.Expr:
        """The sub-expression as sympy builds it."""
        return sympy_expr(self.node)


@dataclass
class Formula:
    """A parsed formula: its text, checked AST, sympy expression and the names it uses."""

    text: str
    tree: ast.expr
    names: dict[str, int]  # name -> column of its first use
    #: (chain, name) of every name read through prev, last_year, a window or total; the chain
    #: is the transforms joined by `__`, innermost first (see `kpiengine.refs`)
    shifts: set[tuple[str, str]] = field(default_factory=set)
    guards: list[Guard] = field(default_factory=list)
    offset: int = 0  # leading blanks stripped before parsing
    #: the sympy expression, when the check needed it; else built on first use of `expr`
    built: Any = field(default=None, repr=False, compare=False)

    @property
    def expr(self) -> sympy.Expr:
        """The formula as a sympy expression (built on first use)."""
        if self.built is None:
            self.built = sympy_expr(self.tree)
        return cast("sympy.Expr", self.built)

    def column(self, node: ast.AST) -> int:
        """0-based character column of an AST node within `text`."""
        flat = self.text.replace("\r", " ").replace("\n", " ").replace("\t", " ").strip()
        return self.offset + _char_column(flat, getattr(node, "col_offset", 0))

    @property
    def explicit(self) -> str:
        """The formula with every operation in parentheses, showing how it was read."""
        return explicit_form(self.tree)

    @property
    def input_names(self) -> list[str]:
        """Names the compiled expression takes, including shifted ones, in a stable order."""
        return sorted(self.names) + sorted(shifted_name(f, n) for f, n in self.shifts)


def _char_column(text: str, byte_offset: int) -> int:
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _syntax_error(text: str, exc: SyntaxError) -> FormulaError:
    """What a formula that Python cannot parse most likely gets wrong, at its column: a name
    given to it (`cac = ...`), a percent sign after it, an operator without its operand."""
    column = min(max((exc.offset or 1) - 1, 0), len(text))
    equals = re.search(r"(?<![<>=!])=(?!=)", text)
    if equals is not None:
        return FormulaError(
            "a formula is an expression, without `=`: write only what the KPI equals",
            equals.start(),
            f"write `{text[equals.end() :].strip()}` (the KPI's id is the key it is under)",
        )
    if text.endswith("%"):
        return FormulaError(
            "`%` after a formula is no percent sign here", len(text) - 1, HINTS[ast.Mod]
        )
    ending = re.search(r"(\*\*|[-+*/])\s*$", text)
    if ending is not None:
        return FormulaError(
            f"the formula ends with `{ending.group(1)}`: an operand is missing after it",
            ending.start(1),
            "finish the formula, or remove the operator",
        )
    return FormulaError(f"cannot parse the formula: {exc.msg}", column)


def parse_formula(text: str) -> Formula:
    """Parse and check a formula; raise FormulaError with the column of the first problem."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the formula is empty")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_FORMULA_LENGTH} characters")
    flat = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    try:
        tree = ast.parse(flat.strip(), mode="eval").body
    except SyntaxError as exc:  # its offset counts characters, not bytes
        raise _syntax_error(flat.strip(), exc) from None
    except (RecursionError, MemoryError):
        raise FormulaError("the formula is too deeply nested") from None
    except ValueError as exc:  # e.g. an integer literal of thousands of digits
        raise FormulaError(f"cannot parse the formula: {exc}") from None
    stripped, offset = flat.strip(), len(flat) - len(flat.lstrip())
    fractions = Fractions()
    try:
        builder = _Builder(stripped, offset, fractions)
        builder.check(tree)
    except FormulaError:
        if not fractions.undecided:
            raise
    if not fractions.undecided:
        return Formula(text, tree, builder.names, builder.shifts, builder.guards, offset)
    builder = _Builder(stripped, offset, Sympy())  # sympy's simplification decides
    expr = builder.check(tree)
    return Formula(text, tree, builder.names, builder.shifts, builder.guards, offset, expr)


def sympy_expr(tree: ast.expr) -> sympy.Expr:
    """The sympy expression of a checked formula tree (or of a part of one)."""
    return _Builder("", 0, Sympy()).build(tree)


class _Builder:
    """Checks a formula tree node by node, computing its parts' values in `values`: the first
    problem is raised as a FormulaError at its column."""

    def __init__(self, text: str, offset: int, values: Fractions | Sympy):
        self.text, self.offset = text, offset
        self.values: Any = values
        self.names: dict[str, int] = {}
        self.shifts: set[tuple[str, str]] = set()
        self.guards: list[Guard] = []
        self.scales: dict[int, Fraction] = {}  # id of a product -> its constant factor

    def col(self, node: ast.AST) -> int:
        return self.offset + _char_column(self.text, getattr(node, "col_offset", 0))

    def fail(self, node: ast.AST, message: str, fix: str | None = None) -> FormulaError:
        return FormulaError(message, self.col(node), fix)

    def check(self, tree: ast.expr) -> Any:
        """The whole formula's value; FormulaError for its first problem."""
        try:
            whole = self.build(tree)
        except RecursionError:
            raise FormulaError("the formula is too deeply nested") from None
        except FormulaError:
            raise
        except (ValueError, TypeError, ArithmeticError):  # sympy refusing a non-real constant
            raise FormulaError(NOT_FINITE) from None
        if self.values.nonfinite(whole):
            raise FormulaError(NOT_FINITE)
        return whole

    def build(self, node: ast.AST) -> Any:
        """A part's value; a constant part (or a product's constant factor) too large for a
        float is refused where it stands, as numpy would make it inf."""
        value = self._part(node)
        number = self.values.number(value)
        if isinstance(number, Fraction) and abs(number) > LARGEST:
            raise self.fail(node, too_large(self.text, node, number), SMALLER)
        return value

    def _part(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.build(node.operand)
            return self.values.negative(operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return self._binop(node)
        if isinstance(node, ast.BinOp):  # pointed at the operator, after its left operand
            hint, symbol = HINTS.get(type(node.op)), op_text(node.op)
            at = self.text.encode("utf-8").find(symbol.encode(), node.left.end_col_offset or 0)
            column = self.offset + _char_column(self.text, at) if at >= 0 else self.col(node)
            raise FormulaError(f"operator `{symbol}` is not allowed", column, hint)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.fail(node, f"{describe(node)} is not allowed in a formula", ALLOWED)

    def _constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, f"{describe(node)} is not allowed in a formula", ALLOWED)
        if isinstance(value, float) and not math.isfinite(value):  # 1e999 reads as inf
            raise self.fail(node, too_large(self.text, node, LARGEST), SMALLER)
        return self.values.constant(
            Fraction(str(value)) if isinstance(value, float) else Fraction(value)
        )

    def _name(self, node: ast.Name) -> Any:
        name = node.id
        if not NAME_PATTERN.match(name) or "__" in name:
            lower = name.lower()  # `Cac`: did you mean `cac`?
            ok = NAME_PATTERN.match(lower) and "__" not in lower
            close = f"; did you mean `{lower}`?" if ok else ""
            raise self.fail(
                node,
                f"`{name}` is not a valid name{close}",
                "names are lower_snake_case: a letter, then letters, digits and single `_`",
            )
        if name in FUNCTIONS:
            raise self.fail(node, f"`{name}` is a function: call it as `{name}(...)`")
        self.names.setdefault(name, self.col(node))
        return self.values.name(name)

    def _binop(self, node: ast.BinOp) -> Any:
        left = self.build(node.left)
        right = self.build(node.right)
        values = self.values
        if isinstance(node.op, ast.Add):
            return values.add(left, right)
        if isinstance(node.op, ast.Sub):
            return values.subtract(left, right)
        if isinstance(node.op, ast.Mult | ast.Div):
            self._scale(node)
        if isinstance(node.op, ast.Mult):
            return values.multiply(left, right)
        if isinstance(node.op, ast.Div):
            self.guards.append(Guard("nonzero", node.right, ast.unparse(node.right)))
            return values.divide(left, right)
        base, exponent = values.number(left), values.number(right)
        if exponent is not None and (exponent == math.inf or abs(exponent) > MAX_CONSTANT_EXPONENT):
            raise self.fail(node.right, f"exponents are limited to +-{MAX_CONSTANT_EXPONENT}")
        if isinstance(base, Fraction) and exponent is not None and base != 0:
            digits = len(str(abs(base.numerator))) + len(str(base.denominator))
            if digits * abs(exponent) > MAX_CONSTANT_DIGITS:  # would build a gigantic number
                raise self.fail(node, f"constants are limited to {MAX_CONSTANT_DIGITS} digits")
        if exponent is not None and exponent < 0:
            self.guards.append(Guard("nonzero", node.left, ast.unparse(node.left)))
        return values.power(left, right)

    def _scale(self, node: ast.BinOp) -> None:
        """The constant factor of a product or quotient, as sympy folds it (`x * 1e308 * 10`
        is 1e309 * x): beyond a float, the formula is inf whatever the data."""
        left, right = (self._factor(part) for part in (node.left, node.right))
        scale = left * right if isinstance(node.op, ast.Mult) else left / (right or 1)
        if scale > LARGEST:
            raise self.fail(
                node, too_large(self.text, node, scale, "the constant factors of "), SMALLER
            )
        self.scales[id(node)] = scale

    def _factor(self, part: ast.expr) -> Fraction:
        while isinstance(part, ast.UnaryOp):
            part = part.operand
        if isinstance(part, ast.Constant):
            return abs(Fraction(str(part.value)))
        return self.scales.get(id(part), Fraction(1))

    def _call(self, node: ast.Call) -> Any:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.fail(node, "only the built-in functions can be called", ALLOWED)
        if func.id not in FUNCTIONS:
            allowed = ", ".join(FUNCTIONS)
            raise self.fail(node, f"function `{func.id}` is not allowed; use one of: {allowed}")
        self._check_arguments(node, func.id)
        if func.id in TRANSFORMS:
            return self._ref(node)
        args = [self.build(a) for a in node.args]
        if func.id == "log":
            self.guards.append(Guard("positive", node.args[0], ast.unparse(node.args[0])))
        if func.id == "sqrt":
            self.guards.append(Guard("nonnegative", node.args[0], ast.unparse(node.args[0])))
        return self.values.call(func.id, args)

    def _check_arguments(self, node: ast.Call, func: str) -> None:
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, f"`{func}` takes plain arguments only")
        arity = FUNCTIONS[func]
        if (arity is None and not node.args) or (arity is not None and len(node.args) != arity):
            wanted = "at least one argument" if arity is None else f"{arity} arguments"
            raise self.fail(node, f"`{func}` takes {wanted.replace('1 arguments', '1 argument')}")

    def _ref(self, node: ast.Call) -> Any:
        """`prev(x)`, `ytd(cac)`, `total(rolling(x, 3))`: a name read through transforms."""
        name, chain = self._chain(node)
        windows = [i for i, token in enumerate(chain) if window_of(token)]
        if len(windows) > 1 or (windows and windows[0] != 0):
            raise self.fail(
                node,
                "a formula reads a name through one window at most, innermost",
                "write `prev(ytd(x))`, not `ytd(prev(x))`",
            )
        self.shifts.add(("__".join(chain), name))
        return self.values.name(ref_name(name, tuple(chain)))

    def _chain(self, node: ast.Call) -> tuple[str, list[str]]:
        func = call_name(node)
        token = func
        if func == "rolling":
            count = node.args[1]
            value = count.value if isinstance(count, ast.Constant) else None
            if type(value) is not int or not 1 <= value <= MAX_ROLLING:
                raise self.fail(
                    count, f"`rolling(x, n)` takes a whole number of periods n, 1 to {MAX_ROLLING}"
                )
            token = f"rolling{value}"
        arg = node.args[0]
        if isinstance(arg, ast.Name):
            self._name(arg)
            return arg.id, [token]
        if (
            isinstance(arg, ast.Call)
            and isinstance(arg.func, ast.Name)
            and arg.func.id in TRANSFORMS
        ):
            self._check_arguments(arg, arg.func.id)
            name, inner = self._chain(arg)
            return name, [*inner, token]
        raise self.fail(
            arg, f"`{func}` takes a variable or KPI name (or {', '.join(TRANSFORMS)} of one)"
        )


def ref_key(node: ast.Call) -> str:
    """The internal name a checked `prev(...)`, `ytd(...)`, ... call reads (see `refs`)."""
    chain: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Call):
        func = call_name(current)
        count = current.args[1] if func == "rolling" else None
        periods = int(cast(int, cast(ast.Constant, count).value)) if count else 0
        chain.insert(0, f"rolling{periods}" if count else func)
        current = current.args[0]
    if not isinstance(current, ast.Name):
        raise TypeError(f"not a checked reference: {ast.unparse(node)}")
    return ref_name(current.id, tuple(chain))


def call_name(node: ast.Call) -> str:
    """The function a checked formula calls (the whitelist only lets plain names through)."""
    if not isinstance(node.func, ast.Name):
        raise TypeError(f"not a call of a named function: {ast.unparse(node)}")
    return node.func.id


# --- rendering -------------------------------------------------------------------------------


def explicit_form(node: ast.AST) -> str:
    """Render with every binary operation parenthesised: `revenue - (cost / cost)`."""

    def inner(n: ast.AST) -> str:
        if isinstance(n, ast.BinOp):
            return f"({inner(n.left)} {_BINOPS[type(n.op)]} {inner(n.right)})"
        if isinstance(n, ast.UnaryOp):
            return f"-{inner(n.operand)}" if isinstance(n.op, ast.USub) else inner(n.operand)
        if isinstance(n, ast.Call):
            return f"{call_name(n)}({', '.join(inner(a) for a in n.args)})"
        return ast.unparse(n)

    text = inner(node)
    if isinstance(node, ast.BinOp):
        text = text[1:-1]
    return text
