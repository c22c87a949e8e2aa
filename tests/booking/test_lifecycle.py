"""A booking's life on real PostgreSQL: quote, approval, cancellation fees, telemetry
check-in, actual use and over-run, no-show release, vouchers, waitlist and recurring series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.harness.app import API, Login
from tests.harness.booking import (
    STAFF_OPERATED,
    body,
    day_at,
    issue_voucher,
    publish,
    run_jobs,
    sql,
)
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_quote_shows_the_published_breakdown(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated)
    buyer = await login("buyer@jingce.demo")
    r = await client.post(
        f"{API}/bookings/quote",
        json=body(
            calibrated.instrument.id, day_at(10, 9), 2.5, mode="staff_operated", sample_count=3
        ),
        headers=buyer,
    )
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["category"] == "enterprise"
    # The cost lines are the breakdown of the published hourly fee ...
    assert {line["item"]: line["per_hour"] for line in q["hourly_lines"]} == {
        "consumables": "12.50",
        "staff_service": "80.00",
        "depreciation": "60.00",
        "other": "7.35",
    }
    assert q["hourly_fee"] == "159.85"
    # ... and the time is charged at that fee: 159.85 * 2.5 = 399.625 -> 399.63.
    assert {line["item"]: line["amount"] for line in q["lines"]} == {
        "time": "399.63",
        "samples": "135.00",
    }
    assert q["total"] == "534.63"
    staff = await login("staff@zjim.demo")
    internal = await client.post(
        f"{API}/bookings/quote",
        json=body(calibrated.instrument.id, day_at(10, 9), 1),
        headers=staff,
    )
    assert internal.json()["category"] == "internal"
    assert internal.json()["total"] == str(Decimal("6.25") + Decimal("30.00") + Decimal("3.68"))


async def test_approval_then_late_cancellation_is_charged_with_voucher(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(
        client,
        login,
        demo,
        approval_required=True,
        cancellation_window_hours=24 * 7,
        late_cancellation_share="0.5",
        voucher_max_share="0.3",
        lead_time_minutes=0,
    )
    voucher_id = await issue_voucher(client, login, demo, "1000.00")
    buyer, staff = await login("buyer@jingce.demo"), await login("staff@zjim.demo")
    r = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, day_at(5, 9), 2, **STAFF_OPERATED),
        headers=buyer,
    )
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["status"] == "pending"
    # Only the lab approves; the request reached the lab's staff.
    assert (
        await client.post(f"{API}/bookings/{booking['id']}/approve", headers=buyer)
    ).status_code == 403
    approvals = await sql(app, "SELECT user_id FROM outbox WHERE kind = 'approval_request'")
    assert {r["user_id"] for r in approvals} == {
        demo.users["staff@zjim.demo"].id,
        demo.users["manager@zjim.demo"].id,
    }
    r = await client.post(f"{API}/bookings/{booking['id']}/approve", headers=staff)
    assert r.json()["status"] == "confirmed"

    r = await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=buyer)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    charge = (await client.get(f"{API}/bookings/{booking['id']}/charge", headers=buyer)).json()
    quoted = Decimal(booking["quoted_amount"])
    assert charge["kind"] == "late_cancellation"
    assert Decimal(charge["amount"]) == (quoted * Decimal("0.5")).quantize(Decimal("0.01"))
    assert Decimal(charge["voucher_amount"]) + Decimal(charge["enterprise_amount"]) == Decimal(
        charge["amount"]
    )
    assert Decimal(charge["voucher_amount"]) <= Decimal(charge["amount"]) * Decimal("0.3")
    voucher = next(
        v
        for v in (await client.get(f"{API}/vouchers", headers=buyer)).json()
        if v["id"] == voucher_id
    )
    assert voucher["status"] == "confirmed_used"
    assert Decimal(voucher["balance"]) == Decimal("1000.00") - Decimal(charge["voucher_amount"])
    # The institution redeems it with the bureau.
    manager = await login("manager@zjim.demo")
    redeemed = (await client.post(f"{API}/vouchers/{voucher_id}/redeem", headers=manager)).json()
    assert Decimal(redeemed["redeemed_amount"]) == Decimal(charge["voucher_amount"])
    # A request nobody approves does not hold the slot past its start.
    unapproved = (
        await client.post(
            f"{API}/bookings",
            json=body(demo.instrument.id, day_at(6, 9), 1, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    assert unapproved["status"] == "pending"
    await run_jobs(app, datetime.fromisoformat(unapproved["start_at"]) + timedelta(minutes=1))
    expired = (await client.get(f"{API}/bookings/{unapproved['id']}", headers=buyer)).json()
    assert expired["status"] == "rejected"


async def test_telemetry_check_in_actual_use_and_overrun(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(client, login, demo, charge_basis="actual")
    staff = await login("staff@zjim.demo")
    start = day_at(6, 9)
    r = await client.post(f"{API}/bookings", json=body(demo.instrument.id, start, 2), headers=staff)
    booking_id = r.json()["id"]
    await sql(
        app,
        "INSERT INTO instrument_state_interval (instrument_id, state, start_at, end_at) VALUES "
        "(:i, 'idle', :a, :b), (:i, 'running', :b, :c), (:i, 'idle', :c, NULL)",
        i=demo.instrument.id,
        a=start - timedelta(hours=1),
        b=start + timedelta(minutes=5),
        c=start + timedelta(hours=2, minutes=20),
    )
    await run_jobs(app, start + timedelta(minutes=10))
    got = (await client.get(f"{API}/bookings/{booking_id}", headers=staff)).json()
    assert got["status"] == "checked_in"
    assert got["check_in_source"] == "telemetry"
    assert datetime.fromisoformat(got["checked_in_at"]) == start + timedelta(minutes=5)

    await run_jobs(app, start + timedelta(hours=3))
    got = (await client.get(f"{API}/bookings/{booking_id}", headers=staff)).json()
    assert got["status"] == "completed"
    assert got["actual_minutes"] == 135
    assert got["overrun_minutes"] == 20
    charge = (await client.get(f"{API}/bookings/{booking_id}/charge", headers=staff)).json()
    assert charge["minutes"] == 135
    assert charge["category"] == "internal"
    overrun = await sql(app, "SELECT count(*) AS n FROM outbox WHERE kind = 'overrun'")
    assert overrun[0]["n"] == 2  # staff and manager


async def test_no_show_is_released_billed_and_offered_to_the_waitlist(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(client, login, demo, no_show_release_minutes=30, no_show_share="1")
    buyer, staff = await login("buyer@jingce.demo"), await login("staff@zjim.demo")
    start = day_at(7, 9)
    booked = (
        await client.post(
            f"{API}/bookings",
            json=body(demo.instrument.id, start, 3, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    wish = {
        "instrument_id": str(demo.instrument.id),
        "start_at": (start + timedelta(hours=1)).isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(),
    }
    entry = await client.post(f"{API}/waitlist", json=wish, headers=staff)
    assert entry.status_code == 201, entry.text

    await run_jobs(app, start + timedelta(minutes=29))
    assert (await client.get(f"{API}/bookings/{booked['id']}", headers=buyer)).json()[
        "status"
    ] == "confirmed"
    await run_jobs(app, start + timedelta(minutes=31))
    got = (await client.get(f"{API}/bookings/{booked['id']}", headers=buyer)).json()
    assert got["status"] == "no_show"
    charge = (await client.get(f"{API}/bookings/{booked['id']}/charge", headers=buyer)).json()
    assert charge["kind"] == "no_show"
    assert charge["amount"] == booked["quoted_amount"]

    waitlist = (await client.get(f"{API}/waitlist", headers=staff)).json()
    assert waitlist[0]["status"] == "offered"
    notes = (await client.get(f"{API}/notifications", headers=staff)).json()
    assert any(n["kind"] == "waitlist_offer" for n in notes)


async def test_waitlist_offer_accepted_after_a_cancellation(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    buyer, staff = await login("buyer@jingce.demo"), await login("staff@zjim.demo")
    start = day_at(8, 14)
    taken = (
        await client.post(f"{API}/bookings", json=body(demo.instrument.id, start, 2), headers=staff)
    ).json()
    wish = body(demo.instrument.id, start, 1, mode="staff_operated")
    entry = (await client.post(f"{API}/waitlist", json=wish, headers=buyer)).json()
    assert entry["status"] == "waiting"
    assert (
        await client.post(f"{API}/bookings/{taken['id']}/cancel", headers=staff)
    ).status_code == 200
    offered = (await client.get(f"{API}/waitlist", headers=buyer)).json()[0]
    assert offered["status"] == "offered"
    r = await client.post(f"{API}/waitlist/{entry['id']}/accept", headers=buyer)
    assert r.status_code == 201, r.text
    assert datetime.fromisoformat(r.json()["start_at"]) == start


async def test_recurring_series_reports_each_occurrence(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    staff = await login("staff@zjim.demo")
    start = day_at(20, 9)
    blocker = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, start + timedelta(days=2), 1),
        headers=staff,
    )
    assert blocker.status_code == 201
    r = await client.post(
        f"{API}/bookings/series",
        json={**body(demo.instrument.id, start, 2), "rrule": "FREQ=DAILY;COUNT=5"},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    outcomes = [o["outcome"] for o in r.json()["occurrences"]]
    assert outcomes == ["booked", "booked", "conflict", "booked", "booked"]
    conflict = r.json()["occurrences"][2]
    assert "already booked" in conflict["detail"]
    bad = await client.post(
        f"{API}/bookings/series",
        json={**body(demo.instrument.id, start, 2), "rrule": "FREQ=SOMETIMES"},
        headers=staff,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "rrule"


async def test_rules_lead_time_duration_grid_and_quota(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(
        client,
        login,
        demo,
        min_duration_minutes=60,
        max_duration_minutes=240,
        slot_minutes=30,
        lead_time_minutes=24 * 60,
        horizon_days=30,
        quota_hours_per_week="3",
        opening_hours=[{"weekday": d, "opens": "08:30:00", "closes": "17:30:00"} for d in range(7)],
    )
    buyer = await login("buyer@jingce.demo")

    async def problem(start: datetime, hours: float) -> tuple[int, str]:
        r = await client.post(
            f"{API}/bookings",
            json=body(demo.instrument.id, start, hours, **STAFF_OPERATED),
            headers=buyer,
        )
        return r.status_code, r.json().get("detail", "")

    assert (await problem(day_at(0, 23) - timedelta(hours=10), 1))[0] == 422  # lead time
    assert "at least 60" in (await problem(day_at(3, 9), 0.5))[1]
    assert "at most 240" in (await problem(day_at(3, 9), 5))[1]
    assert "slot grid" in (await problem(day_at(3, 9, 10), 1))[1]
    assert "opening hours" in (await problem(day_at(3, 7), 2))[1]
    assert "30 days" in (await problem(day_at(40, 9), 1))[1]
    # Quota: 3 h per week for the enterprise.
    monday = day_at(14 - datetime.now(UTC).weekday() % 7, 9)
    assert (await problem(monday, 2))[0] == 201
    status, detail = await problem(monday + timedelta(days=1), 2)
    assert status == 409
    assert "3 h per week" in detail
    assert (await problem(monday + timedelta(days=1), 1))[0] == 201


async def test_only_one_process_runs_a_job_pass_at_a_time(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    from server.booking.jobs import JOBS_LOCK_KEY
    from server.booking.jobs import run_jobs as booking_jobs

    buyer = await login("buyer@jingce.demo")
    start = day_at(7, 9)
    booked = (
        await client.post(
            f"{API}/bookings",
            json=body(calibrated.instrument.id, start, 1, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    later = start + timedelta(hours=2)
    async with app.state.sessionmaker() as holder, holder.begin():
        # Another server process is in the middle of a pass.
        await (await holder.connection()).execute(
            text("SELECT pg_advisory_xact_lock(:k)"), {"k": JOBS_LOCK_KEY}
        )
        async with app.state.sessionmaker() as session, session.begin():
            report = await booking_jobs(session, later, reminder_lead=timedelta(hours=1))
        assert report.no_shows == 0
    assert (await client.get(f"{API}/bookings/{booked['id']}", headers=buyer)).json()[
        "status"
    ] == "confirmed"
    async with app.state.sessionmaker() as session, session.begin():
        report = await booking_jobs(session, later, reminder_lead=timedelta(hours=1))
    assert report.no_shows == 1
