"""Booking test helpers: slot times in Beijing time, request bodies, jobs, raw SQL, fees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from server.jobs import BackgroundJobs, JobSettings
from tests.harness.app import API, Login
from tests.harness.factories import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day_at(days: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Shanghai ``days`` from today."""
    today = datetime.now(SHANGHAI).date()
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=SHANGHAI) + timedelta(
        days=days
    )


def body(
    instrument_id: uuid.UUID, start: datetime, hours: float, **extra: object
) -> dict[str, object]:
    return {
        "instrument_id": str(instrument_id),
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=hours)).isoformat(),
        **extra,
    }


STAFF_OPERATED = {"mode": "staff_operated", "sample_count": 2, "test_items": ["温度偏差"]}


COST_MODEL = {
    "consumables_per_hour": "12.50",
    "staff_service_per_hour": "80.00",
    "annual_depreciation": "96000.00",
    "rated_annual_hours": 1600,
    "other_per_hour": "7.35",
    "per_sample_fee": "45.00",
    "factors": {"internal": "0.5", "enterprise": "1"},
}


async def run_jobs(app: FastAPI, now: datetime) -> None:
    await BackgroundJobs(app.state.sessionmaker, JobSettings(jobs_enabled=False)).run_once(now)


async def sql(app: FastAPI, statement: str, **params: object) -> list[dict[str, object]]:
    async with app.state.sessionmaker() as session, session.begin():
        result = await (await session.connection()).execute(text(statement), params)
        return [dict(r._mapping) for r in result] if result.returns_rows else []


async def publish(client: httpx.AsyncClient, login: Login, demo: World, **policy: object) -> None:
    manager = await login("manager@zjim.demo")
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/cost-model", json=COST_MODEL, headers=manager
    )
    assert r.status_code == 200, r.text
    assert r.json()["depreciation_per_hour"] == "60.00"
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/booking-policy", json=policy, headers=manager
    )
    assert r.status_code == 200, r.text


async def issue_voucher(client: httpx.AsyncClient, login: Login, demo: World, face: str) -> str:
    admin = await login("admin@platform.demo")
    jingce = demo.users["buyer@jingce.demo"].organisation_id
    today = datetime.now(UTC).date()
    r = await client.post(
        f"{API}/vouchers",
        json={
            "code": f"HZ-{uuid.uuid4().hex[:8]}",
            "issuer": "杭州市科学技术局",
            "holder_organisation_id": str(jingce),
            "face_value": face,
            "valid_from": str(today - timedelta(days=1)),
            "valid_to": str(today + timedelta(days=365)),
            "regions": ["浙江"],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "issued"
    return str(r.json()["id"])
