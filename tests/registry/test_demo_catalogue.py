"""The demo catalogue: several institutions, dozens of instruments, every calibration status."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from server.demo.catalogue import DEMO_CATALOGUE, seed_demo_catalogue
from server.demo.seed import DemoSeed

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


async def test_demo_catalogue_is_idempotent_and_shows_every_status(
    app: FastAPI, client: httpx.AsyncClient, demo: DemoSeed
) -> None:
    app.state.clock = lambda: NOW
    for _ in range(2):
        async with app.state.sessionmaker() as session, session.begin():
            await seed_demo_catalogue(session, now=NOW)
    response = await client.get("/api/v1/catalogue/instruments", params={"page_size": 100})
    body = response.json()
    assert body["total"] == len(DEMO_CATALOGUE) + 1  # plus the demo temperature chamber
    states = Counter(item["calibration_state"] for item in body["items"])
    assert set(states) == {"valid", "due_soon", "expired", "out_of_service", "not_required"}
    assert len({item["city"] for item in body["items"]}) >= 3
    ningbo = await client.get("/api/v1/catalogue/instruments", params={"city": "宁波"})
    assert ningbo.json()["total"] == sum(1 for i in DEMO_CATALOGUE if "宁波" in i.institution)
    icp = await client.get("/api/v1/catalogue/instruments", params={"q": "ICP-MS"})
    assert [i["name"] for i in icp.json()["items"]] == ["电感耦合等离子体质谱仪"]
