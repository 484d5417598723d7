"""synth: deterministic, valid for every standard it is given (the synthetic test standard and
every installed standard), with spreads: some counties fail gates, some trigger vetoes, some pass."""

from __future__ import annotations

import io
import json
from collections import Counter
from decimal import Decimal

import pytest

from standards_kernel.interfaces import cli
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.kernel.formats import content_json
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import submission_from_data
from standards_kernel.batch.synth import Synthesizer, default_as_of, generate, ordered_names, spread, write_ndjson
from tests.helpers import DATA

SYNTHETIC = DATA / "standards" / "synthetic.toml"


def installed() -> list:
    standards, problems = default_registry().load_all()
    assert standards, problems
    return standards


def outcomes(standard, counties: int, schools: int, seed: int = 1):
    """Evaluate what synth makes, through its JSON text (as a batch would read it)."""
    found = []
    for data in generate(standard, counties, schools, seed):
        raw = json.loads(content_json(data), parse_float=Decimal)
        found.append(evaluate(submission_from_data(raw, file=data["county"]["code"]), standard))
    return found


def test_same_seed_same_bytes_other_seed_other_bytes():
    standard = load_standard_file(SYNTHETIC)

    def text(seed: int) -> str:
        stream = io.StringIO()
        write_ndjson(stream, generate(standard, 5, 7, seed))
        return stream.getvalue()

    assert text(3) == text(3)
    assert text(3) != text(4)
    assert len(text(3).splitlines()) == 5


def test_counties_have_the_schools_asked_for_and_distinct_codes():
    standard = load_standard_file(SYNTHETIC)
    made = list(generate(standard, 4, 9, 2))
    assert [len(c["schools"]) for c in made] == [9, 9, 9, 9]
    assert len({c["county"]["code"] for c in made}) == 4
    assert all(len({s["id"] for s in c["schools"]}) == 9 for c in made)


def test_synthetic_standard_spreads():
    standard = load_standard_file(SYNTHETIC)
    found = outcomes(standard, 60, 8)
    grades = Counter(e.grade for e in found)
    assert set(grades) == {"top", "pass", "fail"}
    triggered = Counter(r.rule.id for e in found for r in e.rules.values() if r.failed)
    assert triggered["d_class"] > 0 and triggered["exam"] > 0 and triggered["schools"] > 0
    # the school-level 2-of-3 rule fails in some counties only, and then for a few schools
    failing = [e.indicators["school_ok"].failed_units for e in found if e.indicators["school_ok"].failed_units]
    assert 0 < len(failing) < 60 and max(len(f) for f in failing) <= 3


@pytest.mark.parametrize("standard", installed(), ids=lambda s: s.key)
def test_every_installed_standard_gets_valid_counties_with_spreads(standard):
    found = outcomes(standard, 30, 14)  # raises on any submission the kernel refuses
    best = standard.grades[0].id
    assert any(e.grade == best for e in found), "some counties pass"
    assert len({e.grade for e in found}) >= 2
    if any(r.kind == "veto" and r.effect != "none" for r in standard.rules.values()):
        assert any(r.failed for e in found for r in e.rules.values() if r.rule.kind == "veto")
    if any(r.kind == "gate" for r in standard.rules.values()):
        assert any(r.failed for e in found for r in e.rules.values() if r.rule.kind == "gate")


def test_difference_coefficients_land_on_both_sides_of_the_limit():
    standard = default_registry().get("national.basic-balance@2012")
    found = outcomes(standard, 30, 30, seed=4)
    composite = [e.indicators["composite_cv_primary"].county for e in found]
    above = [r for r in composite if not r.met]
    assert 0 < len(above) < len(composite) // 2
    assert all(Decimal("0.1") < r.value < Decimal("2") for r in composite)


def test_generated_counties_name_their_standard_and_date():
    standard = default_registry().get("national.basic-balance@2017")
    (county,) = generate(standard, 1, 3, 1, standard_ref="national.basic-balance")
    assert county["evaluation"] == {"as_of": default_as_of(standard).isoformat(), "stage": "self",
                                    "standard": "national.basic-balance"}
    assert standard.in_force(default_as_of(standard))


def test_reads_the_inputs_the_standard_reads():
    synth = Synthesizer(load_standard_file(SYNTHETIC), default_as_of(load_standard_file(SYNTHETIC)), 1)
    assert {"books", "teaching_aux_area_m2", "computers"} <= set(synth.unit_fields["school"])
    assert {"satisfaction_satisfied", "satisfaction_surveyed", "events.exam_admission",
            "totals.dilapidated_d_area_m2", "panel_scores.government"} <= set(synth.county_inputs)
    assert not {"students", "kind", "id"} & set(synth.unit_fields["school"])  # always made


def test_formula_names_in_text_order():
    standard = load_standard_file(SYNTHETIC)
    assert ordered_names(standard.indicators["satisfaction"].formula) == ["satisfaction_satisfied", "satisfaction_surveyed"]
    assert ordered_names(standard.units["primary"].where) == ["kind", "students"]


def test_spread_has_mean_one_and_the_asked_variation():
    import random

    rng = random.Random("t")
    draws = [spread(rng, Decimal("0.4")) for _ in range(4000)]
    mean = sum(draws) / len(draws)
    sd = (sum((d - mean) ** 2 for d in draws) / len(draws)).sqrt()
    assert abs(mean - 1) < Decimal("0.03") and abs(sd / mean - Decimal("0.4")) < Decimal("0.05")


def test_cli_writes_ndjson_to_stdout_and_refuses_dir_without_out(capsys, tmp_path):
    args = ["synth", "--counties", "2", "--schools-per-county", "3", "--seed", "9", "--standard", str(SYNTHETIC)]
    assert cli.main(args) == 0
    first = capsys.readouterr().out
    assert cli.main(args) == 0
    assert capsys.readouterr().out == first and len(first.splitlines()) == 2
    assert cli.main(args + ["--format", "dir"]) == 2
    assert "--out" in capsys.readouterr().err
    assert cli.main(args + ["--format", "csv", "--out", str(tmp_path / "t")]) == 0
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["counties.counties.csv", "schools.csv"]
