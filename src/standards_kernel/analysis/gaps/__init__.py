"""Gap analysis (整改清单): what must change, by how much, for every failed rule and lost point.

For every failed gate, triggered veto and scored item below its full points, the analysis says
what the indicator must become (the *target*) and, where the data can close the gap, the change of
one input that clears it by itself (a *fix*): "the D-class area must fall from 45584 m² to at most
8436.27 m²". A fix always moves a *lever*, an input the county can change, the way it may move
(``kernel.vocabulary.lever``); the other inputs the target reads are its context ("given the
281209 m² of floor area": building more only to dilute the share is not a repair). Where data
cannot close a gap it says so: points the panel awards, an event a veto reads, a level the panel
judges, no lever that closes it.

How a fix is found: the indicator's formula is read as a function of one input at a time, the
others held at their submitted values. When that function is a ratio of two linear functions
(``a / b``, ``x * 100 / students``, a mean of difference coefficients …) the boundary is solved
exactly with fractions; anything else (``if``, ``round``, plugin functions) is reported as not
computed rather than guessed. Difference coefficients list the schools that contribute most to
the dispersion and how far each is from the county mean; k-of-n rules list the items a school
misses and how many it must recover. Arithmetic is exact (``fractions.Fraction``); JSON carries a
decimal rounded *toward the side that clears the gap* plus the exact fraction when the decimal
does not terminate; reports round only for display.

:func:`analyse` gives the gaps; :mod:`standards_kernel.analysis.plan` searches the smallest set of
repairs that lifts the grade.

The parts: :mod:`.model` (gaps, targets, fixes), :mod:`.exact` (exact numbers, formulas solved
for one variable), :mod:`.targets` and :mod:`.units` (what an indicator must become, and how),
:mod:`.analysis` (the gaps of one evaluation), :mod:`.data` (the gaps as canonical JSON).
"""

from __future__ import annotations

from .analysis import Analysis, analyse
from .data import gaps_to_data
from .exact import Solution, frac, number_text, solve, toward
from .model import Closable, Fix, Gap, Held, Target
from .units import TOP_CONTRIBUTORS

__all__ = [
    "TOP_CONTRIBUTORS", "Closable", "Fix", "Gap", "Held", "Solution", "Target", "Analysis", "analyse", "frac",
    "gaps_to_data", "number_text", "solve", "toward",
]
