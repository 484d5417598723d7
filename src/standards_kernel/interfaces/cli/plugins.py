"""The ``plugins`` and ``list`` subcommands, and the stderr warning lines for plugin errors.

``standards-kernel plugins``: each plugin with its distribution and version, the hooks it
implements and what it provides; every plugin error; exit 1 when there is any (a health check).
``standards-kernel list``: each standard id with its jurisdiction and editions (effective dates,
the plugin that provides it, counts of parameters by status); standards that do not load are
warnings, the others are still listed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from ...errors import KernelError
from ...kernel.model import Standard
from ...kernel.registry import ENV_PLUGINS, Registry, default_registry, log

WARNING_PREFIX = "standards-kernel: warning: "


def register(commands: argparse._SubParsersAction) -> None:
    """Add the subcommands; make the registry's warnings visible as lines on stderr."""
    show_warnings_on_stderr()
    plugins = commands.add_parser(
        "plugins", help="show the installed plugins, what they provide, and their errors",
        description=f"Each plugin of the standards_kernel entry-point group ({ENV_PLUGINS} limits which load). "
                    "Exit status 1 when a plugin has an error.",
    )
    plugins.add_argument("--format", choices=("text", "json"), default="text")
    plugins.set_defaults(handler=cmd_plugins)

    listing = commands.add_parser(
        "list", help="list the installed standards with their editions",
        description="Each standard id with its jurisdiction and editions: effective dates, the plugin "
                    "that provides it, and its parameters counted by status (a parameter counts once, "
                    "under the least certain status among its dated values).",
    )
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=cmd_list)


class _StderrWarnings(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (it may be replaced after set-up)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(WARNING_PREFIX + record.getMessage() + "\n")


def show_warnings_on_stderr() -> None:
    """Print the kernel's logged warnings as ``standards-kernel: warning: …`` lines (once)."""
    logger = logging.getLogger("standards_kernel")
    if not any(isinstance(h, _StderrWarnings) for h in logger.handlers):
        logger.addHandler(_StderrWarnings(logging.WARNING))


# -- plugins --------------------------------------------------------------------------------------

def plugins_report(registry: Registry) -> dict[str, Any]:
    """What ``standards-kernel plugins --format json`` prints."""
    provided: dict[str, list[str]] = {}
    for entry in registry.entries():
        provided.setdefault(entry.plugin, []).append(entry.key)
    functions: dict[str, list[str]] = {}
    for name, owner in registry.function_owners.items():
        functions.setdefault(owner, []).append(name)
    conflicts = registry.conflicts()
    return {
        "plugins": [
            {
                "name": info.name, "distribution": info.distribution, "version": info.version,
                "module": info.module, "hooks": list(info.hooks),
                "standards": [
                    {"key": key, "conflict": key in conflicts} for key in sorted(provided.get(info.name, []))
                ],
                "functions": sorted(functions.get(info.name, [])),
            }
            for info in sorted(registry.plugins.values(), key=lambda p: p.name)
        ],
        "errors": [error.to_dict() for error in registry.errors],
    }


def cmd_plugins(args: argparse.Namespace) -> int:
    registry = default_registry(warn=False)  # the errors are this command's output
    report = plugins_report(registry)
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
        return 1 if report["errors"] else 0
    if not report["plugins"]:
        print("no plugins loaded" + (f" ({ENV_PLUGINS} limits them)" if ENV_PLUGINS in os.environ else ""))
    for plugin in report["plugins"]:
        version = f" {plugin['version']}" if plugin["version"] else ""
        print(f"{plugin['name']}: {plugin['distribution']}{version} ({plugin['module']})")
        print(f"  hooks: {', '.join(plugin['hooks']) or 'none'}")
        shown = [s["key"] + (" (conflict)" if s["conflict"] else "") for s in plugin["standards"]]
        print(f"  standards: {', '.join(shown) or 'none'}")
        if plugin["functions"]:
            print(f"  functions: {', '.join(plugin['functions'])}")
    if registry.errors:
        print(f"errors ({len(registry.errors)}):")
        for error in registry.errors:
            print(f"  {error}")
    return 1 if registry.errors else 0


# -- list -----------------------------------------------------------------------------------------

def standards_report(registry: Registry, standards: list[Standard], problems: list[KernelError]) -> dict[str, Any]:
    """What ``standards-kernel list --format json`` prints: ``registry.load_all()`` by id."""
    by_id: dict[str, list[Standard]] = {}
    for standard in standards:
        by_id.setdefault(standard.id, []).append(standard)
    return {
        "standards": [
            {
                "id": standard_id,
                "jurisdiction": editions[0].jurisdiction,
                "editions": [
                    {
                        "edition": s.edition,
                        "title": {"zh": s.title.zh, "en": s.title.en},
                        "effective_from": s.effective_from.isoformat(),
                        "effective_until": s.effective_until.isoformat() if s.effective_until else None,
                        "extends": s.extends,
                        "plugin": registry.plugin_of(s.key),
                        "sha256": s.sha256,
                        "parameters": s.parameter_statuses(),
                    }
                    for s in editions
                ],
            }
            for standard_id, editions in sorted(by_id.items())
        ],
        "errors": [error.to_dict() for error in [*registry.errors, *problems]],
    }


def cmd_list(args: argparse.Namespace) -> int:
    registry = default_registry()  # logs the plugin errors
    standards, problems = registry.load_all()
    for problem in problems:
        log.warning("%s", problem)
    report = standards_report(registry, standards, problems)
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True, indent=2) + "\n")
        return 0
    if not report["standards"]:
        print("no standards installed")
    for item in report["standards"]:
        print(f"{item['id']} ({item['jurisdiction']})")
        for ed in item["editions"]:
            until = ed["effective_until"] or "open-ended"
            counts = ", ".join(f"{status} {n}" for status, n in ed["parameters"].items())
            extends = f"; extends {ed['extends']}" if ed["extends"] else ""
            print(f"  {ed['edition']}: in force {ed['effective_from']} to {until}; plugin {ed['plugin']}{extends}")
            print(f"    {ed['title']['zh']} / {ed['title']['en']}")
            print(f"    parameters: {counts}")
    return 0
