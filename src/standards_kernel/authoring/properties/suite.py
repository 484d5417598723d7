"""Running the property suite: the properties by name, one run with its report (a failure shrunk
and returned, never raised), the whole suite, pytest items, and a failure as text."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import hypothesis
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st

from ...errors import KernelError
from ...kernel import model as m
from . import checks  # checks.LAST_DRAWN: see run_property
from .checks import (
    PropertyFailure, prop_canonical_round_trip, prop_determinism, prop_score_bounds, prop_unit_order,
    prop_vetoes_never_raise,
)
from .handles import handles
from .moves import prop_monotonicity

#: The suite: name → (what it claims, the body run on each generated example).
PROPERTIES: dict[str, tuple[str, Callable[[m.Standard, st.DataObject], None]]] = {
    "determinism": ("the same submission gives byte-identical canonical JSON, whatever the caller's decimal context", prop_determinism),
    "unit_order": ("the order schools and townships are listed in never changes the result", prop_unit_order),
    "monotonicity": ("moving an input the better way never lowers a score, points, a met check or the grade", prop_monotonicity),
    "vetoes_never_raise": ("gates and vetoes only lower the grade the score reaches, and applied caps hold", prop_vetoes_never_raise),
    "score_bounds": ("the score, each area's and each item's points lie in [0, max]", prop_score_bounds),
    "canonical_round_trip": ("result, submission and standard content survive canonical JSON unchanged", prop_canonical_round_trip),
    "rules_mean_something": ("no rule that can never fail or never pass, no unreachable points or grade (check's warnings)",
                             lambda standard, data: _lint_clean(standard)),
}


def _lint_clean(standard: m.Standard) -> None:
    """The warnings `check` prints (authoring/lint.py), as a property: the same for every example."""
    from ..lint import lint

    findings = lint(standard)
    if findings:
        raise PropertyFailure("; ".join(f.render() for f in findings))



@attrs.frozen
class PropertyReport:
    name: str
    claim: str
    passed: bool
    examples: int
    message: str = ""
    example: Mapping[str, Any] | None = attrs.field(default=None, repr=False)
    note: str = ""


def run_property(standard: m.Standard, name: str, *, max_examples: int | None = None, seed: int | None = None,
                 quiet: bool = False, database: bool = True, shrink: bool = True) -> PropertyReport:
    """Run one property; a failure is returned (shrunk by hypothesis unless ``shrink`` is off), not raised."""
    claim, body = PROPERTIES[name]
    count = [0]

    # Without a seed and a database, hypothesis seeds its runs from this function's source: keep
    # its text as it is (``checks.LAST_DRAWN`` included), or the examples every derandomized run finds change.
    def test(data: st.DataObject) -> None:
        count[0] += 1
        checks.LAST_DRAWN.clear()
        try:
            body(standard, data)
        except PropertyFailure:
            raise
        except Exception as exc:  # an escaping exception is a finding too: the kernel must never crash
            where = traceback.extract_tb(exc.__traceback__)[-1]
            raise PropertyFailure(f"{type(exc).__name__} escaped the kernel ({Path(where.filename).name}:{where.lineno} "
                                  f"in {where.name}): {exc}", checks.LAST_DRAWN[0] if checks.LAST_DRAWN else None) from None

    options: dict[str, Any] = {
        "deadline": None, "report_multiple_bugs": False, "derandomize": seed is None and not database,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                  HealthCheck.large_base_example],
    }
    if max_examples is not None:
        options["max_examples"] = max_examples
    if quiet:
        options["verbosity"] = Verbosity.quiet
    if not database:
        options["database"] = None
    if not shrink:
        options["phases"] = [hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate]
    runner = settings(**options)(given(st.data())(test))
    if seed is not None:
        runner = hypothesis.seed(seed)(runner)
    note = _note(standard, name)
    try:
        runner()
    except PropertyFailure as failure:
        return PropertyReport(name, claim, False, count[0], str(failure), failure.example, note)
    return PropertyReport(name, claim, True, count[0], note=note)


def _note(standard: m.Standard, name: str) -> str:
    if name != "monotonicity":
        return ""
    moved, uncovered = handles(standard)
    if not moved:
        return "vacuous: no input has a direction"
    fields = {(h.level, h.name) for h in moved}
    every = {(h.level, h.name) for h in moved if h.move != "one"}
    text = f"{len(fields)} inputs moved ({len(every)} in every unit at once: scaled, and shifted per student)"
    if uncovered:
        text += "; not covered: " + "; ".join(f"{u.name} ({u.reason})" for u in uncovered)
    return text


def check_properties(standard: m.Standard, *, names: Iterable[str] | None = None, max_examples: int | None = None,
                     seed: int | None = None, quiet: bool = True, database: bool = False,
                     shrink: bool = True) -> list[PropertyReport]:
    """Run the suite (or the named properties) on ``standard``; one report per property."""
    chosen = list(names) if names is not None else list(PROPERTIES)
    unknown = [n for n in chosen if n not in PROPERTIES]
    if unknown:
        raise KernelError(f"unknown property {unknown[0]!r}", hint="properties: " + ", ".join(PROPERTIES))
    return [run_property(standard, n, max_examples=max_examples, seed=seed, quiet=quiet, database=database,
                         shrink=shrink) for n in chosen]


def load(ref: str | Path | m.Standard) -> m.Standard:
    """A standard by object, path, ``id@edition`` or ``id`` (the only edition, or the latest)."""
    if isinstance(ref, m.Standard):
        return ref
    from ...kernel.registry import default_registry

    registry = default_registry()
    text = str(ref)
    if text.endswith((".toml", ".json")) or Path(text).is_file():
        return registry.load_path(text)
    if "@" in text:
        return registry.get(text)
    editions = [k for k in registry.keys() if k.partition("@")[0] == text]
    if not editions:
        return registry.resolve(text, None)  # raises the registry's own "not found" message
    standards = [registry.get(k) for k in editions]
    return max(standards, key=lambda s: s.effective_from)


def property_tests(ref: str | Path | m.Standard, *, max_examples: int | None = None) -> Callable[..., None]:
    """A pytest test function, parametrized with one item per property of the suite::

        test_properties = property_tests("provinces/lingnan/county-education-2024.toml")
    """
    import pytest

    @pytest.mark.parametrize("property_name", list(PROPERTIES))
    def test_property(property_name: str) -> None:
        standard = load(ref)
        report = run_property(standard, property_name, max_examples=max_examples)
        if not report.passed:
            pytest.fail(format_failure(standard, report), pytrace=False)

    return test_property


def format_failure(standard: m.Standard, report: PropertyReport) -> str:
    """A failed property: the claim, what broke, and the (shrunk) submission as TOML."""
    from ...intake.tables import dump_submission

    lines = [f"{standard.key}: property {report.name} does not hold: {report.claim}", report.message]
    if report.example is not None:
        lines += ["falsifying submission (save it and run standards-kernel evaluate on it):",
                  dump_submission(report.example)]
    return "\n".join(lines)
