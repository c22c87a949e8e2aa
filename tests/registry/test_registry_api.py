"""CMA qualification, instrument records, authorisations and attachments through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI

from server.registry.authorisations import is_authorised, record_use
from tests.harness.app import Login
from tests.harness.booking import COST_MODEL
from tests.harness.factories import World

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


async def test_cma_certificate_with_scope_is_linked_to_an_instrument(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    bad = await client.post(
        "/api/v1/cma-certificates",
        headers=manager,
        json={"number": "2311A2050123", "issued_on": "2023-05-08"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "number"
    created = await client.post(
        "/api/v1/cma-certificates",
        headers=manager,
        json={
            "number": "231112050123",
            "issued_on": "2023-05-08",
            "cnas_number": "CNAS L0123",
            "scope": [
                {
                    "category": "parameter",
                    "name": "温度",
                    "name_en": "Temperature",
                    "standard_number": "GB/T 2423.1-2008",
                    "standard_name": "低温试验方法",
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    certificate = created.json()
    assert certificate["valid_until"] == "2029-05-07"  # the day before the sixth anniversary
    assert certificate["status"] == "valid"
    no_year = await client.post(
        f"/api/v1/cma-certificates/{certificate['id']}/scope-items",
        headers=manager,
        json={"category": "item", "name": "湿热", "standard_number": "GB/T 2423.3"},
    )
    assert no_year.status_code == 422
    scope_id = certificate["scope"][0]["id"]
    linked = await client.put(
        f"/api/v1/instruments/{demo.instrument.id}/scope-items",
        headers=manager,
        json={"scope_item_ids": [scope_id]},
    )
    assert [s["standard_number"] for s in linked.json()] == ["GB/T 2423.1-2008"]

    public = await client.get("/api/v1/public/cma-certificates/231112050123")
    assert public.status_code == 200
    assert public.json()["institution"] == "浙江省计量科学研究院"

    record = await client.patch(
        f"/api/v1/instruments/{demo.instrument.id}/record",
        headers=manager,
        json={
            "category": "环境试验设备",
            "original_value": "386000.00",
            "currency": "CNY",
            "service_modes": ["self_operated", "staff_operated"],
            "opening_hours": {"mon": [["08:30", "17:00"]]},
        },
    )
    assert record.status_code == 200, record.text
    assert record.json()["original_value"] == "386000.00"
    assert record.json()["scope"][0]["name"] == "温度"
    bad_hours = await client.patch(
        f"/api/v1/instruments/{demo.instrument.id}/record",
        headers=manager,
        json={"opening_hours": {"mon": [["17:00", "08:30"]]}},
    )
    assert bad_hours.status_code == 422
    audit = await client.get(
        "/api/v1/audit",
        headers=manager,
        params={"entity": "instrument", "entity_id": str(demo.instrument.id)},
    )
    entry = audit.json()[0]
    assert entry["before"]["category"] is None
    assert entry["after"]["category"] == "环境试验设备"


async def test_authorisation_lapses_after_days_without_use(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    buyer = demo.users["buyer@jingce.demo"]
    granted = await client.post(
        f"/api/v1/instruments/{demo.instrument.id}/authorisations",
        headers=manager,
        json={"user_id": str(buyer.id), "trained_on": "2026-11-30", "lapse_after_days": 90},
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["active"] is True
    async with app.state.sessionmaker() as session:
        assert await is_authorised(session, buyer.id, demo.instrument.id, NOW + timedelta(days=89))
        assert not await is_authorised(
            session, buyer.id, demo.instrument.id, NOW + timedelta(days=90)
        )
        assert not await is_authorised(
            session, buyer.id, demo.instrument.id, NOW - timedelta(days=1)
        )
    async with app.state.sessionmaker() as session, session.begin():
        await record_use(session, buyer.id, demo.instrument.id, NOW + timedelta(days=60))
    async with app.state.sessionmaker() as session:
        assert await is_authorised(session, buyer.id, demo.instrument.id, NOW + timedelta(days=149))
        assert not await is_authorised(
            session, buyer.id, demo.instrument.id, NOW + timedelta(days=150)
        )
    app.state.clock = lambda: NOW + timedelta(days=200)
    listed = await client.get(
        f"/api/v1/instruments/{demo.instrument.id}/authorisations", headers=manager
    )
    assert listed.json()[0]["active"] is False
    # Revocation is not retroactive: it ends the authorisation from the moment it is made.
    app.state.clock = lambda: NOW + timedelta(days=10)
    revoked = await client.post(
        f"/api/v1/authorisations/{granted.json()['id']}/revoke", headers=manager
    )
    assert revoked.status_code == 200
    async with app.state.sessionmaker() as session:
        assert await is_authorised(session, buyer.id, demo.instrument.id, NOW + timedelta(days=9))
        assert not await is_authorised(
            session, buyer.id, demo.instrument.id, NOW + timedelta(days=11)
        )


async def test_attachments_and_equipment_history(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    base = f"/api/v1/instruments/{demo.instrument.id}"
    upload = await client.post(
        f"{base}/attachments",
        headers=manager,
        files={"file": ("说明书.pdf", b"%PDF-1.4 manual", "application/pdf")},
        data={"kind": "manual"},
    )
    assert upload.status_code == 201, upload.text
    content = await client.get(
        f"/api/v1/attachments/{upload.json()['id']}/content", headers=manager
    )
    assert content.content == b"%PDF-1.4 manual"
    assert "%E8%AF%B4%E6%98%8E%E4%B9%A6.pdf" in content.headers["content-disposition"]
    for kind in ("fault", "repair"):
        added = await client.post(
            f"{base}/events",
            headers=manager,
            json={"kind": kind, "occurred_at": "2026-06-01T09:00:00+08:00", "description": kind},
        )
        assert added.status_code == 201
    history = await client.get(f"{base}/events", headers=manager)
    assert sorted(e["kind"] for e in history.json()) == ["fault", "repair"]


async def test_creating_and_renaming_an_instrument_show_in_the_audit_trail(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    created = await client.post(
        "/api/v1/instruments",
        headers=manager,
        json={"lab_id": str(demo.lab.id), "name": "紫外可见分光光度计", "serial_number": "UV-0031"},
    )
    assert created.status_code == 201, created.text
    instrument_id = created.json()["id"]
    renamed = await client.patch(
        f"/api/v1/instruments/{instrument_id}",
        headers=manager,
        json={"name": "紫外可见分光光度计 UV-2600"},
    )
    assert renamed.status_code == 200, renamed.text
    unchanged = await client.patch(
        f"/api/v1/instruments/{instrument_id}", headers=manager, json={"is_open": False}
    )
    assert unchanged.status_code == 200, unchanged.text

    trail = await client.get(
        "/api/v1/audit",
        headers=manager,
        params={"entity": "instrument", "entity_id": instrument_id},
    )
    update, create = trail.json()  # newest first; saving without a change adds nothing
    assert create["action"] == "create"
    assert create["after"]["name"] == "紫外可见分光光度计"
    assert create["actor_name"] == demo.users["manager@zjim.demo"].full_name
    assert update["action"] == "update"
    assert update["before"]["name"] == "紫外可见分光光度计"
    assert update["after"]["name"] == "紫外可见分光光度计 UV-2600"

    # The instrument's history holds the records that name it too: its cost model, twice.
    for hourly in ("12.50", "15.00"):
        published = await client.put(
            f"/api/v1/instruments/{instrument_id}/cost-model",
            headers=manager,
            json={**COST_MODEL, "consumables_per_hour": hourly},
        )
        assert published.status_code == 200, published.text
    history = await client.get(
        "/api/v1/audit", headers=manager, params={"instrument_id": instrument_id}
    )
    entries = [(e["entity"], e["action"]) for e in history.json()]
    assert entries == [
        ("cost_model", "update"),
        ("cost_model", "create"),
        ("instrument", "update"),
        ("instrument", "create"),
    ]
    repriced = history.json()[0]
    assert repriced["before"]["consumables_per_hour"] == "12.50"
    assert repriced["after"]["consumables_per_hour"] == "15.00"
    assert Decimal(repriced["after"]["factors"]["internal"]) == Decimal("0.5")
    # The demo chamber's history is not this instrument's.
    assert all(e["entity_id"] != str(demo.instrument.id) for e in history.json())
