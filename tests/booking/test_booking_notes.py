"""The sample information thread of a booking: the booker's notes and files, the lab's replies,
nobody else's eyes."""

from __future__ import annotations

import io
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from openpyxl import Workbook

from server.auth.models import OrganisationKind, Role
from server.booking.errors import NOTE_EMPTY_CODE, NOTE_FILE_TOO_LARGE_CODE
from server.registry.bulk_import import XLSX_MEDIA_TYPE
from server.registry.service import ATTACHMENT_MAX_BYTES
from tests.harness.app import API, PROBLEM, Login
from tests.harness.booking import STAFF_OPERATED, body, day_at, publish
from tests.harness.factories import World, add_organisation, add_user

SAMPLE_LIST = "样品清单.xlsx"


def _sample_list() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["样品编号", "名称", "数量"])
    sheet.append(["S-001", "锂电池模组", 2])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def _booking(client: httpx.AsyncClient, login: Login, world: World) -> str:
    await publish(client, login, world, approval_required=True, lead_time_minutes=0)
    buyer = await login("buyer@jingce.demo")
    r = await client.post(
        f"{API}/bookings",
        json=body(world.instrument.id, day_at(6, 9), 2, **STAFF_OPERATED),
        headers=buyer,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_booker_and_lab_share_a_thread_with_files(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    booking_id = await _booking(client, login, calibrated)
    url = f"{API}/bookings/{booking_id}/notes"
    buyer = await login("buyer@jingce.demo")
    xlsx = _sample_list()

    posted = await client.post(
        url,
        data={"body": "两个电池模组，见样品清单"},
        files={"file": (SAMPLE_LIST, xlsx, XLSX_MEDIA_TYPE)},
        headers=buyer,
    )
    assert posted.status_code == 201, posted.text
    note = posted.json()
    assert note["body"] == "两个电池模组，见样品清单"
    assert note["author_side"] == "booker"
    assert note["author_name"] == "张伟"
    assert note["attachment"] == {
        "filename": SAMPLE_LIST,
        "content_type": XLSX_MEDIA_TYPE,
        "size_bytes": len(xlsx),
    }

    # The lab manager of the instrument's institution reads it in the approvals queue and
    # replies with text only.
    manager = await login("manager@zjim.demo")
    seen = await client.get(url, headers=manager)
    assert seen.status_code == 200, seen.text
    assert [n["id"] for n in seen.json()] == [note["id"]]
    reply = await client.post(url, data={"body": "已收到，请在样品上贴好编号"}, headers=manager)
    assert reply.status_code == 201, reply.text
    assert reply.json()["author_side"] == "lab"
    assert reply.json()["attachment"] is None

    thread = (await client.get(url, headers=buyer)).json()
    assert [n["body"] for n in thread] == ["两个电池模组，见样品清单", "已收到，请在样品上贴好编号"]
    assert [n["author_side"] for n in thread] == ["booker", "lab"]

    download = await client.get(f"{url}/{note['id']}/attachment", headers=manager)
    assert download.status_code == 200
    assert download.content == xlsx
    assert download.headers["content-type"] == XLSX_MEDIA_TYPE
    assert f"filename*=UTF-8''{quote(SAMPLE_LIST)}" in download.headers["content-disposition"]
    # A note without a file has nothing to download.
    none = await client.get(f"{url}/{reply.json()['id']}/attachment", headers=buyer)
    assert none.status_code == 404


async def test_outsiders_see_no_thread(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    booking_id = await _booking(client, login, calibrated)
    url = f"{API}/bookings/{booking_id}/notes"
    buyer = await login("buyer@jingce.demo")
    first = await client.post(
        url, files={"file": ("msds.pdf", b"%PDF-1.4 msds", "application/pdf")}, headers=buyer
    )
    assert first.status_code == 201, first.text
    async with app.state.sessionmaker() as session, session.begin():
        other = await add_organisation(session, "宁波另一家公司", OrganisationKind.ENTERPRISE)
        await add_user(session, other, "buyer@other.demo", Role.ENTERPRISE_ADMIN)

    for email in ("buyer@other.demo", "manager@zju.demo"):
        outsider = await login(email)
        for response in (
            await client.get(url, headers=outsider),
            await client.post(url, data={"body": "我也想看"}, headers=outsider),
            await client.get(f"{url}/{first.json()['id']}/attachment", headers=outsider),
        ):
            assert response.status_code == 404, (email, response.text)
            assert response.headers["content-type"] == PROBLEM
    thread = (await client.get(url, headers=buyer)).json()
    assert len(thread) == 1


async def test_empty_and_oversized_notes_are_refused_with_their_codes(
    client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    booking_id = await _booking(client, login, calibrated)
    url = f"{API}/bookings/{booking_id}/notes"
    buyer = await login("buyer@jingce.demo")

    for data in ({}, {"body": "   \n "}):
        empty = await client.post(url, data=data, files={}, headers=buyer)
        assert empty.status_code == 422, empty.text
        assert empty.headers["content-type"] == PROBLEM
        assert empty.json()["code"] == NOTE_EMPTY_CODE
        assert [e["field"] for e in empty.json()["errors"]] == ["body"]

    big = await client.post(
        url,
        files={"file": ("photos.zip", b"\0" * (ATTACHMENT_MAX_BYTES + 1), "application/zip")},
        headers=buyer,
    )
    assert big.status_code == 422
    assert big.json()["code"] == NOTE_FILE_TOO_LARGE_CODE
    assert (await client.get(url, headers=buyer)).json() == []
