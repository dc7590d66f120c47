"""The JSON Schema of definitions files and kpi.yaml, built from the keys the loaders accept.

The keys come from `schema.py`, `workspace.py` and `sourceconfig.py`, the choices from `model.py`
and `periods.py`; only the shape of each value is written here. A key without a shape is
accepted with any value. `python -m kpiengine.jsonschema` rewrites `schema/*.schema.json` (shipped
as the package data `kpiengine.schema_files`); `--check` exits 1 when they are out of date;
`--print kpi|definitions` prints one, as generated (an installed package has no `schema/`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import schema, sourceconfig, workspace
from .model import AGGREGATES, DIRECTIONS, DISTINCT, FORMATS, SEGMENT_AGGREGATES
from .periods import GRAINS, WEEK_STARTS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FILES = {"definitions": "definitions.schema.json", "kpi": "kpi.schema.json"}
#: The repository's `schema/` folder (absent from an installed wheel: pass a folder instead).
DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "schema"

Json = dict[str, Any]
ID = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"  # lower_snake_case, as `schema.read_file` checks
PERIOD = r"^(FY)?\d{4}(-(\d{2}|Q[1-4]|W\d{2}|\d{2}-\d{2}))?$"  # targetspec.PERIOD_LABEL

NUMBER: Json = {"type": "number"}
TEXT: Json = {"type": "string"}
NAMES: Json = {"type": "array", "items": TEXT}
TEXT_OR_NAMES: Json = {"anyOf": [TEXT, NAMES]}
LOCALIZED: Json = {
    "anyOf": [TEXT, {"type": "object", "additionalProperties": TEXT}],
    "description": "text, or a map of locale to text (en: ..., fr: ...)",
}
TARGET_NUMBER: Json = {
    "anyOf": [NUMBER, {"type": "string", "pattern": r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*%\s*$"}]
}
TARGET: Json = {
    "description": "a number (or a percentage: 5%), a map of period to number, or "
    "{annual: ..., split: ...}",
    "anyOf": [
        TARGET_NUMBER,
        {
            "type": "object",
            "properties": {
                "annual": {
                    "anyOf": [
                        NUMBER,
                        {
                            "type": "object",
                            "propertyNames": {"pattern": r"^\d{4}$"},
                            "additionalProperties": NUMBER,
                        },
                    ]
                },
                "split": {
                    "anyOf": [
                        {"const": "even"},
                        {
                            "type": "array",
                            "items": {"type": "number", "minimum": 0},
                            "minItems": 12,
                            "maxItems": 12,
                        },
                    ]
                },
            },
            "patternProperties": {PERIOD: TARGET_NUMBER},
            "additionalProperties": False,
        },
    ],
}
FRACTION: Json = {"type": "number", "minimum": 0, "exclusiveMaximum": 1}


def _aggregate() -> Json:
    time_rules = [a for a in AGGREGATES if a != DISTINCT]
    return {
        "anyOf": [
            {"enum": list(AGGREGATES)},
            {
                "type": "object",
                "properties": {
                    "time": {"enum": time_rules},
                    "segments": {"enum": list(SEGMENT_AGGREGATES)},
                },
                "additionalProperties": False,
            },
        ],
        "default": "sum",
    }


def _example() -> Json:
    shapes = {
        "given": {"type": "object", "additionalProperties": NUMBER},
        "expect": NUMBER,
        "reported": NUMBER,
        "note": LOCALIZED,
        "source": TEXT,
        "tolerance": NUMBER,
    }
    return _object(schema.EXAMPLE_KEYS, shapes, required=("given", "expect"))


def _kpi_shapes() -> Json:
    return {
        "title": LOCALIZED,
        "description": LOCALIZED,
        "formula": {"type": ["string", "number"]},
        "unit": {"type": ["string", "integer"]},
        "format": {"enum": list(FORMATS), "default": "number"},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 10},
        "direction": {"enum": list(DIRECTIONS), "default": "higher"},
        "target": TARGET,
        "at_risk": FRACTION,
        "examples": {"type": "array", "items": _example()},
        "aliases": TEXT_OR_NAMES,
        "tags": TEXT_OR_NAMES,
        "source": TEXT_OR_NAMES,
        "notes": LOCALIZED,
        "allow": {
            "description": 'checks silenced with a reason: `KPI203: "why"`',
            "anyOf": [
                {"$ref": "#/$defs/allow"},
                {"type": "array", "items": {"$ref": "#/$defs/allow"}},
            ],
        },
        "range": {
            "type": "array",
            "items": {"type": ["number", "null"]},
            "minItems": 2,
            "maxItems": 2,
        },
    }


def _object(
    keys: tuple[str, ...], shapes: Json, required: tuple[str, ...] = (), open_: bool = False
) -> Json:
    """An object with exactly `keys` (in the loader's order); `shapes` gives their values."""
    out: Json = {"type": "object", "properties": {key: shapes.get(key, {}) for key in keys}}
    if required:
        out["required"] = [key for key in required if key in keys]
    if not open_:
        out["additionalProperties"] = False
    return out


def _entries(ref: str) -> Json:
    """A map of lower_snake_case ids to entries."""
    return {
        "type": "object",
        "propertyNames": {"pattern": ID},
        "additionalProperties": {"$ref": ref},
    }


def definitions_schema() -> Json:
    """The schema of a `definitions/*.yaml` file."""
    variable_shapes = {
        "unit": {"type": ["string", "integer"]},
        "aggregate": _aggregate(),
        "title": LOCALIZED,
        "description": LOCALIZED,
        "otherwise": {
            "type": "string",
            "description": "the variable read in this one's place when no source gives it",
        },
    }
    file_shapes = {
        "units": NAMES,
        "variables": _entries("#/$defs/variable"),
        "kpis": _entries("#/$defs/kpi"),
    }
    out = {
        "$schema": DRAFT,
        "title": "kpiengine definitions file",
        "description": "Variables, KPIs and units: definitions/*.yaml of a kpiengine workspace.",
        **_object(schema.FILE_KEYS, file_shapes),
        "$defs": {
            "variable": _object(schema.VARIABLE_KEYS, variable_shapes, required=("unit",)),
            "kpi": _object(schema.KPI_KEYS, _kpi_shapes(), required=("title", "formula", "unit")),
            "allow": {
                "type": "object",
                "propertyNames": {"pattern": r"^KPI\d{3}$"},
                "additionalProperties": {"type": "string", "minLength": 1},
            },
        },
    }
    return out


def _source() -> Json:
    mapping_shapes = {
        "column": TEXT,
        "count": {"anyOf": [{"type": "boolean"}, {"type": "string", "minLength": 1}]},
        "distinct": TEXT,
        "where": {"type": "object", "additionalProperties": {"anyOf": [TEXT, NAMES]}},
        "scale": NUMBER,
        "currency": TEXT,
        "date": TEXT,
    }
    dimension = {
        "anyOf": [
            TEXT,
            {
                "type": "object",
                "properties": {
                    "column": TEXT,
                    "values": {"type": "object", "additionalProperties": TEXT},
                },
                "additionalProperties": False,
            },
        ]
    }
    shapes = {
        "connector": TEXT,
        "dimensions": {
            "anyOf": [NAMES, {"type": "object", "additionalProperties": dimension}],
        },
        "map": {
            "type": "object",
            "additionalProperties": {
                "anyOf": [TEXT, _object(sourceconfig.MAPPING_KEYS, mapping_shapes)]
            },
        },
        "timeout": {"type": "number", "exclusiveMinimum": 0},
    }
    out = _object(sourceconfig.SOURCE_KEYS, shapes, required=("connector",), open_=True)
    out["description"] = "a connector and its options (path:, url:, ... as the connector reads)"
    return out


def kpi_schema() -> Json:
    """The schema of a workspace's `kpi.yaml`."""
    report_shapes = {"by": NAMES, "kpis": NAMES, "title": TEXT}
    shapes = {
        "name": TEXT,
        "description": TEXT,
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "locale": TEXT,
        "kpis": NAMES,
        "data": TEXT,
        "grain": {"enum": list(GRAINS)},
        "at_risk": FRACTION,
        "units": NAMES,
        "targets": {"type": "object", "additionalProperties": TARGET},
        "sources": {"type": "object", "additionalProperties": _source()},
        "choose": {"type": "object", "additionalProperties": TEXT},
        "fiscal_year_start": {"type": "integer", "minimum": 1, "maximum": 12},
        "week_start": {"enum": list(WEEK_STARTS)},
        "report": _object(workspace.REPORT_KEYS, report_shapes),
    }
    return {
        "$schema": DRAFT,
        "title": "kpiengine kpi.yaml",
        "description": "Settings of a kpiengine workspace: sources, targets, calendar, report.",
        **_object(workspace.SETTINGS_KEYS, shapes),
    }


def schemas() -> dict[str, Json]:
    """File name -> schema, for every schema kpiengine publishes."""
    return {FILES["definitions"]: definitions_schema(), FILES["kpi"]: kpi_schema()}


def render(value: Json) -> str:
    """The committed text of a schema: two-space JSON in the loaders' key order, final newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def stale(folder: Path) -> list[str]:
    """The schema files in `folder` that are missing or differ from the generated ones."""
    out = []
    for name, value in schemas().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != render(value):
            out.append(name)
    return out


def write(folder: Path) -> list[Path]:
    """Write every schema into `folder`; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, value in schemas().items():
        path = folder / name
        path.write_text(render(value), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kpiengine.jsonschema", description="Write kpiengine's JSON Schemas."
    )
    parser.add_argument(
        "folder", nargs="?", type=Path, default=None, help="default: the checkout's schema/"
    )
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    parser.add_argument("--print", dest="show", choices=sorted(FILES), help="print one schema")
    args = parser.parse_args(argv)
    if args.show:
        sys.stdout.write(render(schemas()[FILES[args.show]]))
        return 0
    if args.folder is None:
        if not (DEFAULT_FOLDER.parent / "pyproject.toml").is_file():  # an installed package
            parser.error("give the folder to write the schemas in")
        args.folder = DEFAULT_FOLDER
    if args.check:
        out_of_date = stale(args.folder)
        for name in out_of_date:
            print(f"{args.folder / name} is out of date: run python -m kpiengine.jsonschema")
        return 1 if out_of_date else 0
    for path in write(args.folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
