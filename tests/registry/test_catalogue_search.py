"""Catalogue search: text in Chinese and English, filters, visibility, sort and pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.harness.app import Login
from tests.harness.factories import World

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


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


async def test_search_filters_sorts_and_pages(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    gc = await _instrument(
        app,
        demo,
        name="气相色谱仪",
        name_en="Gas chromatograph",
        category="色谱",
        original_value=520000,
    )
    ms = await _instrument(
        app,
        demo,
        name="液相色谱质谱联用仪",
        name_en="LC-MS/MS",
        category="色谱",
        original_value=2600000,
        calibration_required=False,
    )
    hidden = await _instrument(app, demo, name="内部色谱仪", is_open=False, category="色谱")
    manager = await login("manager@zjim.demo")
    await client.post(
        f"/api/v1/instruments/{gc}/calibration/certificates",
        headers=manager,
        json={
            "number": "GC-1",
            "agency": "ZJIM",
            "granted_on": "2026-06-01",
            "valid_from": (NOW - timedelta(days=100)).isoformat(),
            "valid_to": (NOW + timedelta(days=10)).isoformat(),
            "result": "pass",
        },
    )

    async def ids(auth: dict[str, str] | None = None, /, **params: str) -> list[str]:
        response = await client.get(
            "/api/v1/catalogue/instruments", headers=auth or {}, params=params
        )
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(q="色谱") == [gc, ms]  # by name: 气 (U+6C14) before 液 (U+6DB2)
    assert await ids(q="chromatograph") == [gc]
    assert await ids(q="GAS chrom") == [gc]
    assert await ids(q="质谱") == [ms]
    # Original values are the owning institution's: its staff sort by them, visitors get names.
    # (Staff also see their closed instrument, which has no value: last.)
    assert await ids(manager, q="色谱", sort="-original_value") == [ms, gc, hidden]
    assert await ids(q="色谱", sort="-original_value") == [gc, ms]
    assert await ids(category="色谱", calibration="due_soon") == [gc]
    assert await ids(category="色谱", calibration="not_required") == [ms]
    # Anonymous visitors and enterprises never see closed instruments; their staff do.
    assert hidden not in await ids(q="色谱")
    assert hidden in await ids(manager, q="色谱")
    buyer = await login("buyer@jingce.demo")
    assert hidden not in await ids(buyer, q="色谱")
    other = await login("manager@zju.demo")
    assert hidden not in await ids(other, q="色谱")

    page = await client.get(
        "/api/v1/catalogue/instruments",
        headers=manager,
        params={"q": "色谱", "page_size": 1, "page": 2, "sort": "-original_value"},
    )
    assert page.json()["total"] == 3
    assert [i["id"] for i in page.json()["items"]] == [gc]
    assert page.json()["items"][0]["institution_name"] == "浙江省计量科学研究院"

    # Free for the whole window: the certificate of the GC lapses inside the second one.
    window = {
        "free_from": (NOW + timedelta(days=1)).isoformat(),
        "free_to": (NOW + timedelta(days=2)).isoformat(),
    }
    assert set(await ids(category="色谱", **window)) == {gc, ms}
    late = {
        "free_from": (NOW + timedelta(days=9)).isoformat(),
        "free_to": (NOW + timedelta(days=11)).isoformat(),
    }
    assert await ids(category="色谱", **late) == [ms]
    await client.post(
        f"/api/v1/instruments/{ms}/maintenance-windows",
        headers=manager,
        json={
            "start_at": (NOW + timedelta(days=1, hours=2)).isoformat(),
            "end_at": (NOW + timedelta(days=1, hours=4)).isoformat(),
            "description": "更换色谱柱",
        },
    )
    assert await ids(category="色谱", **window) == [gc]
    bad = await client.get(
        "/api/v1/catalogue/instruments", params={"free_from": window["free_from"]}
    )
    assert bad.status_code == 422


async def test_search_by_cma_scope_parameter_and_standard(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    created = await client.post(
        "/api/v1/cma-certificates",
        headers=manager,
        json={
            "number": "231112050123",
            "issued_on": "2023-05-08",
            "scope": [
                {
                    "category": "parameter",
                    "name": "温度",
                    "name_en": "Temperature",
                    "standard_number": "GB/T 2423.1-2008",
                },
            ],
        },
    )
    scope_id = created.json()["scope"][0]["id"]
    await client.put(
        f"/api/v1/instruments/{demo.instrument.id}/scope-items",
        headers=manager,
        json={"scope_item_ids": [scope_id]},
    )
    for params in (
        {"parameter": "温度"},
        {"parameter": "temperature"},
        {"standard": "gb/t 2423.1"},
    ):
        response = await client.get("/api/v1/catalogue/instruments", params=params)
        assert [i["id"] for i in response.json()["items"]] == [str(demo.instrument.id)], params
    none = await client.get("/api/v1/catalogue/instruments", params={"standard": "GB/T 9999"})
    assert none.json()["total"] == 0
