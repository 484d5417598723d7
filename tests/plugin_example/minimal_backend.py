"""A PEP 517 build backend in the standard library only, for the example plugin of the tests.

It builds a wheel of the packages named in ``[tool.minimal_backend] packages`` (every file in
them) with the name, version, dependencies and entry points of ``[project]``. Enough for a plugin
made of Python modules and data files; not a general build tool.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _project() -> tuple[dict, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return data["project"], data["tool"]["minimal_backend"]["packages"]


def _record_line(name: str, payload: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(payload).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(payload)}"


def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None) -> str:
    project, packages = _project()
    dist = re.sub(r"[-_.]+", "_", project["name"]).lower()
    version = project["version"]
    info = f"{dist}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    metadata = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {version}",
                f"Summary: {project.get('description', '')}"]
    metadata += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    files[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: minimal_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    groups = project.get("entry-points", {})
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in sorted(items.items())) + "\n"
        for group, items in sorted(groups.items())
    )
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = [_record_line(name, payload) for name, payload in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel_name = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, payload in files.items():
            wheel.writestr(name, payload)
    return wheel_name
