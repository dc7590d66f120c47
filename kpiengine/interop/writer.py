"""Write a neutral model as a workspace folder: kpi.yaml and definitions/imported.yaml.

The YAML is block style in a fixed order (sources, variables, KPIs as the model lists them) so
that a re-import diffs cleanly. Files are written to temporary names first and renamed into
place; a folder that already holds files is only written into with `force`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ..errors import KpiError
from .guess import finish
from .model import Kpi, Mapping, Model, Source, Unmapped, Variable

DEFINITIONS = Path("definitions") / "imported.yaml"
#: The database URL written when the importer does not know it (expanded from the environment).
DEFAULT_URL = "${KPIENGINE_DATABASE_URL}"
#: The variable a URL's password is read from at run time, by scheme: the ones the `sql`
#: connector documents (libpq's own for PostgreSQL), else a `${KPI_...}` one it reads too.
PASSWORD_VARIABLES = {
    "postgresql": "PGPASSWORD",
    "postgres": "PGPASSWORD",
    "clickhouse": "CLICKHOUSE_PASSWORD",
    "snowflake": "SNOWFLAKE_PASSWORD",
}
OTHER_PASSWORD = "KPI_DATABASE_PASSWORD"
SPARK_TOKEN = "KPI_SPARK_TOKEN"
_REFERENCE = re.compile(r"\$\{[^}]*\}")
KPI_KEYS_ORDER = ("decimals", "at_risk", "aliases", "tags", "source", "notes", "allow")


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line text as `|` blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def plain(value: Any) -> Any:
    """YAML nodes as read (dict and list subclasses with locations) as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def dump(data: Any) -> str:
    """YAML text in block style, keys in the order given."""
    return yaml.dump(
        plain(data),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )


def settings_yaml(model: Model) -> str:
    """The text of kpi.yaml."""
    data: dict[str, Any] = {}
    if model.name:
        data["name"] = model.name
    if model.description:
        data["description"] = model.description
    data.update({k: v for k, v in model.settings.items() if k not in ("name", "description")})
    data.setdefault("grain", "month")
    if model.sources:
        data["sources"] = {s.name: source_entry(s) for s in model.sources.values()}
    header = f"# Written by kpiengine from {model.origin}.\n"
    return header + dump(data)


def definitions_yaml(model: Model) -> str:
    """The text of definitions/imported.yaml, with what was not imported as a closing comment."""
    data: dict[str, Any] = {}
    if model.units:
        data["units"] = list(model.units)
    if model.variables:
        data["variables"] = {v.id: variable_entry(v) for v in model.variables.values()}
    if model.kpis:
        data["kpis"] = {k.id: kpi_entry(k) for k in model.kpis.values()}
    text = f"# Written by kpiengine from {model.origin}.\n" + (dump(data) if data else "")
    return (
        text
        + _listing("Not imported", model.unmapped)
        + _listing("Imported with a caveat", model.notes)
    )


def _listing(title: str, items: list[Unmapped]) -> str:
    if not items:
        return ""
    lines = [f"\n# {title}:"] + [f"#   - {item}".replace("\n", " ") for item in items]
    return "\n".join(lines) + "\n"


def keep_secret(url: str) -> tuple[str, str | None]:
    """`url` with the password written in it (`user:PW@`, `?password=PW`, Spark Connect's
    `;token=PW`) replaced by the environment variable the `sql` connector reads it from at run
    time (`${PGPASSWORD}` for PostgreSQL), and that variable's name (None: no password, or one
    that is already a `${...}` reference). Passwords stay out of kpi.yaml."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?", url)
    scheme = match.group(1).split("+")[0].lower() if match else ""
    if scheme == "sc":  # sc://HOST:PORT/;token=...;user_id=...
        text, found = re.subn(r"(;token=)(?!\$\{)[^;]+", rf"\1${{{SPARK_TOKEN}}}", url)
        return text, SPARK_TOKEN if found else None
    name = PASSWORD_VARIABLES.get(scheme, OTHER_PASSWORD)
    reference = f"${{{name}}}"
    found = False
    if match and match.group(2):  # the userinfo of scheme://user:password@host
        start = match.end()
        end = next((i for i, c in enumerate(url) if i >= start and c in "/?#"), len(url))
        userinfo, at, host = url[start:end].rpartition("@")
        user, colon, password = userinfo.partition(":")
        if at and colon and password and not _REFERENCE.fullmatch(password):
            url, found = f"{url[:start]}{user}:{reference}@{host}{url[end:]}", True
    url, count = re.subn(
        r"([?&]password=)(?!\$\{[^}]*\}(?:[&#]|$))[^&#]+",
        lambda m: m.group(1) + reference,  # not a template: the reference is literal text
        url,
    )
    return url, name if found or count else None


def source_entry(source: Source) -> dict[str, Any]:
    """A source as kpi.yaml spells it (a URL's password as the variable it is read from)."""
    out: dict[str, Any] = {"connector": source.connector}
    if source.connector == "sql" and "url" not in source.options:
        out["url"] = DEFAULT_URL
    for key in ("table", "query", "date"):
        value = getattr(source, key)
        if value:
            out[key] = value
    out.update(source.options)
    if isinstance(out.get("url"), str):
        out["url"] = keep_secret(out["url"])[0]
    if source.dimensions:
        out["dimensions"] = dict(source.dimensions)
    if source.mappings:
        out["map"] = {m.variable: _mapping(m, source.filters) for m in source.mappings.values()}
    return out


def _mapping(mapping: Mapping, filters: dict[str, list[str]]) -> Any:
    where = {**filters, **mapping.where}
    if mapping.column and not (where or mapping.date or mapping.extra or mapping.count):
        return mapping.column
    out: dict[str, Any] = {}
    if mapping.distinct:
        out["distinct"] = mapping.distinct
    elif mapping.count:
        out["count"] = mapping.column or True
    else:
        out["column"] = mapping.column
    if where:
        out["where"] = {col: list(values) for col, values in where.items()}
    if mapping.date:
        out["date"] = mapping.date
    out.update(mapping.extra)
    return out


def variable_entry(variable: Variable) -> dict[str, Any]:
    """A variable as a definitions file spells it."""
    out: dict[str, Any] = {"unit": variable.unit, "aggregate": variable.aggregate}
    if variable.title:
        out["title"] = variable.title
    if variable.description:
        out["description"] = variable.description
    return out


def kpi_entry(kpi: Kpi) -> dict[str, Any]:
    """A KPI as a definitions file spells it."""
    out: dict[str, Any] = {"title": kpi.title or kpi.id}
    if kpi.description:
        out["description"] = kpi.description
    out["formula"] = kpi.formula
    out["unit"] = kpi.unit or "ratio"
    out["format"] = kpi.format or "number"
    out["direction"] = kpi.direction
    if kpi.target is not None:
        out["target"] = kpi.target
    if kpi.examples:
        out["examples"] = kpi.examples
    out.update({k: kpi.extra[k] for k in KPI_KEYS_ORDER if k in kpi.extra})
    return out


def write_text(path: str | Path, text: str) -> Path:
    """Write one file through a temporary file renamed into place."""
    target = Path(path)
    if target.is_dir():
        raise KpiError(f"{target} is a folder, not a file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, target)
    except OSError as exc:
        raise KpiError(f"cannot write {target}: {exc}") from None
    return target


def write_workspace(model: Model, folder: str | Path, force: bool = False) -> Path:
    """Write the workspace into `folder` (created if needed) and return it.

    A folder that already holds files is refused unless `force`; then kpi.yaml and
    definitions/imported.yaml are replaced and every other file is left alone.
    """
    finish(model)
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise KpiError(f"{root} is a file, not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise KpiError(
            f"{root} is not empty",
            fix="choose a new folder, or pass --force to replace the imported files in it",
        )
    files = {Path("kpi.yaml"): settings_yaml(model), DEFINITIONS: definitions_yaml(model)}
    (root / DEFINITIONS).parent.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for relative, text in files.items():
            target = root / relative
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            staged.append((temp, target))
        for temp, target in staged:  # every file is complete before any is replaced
            os.replace(temp, target)
    except OSError as exc:
        for temp, _ in staged:
            Path(temp).unlink(missing_ok=True)
        raise KpiError(f"cannot write the workspace in {root}: {exc}") from None
    return root
