"""The registry: the plugins of the ``standards_kernel`` entry-point group, what they contribute,
and the resolution of ``ID``, ``ID@EDITION`` or a path to one loaded standard.

One pluggy plugin manager holds the plugins; the hooks are called here and nowhere else, and what
they return is checked, keyed and sorted, so nothing depends on the order plugins load or pluggy
calls them in. Problems never stop the other plugins:

* a plugin that fails to import, implements an unknown hook, raises, or returns something that is
  not what its hook asks for is recorded in :attr:`Registry.errors` (a :class:`PluginError` naming
  it) and what it failed to give is left out;
* two plugins providing one ``id@edition`` (or one function name) make that key an error naming
  both, raised where it is used; every other standard stays usable.

``STANDARDS_KERNEL_PLUGINS`` (comma-separated plugin names; empty: none) limits which plugins
load, for tests and for pinning. :func:`default_registry` is the process's registry, built once;
it logs each plugin error once to the ``standards_kernel.plugins`` logger (the command line prints
those as ``warning`` lines on stderr).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from importlib import metadata
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import attrs
import pluggy

from .. import hookspecs
from ..errors import KernelError, PluginError, StandardError, StandardNotFound
from .files import read_input_text
from .expressions import Function, function_table
from .formats import load_text
from .loader import build_standard, load_standard_file
from .model import Standard

GROUP = "standards_kernel"
ENV_PLUGINS = "STANDARDS_KERNEL_PLUGINS"
HOOKS: tuple[str, ...] = tuple(sorted(n for n in vars(hookspecs) if n.startswith("standards_kernel_")))
log = logging.getLogger("standards_kernel.plugins")


@attrs.frozen
class Plugin:
    """A plugin to register: its name (the entry-point name), the object holding its hooks (a
    module, usually) and the distribution it came from."""

    name: str
    obj: Any
    distribution: str = "not installed"
    version: str = ""
    module: str = ""


@attrs.frozen
class PluginInfo:
    """A registered plugin, as ``standards-kernel plugins`` shows it."""

    name: str
    module: str
    distribution: str
    version: str
    hooks: tuple[str, ...]  # the hooks it implements, sorted


@attrs.frozen
class StandardEntry:
    """A standard a plugin contributed, known by its header until it is first used."""

    id: str
    edition: str
    plugin: str
    location: str  # the file, or <plugin NAME> for content given as an object
    effective_from: dt.date | None  # from the header; None when unreadable (building says why)
    effective_until: dt.date | None
    text: str | None = attrs.field(default=None, repr=False)  # a file's text, for line numbers
    fmt: str = "toml"
    content: Mapping[str, Any] | None = attrs.field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f"{self.id}@{self.edition}"


class Registry:
    """The plugins of this process and the standards and functions they contribute."""

    def __init__(self, plugins: Iterable[Plugin] | None = None, *, only: set[str] | None = None) -> None:
        """``plugins``: the plugins to register (default: the entry points of the group, limited
        to the names in ``only`` when given)."""
        self.manager = pluggy.PluginManager(GROUP)
        self.manager.add_hookspecs(hookspecs)
        self._problems: list[tuple[str | None, PluginError]] = []  # (plugin it concerns, error)
        self._warned = False
        self.plugins: dict[str, PluginInfo] = {}
        self.functions: dict[str, Function] = {}  # plugin functions by name, sorted
        self.function_owners: dict[str, str] = {}
        self._entries: dict[str, StandardEntry] = {}
        self._conflicts: dict[str, PluginError] = {}  # id@edition or function name → the error
        self._conflicting: dict[str, list[StandardEntry]] = {}
        self._loaded: dict[str, Standard] = {}
        self._loading: set[str] = set()
        self._lock = threading.RLock()  # one build at a time: a server's threads share the cache
        found = list(plugins) if plugins is not None else _entry_points(only, self._fail)
        for plugin in sorted(found, key=lambda p: p.name):
            self._register(plugin)
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as exc:  # _register leaves none pending; kept as a guard
            name = self.manager.get_name(exc.plugin)
            self._fail(name, PluginError(f"plugin {name!r}: {exc}"))
        self._collect_functions()
        self._collect_standards()

    # -- plugins ----------------------------------------------------------------------------

    def _fail(self, plugin: str | None, error: PluginError) -> None:
        self._problems.append((plugin, error))

    @property
    def errors(self) -> list[PluginError]:
        """Every problem found with the plugins, in the order found (plugins are taken by name)."""
        return [error for _, error in self._problems]

    def failed_plugins(self) -> list[str]:
        """Names of the plugins with an error of their own (not counting conflicts between two)."""
        return sorted({name for name, _ in self._problems if name is not None})

    def warn_once(self) -> None:
        """Log each plugin error as a warning, once per registry (the CLI prints them on stderr)."""
        if not self._warned:
            self._warned = True
            for error in self.errors:
                log.warning("%s", error)

    def _register(self, plugin: Plugin) -> None:
        label = f"plugin {plugin.name!r} ({_dist(plugin.distribution, plugin.version)})"
        try:
            self.manager.register(plugin.obj, name=plugin.name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            self._fail(plugin.name, PluginError(f"{label} cannot be registered: {exc}"))
            return
        callers = self.manager.get_hookcallers(plugin.obj) or []
        unknown = sorted(c.name for c in callers if not c.has_spec())
        if unknown:
            self.manager.unregister(plugin.obj)
            self._fail(plugin.name, PluginError(
                f"{label} implements {', '.join(unknown)}, which is not a hook of standards_kernel; "
                "the plugin is not loaded",
                hint="hooks: " + ", ".join(HOOKS),
            ))
            return
        module = plugin.module or getattr(plugin.obj, "__name__", type(plugin.obj).__name__)
        hooks = tuple(sorted(c.name for c in callers))
        self.plugins[plugin.name] = PluginInfo(plugin.name, module, plugin.distribution, plugin.version, hooks)

    def _call_each(self, hook_name: str) -> list[tuple[str, list[Any]]]:
        """Each plugin's answer to a hook, by plugin name; a failure is recorded against the plugin."""
        answers = []
        caller = getattr(self.manager.hook, hook_name)
        for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
            if impl.hookwrapper or impl.wrapper:
                self._fail(impl.plugin_name, PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name} must return a list, not wrap other plugins"))
                continue
            try:
                result = impl.function()
            except Exception as exc:  # a plugin's bug must not take the kernel down
                self._fail(impl.plugin_name, PluginError(
                    f"plugin {impl.plugin_name!r} raised in {hook_name}: {type(exc).__name__}: {exc}"))
                continue
            if result is None:
                result = []
            if not isinstance(result, (list, tuple)):
                self._fail(impl.plugin_name, PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name} returned {type(result).__name__}, not a list"))
                continue
            answers.append((impl.plugin_name, list(result)))
        return answers

    # -- functions --------------------------------------------------------------------------

    def _collect_functions(self) -> None:
        offers: dict[str, list[tuple[str, Function]]] = {}
        for plugin, items in self._call_each("standards_kernel_functions"):
            for fn in items:
                problem = _function_problem(fn)
                if problem:
                    self._fail(plugin, PluginError(f"plugin {plugin!r}: {problem}"))
                    continue
                offers.setdefault(fn.name, []).append((plugin, fn))
        for name, offered in sorted(offers.items()):
            if len(offered) > 1:
                error = PluginError(_clash([plugin for plugin, _ in offered], f"define the function {name!r}"),
                                    hint=f"uninstall one, or limit the plugins with {ENV_PLUGINS}")
                self._conflicts[name] = error
                self._fail(None, error)
                continue
            plugin, fn = offered[0]
            self.functions[name] = _guarded(fn, plugin)
            self.function_owners[name] = plugin

    # -- standards --------------------------------------------------------------------------

    def _collect_standards(self) -> None:
        found: dict[str, list[StandardEntry]] = {}
        for plugin, items in self._call_each("standards_kernel_standards"):
            for item in items:
                try:
                    entry = _entry_for(plugin, item)
                except PluginError as error:
                    self._fail(plugin, error)
                    continue
                found.setdefault(entry.key, []).append(entry)
        for key, entries in sorted(found.items()):
            if len(entries) == 1:
                self._entries[key] = entries[0]
                continue
            entries.sort(key=lambda e: (e.plugin, e.location))
            where = "; ".join(f"{e.plugin}: {e.location}" for e in entries)
            clash = PluginError(_clash([e.plugin for e in entries], f"provide the standard {key} ({where})"),
                                hint=f"uninstall one, or limit the plugins with {ENV_PLUGINS}")
            self._conflicts[key] = clash
            self._conflicting[key] = entries
            self._fail(None, clash)

    def keys(self) -> list[str]:
        """Every usable ``id@edition``, sorted (conflicting ones are in :meth:`conflicts`)."""
        return sorted(self._entries)

    def entries(self) -> list[StandardEntry]:
        """What each plugin contributed, conflicting entries included, sorted by key then plugin."""
        everything = list(self._entries.values()) + [e for es in self._conflicting.values() for e in es]
        return sorted(everything, key=lambda e: (e.id, e.edition, e.plugin))

    def conflicts(self) -> dict[str, PluginError]:
        """Keys (``id@edition`` or a function name) that two plugins provide, with the error."""
        return dict(sorted(self._conflicts.items()))

    def get(self, key: str) -> Standard:
        """The standard ``id@edition``, built on first use and cached."""
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
            if key in self._conflicts:
                raise self._conflicts[key]
            entry = self._entries.get(key)
            if entry is None:
                standard_id = key.partition("@")[0]
                editions = [e.edition for e in self.entries() if e.id == standard_id]
                hint = ("editions: " + ", ".join(editions)) if editions else self._not_found_hint()
                raise StandardNotFound(f"no standard {key}", hint=hint)
            if key in self._loading:
                raise StandardError(f"{key} extends itself through a chain of standards", file=entry.location)
            self._loading.add(key)
            try:
                standard = self._build(entry)
            finally:
                self._loading.discard(key)
            self._loaded[key] = standard
            return standard

    def _build(self, entry: StandardEntry) -> Standard:
        try:
            raw: Mapping[str, Any]
            if entry.text is not None:
                raw = load_text(entry.text, fmt=entry.fmt, file=entry.location, error=StandardError)
            else:
                assert entry.content is not None
                raw = entry.content
            return build_standard(raw, file=entry.location, text=entry.text or "", resolver=self.content_for,
                                  functions=self.functions)
        except KernelError as error:
            raise self._explained(error) from None

    def _explained(self, error: KernelError) -> KernelError:
        """An unknown function that two plugins define: say so, rather than 'unknown function'."""
        match = re.match(r"unknown function '([^']+)'", error.message)
        if match and match.group(1) in self._conflicts:
            conflict = self._conflicts[match.group(1)]
            return PluginError(conflict.message, file=error.file, path=error.path, line=error.line, hint=conflict.hint)
        return error

    def content_for(self, ref: str) -> Mapping[str, Any]:
        """The merged canonical content of a standard, for ``extends``."""
        if "@" not in ref:
            editions = [e.key for e in self.entries() if e.id == ref]
            raise StandardError(f"extends {ref!r} needs an edition", path="standard.extends",
                                hint="write id@edition" + (": " + ", ".join(editions) if editions else ""))
        return self.get(ref).content

    def load_all(self) -> tuple[list[Standard], list[KernelError]]:
        """Every usable standard (sorted by id, then effective date), and the errors of those that
        do not build; one broken standard does not hide the others."""
        standards: list[Standard] = []
        problems: list[KernelError] = []
        for key in self.keys():
            try:
                standards.append(self.get(key))
            except KernelError as error:
                problems.append(error)
        standards.sort(key=lambda s: (s.id, s.effective_from, s.edition))
        return standards, problems

    def plugin_of(self, key: str) -> str | None:
        """The plugin that contributed ``id@edition`` (None if none, or several did)."""
        entry = self._entries.get(key)
        return entry.plugin if entry else None

    def load_path(self, path: str | Path) -> Standard:
        """A standard file that no plugin needs to provide (it may extend those that do)."""
        try:
            return load_standard_file(path, resolver=self.content_for, functions=self.functions)
        except KernelError as error:
            raise self._explained(error) from None

    def resolve(self, ref: str, as_of: dt.date | None) -> Standard:
        """A path, ``id@edition``, or ``id``: the edition in force on ``as_of``."""
        if ref.endswith((".toml", ".json")) or os.sep in ref or Path(ref).is_file():
            return self.load_path(ref)
        return self.resolve_id(ref, as_of)

    def resolve_id(self, ref: str, as_of: dt.date | None) -> Standard:
        """``id@edition`` or ``id`` only, never a file: for a reference a submission gave."""
        if "@" in ref:
            return self.get(ref)
        return self.get(self.edition_key(ref, as_of))

    def edition_key(self, standard_id: str, as_of: dt.date | None) -> str:
        """The ``id@edition`` in force on ``as_of``: of the editions in force, the latest to start."""
        candidates = [e for e in self.entries() if e.id == standard_id]
        if not candidates:
            known = sorted({e.id for e in self.entries()})
            raise StandardNotFound(f"no standard {standard_id!r}",
                                   hint="installed: " + (", ".join(known) or "none") + self._broken_note())
        dated: list[tuple[dt.date, dt.date | None, str]] = []
        for entry in candidates:
            if entry.effective_from is None:  # an unreadable header: building it gives the error
                standard = self.get(entry.key)
                dated.append((standard.effective_from, standard.effective_until, entry.edition))
            else:
                dated.append((entry.effective_from, entry.effective_until, entry.edition))
        dated = sorted(set(dated))
        listing = "; ".join(f"{ed} ({start.isoformat()} to {end.isoformat() if end else 'open'})" for start, end, ed in dated)
        if as_of is None:
            if len({ed for _, _, ed in dated}) == 1:
                return f"{standard_id}@{dated[0][2]}"
            raise StandardNotFound(f"{standard_id} has several editions; which one applies depends on the date",
                                   hint="give the evaluation date (as_of, or evaluation.as_of in the submission), "
                                        "or pin ID@EDITION; editions: " + listing)
        in_force = [(start, ed) for start, end, ed in dated if start <= as_of and (end is None or as_of <= end)]
        if not in_force:
            raise StandardNotFound(f"no edition of {standard_id} is in force on {as_of.isoformat()}",
                                   hint="editions: " + listing)
        latest = max(start for start, _ in in_force)
        chosen = sorted({ed for start, ed in in_force if start == latest})
        if len(chosen) > 1:
            raise StandardNotFound(
                f"editions {', '.join(chosen)} of {standard_id} both start on {latest.isoformat()}: "
                f"which is in force on {as_of.isoformat()} is ambiguous",
                hint="pin one with ID@EDITION, or give the editions distinct effective dates",
            )
        return f"{standard_id}@{chosen[0]}"

    def _broken_note(self) -> str:
        broken = self.failed_plugins()
        return f"; plugins with errors: {', '.join(broken)}" if broken else ""

    def _not_found_hint(self) -> str:
        return "standards-kernel list shows what is installed" + self._broken_note()


# -- reading what plugins return --------------------------------------------------------------

def _clash(plugins: list[str], what: str) -> str:
    """'plugins 'a' and 'b' both provide …', or 'plugin 'a' provides … twice'."""
    names = sorted(set(plugins))
    if len(names) == 1:
        verb = what.split(" ", 1)
        return f"plugin {names[0]!r} {verb[0]}s {verb[1]} {len(plugins)} times"
    listed = ", ".join(repr(n) for n in names[:-1]) + f" and {names[-1]!r}"
    return f"plugins {listed} {'both' if len(names) == 2 else 'all'} {what}"


def _function_problem(fn: object) -> str | None:
    if not isinstance(fn, Function):
        return f"standards_kernel_functions returned {fn!r}, not a standards_kernel.kernel.expressions.Function"
    if not callable(fn.call):
        return f"function {fn.name!r}: call is not callable"
    try:
        function_table({fn.name: fn}, where="standards_kernel_functions")  # the compiler's own rules
    except KernelError as error:
        return error.message
    return None


def _guarded(fn: Function, plugin: str) -> Function:
    """The plugin's function, with its failures and non-kernel results turned into errors naming
    it: a float or an unexpected exception must never reach a score."""
    inner = fn.call

    def call(*args: object) -> object:
        try:
            result = inner(*args)
        except (KernelError, ArithmeticError):
            raise  # the formula reports these at its place
        except Exception as exc:
            raise PluginError(f"plugin {plugin!r} raised {type(exc).__name__}: {exc}") from exc
        if type(result) not in (Decimal, int, bool, str):
            raise PluginError(f"plugin {plugin!r} returned {type(result).__name__}; "
                              "a function returns Decimal, int, bool or str")
        if isinstance(result, Decimal) and not result.is_finite():
            raise PluginError(f"plugin {plugin!r} returned {result}, not a finite number")
        return result

    return attrs.evolve(fn, call=call)


def _entry_for(plugin: str, item: object) -> StandardEntry:
    """Read what a plugin returned as a standard: a file, parsed content, or a built Standard."""
    text: str | None = None
    content: Mapping[str, Any] | None = None
    fmt = "toml"
    if isinstance(item, Standard):
        content, location = item.content, item.file or f"<plugin {plugin}>"
    elif isinstance(item, Mapping):
        content, location = copy.deepcopy(dict(item)), f"<plugin {plugin}>"
    elif isinstance(item, (os.PathLike, Traversable)) and not isinstance(item, str):
        file = Path(item) if isinstance(item, os.PathLike) and not isinstance(item, Traversable) else item
        location = str(file)
        fmt = "json" if location.lower().endswith(".json") else "toml"
        try:
            if isinstance(file, Path):  # a file on disk: the bounded reader (regular, 64 MiB, UTF-8)
                text = read_input_text(file, what="standard", error=StandardError)
            else:
                text = file.read_text("utf-8")
        except StandardError as exc:
            raise PluginError(f"plugin {plugin!r}: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PluginError(f"plugin {plugin!r}: cannot read {location}: {exc}") from None
    else:
        hint = "wrap a path in pathlib.Path" if isinstance(item, str) else None
        raise PluginError(
            f"plugin {plugin!r}: standards_kernel_standards returned a {type(item).__name__}; expected a "
            "path, an importlib.resources file, a mapping of standard content or a Standard", hint=hint)
    try:
        raw = load_text(text, fmt=fmt, file=location, error=StandardError) if text is not None else content
        assert raw is not None
        header = raw["standard"]
        standard_id, edition = header["id"], header["edition"]
        if not isinstance(standard_id, str) or not isinstance(edition, (str, int)) or isinstance(edition, bool):
            raise TypeError("id and edition must be text")
    except KernelError as error:
        raise PluginError(f"plugin {plugin!r}: {error}") from None
    except (KeyError, TypeError) as exc:
        raise PluginError(f"plugin {plugin!r}: {location}: no readable [standard] id and edition ({exc})") from None
    if location == f"<plugin {plugin}>":
        location = f"<plugin {plugin}: {standard_id}@{edition}>"
    return StandardEntry(
        id=standard_id, edition=str(edition), plugin=plugin, location=location,
        effective_from=_header_date(header.get("effective_from")),
        effective_until=_header_date(header.get("effective_until")) if "effective_until" in header else None,
        text=text, fmt=fmt, content=content,
    )


def _header_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None  # the loader refuses a date-time; building the standard says so
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


# -- the installed plugins -----------------------------------------------------------------------

def _entry_points(only: set[str] | None, fail: Callable[[str | None, PluginError], None]) -> list[Plugin]:
    by_name: dict[str, list[metadata.EntryPoint]] = {}
    for ep in installed_entry_points():
        by_name.setdefault(ep.name, []).append(ep)
    if only is not None:
        for missing in sorted(only - set(by_name)):
            fail(None, PluginError(f"{ENV_PLUGINS} names {missing!r}, but no installed plugin has that name",
                                   hint="installed: " + (", ".join(sorted(by_name)) or "none")))
    found = []
    for name, eps in sorted(by_name.items()):
        if only is not None and name not in only:
            continue
        if len(eps) > 1:
            dists = sorted(_dist_label(ep) for ep in eps)
            fail(name, PluginError(f"distributions {' and '.join(dists)} both register a plugin named {name!r}; "
                                   "neither is loaded", hint="uninstall one"))
            continue
        (ep,) = eps
        dist = ep.dist.name if ep.dist else "(unknown distribution)"
        version = ep.dist.version if ep.dist else ""
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin is reported, the rest stay usable
            fail(name, PluginError(f"plugin {name!r} ({_dist(dist, version)}, {ep.value}) failed to import: "
                                   f"{type(exc).__name__}: {exc}"))
            continue
        found.append(Plugin(name, module, dist, version, ep.value))
    return found


def installed_entry_points() -> list[metadata.EntryPoint]:
    """The entry points of the ``standards_kernel`` group, as installed (one place to look)."""
    return list(metadata.entry_points(group=GROUP))


def _dist_label(ep: metadata.EntryPoint) -> str:
    return _dist(ep.dist.name, ep.dist.version) if ep.dist else ep.value


def _dist(name: str, version: str) -> str:
    return f"{name} {version}" if version else name


def plugin_selection(value: str | None) -> set[str] | None:
    """The plugin names ``STANDARDS_KERNEL_PLUGINS`` allows (None: all; empty text: none)."""
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


@functools.cache
def _registry_for(selection: str | None) -> Registry:
    return Registry(only=plugin_selection(selection))


def default_registry(*, warn: bool = True) -> Registry:
    """The registry of the installed plugins (honouring ``STANDARDS_KERNEL_PLUGINS``), built once
    per selection. With ``warn``, each plugin error is logged once as a warning."""
    registry = _registry_for(os.environ.get(ENV_PLUGINS))
    if warn:
        registry.warn_once()
    return registry
