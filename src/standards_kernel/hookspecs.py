"""The plugin hooks of standards_kernel: the whole contract between the kernel and a plugin.

A plugin is a module registered under the entry-point group ``standards_kernel`` that implements
some of these hooks, each marked with ``standards_kernel.hookimpl``. The built-in jurisdictions
(national, gansu, guizhou, henan, yunnan) are plugins of exactly this kind, found the same way.

Every hook takes no arguments and returns a list; the kernel calls each plugin's implementation on
its own (so that a failure names the plugin) and never depends on the order pluggy would call them
in: standards are keyed by ``id@edition``, functions by name, and whatever is collected is sorted.
What the kernel does with the answers lives in :mod:`standards_kernel.kernel.registry`, behind typed
methods; nothing else calls the hooks. docs/plugins.md has a section per hook, kept in step by a
test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

import pluggy

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping
    from importlib.resources.abc import Traversable

    from .kernel.expressions import Function
    from .kernel.model import Standard

    #: What ``standards_kernel_standards`` may return, item by item.
    StandardItem = Union["os.PathLike[str]", Traversable, Mapping[str, Any], Standard]

PROJECT = "standards_kernel"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def standards_kernel_standards() -> list[StandardItem]:
    """Contribute standards.

    Return a list whose items are any of:

    * a file: a ``pathlib.Path`` or an ``importlib.resources`` traversable (a file shipped inside
      the plugin's package) of a standard in TOML, or JSON when the name ends in ``.json``;
    * parsed content: a mapping with the structure of a standard file, numbers as ``Decimal`` or
      ``int`` (binary floats are refused, as in a file);
    * a ``standards_kernel.Standard`` already built, e.g. by ``standards_kernel.kernel.loader``: the
      kernel rebuilds it from its content, so it is checked and hashed like any other.

    A plain ``str`` is refused (is it a path or a text?): wrap a path in ``pathlib.Path``.
    Nothing is built while plugins load: each standard is read for its ``[standard]`` header only,
    and built, checked and cached when first used; an error there names the file, key and line.
    Two plugins contributing the same ``id@edition`` is an error naming both; that ``id@edition``
    is then unusable and everything else stays usable.
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations


@hookspec
def standards_kernel_functions() -> list[Function]:
    """Contribute named functions that standards' formulas may call.

    Return a list of ``standards_kernel.kernel.expressions.Function`` objects: ``name`` (a plain
    identifier, not a built-in such as ``min`` or ``round``), ``call``, ``min_args``, ``max_args``
    (``None``: any number) and ``doc``. ``call`` receives the kernel's exact values (``Decimal``,
    ``int``, ``bool``, ``str``) and must return one of them (never a ``float``) and be pure: same
    arguments, same result, no input or output. A ``KernelError`` it raises is reported as an
    evaluation error at the formula; any other exception, or a result of another type, becomes an
    error naming the plugin and the function. Two plugins offering the same name is an error
    naming both; a formula calling that name then fails to load with that message.
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations
