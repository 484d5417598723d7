"""The Python API (interfaces/python.py, re-exported by the face): docs/python-api.md runs as
written, every field documents itself, errors speak Python, batches report progress."""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import io
import pydoc
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import standards_kernel
from standards_kernel import (
    Assessment,
    KernelError,
    assess,
    assess_many,
    evaluate,
    load_standard,
    read_submission,
)
from standards_kernel.errors import StandardNotFound, SubmissionError
from standards_kernel.interfaces.python import Rule, UnknownName
from standards_kernel.kernel.evaluate import Evaluation
from standards_kernel.kernel.evaluate import evaluate as kernel_evaluate
from standards_kernel.kernel.registry import Plugin, Registry
from tests.helpers import FIXTURES, ROOT, YUANJIANG
from tests.helpers.plugins import make_plugin, tiny_standard

DOC = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```(python|output)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
#: What a Python caller must never be told: the command line's flags.
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def doc_blocks() -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in BLOCK.findall(DOC.read_text("utf-8"))]


@pytest.fixture(scope="module")
def yuanjiang() -> Assessment:
    return assess(YUANJIANG)


def test_every_python_block_of_the_doc_runs_and_prints_what_the_doc_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the doc runs from the root of a checkout
    blocks = doc_blocks()
    assert [kind for kind, _ in blocks].count("python") >= 8
    namespace: dict[str, Any] = {"__name__": "python_api_doc"}
    printed: str | None = None
    compared = 0
    for number, (kind, body) in enumerate(blocks):
        if kind == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(body, f"{DOC.name} block {number}", "exec"), namespace)  # noqa: S102 - our own doc
            printed = out.getvalue()
        else:
            assert printed is not None, f"output block {number} follows no python block"
            assert printed == body, f"block {number}: the doc shows\n{body}\nthe code prints\n{printed}"
            printed = None
            compared += 1
    assert compared >= 8


def test_the_doc_shows_yuanjiang_qualified_at_91_5_the_d_class_veto_its_trace_and_a_gap() -> None:
    text = DOC.read_text("utf-8")
    outputs = "\n".join(body for kind, body in doc_blocks() if kind == "output")
    assert "grade=qualified score=91.5/100" in outputs
    assert "<veto d_class_buildings: triggered, applied>" in outputs
    assert "check <= d_class_limit = 0.03: NOT met" in outputs  # the explain text
    assert "vetoes.d_class_buildings veto data" in outputs  # a gap
    assert "assess_many" in text and "progress(done, total)" in text


def test_readme_links_the_doc() -> None:
    assert "docs/python-api.md" in (ROOT / "README.md").read_text("utf-8")


def test_the_face_exports_the_api_lazily() -> None:
    for name in ("assess", "assess_many", "Assessment", "evaluate"):
        assert name in standards_kernel.__all__ and name in dir(standards_kernel)
    assert standards_kernel.assess is assess and standards_kernel.evaluate is evaluate


def test_assessment_reads_the_decision(yuanjiang: Assessment) -> None:
    ev = yuanjiang.evaluation
    assert (yuanjiang.grade, str(yuanjiang.score), yuanjiang.grade_by_score) == ("qualified", "91.5", "advanced")
    assert yuanjiang.county == "元江哈尼族彝族傣族自治县" and yuanjiang.standard == "yunnan.county-education@2009"
    assert yuanjiang.as_of == dt.date(2009, 5, 13) and yuanjiang.grade_label == "教育工作合格县"
    assert set(yuanjiang.gates) | set(yuanjiang.vetoes) == set(ev.rules)
    assert all(g.kind == "gate" for g in yuanjiang.gates.values()) and all(v.kind == "veto" for v in yuanjiang.vetoes.values())
    veto = yuanjiang.vetoes["d_class_buildings"]
    assert (veto.triggered, veto.applied, str(veto.limit), veto.effect, veto.grade) == (True, True, "0.03", "cap", "qualified")
    assert veto.value == yuanjiang.value(veto.indicator)
    assert [r.id for r in yuanjiang.lowered_by] == ["d_class_buildings"]
    assert yuanjiang.gaps() == yuanjiang.decision.gaps and yuanjiang.next_grade().target == "advanced"
    assert yuanjiang.to_json() == standards_kernel.decide(ev.submission, ev.standard).to_json()


def test_value_and_explain_of_every_indicator(yuanjiang: Assessment) -> None:
    units_read = 0
    for iid, result in yuanjiang.evaluation.indicators.items():
        value = yuanjiang.value(iid)
        if result.county is not None:
            assert value == result.county.value
        else:
            assert value == {u: r.value for u, r in result.units.items()}
            for unit in sorted(value)[:2]:
                assert yuanjiang.value(iid, unit) == value[unit]
                assert f"  {unit}: " in yuanjiang.explain(iid, unit)
                units_read += 1
        assert yuanjiang.explain(iid).startswith(iid)
    assert units_read  # Yuanjiang's townships
    for what in ("score", "grade", "areas.funding", "gates.junior_dropout", "vetoes.d_class_buildings"):
        assert yuanjiang.explain(what)
    with pytest.raises(UnknownName, match="no indicator, gate, veto or area 'vetoes.junior_dropout'"):
        yuanjiang.explain("vetoes.junior_dropout")  # a gate, not a veto
    with pytest.raises(KeyError, match="no unit of school_junior_dropout_rate 'nowhere'"):
        yuanjiang.value("school_junior_dropout_rate", "nowhere")


def test_help_documents_every_field_and_method() -> None:
    for cls in (Assessment, Rule):
        page = pydoc.render_doc(cls, renderer=pydoc.plaintext)
        fields = attrs.fields_dict(cls)
        for name in fields:  # fields: described in the class docstring, which help() shows first
            assert re.search(rf"``{name}``: \S", inspect.getdoc(cls) or ""), f"{cls.__name__}.{name} has no doc"
        members = [n for n, _ in inspect.getmembers(cls) if not n.startswith("_") and n not in fields]
        assert members
        for name in members:
            doc = inspect.getdoc(getattr(cls, name))
            assert doc and doc.splitlines()[0] in page, f"{cls.__name__}.{name} has no docstring"


def test_repr_is_one_short_line(yuanjiang: Assessment) -> None:
    text = repr(yuanjiang)
    assert "\n" not in text and len(text) < 160
    assert text == "<Assessment 元江哈尼族彝族傣族自治县 yunnan.county-education@2009 grade=qualified score=91.5/100>"
    assert repr(yuanjiang.vetoes["d_class_buildings"]) == "<veto d_class_buildings: triggered, applied>"


def test_reports_in_both_languages(yuanjiang: Assessment) -> None:
    assert "等级：教育工作合格县" in yuanjiang.to_text() and "Grade: qualified" in yuanjiang.to_text(lang="en")
    assert yuanjiang.to_html().startswith("<!DOCTYPE html>") and 'lang="en"' in yuanjiang.to_html(lang="en")
    with pytest.raises(ValueError, match="lang is 'zh' or 'en', not 'fr'"):
        yuanjiang.to_text(lang="fr")


def test_every_way_of_naming_the_submission_and_the_standard_gives_the_same_bytes(yuanjiang: Assessment) -> None:
    submission = read_submission(YUANJIANG)
    standard = load_standard("yunnan.county-education", as_of=submission.as_of)
    from standards_kernel.kernel.formats import load_text

    data = load_text(YUANJIANG.read_text("utf-8"), fmt="toml", file=str(YUANJIANG), error=SubmissionError)
    ways = [assess(str(YUANJIANG)), assess(submission), assess(data), assess(submission, standard),
            assess(submission, "yunnan.county-education@2009"), assess(submission, as_of="2009-05-13"),
            assess(submission, "yunnan.county-education", dt.date(2009, 5, 13)),
            assess(submission, ROOT / "provinces" / "yunnan" / "county-education-2009.toml"),
            assess(kernel_evaluate(submission, standard)), assess(yuanjiang.decision)]
    assert {way.to_json() for way in ways} == {yuanjiang.to_json()}


def test_evaluate_keeps_the_kernels_signature_and_result() -> None:
    submission = read_submission(YUANJIANG)
    standard = load_standard("yunnan.county-education", as_of=submission.as_of)
    old = kernel_evaluate(submission, standard, submission.as_of)
    for new in (evaluate(submission, standard, submission.as_of), evaluate(submission), evaluate(YUANJIANG),
                evaluate(submission, "yunnan.county-education")):
        assert type(new) is Evaluation
        assert standards_kernel.to_json(new) == standards_kernel.to_json(old)
    overridden = evaluate(submission, standard, overrides={("d_class_ratio", None): 0})
    assert overridden.grade == "advanced"


def python_errors(tmp_path: Path) -> list[KernelError | TypeError]:
    """Every error of the Python path that could have named a flag."""
    submission = read_submission(YUANJIANG)
    standard = load_standard("yunnan.county-education", as_of=submission.as_of)
    several = Registry([Plugin("t", make_plugin("t", [
        tiny_standard(edition="2012", start=dt.date(2012, 1, 20), until=dt.date(2017, 12, 4)),
        tiny_standard(edition="2017", start=dt.date(2017, 12, 5))]))])
    attempts = [
        lambda: assess(attrs.evolve(submission, as_of=None)),
        lambda: evaluate(attrs.evolve(submission, as_of=None), standard),
        lambda: assess(attrs.evolve(submission, standard=None)),
        lambda: assess(submission, standard, as_of=dt.date(2020, 1, 1)),
        lambda: evaluate(submission, standard, dt.date(2020, 1, 1)),
        lambda: assess(submission, "no.such-standard"),
        lambda: assess(submission, as_of="13 May 2009"),
        lambda: assess(42),  # type: ignore[arg-type]
        lambda: assess(tmp_path / "missing.toml"),
        lambda: several.resolve("test.tiny", None),
        lambda: assess(kernel_evaluate(submission, standard), standard),
    ]
    errors: list[KernelError | TypeError] = []
    for attempt in attempts:
        with pytest.raises((KernelError, TypeError)) as caught:
            attempt()
        errors.append(caught.value)
    return errors


def test_errors_raised_to_python_name_no_command_line_flag(tmp_path: Path) -> None:
    errors = python_errors(tmp_path)
    for error in errors:
        assert not FLAG.search(str(error)), str(error)
    texts = [str(e) for e in errors]
    assert texts[0].endswith("evaluation.as_of: no evaluation date (give as_of=… (a datetime.date), "
                             "or evaluation.as_of in the submission)")
    assert "give standard=…" in texts[2] and "in force from 2006-01-01" in texts[3]
    assert "as_of='13 May 2009' is not a date" in texts[6]
    assert "give the evaluation date (as_of, or evaluation.as_of in the submission)" in texts[9]
    assert isinstance(errors[1], SubmissionError) and isinstance(errors[5], StandardNotFound)


def test_assess_many_reports_progress_in_order() -> None:
    files = sorted((FIXTURES / "counties" / "henan").glob("*.toml"))
    calls: list[tuple[int, int]] = []
    done = assess_many(iter(files), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, len(files)) for i in range(len(files) + 1)]
    assert [a.to_json() for a in done] == [assess(f).to_json() for f in files]
    assert assess_many([], progress=lambda d, t: calls.append((d, t))) == [] and calls[-1] == (0, 0)


def test_assess_many_with_one_pinned_standard() -> None:
    files = sorted((FIXTURES / "counties" / "gansu").glob("*.toml"))
    first = read_submission(files[0])
    pinned = assess_many(files, f"{first.standard}@{assess(first).evaluation.standard.edition}")
    assert [a.grade for a in pinned] == [assess(f).grade for f in files]


def test_assess_many_stops_at_the_first_bad_submission_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[county\n", "utf-8")
    with pytest.raises(SubmissionError, match="bad.toml"):
        assess_many([YUANJIANG, bad])


@pytest.mark.parametrize("call", [assess, evaluate], ids=["assess", "evaluate"])
@pytest.mark.parametrize("as_data", [False, True], ids=["file", "data"])
def test_every_invalid_value_is_listed_at_once_never_evaluated(tmp_path: Path, call: Any, as_data: bool) -> None:
    text = YUANJIANG.read_text("utf-8")
    assert text.count("building_area_m2 = 281209") == 1 and text.count("dilapidated_d_area_m2 = 45584") == 1
    text = text.replace("building_area_m2 = 281209", "building_area_m2 = -1").replace(
        "dilapidated_d_area_m2 = 45584", 'dilapidated_d_area_m2 = "many"')
    bad = tmp_path / "yuanjiang-bad.toml"
    bad.write_text(text, "utf-8")
    from standards_kernel.kernel.formats import load_text

    given = load_text(text, fmt="toml", file=str(bad), error=SubmissionError) if as_data else bad
    with pytest.raises(SubmissionError) as caught:
        call(given)
    message = str(caught.value)
    assert "totals.building_area_m2" in message and "totals.dilapidated_d_area_m2" in message


@settings(max_examples=20, deadline=None)
@given(st.dates(min_value=dt.date(2006, 1, 1), max_value=dt.date(2018, 12, 31)))
def test_a_date_given_as_text_or_date_decides_alike(day: dt.date) -> None:
    submission = read_submission(YUANJIANG)
    as_text = evaluate(submission, as_of=day.isoformat())
    as_date = evaluate(submission, as_of=day)
    assert (as_text.as_of, as_text.grade, as_text.score) == (day, as_date.grade, as_date.score)
