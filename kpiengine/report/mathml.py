"""Formulas for reports: presentation MathML for HTML and LaTeX for Markdown, both from sympy.

Names print whole (`marketing_cost`, not `marketing` with subscript `cost`), `prev(x)` and
`last_year(x)` print as functions, and positive terms come first (`revenue - cost`).
"""

from __future__ import annotations

import re

import sympy
from markupsafe import Markup, escape
from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter

from ..refs import TRANSFORMS, display_ref, split_ref

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_TAG = re.compile(r"<[^>]*>")
_ALLOWED_TAG = re.compile(
    r"</?(?:mrow|mi|mn|mo|mfrac|msup|msub|msubsup|msqrt|mroot|mtext|mspace|mstyle)"
    r'(?:\s+(?:mathvariant|separator|stretchy|fence|form)="[a-z0-9 ]*")*\s*/?>'
)
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#[0-9]+|#x[0-9a-fA-F]+);")


def _split_shift(name: str) -> tuple[str | None, str]:
    """(`prev`, `revenue`) for the internal name `revenue__prev`; (None, `rolling(x, 3)`) for a
    reference printed as written; (None, name) for a plain name."""
    base, chain = split_ref(name)
    if len(chain) == 1 and chain[0] in TRANSFORMS:
        return chain[0], base
    return None, display_ref(name)


def _positive_first(terms: list[sympy.Expr]) -> list[sympy.Expr]:
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


class _MathML(MathMLPresentationPrinter):
    def _print_Symbol(self, sym: sympy.Symbol, style: str = "plain"):  # noqa: ARG002
        func, base = _split_shift(sym.name)
        mi = self.dom.createElement("mi")
        mi.appendChild(self.dom.createTextNode(str(escape(base))))
        if func is None:
            return mi
        row = self.dom.createElement("mrow")
        name = self.dom.createElement("mi")
        name.appendChild(self.dom.createTextNode(func))
        row.appendChild(name)
        apply = self.dom.createElement("mo")
        apply.appendChild(self.dom.createTextNode("&#x2061;"))
        row.appendChild(apply)
        for part in ("(", mi, ")"):
            if isinstance(part, str):
                mo = self.dom.createElement("mo")
                mo.appendChild(self.dom.createTextNode(part))
                row.appendChild(mo)
            else:
                row.appendChild(part)
        return row

    def _as_ordered_terms(self, expr: sympy.Expr, order: str | None = None) -> list[sympy.Expr]:
        terms = super()._as_ordered_terms(expr, order=order)
        return _positive_first(terms) if isinstance(expr, sympy.Add) else terms


class _Latex(LatexPrinter):
    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:  # noqa: ARG002
        func, base = _split_shift(expr.name)
        text = r"\mathrm{" + base.replace("_", r"\_") + "}"
        return (
            text
            if func is None
            else r"\operatorname{" + func.replace("_", r"\_") + "}(" + text + ")"
        )

    def _as_ordered_terms(self, expr: sympy.Expr, order: str | None = None) -> list[sympy.Expr]:
        terms = super()._as_ordered_terms(expr, order=order)
        return _positive_first(terms) if isinstance(expr, sympy.Add) else terms


def is_safe_mathml(markup: str) -> bool:
    """True when `markup` holds only MathML presentation tags, character references and text."""
    if "<" in _TAG.sub("", markup) or ">" in _TAG.sub("", markup):
        return False
    if not all(_ALLOWED_TAG.fullmatch(tag) for tag in _TAG.findall(markup)):
        return False
    return "&" not in _ENTITY.sub("", _TAG.sub("", markup))


def formula_mathml(expr: sympy.Expr, fallback: str = "") -> Markup:
    """`<math display="block">` for a KPI's sympy expression (escaped `fallback` if it fails)."""
    if not all(_NAME.match(s.name) for s in expr.free_symbols):
        return Markup("<code>{}</code>").format(fallback or str(expr))
    try:
        inner = _MathML({"mul_symbol": "dot"}).doprint(expr)
    except (OverflowError, ValueError, RecursionError):  # exp(exp(exp(exp(10)))) overflows
        return Markup("<code>{}</code>").format(fallback)
    inner = inner.replace("<mo>-</mo>", "<mo>&#x2212;</mo>")
    if not is_safe_mathml(inner):
        return Markup("<code>{}</code>").format(fallback or str(expr))
    return Markup(f'<math xmlns="{MATHML_NS}" display="block">{inner}</math>')


def formula_latex(expr: sympy.Expr) -> str:
    """LaTeX for a KPI's sympy expression, for `$...$` in Markdown ("" when sympy overflows
    printing it: the caller shows the formula as written)."""
    try:
        return _Latex({"mul_symbol": "dot"}).doprint(expr)
    except (OverflowError, ValueError, RecursionError):
        return ""
