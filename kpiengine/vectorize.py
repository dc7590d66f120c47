"""Turn formulas into numpy functions that evaluate every cell at once.

The function is a tree of closures over numpy ufuncs built from the whitelisted AST: no code is
generated or executed, and the formula is computed exactly as written (sympy would simplify
`cost / cost` to 1 and hide where the formula is undefined). Building one takes microseconds,
where `sympy.lambdify` takes milliseconds. `compile_expr` lambdifies a sympy expression, for
the analyses that evaluate expanded or derived expressions rather than a formula as written.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, cast

import numpy as np

from .formula import TRANSFORMS, call_name, ref_key, symbol

if TYPE_CHECKING:
    import sympy

Env = Mapping[str, np.ndarray]
Compiled = Callable[[Env], np.ndarray]

_BINARY = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_UNARY = {"abs": np.abs, "sqrt": np.sqrt, "log": np.log, "exp": np.exp}
_FOLD = {"min": np.minimum, "max": np.maximum}


def vectorize(node: ast.AST) -> Compiled:
    """A function of {name: array} computing the expression for all cells (errors ignored)."""
    compiled = _build(node)

    def run(env: Env) -> np.ndarray:
        with np.errstate(all="ignore"):
            return compiled(env)

    return run


def _build(node: ast.AST) -> Compiled:
    if isinstance(node, ast.Constant):
        value = np.asarray(float(cast(float, node.value)))  # only int and float constants pass
        return lambda env: value
    if isinstance(node, ast.Name):
        name = node.id
        return lambda env: env[name]
    if isinstance(node, ast.UnaryOp):
        operand = _build(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda env: np.negative(operand(env))
        return operand
    if isinstance(node, ast.BinOp):
        left, right, op = _build(node.left), _build(node.right), _BINARY[type(node.op)]
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.Call):
        func = call_name(node)
        if func in TRANSFORMS:
            name = ref_key(node)
            return lambda env: env[name]
        args = [_build(a) for a in node.args]
        if func in _FOLD:
            fold = _FOLD[func]
            return lambda env: functools.reduce(fold, [a(env) for a in args])
        unary = _UNARY[func]
        arg = args[0]
        return lambda env: unary(arg(env))
    raise TypeError(f"not a checked formula node: {ast.dump(node)}")


_COMPILED: dict[tuple[sympy.Expr, tuple[str, ...]], Callable] = {}
#: What generated code may call: only these numpy functions (loading all of numpy's namespace,
#: as lambdify does by default, imports numpy's lazy submodules and costs a quarter second).
_NAMESPACE = {
    "sqrt": np.sqrt,
    "log": np.log,
    "exp": np.exp,
    "abs": np.abs,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "reduce": functools.reduce,
    "inf": np.inf,
    "nan": np.nan,
    "ComplexInfinity": np.nan,
}


def compile_expr(expr: sympy.Expr, names: list[str]) -> Callable:
    """`lambdify` once per expression and argument list; later calls reuse it."""
    key = (expr, tuple(names))
    func = _COMPILED.get(key)
    if func is None:
        import sympy  # noqa: PLC0415 - evaluating formulas as written needs no sympy
        from sympy.printing.numpy import NumPyPrinter  # noqa: PLC0415

        printer = NumPyPrinter({"fully_qualified_modules": False, "inline": True})
        # arguments get neutral names: a variable named like a numpy function (`minimum`)
        # must not hide that function in the generated code
        neutral = [sympy.Symbol(f"_x{i}", real=True) for i in range(len(names))]
        renamed = expr.xreplace(dict(zip((symbol(n) for n in names), neutral, strict=True)))
        func = sympy.lambdify(neutral, renamed, modules=[_NAMESPACE], printer=printer)
        _COMPILED[key] = func
    return func
