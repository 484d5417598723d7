"""``python -m standards_kernel``: the same command as the ``standards-kernel`` script."""

import sys

from .interfaces.cli import main

sys.exit(main())
