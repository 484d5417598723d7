"""The built-in gansu plugin: contributes the standards in provinces/gansu/."""

from standards_kernel import hookimpl

from . import bundled


@hookimpl
def standards_kernel_standards() -> list[object]:
    return list(bundled("gansu"))
