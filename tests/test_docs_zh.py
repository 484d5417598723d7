"""The Chinese docs (docs/zh/) keep up with the English pages they follow: each translated page
exists and names its English page, every relative link resolves, a section added to an English page
but not to its translation shows up as a difference in `## ` headings, the entry page accounts for
every English page, and the pages ship with the package (``standards-kernel docs zh/...``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from standards_kernel.interfaces.cli.shipped import DOCS, shipped
from standards_kernel.reporting.catalogue import BASIS_WORDS
from tests.helpers import ROOT

DOCS_DIR = ROOT / "docs"
ZH = DOCS_DIR / "zh"
TRANSLATED = ("tutorial-new-standard.md", "standard-format.md", "audit.md")
ZH_PAGES = sorted(ZH.glob("*.md"))
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# How many more `## ` sections an English page may have than its translation before the
# translation counts as behind (a short section may fairly be folded into another).
SLACK = 2


def prose(page: Path) -> str:
    """The page without its fenced blocks: a `## ` or a link inside code is not structure."""
    return FENCE.sub("", page.read_text("utf-8"))


def sections(page: Path) -> int:
    return sum(1 for line in prose(page).splitlines() if line.startswith("## "))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped (CJK kept), spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in prose(page).splitlines() if re.match(r"#{1,6} ", line)}


def test_every_translated_page_exists_and_names_the_english_page_it_follows():
    for name in TRANSLATED:
        page = ZH / name
        assert page.is_file(), f"docs/zh/{name} is missing"
        head = "\n".join(page.read_text("utf-8").splitlines()[:8])
        assert f"](../{name})" in head, f"docs/zh/{name} does not link the English page it follows at its top"
        assert "以英文版为准" in head, f"docs/zh/{name} does not say that the English page wins where they differ"


@pytest.mark.parametrize("page", ZH_PAGES, ids=lambda page: page.name)
def test_every_relative_link_resolves(page):
    assert ZH_PAGES, "docs/zh/ holds no page"
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not a file
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.is_file(), f"{page.relative_to(ROOT)}: the link ({target}) leads to no file"
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), f"{page.relative_to(ROOT)}: the link ({target}) names no heading of {file.name}"


@pytest.mark.parametrize("name", TRANSLATED)
def test_a_section_added_in_english_shows_up(name):
    english, chinese = sections(DOCS_DIR / name), sections(ZH / name)
    assert english > 0 and chinese > 0
    assert english - chinese <= SLACK, (
        f"docs/{name} has {english} `## ` sections, docs/zh/{name} {chinese}: translate what was added")


def test_the_entry_page_accounts_for_every_english_page():
    """docs/zh/README.md links every page: its translation, or the English page with a note that
    it exists only in English, so a reader knows what there is."""
    entry = ZH / "README.md"
    linked = {(entry.parent / target.partition("#")[0]).resolve() for target in LINK.findall(prose(entry))}
    english = sorted(DOCS_DIR.glob("*.md")) + sorted((DOCS_DIR / "provinces").glob("*.md"))
    missing = [p.relative_to(ROOT).as_posix() for p in english if p.resolve() not in linked]
    assert not missing, f"docs/zh/README.md does not mention {missing}"
    assert all((ZH / name).resolve() in linked for name in TRANSLATED)


def test_the_chinese_pages_ship_with_the_package():
    available = shipped(DOCS, ".md")
    for page in ZH_PAGES:
        assert f"zh/{page.stem}" in available
    printed = subprocess.run([sys.executable, "-m", "standards_kernel", "docs", "zh/audit"],
                             capture_output=True, text=True, encoding="utf-8", check=True).stdout
    assert printed == (ZH / "audit.md").read_text("utf-8")


def test_the_format_page_names_the_statuses_as_the_chinese_report_prints_them():
    """The docs name the four statuses in the project's terms; an auditor holding a printed report
    must also find the words it uses, so the page says them, and says them again when they change."""
    printed = [BASIS_WORDS["zh"][f"status_{status}"] for status in ("verified", "corroborated", "reconstructed", "assumed")]
    line = "".join(f'"{word}"' for word in printed)
    assert line in (ZH / "standard-format.md").read_text("utf-8"), f"docs/zh/standard-format.md does not give {line}"
