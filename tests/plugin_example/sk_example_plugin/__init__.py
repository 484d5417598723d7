"""sk_example_plugin: one standard and one function for standards_kernel."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

from standards_kernel import hookimpl
from standards_kernel.errors import EvaluationError
from standards_kernel.kernel.expressions import Function
from standards_kernel.kernel.numbers import KERNEL_CONTEXT


def _share(part: Decimal | int, whole: Decimal | int) -> Decimal:
    if whole == 0:
        raise EvaluationError("the whole is 0")
    return KERNEL_CONTEXT.divide(Decimal(part), Decimal(whole))


@hookimpl
def standards_kernel_standards() -> list[object]:
    folder = resources.files(__package__).joinpath("standards")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


@hookimpl
def standards_kernel_functions() -> list[Function]:
    return [Function("share", _share, 2, 2, "share(part, whole): part / whole, exactly")]
