"""docs/plugins.md keeps up with the code: a section per hook of hookspecs.py (and none for a hook
that does not exist), and the complete example in it is the one the tests install."""

from __future__ import annotations

import inspect
import re
import tomllib

import pytest

from standards_kernel import hookspecs
from tests.helpers import ROOT
from tests.helpers.plugins import EXAMPLE

DOC = ROOT / "docs" / "plugins.md"


def hookspec_names() -> list[str]:
    """Every function of hookspecs.py that carries the hookspec marker."""
    marker = f"{hookspecs.PROJECT}_spec"
    return sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, marker))


def documented_hooks() -> dict[str, str]:
    """Each ``### `name` `` section of the hooks chapter, with its text."""
    text = DOC.read_text("utf-8")
    chapter = text.split("\n## The hooks\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^### `([a-z_]+)`\n", chapter, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_the_hookspecs_are_found() -> None:
    assert hookspec_names() == ["standards_kernel_functions", "standards_kernel_standards"]


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hook_has_a_section_with_its_contract(hook: str) -> None:
    sections = documented_hooks()
    assert hook in sections, f"docs/plugins.md has no section ### `{hook}` under ## The hooks"
    assert "Contract:" in sections[hook]
    assert inspect.getdoc(getattr(hookspecs, hook)), f"{hook} has no docstring in hookspecs.py"


def test_no_section_documents_a_hook_that_does_not_exist() -> None:
    assert sorted(documented_hooks()) == hookspec_names()


def example_files() -> dict[str, str]:
    """The code blocks introduced by a line ``File `PATH`…:``."""
    text = DOC.read_text("utf-8")
    blocks = re.findall(r"^File `([^`]+)`[^\n]*\n(?:[^\n]+\n)*?\n```[a-z]*\n(.*?)^```$", text, flags=re.M | re.S)
    return dict(blocks)


def test_the_documented_example_is_the_tested_one() -> None:
    files = example_files()
    assert sorted(files) == ["pyproject.toml", "sk_example_plugin/__init__.py",
                             "sk_example_plugin/standards/satisfaction-2024.toml"]
    for name in ("sk_example_plugin/__init__.py", "sk_example_plugin/standards/satisfaction-2024.toml"):
        assert files[name] == (EXAMPLE / name).read_text("utf-8"), name
    documented = tomllib.loads(files["pyproject.toml"])
    tested = tomllib.loads((EXAMPLE / "pyproject.toml").read_text("utf-8"))
    assert documented["project"] == tested["project"]  # only the build backend differs
