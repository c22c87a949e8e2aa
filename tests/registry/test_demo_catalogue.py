"""The demo catalogue: several institutions, dozens of instruments, every calibration status."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from server.demo.catalogue import DEMO_CATALOGUE, seed_demo_catalogue
from server.demo.seed import DemoSeed
from tests.harness.app import Login

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


async def test_each_demo_instrument_has_its_creation_in_the_change_history(
    app: FastAPI, client: httpx.AsyncClient, demo: DemoSeed, login: Login
) -> None:
    app.state.clock = lambda: NOW
    for _ in range(2):
        async with app.state.sessionmaker() as session, session.begin():
            await seed_demo_catalogue(session, now=NOW)
    admin = await login("admin@platform.demo")
    found = await client.get("/api/v1/catalogue/instruments", params={"q": "ICP-MS"}, headers=admin)
    instrument_id = found.json()["items"][0]["id"]
    history = await client.get(
        "/api/v1/audit", params={"instrument_id": instrument_id}, headers=admin
    )
    assert history.status_code == 200, history.text
    # One entry although the seed ran twice: written by the system, with the record as created.
    [entry] = history.json()
    assert (entry["entity"], entry["action"], entry["actor_name"]) == ("instrument", "create", None)
    assert entry["after"]["name"] == "电感耦合等离子体质谱仪"
    assert entry["after"]["original_value"] == str(
        next(i.value for i in DEMO_CATALOGUE if i.name == "电感耦合等离子体质谱仪")
    )
