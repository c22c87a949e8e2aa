"""E-mail preferences per notification kind: defaults keep e-mailing every kind, a kind
switched off is delivered in-app only (no outbox row), mandatory kinds stay on, and the
recipients' preferences cost one query per ``notify`` call."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from server.notifications.dispatcher import dispatch_pending
from server.notifications.kinds import KINDS, MANDATORY, KindGroup
from server.notifications.service import notify
from server.notifications.smtp import SmtpSender
from tests.harness.app import API, Login, SmtpInbox
from tests.harness.booking import STAFF_OPERATED, body, day_at
from tests.harness.factories import World
from tests.notifications.test_outbox_and_feeds import smtp_settings

pytestmark = pytest.mark.integration

PREFS = f"{API}/notifications/preferences"


async def _count(app: FastAPI, sql: str) -> int:
    async with app.state.sessionmaker() as session:
        return int((await (await session.connection()).execute(text(sql))).scalar_one())


async def test_defaults_list_every_kind_with_email_on(
    client: httpx.AsyncClient, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    r = await client.get(PREFS, headers=buyer)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["email"] == "buyer@jingce.demo"
    assert answer["email_possible"] is True
    rows = {p["kind"]: p for p in answer["preferences"]}
    # An enterprise user is offered every kind but lab and platform work, all e-mailed.
    expected = [k.kind for k in KINDS if k.group not in (KindGroup.LAB, KindGroup.PLATFORM)]
    assert [p["kind"] for p in answer["preferences"]] == expected
    assert all(p["email_enabled"] for p in answer["preferences"])
    assert {k for k, p in rows.items() if not p["editable"]} == MANDATORY
    assert rows["booking_confirmed"]["group"] == "bookings"

    staff = await login("staff@zjim.demo")
    kinds = [p["kind"] for p in (await client.get(PREFS, headers=staff)).json()["preferences"]]
    assert kinds == [k.kind for k in KINDS]
    assert (await client.get(PREFS)).status_code == 401


async def test_switched_off_kind_is_in_app_only_and_other_kinds_still_mail(
    app: FastAPI,
    client: httpx.AsyncClient,
    calibrated: World,
    login: Login,
    smtp_inbox: SmtpInbox,
) -> None:
    buyer = await login("buyer@jingce.demo")
    r = await client.put(
        PREFS,
        json={"preferences": [{"kind": "booking_confirmed", "email_enabled": False}]},
        headers=buyer,
    )
    assert r.status_code == 200, r.text
    rows = {p["kind"]: p["email_enabled"] for p in r.json()["preferences"]}
    assert rows["booking_confirmed"] is False
    assert rows["booking_reminder"] is True
    # Read back: the choice is stored.
    again = (await client.get(PREFS, headers=buyer)).json()["preferences"]
    assert {p["kind"]: p["email_enabled"] for p in again} == rows

    booked = await client.post(
        f"{API}/bookings",
        json=body(calibrated.instrument.id, day_at(4, 10), 1, **STAFF_OPERATED),
        headers=buyer,
    )
    assert booked.status_code == 201, booked.text
    # No outbox row for the confirmation, but the in-app notification is there at once.
    assert await _count(app, "SELECT count(*) FROM outbox") == 0
    notes = (await client.get(f"{API}/notifications", headers=buyer)).json()
    assert [n["kind"] for n in notes] == ["booking_confirmed"]
    assert notes[0]["data"]["booking_id"] == booked.json()["id"]

    # Another kind still goes by e-mail (and in-app).
    buyer_id = calibrated.users["buyer@jingce.demo"].id
    async with app.state.sessionmaker() as session, session.begin():
        queued = await notify(
            session, user_ids=[buyer_id], kind="booking_reminder", title="提醒 Reminder", body="b"
        )
    assert len(queued) == 1
    settings = smtp_settings(smtp_inbox)
    assert await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings)) == 1
    assert smtp_inbox.recipients == [["buyer@jingce.demo"]]
    kinds = [n["kind"] for n in (await client.get(f"{API}/notifications", headers=buyer)).json()]
    assert sorted(kinds) == ["booking_confirmed", "booking_reminder"]

    # Switched back on: e-mailed again.
    await client.put(
        PREFS,
        json={"preferences": [{"kind": "booking_confirmed", "email_enabled": True}]},
        headers=buyer,
    )
    async with app.state.sessionmaker() as session, session.begin():
        await notify(session, user_ids=[buyer_id], kind="booking_confirmed", title="t", body="b")
    assert await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings)) == 1
    assert len(smtp_inbox.messages) == 2


async def test_one_preference_query_per_notify_for_all_recipients(
    app: FastAPI, demo: World, client: httpx.AsyncClient, login: Login
) -> None:
    staff = await login("staff@zjim.demo")
    await client.put(
        PREFS,
        json={"preferences": [{"kind": "approval_request", "email_enabled": False}]},
        headers=staff,
    )
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        async with app.state.sessionmaker() as session, session.begin():
            queued = await notify(
                session,
                user_ids=[u.id for u in demo.users.values()],
                kind="approval_request",
                title="t",
                body="b",
            )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if "notification_email_preference" in s]) == 1
    # Everyone but the staff member is e-mailed; everyone gets the in-app notice.
    assert {m.user_id for m in queued} == {
        u.id for e, u in demo.users.items() if e != "staff@zjim.demo"
    }
    assert await _count(app, "SELECT count(*) FROM notification") == 1


async def test_row_queued_before_the_switch_is_delivered_in_app_only(
    app: FastAPI, demo: World, client: httpx.AsyncClient, login: Login, smtp_inbox: SmtpInbox
) -> None:
    buyer = await login("buyer@jingce.demo")
    buyer_id = demo.users["buyer@jingce.demo"].id
    async with app.state.sessionmaker() as session, session.begin():
        await notify(session, user_ids=[buyer_id], kind="waitlist_offer", title="t", body="b")
    await client.put(
        PREFS,
        json={"preferences": [{"kind": "waitlist_offer", "email_enabled": False}]},
        headers=buyer,
    )
    settings = smtp_settings(smtp_inbox)
    assert await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings)) == 1
    assert smtp_inbox.messages == []
    notes = (await client.get(f"{API}/notifications", headers=buyer)).json()
    assert [n["kind"] for n in notes] == ["waitlist_offer"]


async def test_unknown_kind_is_refused_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    r = await client.put(
        PREFS,
        json={
            "preferences": [
                {"kind": "booking_reminder", "email_enabled": False},
                {"kind": "horoscope", "email_enabled": False},
            ]
        },
        headers=buyer,
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "notification_kind_unknown"
    assert r.json()["errors"][0]["field"] == "preferences.1.kind"
    assert await _count(app, "SELECT count(*) FROM notification_email_preference") == 0


async def test_mandatory_kind_cannot_be_switched_off(
    app: FastAPI, demo: World, client: httpx.AsyncClient, login: Login, smtp_inbox: SmtpInbox
) -> None:
    buyer = await login("buyer@jingce.demo")
    mandatory = "calibration.out_of_tolerance"
    assert mandatory in MANDATORY
    r = await client.put(
        PREFS, json={"preferences": [{"kind": mandatory, "email_enabled": False}]}, headers=buyer
    )
    assert r.status_code == 422
    assert r.json()["code"] == "notification_kind_mandatory"
    # Saying "on" is harmless; the GET still shows it on and not editable.
    r = await client.put(
        PREFS, json={"preferences": [{"kind": mandatory, "email_enabled": True}]}, headers=buyer
    )
    assert r.status_code == 200
    row = next(p for p in r.json()["preferences"] if p["kind"] == mandatory)
    assert row == {
        "kind": mandatory,
        "group": "quality",
        "email_enabled": True,
        "editable": False,
    }
    # Even a stored "off" (written behind the API's back) does not stop the e-mail.
    buyer_id = demo.users["buyer@jingce.demo"].id
    async with app.state.sessionmaker() as session, session.begin():
        await (await session.connection()).execute(
            text(
                "INSERT INTO notification_email_preference (user_id, kind, email_enabled) "
                "VALUES (:u, :k, false)"
            ),
            {"u": buyer_id, "k": mandatory},
        )
        queued = await notify(session, user_ids=[buyer_id], kind=mandatory, title="t", body="b")
    assert len(queued) == 1
    settings = smtp_settings(smtp_inbox)
    assert await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings)) == 1
    assert smtp_inbox.recipients == [["buyer@jingce.demo"]]
