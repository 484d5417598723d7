"""One language at a time: every built-in fixture, in both languages, text and HTML, shows no
machine id and no word of the other language outside what it quotes (sources, clauses, the
county's own names)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from standards_kernel import load_standard, read_submission
from standards_kernel.audit.decision import decide
from standards_kernel.reporting.html import evaluation_html
from standards_kernel.reporting.text import render_text
from tests.helpers import FIXTURES

COUNTIES = sorted((FIXTURES / "counties").rglob("*.toml"))
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z][A-Za-z_-]+")
HEX = re.compile(r"\b[0-9a-f]{12,64}\b")
#: Latin text a Chinese report may carry: the program's name, hash names, units, the version.
LATIN_OK = ("standards-kernel", "SHA-256", "sha256", "m²")


INLINE = {"span", "q", "cite", "strong", "code", "em", "b", "a"}


class Visible(HTMLParser):
    """The text a reader sees: no style sheet, no SVG <title> tooltips' duplicates matter."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag in ("style", "title"):
            self._skip += 1
        elif tag not in INLINE:
            self.parts.append(" ")  # a block starts: words on either side are apart

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in ("style", "title"):
            self._skip -= 1
        elif tag not in INLINE:
            self.parts.append(" ")

    def handle_data(self, data):  # noqa: ANN001
        if not self._skip:
            self.parts.append(data)


def quoted(result: dict[str, Any]) -> list[str]:
    """What a report quotes as it is: the county's and units' names and ids, the sources and the
    clauses cited, hashes and the standard's key (the header's identifier)."""
    found = [result["county"].get("name", ""), result["county"].get("code", "")]
    std = result["standard"]
    found.append(f"{std['id']}@{std['edition']}")
    found.extend(str(v) for v in (std.get("title") or {}).values())
    found.extend(str(v) for g in result.get("grades", ()) for v in g.get("label", {}).values())
    for source in result.get("sources", {}).values():
        found.extend(str(source.get(k, "")) for k in ("title", "issuer", "number", "address", "date"))
    # The standard's own texts (labels and notes) are its authors' words: a test of the data, not
    # of the report (tests/reporting/test_standard_words.py holds the Yunnan standard to both).
    for table in ("vetoes", "gates", "indicators", "parameters", "areas"):
        for entry in result.get(table, {}).values():
            found.extend(str(entry.get(k, "")) for k in ("locator", "text", "note", "note_en"))
            found.extend(str(v) for v in (entry.get("label") or {}).values())
            found.extend(entry.get("units", {}) or ())
            found.extend(entry.get("failed_units", ()) or ())
    for gap in result.get("gaps", ()):
        for target in gap.get("targets", ()):
            found.extend(_units(target))
    return sorted({f for f in found if f}, key=len, reverse=True)


def _units(target: dict[str, Any]) -> list[str]:
    found = [str(target["unit"])] if target.get("unit") else []
    for key in ("parts", "floor"):
        for part in target.get(key, ()) or ():
            found.extend(_units(part))
    for fix in target.get("fixes", ()):
        if fix.get("unit"):
            found.append(str(fix["unit"]))
    for row in target.get("detail", {}).get("contributors", ()) if isinstance(target.get("detail"), dict) else ():
        found.append(str(row.get("unit", "")))
    return found


def known_ids(result: dict[str, Any], lang: str) -> set[str]:
    """Indicator, rule, grade and stage ids; in English, those that are not also plain words of
    a label (a grade ``qualified`` labelled "qualified county")."""
    ids = set(result.get("indicators", {})) | set(result.get("vetoes", {})) | set(result.get("gates", {}))
    ids |= {g["id"] for g in result.get("grades", ())} | set(result.get("inputs", {}))  # a standard's own inputs
    if result.get("stage"):
        ids.add(result["stage"])
    if lang == "en":
        words = set()
        for table in ("indicators", "vetoes", "gates", "parameters", "areas"):
            for entry in result.get(table, {}).values():
                words |= set(WORD.findall(entry.get("label", {}).get("en", "")))
        words |= {w for g in result.get("grades", ()) for w in WORD.findall(g["label"].get("en", ""))}
        words |= {"provincial", "national"}  # the English stage words
        ids = {i for i in ids if i not in words}
    return ids


def leaks(shown: str, result: dict[str, Any], lang: str) -> list[str]:
    for text in quoted(result):
        shown = shown.replace(text, " ")
    shown = HEX.sub(" ", shown)
    for text in LATIN_OK:
        shown = shown.replace(text, " ")
    found = [i for i in known_ids(result, lang) if re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w-])", shown)]
    if lang == "zh":
        found += [w for w in WORD.findall(shown) if not re.fullmatch(r"[A-Z]\d*", w)]
    else:
        found += [line.strip()[:80] for line in shown.splitlines() if CJK.search(line)]
    return sorted(set(found))


@pytest.fixture(scope="module")
def decisions():
    out = []
    for path in COUNTIES:
        sub = read_submission(path)
        out.append((path, decide(sub, load_standard(sub.standard, sub.as_of))))
    return out


def test_there_are_fixtures_of_every_jurisdiction(decisions):
    assert len(decisions) >= 20
    assert {p.parent.name for p, _ in decisions} >= {"yunnan", "gansu", "guizhou", "henan", "national"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_id_and_no_foreign_word_in_any_report(decisions, lang):
    problems = {}
    for path, decision in decisions:
        result = decision.document()
        text = render_text(decision, lang)
        page = "".join(Visible(evaluation_html(decision, lang=lang)).parts)
        for kind, shown in (("text", text), ("html", page)):
            found = leaks(shown, result, lang)
            if found:
                problems[f"{path.parent.name}/{path.name} {kind}"] = found[:6]
    assert problems == {}


def test_the_check_catches_a_leak(decisions):
    """The test is not blind: an id, an English word in Chinese and Chinese in English are caught."""
    _, decision = next((p, d) for p, d in decisions if p.name == "yuanjiang-2009.toml")
    result = decision.document()
    assert leaks("等级 qualified", result, "zh") == ["qualified"]
    assert leaks("D级危房 d_class_ratio", result, "zh") == ["d_class_ratio"]
    assert leaks("Grade: 合格", result, "en") == ["Grade: 合格"]
    assert leaks("quoted: " + result["vetoes"]["d_class_buildings"]["text"], result, "en") == []


def test_ids_appear_when_asked_for(decisions):
    _, decision = next((p, d) for p, d in decisions if p.name == "yuanjiang-2009.toml")
    assert "d_class_buildings" in render_text(decision, "zh", show_ids=True)
    assert "d_class_buildings" in evaluation_html(decision, lang="en", show_ids=True)
    assert "d_class_buildings" not in render_text(decision, "zh")


def test_the_law_beside_every_rule_and_the_assumed_mark_on_its_line(decisions):
    _, decision = next((p, d) for p, d in decisions if p.name == "yuanjiang-2009.toml")
    result = decision.document()
    assert result["vetoes"]["d_class_buildings"]["text"] == "涉及“教育工作先进县”一票否决的要素（主要是d级危房严重超标）"
    page = evaluation_html(decision)
    rules = page[page.index('id="rules"'): page.index('id="indicators"')]
    assert rules.count("<tr>") - 1 == rules.count('<span class="what">依据</span>') == 4  # 1 veto + 3 gates
    # the quoted phrase is marked inside the clause that holds it, or quoted beside the clause
    assert '<span class="law">d级危房比例不得高于3%</span>' in rules and "有旁证" in rules
    assert '第7篇 一、三</span> <q class="law">个别初中学校的辍学率已大大超过3%的指标要求</q>' in rules
    text = render_text(decision, "en")
    assert "basis of the limit: [1] 第7篇 一、“一是危房偏高”: 关于d级危房比例不得高于3%的要求 (corroborated)" in text
    assert "basis: [1] 第7篇 一、三 “个别初中学校的辍学率已大大超过3%的指标要求” (corroborated)" in text
    assert "[1] 乡镇教育工作报告赏析八篇" in text  # the list the numbers refer to
    panel = next(line for line in text.splitlines() if "Panel points: funding:" in line)
    assert panel.endswith("[assumed]")  # the area and its points are assumed: said on the line itself
    assert "[assumed] The grade cut-offs are assumed: Score needed for the advanced grade = 90" in text
    assert "Not found in any source" not in render_text(decision, "zh")  # the Chinese note instead
    assert "未见于任何来源" in render_text(decision, "zh")


def test_panel_items_are_one_entry_and_empty_sections_are_left_out(decisions):
    _, decision = next((p, d) for p, d in decisions if p.name == "yuanjiang-2009.toml")
    page = evaluation_html(decision)
    assert page.count("数据无法弥补这一差距") == 0 and page.count('id="gap-panel"') == 1
    assert "失分合计 8.5 分" in page and "chart-cv" not in page
    text = render_text(decision, "zh")
    assert text.count("由评估组评分的项目") == 1 and "数据无法弥补这一差距" not in text
