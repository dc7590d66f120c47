"""KPI014, KPI213: a KPI without a usable title, and a title that names another KPI.

KPI014 also reads the locales a workspace KPI's `title:` and `description:` are keyed by: a key
that is no locale (`french:`, with `fr` suggested) or one kpiengine never looks up as written
(`fr_FR:`, looked up as `fr`) is an error, and so is an empty title (the report shows one made
from the id); a title written per locale without the workspace's `locale:` is shown in another
language (an info). A plain `title: text` is in whatever language it is written in.

A title is compared, in every locale, with the titles (and their parts in parentheses), ids and
aliases of the other KPIs, normalised (case, spaces, punctuation): only a whole-title match
counts, and a KPI whose formula is equivalent to the one it names is not reported.
Chinese article 003 heads its ROI section "资产回报率 (ROI)": return on assets, another KPI.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator

from ..errors import Finding, did_you_mean
from ..hookspecs import hookimpl
from ..i18n import locales, normalize_locale
from ..model import KPI, WORKSPACE, Workspace
from ..yamlio import YMap
from ._yamlkeys import key_location, written_at
from .base import ERROR, INFO, Check
from .context import CheckContext
from .library import PARENS, normalised
from .meaning import _builtin_library, _equivalent, _expanded

Index = tuple[dict[str, set[str]], dict[str, set[str]]]


def _index(kpis: Iterable[KPI], stripped: bool) -> Index:
    """Normalised name -> the KPIs it names: (by title, by id or alias). `stripped`: a title
    without its parentheses names the KPI too (the library's `Marketing return on investment`)."""
    titles: dict[str, set[str]] = {}
    ids: dict[str, set[str]] = {}
    for kpi in kpis:
        for name in {normalised(kpi.id), *(normalised(a) for a in kpi.aliases)} - {""}:
            ids.setdefault(name, set()).add(kpi.id)
        for title in kpi.title.values():
            whole = {normalised(title)}
            if stripped:
                whole.add(normalised(PARENS.sub(" ", title)))
            for name in whole - {""}:
                titles.setdefault(name, set()).add(kpi.id)
    return titles, ids


def _named(index: Index, title: str) -> set[str]:
    """The KPIs a title names: the title, whole or without its parentheses, matches titles, ids
    and aliases; a part in parentheses (an abbreviation) matches ids and aliases only."""
    titles, ids = index
    whole = {normalised(title), normalised(PARENS.sub(" ", title))} - {""}
    found = {k for name in whole for k in titles.get(name, set()) | ids.get(name, set())}
    for part in PARENS.findall(title):
        found |= ids.get(normalised(part), set())
    return found


class MissingTitle(Check):
    code = "KPI014"
    severity = INFO
    title = "a KPI without a `title`: it is titled from its id"
    fix = "add `title:` (in each locale you report in) for a better name than the id"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        locale = context.workspace.settings.locale
        for kpi in context.kpis:
            if not kpi.title:
                yield self.finding(
                    f'`{kpi.id}` has no `title`: it is shown as "{kpi.title_in()}"',
                    kpi,
                    kpi.location,
                )
            elif kpi.layer == WORKSPACE:
                yield from self._locales(kpi, locale)

    def _locales(self, kpi: KPI, locale: str) -> Iterator[Finding]:
        """The keys of a workspace KPI's title and description, its empty titles, and a title
        keyed by locale without the workspace's."""
        for key in ("title", "description"):
            where = key_location(kpi.location, "kpis", kpi.id, key)
            found = written_at(where) if where != kpi.location else None
            mapping = found[0] if found is not None and isinstance(found[0], YMap) else None
            for name in getattr(kpi, key):
                place = mapping.key_loc(name) if mapping is not None else where
                wrong = _wrong_locale(name)
                if wrong is not None:
                    yield self.finding(
                        f"`{kpi.id}`'s {key} is keyed `{name}:`, {wrong[0]}",
                        kpi,
                        place,
                        fix=wrong[1],
                        severity=ERROR,
                    )
                elif key == "title" and not kpi.title[name]:
                    at = mapping.value_loc(name) if mapping is not None else where
                    which = f"title in `{name}`" if mapping is not None else "title"
                    yield self.finding(
                        f"`{kpi.id}`'s {which} is empty: it is shown as "
                        f'"{kpi.title_in(name)}", made from its id',
                        kpi,
                        at,
                        fix=f"write the title under `{name}:`, or leave the key out",
                        severity=ERROR,
                    )
            # `localized` serves the locale or its language; a `fr_FR:` key is said above
            keys = {normalize_locale(name) for name in kpi.title} | set(kpi.title)
            served = locale in keys or locale.split("-")[0] in keys
            if key == "title" and mapping is not None and not served:
                shown = kpi.title_in(locale)
                yield self.finding(
                    f"`{kpi.id}` has no title in `{locale}`, the workspace's `locale:`: reports "
                    f'in {locale} show "{shown}"',
                    kpi,
                    where,
                    fix=f"add `{locale}: ...` under `title:`",
                )


def _wrong_locale(key: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) for a text's locale key kpiengine does not look up as written;
    None for a key it does (`en`, `fr`, `zh-Hans`, `pt-BR`)."""
    normal = normalize_locale(key)
    if normal == key and _known_tag(key):
        return None
    if _known_tag(key):
        return (
            f"which kpiengine looks up as `{normal}`: the text under `{key}:` is never shown "
            f"for `locale: {normal}`",
            f"write `{normal}:`",
        )
    names = _language_names()
    close = did_you_mean(key.strip().lower(), names)  # `francais`, `englsh`
    meant = names.get(key.strip().lower()) or (names[close] if close else None)
    meant = meant or did_you_mean(key, locales())
    if meant:
        return f"which is no locale; did you mean `{meant}`?", f"write `{meant}:`"
    return "which is no locale", "key each text by a locale tag (`en`, `fr`, `zh-Hans`, `pt-BR`)"


def _known_tag(tag: str) -> bool:
    """Whether Babel reads `tag` as a locale (`fr`, `pt-BR`; not `french`, `xx`)."""
    from babel import Locale, UnknownLocaleError  # noqa: PLC0415 - lint only

    try:
        Locale.parse(tag.replace("_", "-"), sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return True


@functools.cache
def _language_names() -> dict[str, str]:
    """Lower-case language names in English and in kpiengine's own locales -> their tags
    (`french` and `français` -> `fr`)."""
    from babel import Locale  # noqa: PLC0415 - lint only

    names: dict[str, str] = {}
    for shown_in in ("en", *locales()):
        for code, name in Locale.parse(shown_in, sep="-").languages.items():
            tag = normalize_locale(code) if "_" not in code else code.replace("_", "-")
            names.setdefault(name.lower(), tag)
    return names


class TitleNamesAnother(Check):
    code = "KPI213"
    title = "a title that names another KPI (a ROAS formula titled ROI)"
    fix = "title the KPI after what its formula computes, or use the formula of the KPI it names"

    def run(self, context: CheckContext) -> Iterable[Finding]:
        ws = context.workspace
        library = _builtin_library() if _has_workspace_kpis(ws) else ws
        # first the library's KPIs (titles are trusted), then the workspace's own, except
        # those whose title already names a library KPI (two KPIs titled "ROI": the one
        # that is not the library's ROI is the mistitled one)
        library_index = _index(library.kpis.values(), True)
        first = self._mistitled(ws, library, library_index, context.kpis)
        own = [k for k in ws.kpis.values() if k.layer == WORKSPACE]
        wrong = {k for k, _ in self._mistitled(ws, library, library_index, own)}
        second_index = _index([k for k in own if k.id not in wrong], False)
        found = {k for k, _ in first}
        second = [
            (k, named)
            for k, named in self._mistitled(ws, ws, second_index, context.kpis)
            if k not in found
        ]
        seen: set[tuple[str, str]] = set()
        for kpi_id, (other_id, locale, title, where) in [*first, *second]:
            if (kpi_id, other_id) in seen:
                continue
            seen.add((kpi_id, other_id))
            kpi, other = ws.kpis[kpi_id], where.kpis[other_id]
            yield self.finding(
                f'`{kpi.id}` is titled "{title}" ({locale}), which names KPI '
                f"`{other_id}` ({other.title_in(locale)} = "
                f"{' '.join(other.formula_text.split())}), but its formula is "
                f"`{' '.join(kpi.formula_text.split())}`",
                kpi,
                kpi.location,
                other=other_id,
                locale=locale,
            )

    @staticmethod
    def _mistitled(
        ws: Workspace, where: Workspace, index: Index, kpis: Iterable[KPI]
    ) -> list[tuple[str, tuple[str, str, str, Workspace]]]:
        """(KPI id, (named KPI id, locale, title, its workspace)) for each title of `kpis`
        naming a KPI of `where` whose formula is not equivalent."""
        out = []
        for kpi in kpis:
            if not kpi.evaluable:
                continue
            for locale, title in kpi.title.items():
                for other_id in sorted(_named(index, title) - {kpi.id}):
                    other = where.kpis.get(other_id)
                    if other is None or not other.evaluable:
                        continue
                    if not _equivalent(_expanded(ws, kpi.id), _expanded(where, other_id)):
                        out.append((kpi.id, (other_id, locale, title, where)))
        return out


def _has_workspace_kpis(ws: Workspace) -> bool:
    return any(k.layer == WORKSPACE for k in ws.kpis.values())


@hookimpl(trylast=True)
def register_checks(register: Callable[[type[Check]], None]) -> None:
    for check in (MissingTitle, TitleNamesAnother):
        register(check)
