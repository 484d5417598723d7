"""The built-in guizhou plugin: contributes the standards in provinces/guizhou/."""

from standards_kernel import hookimpl

from . import bundled


@hookimpl
def standards_kernel_standards() -> list[object]:
    return list(bundled("guizhou"))
