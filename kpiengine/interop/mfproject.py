"""Read a dbt project's semantic layer: its files, the metrics its measures create, the checks.

Every YAML file under the folder (or the one file, or target/semantic_manifest.json) is read
with `metricflow_spec`'s readers; a measure with `create_metric: true` gives a simple metric of
its name, as dbt makes one (other metrics may read it); then every measure, semantic model and
metric a metric names must be defined, as dbt requires.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import KpiError, Location
from .metricflow_spec import (
    Input,
    Measure,
    Metric,
    Project,
    add,
    latest_model,
    legacy_model,
    metric_entry,
)
from .reading import files_under, items, read_file

# dbt's project settings: `models:`, `metrics:` and `semantic-models:` there configure folders
# (`+enabled`, `+schema`), they define nothing.
_SETTINGS = frozenset(
    {
        "dbt_project.yml",
        "dbt_project.yaml",
        "profiles.yml",
        "packages.yml",
        "dependencies.yml",
        "package-lock.yml",
        "selectors.yml",
    }
)


def read_project(path: Path) -> Project:
    """Every semantic model and metric under `path` (a folder, a YAML file or a manifest)."""
    project = Project()
    files = files_under(path, (".yml", ".yaml", ".json"))
    for file in files:
        if (
            file.suffix.lower() == ".json"
            and file.name != "semantic_manifest.json"
            and path.is_dir()
        ):
            continue
        if file.name.lower() in _SETTINGS and path.is_dir():
            continue
        data = read_file(file)
        if not isinstance(data, dict):
            continue
        name = str(file)
        if file.suffix.lower() == ".json" and isinstance(data.get("nodes"), dict):
            # dbt's target/manifest.json keys its nodes by id; MetricFlow reads the other one
            raise KpiError(
                "this is dbt's manifest.json, not the semantic manifest",
                Location(name),
                "point at target/semantic_manifest.json (`dbt parse` writes it) or the project "
                "folder",
            )
        for entry, loc in items(data, "semantic_models", name, name):
            add(project.models, legacy_model(entry, loc), loc)
        for entry, loc in items(data, "models", name, name):
            if entry.get("semantic_model") not in (None, False):
                latest_model(project, entry, loc)
        for entry, loc in items(data, "metrics", name, name):
            add(project.metrics, metric_entry(entry, loc), loc)
        project.saved_queries += [
            (str(e.get("name", "?")), qloc) for e, qloc in items(data, "saved_queries", name, name)
        ]
    if not project.models and not project.metrics:
        raise KpiError(
            f"no `semantic_models:` or `metrics:` found in {path}",
            fix="point at a dbt project folder, one of its YAML files or "
            "target/semantic_manifest.json",
        )
    _proxy_metrics(project)  # before the checks: other metrics may read them
    _check_references(project)
    return project


def _check_references(project: Project) -> None:
    """Every measure, semantic model and metric a metric names is defined (dbt refuses the
    project otherwise); conversion metrics, which name either, are checked on import."""
    measures: dict[str, Measure] = {}
    for model in project.models.values():
        for name, measure in model.measures.items():
            if name in measures and measure.loc is not None:
                raise KpiError(
                    f"measure `{name}` is defined in two semantic models (first at "
                    f"{measures[name].loc}); MetricFlow names each measure once",
                    measure.loc,
                )
            measures[name] = measure
    for metric in project.metrics.values():
        what = f"metric `{metric.name}`"
        if metric.own is not None and metric.model and metric.model not in project.models:
            raise KpiError(
                f"{what} aggregates semantic model `{metric.model}`, which is not defined",
                metric.loc,
            )
        if metric.own is None and metric.measure and metric.measure.name not in measures:
            raise KpiError(
                f"{what} reads the measure `{metric.measure.name}`, which no semantic model "
                "defines",
                metric.loc,
                "name a measure of a semantic model (`measures:` entries)",
            )
        inputs = [i for i in (metric.numerator, metric.denominator) if i is not None]
        if metric.type in ("ratio", "derived", "cumulative"):
            inputs += metric.inputs
        for item in inputs:
            if item.name not in project.metrics:
                raise KpiError(
                    f"{what} reads the metric `{item.name}`, which is not defined",
                    metric.loc,
                    "name a metric defined under `metrics:`",
                )


def _proxy_metrics(project: Project) -> None:
    """A simple metric for each measure with `create_metric: true` (dbt's proxy metric, named
    after the measure), unless a simple metric of that name is defined (the manifest lists
    them); a metric of another type with that name is an error, as in dbt."""
    for model in project.models.values():
        for measure in model.measures.values():
            if measure.raw.get("create_metric") is not True:
                continue
            found = project.metrics.get(measure.name)
            if found is not None and found.type != "simple":
                raise KpiError(
                    f"measure `{measure.name}` has `create_metric: true`, but the {found.type} "
                    f"metric `{measure.name}` (at {found.loc}) already has its name",
                    measure.loc,
                    "rename the metric, or drop `create_metric`",
                )
            if found is None:
                label = measure.raw.get("label")
                project.metrics[measure.name] = Metric(
                    measure.name,
                    "simple",
                    str(label) if isinstance(label, str) else "",
                    measure.description,
                    measure=Input(measure.name),
                    loc=measure.loc,
                )
