"""Correcting and removing a gateway's channels: ``PATCH`` and ``DELETE /api/v1/channels/{id}``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Telemetry

API = "/api/v1"
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


async def _new_channel(
    client: httpx.AsyncClient, headers: dict[str, str], demo: World, point: str = "door"
) -> dict[str, Any]:
    created = await client.post(
        f"{API}/instruments/{demo.instrument.id}/channels",
        json={
            "gateway_id": str(demo.gateway.id),
            "device_key": "chamber-1",
            "point_key": point,
            "name": "门状态",
            "canonical_unit": "dimensionless",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def _gateway_channels(
    client: httpx.AsyncClient, headers: dict[str, str], demo: World
) -> dict[int, dict[str, Any]]:
    listed = await client.get(f"{API}/gateways/{demo.gateway.id}/channels", headers=headers)
    assert listed.status_code == 200, listed.text
    return {c["id"]: c for c in listed.json()}


async def test_manager_renames_and_remaps_a_channel_and_the_trail_shows_it(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    bath = await client.post(
        f"{API}/instruments",
        json={"lab_id": str(demo.lab.id), "name": "恒温槽", "name_en": "Thermostatic bath"},
        headers=manager,
    )
    assert bath.status_code == 201, bath.text
    channel = await _new_channel(client, manager, demo)

    changed = await client.patch(
        f"{API}/channels/{channel['id']}",
        json={"name": " 槽温 ", "name_en": "Bath temperature", "instrument_id": bath.json()["id"]},
        headers=manager,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "槽温"
    assert changed.json()["instrument_id"] == bath.json()["id"]
    assert changed.json()["point_key"] == "door"  # what the gateway sends stays

    listed = (await _gateway_channels(client, manager, demo))[channel["id"]]
    assert listed["name"] == "槽温"
    assert listed["name_en"] == "Bath temperature"
    assert listed["instrument_name"] == "恒温槽"
    chamber = (await client.get(f"{API}/instruments/{demo.instrument.id}", headers=manager)).json()
    assert "door" not in [c["point_key"] for c in chamber["channels"]]

    trail = await client.get(
        f"{API}/audit",
        params={"entity": "channel", "entity_id": str(channel["id"])},
        headers=manager,
    )
    entry, creation = trail.json()  # newest first
    assert creation["action"] == "create"
    assert creation["actor_name"] == "王建国"
    assert creation["before"] is None
    assert creation["after"]["point_key"] == "door"
    assert creation["after"]["instrument_id"] == str(demo.instrument.id)
    assert entry["action"] == "update"
    assert entry["actor_name"] == "王建国"
    assert entry["before"]["name"] == "门状态"
    assert entry["before"]["instrument_id"] == str(demo.instrument.id)
    assert entry["after"]["name"] == "槽温"
    assert entry["after"]["instrument_id"] == bath.json()["id"]
    # Both instruments' histories name the move.
    for instrument_id in (str(demo.instrument.id), bath.json()["id"]):
        history = await client.get(
            f"{API}/audit", params={"instrument_id": instrument_id}, headers=manager
        )
        assert entry["id"] in [e["id"] for e in history.json()]
    # The chamber's history also shows that the channel was added to it.
    chamber_history = await client.get(
        f"{API}/audit", params={"instrument_id": str(demo.instrument.id)}, headers=manager
    )
    assert creation["id"] in [e["id"] for e in chamber_history.json()]

    # Clearing the English name is a change; a null name is refused.
    cleared = await client.patch(
        f"{API}/channels/{channel['id']}", json={"name_en": None}, headers=manager
    )
    assert cleared.json()["name_en"] is None
    no_name = await client.patch(
        f"{API}/channels/{channel['id']}", json={"name": None}, headers=manager
    )
    assert no_name.status_code == 422


async def test_only_the_owners_managers_and_admins_change_channels(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    channel_id = demo.channels["temperature"].id
    url = f"{API}/channels/{channel_id}"

    other_manager = await login("manager@zju.demo")
    assert (
        await client.patch(url, json={"name": "偷改"}, headers=other_manager)
    ).status_code == 404
    assert (await client.delete(url, headers=other_manager)).status_code == 404
    for email in ("buyer@jingce.demo", "staff@zjim.demo"):
        headers = await login(email)
        assert (await client.patch(url, json={"name": "x"}, headers=headers)).status_code == 403
        assert (await client.delete(url, headers=headers)).status_code == 403

    # Another institution's instrument: the manager cannot see it (404); an admin is told why.
    lab = await client.post(f"{API}/labs", json={"name": "色谱实验室"}, headers=other_manager)
    hplc = await client.post(
        f"{API}/instruments",
        json={"lab_id": lab.json()["id"], "name": "液相色谱仪"},
        headers=other_manager,
    )
    move = {"instrument_id": hplc.json()["id"]}
    manager = await login("manager@zjim.demo")
    assert (await client.patch(url, json=move, headers=manager)).status_code == 404
    admin = await login("admin@platform.demo")
    refused = await client.patch(url, json=move, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "instrument_id"

    listed = (await _gateway_channels(client, manager, demo))[channel_id]
    assert listed["name"] == "温度"
    assert listed["instrument_name"] == "高低温试验箱"
    assert (
        await client.patch(f"{API}/channels/2147483647", json={}, headers=admin)
    ).status_code == 404


async def test_a_channel_without_readings_is_deleted_and_audited(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    channel = await _new_channel(client, manager, demo)
    # Its unit may still be corrected: nothing is stored in it yet.
    unit = await client.patch(
        f"{API}/channels/{channel['id']}", json={"canonical_unit": "percent"}, headers=manager
    )
    assert unit.status_code == 200, unit.text
    assert unit.json()["canonical_unit"] == "percent"
    bad_unit = await client.patch(
        f"{API}/channels/{channel['id']}", json={"canonical_unit": "degCC"}, headers=manager
    )
    assert bad_unit.status_code == 422

    deleted = await client.delete(f"{API}/channels/{channel['id']}", headers=manager)
    assert deleted.status_code == 204, deleted.text
    assert channel["id"] not in await _gateway_channels(client, manager, demo)
    again = await client.delete(f"{API}/channels/{channel['id']}", headers=manager)
    assert again.status_code == 404

    trail = await client.get(
        f"{API}/audit",
        params={"entity": "channel", "entity_id": str(channel["id"])},
        headers=manager,
    )
    removal = trail.json()[0]
    assert removal["action"] == "delete"
    assert removal["before"]["point_key"] == "door"
    assert removal["after"] is None

    # The point can be mapped afresh.
    await _new_channel(client, manager, demo)


async def test_a_channel_with_readings_is_kept_with_its_unit(
    client: httpx.AsyncClient, demo: World, login: Login, database_conninfo: str
) -> None:
    manager = await login("manager@zjim.demo")
    channel_id = demo.channels["temperature"].id
    assert channel_id is not None
    telemetry = Telemetry(database_conninfo)
    telemetry.insert(channel_id, [(NOW + timedelta(seconds=s), 20.0 + s) for s in range(3)])

    refused = await client.delete(f"{API}/channels/{channel_id}", headers=manager)
    assert refused.status_code == 409
    assert refused.json()["code"] == "channel_has_readings"
    assert channel_id in await _gateway_channels(client, manager, demo)
    kept = telemetry.execute("SELECT count(*) FROM telemetry WHERE channel_id = %s", (channel_id,))
    assert kept == [(3,)]

    unit = await client.patch(
        f"{API}/channels/{channel_id}", json={"canonical_unit": "degF"}, headers=manager
    )
    assert unit.status_code == 409
    assert unit.json()["code"] == "channel_unit_has_readings"
    assert unit.json()["unit"] == "degC"
    # Restating the unit it has is no change; renaming stays possible.
    same = await client.patch(
        f"{API}/channels/{channel_id}",
        json={"canonical_unit": "degC", "name": "箱内温度"},
        headers=manager,
    )
    assert same.status_code == 200, same.text
    assert same.json()["canonical_unit"] == "degC"

    # Readings that outlived raw retention in the one-minute rollup count too.
    other_id = demo.channels["setpoint"].id
    telemetry.execute(
        "INSERT INTO telemetry_rollup_1m"
        " (channel_id, bucket, min_value, max_value, mean_value, sample_count)"
        " VALUES (%s, %s, 1, 2, 1.5, 2)",
        (other_id, NOW),
    )
    rolled = await client.delete(f"{API}/channels/{other_id}", headers=manager)
    assert rolled.status_code == 409
    assert rolled.json()["code"] == "channel_has_readings"
