"""The pytest plugin (entry point ``pytest11``): every ``*.case.toml`` file pytest meets is a test
file, and each of its cases a test item. A failure shows expected vs actual and the trace of the
first differing value; a case file that cannot be read is a collection error naming its line.

It is active wherever standards-kernel is installed; ``pytest -p no:standards_kernel`` turns it off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from .cases import SUFFIX


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(SUFFIX):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFailed(Exception):
    """A case whose evaluation differs from what it expects."""


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from .cases import load_cases

        for case in load_cases(self.path):
            yield CaseItem.from_parent(self, name=case.name, case=case)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from ..errors import KernelError

        if isinstance(excinfo.value, KernelError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # a collector's takes no style


class CaseItem(pytest.Item):
    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        from .cases import run_case

        result = run_case(self.case)
        if not result.passed:
            raise CaseFailed(result.report())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from ..errors import KernelError

        if isinstance(excinfo.value, (CaseFailed, KernelError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.case.line - 1 if self.case.line else None
        return self.path, line, f"case: {self.name}"
