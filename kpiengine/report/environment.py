"""The one place the report's Jinja2 environment is built: loaders, autoescape, filters, labels.

Templates are looked up in the workspace's `templates/` folder first, then among the built-in
ones; `default:NAME` always names the built-in template, so a user template can extend it:
`{% extends "default:report.html.j2" %}`. A workspace's templates are not trusted: every
template renders in Jinja2's sandbox (no attribute starting with `_`, no unsafe call), and a
template's mistake is a `KpiError` at `template:line`, never a traceback. A workspace template
is also held to limits (README "Security"; the numbers are in `filters.py`): what one operation
may build is checked before it runs (`**`, `*`, `%`, `format`, padding and joining methods and
filters), loop iterations and calls are counted across the render, the output is streamed and
stopped past a size, and on Linux the render may not grow the process by more than
`MAX_MEMORY` (a backstop for anything the checks miss). A template file must be a file inside
the `templates/` folder (a symbolic link out of it is refused) and at most `MAX_TEMPLATE_BYTES`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, cast

import jinja2
import jinja2.sandbox
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.loaders import split_template_path

from ..errors import KpiError
from ..i18n import labeller, translations
from ..plugincall import PluginFailure, call
from . import filters as limits
from .filters import Formatter, inline_code, markdown_text, without_bidi

MAX_MEMORY = 2 * 1024**3  # bytes a render may add to the process (Linux)
MAX_TEMPLATE_BYTES = 1_000_000  # size of one workspace template file

BUILTIN_PACKAGE = "kpiengine.templates"
_PLAIN_SUFFIXES = (".md", ".md.j2", ".txt", ".txt.j2")


def autoescape(name: str | None) -> bool:
    """HTML-escape every template except Markdown and plain-text ones."""
    return not (name or "").endswith(_PLAIN_SUFFIXES)


class WorkspaceLoader(jinja2.FileSystemLoader):
    """A workspace's `templates/` folder: a template (or include) must be a file inside it, so a
    symbolic link cannot put another file of the machine into a report."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        for folder in self.searchpath:
            path = Path(folder, *split_template_path(template))
            if not os.path.lexists(path):
                continue
            real = path.resolve()
            if not real.is_relative_to(Path(folder).resolve()):
                raise jinja2.TemplateError(
                    f"`templates/{template}` is a link to {real}, outside the workspace's"
                    " templates/ folder: refused (copy the template into the folder)"
                )
            if real.is_file() and real.stat().st_size > MAX_TEMPLATE_BYTES:
                raise limits.TemplateLimit(
                    f"`templates/{template}` is over {MAX_TEMPLATE_BYTES:,} bytes (the limit)"
                )
            break
        return super().get_source(environment, template)


class _CodeGenerator(CodeGenerator):
    """Counts every loop iteration, and checks the size of every `~` join."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counted = nodes.EnvironmentAttribute("counted", lineno=node.iter.lineno)
        node.iter = nodes.Call(counted, [node.iter], [], None, None, lineno=node.iter.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if self.optimizer is not None and not frame.eval_ctx.volatile:  # a constant stays one
            folded = self.optimizer.visit(node, frame.eval_ctx)
            if folded != node:
                self.visit(folded, frame)
                return
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        else:
            join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        self.write(f"environment.joined({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class LimitedEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """Jinja2's sandbox with the limits of `filters.py` (see the module docstring)."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = limits.Budget()
        self.globals["lipsum"] = limits.lipsum(self.globals["lipsum"], lambda: self.budget)  # type: ignore[arg-type]

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        what = f"`{operator}`"
        if operator == "*":
            limits.check_repeat(left, right, what)
        elif operator == "**":
            limits.check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            limits.printf(left, right, what)
        return limits.limit_result(super().call_binop(context, operator, left, right), what)

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.budget.step(limits.MACRO_STEPS if isinstance(obj, jinja2.runtime.Macro) else 1)
        args = limits.method_call(obj, args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        return limits.limit_result(result, f"`{getattr(obj, '__name__', 'a call')}()`")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if getattr(value, "__name__", None) not in ("format", "format_map"):
            return None  # the hot path: most attributes are not a text's format method
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        text, by_name = value.__self__, value.__name__ == "format_map"

        @functools.wraps(wrapper)
        def checked(*args: Any, **kwargs: Any) -> str:
            mapping = args[0] if by_name and args and isinstance(args[0], Mapping) else {}
            limits.str_format(text, () if by_name else args, mapping if by_name else kwargs)
            return wrapper(*args, **kwargs)

        return checked

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Every `{% for %}` loop's items, each counted in the budget."""
        for item in iterable:
            self.budget.step()
            yield item

    def joined(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        """`a ~ b`: the size checked before joining."""
        limits.limit_tree(parts, "`~`")
        return join(parts)

    def concat(self, parts: Iterable[str]) -> str:
        """The output of a macro, a block `set` or `call` joined, its size checked first."""
        parts = parts if isinstance(parts, list) else list(parts)
        limits.limit_text(sum(map(len, parts)), "a block's output")
        return "".join(parts)


def loader(workspace_templates: Path | None = None) -> jinja2.BaseLoader:
    """Workspace templates first, then built-ins; `default:` names a built-in template."""
    builtin = jinja2.PackageLoader(BUILTIN_PACKAGE, ".")
    loaders: list[jinja2.BaseLoader] = []
    if workspace_templates is not None and Path(workspace_templates).is_dir():
        loaders.append(WorkspaceLoader(str(workspace_templates)))
    loaders += [jinja2.PrefixLoader({"default": builtin}, delimiter=":"), builtin]
    return jinja2.ChoiceLoader(loaders)


def make_environment(
    locale: str = "en",
    currency: str | None = None,
    workspace_templates: Path | None = None,
    prepare: Callable[[jinja2.Environment], None] | None = None,
) -> jinja2.Environment:
    """A Jinja2 environment for one locale and currency, with the report filters and `_()`.

    `prepare` (the engine's `prepare_environment`, which calls the plugins'
    `prepare_jinja2_environment` hook) then adjusts it.
    """
    env = LimitedEnvironment(
        loader=loader(workspace_templates),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
        finalize=without_bidi,  # data must not reorder the text around it
    )
    # gettext/ngettext and {% trans %} for template authors; `_` also formats numbers
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    formatter = Formatter(locale, currency)
    env.filters.update(formatter.filters())
    env.filters["md"] = markdown_text
    env.filters["code"] = inline_code
    limits.guard_filters(env.filters, lambda: env.budget)  # after the report's own filters
    env.globals["_"] = labeller(locale, formatter.integer)
    if prepare is not None:
        try:
            call(partial(prepare, env), "a plugin's `prepare_jinja2_environment`")
        except PluginFailure as exc:
            raise KpiError(str(exc), fix="report it to the plugin's author") from None
    return env


def render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render template `name`; a syntax or runtime error in any template (a workspace's, or a
    built-in one fed odd data) is a KpiError starting `template:line:`, never a traceback."""
    folders = _workspace_folders(env)
    if isinstance(env, LimitedEnvironment):
        env.budget = limits.Budget()
    try:
        with _memory_limit():
            chunks = env.get_template(name).generate(context)  # a generator: `throw` works
            return _streamed(cast("Generator[str, None, None]", chunks))
    except jinja2.TemplateSyntaxError as exc:
        where = _shown(exc.filename or exc.name or name, folders, exc.lineno)
        raise KpiError(f"{where}: template syntax error: {exc.message}", fix=_FIX) from None
    except jinja2.TemplateNotFound as exc:
        raise KpiError(f"template not found: {exc.name}", fix=_FIX) from None
    except Exception as exc:  # a template runs user logic: any error is the template's
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
        if frames:
            where = _shown(frames[-1].filename, folders, frames[-1].lineno)
        else:
            where = next(
                (_shown(str(f / name), folders, None) for f in folders if (f / name).is_file()),
                name,
            )
        message = str(exc) or type(exc).__name__
        if isinstance(exc, MemoryError):
            message = (
                f"the report needs more than {MAX_MEMORY / 2**20:,.0f} MB of memory (the limit)"
            )
        elif isinstance(exc, jinja2.sandbox.SecurityError):
            message = f"not allowed in a report template: {message}"
        elif not isinstance(exc, jinja2.TemplateError):
            message = f"{type(exc).__name__}: {message}"
        raise KpiError(f"{where}: template error: {message}", fix=_FIX) from None


def _streamed(chunks: Generator[str, None, None]) -> str:
    """The report's text, stopped (at the line being written) past `MAX_OUTPUT` characters."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > limits.MAX_OUTPUT:
            limit = limits.MAX_OUTPUT
            chunks.throw(
                limits.TemplateLimit(f"the report would be over {limit:,} characters (the limit)")
            )
        parts.append(chunk)
    return "".join(parts)


_MEMORY_LOCK = threading.Lock()
_memory_depth = 0


@contextlib.contextmanager
def _memory_limit() -> Iterator[None]:
    """On Linux, let the render add at most `MAX_MEMORY` bytes of address space (a soft
    RLIMIT_AS, restored afterwards): past it an allocation fails with MemoryError instead of
    exhausting the machine. Nested or concurrent renders share the outermost limit."""
    global _memory_depth
    try:
        import resource  # noqa: PLC0415 - POSIX only

        with open("/proc/self/statm", encoding="ascii") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError):
        yield
        return
    with _MEMORY_LOCK:
        _memory_depth += 1
        outermost = _memory_depth == 1
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = used + MAX_MEMORY
        unlimited = resource.RLIM_INFINITY
        lower = (soft != unlimited and soft <= limit) or (hard != unlimited and hard < limit)
        if outermost and not lower:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        else:
            outermost = False
    try:
        yield
    finally:
        with _MEMORY_LOCK:
            _memory_depth -= 1
            if outermost:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


_FIX = "fix the template in the workspace's templates/ folder (or remove it to use the built-in)"


def _workspace_folders(env: jinja2.Environment) -> list[Path]:
    loaders = getattr(env.loader, "loaders", [env.loader])
    return [
        Path(folder).resolve()
        for item in loaders
        if isinstance(item, jinja2.FileSystemLoader)
        for folder in item.searchpath
    ]


def _shown(filename: str, folders: list[Path], line: int | None) -> str:
    """`templates/report.html.j2:3` for a workspace template, `default:report.html.j2:3` for a
    built-in one."""
    path = Path(filename)
    inside = any(path.resolve().is_relative_to(folder) for folder in folders)
    if path.is_absolute():
        filename = f"templates/{path.name}" if inside else f"default:{path.name}"
    return f"{filename}:{line}" if line else filename
