"""MetricFlow filters (`{{ Dimension('order__status') }} = 'paid'`) as `where:` on a source.

A filter maps when it is an equality, an IN list, a boolean test or IS NOT NULL (the rows where
a column has a value: `count: COLUMN`) on dimensions of the measure's own semantic model whose
expressions are plain columns; a filter through a join (a dimension of another model), on an
entity, a time dimension or a metric, or with other operators, does not. The Jinja references
are recognised by pattern and replaced by placeholders before sqlglot parses the SQL; no
template is rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .metricflow_spec import SemanticModel
from .sqlexpr import Untranslatable, conditions, merge_where, parse, plain_column

_TEMPLATE = re.compile(r"\{\{\s*(\w+)\s*\((.*?)\)\s*\}\}", re.S)
_QUOTED = re.compile(r"""['"]([^'"]*)['"]""")
_PATH = re.compile(r"entity_path\s*=\s*\[([^\]]*)\]")


@dataclass
class Reference:
    """One `{{ Dimension('entity__name') }}`-style reference of a filter."""

    kind: str  # dimension | timedimension | entity | metric
    name: str
    entity_path: list[str] = field(default_factory=list)
    text: str = ""


def references(template: str) -> tuple[str, dict[str, Reference]]:
    """The filter's SQL with each reference replaced by a placeholder name, and the references."""
    found: dict[str, Reference] = {}

    def replace(match: re.Match) -> str:
        args = match.group(2)
        names = _QUOTED.findall(_PATH.sub("", args))
        path = _PATH.search(args)
        key = f"mf_ref_{len(found)}"
        found[key] = Reference(
            match.group(1).lower(),
            names[0] if names else "",
            _QUOTED.findall(path.group(1)) if path else [],
            match.group(0),
        )
        return key

    sql = _TEMPLATE.sub(replace, template)
    if "{{" in sql or "{%" in sql:
        raise Untranslatable(f"the filter `{_one_line(template)}` uses Jinja beyond references")
    return sql, found


def filter_where(template: str, model: SemanticModel) -> tuple[dict[str, list[str]], list[str]]:
    """(column -> accepted values, columns that must have a value) of a filter on measures of
    `model`; Untranslatable otherwise."""
    sql, refs = references(template)
    try:
        _, tests, present = conditions(parse(sql))
        out: dict[str, list[str]] = {}
        for key, values in tests.items():
            # two references to one column (`status = 'a' AND status = 'b'`) keep both tests
            out = merge_where(out, {_column(_ref(key, refs), model): values})
        return out, [_column(_ref(key, refs), model) for key in present]
    except Untranslatable as exc:
        reason = exc.reason
        for key, ref in refs.items():
            reason = reason.replace(key, ref.text)
        raise Untranslatable(reason) from None


def _ref(key: str, refs: dict[str, Reference]) -> Reference:
    if key not in refs:
        raise Untranslatable(f"`{key}` is not a {{{{ Dimension(...) }}}} reference")
    return refs[key]


def _column(ref: Reference, model: SemanticModel) -> str:
    if ref.kind != "dimension":
        raise Untranslatable(f"a filter on {ref.text} ({ref.kind}) is not imported")
    *path, name = ref.name.split("__")
    path = ref.entity_path + path
    dimension = model.dimensions.get(name)
    local = dimension is not None and (not path or (len(path) == 1 and path[0] in model.entities))
    if not local or dimension is None:
        raise Untranslatable(
            f"{ref.text} is a dimension of another semantic model than `{model.name}`: joins are "
            "not imported (a source reads one table)"
        )
    if dimension.type == "time":
        raise Untranslatable(f"{ref.text} is a time dimension; date filters are not imported")
    column = plain_column(dimension.expr)
    if column is None:
        raise Untranslatable(
            f"{ref.text} is the expression `{_one_line(dimension.expr)}`; `where:` tests columns"
        )
    return column


def _one_line(text: str) -> str:
    return " ".join(text.split())
