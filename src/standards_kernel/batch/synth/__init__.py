"""Synthetic county submissions for any standard: deterministic, valid, with realistic spreads.

For benchmarks and demos only: every number here is invented. The generator reads the standard
(which inputs and school fields its indicators read, with their vocabulary types; the checks with
their limits in force on the date; panel maxima; levels; gates and vetoes) and builds counties:

1. a plan per county: how good its panel is, which gates fail and which vetoes trigger (about a
   quarter of counties fail a gate, about one in eight triggers a veto), whether each scored check
   is met;
2. schools of the usual kinds (primary, teaching points, junior, nine-year, complete middle) with
   enrolments, and every field the standard reads at a plausible per-student level (the table
   ``TYPICAL`` below, invented), townships when the standard reads them;
3. targets pushed down the indicator tree: a check to meet lands a little inside its limit, one to
   fail a little outside; a composite passes its target to its parts; a difference coefficient
   becomes the spread of the per-school values; ``all_met`` / ``share_met`` / ``k_of_n`` choose the
   schools that fail; and each target is reached by solving the indicator's formula for one of
   its inputs (students and school kinds are never changed).

The kernel stays the judge: a target is an aim, and what the evaluation finds is what counts.
Randomness comes from ``random.Random`` seeded with text (the same on every platform) and drawn as
integers; the noise is computed in Decimal, so the same seed gives the same bytes everywhere.

The modules, one job each: ``draws`` (random numbers in Decimal), ``typical`` (invented levels),
``solving`` (views of a unit, solving a formula for an input), ``plan`` (one county's plan and
targets), ``units`` (schools and townships), ``reach`` (unit fields that reach the targets),
``county_inputs`` (the county's own data), ``synthesizer`` (a standard's synthesizer and
:func:`generate`), ``writing`` (NDJSON, folders, CSV).
"""

from __future__ import annotations

# Re-exports: the names the command line, benchmarks and tests use by this path.
from .draws import chance, meets, normal, quantize, spread, uniform  # noqa: F401
from .solving import Target, View, field_for, in_set, nudge, ordered_names, solve  # noqa: F401
from .solving import unit_indicator_value, view_key  # noqa: F401
from .synthesizer import Synthesizer, default_as_of, generate  # noqa: F401
from .typical import BY_TYPE, KINDS, NUMERIC, TYPICAL  # noqa: F401
from .writing import write_csv, write_directory, write_ndjson  # noqa: F401

__all__ = [
    "Synthesizer", "default_as_of", "generate", "ordered_names", "spread",
    "write_csv", "write_directory", "write_ndjson",
]
