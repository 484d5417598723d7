"""The built-in yunnan plugin: contributes the standards in provinces/yunnan/."""

from standards_kernel import hookimpl

from . import bundled


@hookimpl
def standards_kernel_standards() -> list[object]:
    return list(bundled("yunnan"))
