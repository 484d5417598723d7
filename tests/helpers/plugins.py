"""Helpers for the plugin tests: plugins made in memory, fake entry points, a tiny standard."""

from __future__ import annotations

import datetime as dt
import types
from pathlib import Path
from typing import Any, Callable

import attrs

from standards_kernel import hookimpl
from standards_kernel.kernel.expressions import Function
from standards_kernel_plugins import bundled
from tests.helpers import TESTS

YUNNAN_FILE = Path(str(bundled("yunnan")[0]))
EXAMPLE = TESTS / "plugin_example"


def make_plugin(
    name: str,
    standards: Callable[[], Any] | list[Any] | None = None,
    functions: Callable[[], Any] | list[Function] | None = None,
) -> types.ModuleType:
    """A module implementing the hooks it is given (a list is returned as is; a callable is the
    hook itself, so it may raise)."""
    module = types.ModuleType(f"test_plugin_{name}")
    for hook, answer in (("standards_kernel_standards", standards), ("standards_kernel_functions", functions)):
        if answer is None:
            continue
        impl = answer if callable(answer) else (lambda answer=answer: list(answer))
        setattr(module, hook, hookimpl(_named(impl, hook)))
    return module


def _named(fn: Callable[[], Any], name: str) -> Callable[[], Any]:
    def hook() -> Any:
        return fn()

    hook.__name__ = name
    return hook


def tiny_standard(
    standard_id: str = "test.tiny",
    edition: str = "1",
    start: dt.date = dt.date(2020, 1, 1),
    until: dt.date | None = None,
    formula: str | None = None,
) -> dict[str, Any]:
    """The content of a minimal valid standard (one indicator, one grade)."""
    header: dict[str, Any] = {
        "id": standard_id, "edition": edition, "jurisdiction": standard_id.split(".")[0],
        "title": {"zh": "测试", "en": "test"}, "effective_from": start,
    }
    if until is not None:
        header["effective_until"] = until
    indicator: dict[str, Any] = {"label": {"zh": "受访人数"}, "unit": "人"}
    if formula is None:
        indicator["input"] = "satisfaction_surveyed"
    else:
        indicator["formula"] = formula
    return {
        "format": 1,
        "standard": header,
        "indicators": {"surveyed": indicator},
        "grades": [{"id": "only", "label": {"zh": "唯一"}}],
    }


@attrs.frozen
class FakeDist:
    name: str
    version: str


@attrs.frozen
class FakeEntryPoint:
    """Stands in for an importlib.metadata.EntryPoint: ``load`` gives ``obj`` or raises ``error``."""

    name: str
    obj: Any = None
    error: BaseException | None = None
    value: str = "fake.module"
    dist: FakeDist | None = FakeDist("fake-dist", "9.9")

    def load(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.obj
