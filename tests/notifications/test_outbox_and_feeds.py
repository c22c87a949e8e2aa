"""Outbox -> in-app notifications and e-mail over a real SMTP server; the in-process job runner
starts and stops cleanly. (The iCalendar feeds are tested in tests/booking/test_ical_feed.py.)"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.header import decode_header, make_header

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from server.jobs import BackgroundJobs, JobSettings
from server.notifications.dispatcher import dispatch_pending
from server.notifications.service import notify
from server.notifications.smtp import SmtpSender
from tests.harness.app import API, Login, SmtpInbox
from tests.harness.booking import STAFF_OPERATED, body, day_at
from tests.harness.factories import World

pytestmark = pytest.mark.integration


def smtp_settings(inbox: SmtpInbox) -> JobSettings:
    return JobSettings(
        jobs_enabled=False,
        smtp_host=inbox.host,
        smtp_port=inbox.port,
        smtp_from="labshare <noreply@labshare.test>",
    )


async def test_booking_confirmation_is_mailed_and_shown_in_app(
    app: FastAPI,
    client: httpx.AsyncClient,
    calibrated: World,
    login: Login,
    smtp_inbox: SmtpInbox,
) -> None:
    buyer = await login("buyer@jingce.demo")
    r = await client.post(
        f"{API}/bookings",
        json=body(calibrated.instrument.id, day_at(4, 10), 1, **STAFF_OPERATED),
        headers=buyer,
    )
    assert r.status_code == 201
    settings = smtp_settings(smtp_inbox)
    sent = await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings))
    assert sent == 1
    assert smtp_inbox.recipients == [["buyer@jingce.demo"]]
    subject = str(make_header(decode_header(smtp_inbox.messages[0]["Subject"])))
    assert subject.startswith("预约已确认 Booking confirmed: 高低温试验箱")
    notes = (await client.get(f"{API}/notifications", headers=buyer)).json()
    assert [n["kind"] for n in notes] == ["booking_confirmed"]
    assert notes[0]["data"]["booking_id"] == r.json()["id"]
    # Delivered once: a second pass sends nothing more.
    assert await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings)) == 0
    read = await client.post(f"{API}/notifications/{notes[0]['id']}/read", headers=buyer)
    assert read.status_code == 204
    assert (
        await client.get(f"{API}/notifications", params={"unread": "true"}, headers=buyer)
    ).json() == []


async def test_smtp_failure_keeps_the_message_for_a_retry(
    app: FastAPI, demo: World, smtp_inbox: SmtpInbox
) -> None:
    buyer = demo.users["buyer@jingce.demo"]
    async with app.state.sessionmaker() as session, session.begin():
        await notify(session, user_ids=[buyer.id], kind="test", title="t", body="b")
    smtp_inbox.refuse = True
    settings = smtp_settings(smtp_inbox)
    assert await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings)) == 0
    async with app.state.sessionmaker() as session:
        row = (
            await (await session.connection()).execute(
                text("SELECT attempts, sent_at, next_attempt_at FROM outbox")
            )
        ).one()
    assert row.attempts == 1
    assert row.sent_at is None
    smtp_inbox.refuse = False
    later = row.next_attempt_at + timedelta(seconds=1)
    assert (
        await dispatch_pending(app.state.sessionmaker, settings, SmtpSender(settings), now=later)
        == 1
    )
    assert len(smtp_inbox.messages) == 1


async def test_outbox_rows_roll_back_with_the_business_change(app: FastAPI, demo: World) -> None:
    buyer = demo.users["buyer@jingce.demo"]

    async def failing_business_change() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await notify(session, user_ids=[buyer.id], kind="test", title="t", body="b")
            raise RuntimeError("the booking failed")

    with pytest.raises(RuntimeError, match="booking failed"):
        await failing_business_change()
    async with app.state.sessionmaker() as session:
        assert (
            await (await session.connection()).execute(text("SELECT count(*) FROM outbox"))
        ).scalar() == 0


async def test_reminder_before_the_booking(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    start = day_at(3, 9)
    await client.post(
        f"{API}/bookings",
        json=body(calibrated.instrument.id, start, 1, **STAFF_OPERATED),
        headers=buyer,
    )
    jobs = BackgroundJobs(
        app.state.sessionmaker, JobSettings(jobs_enabled=False, reminder_lead_minutes=24 * 60)
    )
    await jobs.run_once(start - timedelta(hours=30))
    kinds = [n["kind"] for n in (await client.get(f"{API}/notifications", headers=buyer)).json()]
    assert "booking_reminder" not in kinds
    await jobs.run_once(start - timedelta(hours=20))
    await jobs.run_once(start - timedelta(hours=19))
    kinds = [n["kind"] for n in (await client.get(f"{API}/notifications", headers=buyer)).json()]
    assert kinds.count("booking_reminder") == 1


async def test_background_jobs_run_inside_the_server_and_stop_cleanly(
    app: FastAPI, demo: World
) -> None:
    buyer = demo.users["buyer@jingce.demo"]
    async with app.state.sessionmaker() as session, session.begin():
        await notify(session, user_ids=[buyer.id], kind="test", title="t", body="b")
    jobs = BackgroundJobs(app.state.sessionmaker, JobSettings(jobs_interval_s=0.05))
    await jobs.start()
    try:
        for _ in range(100):
            async with app.state.sessionmaker() as session:
                n = (
                    await (await session.connection()).execute(
                        text("SELECT count(*) FROM notification")
                    )
                ).scalar()
            if n:
                break
            await asyncio.sleep(0.05)
    finally:
        await jobs.stop()
    assert n == 1
    assert jobs._task is None  # stopped; a leftover task would also fail the leak check
