"""The ``standards-kernel`` command: :mod:`.main` parses and dispatches; one module per command
family (:mod:`.plugins`, :mod:`.audit`, :mod:`.batch`, :mod:`.report`, :mod:`.server`,
:mod:`.authoring`) adds its own subcommands through ``register(subparsers)``.

Exit codes: 0 success; 1 a check that did not pass; 2 bad input or usage, with one clear message on
stderr and never a traceback.
"""

from .main import main

__all__ = ["main"]
