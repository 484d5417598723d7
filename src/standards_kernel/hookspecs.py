"""The plugin hooks of standards_kernel: the whole contract between the kernel and a plugin.

A plugin is a module registered under the entry-point group ``standards_kernel`` that implements
some of these hooks with the ``standards_kernel.hookimpl`` marker. The built-in jurisdictions
(national, gansu, guizhou, henan, yunnan) are plugins of exactly this kind. Results never depend
on the order pluggy calls implementations in: standards are resolved by id and edition, and
everything collected is sorted. docs/plugins.md documents each hook; a test keeps the two in step.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("standards_kernel")
hookimpl = pluggy.HookimplMarker("standards_kernel")


@hookspec
def standards_kernel_standards() -> list[object]:
    """Contribute standards: return a list of paths to standard files (TOML or JSON).

    Each file is loaded, checked and hashed by the kernel. Two plugins contributing the same
    ``id@edition`` is an error that names both. A path may be a ``pathlib.Path`` or an
    ``importlib.resources`` traversable (files shipped inside the plugin's package).
    """


@hookspec
def standards_kernel_functions() -> list[object]:
    """Contribute named functions that standards' formulas may call.

    Return a list of ``standards_kernel.expressions.Function`` objects (name, callable, minimum
    and maximum number of arguments, a docstring). A function receives and returns the kernel's
    exact values (``Decimal``, ``bool``, ``str``) and must be pure: same arguments, same result,
    no input or output. Names must be plain identifiers that do not shadow a built-in function;
    two plugins offering the same name is an error.
    """
