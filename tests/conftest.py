"""The fixtures shared by every test; the helpers they use live in tests/helpers.

Hermetic plugins: the session loads exactly the kernel's own standard plugins (the entry points
pyproject.toml declares), whatever else is installed, by setting ``STANDARDS_KERNEL_PLUGINS`` before
any test runs. Subprocesses inherit it; tests that pin or clear it use monkeypatch, which restores
this value, and tests that install a plugin into a throw-away environment set their own."""

from __future__ import annotations

import copy
import os
import tomllib
from typing import Any

import pytest

from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.registry import ENV_PLUGINS
from tests.helpers import DATA, ROOT, synthetic_county

BUILT_IN_PLUGINS: tuple[str, ...] = tuple(sorted(
    tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["entry-points"]["standards_kernel"]))
os.environ[ENV_PLUGINS] = ",".join(BUILT_IN_PLUGINS)


@pytest.fixture(scope="session")
def synthetic_standard():
    return load_standard_file(DATA / "standards" / "synthetic.toml")


@pytest.fixture
def county() -> dict[str, Any]:
    return copy.deepcopy(synthetic_county())
