"""compare: county by county, grade moves, new and cleared vetoes and gates, counties in one file
only, failed inputs, a torn last line, two editions with different grades."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from standards_kernel.interfaces import cli
from standards_kernel.batch.run import Config, run_batch
from standards_kernel.batch.compare import CompareError, compare, render_text
from standards_kernel.kernel.formats import content_json
from tests.helpers import DATA, synthetic_county

SYNTHETIC = str(DATA / "standards" / "synthetic.toml")


def county(code: str, **data) -> dict:
    made = synthetic_county()
    made["county"]["code"] = code
    made["data"].update(data)
    return made


def results(tmp_path: Path, name: str, counties: list[dict], standard: str = SYNTHETIC) -> Path:
    feed = tmp_path / f"{name}.ndjson"
    feed.write_text("".join(content_json(c) + "\n" for c in counties), "utf-8")
    out = tmp_path / f"{name}.results.ndjson"
    run_batch([str(feed)], out, Config(standard=standard, as_of=None), jobs=1)
    return out


@pytest.fixture
def two_years(tmp_path) -> tuple[Path, Path]:
    low_panel = {"panel_scores": {"government": 0}, "levels": {"mechanism": "absent"}}
    a = [county("001"), county("002", **low_panel), county("003"), county("004")]
    b = [county("001", events={"exam_admission": True}), county("002"), county("003"), county("005")]
    broken = copy.deepcopy(b[2])
    broken["schools"][0]["books"] = -1
    b[2] = broken
    return results(tmp_path, "a", a), results(tmp_path, "b", b)


def test_moves_vetoes_and_counties_in_one_file_only(two_years):
    comparison = compare(*two_years)
    by_key = {c.key: c for c in comparison.changes}
    assert by_key["001"].move == "down" and by_key["001"].new_vetoes == ("exam",)
    assert (by_key["001"].before.grade, by_key["001"].after.grade) == ("top", "fail")
    assert by_key["002"].move == "up" and by_key["002"].before.grade == "pass"
    assert [c.key for c in comparison.only_a] == ["004"]
    assert [c.key for c in comparison.only_b] == ["005"]
    failed = by_key["003"]
    assert failed.move is None and failed.before.ok and not failed.after.ok
    assert comparison.count("up") == 1 and comparison.count("down") == 1


def test_text_report(two_years):
    text = "\n".join(render_text(compare(*two_years)))
    assert "2 counties in both: 1 up, 1 down, 0 changed scale, 0 same grade" in text
    assert "001 测试县: top → fail (down); score" in text and "new vetoes: exam" in text
    assert "only in A:\n  004 测试县: top" in text
    assert "failed in A or B:" in text and "must not be negative" in text


def test_cleared_veto_and_unchanged_counties(tmp_path):
    a = results(tmp_path, "a", [county("001", events={"exam_admission": True}), county("002")])
    b = results(tmp_path, "b", [county("001"), county("002")])
    comparison = compare(a, b)
    first, second = comparison.changes
    assert first.cleared_vetoes == ("exam",) and first.move == "up"
    assert second.move == "same" and not second.new_vetoes
    assert "002" not in "\n".join(render_text(comparison))
    assert "002 测试县: top" in "\n".join(render_text(comparison, show_all=True))


def test_two_standards_with_other_grades_are_changed_not_up_or_down(tmp_path):
    other = tmp_path / "other.toml"
    text = Path(SYNTHETIC).read_text("utf-8").replace('edition = "1"', 'edition = "2"')
    other.write_text(text.replace('id = "top"', 'id = "excellent"').replace('grade = "top"', 'grade = "excellent"'), "utf-8")
    a = results(tmp_path, "a", [county("001")])
    b = results(tmp_path, "b", [county("001")], standard=str(other))
    (change,) = compare(a, b).changes
    assert change.move == "changed" and (change.before.grade, change.after.grade) == ("top", "excellent")


def test_torn_line_is_ignored_and_said(two_years, tmp_path):
    a, b = two_years
    torn = tmp_path / "torn.ndjson"
    torn.write_bytes(b.read_bytes() + b'{"index":4,"inp')
    comparison = compare(a, torn)
    assert comparison.torn == (str(torn),)
    assert "is incomplete and was ignored" in "\n".join(render_text(comparison))


def test_unreadable_files(tmp_path, two_years):
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"ok": true}\n', "utf-8")
    with pytest.raises(CompareError, match="not a results line") as raised:
        compare(two_years[0], bad)
    assert raised.value.line == 1
    twice = tmp_path / "twice.ndjson"
    twice.write_bytes(two_years[0].read_bytes() * 2)
    with pytest.raises(CompareError, match="county 001 appears twice"):
        compare(twice, two_years[1])
    with pytest.raises(CompareError, match="cannot read"):
        compare(tmp_path / "missing.ndjson", two_years[1])


def test_cli_json_and_errors(two_years, capsys, tmp_path):
    assert cli.main(["compare", str(two_years[0]), str(two_years[1]), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"up": 1, "down": 1, "changed": 0, "same": 0}
    first = next(c for c in data["counties"] if c["county"] == "001")
    assert first["before"]["grade"] == "top" and first["after"]["vetoes"] == ["exam"]
    assert cli.main(["compare", str(two_years[0]), str(tmp_path / "missing.ndjson")]) == 2
    assert "cannot read the results" in capsys.readouterr().err
