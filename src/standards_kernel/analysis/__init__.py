"""Analysis of an evaluation: the rectification list (gaps) and the next-grade plan.

It reads an :class:`~standards_kernel.kernel.evaluate.Evaluation` and re-evaluates only through
the kernel's public ``evaluate``; it never decides a grade itself.
"""

from .gaps import Gap, analyse, gaps_to_data
from .plan import NextGrade, next_grade, plan_to_data

__all__ = [
    "analyse",
    "Gap",
    "gaps_to_data",
    "next_grade",
    "NextGrade",
    "plan_to_data",
]
