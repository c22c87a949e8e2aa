"""A booking looked back on: what happened when, the certificate that covered the session, the
charge, and what the instrument recorded while it was used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from tests.harness.app import API, Login
from tests.harness.booking import publish, run_jobs, sql
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_a_used_booking_shows_its_history_certificate_charge_and_data(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(client, login, demo, approval_required=False, lead_time_minutes=0)
    buyer = demo.users["buyer@jingce.demo"]
    start = (datetime.now(UTC) - timedelta(days=3)).replace(
        hour=1, minute=0, second=0, microsecond=0
    )
    [row] = await sql(
        app,
        "INSERT INTO booking (id, instrument_id, organisation_id, user_id, start_at, end_at,"
        " status, mode, checked_in_at, check_in_source, created_at)"
        " VALUES (gen_random_uuid(), :i, :o, :u, :s, :e, 'checked_in', 'self_operated', :c,"
        " 'manual', :created) RETURNING id",
        i=demo.instrument.id,
        o=buyer.organisation_id,
        u=buyer.id,
        s=start,
        e=start + timedelta(hours=2),
        c=start + timedelta(minutes=4),
        created=start - timedelta(days=2),
    )
    booking_id = row["id"]
    temperature = demo.channels["temperature"].id
    # Ten readings during the session, and some before and long after it that are not its data.
    for minutes, value in [(-90, 99.0), *((30 + 5 * k, 20.0 + k) for k in range(10)), (600, -5.0)]:
        await sql(
            app,
            "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (:c, :t, :v, 0)",
            c=temperature,
            t=start + timedelta(minutes=minutes),
            v=value,
        )
    # The chamber's status register: running most of the session, then idle, and once a value
    # its state rule does not name.
    status = demo.channels["status"].id
    for minutes, value in [*((20 + k, 2.0) for k in range(6)), (40, 1.0), (41, 1.0), (42, 7.0)]:
        await sql(
            app,
            "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (:c, :t, :v, 0)",
            c=status,
            t=start + timedelta(minutes=minutes),
            v=value,
        )
    await run_jobs(app, start + timedelta(hours=3))

    headers = await login("buyer@jingce.demo")
    page = await client.get(f"{API}/bookings/{booking_id}/session", headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["booking"]["status"] == "completed"
    assert body["booking"]["instrument_name"] == demo.instrument.name
    kinds = [event["kind"] for event in body["history"]]
    assert kinds == ["requested", "checked_in", "completed", "charged"]
    assert body["history"][1]["detail"] == "manual"
    charged = body["history"][-1]
    assert body["charge"] is not None
    assert Decimal(charged["detail"]) == Decimal(body["charge"]["amount"]) > 0
    [certificate] = body["certificates"]
    assert certificate["covers_session"] is True
    assert certificate["result"] == "pass"
    channels = {c["id"]: c for c in body["channels"]}
    assert channels[temperature]["readings"] == 10
    assert (channels[temperature]["min"], channels[temperature]["max"]) == (20.0, 29.0)
    assert channels[temperature]["mean"] == pytest.approx(24.5)
    assert channels[temperature]["unit"] == demo.channels["temperature"].canonical_unit
    assert channels[temperature]["states"] is None
    # The status register is summed up in words (the state each value stands for), not as a
    # mean of codes.
    shares = [(s["value"], s["state"], s["readings"]) for s in channels[status]["states"]]
    assert shares == [(2, "running", 6), (1, "idle", 2), (7, None, 1)]

    # Another enterprise, or another institution's lab, does not learn the booking exists.
    other = await login("manager@zju.demo")
    hidden = await client.get(f"{API}/bookings/{booking_id}/session", headers=other)
    assert hidden.status_code == 404
    lab = await login("staff@zjim.demo")
    assert (
        await client.get(f"{API}/bookings/{booking_id}/session", headers=lab)
    ).status_code == 200
