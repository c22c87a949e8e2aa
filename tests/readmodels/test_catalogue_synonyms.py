"""Catalogue search words: the synonym table, abbreviations and pinyin initials."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from server.readmodels.synonyms import expand_word, initials, synonym_groups
from tests.harness.factories import World

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)

# What a customer types, and a word the instrument's own text must hold for it to be found.
REQUIRED = {
    "电镜": "电子显微镜",
    "质谱": "质谱仪",
    "ICP-MS": "电感耦合等离子体质谱",
    "GC-MS": "气相色谱-质谱",
    "核磁": "核磁共振",
    "XRD": "x射线衍射仪",
}


def test_the_table_covers_the_common_abbreviations() -> None:
    for word, meant in REQUIRED.items():
        assert meant.lower() in expand_word(word), word


def test_the_table_is_well_formed() -> None:
    groups = synonym_groups()
    assert groups
    for group in groups:
        assert len(group) >= 2, group
        lowered = [w.lower() for w in group]
        assert len(set(lowered)) == len(lowered), group
        assert all(w == w.strip() and w for w in group), group


def test_short_latin_abbreviations_are_never_searched_as_substrings() -> None:
    # "sem" is in "assembly", "ms" in "systems": searching for them would find anything.
    for word in ("电镜", "质谱", "扫描电镜", "液相", "气相"):
        assert all(len(a) > 4 or not a.isascii() for a in expand_word(word)[1:]), word


def test_pinyin_initials() -> None:
    assert initials("电子显微镜") == "dzxwj"
    assert initials("X射线衍射仪") == "xsxysy"
    assert initials("600兆核磁共振波谱仪").startswith("600")


async def _instrument(app: FastAPI, demo: World, **fields: object) -> str:
    columns = {"lab_id": demo.lab.id, "organisation_id": demo.lab.organisation_id, "is_open": True}
    columns.update(fields)
    names = ", ".join(columns)
    values = ", ".join(f":{k}" for k in columns)
    async with app.state.sessionmaker() as session, session.begin():
        result = await (await session.connection()).execute(
            text(f"INSERT INTO instrument ({names}) VALUES ({values}) RETURNING id"),  # noqa: S608
            columns,
        )
        return str(result.scalar_one())


@pytest.mark.integration
async def test_search_by_synonym_abbreviation_and_initials(
    app: FastAPI, client: httpx.AsyncClient, demo: World
) -> None:
    app.state.clock = lambda: NOW
    sem = await _instrument(
        app, demo, name="场发射扫描电子显微镜", name_en="Field-emission SEM", category="显微镜"
    )
    xrd = await _instrument(
        app, demo, name="X射线衍射仪", name_en="X-ray diffractometer", category="结构分析"
    )
    icp = await _instrument(app, demo, name="电感耦合等离子体质谱仪", category="光谱质谱")
    gcms = await _instrument(app, demo, name="气相色谱-质谱联用仪", category="色谱质谱")
    nmr = await _instrument(app, demo, name="600兆核磁共振波谱仪", category="波谱")
    # Holds "sem" in an ordinary word: must not come up for 电镜.
    assembly = await _instrument(app, demo, name="装配检测台", name_en="Assembly test bench")

    async def ids(**params: str) -> set[str]:
        response = await client.get("/api/v1/catalogue/instruments", params=params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids(q="电镜") == {sem}
    assert await ids(q="XRD") == {xrd}
    assert await ids(q="xrd") == {xrd}
    assert await ids(q="ICP-MS") == {icp}
    assert await ids(q="GC-MS") == {gcms}
    assert await ids(q="核磁") == {nmr}
    assert await ids(q="质谱") == {icp, gcms}
    assert await ids(q="dzxwj") == {sem}
    assert await ids(q="xsxys") == {xrd}
    # Every word must still match: a synonym widens a word, it does not drop another.
    assert await ids(q="电镜 装配") == set()
    assert assembly in await ids(q="assembly")


@pytest.mark.integration
async def test_facets_list_categories_and_cities_of_the_visible_catalogue(
    app: FastAPI, client: httpx.AsyncClient, demo: World
) -> None:
    await _instrument(app, demo, name="X射线衍射仪", category="结构分析")
    await _instrument(app, demo, name="内部仪器", category="内部类别", is_open=False)
    response = await client.get("/api/v1/catalogue/facets")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "结构分析" in body["categories"]
    assert "内部类别" not in body["categories"]
    assert body["cities"] == ["杭州"]
