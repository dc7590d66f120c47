"""The plugin manager: built-in plugins, then `kpiengine` entry points, then workspace plugins."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pluggy

from . import hookspecs
from .errors import KpiError, Location, suggestion

ENTRY_POINT_GROUP = "kpiengine"
TRACE_VARIABLE = "KPIENGINE_TRACE_HOOKS"
BUILTIN_PACKAGES = ("kpiengine.connectors", "kpiengine.checks")
BUILTIN = "built-in"


@dataclass(frozen=True)
class Registered:
    """Something a plugin registered, and where it came from."""

    name: str
    obj: type
    origin: str  # "built-in", "package NAME", or the workspace file


def _hook_names() -> set[str]:
    return {n for n in dir(hookspecs) if n.startswith(("register_", "prepare_"))}


def _check(pm: PluginManager) -> None:
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin = pm.get_name(exc.plugin) or str(exc.plugin)
        unknown = [
            name
            for name in dir(exc.plugin)
            if name.startswith(("register_", "prepare_")) and name not in _hook_names()
        ]
        hint = suggestion(unknown[0], _hook_names()) if unknown else ""
        what = f"`{unknown[0]}`{hint}" if unknown else str(exc)
        raise KpiError(f"plugin `{plugin}` implements an unknown hook: {what}") from None


def _load_file(path: Path) -> ModuleType:
    name = f"kpiengine_workspace_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise KpiError("cannot load this plugin file", Location(str(path)))
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a broken plugin must not look like a kpiengine crash
        message = f"plugin failed to load: {type(exc).__name__}: {exc}"
        raise KpiError(message, Location(str(path))) from None
    return module


def default_plugins() -> list[str]:
    """The built-in plugin modules: every public module of the built-in packages."""
    names = []
    for package in BUILTIN_PACKAGES:
        path = importlib.import_module(package).__path__
        names += [
            f"{package}.{m.name}" for m in pkgutil.iter_modules(path) if not m.name.startswith("_")
        ]
    return sorted(names)


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering where each plugin came from."""

    def __init__(self) -> None:
        super().__init__("kpiengine")
        self.origins: dict[str, str] = {}


def get_plugin_manager(workspace: Path | None = None, *, builtins: bool = True) -> PluginManager:
    """Built-in plugins (tried last), installed entry points, then `workspace/plugins/*.py`."""
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    origins = pm.origins
    for name in default_plugins() if builtins else ():  # their hookimpls are marked trylast
        pm.register(importlib.import_module(name), name=name)
        origins[name] = BUILTIN
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if pm.has_plugin(entry_point.name):
            continue
        try:
            module = entry_point.load()
        except Exception as exc:
            raise KpiError(
                f"installed plugin `{entry_point.name}` failed to load: {type(exc).__name__}: {exc}"
            ) from None
        pm.register(module, name=entry_point.name)
        dist = entry_point.dist.name if entry_point.dist else entry_point.value
        origins[entry_point.name] = f"package {dist}"
    if workspace is not None and (workspace / "plugins").is_dir():
        for path in sorted((workspace / "plugins").glob("*.py")):
            name = f"workspace:{path.name}"
            pm.register(_load_file(path), name=name)
            origins[name] = str(path)
    _check(pm)
    if os.environ.get(TRACE_VARIABLE):
        pm.trace.root.setwriter(sys.stderr.write)
        pm.enable_tracing()
    return pm


def registered(pm: PluginManager, hook: str) -> dict[str, Registered]:
    """Call a `register_*` hook plugin by plugin, so each registration knows its origin.

    Plugins are called in hook order (third-party first, built-ins last): the first registration
    of a name wins over a built-in; two non-built-in registrations of one name are an error.
    """
    found: dict[str, Registered] = {}
    for impl in getattr(pm.hook, hook).get_hookimpls()[::-1]:
        origin = pm.origins.get(impl.plugin_name, impl.plugin_name)
        items: list[type] = []
        try:
            impl.function(items.append)
        except Exception as exc:
            raise KpiError(
                f"plugin `{impl.plugin_name}` failed in `{hook}`: {type(exc).__name__}: {exc}"
            ) from None
        for obj in items:
            name = getattr(obj, "name", "") or getattr(obj, "__name__", "")
            previous = found.get(name)
            if previous is None:
                found[name] = Registered(name, obj, origin)
            elif previous.origin != BUILTIN and origin != BUILTIN:
                raise KpiError(
                    f"`{name}` is registered by two plugins: {previous.origin} and {origin}",
                    fix="uninstall or rename one of them",
                )
    return found
