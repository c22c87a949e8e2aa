"""Retention classes over HTTP: platform admins define them, lab managers choose per channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from server.telemetry.retention import apply_retention
from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Telemetry

CLASSES = "/api/v1/telemetry/retention-classes"


def channel_url(channel_id: int | None) -> str:
    assert channel_id is not None
    return f"/api/v1/channels/{channel_id}/retention"


def error_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json().get("errors", [])]


async def test_a_class_defined_by_the_platform_and_chosen_by_the_lab_is_applied(
    app: FastAPI, client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    admin = await login("admin@platform.demo")
    manager = await login("manager@zjim.demo")
    created = await client.put(
        f"{CLASSES}/short", json={"raw_days": 7, "rollup_days": 90}, headers=admin
    )
    assert created.status_code == 201, created.text
    changed = await client.put(
        f"{CLASSES}/short", json={"raw_days": 14, "rollup_days": 60}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"name": "short", "raw_days": 14, "rollup_days": 60, "channels": 0}

    power = demo.channels["power"]
    assert power.id is not None
    before = await client.get(channel_url(power.id), headers=manager)
    assert before.status_code == 200, before.text
    assert before.json()["class_name"] == "standard"
    assert before.json()["is_default"] is True
    chosen = await client.put(channel_url(power.id), json={"class_name": "short"}, headers=manager)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {
        "channel_id": power.id, "class_name": "short", "raw_days": 14, "rollup_days": 60,
        "is_default": False,
    }  # fmt: skip
    listed = {c["name"]: c for c in (await client.get(CLASSES, headers=manager)).json()}
    assert listed["short"]["channels"] == 1
    assert listed["standard"]["channels"] == len(demo.channels) - 1

    # The retention job keeps 14 days of the power channel, a year of the others.
    now = datetime.now(UTC)
    temperature = demo.channels["temperature"]
    assert temperature.id is not None
    for channel_id in (power.id, temperature.id):
        telemetry.insert(channel_id, [(now - timedelta(days=d), float(d)) for d in (20, 3)])
    async with app.state.engine.connect() as conn:
        await apply_retention(conn, now, timescaledb=bool(app.state.timescaledb))
    kept = telemetry.execute("SELECT channel_id, value FROM telemetry")
    assert sorted(kept) == sorted([(power.id, 3.0), (temperature.id, 20.0), (temperature.id, 3.0)])


async def test_only_the_owning_institutions_managers_choose_a_channels_class(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    channel_id = demo.channels["temperature"].id
    body = {"class_name": "diagnostic"}
    other_manager = await login("manager@zju.demo")
    staff = await login("staff@zjim.demo")
    buyer = await login("buyer@jingce.demo")

    # Another institution's manager and an enterprise do not learn the channel exists.
    for headers in (other_manager, buyer):
        assert (await client.get(channel_url(channel_id), headers=headers)).status_code == 404
        put = await client.put(channel_url(channel_id), json=body, headers=headers)
        assert put.status_code == 404
    assert (await client.get(channel_url(999_999), headers=staff)).status_code == 404
    # The institution's staff see the class but may not change it.
    assert (await client.get(channel_url(channel_id), headers=staff)).status_code == 200
    refused = await client.put(channel_url(channel_id), json=body, headers=staff)
    assert refused.status_code == 403
    assert (await client.get(channel_url(channel_id), headers=staff)).json()[
        "class_name"
    ] == "standard"

    admin = await login("admin@platform.demo")
    by_admin = await client.put(channel_url(channel_id), json=body, headers=admin)
    assert by_admin.status_code == 200
    assert by_admin.json()["class_name"] == "diagnostic"


async def test_only_platform_admins_define_classes(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    body = {"raw_days": 10, "rollup_days": 100}
    for email in ("manager@zjim.demo", "staff@zjim.demo", "buyer@jingce.demo"):
        headers = await login(email)
        assert (await client.put(f"{CLASSES}/mine", json=body, headers=headers)).status_code == 403
        assert (await client.delete(f"{CLASSES}/diagnostic", headers=headers)).status_code == 403
    buyer = await login("buyer@jingce.demo")
    assert (await client.get(CLASSES, headers=buyer)).status_code == 403
    admin = await login("admin@platform.demo")
    names = [c["name"] for c in (await client.get(CLASSES, headers=admin)).json()]
    assert names == ["diagnostic", "standard"]


async def test_class_and_choice_errors_name_the_field(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    admin = await login("admin@platform.demo")
    shorter = await client.put(
        f"{CLASSES}/odd", json={"raw_days": 30, "rollup_days": 7}, headers=admin
    )
    assert shorter.status_code == 422
    assert error_fields(shorter) == ["rollup_days"]
    zero = await client.put(f"{CLASSES}/odd", json={"raw_days": 0, "rollup_days": 7}, headers=admin)
    assert zero.status_code == 422
    assert any(f.endswith("raw_days") for f in error_fields(zero))
    bad_name = await client.put(
        f"{CLASSES}/Not%20A%20Name", json={"raw_days": 1, "rollup_days": 1}, headers=admin
    )
    assert bad_name.status_code == 422
    unknown = await client.put(
        channel_url(demo.channels["temperature"].id), json={"class_name": "nope"}, headers=admin
    )
    assert unknown.status_code == 422
    assert error_fields(unknown) == ["class_name"]


async def test_a_class_in_use_or_the_default_cannot_be_deleted(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    admin = await login("admin@platform.demo")
    manager = await login("manager@zjim.demo")
    channel_id = demo.channels["humidity"].id
    assert (
        await client.put(
            channel_url(channel_id), json={"class_name": "diagnostic"}, headers=manager
        )
    ).status_code == 200
    assert (await client.delete(f"{CLASSES}/diagnostic", headers=admin)).status_code == 409
    assert (await client.delete(f"{CLASSES}/standard", headers=admin)).status_code == 409
    assert (await client.delete(f"{CLASSES}/absent", headers=admin)).status_code == 404
    assert (
        await client.put(channel_url(channel_id), json={"class_name": "standard"}, headers=manager)
    ).status_code == 200
    assert (await client.delete(f"{CLASSES}/diagnostic", headers=admin)).status_code == 204
    names = [c["name"] for c in (await client.get(CLASSES, headers=admin)).json()]
    assert names == ["standard"]
