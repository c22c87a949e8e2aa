"""The valid certificate's corrections become the gateway's CalibrationSet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from mqtt_contract.v1 import CalibrationSet
from server.calibration.edge import build_calibration_set
from tests.harness.app import Login
from tests.harness.factories import World

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


async def test_only_the_valid_certificates_corrections_reach_the_gateway(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    app.state.clock = lambda: NOW
    manager = await login("manager@zjim.demo")
    url = f"/api/v1/instruments/{demo.instrument.id}/calibration/certificates"
    old = {
        "number": "OLD",
        "agency": "ZJIM",
        "granted_on": "2025-01-01",
        "valid_from": (NOW - timedelta(days=700)).isoformat(),
        "valid_to": (NOW - timedelta(days=335)).isoformat(),
        "result": "pass",
        "corrections": [{"device": "chamber-1", "point": "temperature", "offset": 9.9}],
    }
    current = {
        **old,
        "number": "CURRENT",
        "valid_from": (NOW - timedelta(days=30)).isoformat(),
        "valid_to": (NOW + timedelta(days=335)).isoformat(),
        "corrections": [
            {"device": "chamber-1", "point": "temperature", "offset": -0.2, "gain": 1.001},
            {
                "device": "chamber-1",
                "point": "humidity",
                "kind": "table",
                "table": [{"raw": 10, "corrected": 10.5}, {"raw": 90, "corrected": 89.2}],
            },
        ],
    }
    for body in (old, current):
        assert (await client.post(url, headers=manager, json=body)).status_code == 201
    unknown = await client.post(
        url,
        headers=manager,
        json={**current, "number": "X", "corrections": [{"device": "chamber-9", "point": "t"}]},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "corrections.0"

    response = await client.get(
        f"/api/v1/gateways/{demo.gateway.id}/calibration-set", headers=manager
    )
    assert response.status_code == 200
    calibration_set = CalibrationSet.model_validate(response.json())
    assert calibration_set.gateway == "demo-gw-01"
    by_point = {c.point: c for c in calibration_set.corrections}
    assert set(by_point) == {"temperature", "humidity"}
    assert by_point["temperature"].offset == -0.2
    assert by_point["temperature"].valid_to_ms == int(
        (NOW + timedelta(days=335)).timestamp() * 1000
    )
    assert [p.corrected for p in by_point["humidity"].table] == [10.5, 89.2]

    async with app.state.sessionmaker() as session:
        lapsed = await build_calibration_set(session, demo.gateway.id, NOW + timedelta(days=336))
    assert lapsed.corrections == []
