"""The registry: plugins found through the ``standards_kernel`` entry-point group, the standards
they contribute, and resolution of ``ID``, ``ID@EDITION`` or a path to one loaded standard.

A plugin that fails to import or raises is recorded as a :class:`PluginError` and left out; the
other plugins' standards stay usable. ``STANDARDS_KERNEL_PLUGINS`` (comma-separated entry-point
names) limits which plugins load, for tests and for pinning.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping

import attrs
import pluggy

from . import hookspecs
from .errors import KernelError, PluginError, StandardError, StandardNotFound
from .expressions import BUILTIN_FUNCTIONS, Function
from .formats import load_text
from .loader import build_standard
from .model import Standard

GROUP = "standards_kernel"
ENV_PLUGINS = "STANDARDS_KERNEL_PLUGINS"


@attrs.frozen
class PluginInfo:
    name: str  # the entry-point name
    module: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@attrs.frozen
class _Entry:
    id: str
    edition: str
    plugin: str
    location: str
    text: str
    fmt: str


class Registry:
    """The standards known to this process, by ``id@edition``."""

    def __init__(self, plugins: Iterable[tuple[str, Any, str, str]] | None = None, *, only: set[str] | None = None) -> None:
        """``plugins``: (name, module object, distribution, version); default: the entry points."""
        self.manager = pluggy.PluginManager(GROUP)
        self.manager.add_hookspecs(hookspecs)
        self.errors: list[PluginError] = []
        self.plugins: dict[str, PluginInfo] = {}
        self._entries: dict[str, _Entry] = {}
        self._loaded: dict[str, Standard] = {}
        self._loading: set[str] = set()
        for name, module, dist, version in sorted(plugins if plugins is not None else _entry_points(only, self.errors), key=lambda p: p[0]):
            self._register(name, module, dist, version)
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as exc:
            self.errors.append(PluginError(f"plugin {exc.plugin!r} implements a hook that no spec defines: {exc}"))
        self.functions = self._collect_functions()
        self._collect_standards()

    # -- plugins ----------------------------------------------------------------------------

    def _register(self, name: str, module: Any, dist: str, version: str) -> None:
        try:
            self.manager.register(module, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            self.errors.append(PluginError(f"plugin {name!r} ({dist} {version}) cannot be registered: {exc}"))
            return
        hooks = tuple(sorted(h.name for h in self.manager.get_hookcallers(module) or ()))
        self.plugins[name] = PluginInfo(name, getattr(module, "__name__", str(module)), dist, version, hooks)

    def _call_each(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call every implementation of a hook on its own, so a failure names its plugin."""
        results = []
        caller = getattr(self.manager.hook, hook_name)
        for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
            try:
                results.append((impl.plugin_name, impl.function()))
            except Exception as exc:  # a plugin's bug must not take the kernel down
                self.errors.append(PluginError(f"plugin {impl.plugin_name!r} raised in {hook_name}: {type(exc).__name__}: {exc}"))
        return results

    def _collect_functions(self) -> dict[str, Function]:
        functions: dict[str, Function] = {}
        owner: dict[str, str] = {}
        for plugin, items in self._call_each("standards_kernel_functions"):
            for fn in items or ():
                if not isinstance(fn, Function):
                    self.errors.append(PluginError(f"plugin {plugin!r} returned {fn!r}, not a Function"))
                    continue
                if fn.name in BUILTIN_FUNCTIONS:
                    self.errors.append(PluginError(f"plugin {plugin!r}: function {fn.name!r} shadows a built-in"))
                elif fn.name in functions:
                    self.errors.append(PluginError(f"plugins {owner[fn.name]!r} and {plugin!r} both define function {fn.name!r}"))
                else:
                    functions[fn.name], owner[fn.name] = fn, plugin
        return dict(sorted(functions.items()))

    def _collect_standards(self) -> None:
        for plugin, items in self._call_each("standards_kernel_standards"):
            for item in items or ():
                location = str(item)
                try:
                    text = item.read_text("utf-8")
                except (OSError, AttributeError) as exc:
                    self.errors.append(PluginError(f"plugin {plugin!r}: cannot read {location}: {exc}"))
                    continue
                fmt = "json" if location.endswith(".json") else "toml"
                try:
                    header = load_text(text, fmt=fmt, file=location, error=StandardError).get("standard", {})
                    key = f"{header['id']}@{header['edition']}"
                except (KernelError, KeyError, TypeError) as exc:
                    self.errors.append(PluginError(f"plugin {plugin!r}: {location}: no readable [standard] id and edition ({exc})"))
                    continue
                if key in self._entries:
                    first = self._entries[key]
                    raise PluginError(
                        f"two plugins provide {key}: {first.plugin!r} ({first.location}) and {plugin!r} ({location})",
                        hint=f"uninstall one, or limit the plugins with {ENV_PLUGINS}",
                    )
                self._entries[key] = _Entry(header["id"], str(header["edition"]), plugin, location, text, fmt)

    # -- standards --------------------------------------------------------------------------

    def keys(self) -> list[str]:
        return sorted(self._entries)

    def get(self, key: str) -> Standard:
        """The standard ``id@edition`` (loaded once, then cached)."""
        if key in self._loaded:
            return self._loaded[key]
        entry = self._entries.get(key)
        if entry is None:
            raise StandardNotFound(f"no standard {key}", hint="standards-kernel list shows what is installed")
        if key in self._loading:
            raise StandardError(f"{key} extends itself through a chain of standards", file=entry.location)
        self._loading.add(key)
        try:
            raw = load_text(entry.text, fmt=entry.fmt, file=entry.location, error=StandardError)
            standard = build_standard(raw, file=entry.location, text=entry.text, resolver=self.content_for, functions=self.functions)
        finally:
            self._loading.discard(key)
        self._loaded[key] = standard
        return standard

    def content_for(self, ref: str) -> Mapping[str, Any]:
        """The merged canonical content of a standard, for ``extends``."""
        if "@" not in ref:
            raise StandardError(f"extends {ref!r} needs an edition", path="standard.extends",
                                hint="write id@edition: " + ", ".join(k for k in self.keys() if k.startswith(ref + "@")))
        return self.get(ref).content

    def standards(self) -> list[Standard]:
        """Every loadable standard, sorted by id then effective date."""
        result = []
        for key in self.keys():
            result.append(self.get(key))
        return sorted(result, key=lambda s: (s.id, s.effective_from, s.edition))

    def editions(self, standard_id: str) -> list[Standard]:
        return [self.get(k) for k in self.keys() if self._entries[k].id == standard_id]

    def load_path(self, path: str | Path) -> Standard:
        from .loader import load_standard_file

        return load_standard_file(path, resolver=self.content_for, functions=self.functions)

    def resolve(self, ref: str, as_of: dt.date | None) -> Standard:
        """A path, ``id@edition``, or ``id`` (the edition in force on ``as_of``)."""
        if ref.endswith((".toml", ".json")) or os.sep in ref or Path(ref).is_file():
            return self.load_path(ref)
        if "@" in ref:
            return self.get(ref)
        editions = sorted(self.editions(ref), key=lambda s: s.effective_from)
        if not editions:
            known = sorted({e.id for e in self._entries.values()})
            raise StandardNotFound(f"no standard {ref!r}", hint="installed: " + (", ".join(known) or "none"))
        if as_of is None:
            raise StandardNotFound(f"{ref!r} has several editions; which one depends on the date",
                                   hint="give --as-of or evaluation.as_of, or pin ID@EDITION")
        in_force = [s for s in editions if s.in_force(as_of)]
        if not in_force:
            listing = "; ".join(
                f"{s.edition} ({s.effective_from.isoformat()} to {s.effective_until.isoformat() if s.effective_until else 'open'})"
                for s in editions
            )
            raise StandardNotFound(f"no edition of {ref} is in force on {as_of.isoformat()}", hint="editions: " + listing)
        return in_force[-1]  # the latest start among those in force


def _entry_points(only: set[str] | None, errors: list[PluginError]) -> list[tuple[str, Any, str, str]]:
    found = []
    for ep in sorted(metadata.entry_points(group=GROUP), key=lambda e: e.name):
        if only is not None and ep.name not in only:
            continue
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin is reported, the rest stay usable
            errors.append(PluginError(f"plugin {ep.name!r} ({dist} {version}) failed to import: {type(exc).__name__}: {exc}"))
            continue
        found.append((ep.name, module, dist, version))
    return found


@functools.cache
def _registry_for(selection: str | None) -> Registry:
    only = {s.strip() for s in selection.split(",") if s.strip()} if selection is not None else None
    return Registry(only=only)


def default_registry() -> Registry:
    """The registry of the installed plugins (honouring ``STANDARDS_KERNEL_PLUGINS``), cached."""
    return _registry_for(os.environ.get(ENV_PLUGINS))
