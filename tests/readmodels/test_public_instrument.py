"""An open instrument's public page: readable without logging in, public fields only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.app import Login, certify
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_a_visitor_reads_fees_hours_calibration_and_free_slots(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    await certify(app, demo)
    manager = await login("manager@zjim.demo")
    instrument = demo.instrument.id
    put = await client.put(
        f"/api/v1/instruments/{instrument}/cost-model",
        headers=manager,
        json={
            "consumables_per_hour": "12.35",
            "staff_service_per_hour": "40.00",
            "annual_depreciation": "160000.00",
            "rated_annual_hours": 1600,
            "factors": {"enterprise": "1.2", "internal": "0.8"},
        },
    )
    assert put.status_code == 200, put.text
    hours = [{"weekday": d, "opens": "08:30:00", "closes": "17:30:00"} for d in range(7)]
    put = await client.put(
        f"/api/v1/instruments/{instrument}/booking-policy",
        headers=manager,
        json={"opening_hours": hours},
    )
    assert put.status_code == 200, put.text

    response = await client.get(f"/api/v1/public/instruments/{instrument}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "高低温试验箱"
    assert body["calibration_state"] == "valid"
    assert body["institution_name"] == demo.organisations["浙江省计量科学研究院"].name
    # Exact decimals in CNY: (12.35 + 100 depreciation) x 1.2; staff-operated adds 40 x 1.2.
    assert body["hourly_fees"]["enterprise"]["self_operated"] == "134.82"
    assert body["hourly_fees"]["enterprise"]["staff_operated"] == "182.82"
    assert body["fees_published_at"] is not None
    assert len(body["opening_hours"]) == 7
    assert body["opening_hours"][0] == {"weekday": 0, "opens": "08:30:00", "closes": "17:30:00"}
    assert body["timezone"] == "Asia/Shanghai"
    slots = body["free_slots"]
    assert slots, body
    first = datetime.fromisoformat(slots[0]["start"])
    assert first >= datetime.now(UTC) - timedelta(minutes=1)
    # Asset data stays with the institution, even on its public page.
    record = body["record"]
    assert record["model"] == "SETH-Z-040L"
    for hidden in ("serial_number", "original_value", "contact_phone", "contact_email"):
        assert hidden not in record


async def test_closed_or_unknown_instruments_are_absent(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    closed = await client.patch(
        f"/api/v1/instruments/{demo.instrument.id}", headers=manager, json={"is_open": False}
    )
    assert closed.status_code == 200, closed.text
    for instrument in (demo.instrument.id, uuid.uuid4()):
        response = await client.get(f"/api/v1/public/instruments/{instrument}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_without_a_cost_model_no_fee_is_shown(client: httpx.AsyncClient, demo: World) -> None:
    response = await client.get(f"/api/v1/public/instruments/{demo.instrument.id}")
    assert response.status_code == 200, response.text
    assert response.json()["hourly_fees"] == {}
    assert response.json()["calibration_state"] == "expired"
