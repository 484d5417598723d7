"""The jurisdictions shipped with standards_kernel, each a plugin of the ``standards_kernel``
entry-point group, exactly as a third-party plugin would be. Their standards are data in
``provinces/<jurisdiction>/`` (installed as the package ``standards_kernel_provinces``)."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def bundled(jurisdiction: str) -> list[Traversable]:
    """The standard files shipped for one jurisdiction, sorted by name."""
    folder = resources.files("standards_kernel_provinces").joinpath(jurisdiction)
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
