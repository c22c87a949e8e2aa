"""The ranked score chart of a round as SVG: one bar per result, with the ±2 and ±3 lines
(±1 for En numbers). Server-rendered, so the public pages need no JavaScript."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["score_chart_svg"]

_W, _H, _PAD = 640, 280, 36


def score_chart_svg(results: list[dict[str, Any]], score_kind: str | None) -> str:
    scored = sorted(
        (r for r in results if r.get("score") is not None), key=lambda r: float(r["score"])
    )
    limits = (1.0,) if score_kind == "en" else (2.0, 3.0)
    top = max([abs(float(r["score"])) for r in scored] + [limits[-1] + 0.5])
    mid = _H / 2

    def y(v: float) -> float:
        return mid - v / top * (mid - _PAD)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="ranked scores">',
        f'<line x1="{_PAD}" y1="{mid}" x2="{_W - 8}" y2="{mid}" stroke="#333"/>',
    ]
    for limit in limits:
        colour = "#d48806" if limit == 2.0 else "#cf1322"
        for sign in (1, -1):
            yy = y(sign * limit)
            parts.append(
                f'<line x1="{_PAD}" y1="{yy:.1f}" x2="{_W - 8}" y2="{yy:.1f}" '
                f'stroke="{colour}" stroke-dasharray="4 3"/>'
                f'<text x="2" y="{yy + 4:.1f}" font-size="11">{sign * limit:+g}</text>'
            )
    if scored:
        step = (_W - _PAD - 16) / len(scored)
        for i, r in enumerate(scored):
            v = float(r["score"])
            x = _PAD + 8 + i * step
            y0, y1 = sorted((y(0), y(v)))
            fill = {"satisfactory": "#389e0d", "questionable": "#d48806"}.get(
                str(r.get("judgement")), "#cf1322"
            )
            label = escape(str(r.get("label") or ""))
            parts.append(
                f'<rect x="{x:.1f}" y="{y0:.1f}" width="{step * 0.6:.1f}" '
                f'height="{max(y1 - y0, 1):.1f}" fill="{fill}"><title>{label} {v:.2f}</title></rect>'
                f'<text x="{x:.1f}" y="{_H - 4}" font-size="10">{label}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
