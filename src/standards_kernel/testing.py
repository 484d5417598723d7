"""The property kit's stable import path (``from standards_kernel.testing import property_tests``),
kept for plugin packages made by ``standards-kernel new``; it lives in
:mod:`standards_kernel.authoring.properties`."""

from .authoring.properties import *  # noqa: F401,F403
from .authoring.properties import __all__  # noqa: F401
