"""The ranked score chart of a round's report: bars in order of score, the ±2 and ±3 lines."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from server.proficiency.chart import score_chart_svg

SVG = "{http://www.w3.org/2000/svg}"

# The demo round's four results (z = 0.3, -0.5, 2.4, -3.8), given in no particular order.
RESULTS = [
    {"label": "浙江省计量科学研究院", "score": 0.3, "judgement": "satisfactory"},
    {"label": "宁波检验检测研究院", "score": 2.4, "judgement": "questionable"},
    {"label": "浙江大学分析测试中心", "score": -0.5, "judgement": "satisfactory"},
    {"label": "温州市质量技术检测科学研究院", "score": -3.8, "judgement": "unsatisfactory"},
    {"label": "未评分 / not scored", "score": None, "judgement": None},
]


def _bars(svg: str) -> list[tuple[str, float, float, str]]:
    root = ET.fromstring(svg)  # noqa: S314 - the chart the server itself drew
    bars = []
    for rect in root.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        assert title is not None
        assert title.text is not None
        label = title.text.rsplit(" ", 1)[0]
        bars.append(
            (label, float(rect.get("x", "0")), float(rect.get("y", "0")), rect.get("fill", ""))
        )
    return bars


def _limit_lines(svg: str) -> dict[str, float]:
    root = ET.fromstring(svg)  # noqa: S314 - the chart the server itself drew
    lines = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text[0] in "+-"]
    return {label: float(line.get("y1", "0")) for label, line in zip(labels, lines, strict=True)}


def test_bars_rank_the_results_from_lowest_to_highest_score_coloured_by_judgement() -> None:
    bars = _bars(score_chart_svg(RESULTS, "z"))
    assert [label for label, *_ in bars] == [
        "温州市质量技术检测科学研究院",
        "浙江大学分析测试中心",
        "浙江省计量科学研究院",
        "宁波检验检测研究院",
    ]
    xs = [x for _, x, _, _ in bars]
    assert xs == sorted(xs)
    assert [fill for *_, fill in bars] == ["#cf1322", "#389e0d", "#389e0d", "#d48806"]


def test_z_charts_draw_the_two_and_three_lines_symmetrically_about_zero() -> None:
    svg = score_chart_svg(RESULTS, "z")
    lines = _limit_lines(svg)
    assert set(lines) == {"+2", "-2", "+3", "-3"}
    middle = (lines["+2"] + lines["-2"]) / 2
    assert (lines["+3"] + lines["-3"]) / 2 == middle
    # Up is positive in the picture: +3 above +2, -3 below -2, at 3/2 the distance.
    assert lines["+3"] < lines["+2"] < middle < lines["-2"] < lines["-3"]
    assert middle - lines["+3"] == pytest.approx(1.5 * (middle - lines["+2"]), abs=0.2)
    # The questionable bar reaches past +2 but not +3; the unsatisfactory one past -3.
    bars = {label: y for label, _, y, _ in _bars(svg)}
    assert lines["+3"] < bars["宁波检验检测研究院"] < lines["+2"]


def test_en_charts_draw_the_one_lines() -> None:
    assert set(_limit_lines(score_chart_svg(RESULTS, "en"))) == {"+1", "-1"}
