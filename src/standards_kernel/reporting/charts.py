"""The HTML report's charts, drawn here as inline SVG (no scripts): each indicator against its
limit, the difference coefficients against their ceilings, and the points of each area.

Bar lengths are computed with exact decimals and formatted to 0.1 of an SVG unit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

from .view import View, esc

_BAR_GOOD, _BAR_BAD, _BAR_NEUTRAL, _BAR_SOFT = "#1a7f37", "#c62828", "#0b5cad", "#d6e4f5"


class Charts(View):
    """The charts section of the page."""

    def section(self) -> str:
        w = self.w
        figures = [
            self.figure("chart-limits", w["chart_limit"], w["chart_limit_note"], self.limit_chart()),
            self.figure("chart-cv", w["chart_cv"], w["chart_cv_note"], self.cv_chart()),
            self.figure("chart-points", w["chart_points"], w["chart_points_note"], self.points_chart()),
        ]
        drawn = [f for f in figures if f]  # a chart with nothing to draw is left out, not announced
        if not drawn:
            return ""
        return f'<section id="charts">\n<h2>{esc(w["charts"])}</h2>\n' + "\n".join(drawn) + "\n</section>"

    def figure(self, fid: str, caption: str, note: str, svg: str | None) -> str:
        if not svg:
            return ""
        return f'<figure id="{fid}"><figcaption>{esc(caption)} <span class="note">— {esc(note)}</span></figcaption>\n{svg}\n</figure>'

    def limit_chart(self) -> str | None:
        rows = []
        for iid, ind in sorted(self.r.get("indicators", {}).items()):
            op = ind.get("check", {}).get("op")
            value, limit = _dec(ind.get("value")), _dec(ind.get("limit"))
            if op not in ("<", "<=", ">", ">=") or value is None or limit is None or limit <= 0 or value < 0:
                continue
            if str(ind.get("how", "")).startswith("cv of"):
                continue  # difference coefficients have their own chart
            unit = ind.get("unit", "")
            rows.append((self.label(ind, iid), value / limit, bool(ind.get("met")),
                         f"{self.num(value, unit)} / {op} {self.num(limit, unit)}"))
        for iid, ind in sorted(self.r.get("indicators", {}).items()):  # and the units that fail
            op = ind.get("check", {}).get("op")
            if op not in ("<", "<=", ">", ">=") or "units" not in ind:
                continue
            for uid in ind.get("failed_units", [])[:10]:
                reading = ind["units"][uid]
                value, limit = _dec(reading.get("value")), _dec(reading.get("limit"))
                if value is None or limit is None or limit <= 0 or value < 0:
                    continue
                unit = ind.get("unit", "")
                rows.append((f"{self.label(ind, iid)} · {uid}", value / limit, False,
                             f"{self.num(value, unit)} / {op} {self.num(limit, unit)}"))
        if not rows:
            return None
        top = max([Decimal(1)] + [ratio for _, ratio, _, _ in rows])
        scale = min(top * Decimal("1.1"), Decimal(6))
        bars = [(label, ratio, _BAR_GOOD if met else _BAR_BAD, text) for label, ratio, met, text in rows]
        return _bar_svg(bars, scale, [(Decimal(1), "100%")] * len(bars))

    def cv_chart(self) -> str | None:
        indicators = self.r.get("indicators", {})
        ceilings: dict[str, tuple[Decimal, bool]] = {}
        for iid, ind in indicators.items():  # a composite's ceiling applies to the CVs it reads
            limit = _dec(ind.get("limit"))
            if limit is not None and ind.get("check", {}).get("op") in ("<", "<="):
                for name in ind.get("reads", {}):
                    if str(indicators.get(name, {}).get("how", "")).startswith("cv of"):
                        ceilings.setdefault(name, (limit, True))
        rows: list[tuple[str, Any, Decimal, tuple[Decimal, bool] | None]] = []
        for iid, ind in sorted(indicators.items()):
            value = _dec(ind.get("value"))
            if not str(ind.get("how", "")).startswith("cv of") or value is None:
                continue
            own = _dec(ind.get("limit"))
            ceiling = (own, False) if own is not None else ceilings.get(iid)
            rows.append((iid, ind, value, ceiling))
        if not rows:
            return None
        top = max([v for *_, v, _ in rows] + [c[0] for *_, c in rows if c is not None] + [Decimal("0.01")])
        scale = top * Decimal("1.15")
        bars: list[tuple[str, Decimal, str, str]] = []
        marks: list[tuple[Decimal, str] | None] = []
        for iid, ind, value, ceiling in rows:
            ok = ceiling is None or value <= ceiling[0]
            suffix = ""
            if ceiling is not None:
                suffix = f" / ≤ {self.num(ceiling[0])}" + (f" ({self.w['composite']})" if ceiling[1] else "")
            bars.append((self.label(ind, iid), value, _BAR_NEUTRAL if ceiling is None else _BAR_GOOD if ok else _BAR_BAD,
                         f"{self.num(value)}{suffix}"))
            marks.append((ceiling[0], "") if ceiling is not None else None)
        return _bar_svg(bars, scale, marks)

    def points_chart(self) -> str | None:
        areas = self.r.get("areas", {})
        rows = []
        for aid, area in sorted(areas.items(), key=lambda item: (item[1].get("parent") or "", item[0])):
            points, top = _dec(area.get("points")), _dec(area.get("max"))
            if points is None or top is None or top <= 0:
                continue
            rows.append((self.label(area, aid), points, top))
        if not rows:
            return None
        scale = max(top for *_, top in rows)
        height, label_w, width = 26, 300, 900
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height * len(rows) + 10}" role="img">']
        span = width - label_w - 160
        for i, (label, points, top) in enumerate(rows):
            y = 5 + i * height
            full = Decimal(top) / scale * span  # SVG coordinates, exact too (formatted to 0.1)
            got = Decimal(points) / scale * span
            colour = _BAR_GOOD if points >= top else _BAR_NEUTRAL
            parts.append(f'<text x="0" y="{y + 17}"><title>{esc(label)}</title>{esc(_short(label))}</text>')
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{full:.1f}" height="16" fill="{_BAR_SOFT}"/>')
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{got:.1f}" height="16" fill="{colour}"/>')
            parts.append(f'<text x="{label_w + full + 8:.1f}" y="{y + 17}">{esc(self.num(points))} / {esc(self.num(top))}</text>')
        parts.append("</svg>")
        return "\n".join(parts)


# drawing


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _short(text: str, limit: int = 44) -> str:
    """Cut a label to about ``limit`` columns: a CJK character takes two, a Latin letter one."""
    width = 0
    for i, ch in enumerate(text):
        width += 2 if ord(ch) > 0x2E80 else 1
        if width > limit:
            return text[:i - 1] + "…"
    return text


def _bar_svg(bars: Sequence[tuple[str, Decimal, str, str]], scale: Decimal,
             marks: Iterable[tuple[Decimal, str] | None]) -> str:
    """Horizontal bars (label, length in the scale's units, colour, text), each with an optional
    mark (a limit). Bars longer than the scale are cut and end in a double stroke."""
    height, label_w, width = 26, 300, 900
    span = width - label_w - 230
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height * len(bars) + 10}" role="img">']
    for i, ((label, length, colour, text), mark) in enumerate(zip(bars, marks)):
        y = 5 + i * height
        cut = length > scale
        shown = Decimal(min(length, scale)) / scale * span if scale > 0 else Decimal(0)
        parts.append(f'<text x="0" y="{y + 17}"><title>{esc(label)}</title>{esc(_short(label))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{shown:.1f}" height="16" fill="{colour}"/>')
        if cut:
            x = label_w + shown
            parts.append(f'<path d="M{x - 10:.1f} {y + 2} l6 20 M{x - 5:.1f} {y + 2} l6 20" stroke="#fff" stroke-width="3"/>')
        if mark is not None and scale > 0:
            x = label_w + Decimal(min(mark[0], scale)) / scale * span
            parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 24}" stroke="#1b1f24" stroke-width="2" stroke-dasharray="4 2"/>')
        parts.append(f'<text x="{label_w + span + 10}" y="{y + 17}" class="muted">{esc(text)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
