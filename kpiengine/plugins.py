"""The plugin manager: built-in plugins, then `kpiengine` entry points, then workspace plugins.

One manager is made per run (`kpiengine.engine.Engine` owns it): each plugin module is
registered once, so a workspace plugin's module body runs once per command. The built-ins are the
modules named in `DEFAULT_PLUGINS`; their hook implementations are `trylast`, so a plugin can
replace a built-in connector or check by registering the same name.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from . import entrypoints, hookspecs
from .errors import KpiError, Location, suggestion

ENTRY_POINT_GROUP = "kpiengine"
TRACE_VARIABLE = "KPIENGINE_TRACE_HOOKS"
BUILTIN = "built-in"

#: The built-in connectors' names and modules (a run imports only those its sources name).
BUILTIN_CONNECTORS: dict[str, str] = {
    "csv": "kpiengine.connectors.csv_files",
    "ga_export": "kpiengine.connectors.ga_export",
    "crm": "kpiengine.connectors.crm",
    "ads": "kpiengine.connectors.ads",
    "sql": "kpiengine.connectors.sql",
}
#: The built-in connector modules.
CONNECTOR_PLUGINS: tuple[str, ...] = tuple(BUILTIN_CONNECTORS.values())
#: The built-in check modules (loaded when checks are asked for: reading data needs none).
CHECK_PLUGINS: tuple[str, ...] = (
    "kpiengine.checks.definitions",
    "kpiengine.checks.selfref",
    "kpiengine.checks.resolution",
    "kpiengine.checks.units",
    "kpiengine.checks.examples",
    "kpiengine.checks.formulas",
    "kpiengine.checks.meaning",
    "kpiengine.checks.titles",
    "kpiengine.checks.constant",
    "kpiengine.checks.denominators",
    "kpiengine.checks.segments",
    "kpiengine.checks.coverage",
    "kpiengine.checks.sources",
    "kpiengine.checks.plausibility",
    "kpiengine.checks.leftout",
    "kpiengine.checks.runtime",
)
#: The built-in plugin modules: the connectors, then the checks.
DEFAULT_PLUGINS: tuple[str, ...] = CONNECTOR_PLUGINS + CHECK_PLUGINS


@dataclass(frozen=True)
class Registered:
    """Something a plugin registered, and where it came from."""

    name: str
    obj: Any  # the registered class (a Connector or Check subclass)
    origin: str  # "built-in", "package NAME", or the workspace file


def _hook_names() -> set[str]:
    return {n for n in dir(hookspecs) if n.startswith(("register_", "prepare_"))}


def _load_file(path: Path) -> ModuleType:
    name = f"kpiengine_workspace_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise KpiError("cannot load this plugin file", Location(str(path)))
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # a broken plugin must not look like a crash
        message = f"plugin failed to load: {type(exc).__name__}: {exc}"
        raise KpiError(message, Location(str(path))) from None
    return module


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering where each plugin came from; each source is loaded once."""

    def __init__(self) -> None:
        super().__init__("kpiengine")
        self.add_hookspecs(hookspecs)
        self.origins: dict[str, str] = {}
        #: "entry points", "workspace:ROOT" (built-in modules are registered by name)
        self._loaded: set[str] = set()
        self.broken: dict[str, str] = {}  # installed plugins that failed to load, and why
        if os.environ.get(TRACE_VARIABLE):
            self.trace.root.setwriter(sys.stderr.write)
            self.enable_tracing()

    def _once(self, what: str, load: Callable[[], None]) -> None:
        if what not in self._loaded:
            self._loaded.add(what)
            load()
            self._check()

    def load_builtins(self, checks: bool = True, connectors: Iterable[str] | None = None) -> None:
        """Register the modules of `CONNECTOR_PLUGINS` (only those of the built-in connectors
        named in `connectors`, when given and all built-in: a module not needed is not imported),
        and of `CHECK_PLUGINS` with `checks`."""
        wanted = CONNECTOR_PLUGINS
        if connectors is not None and set(connectors) <= set(BUILTIN_CONNECTORS):
            wanted = tuple(BUILTIN_CONNECTORS[c] for c in sorted(set(connectors)))
        added = self._register_builtins(wanted)
        if checks:
            added += self._register_builtins(CHECK_PLUGINS)
        if added:
            self._check()

    def _register_builtins(self, names: tuple[str, ...]) -> int:
        """Register the built-in modules not registered yet; how many were."""
        todo = [name for name in names if not self.has_plugin(name)]
        for name in todo:
            self.register(importlib.import_module(name), name=name)
            self.origins[name] = BUILTIN
        return len(todo)

    def load_entry_points(self) -> None:
        """Register installed packages that declare an entry point in the `kpiengine` group;
        one that fails to load is left out, with why in `broken`, and the others are used."""

        def load() -> None:
            for entry_point in entrypoints.entry_points(ENTRY_POINT_GROUP):
                if self.has_plugin(entry_point.name):
                    continue
                try:
                    module = entry_point.load()
                except (Exception, SystemExit) as exc:
                    self.broken[entry_point.name] = (
                        f"installed plugin `{entry_point.name}` failed to load: "
                        f"{type(exc).__name__}: {exc}"
                    )
                    continue
                self.register(module, name=entry_point.name)
                dist = entry_point.dist.name if entry_point.dist else entry_point.value
                self.origins[entry_point.name] = f"package {dist}"

        self._once("entry points", load)

    def load_workspace(self, root: Path | None) -> None:
        """Register the workspace's `plugins/*.py` files (trusted code: they run as Python)."""
        if root is None:
            return

        def load() -> None:
            for path in sorted((root / "plugins").glob("*.py")):
                name = f"workspace:{path.name}"
                self.register(_load_file(path), name=name)
                self.origins[name] = str(path)

        if (root / "plugins").is_dir():
            self._once(f"workspace:{root.resolve()}", load)

    def _check(self) -> None:
        """A misspelt hook name is an error naming the plugin, with the closest hook."""
        try:
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin = self.get_name(exc.plugin) or str(exc.plugin)
            unknown = [
                name
                for name in dir(exc.plugin)
                if name.startswith(("register_", "prepare_")) and name not in _hook_names()
            ]
            hint = suggestion(unknown[0], _hook_names()) if unknown else ""
            what = f"`{unknown[0]}`{hint}" if unknown else str(exc)
            raise KpiError(f"plugin `{plugin}` implements an unknown hook: {what}") from None


def make_plugin_manager(
    workspace: Path | None = None, *, builtins: bool = True, entry_points: bool = True
) -> PluginManager:
    """A new manager with the built-ins, the installed entry points and the workspace plugins."""
    pm = PluginManager()
    if builtins:
        pm.load_builtins()
    if entry_points:
        pm.load_entry_points()
    pm.load_workspace(workspace)
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
        except (Exception, SystemExit) as exc:
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
