"""The built-in national plugin: contributes the standards in provinces/national/."""

from standards_kernel import hookimpl

from . import bundled


@hookimpl
def standards_kernel_standards() -> list[object]:
    return list(bundled("national"))
