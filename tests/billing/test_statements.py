"""Monthly statements for both sides of a charge, as JSON, CSV (with BOM) and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from tests.harness.app import API, Login
from tests.harness.booking import STAFF_OPERATED, body, day_at, issue_voucher, publish, run_jobs
from tests.harness.factories import World

pytestmark = pytest.mark.integration


async def test_statements_for_enterprise_and_institution(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(client, login, demo, no_show_share="1", voucher_max_share="0.4")
    await issue_voucher(client, login, demo, "100.00")
    buyer = await login("buyer@jingce.demo")
    start = day_at(3, 9)
    booking = (
        await client.post(
            f"{API}/bookings",
            json=body(demo.instrument.id, start, 2, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    await run_jobs(app, start + timedelta(minutes=45))  # a no-show: billed in full
    charge = (await client.get(f"{API}/bookings/{booking['id']}/charge", headers=buyer)).json()
    amount = Decimal(charge["amount"])
    assert amount == Decimal(booking["quoted_amount"])
    voucher = Decimal(charge["voucher_amount"])
    assert voucher == min(
        Decimal("100.00"), (amount * Decimal("0.4")).quantize(Decimal("0.01"), "ROUND_DOWN")
    )
    month = charge["service_date"][:7]

    statement = (
        await client.get(f"{API}/statements", params={"month": month}, headers=buyer)
    ).json()
    assert statement["side"] == "enterprise"
    assert Decimal(statement["total"]) == amount
    assert Decimal(statement["voucher_total"]) == voucher
    manager = await login("manager@zjim.demo")
    earned = (
        await client.get(f"{API}/statements", params={"month": month}, headers=manager)
    ).json()
    assert earned["side"] == "institution"
    assert Decimal(earned["total"]) == amount

    raw = await client.get(
        f"{API}/statements", params={"month": month, "format": "csv"}, headers=buyer
    )
    assert raw.headers["content-type"].startswith("text/csv")
    assert raw.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese headers
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert rows[0][1] == "仪器 Instrument"
    assert rows[1][1] == "高低温试验箱"
    assert rows[1][5] == "未到场 no-show"
    assert Decimal(rows[1][7]) == amount
    assert rows[-1][0] == "合计 Total"
    assert Decimal(rows[-1][8]) + Decimal(rows[-1][9]) == amount

    xlsx = await client.get(
        f"{API}/statements", params={"month": month, "format": "xlsx"}, headers=manager
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "服务日期 Service date"
    assert values[1][2] == "杭州精测科技有限公司"
    assert Decimal(str(values[-1][7])) == amount

    other_month = await client.get(f"{API}/statements", params={"month": "2001-01"}, headers=buyer)
    assert other_month.json()["lines"] == []
    bad = await client.get(f"{API}/statements", params={"month": "2026-13"}, headers=buyer)
    assert bad.status_code == 422


async def test_the_platform_admin_picks_an_organisation_that_opens_on_its_latest_month(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    await publish(client, login, demo, no_show_share="1")
    buyer = await login("buyer@jingce.demo")
    start = day_at(3, 9)
    booking = (
        await client.post(
            f"{API}/bookings",
            json=body(demo.instrument.id, start, 2, **STAFF_OPERATED),
            headers=buyer,
        )
    ).json()
    await run_jobs(app, start + timedelta(minutes=45))
    charge = (await client.get(f"{API}/bookings/{booking['id']}/charge", headers=buyer)).json()
    month = charge["service_date"][:7]

    admin = await login("admin@platform.demo")
    # Without an organisation the admin's own (the platform) has no statement.
    refused = await client.get(f"{API}/statements", params={"month": month}, headers=admin)
    assert refused.status_code == 422
    parties = (await client.get(f"{API}/statements/organisations", headers=admin)).json()
    kinds = {p["kind"] for p in parties}
    assert kinds == {"enterprise", "institution"}
    buyer_org = next(p for p in parties if p["name"] == "杭州精测科技有限公司")
    assert buyer_org["kind"] == "enterprise"
    assert buyer_org["latest_month"] == month
    statement = (
        await client.get(
            f"{API}/statements",
            params={"month": buyer_org["latest_month"], "organisation_id": buyer_org["id"]},
            headers=admin,
        )
    ).json()
    assert statement["side"] == "enterprise"
    assert Decimal(statement["total"]) == Decimal(charge["amount"])

    # Anyone else sees only their own organisation.
    own = (await client.get(f"{API}/statements/organisations", headers=buyer)).json()
    assert [p["id"] for p in own] == [buyer_org["id"]]
