"""Complaints over HTTP: anyone files, the tracking number follows it, the institution answers,
the platform decides, and the complainant's identity stays with the platform."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from server.complaints.service import MAX_ATTACHMENT_BYTES, RATE_LIMIT
from server.notifications.models import OutboxMessage
from tests.harness.app import API, PROBLEM, Login
from tests.harness.booking import STAFF_OPERATED, body, day_at, publish
from tests.harness.factories import ZJIM, ZJU, World

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(demo: World, organisation: str = ZJIM, **extra: str) -> dict[str, str]:
    return {
        "organisation_id": str(demo.organisations[organisation].id),
        "subject_kind": "report",
        "report_number": "ZJIM-2026-000123",
        "summary": "报告数据与原始记录不符",
        "details": "报告中的温度均匀度与现场记录不一致。",
        **extra,
    }


async def _file(
    client: httpx.AsyncClient,
    data: dict[str, str],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(f"{API}/complaints", data=data, files=files, headers=headers)


async def test_anonymous_complaint_is_tracked_answered_and_decided(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    filed = await _file(
        client,
        _form(demo, anonymous="false", contact_name="赵先生", contact_phone="13800000000"),
        files=[("attachments", ("记录.pdf", PDF, "application/pdf"))],
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["tracking_number"]
    assert number.startswith("TS")

    tracked = (await client.get(f"{API}/complaints/track/{number}")).json()
    assert tracked["status"] == "awaiting_response"
    assert "赵先生" not in str(tracked)
    assert "13800000000" not in str(tracked)

    manager = await login("manager@zjim.demo")
    listed = (await client.get(f"{API}/complaints", headers=manager)).json()
    assert [c["tracking_number"] for c in listed] == [number]
    assert listed[0]["complainant"] is None
    assert "13800000000" not in str(listed)
    complaint_id = listed[0]["id"]
    attachment = listed[0]["attachments"][0]
    body = await client.get(
        f"{API}/complaints/{complaint_id}/attachments/{attachment['id']}", headers=manager
    )
    assert body.content == PDF

    # Another institution does not see it at all.
    other = await login("manager@zju.demo")
    assert (await client.get(f"{API}/complaints", headers=other)).json() == []
    assert (await client.get(f"{API}/complaints/{complaint_id}", headers=other)).status_code == 404

    admin = await login("admin@platform.demo")
    early = await client.post(
        f"{API}/complaints/{complaint_id}/decision",
        json={"outcome": "upheld", "reason": "核实"},
        headers=admin,
    )
    assert early.status_code == 409  # the institution may still answer

    answered = await client.post(
        f"{API}/complaints/{complaint_id}/response",
        json={"response": "已复核原始记录，报告第3页数据录入错误，已更正。"},
        headers=manager,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "under_review"

    seen_by_admin = (await client.get(f"{API}/complaints/{complaint_id}", headers=admin)).json()
    assert seen_by_admin["complainant"]["name"] == "赵先生"
    assert seen_by_admin["complainant"]["phone"] == "13800000000"

    decided = await client.post(
        f"{API}/complaints/{complaint_id}/decision",
        json={"outcome": "upheld", "reason": "报告数据错误属实，机构已更正。"},
        headers=admin,
    )
    assert decided.status_code == 200, decided.text
    tracked = (await client.get(f"{API}/complaints/track/{number}")).json()
    assert tracked["status"] == "closed"
    assert tracked["outcome"] == "upheld"
    assert len(tracked["timeline"]) == 3

    # The upheld complaint is a fact of the institution's credit record.
    record = (
        await client.get(f"{API}/credit/institutions/{demo.organisations[ZJIM].id}", headers=admin)
    ).json()
    assert record["counts"]["complaints_upheld"] == 1
    assert any(f["kind"] == "complaint" for f in record["facts"])

    # The institution's manager was told of the complaint and of the decision; the platform of
    # the answer.
    async with app.state.sessionmaker() as session:
        rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at)))
        told = [(m.kind, m.user_id) for m in rows.all()]
    zjim_manager = demo.users["manager@zjim.demo"].id
    platform = demo.users["admin@platform.demo"].id
    assert told == [
        ("complaint_filed", zjim_manager),
        ("complaint_answered", platform),
        ("complaint_decided", zjim_manager),
    ]

    # The audit trail keeps what happened, never who complained.
    audit = await client.get(f"{API}/audit?entity=complaint", headers=manager)
    assert audit.status_code == 200
    assert [e["action"] for e in audit.json()] == ["decide", "respond"]
    assert "13800000000" not in audit.text
    assert "赵先生" not in audit.text


async def test_logged_in_complainant_follows_their_own(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    buyer = await login("buyer@jingce.demo")
    filed = await _file(client, _form(demo, ZJU), headers=buyer)
    assert filed.status_code == 201
    mine = (await client.get(f"{API}/complaints", headers=buyer)).json()
    assert [c["tracking_number"] for c in mine] == [filed.json()["tracking_number"]]
    assert mine[0]["complainant"] is None


async def test_attachments_are_checked(client: httpx.AsyncClient, demo: World) -> None:
    wrong_type = await _file(
        client,
        _form(demo),
        files=[("attachments", ("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))],
    )
    assert wrong_type.status_code == 422
    assert wrong_type.headers["content-type"] == PROBLEM
    assert "PDF, PNG and JPEG" in wrong_type.json()["detail"]

    too_big = await _file(
        client,
        _form(demo),
        files=[("attachments", ("big.png", PNG + b"\x00" * MAX_ATTACHMENT_BYTES, "image/png"))],
    )
    assert too_big.status_code == 422
    assert "larger than" in too_big.json()["detail"]

    too_many = await _file(
        client,
        _form(demo),
        files=[("attachments", (f"{i}.png", PNG, "image/png")) for i in range(4)],
    )
    assert too_many.status_code == 422


async def test_filing_is_rate_limited(client: httpx.AsyncClient, demo: World) -> None:
    for _ in range(RATE_LIMIT):
        assert (await _file(client, _form(demo))).status_code == 201
    refused = await _file(client, _form(demo))
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM
    assert "Retry-After" in refused.headers


async def test_a_named_complaint_needs_a_way_to_reach_the_complainant(
    client: httpx.AsyncClient, demo: World
) -> None:
    refused = await _file(client, _form(demo, anonymous="false", contact_name="钱女士"))
    assert refused.status_code == 422
    unknown: dict[str, Any] = _form(demo)
    unknown["organisation_id"] = str(demo.organisations["杭州精测科技有限公司"].id)
    assert (await _file(client, unknown)).status_code == 422


async def test_platform_may_decide_after_an_unanswered_deadline(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    number = (await _file(client, _form(demo))).json()["tracking_number"]
    tracked = (await client.get(f"{API}/complaints/track/{number}")).json()
    assert tracked["answer_overdue"] is False
    later = datetime.now(UTC) + timedelta(days=11)
    app.state.clock = lambda: later
    try:
        tracked = (await client.get(f"{API}/complaints/track/{number}")).json()
        assert tracked["answer_overdue"] is True
        page = await client.get("/public/complaints/track", params={"number": number})
        assert "机构逾期未答复" in page.text
        admin = await login("admin@platform.demo")
        complaint_id = (await client.get(f"{API}/complaints", headers=admin)).json()[0]["id"]
        decided = await client.post(
            f"{API}/complaints/{complaint_id}/decision",
            json={"outcome": "not_upheld", "reason": "经核查，报告无误。"},
            headers=admin,
        )
        assert decided.status_code == 200, decided.text
    finally:
        del app.state.clock
    tracked = (await client.get(f"{API}/complaints/track/{number}")).json()
    assert tracked["outcome"] == "not_upheld"


async def test_a_booking_complaint_comes_from_its_customer_about_its_institution(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated  # a calibrated instrument can be booked
    await publish(client, login, demo, lead_time_minutes=0)
    buyer = await login("buyer@jingce.demo")
    booked = await client.post(
        f"{API}/bookings",
        json=body(demo.instrument.id, day_at(3, 9), 1, **STAFF_OPERATED),
        headers=buyer,
    )
    assert booked.status_code == 201, booked.text
    about_booking = _form(demo, subject_kind="booking", booking_id=booked.json()["id"])

    # The customer, logged in, about the institution whose instrument was booked.
    filed = await _file(client, about_booking, headers=buyer)
    assert filed.status_code == 201, filed.text
    manager = await login("manager@zjim.demo")
    theirs = (await client.get(f"{API}/complaints", headers=manager)).json()
    assert [(c["tracking_number"], c["booking_id"]) for c in theirs] == [
        (filed.json()["tracking_number"], booked.json()["id"])
    ]

    # Not anonymously, not by someone else, not against another institution.
    anonymous = await _file(client, about_booking)
    assert anonymous.status_code == 422
    assert "log in as the booking's customer" in anonymous.text
    other = await _file(client, about_booking, headers=await login("manager@zju.demo"))
    assert other.status_code == 422
    elsewhere = await _file(
        client, {**about_booking, "organisation_id": str(demo.organisations[ZJU].id)}, headers=buyer
    )
    assert elsewhere.status_code == 422
    assert "no such booking at this institution" in elsewhere.text
