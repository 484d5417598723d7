"""The house's one-way rule, checked by walking every import of the package (ast, no import run).

Floors from the top: interfaces → batch → authoring → reporting → audit → analysis → intake →
kernel (with ``hookspecs``) → floor (version, errors). A module may import its own folder and the folders
below it, never one above; nothing imports ``interfaces``. The face (``standards_kernel/__init__``,
``__main__`` and the ``testing`` re-export) stands outside the house and may import anything; no
module inside the house imports the face. docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

#: The source tree, not the installed copy: the rule is about the code as written.
PACKAGE = ROOT / "src" / "standards_kernel"
FLOORS = ("floor", "kernel", "intake", "analysis", "audit", "reporting", "authoring", "batch", "interfaces")
FLOOR_MODULES = {"version", "errors"}
#: Modules at the top of the package that belong to a floor: the plugin contract sits where plugin
#: authors look for it, but it speaks in the kernel's types.
PLACED = {"hookspecs": "kernel"}
FACE = {"__init__", "__main__", "testing"}
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 300


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "data" not in p.relative_to(PACKAGE).parts)


def _dotted(path: Path) -> tuple[str, ...]:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def _floor(parts: tuple[str, ...]) -> str | None:
    """The floor of a module (by its dotted parts under the package); None for the face."""
    if not parts or (len(parts) == 1 and parts[0] in FACE):
        return None
    if len(parts) == 1 and parts[0] in PLACED:
        return PLACED[parts[0]]
    if len(parts) == 1 and not (PACKAGE / parts[0]).is_dir():
        assert parts[0] in FLOOR_MODULES, f"{parts[0]}.py stands outside every folder: give it a floor"
        return "floor"
    return parts[0]


def _imports(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    """(line, dotted parts under the package) of every import of the package, lazy ones included."""
    me = _dotted(path)
    base = me if path.name == "__init__.py" else me[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = (*anchor, *(node.module.split(".") if node.module else ()))
            elif node.module and node.module.split(".")[0] == "standards_kernel":
                target = tuple(node.module.split(".")[1:])
            else:
                continue
            if not node.module:  # `from . import x`: each name may be a module
                found.extend((node.lineno, (*target, a.name)) for a in node.names)
            else:
                found.append((node.lineno, target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "standards_kernel":
                    found.append((node.lineno, tuple(alias.name.split(".")[1:])))
    return found


def _resolve(parts: tuple[str, ...]) -> tuple[str, ...]:
    """The module a dotted target names (``from .x import name`` may name a function)."""
    while parts:
        if PACKAGE.joinpath(*parts).with_suffix(".py").exists() or (PACKAGE.joinpath(*parts) / "__init__.py").exists():
            return parts
        parts = parts[:-1]
    return parts


def arrows_against_the_rule() -> list[str]:
    bad = []
    for path in _modules():
        mine = _floor(_dotted(path))
        if mine is None:
            continue
        for line, target in _imports(path):
            theirs = _floor(_resolve(target))
            where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {'.'.join(('standards_kernel', *target))}"
            if theirs is None:
                bad.append(f"{where}: the face is for users and plugins, not for the house")
            elif FLOORS.index(theirs) > FLOORS.index(mine):
                bad.append(f"{where}: {mine} may not import {theirs} (one-way: {' → '.join(reversed(FLOORS))})")
    return bad


def test_every_import_runs_one_way() -> None:
    assert arrows_against_the_rule() == []


def test_the_walker_sees_a_backward_arrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule test itself can fail: a kernel module that imports a feature is caught."""
    fake = tmp_path / "standards_kernel"
    (fake / "kernel").mkdir(parents=True)
    (fake / "analysis").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "kernel" / "__init__.py").write_text("")
    (fake / "analysis" / "__init__.py").write_text("")
    (fake / "analysis" / "gaps.py").write_text("X = 1\n")
    (fake / "kernel" / "result.py").write_text("from ..analysis.gaps import X\nfrom standards_kernel import X\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    found = arrows_against_the_rule()
    assert len(found) == 2
    assert "kernel may not import analysis" in found[0] and "the face" in found[1]


def test_every_folder_has_a_facade_that_says_its_job() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        assert doc and len(doc) > 40, f"{init.relative_to(PACKAGE.parent)} needs a docstring that says its job"
        names = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        assert "__all__" in names or "__getattr__" in {
            n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, f"{init} needs __all__"


def test_modules_and_classes_of_one_job() -> None:
    too_big = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{path.relative_to(PACKAGE.parent)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_big.append(f"{path.relative_to(PACKAGE.parent)}: class {node.name} {node.end_lineno - node.lineno + 1} lines")
    assert too_big == []


def test_every_module_says_its_job() -> None:
    silent = [str(p.relative_to(PACKAGE.parent)) for p in _modules()
              if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))]
    assert silent == []


def test_every_package_is_in_the_wheel() -> None:
    """pyproject lists the packages by hand (three source roots): a new folder must be listed, or
    an installed copy misses it while an editable one works."""
    import tomllib

    root = PACKAGE.parent.parent
    pyproject = root / "pyproject.toml"
    listed = set(tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    source = root / "src" / "standards_kernel"
    found = {".".join(("standards_kernel", *p.parent.relative_to(source).parts)) for p in source.rglob("__init__.py")}
    assert found - listed == set()


def test_the_architecture_doc_names_every_module() -> None:
    """docs/architecture.md maps every module: a module added without its line fails here."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        rel for rel in (str(p.relative_to(PACKAGE)) for p in _modules())
        if not rel.endswith("__init__.py") and rel not in {"__main__.py", "testing.py"} and f"`{rel}`" not in doc
    ]
    assert missing == []
