"""The property kit: hypothesis strategies for any standard, and a ready property suite.

This package's face: the names below are re-exported from its modules (``ranges``: plausible
values; ``formulas``: signs and degrees; ``generate``: submissions; ``handles``: what monotonicity
moves; ``checks`` and ``moves``: the properties; ``suite``: running them).

``submissions(standard)`` generates valid county submissions from what the standard reads
(:func:`standards_kernel.authoring.template.inputs_read`): each input by its type and unit, within plausible
ranges (per student for school resources, a part never above its whole, rates in [0, 1], panel
points within the item's maximum), with at least one school in every segment the standard looks
at. The data are a county's as a policy team would see them, not law: the ranges only aim to land
on both sides of the standard's limits.

The suite (:data:`PROPERTIES`), for any standard:

``determinism``
    the same submission gives byte-identical canonical JSON, also under another decimal context;
``unit_order``
    the order schools and townships are listed in never changes the result;
``monotonicity``
    moving an input the way the standard calls better never lowers a score, an item's points or
    the grade, never fails a check that was met, and moves every indicator with a direction its
    way. Which way is better for an input follows from the indicators that read it (their
    ``direction``, else a panel item's points, else their check: ``>=`` higher, ``<=`` lower) and
    from the formulas (``books / students`` rises with ``books``, falls with ``students``). A
    difference coefficient penalises dispersion, so raising one school's resource can rightly
    lower a CV item: a school field that feeds a CV is moved by scaling it by the same factor in
    every school (the CV does not change, every school's value improves), never in one school;
    inputs whose direction cannot be told (``students``, a filter, a weight, a field read two
    ways) are listed as not covered, never silently skipped;
``vetoes_never_raise``
    gates and vetoes only ever lower the grade the score reaches, and every applied cap holds;
``score_bounds``
    the score lies in [0, max], each area's points in [0, its max], each item's in [0, its max];
``canonical_round_trip``
    the result's canonical JSON reads back to the same text and numbers, the submission's
    canonical form gives the same hash and result, and the standard's content rebuilds to the
    same hash.

Run it with ``standards-kernel test --properties ID`` or from pytest::

    from standards_kernel.authoring.properties import property_tests
    test_properties = property_tests("lingnan.county-education")   # one pytest item per property
"""

from __future__ import annotations

# Re-exports: the face of the kit (``__all__``, also seen through standards_kernel.testing) and the
# names tests and the command line use by this path.
from .checks import PropertyFailure, evaluate_raw, first_difference  # noqa: F401
from .checks import prop_canonical_round_trip, prop_determinism, prop_score_bounds  # noqa: F401
from .checks import prop_unit_order, prop_vetoes_never_raise  # noqa: F401
from .formulas import degree_in, implied_direction, sign_in  # noqa: F401
from .generate import KIND_SEGMENTS, PLAIN_KIND, example_submission, submissions  # noqa: F401
from .handles import Handle, Uncovered, handles  # noqa: F401
from .moves import SCALE_TOLERANCE, apply_move, compare_monotone, prop_monotonicity  # noqa: F401
from .ranges import BY_TYPE, PLAUSIBLE, STEPS, Range, plausible_range  # noqa: F401
from .suite import PROPERTIES, PropertyReport, check_properties, format_failure, load  # noqa: F401
from .suite import property_tests, run_property  # noqa: F401

__all__ = [
    "PROPERTIES", "Handle", "PropertyFailure", "PropertyReport", "Uncovered", "check_properties",
    "example_submission", "handles", "property_tests", "submissions",
]
