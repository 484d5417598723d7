"""Analysis of an evaluation: the rectification list (gaps) and the next-grade plan.

It reads an :class:`~standards_kernel.kernel.evaluate.Evaluation` and re-evaluates only through
the kernel's public ``evaluate``; it never decides a grade itself.
"""
