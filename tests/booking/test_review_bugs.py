"""Bugs a code review found in the booking jobs and staff actions, each seen as a user would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from server.booking.jobs import run_jobs as booking_jobs
from tests.harness.app import API, Login
from tests.harness.booking import body, day_at, run_jobs, sql
from tests.harness.factories import World

pytestmark = pytest.mark.integration


@contextmanager
def counting_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    statements: list[str] = []
    sync_engine = app.state.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)


async def test_bulk_cancel_offers_the_freed_slots_to_the_waitlist(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    buyer, staff = await login("buyer@jingce.demo"), await login("staff@zjim.demo")
    start = day_at(9, 9)
    taken = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, start, 2), headers=staff
    )
    assert taken.status_code == 201, taken.text
    wish = body(demo.instrument.id, start, 1, mode="staff_operated")
    joined = await client.post(f"{API}/waitlist", json=wish, headers=buyer)
    assert joined.status_code == 201, joined.text
    assert joined.json()["status"] == "waiting"

    r = await client.post(
        f"{API}/bookings/bulk",
        json={"booking_ids": [taken.json()["id"]], "action": "cancel", "reason": "设备维修"},
        headers=staff,
    )
    assert [o["outcome"] for o in r.json()] == ["cancelled"]
    waitlist = (await client.get(f"{API}/waitlist", headers=buyer)).json()
    assert [w["status"] for w in waitlist] == ["offered"]


async def test_reminders_read_the_booking_time_in_the_labs_own_time_zone(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    staff, manager = await login("staff@zjim.demo"), await login("manager@zjim.demo")
    # A lab that keeps its calendar in Urumqi time (UTC+6, two hours behind Beijing).
    policy = await client.put(
        f"{API}/instruments/{demo.instrument.id}/booking-policy",
        json={"timezone": "Asia/Urumqi"},
        headers=manager,
    )
    assert policy.status_code == 200, policy.text
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)
    booking = await sql(
        app,
        "INSERT INTO booking (id, instrument_id, organisation_id, user_id, start_at, end_at, "
        "status, mode) VALUES (:id, :i, :o, :u, :s, :e, 'confirmed', 'self_operated') "
        "RETURNING start_at",
        id=uuid.uuid4(),
        i=demo.instrument.id,
        o=demo.instrument.organisation_id,
        u=demo.users["staff@zjim.demo"].id,
        s=start,
        e=start + timedelta(hours=1),
    )
    assert booking
    await run_jobs(app, start - timedelta(hours=2))
    notes = (await client.get(f"{API}/notifications", headers=staff)).json()
    reminder = next(n for n in notes if n["kind"] == "booking_reminder")
    urumqi = start + timedelta(hours=6)
    assert f"{urumqi:%Y-%m-%d %H:%M}" in reminder["body"]
    beijing = start + timedelta(hours=8)
    assert f"{beijing:%H:%M}" not in reminder["body"]


async def test_a_job_pass_asks_for_policies_and_staff_once_not_per_booking(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    now = datetime.now(UTC).replace(microsecond=0)

    async def booked(first: int, count: int) -> None:
        for n in range(first, first + count):
            start = now + timedelta(days=3, hours=3 * n)
            await sql(
                app,
                "INSERT INTO booking (id, instrument_id, organisation_id, user_id, start_at, "
                "end_at, status, mode) VALUES (:id, :i, :o, :u, :s, :e, 'confirmed', "
                "'self_operated')",
                id=uuid.uuid4(),
                i=demo.instrument.id,
                o=demo.instrument.organisation_id,
                u=demo.users["staff@zjim.demo"].id,
                s=start,
                e=start + timedelta(hours=1),
            )

    async def statements_of_a_pass() -> list[str]:
        with counting_statements(app) as statements:
            # Out of service from now: every booking is flagged and its staff told.
            async with app.state.sessionmaker() as session, session.begin():
                await booking_jobs(session, now, reminder_lead=timedelta(days=1))
        return statements

    await sql(
        app,
        "INSERT INTO out_of_service (instrument_id, organisation_id, start_at, reason, cause_kind) "
        "VALUES (:i, :o, :s, '主板故障', 'fault')",
        i=demo.instrument.id,
        o=demo.instrument.organisation_id,
        s=now,
    )
    await booked(0, 2)
    few = await statements_of_a_pass()
    await sql(app, "UPDATE booking SET flag = NULL, flag_detail = NULL")
    await booked(2, 8)
    many = await statements_of_a_pass()

    def staff_queries(statements: list[str]) -> int:
        return sum("FROM app_user" in s and "role" in s for s in statements)

    def policy_queries(statements: list[str]) -> int:
        return sum("FROM booking_policy" in s for s in statements)

    assert staff_queries(many) == staff_queries(few)
    assert policy_queries(many) == policy_queries(few)
