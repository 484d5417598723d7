"""The dependency map and the why-grade answer as HTML: a ``<section>`` for a larger page (the
report's stylesheet styles it) or one self-contained page, in Chinese or English.

The map section lists each parameter with its status and source, and what it reaches (indicators,
gates, vetoes, the grade); then each gate and veto with its effect and what it rests on. The
why-grade section is :func:`~standards_kernel.authoring.why.why_grade_lines` as nested lists.
Every text from a standard or a submission is escaped.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..kernel import model as m
from ..reporting.html import stylesheet
from ..reporting.view import esc
from .dependencies import DependencyMap
from .why import why_grade_lines

__all__ = ["map_page", "map_section", "why_page", "why_section"]

WORDS: dict[str, dict[str, Any]] = {
    "zh": {"title": "依赖关系图", "parameters": "参数及其影响", "rules": "门槛与否决所依据的", "grade": "影响等级",
           "reported": "仅记录", "effect": {"cap": "封顶", "deny": "降为最低", "none": "仅记录"},
           "kinds": {"indicators": "指标", "gates": "必备条件", "vetoes": "否决项", "areas": "领域"},
           "reaches_nothing": "不影响任何规则或等级", "lang": "zh-CN", "why": "等级的由来"},
    "en": {"title": "Dependency map", "parameters": "Parameters and what they reach", "rules": "What each gate and veto rests on",
           "grade": "reaches the grade", "reported": "reported only",
           "effect": {"cap": "cap", "deny": "deny", "none": "reported only"},
           "kinds": {"indicators": "indicators", "gates": "gates", "vetoes": "vetoes", "areas": "areas"},
           "reaches_nothing": "reaches no rule and no grade", "lang": "en", "why": "Why this grade"},
}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def _name(dmap: DependencyMap, nid: str, lang: str) -> str:
    """A node's label in the language (its id when it has none), its id, status and source."""
    n = dmap.nodes.get(nid)
    if n is None:
        return esc(nid)
    label = (n.label_en or n.label) if lang == "en" else (n.label or n.label_en)
    basis = ", ".join(x for x in (n.status, n.source) if x)
    return (f"{esc(label)} <code>{esc(nid)}</code>" if label else f"<code>{esc(nid)}</code>") + (
        f' <span class="basis">[{esc(basis)}]</span>' if basis else "")


def map_section(dmap: DependencyMap, lang: str = "zh") -> str:
    """The map as one ``<section id="dependencies">``."""
    lang = _lang(lang)
    w = WORDS[lang]
    params = []
    for nid in sorted(n for n in dmap.nodes if n.startswith("parameters.")):
        down = dmap.downstream(nid)
        reach = []
        for kind in ("indicators", "gates", "vetoes", "areas"):
            hit = [d for d in down if d.startswith(kind + ".")]
            if hit:
                reach.append(f"<li>{esc(w['kinds'][kind])}: " + "; ".join(_name(dmap, d, lang) for d in hit) + "</li>")
        if "grade" in down:
            reach.append(f"<li>→ {esc(w['grade'])}</li>")
        inner = "<ul>" + "".join(reach) + "</ul>" if reach else f" — {esc(w['reaches_nothing'])}"
        params.append(f"<li>{_name(dmap, nid, lang)}{inner}</li>")
    rules = []
    for nid in sorted(n for n in dmap.nodes if n.startswith(("gates.", "vetoes."))):
        touches_grade = "grade" in dmap.downstream(nid)
        up = [u for u in dmap.upstream(nid) if u.startswith(("parameters.", "inputs.", "indicators."))]
        rules.append(f"<li>{_name(dmap, nid, lang)} — {esc(w['grade'] if touches_grade else w['reported'])}<ul>"
                     + "".join(f"<li>{_name(dmap, u, lang)}</li>" for u in up) + "</ul></li>")
    return (f'<section id="dependencies">\n<h2>{esc(w["title"])} · {esc(dmap.standard)}</h2>\n'
            f'<h3>{esc(w["parameters"])}</h3>\n<ul class="assumptions">{"".join(params)}</ul>\n'
            f'<h3>{esc(w["rules"])}</h3>\n<ul class="assumptions">{"".join(rules)}</ul>\n</section>')


def why_section(why: Mapping[str, Any], standard: m.Standard, lang: str = "zh") -> str:
    """The why-grade answer as one ``<section id="why-grade">``: headings, then nested lists."""
    lines = why_grade_lines(why, standard, lang)
    out = [f'<section id="why-grade">\n<h2>{esc(lines[0])}</h2>']
    depth = 0
    for line in lines[1:]:
        level = (len(line) - len(line.lstrip(" "))) // 2
        text = esc(line.strip())
        if level == 0:
            out.append("</li></ul>" * depth + f"<h3>{text}</h3>")
            depth = 0
            continue
        if level > depth:
            out.append("<ul>" * (level - depth) + f"<li>{text}")
        else:
            out.append("</li></ul>" * (depth - level) + f"</li><li>{text}")
        depth = level
    out.append("</li></ul>" * depth + "\n</section>")
    return "".join(out)


def _page(title: str, section: str, lang: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{WORDS[_lang(lang)]["lang"]}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
            f"<style>\n{stylesheet()}</style>\n</head>\n<body>\n{section}\n</body>\n</html>\n")


def map_page(dmap: DependencyMap, lang: str = "zh") -> str:
    """The map as one self-contained page (the report's stylesheet inline, nothing fetched)."""
    return _page(f"{WORDS[_lang(lang)]['title']} · {dmap.standard}", map_section(dmap, lang), lang)


def why_page(why: Mapping[str, Any], standard: m.Standard, lang: str = "zh") -> str:
    return _page(f"{WORDS[_lang(lang)]['why']} · {standard.key}", why_section(why, standard, lang), lang)
