"""The lab's approvals queue: who booked, rejection with a reason the booker reads, and no
approval of time an unusable instrument cannot serve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI

from server.registry.models import OperatorAuthorisation
from tests.harness.app import API, PROBLEM, Login
from tests.harness.booking import STAFF_OPERATED, body, day_at, publish, sql
from tests.harness.calibration import fail_intermediate_check
from tests.harness.factories import World


async def _pending(
    client: httpx.AsyncClient, login: Login, demo: World, days: int, **extra: object
) -> dict[str, object]:
    buyer = await login("buyer@jingce.demo")
    r = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, day_at(days, 9), 2, **{**STAFF_OPERATED, **extra}),
        headers=buyer,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    return dict(r.json())


async def test_reject_needs_a_reason_which_the_booker_reads_on_the_booking_and_notice(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated, approval_required=True, lead_time_minutes=0)
    booking = await _pending(client, login, calibrated, 5)
    manager = await login("manager@zjim.demo")
    url = f"{API}/bookings/{booking['id']}/reject"

    missing = await client.post(url, headers=manager)
    assert missing.status_code == 422
    blank = await client.post(url, json={"reason": "   "}, headers=manager)
    assert blank.status_code == 422
    assert blank.headers["content-type"] == PROBLEM
    assert [e["field"] for e in blank.json()["errors"]] == ["reason"]
    still = await client.get(f"{API}/bookings/{booking['id']}", headers=manager)
    assert still.json()["status"] == "pending"

    reason = "样品尺寸超出箱体容积，请改约大型试验箱"
    rejected = await client.post(url, json={"reason": reason}, headers=manager)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"

    buyer = await login("buyer@jingce.demo")
    mine = {b["id"]: b for b in (await client.get(f"{API}/bookings", headers=buyer)).json()}
    assert mine[booking["id"]]["decision_reason"] == reason
    # A list names each booking's instrument: no second look-up, no id shown in its place.
    assert mine[booking["id"]]["instrument_name"] == calibrated.instrument.name
    assert mine[booking["id"]]["instrument_name_en"] == calibrated.instrument.name_en
    notices = await sql(
        app,
        "SELECT user_id, title, body FROM outbox WHERE kind = 'booking_rejected'",
    )
    assert [n["user_id"] for n in notices] == [calibrated.users["buyer@jingce.demo"].id]
    assert reason in str(notices[0]["body"])
    assert "高低温试验箱" in str(notices[0]["title"])


async def test_approving_on_an_out_of_service_instrument_is_refused_with_a_stable_code(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated, approval_required=True, lead_time_minutes=0)
    booking = await _pending(client, login, calibrated, 4)
    manager = await login("manager@zjim.demo")
    await fail_intermediate_check(client, manager, calibrated.instrument.id)

    refused = await client.post(f"{API}/bookings/{booking['id']}/approve", headers=manager)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["code"] == "booking_approval_unusable"
    assert problem["type"] == "/problems/instrument-unusable"
    assert problem["reason"] == "out_of_service"
    assert datetime.fromisoformat(problem["blocked_from"]) == datetime.fromisoformat(
        str(booking["start_at"])
    )
    # Nothing changed: the booking is still waiting, and nobody was told it was approved.
    after = await client.get(f"{API}/bookings/{booking['id']}", headers=manager)
    assert after.json()["status"] == "pending"

    # The queue warns before the click.
    queue = await client.get(f"{API}/bookings/detailed?status=pending", headers=manager)
    assert queue.status_code == 200, queue.text
    row = next(b for b in queue.json() if b["id"] == booking["id"])
    assert row["unusable"]["reason"] == "out_of_service"


async def test_queue_says_who_booked_mode_samples_items_quote_and_authorisation(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(client, login, demo, approval_required=True, lead_time_minutes=0)
    buyer_user = demo.users["buyer@jingce.demo"]
    granted = datetime.now(UTC) - timedelta(days=2)
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            OperatorAuthorisation(
                instrument_id=demo.instrument.id,
                organisation_id=demo.instrument.organisation_id,
                user_id=buyer_user.id,
                trained_on=granted.date(),
                granted_at=granted,
                lapse_after_days=30,
            )
        )
    tested = await _pending(client, login, demo, 6)
    self_run = await _pending(
        client, login, demo, 7, mode="self_operated", sample_count=0, test_items=[]
    )
    manager = await login("manager@zjim.demo")
    queue = await client.get(f"{API}/bookings/detailed?status=pending", headers=manager)
    assert queue.status_code == 200, queue.text
    rows = {b["id"]: b for b in queue.json()}
    assert set(rows) == {tested["id"], self_run["id"]}
    row = rows[tested["id"]]
    assert row["booker"]["full_name"] == "张伟"
    assert row["booker"]["email"] == "buyer@jingce.demo"
    assert row["booker"]["organisation_name_en"] == "Hangzhou Jingce Technology"
    assert row["mode"] == "staff_operated"
    assert row["sample_count"] == 2
    assert row["test_items"] == ["温度偏差"]
    assert Decimal(row["quoted_amount"]) == Decimal(str(tested["quoted_amount"]))
    assert row["operator"] == {"state": "not_needed", "lapses_at": None}
    assert row["unusable"] is None
    operator = rows[self_run["id"]]["operator"]
    assert operator["state"] == "authorised"
    assert datetime.fromisoformat(operator["lapses_at"]) == granted + timedelta(days=30)

    # Enterprises do not get the lab's view; another institution sees none of these.
    buyer = await login("buyer@jingce.demo")
    assert (await client.get(f"{API}/bookings/detailed", headers=buyer)).status_code == 403
    other = await login("manager@zju.demo")
    assert (await client.get(f"{API}/bookings/detailed", headers=other)).json() == []


async def test_operator_picker_finds_users_of_related_organisations_only(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    manager = await login("manager@zjim.demo")
    url = f"{API}/instruments/{demo.instrument.id}/operator-candidates"
    # Jingce has never dealt with the institution: found by exact e-mail only.
    assert (await client.get(url, params={"q": "张"}, headers=manager)).json() == []
    exact = (await client.get(url, params={"q": "Buyer@Jingce.demo"}, headers=manager)).json()
    assert [c["full_name"] for c in exact] == ["张伟"]
    # Once it has booked here, its users are found by name or part of the e-mail.
    await publish(client, login, demo, lead_time_minutes=0)
    buyer = await login("buyer@jingce.demo")
    r = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, day_at(3, 9), 1, **STAFF_OPERATED),
        headers=buyer,
    )
    assert r.status_code == 201, r.text
    found = (await client.get(url, params={"q": "张"}, headers=manager)).json()
    assert [(c["full_name"], c["organisation_name_en"], c["authorised"]) for c in found] == [
        ("张伟", "Hangzhou Jingce Technology", False)
    ]
    staff = (await client.get(url, params={"q": "zjim"}, headers=manager)).json()
    assert {c["email"] for c in staff} == {"manager@zjim.demo", "staff@zjim.demo"}
    # A LIKE wildcard is searched for literally.
    assert (await client.get(url, params={"q": "%"}, headers=manager)).json() == []
    # Only the instrument's lab manager may search; others are refused or see nothing.
    lab_staff = await login("staff@zjim.demo")
    assert (await client.get(url, params={"q": "张"}, headers=lab_staff)).status_code == 403
    other = await login("manager@zju.demo")
    assert (await client.get(url, params={"q": "张"}, headers=other)).status_code == 404
    assert (await client.get(url, params={"q": "张"}, headers=buyer)).status_code == 403


async def test_the_labs_list_narrows_to_a_day_and_to_flagged_bookings(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated, approval_required=False, lead_time_minutes=0)
    buyer = await login("buyer@jingce.demo")
    booked = []
    for days in (3, 4):
        r = await client.post(
            f"{API}/bookings",
            json=body(calibrated.instrument.id, day_at(days, 9), 2, **STAFF_OPERATED),
            headers=buyer,
        )
        assert r.status_code == 201, r.text
        booked.append(r.json())
    manager = await login("manager@zjim.demo")
    day = datetime.fromisoformat(booked[0]["start_at"]).replace(hour=0, minute=0)
    one_day = await client.get(
        f"{API}/bookings/detailed",
        params={"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()},
        headers=manager,
    )
    assert one_day.status_code == 200, one_day.text
    assert [b["id"] for b in one_day.json()] == [booked[0]["id"]]
    assert (await client.get(f"{API}/bookings/detailed?flagged=true", headers=manager)).json() == []

    await fail_intermediate_check(client, manager, calibrated.instrument.id)
    flagged = await client.get(f"{API}/bookings/detailed?flagged=true", headers=manager)
    assert sorted(b["id"] for b in flagged.json()) == sorted(b["id"] for b in booked)
    assert {b["flag"] for b in flagged.json()} == {"out_of_service"}
