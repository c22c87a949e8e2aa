"""A reconciliation flag of the sharing evaluation becomes a supervisory finding with evidence."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from server.evaluation.calendar import BEIJING
from tests.harness.app import API
from tests.harness.evaluation import (
    PASSWORD,
    add_booking,
    add_charged_booking,
    add_instrument,
    add_interval,
    make_world,
)

pytestmark = pytest.mark.integration


def bj(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BEIJING)


async def test_flagged_booking_becomes_a_finding_and_lowers_the_class(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with app.state.engine.begin() as conn:
        world = await make_world(conn)
        inst = await add_instrument(conn, world)
        # Charged two hours while the instrument stood idle: no_use_measured.
        await add_interval(conn, inst, "idle", bj(10, 8), bj(10, 12))
        idle = await add_charged_booking(
            conn, world, inst, bj(10, 9), bj(10, 11), amount=Decimal("600.00")
        )
        # Ran throughout: consistent, nothing to record.
        await add_interval(conn, inst, "running", bj(12, 9), bj(12, 11))
        fine = await add_booking(
            conn, inst, world.enterprise, world.enterprise_user, bj(12, 9), bj(12, 11)
        )
    token = await client.post(
        f"{API}/auth/token", data={"username": world.admin_email, "password": PASSWORD}
    )
    admin = {"Authorization": f"Bearer {token.json()['access_token']}"}

    recorded = await client.post(
        f"{API}/credit/findings/from-reconciliation",
        json={"booking_id": str(idle), "severity": "major", "published": True},
        headers=admin,
    )
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert "计费 120 分钟，传感器记录运行 0 分钟" in body["description"]
    assert '"flag": "no_use_measured"' in body["evidence"]
    assert '"state": "idle"' in body["evidence"]
    assert body["credit_class"] in ("C", "D")  # a major finding: C, or D without a CMA

    record = (
        await client.get(f"{API}/credit/institutions/{world.institution}", headers=admin)
    ).json()
    assert record["counts"]["findings_major"] == 1
    assert any(f["kind"] == "finding:reconciliation_flag" for f in record["facts"])

    refused = await client.post(
        f"{API}/credit/findings/from-reconciliation",
        json={"booking_id": str(fine)},
        headers=admin,
    )
    assert refused.status_code == 409
    board = await client.get("/public/notices")
    assert "计费 120 分钟" in board.text
