"""Calibration validity and out-of-service periods against bookings; tenancy on every endpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from server.auth.models import AppUser, Organisation
from server.core.security import hash_password
from tests.harness.app import API, PROBLEM, Login, certify
from tests.harness.booking import STAFF_OPERATED, body, day_at, run_jobs, sql
from tests.harness.factories import PASSWORD, World

pytestmark = pytest.mark.integration


async def test_no_booking_past_the_calibration_valid_to(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    await certify(app, demo, valid_to_days=5)
    buyer = await login("buyer@jingce.demo")
    ok = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, day_at(3, 9), 2, **STAFF_OPERATED),
        headers=buyer,
    )
    assert ok.status_code == 201, ok.text
    late = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, day_at(7, 9), 2, **STAFF_OPERATED),
        headers=buyer,
    )
    assert late.status_code == 409
    assert late.headers["content-type"] == PROBLEM
    assert late.json()["type"] == "/problems/instrument-unusable"
    assert late.json()["reason"] == "calibration_expired"
    # Availability agrees: nothing free after the certificate runs out.
    window = {"start": day_at(1, 0).isoformat(), "end": day_at(10, 0).isoformat()}
    avail = (await client.get(f"{API}/availability", params=window, headers=buyer)).json()
    mine = next(a for a in avail if a["instrument_id"] == str(demo.instrument.id))
    valid_to = datetime.now(UTC) + timedelta(days=5)
    assert mine["free"]
    assert all(datetime.fromisoformat(s["end"]) <= valid_to for s in mine["free"])
    assert any(b["reason"] == "calibration_expired" for b in mine["blocked"])


async def test_out_of_service_flags_future_bookings_and_staff_act_in_bulk(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    buyer, staff = await login("buyer@jingce.demo"), await login("staff@zjim.demo")
    ids = []
    for days in (4, 5):
        r = await client.post(
            f"{API}/bookings",
            json=body(demo.instrument.id, day_at(days, 9), 2, **STAFF_OPERATED),
            headers=buyer,
        )
        ids.append(r.json()["id"])
    await sql(
        app,
        "INSERT INTO out_of_service (instrument_id, organisation_id, start_at, reason, cause_kind) "
        "VALUES (:i, :o, :s, '温度传感器故障', 'fault')",
        i=demo.instrument.id,
        o=demo.instrument.organisation_id,
        s=datetime.now(UTC) + timedelta(days=2),
    )
    await run_jobs(app, datetime.now(UTC))
    flagged = (
        await client.get(f"{API}/bookings", params={"flagged": "true"}, headers=staff)
    ).json()
    assert sorted(b["id"] for b in flagged) == sorted(ids)
    assert {b["flag"] for b in flagged} == {"out_of_service"}
    notes = (await client.get(f"{API}/notifications", headers=buyer)).json()
    assert sum(n["kind"] == "booking_flagged" for n in notes) == 2
    # A second pass does not notify again.
    await run_jobs(app, datetime.now(UTC))
    assert len((await client.get(f"{API}/notifications", headers=buyer)).json()) == len(notes)

    moved = await client.post(
        f"{API}/bookings/bulk",
        json={"booking_ids": ids, "action": "reschedule", "shift_minutes": 24 * 60},
        headers=staff,
    )
    assert [r["outcome"] for r in moved.json()] == ["conflict", "conflict"]
    # Enterprises may not act in bulk.
    denied = await client.post(
        f"{API}/bookings/bulk", json={"booking_ids": ids, "action": "cancel"}, headers=buyer
    )
    assert denied.status_code == 403
    cancelled = await client.post(
        f"{API}/bookings/bulk",
        json={
            "booking_ids": ids,
            "action": "cancel",
            "reason": "仪器停用 Instrument out of service",
        },
        headers=staff,
    )
    assert [r["outcome"] for r in cancelled.json()] == ["cancelled", "cancelled"]
    # No fee for a cancellation the lab made.
    assert (await client.get(f"{API}/bookings/{ids[0]}/charge", headers=buyer)).status_code == 404


async def test_a_recalled_calibration_flags_bookings_after_the_new_valid_to(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    staff = await login("staff@zjim.demo")
    early = (
        await client.post(
            f"{API}/bookings", json=body(demo.instrument.id, day_at(2, 9), 1), headers=staff
        )
    ).json()
    later = (
        await client.post(
            f"{API}/bookings", json=body(demo.instrument.id, day_at(9, 9), 1), headers=staff
        )
    ).json()
    await sql(
        app,
        "UPDATE calibration_certificate SET valid_to = :t WHERE instrument_id = :i",
        t=datetime.now(UTC) + timedelta(days=4),
        i=demo.instrument.id,
    )
    await run_jobs(app, datetime.now(UTC))
    assert (await client.get(f"{API}/bookings/{early['id']}", headers=staff)).json()["flag"] is None
    assert (await client.get(f"{API}/bookings/{later['id']}", headers=staff)).json()[
        "flag"
    ] == "calibration_expired"


async def _other_enterprise(app: FastAPI, client: httpx.AsyncClient) -> dict[str, str]:
    async with app.state.sessionmaker() as session, session.begin():
        org = Organisation(
            kind="enterprise", name="宁波测试企业", name_en="Ningbo Test Co", city="宁波"
        )
        session.add(org)
        await session.flush()
        session.add(
            AppUser(
                organisation_id=org.id,
                email="rival@ningbo.demo",
                full_name="赵敏",
                role="enterprise_admin",
                password_hash=hash_password(PASSWORD),
            )
        )
    r = await client.post(
        f"{API}/auth/token", data={"username": "rival@ningbo.demo", "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_tenancy_other_enterprise_and_institution_get_404(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    buyer = await login("buyer@jingce.demo")
    booking = (
        await client.post(
            f"{API}/bookings",
            json=body(demo.instrument.id, day_at(6, 9), 2, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    rival = await _other_enterprise(app, client)
    zju = await login("manager@zju.demo")
    bid = booking["id"]
    for headers in (rival, zju):
        for method, path in (
            ("GET", f"/bookings/{bid}"),
            ("POST", f"/bookings/{bid}/cancel"),
            ("POST", f"/bookings/{bid}/check-in"),
            ("POST", f"/bookings/{bid}/approve"),
            ("POST", f"/bookings/{bid}/reject"),
            ("POST", f"/bookings/{bid}/no-show"),
            ("GET", f"/bookings/{bid}/charge"),
        ):
            # A rejection needs its reason, or the body is refused before tenancy is checked.
            reason = {"reason": "不适用"} if path.endswith("/reject") else None
            r = await client.request(method, API + path, headers=headers, json=reason)
            assert r.status_code == 404, (method, path, r.text)
            assert r.headers["content-type"] == PROBLEM
        assert (await client.get(f"{API}/bookings", headers=headers)).json() == []
        bulk = await client.post(
            f"{API}/bookings/bulk", json={"booking_ids": [bid], "action": "cancel"}, headers=headers
        )
        assert bulk.status_code in (403, 200)
        if bulk.status_code == 200:
            assert bulk.json()[0]["outcome"] == "not_found"
    jingce = demo.users["buyer@jingce.demo"].organisation_id
    r = await client.get(
        f"{API}/statements",
        params={"month": "2026-11", "organisation_id": str(jingce)},
        headers=rival,
    )
    assert r.status_code == 404
    assert (await client.get(f"{API}/vouchers", headers=rival)).json() == []
    # Another institution cannot change ZJIM's rules or prices.
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/booking-policy", json={}, headers=zju
    )
    assert r.status_code == 404
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/cost-model", json={}, headers=rival
    )
    assert r.status_code == 404
    # The booking is still there and still the buyer's.
    assert (await client.get(f"{API}/bookings/{bid}", headers=buyer)).json()[
        "status"
    ] == "confirmed"
    unknown = uuid.uuid4()
    assert (await client.get(f"{API}/bookings/{unknown}", headers=buyer)).status_code == 404


async def test_availability_applies_hours_buffer_minimum_and_blackouts(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    manager, staff = await login("manager@zjim.demo"), await login("staff@zjim.demo")
    policy = {
        "buffer_minutes": 30,
        "lead_time_minutes": 0,
        "min_duration_minutes": 60,
        "opening_hours": [
            {"weekday": d, "opens": "09:00:00", "closes": "17:00:00"} for d in range(7)
        ],
    }
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/booking-policy", json=policy, headers=manager
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["opening_hours"]) == 7
    booked = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, day_at(5, 10), 1), headers=staff
    )
    assert booked.status_code == 201, booked.text
    # The buffer also keeps a new booking away from the existing one.
    too_close = await client.post(
        f"{API}/bookings", json=body(demo.instrument.id, day_at(5, 11), 1), headers=staff
    )
    assert too_close.status_code == 409
    blackout = await client.post(
        f"{API}/instruments/{demo.instrument.id}/blackouts",
        json={
            "start_at": day_at(6, 0).isoformat(),
            "end_at": day_at(7, 0).isoformat(),
            "reason": "年度检修",
        },
        headers=staff,
    )
    assert blackout.status_code == 201, blackout.text

    buyer = await login("buyer@jingce.demo")
    window = {
        "instrument_id": str(demo.instrument.id),
        "start": day_at(5, 0).isoformat(),
        "end": day_at(7, 12).isoformat(),
    }
    r = await client.get(f"{API}/availability", params=window, headers=buyer)
    assert r.status_code == 200, r.text
    free = [
        (datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
        for s in r.json()[0]["free"]
    ]
    # 09:00-09:30 is shorter than the minimum; 11:30 is the end of the buffer; day 6 is closed.
    assert free == [(day_at(5, 11, 30), day_at(5, 17)), (day_at(7, 9), day_at(7, 12))]
    # The rest of the window says why: nights closed, the booking (with its buffer and the
    # leftover too short to book) booked, day 6's opening hours blacked out with the reason.
    unavailable = [
        (
            datetime.fromisoformat(u["start"]),
            datetime.fromisoformat(u["end"]),
            u["reason"],
            u["detail"],
        )
        for u in r.json()[0]["unavailable"]
    ]
    assert unavailable == [
        (day_at(5, 0), day_at(5, 9), "closed", ""),
        (day_at(5, 9), day_at(5, 11, 30), "booked", ""),
        (day_at(5, 17), day_at(6, 9), "closed", ""),
        (day_at(6, 9), day_at(6, 17), "blackout", "年度检修"),
        (day_at(6, 17), day_at(7, 9), "closed", ""),
    ]

    unknown = await client.get(
        f"{API}/availability", params={**window, "instrument_id": str(uuid.uuid4())}, headers=buyer
    )
    assert unknown.status_code == 404
    too_long = await client.get(
        f"{API}/availability", params={**window, "end": day_at(200, 0).isoformat()}, headers=buyer
    )
    assert too_long.status_code == 422
