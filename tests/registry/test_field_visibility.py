"""Restricted instrument fields reach only those allowed to see them, on every endpoint.

The walk takes every GET operation of the OpenAPI document, fills in the demo chamber's ids,
and calls it as an enterprise user and as an anonymous visitor; no response may carry a
restricted field's name or value. The owning institution's staff, calling the same endpoints,
must see the values (so the walk can find them at all).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from server.catalog.models import Instrument
from server.catalog.schemas import InstrumentDetail
from server.catalog.visibility import INSTRUMENT_FIELDS, Audience
from server.demo.bookings import seed_demo_bookings
from server.readmodels.catalogue_search_router import CatalogueItem
from server.registry.schemas import InstrumentRecord
from tests.harness.app import Login
from tests.harness.factories import World

pytestmark = pytest.mark.integration

ASSET_CLASS = "ASSET-CLASS-7741"
FIRMWARE = "FW-9.9.9-restricted"
# Field names and the chamber's values nobody but its institution's staff (and admins) may see.
STAFF_ONLY_VALUES = {
    "serial_number": "SETH-2021-0417",
    "original_value": "186000",
    "contact_phone": "0571-85021234",
    "purchase_date": "2021-04-17",
    "asset_class_code": ASSET_CLASS,
    "firmware_version": FIRMWARE,
}
# What an anonymous visitor must not see either.
ENTERPRISE_VALUES = {"contact_name": "李晓梅", "contact_email": "staff@zjim.demo"}
STREAMS = ("/live",)


@pytest.fixture
async def chamber(app: FastAPI, demo: World) -> World:
    async with app.state.sessionmaker() as session, session.begin():
        instrument = await session.get(Instrument, demo.instrument.id)
        assert instrument is not None
        assert instrument.is_open
        demo = dataclasses.replace(demo, instrument=instrument)
        # The record fields the walk looks for, as a lab manager would have filled them in.
        instrument.serial_number = STAFF_ONLY_VALUES["serial_number"]
        instrument.original_value = Decimal("186000.00")
        instrument.currency = "CNY"
        instrument.purchase_date = date(2021, 4, 17)
        instrument.contact_name = ENTERPRISE_VALUES["contact_name"]
        instrument.contact_phone = STAFF_ONLY_VALUES["contact_phone"]
        instrument.contact_email = ENTERPRISE_VALUES["contact_email"]
        instrument.asset_class_code = ASSET_CLASS
        instrument.firmware_version = FIRMWARE
        session.add(instrument)
        await seed_demo_bookings(session, demo.instrument, demo.users)
    return demo


async def _get_operations(client: httpx.AsyncClient, demo: World) -> list[str]:
    """Every GET path of the API, its path parameters filled with the demo's ids."""
    spec = (await client.get("/openapi.json")).json()
    now = datetime.now(UTC)
    values = {
        "instrument_id": str(demo.instrument.id),
        "lab_id": str(demo.lab.id),
        "gateway_id": str(demo.gateway.id),
        "channel_id": str(next(iter(demo.channels.values())).id),
        "start": (now - timedelta(days=30)).isoformat(),
        "end": (now + timedelta(days=30)).isoformat(),
        "month": now.strftime("%Y-%m"),
        "number": "unknown-number",
    }
    urls = []
    for path, operations in spec["paths"].items():
        if "get" not in operations or not path.startswith("/api/"):
            continue
        filled = path
        params: dict[str, str] = {"instrument_id": values["instrument_id"]}
        for parameter in operations["get"].get("parameters", []):
            value = values.get(parameter["name"], str(uuid.uuid4()))
            if parameter["in"] == "path":
                filled = filled.replace("{" + parameter["name"] + "}", value)
            elif parameter["in"] == "query":
                params[parameter["name"]] = value
        urls.append(str(httpx.URL(filled, params=params)))
    return urls


async def _call(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> str:
    try:
        response = await asyncio.wait_for(client.get(url, headers=headers), timeout=10)
    except TimeoutError:
        # A stream that stays open sends live readings, not record fields.
        assert url.split("?")[0].endswith(STREAMS), f"{url} did not answer"
        return ""
    assert response.status_code < 500, f"{url}: {response.status_code} {response.text}"
    return response.text


def _leaks(body: str, restricted: dict[str, str]) -> list[str]:
    return [
        f"{field}={value}"
        for field, value in restricted.items()
        if f'"{field}"' in body or value in body
    ]


async def test_no_endpoint_shows_restricted_fields_to_enterprises_or_visitors(
    client: httpx.AsyncClient, chamber: World, login: Login
) -> None:
    urls = await _get_operations(client, chamber)
    assert any(u.split("?")[0].endswith("/record") for u in urls)
    assert any("/catalogue/instruments" in u for u in urls)
    enterprise = await login("buyer@jingce.demo")
    staff = await login("manager@zjim.demo")

    leaks: dict[str, list[str]] = {}
    seen_by_staff: set[str] = set()
    for url in urls:
        as_enterprise = await _call(client, url, enterprise)
        as_visitor = await _call(client, url, {})
        found = _leaks(as_enterprise, STAFF_ONLY_VALUES)
        found += [f"visitor: {leak}" for leak in _leaks(as_visitor, STAFF_ONLY_VALUES)]
        found += [f"visitor: {leak}" for leak in _leaks(as_visitor, ENTERPRISE_VALUES)]
        if found:
            leaks[url] = found
        as_staff = await _call(client, url, staff)
        seen_by_staff.update(f for f, value in STAFF_ONLY_VALUES.items() if value in as_staff)
    assert leaks == {}
    # The same walk does find the values where they belong.
    assert seen_by_staff == set(STAFF_ONLY_VALUES)


async def test_enterprise_sees_the_contact_but_not_the_asset_fields(
    client: httpx.AsyncClient, chamber: World, login: Login
) -> None:
    url = f"/api/v1/instruments/{chamber.instrument.id}/record"
    record = (await client.get(url, headers=await login("buyer@jingce.demo"))).json()
    assert record["contact_name"] == "李晓梅"
    assert record["contact_email"] == "staff@zjim.demo"
    assert record["name"] == chamber.instrument.name
    assert not set(STAFF_ONLY_VALUES) & set(record)
    staff = (await client.get(url, headers=await login("manager@zjim.demo"))).json()
    assert staff["serial_number"] == "SETH-2021-0417"
    assert staff["contact_phone"] == "0571-85021234"
    admin = (await client.get(url, headers=await login("admin@platform.demo"))).json()
    assert admin["original_value"] == "186000.00"


async def test_sorting_by_value_reveals_no_order_to_visitors(
    client: httpx.AsyncClient, chamber: World
) -> None:
    by_value = await client.get("/api/v1/catalogue/instruments?sort=-original_value")
    by_name = await client.get("/api/v1/catalogue/instruments?sort=name")
    assert by_value.status_code == 200
    assert [i["id"] for i in by_value.json()["items"]] == [i["id"] for i in by_name.json()["items"]]


def _fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_every_instrument_field_has_a_declared_audience() -> None:
    columns = set(Instrument.model_fields) - {"search_text"}
    responses = _fields(InstrumentRecord) | _fields(InstrumentDetail) | _fields(CatalogueItem)
    missing = (columns | responses) - set(INSTRUMENT_FIELDS)
    assert missing == set(), f"declare who may see {sorted(missing)} in INSTRUMENT_FIELDS"
    assert INSTRUMENT_FIELDS["serial_number"] is Audience.STAFF
    assert INSTRUMENT_FIELDS["original_value"] is Audience.STAFF
    assert INSTRUMENT_FIELDS["contact_phone"] is Audience.STAFF
