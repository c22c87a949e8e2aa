"""The bookings' iCalendar feeds (``server.booking``) as a person and a calendar client see
them, fetched over HTTP from the real database and read back by two independent RFC 5545
parsers: ``icalendar`` and ``vobject`` (the parser CalDAV servers such as Radicale use). The
feeds are reached without a log-in: a malformed token is a 404/422, never a 500."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import vobject
from fastapi import FastAPI
from icalendar import Calendar, Event

from tests.harness.app import API, PROBLEM, Login
from tests.harness.booking import STAFF_OPERATED, body, day_at, publish, sql
from tests.harness.factories import World

pytestmark = pytest.mark.integration

BUYER = "buyer@jingce.demo"
STAFF = "staff@zjim.demo"
WEB = "http://labshare.test"
PLACE = "杭州 · 浙江省计量科学研究院 Zhejiang Institute of Metrology · 热工实验室 / Thermal lab"
STAFF_WORDS = "委托测试 Staff-operated sample testing"
ENUMS = ("staff_operated", "self_operated", "checked_in", "no_show", "pending", "cancelled")


@dataclass(frozen=True)
class Feed:
    raw: bytes
    calendar: Calendar
    other: Any  # the vobject reading of the same bytes

    def event(self, booking_id: str) -> Event:
        (event,) = [e for e in self.calendar.walk("VEVENT") if e["uid"] == uid(booking_id)]
        return event

    def other_event(self, booking_id: str) -> Any:
        (event,) = [e for e in self.other.vevent_list if e.uid.value == uid(booking_id)]
        return event

    def vevent_bytes(self, booking_id: str) -> bytes:
        """The raw VEVENT block of a booking, exactly as served."""
        blocks = re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", self.raw, re.S)
        (block,) = [b for b in blocks if f"UID:{uid(booking_id)}\r\n".encode() in b]
        return block


def uid(booking_id: str) -> str:
    return f"{booking_id}@labshare"


def structurally_valid(raw: bytes) -> None:
    """RFC 5545 rules a client relies on, checked on the bytes as served."""
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")
    assert raw.count(b"BEGIN:VCALENDAR") == 1
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only (§3.1)
    lines = raw.split(b"\r\n")[:-1]
    for line in lines:
        # §3.1: lines are folded at 75 octets, never inside a UTF-8 sequence.
        assert len(line) <= 75, line
        line.decode("utf-8")
    unfolded = raw.replace(b"\r\n ", b"").decode().split("\r\n")
    head = unfolded[: unfolded.index("BEGIN:VEVENT")] if "BEGIN:VEVENT" in unfolded else unfolded
    assert head.count("VERSION:2.0") == 1
    assert sum(1 for line in head if line.startswith("PRODID:")) == 1
    events = "\r\n".join(unfolded).split("BEGIN:VEVENT")[1:]
    for event in events:
        props = [line.split(":", 1)[0].split(";", 1)[0] for line in event.split("\r\n")]
        for required in ("UID", "DTSTAMP", "DTSTART"):
            assert props.count(required) == 1, (required, event)


async def fetch(client: httpx.AsyncClient, url: str) -> Feed:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    structurally_valid(response.content)
    other = vobject.readOne(response.content.decode(), validate=True)
    assert other.name == "VCALENDAR"
    return Feed(response.content, Calendar.from_ical(response.content), other)


async def links(client: httpx.AsyncClient, login: Login, email: str) -> dict[str, str]:
    r = await client.get(f"{API}/calendar/links", headers=await login(email))
    assert r.status_code == 200
    return dict(r.json())


def instrument_feed(links: dict[str, str], instrument_id: uuid.UUID) -> str:
    return links["instrument_feed_template"].replace("{instrument_id}", str(instrument_id))


async def book(
    client: httpx.AsyncClient, headers: dict[str, str], demo: World, start: datetime
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, start, 2, **STAFF_OPERATED),
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def db_time(app: FastAPI, column: str, booking_id: str) -> datetime:
    rows = await sql(app, f"SELECT {column} AS t FROM booking WHERE id = :id", id=booking_id)  # noqa: S608
    value = rows[0]["t"]
    assert isinstance(value, datetime)
    return value.astimezone(UTC).replace(microsecond=0)


async def test_an_event_says_what_where_and_links_back_in_both_parsers(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    buyer = await login(BUYER)
    start = day_at(5, 13)
    booking = await book(client, buyer, calibrated, start)
    reference = "LS-" + booking["id"].replace("-", "")[:8].upper()
    feed = await fetch(client, (await links(client, login, BUYER))["user_feed"])

    summary = f"高低温试验箱 · {STAFF_WORDS} · {reference}"
    link = f"{WEB}/bookings?id={booking['id']}"
    event = feed.event(booking["id"])
    assert str(event["summary"]) == summary
    assert str(event["location"]) == PLACE
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["url"]) == link
    description = str(event["description"])
    assert f"预约编号 Reference: {reference}" in description
    assert "状态 Status: 已确认 Confirmed" in description
    assert f"查看预约 View the booking: {link}" in description
    assert event.decoded("dtstart") == start.astimezone(UTC)
    assert event.decoded("dtend") == (start + timedelta(hours=2)).astimezone(UTC)
    created = await db_time(app, "created_at", booking["id"])
    assert event.decoded("dtstamp") == created
    assert event.decoded("last-modified") == created
    assert event.decoded("sequence") == 0
    # A person never reads a raw enum value.
    text = feed.raw.replace(b"\r\n ", b"").decode()
    for raw_value in ENUMS:
        assert raw_value not in text

    other = feed.other_event(booking["id"])
    assert other.summary.value == summary
    assert other.location.value == PLACE
    assert other.status.value == "CONFIRMED"
    assert other.dtstart.value == start.astimezone(UTC)
    assert other.dtstamp.value == created
    assert link in other.description.value
    assert feed.other.x_wr_calname.value == "labshare · 张伟"
    assert feed.other.x_wr_timezone.value == "Asia/Shanghai"

    # The instrument's feed shows the very same event, byte for byte.
    per_instrument = await fetch(
        client, instrument_feed(await links(client, login, BUYER), calibrated.instrument.id)
    )
    assert per_instrument.vevent_bytes(booking["id"]) == feed.vevent_bytes(booking["id"])
    assert [str(e["uid"]) for e in per_instrument.calendar.walk("VEVENT")] == [uid(booking["id"])]
    assert (
        str(per_instrument.calendar["x-wr-calname"])
        == "labshare · 高低温试验箱 Temperature chamber"
    )


async def test_unchanged_bookings_are_byte_identical_and_changes_are_revisions(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    await publish(client, login, calibrated, approval_required=True, lead_time_minutes=0)
    buyer, staff = await login(BUYER), await login(STAFF)
    booking = await book(client, buyer, calibrated, day_at(6, 9))
    assert booking["status"] == "pending"
    url = (await links(client, login, BUYER))["user_feed"]

    first = await fetch(client, url)
    assert (await fetch(client, url)).raw == first.raw
    pending = first.event(booking["id"])
    assert str(pending["status"]) == "TENTATIVE"
    assert str(pending["summary"]).startswith("【待审批 Pending】高低温试验箱 · ")
    assert pending.decoded("sequence") == 0

    r = await client.post(f"{API}/bookings/{booking['id']}/approve", headers=staff)
    assert r.json()["status"] == "confirmed"
    approved = (await fetch(client, url)).event(booking["id"])
    assert str(approved["status"]) == "CONFIRMED"
    assert not str(approved["summary"]).startswith("【")
    assert approved.decoded("sequence") == 1
    decided = await db_time(app, "decided_at", booking["id"])
    assert approved.decoded("dtstamp") == decided
    assert approved.decoded("last-modified") == decided

    # The lab moves it by a day: new time, higher SEQUENCE, DTSTAMP at the move.
    moved = await client.post(
        f"{API}/bookings/bulk",
        json={"booking_ids": [booking["id"]], "action": "reschedule", "shift_minutes": 24 * 60},
        headers=staff,
    )
    assert [m["outcome"] for m in moved.json()] == ["rescheduled"]
    after_move = await fetch(client, url)
    rescheduled = after_move.event(booking["id"])
    assert rescheduled.decoded("dtstart") == day_at(7, 9).astimezone(UTC)
    assert rescheduled.decoded("sequence") == 2
    outbox = await sql(
        app,
        "SELECT created_at FROM outbox WHERE kind = 'booking_rescheduled'"
        " AND data->>'booking_id' = :id",
        id=booking["id"],
    )
    moved_at = outbox[0]["created_at"]
    assert isinstance(moved_at, datetime)
    assert rescheduled.decoded("dtstamp") == moved_at.astimezone(UTC).replace(microsecond=0)
    assert (await fetch(client, url)).raw == after_move.raw

    r = await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=buyer)
    assert r.json()["status"] == "cancelled"
    cancelled_feed = await fetch(client, url)
    cancelled = cancelled_feed.event(booking["id"])
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["summary"]).startswith("【已取消 Cancelled】")
    assert cancelled.decoded("sequence") == 3
    assert cancelled.decoded("dtstamp") == await db_time(app, "cancelled_at", booking["id"])
    other = cancelled_feed.other_event(booking["id"])
    assert other.status.value == "CANCELLED"
    assert other.sequence.value == "3"


async def test_long_chinese_text_folds_on_character_boundaries_and_escapes_separators(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    # 3-octet characters after a 1- or 2-octet offset: a fold at exactly 75 octets would split one.
    name = "x高低温湿热交变试验箱，型号A;B,C（步入式）" * 3
    room = "3号楼2层 201室; 东侧, 靠窗\\"
    await sql(
        app,
        "UPDATE instrument SET name = :name, location = :room WHERE id = :id",
        name=name,
        room=room,
        id=calibrated.instrument.id,
    )
    booking = await book(client, await login(BUYER), calibrated, day_at(4, 10))
    feed = await fetch(client, (await links(client, login, BUYER))["user_feed"])
    assert any(line.startswith(b" ") for line in feed.raw.split(b"\r\n"))  # it did fold
    assert b"\\;" in feed.raw
    assert b"\\," in feed.raw
    event = feed.event(booking["id"])
    assert str(event["summary"]).startswith(f"{name} · {STAFF_WORDS} · LS-")
    assert str(event["location"]).endswith(f" · 热工实验室 Thermal lab · {room}")
    other = feed.other_event(booking["id"])
    assert other.summary.value == str(event["summary"])
    assert other.location.value == str(event["location"])


async def test_a_feed_speaks_the_language_the_web_app_asked_for(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    buyer = await login(BUYER)
    booking = await book(client, buyer, calibrated, day_at(6, 9))
    reference = "LS-" + booking["id"].replace("-", "")[:8].upper()
    link = f"{WEB}/bookings?id={booking['id']}"

    r = await client.get(f"{API}/calendar/links", params={"lang": "en"}, headers=buyer)
    assert r.status_code == 200, r.text
    english = r.json()
    assert english["user_feed"].endswith("&lang=en")
    feed = await fetch(client, english["user_feed"])
    event = feed.event(booking["id"])
    summary = f"Temperature chamber · Staff-operated sample testing · {reference}"
    assert str(event["summary"]) == summary
    assert feed.other_event(booking["id"]).summary.value == summary
    description = str(event["description"])
    assert f"Reference: {reference}" in description
    assert "Mode: Staff-operated sample testing" in description
    assert "Status: Confirmed" in description
    assert f"View the booking: {link}" in description
    assert "Zhejiang Institute of Metrology" in str(event["location"])
    assert "浙江省计量科学研究院" not in str(event["location"])
    for chinese in ("委托测试", "已确认", "预约编号", "查看预约"):
        assert chinese not in description
    per_instrument = await fetch(client, instrument_feed(english, calibrated.instrument.id))
    assert str(per_instrument.calendar["x-wr-calname"]) == "labshare · Temperature chamber"

    r = await client.get(f"{API}/calendar/links", params={"lang": "zh-CN"}, headers=buyer)
    chinese_feed = await fetch(client, r.json()["user_feed"])
    event = chinese_feed.event(booking["id"])
    assert str(event["summary"]) == f"高低温试验箱 · 委托测试 · {reference}"
    description = str(event["description"])
    assert "方式: 委托测试" in description
    assert "状态: 已确认" in description
    assert f"查看预约: {link}" in description
    assert "Staff-operated" not in description
    # Events are the same booking whatever the language: same UID, DTSTAMP and SEQUENCE.
    for other in (feed, chinese_feed):
        other_event = other.event(booking["id"])
        for prop in ("dtstamp", "sequence", "dtstart", "dtend"):
            assert other_event.decoded(prop) == event.decoded(prop)

    refused = await client.get(f"{API}/calendar/links", params={"lang": "fr"}, headers=buyer)
    assert refused.status_code == 422


@pytest.mark.parametrize("token", ["é", "\x00", "a" * 41, "ＡＢＣ"])
async def test_a_non_ascii_or_overlong_token_is_a_422_without_login(
    client: httpx.AsyncClient, demo: World, token: str
) -> None:
    user_id = demo.users["buyer@jingce.demo"].id
    response = await client.get(f"{API}/calendar/users/{user_id}.ics", params={"token": token})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in response.json()["errors"]] == ["query.token"]
    response = await client.get(
        f"{API}/calendar/instruments/{demo.instrument.id}.ics",
        params={"user": str(user_id), "token": token},
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["query.token"]


async def test_a_wrong_token_of_the_right_form_is_404_and_the_right_one_works(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    user_id = demo.users["buyer@jingce.demo"].id
    response = await client.get(f"{API}/calendar/users/{user_id}.ics", params={"token": "0" * 40})
    assert response.status_code == 404
    links = (
        await client.get(f"{API}/calendar/links", headers=await login("buyer@jingce.demo"))
    ).json()
    path = links["user_feed"].split("labshare.test", 1)[1]
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
