"""The built-in henan plugin: contributes the standards in provinces/henan/."""

from standards_kernel import hookimpl

from . import bundled


@hookimpl
def standards_kernel_standards() -> list[object]:
    return list(bundled("henan"))
