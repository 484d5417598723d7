"""The fixtures shared by every test; the helpers they use live in tests/helpers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from standards_kernel.kernel.loader import load_standard_file
from tests.helpers import DATA, synthetic_county


@pytest.fixture(scope="session")
def synthetic_standard():
    return load_standard_file(DATA / "standards" / "synthetic.toml")


@pytest.fixture
def county() -> dict[str, Any]:
    return copy.deepcopy(synthetic_county())
