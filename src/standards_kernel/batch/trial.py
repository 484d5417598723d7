"""A trial run for `check`: does a standard that loads also evaluate?

Loading proves the file is well formed; it cannot prove that every formula yields a number for real
data (a constant ``1/0``, ``sqrt(0 - 1)``, text added to a number, a grade threshold given as text).
Those surface only at evaluation, in front of a county. `check` therefore evaluates the standard on a
few synthetic counties (batch/synth: invented data that fills every input the standard reads) and
reports the first error each distinct problem gives, named by the standard's key path.
"""

from __future__ import annotations

import datetime as dt

import attrs

from ..errors import KernelError
from ..kernel.evaluate import evaluate
from ..kernel.model import Standard
from ..kernel.submission import submission_from_data
from .synth import generate

#: How many synthetic counties a trial evaluates (different seeds reach different branches).
COUNTIES = 3


@attrs.frozen
class TrialProblem:
    """An error the standard gave on a synthetic county, or why no county could be made for it."""

    message: str
    county: str
    generated: bool  # False: the generator itself could not build a county (a warning, not a failure)


def trial(standard: Standard, *, as_of: dt.date | None = None, counties: int = COUNTIES) -> list[TrialProblem]:
    """Evaluate ``standard`` on synthetic counties; the distinct errors it gives (empty: it evaluates)."""
    problems: dict[str, TrialProblem] = {}
    try:
        made = list(generate(standard, counties, 6, seed=20240630, as_of=as_of, standard_ref=standard.key))
    except KernelError as error:
        return [TrialProblem(f"no synthetic county could be made to try it on: {error}", "", False)]
    except (ArithmeticError, ValueError, TypeError, LookupError) as error:
        # The generator solves the standard's own formulas: a formula that cannot be computed may stop
        # it before the kernel is reached. Named, not raised: the evaluation below is the judge.
        return [TrialProblem(f"no synthetic county could be made to try it on "
                             f"({type(error).__name__}: {error})", "", False)]
    for number, data in enumerate(made):
        county = str(data.get("county", {}).get("name", number))
        try:
            evaluate(submission_from_data(data, file=f"<synthetic county {number}>"), standard, as_of=as_of)
        except KernelError as error:
            text = error.message + (f" ({error.hint})" if error.hint else "")
            where = f"{error.path}: " if error.path else ""
            problems.setdefault(where + text, TrialProblem(where + text, county, True))
    return list(problems.values())
