"""Quote, charge, statement and exports agree to the fen with the published hourly fee, on
real PostgreSQL: 3.5 h at 155.00 CNY/h is charged 542.50 for the time, and the no-show and
late-cancellation shares apply to that charge."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from tests.harness.app import API, Login
from tests.harness.booking import run_jobs
from tests.harness.factories import World

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Per hour: 12.35 + 80.00 + 88,480 / 1,600 (= 55.30) + 7.35 = 155.00 CNY.
LAB_COST_MODEL = {
    "consumables_per_hour": "12.35",
    "staff_service_per_hour": "80.00",
    "annual_depreciation": "88480.00",
    "rated_annual_hours": 1600,
    "other_per_hour": "7.35",
    "per_sample_fee": "45.00",
    "factors": {"enterprise": "1"},
}


def _slot(days: int, hours: float) -> tuple[datetime, datetime]:
    today = datetime.now(SHANGHAI).date()
    start = datetime(today.year, today.month, today.day, 9, tzinfo=SHANGHAI) + timedelta(days=days)
    return start, start + timedelta(hours=hours)


def _request(instrument_id: uuid.UUID, days: int) -> dict[str, Any]:
    start, end = _slot(days, 3.5)
    return {
        "instrument_id": str(instrument_id),
        "start_at": start.isoformat(),
        "end_at": end.isoformat(),
        "mode": "staff_operated",
        "sample_count": 1,
        "test_items": ["温度偏差"],
    }


async def _statement_amounts(
    client: httpx.AsyncClient, headers: dict[str, str], month: str, booking_id: str
) -> tuple[Decimal, Decimal, Decimal]:
    """The booking's amount in the JSON statement, the CSV and the XLSX export."""
    params = {"month": month}
    as_json = (await client.get(f"{API}/statements", params=params, headers=headers)).json()
    [line] = [x for x in as_json["lines"] if x["booking_id"] == booking_id]
    raw = await client.get(f"{API}/statements", params={**params, "format": "csv"}, headers=headers)
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    [row] = [r for r in rows if r[4] == booking_id]
    xlsx = await client.get(
        f"{API}/statements", params={**params, "format": "xlsx"}, headers=headers
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    [cells] = [r for r in sheet.iter_rows(values_only=True) if r[4] == booking_id]
    # The spreadsheet shows the amount to the fen.
    assert sheet.cell(row=2, column=8).number_format == "#,##0.00"
    return (
        Decimal(line["amount"]),
        Decimal(row[7]),
        Decimal(str(cells[7])).quantize(Decimal("0.01")),
    )


async def test_quote_charge_statement_and_exports_agree_with_the_hourly_fee(
    app: FastAPI, client: httpx.AsyncClient, calibrated: World, login: Login
) -> None:
    demo = calibrated
    manager = await login("manager@zjim.demo")
    published = await client.put(
        f"{API}/instruments/{demo.instrument.id}/cost-model", json=LAB_COST_MODEL, headers=manager
    )
    assert published.status_code == 200, published.text
    assert published.json()["hourly_fees"]["enterprise"] == {
        "self_operated": "75.00",
        "staff_operated": "155.00",
    }
    policy = await client.put(
        f"{API}/instruments/{demo.instrument.id}/booking-policy",
        json={
            "no_show_share": "1",
            "late_cancellation_share": "0.5",
            "cancellation_window_hours": 24 * 7,
            "lead_time_minutes": 0,
        },
        headers=manager,
    )
    assert policy.status_code == 200, policy.text

    buyer = await login("buyer@jingce.demo")
    q = await client.post(
        f"{API}/bookings/quote", json=_request(demo.instrument.id, 3), headers=buyer
    )
    assert q.status_code == 200, q.text
    quote = q.json()
    assert quote["hourly_fee"] == "155.00"
    assert sum(Decimal(x["per_hour"]) for x in quote["hourly_lines"]) == Decimal("155.00")
    assert {x["item"]: x["amount"] for x in quote["lines"]} == {
        "time": "542.50",  # 155.00 * 3.5, not 542.51
        "samples": "45.00",
    }
    assert quote["total"] == "587.50"

    # A no-show is billed in full: the charge is exactly the quote the user saw.
    no_show = await client.post(
        f"{API}/bookings", json=_request(demo.instrument.id, 3), headers=buyer
    )
    assert no_show.status_code == 201, no_show.text
    booking = no_show.json()
    assert Decimal(booking["quoted_amount"]) == Decimal("587.50")
    start, _ = _slot(3, 3.5)
    await run_jobs(app, start + timedelta(minutes=45))
    charge = (await client.get(f"{API}/bookings/{booking['id']}/charge", headers=buyer)).json()
    assert charge["kind"] == "no_show"
    assert Decimal(charge["amount"]) == Decimal("587.50")
    assert charge["breakdown"]["hourly_fee"] == "155.00"
    assert charge["breakdown"]["lines"] == quote["lines"]
    for side in (buyer, manager):
        assert (
            await _statement_amounts(client, side, charge["service_date"][:7], booking["id"])
            == (Decimal("587.50"),) * 3
        )

    # A late cancellation pays its share of that same charge: 587.50 * 0.5.
    late = await client.post(f"{API}/bookings", json=_request(demo.instrument.id, 5), headers=buyer)
    assert late.status_code == 201, late.text
    cancelled = await client.post(f"{API}/bookings/{late.json()['id']}/cancel", headers=buyer)
    assert cancelled.status_code == 200, cancelled.text
    late_charge = (
        await client.get(f"{API}/bookings/{late.json()['id']}/charge", headers=buyer)
    ).json()
    assert late_charge["kind"] == "late_cancellation"
    assert Decimal(late_charge["amount"]) == Decimal("293.75")
    assert (
        await _statement_amounts(client, buyer, late_charge["service_date"][:7], late.json()["id"])
        == (Decimal("293.75"),) * 3
    )
