"""The HTTP API on a real, migrated PostgreSQL: log-in, catalogue, gateways and tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, text

from mqtt_contract.v1 import QUALITY_CODES, Quality
from server.models import telemetry_table
from tests.harness.app import Login
from tests.harness.factories import PASSWORD, World

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
API = "/api/v1"


async def test_login_and_me(client: httpx.AsyncClient, demo: World) -> None:
    response = await client.post(
        f"{API}/auth/token", data={"username": "Manager@ZJIM.demo", "password": PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0
    me = await client.get(
        f"{API}/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "manager@zjim.demo"
    assert body["role"] == "lab_manager"
    assert body["organisation"]["kind"] == "institution"
    assert body["organisation"]["name"] == "浙江省计量科学研究院"
    assert body["organisation"]["name_en"] == "Zhejiang Institute of Metrology"


@pytest.mark.parametrize(
    ("username", "password"),
    [("manager@zjim.demo", "wrong-password"), ("nobody@zjim.demo", PASSWORD)],
)
async def test_bad_credentials_are_one_401_problem(
    client: httpx.AsyncClient, demo: World, username: str, password: str
) -> None:
    response = await client.post(
        f"{API}/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "Incorrect email or password"


@pytest.mark.parametrize("path", ["/auth/me", "/instruments", "/gateways", "/labs"])
async def test_unauthenticated_requests_get_401_problem(
    client: httpx.AsyncClient, demo: World, path: str
) -> None:
    response = await client.get(API + path)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"


async def test_garbage_token_is_401(client: httpx.AsyncClient, demo: World) -> None:
    response = await client.get(f"{API}/auth/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"] or "invalid" in response.json()["detail"]


async def test_demo_instrument_detail_for_its_institution(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("staff@zjim.demo")
    listing = (await client.get(f"{API}/instruments", headers=headers)).json()
    assert [i["name"] for i in listing] == ["高低温试验箱"]
    detail = (await client.get(f"{API}/instruments/{demo.instrument.id}", headers=headers)).json()
    assert detail["model"] == "SETH-Z-040L"
    assert detail["is_open"] is True
    channels = {c["point_key"]: c for c in detail["channels"]}
    assert {k: c["canonical_unit"] for k, c in channels.items()} == {
        "temperature": "degC",
        "setpoint": "degC",
        "humidity": "percent",
        "power": "W",
        "status": "dimensionless",
    }
    assert {c["device_key"] for c in channels.values()} == {"chamber-1"}
    assert {c["gateway_id"] for c in channels.values()} == {str(demo.gateway.id)}


async def test_latest_reading_per_channel(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    temperature = demo.channels["temperature"].id
    power = demo.channels["power"].id
    newest = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    rows = [
        {
            "channel_id": temperature,
            "ts": newest - timedelta(seconds=s),
            "value": 20.0 + s,
            "quality": QUALITY_CODES[Quality.OK],
            "seq": 100 - s,
        }
        for s in range(5)
    ]
    rows.append(
        {
            "channel_id": power,
            "ts": newest,
            "value": None,
            "quality": QUALITY_CODES[Quality.COMM_FAIL],
            "seq": 200,
        }
    )
    async with app.state.engine.begin() as conn:
        await conn.execute(insert(telemetry_table), rows)

    response = await client.get(
        f"{API}/instruments/{demo.instrument.id}/latest", headers=await login("manager@zjim.demo")
    )
    assert response.status_code == 200
    latest = {r["point_key"]: r for r in response.json()}
    assert set(latest) == {"temperature", "setpoint", "humidity", "power", "status"}
    assert latest["temperature"]["value"] == 20.0
    assert latest["temperature"]["ts"] == "2026-11-27T08:30:00Z"
    assert latest["temperature"]["quality"] == "ok"
    assert latest["temperature"]["unit"] == "degC"
    assert latest["temperature"]["name"] == "温度"
    assert latest["power"]["quality"] == "comm_fail"
    assert latest["power"]["value"] is None
    assert latest["humidity"] == {
        "channel_id": demo.channels["humidity"].id,
        "device_key": "chamber-1",
        "point_key": "humidity",
        "name": "湿度",
        "name_en": "Humidity",
        "unit": "percent",
        "value": None,
        "ts": None,
        "quality": None,
    }


async def test_other_institution_cannot_see_instrument(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("manager@zju.demo")
    assert (await client.get(f"{API}/instruments", headers=headers)).json() == []
    for path in ("", "/latest"):
        response = await client.get(
            f"{API}/instruments/{demo.instrument.id}{path}", headers=headers
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
    patch = await client.patch(
        f"{API}/instruments/{demo.instrument.id}", json={"is_open": False}, headers=headers
    )
    assert patch.status_code == 404


async def test_enterprise_sees_latest_values_taken_during_its_own_booking_only(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    temperature = demo.channels["temperature"].id
    humidity = demo.channels["humidity"].id
    booked_from = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    booked_to = booked_from + timedelta(hours=2)
    buyer = demo.users["buyer@jingce.demo"]
    async with app.state.engine.begin() as conn:
        await conn.execute(
            insert(telemetry_table),
            [
                # inside the buyer's booking
                {
                    "channel_id": temperature,
                    "ts": booked_from + timedelta(minutes=30),
                    "value": 41.5,
                    "quality": QUALITY_CODES[Quality.OK],
                    "seq": 1,
                },
                # after it ended: another customer's session, not the buyer's data
                {
                    "channel_id": humidity,
                    "ts": booked_to + timedelta(minutes=5),
                    "value": 55.0,
                    "quality": QUALITY_CODES[Quality.OK],
                    "seq": 2,
                },
            ],
        )
        await conn.execute(
            text(
                "INSERT INTO booking (id, instrument_id, organisation_id, user_id, start_at,"
                " end_at, status) VALUES (gen_random_uuid(), :i, :o, :u, :s, :e, 'confirmed')"
            ),
            {
                "i": demo.instrument.id,
                "o": buyer.organisation_id,
                "u": buyer.id,
                "s": booked_from,
                "e": booked_to,
            },
        )
    response = await client.get(
        f"{API}/instruments/{demo.instrument.id}/latest", headers=await login("buyer@jingce.demo")
    )
    assert response.status_code == 200
    latest = {r["point_key"]: r for r in response.json()}
    assert latest["temperature"]["value"] == 41.5
    assert latest["humidity"]["value"] is None
    assert latest["humidity"]["ts"] is None
    # The lab sees everything.
    staff = await client.get(
        f"{API}/instruments/{demo.instrument.id}/latest", headers=await login("staff@zjim.demo")
    )
    assert {r["point_key"]: r["value"] for r in staff.json()}["humidity"] == 55.0


async def test_enterprise_sees_catalogue_fields_only(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("buyer@jingce.demo")
    listing = (await client.get(f"{API}/instruments", headers=headers)).json()
    assert [i["id"] for i in listing] == [str(demo.instrument.id)]
    detail = await client.get(f"{API}/instruments/{demo.instrument.id}", headers=headers)
    assert detail.status_code == 200
    assert "channels" not in detail.json()
    assert "serial_number" not in detail.json()
    latest = await client.get(f"{API}/instruments/{demo.instrument.id}/latest", headers=headers)
    assert latest.status_code == 404
    assert (await client.get(f"{API}/gateways", headers=headers)).status_code == 403


async def test_enterprise_does_not_see_closed_instruments(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    closed = await client.patch(
        f"{API}/instruments/{demo.instrument.id}", json={"is_open": False}, headers=manager
    )
    assert closed.status_code == 200
    assert closed.json()["is_open"] is False
    buyer = await login("buyer@jingce.demo")
    assert (await client.get(f"{API}/instruments", headers=buyer)).json() == []
    hidden = await client.get(f"{API}/instruments/{demo.instrument.id}", headers=buyer)
    assert hidden.status_code == 404


async def test_staff_cannot_change_the_catalogue(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("staff@zjim.demo")
    create = await client.post(
        f"{API}/instruments", json={"lab_id": str(demo.lab.id), "name": "示波器"}, headers=headers
    )
    assert create.status_code == 403
    assert create.headers["content-type"] == PROBLEM
    patch = await client.patch(
        f"{API}/instruments/{demo.instrument.id}", json={"name": "x"}, headers=headers
    )
    assert patch.status_code == 403
    gateway = await client.post(
        f"{API}/gateways", json={"key": "gw-x", "name": "x"}, headers=headers
    )
    assert gateway.status_code == 403


async def test_manager_creates_instrument_and_channel(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("manager@zjim.demo")
    created = await client.post(
        f"{API}/instruments",
        json={
            "lab_id": str(demo.lab.id),
            "name": " 恒温槽 ",
            "name_en": "Thermostatic bath",
            "serial_number": "TB-0042",
            "is_open": False,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    instrument = created.json()
    assert instrument["name"] == "恒温槽"
    assert instrument["organisation_id"] == str(demo.organisations["浙江省计量科学研究院"].id)
    assert instrument["serial_number"] == "TB-0042"
    assert instrument["channels"] == []

    channel = await client.post(
        f"{API}/instruments/{instrument['id']}/channels",
        json={
            "gateway_id": str(demo.gateway.id),
            "device_key": "bath-1",
            "point_key": "temperature",
            "name": "槽温",
            "canonical_unit": "degC",
            "normal_min": 5,
            "normal_max": 95,
        },
        headers=headers,
    )
    assert channel.status_code == 201, channel.text
    detail = (await client.get(f"{API}/instruments/{instrument['id']}", headers=headers)).json()
    assert [c["point_key"] for c in detail["channels"]] == ["temperature"]

    renamed = await client.patch(
        f"{API}/instruments/{instrument['id']}", json={"location": "B-201"}, headers=headers
    )
    assert renamed.json()["location"] == "B-201"
    assert renamed.json()["name"] == "恒温槽"  # untouched fields stay

    # Staff of the same institution see it; the enterprise does not (it is not open).
    staff_list = (
        await client.get(f"{API}/instruments", headers=await login("staff@zjim.demo"))
    ).json()
    assert {i["name"] for i in staff_list} == {"高低温试验箱", "恒温槽"}


async def test_channel_rules(client: httpx.AsyncClient, demo: World, login: Login) -> None:
    headers = await login("manager@zjim.demo")
    url = f"{API}/instruments/{demo.instrument.id}/channels"
    base = {"gateway_id": str(demo.gateway.id), "device_key": "chamber-1", "name": "x"}

    duplicate = await client.post(
        url, json={**base, "point_key": "temperature", "canonical_unit": "degC"}, headers=headers
    )
    assert duplicate.status_code == 409

    bad_unit = await client.post(
        url, json={**base, "point_key": "p2", "canonical_unit": "degCC"}, headers=headers
    )
    assert bad_unit.status_code == 422
    assert bad_unit.json()["errors"][0]["field"] == "canonical_unit"

    bad_key = await client.post(
        url, json={**base, "point_key": "has space", "canonical_unit": "degC"}, headers=headers
    )
    assert bad_key.status_code == 422
    assert bad_key.json()["errors"][0]["field"] == "point_key"

    reversed_range = await client.post(
        url,
        json={
            **base,
            "point_key": "p3",
            "canonical_unit": "degC",
            "normal_min": 10,
            "normal_max": 0,
        },
        headers=headers,
    )
    assert reversed_range.status_code == 422
    assert "normal_min" in reversed_range.json()["errors"][0]["message"]


async def test_manager_cannot_use_another_institutions_lab_or_gateway(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    zju = await login("manager@zju.demo")
    response = await client.post(
        f"{API}/instruments", json={"lab_id": str(demo.lab.id), "name": "偷来的"}, headers=zju
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "lab_id", "message": "no such lab in your institution"}
    ]
    lab = await client.post(f"{API}/labs", json={"name": "色谱实验室"}, headers=zju)
    assert lab.status_code == 201
    instrument = await client.post(
        f"{API}/instruments", json={"lab_id": lab.json()["id"], "name": "液相色谱仪"}, headers=zju
    )
    assert instrument.status_code == 201
    channel = await client.post(
        f"{API}/instruments/{instrument.json()['id']}/channels",
        json={
            "gateway_id": str(demo.gateway.id),
            "device_key": "hplc",
            "point_key": "pressure",
            "name": "压力",
            "canonical_unit": "bar",
        },
        headers=zju,
    )
    assert channel.status_code == 422
    assert channel.json()["errors"][0]["field"] == "gateway_id"


async def test_gateway_registration_returns_secret_once(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("manager@zjim.demo")
    created = await client.post(
        f"{API}/gateways", json={"key": "zjim-gw-02", "name": "二号网关"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.headers["Cache-Control"] == "no-store"  # the secret must not be cached
    body = created.json()
    assert len(body["secret"]) >= 32
    assert body["status"] == "unknown"
    fetched = await client.get(f"{API}/gateways/{body['id']}", headers=headers)
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    assert body["secret"] not in fetched.text
    listing = (await client.get(f"{API}/gateways", headers=headers)).json()
    assert {g["key"] for g in listing} == {"demo-gw-01", "zjim-gw-02"}
    assert all("secret_hash" not in g and "mqtt_password_hash" not in g for g in listing)

    again = await client.post(
        f"{API}/gateways", json={"key": "zjim-gw-02", "name": "x"}, headers=headers
    )
    assert again.status_code == 409
    bad = await client.post(
        f"{API}/gateways", json={"key": "has/slash", "name": "x"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "key"


async def test_gateways_are_institution_scoped(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    zju = await login("manager@zju.demo")
    assert (await client.get(f"{API}/gateways", headers=zju)).json() == []
    assert (await client.get(f"{API}/gateways/{demo.gateway.id}", headers=zju)).status_code == 404
    admin = await login("admin@platform.demo")
    assert (await client.get(f"{API}/gateways/{demo.gateway.id}", headers=admin)).status_code == 200


async def test_platform_admin_sees_everything(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    admin = await login("admin@platform.demo")
    manager = await login("manager@zjim.demo")
    await client.patch(
        f"{API}/instruments/{demo.instrument.id}", json={"is_open": False}, headers=manager
    )
    listing = (await client.get(f"{API}/instruments", headers=admin)).json()
    assert [i["id"] for i in listing] == [str(demo.instrument.id)]
    latest = await client.get(f"{API}/instruments/{demo.instrument.id}/latest", headers=admin)
    assert latest.status_code == 200


async def test_failed_request_leaves_no_partial_writes(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("manager@zjim.demo")
    url = f"{API}/instruments/{demo.instrument.id}/channels"
    # A duplicate discovered by the database (not the pre-check) must roll the request back.
    door = {
        "gateway_id": str(demo.gateway.id),
        "device_key": "chamber-1",
        "point_key": "door",
        "name": "门",
        "canonical_unit": "dimensionless",
    }
    first = await client.post(url, json=door, headers=headers)
    assert first.status_code == 201
    again = await client.post(url, json=door, headers=headers)
    assert again.status_code == 409
    detail = (await client.get(f"{API}/instruments/{demo.instrument.id}", headers=headers)).json()
    assert [c["point_key"] for c in detail["channels"]].count("door") == 1


async def test_unknown_instrument_is_404_problem(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    headers = await login("admin@platform.demo")
    response = await client.get(
        f"{API}/instruments/00000000-0000-0000-0000-000000000000", headers=headers
    )
    assert response.status_code == 404
    assert response.json()["instance"] == "/api/v1/instruments/00000000-0000-0000-0000-000000000000"
    not_uuid = await client.get(f"{API}/instruments/42", headers=headers)
    assert not_uuid.status_code == 422
    assert not_uuid.json()["errors"][0]["field"] == "path.instrument_id"


async def test_rotating_a_gateway_secret_replaces_the_old_one(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    from server.core.security import verify_mosquitto_password, verify_password
    from server.gateways.models import Gateway

    url = f"{API}/gateways/{demo.gateway.id}/secret"
    assert (await client.post(url, headers=await login("staff@zjim.demo"))).status_code == 403
    assert (await client.post(url, headers=await login("manager@zju.demo"))).status_code == 404
    rotated = await client.post(url, headers=await login("manager@zjim.demo"))
    assert rotated.status_code == 200
    assert rotated.headers["Cache-Control"] == "no-store"
    secret = rotated.json()["secret"]
    async with app.state.sessionmaker() as session:
        gateway = await session.get(Gateway, demo.gateway.id)
    assert gateway is not None
    assert gateway.mqtt_password_hash is not None
    assert verify_password(secret, gateway.secret_hash)
    assert verify_mosquitto_password(secret, gateway.mqtt_password_hash)
    assert not verify_password("demo-gateway-secret", gateway.secret_hash)


async def test_patch_cannot_null_a_required_field(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    response = await client.patch(
        f"{API}/instruments/{demo.instrument.id}",
        json={"name": None},
        headers=await login("manager@zjim.demo"),
    )
    assert response.status_code == 422
    assert "name cannot be null" in response.json()["errors"][0]["message"]
    unknown = await client.patch(
        f"{API}/instruments/{demo.instrument.id}",
        json={"organisation_id": str(demo.organisations["浙江大学分析测试中心"].id)},
        headers=await login("manager@zjim.demo"),
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "organisation_id"
