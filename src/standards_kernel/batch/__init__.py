"""Batch work: evaluating many counties (run), synthetic counties (synth), comparing two runs."""

from .compare import compare
from .run import run_batch
from .synth import generate

__all__ = [
    "compare",
    "generate",
    "run_batch",
]
