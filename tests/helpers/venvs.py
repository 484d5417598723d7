"""Throw-away virtual environments that work offline: they see this interpreter's third-party
packages through a filtered view of its site directories (symlinks), so that a test decides which
copy of the kernel and which standard plugins the environment has."""

from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path


def _plugin_metadata(entry: Path) -> bool:
    """A distribution's metadata that declares standard plugins (other than the kernel's own)."""
    if not entry.name.endswith(".dist-info") or entry.name.startswith("standards_kernel-"):
        return False
    points = entry / "entry_points.txt"
    return points.is_file() and "[standards_kernel]" in points.read_text("utf-8", "replace")


def _the_kernel(entry: Path) -> bool:
    """The installed kernel itself, as a wheel or an editable install leaves it."""
    return entry.name.startswith(("standards_kernel", "__editable__.standards_kernel",
                                  "__editable___standards_kernel"))


def site_view(parent: Path, view: Path, *, kernel: bool) -> Path:
    """``parent`` seen without third-party standard plugins, and without the kernel unless ``kernel``."""
    view.mkdir(parents=True)
    for entry in parent.iterdir():
        if _plugin_metadata(entry) or (not kernel and _the_kernel(entry)):
            continue
        (view / entry.name).symlink_to(entry)
    return view


def make_venv(where: Path, *, kernel: bool) -> Path:
    """A venv at ``where/venv`` (no pip of its own: run ``python -m pip`` from this interpreter's
    packages) that sees this interpreter's packages; returns its python."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    parents = [Path(p) for p in site.getsitepackages() + [site.getusersitepackages()] if Path(p).is_dir()]
    views = [site_view(p, where / f"site{i}", kernel=kernel) for i, p in enumerate(parents)]
    # .pth lines starting with "import" run: addsitedir also processes the .pth files there (an
    # editable install's finder), which a plain path line would not.
    Path(purelib, "_parent_site.pth").write_text("".join(f"import site; site.addsitedir({str(v)!r})\n" for v in views))
    return python
