"""The kernel: the only code that decides a score, a gate, a veto or a grade.

Numbers (exact Decimal), the model of a standard, the standard file format and its loader, the
plugin registry, submissions, the evaluation and the kernel's part of the canonical result. It
imports no feature: nothing in intake, analysis, audit, reporting, authoring, batch or the
interfaces can change what it decides.
"""
