"""The lab board, the lab stream and state rules over HTTP, with their tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Telemetry

OUTSIDERS = ("manager@zju.demo", "buyer@jingce.demo")


async def test_board_shows_the_newest_reading_of_each_channel_to_the_labs_staff(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    channel = demo.channels["temperature"]
    assert channel.id is not None
    now = datetime.now(UTC)
    telemetry.insert(channel.id, [(now - timedelta(seconds=10), 20.5), (now, 21.25)])
    response = await client.get(
        f"/api/v1/labs/{demo.lab.id}/board", headers=await login("staff@zjim.demo")
    )
    assert response.status_code == 200, response.text
    [instrument] = [i for i in response.json()["instruments"] if i["id"] == str(demo.instrument.id)]
    readings = {r["point_key"]: r for r in instrument["readings"]}
    assert readings["temperature"]["value"] == 21.25
    assert readings["humidity"]["value"] is None
    assert [g["key"] for g in response.json()["gateways"]] == [demo.gateway.key]


async def test_board_and_lab_stream_are_404_outside_the_institution(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    for email in OUTSIDERS:
        headers = await login(email)
        for path in ("board", "live"):
            response = await client.get(f"/api/v1/labs/{demo.lab.id}/{path}", headers=headers)
            assert response.status_code == 404, (email, path, response.text)


async def test_state_rule_is_read_by_staff_and_changed_by_the_labs_managers_only(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    url = f"/api/v1/instruments/{demo.instrument.id}/state-rule"
    rule = {"status": {"point": "status", "map": {"2": "running"}}, "offline_after_s": 60}
    for email in OUTSIDERS:
        headers = await login(email)
        assert (await client.get(url, headers=headers)).status_code == 404, email
        assert (await client.put(url, json=rule, headers=headers)).status_code == 404, email
    staff = await login("staff@zjim.demo")
    seeded = await client.get(url, headers=staff)
    assert seeded.status_code == 200, seeded.text
    assert (await client.put(url, json=rule, headers=staff)).status_code == 403
    assert (await client.get(url, headers=staff)).json() == seeded.json()

    manager = await login("manager@zjim.demo")
    changed = await client.put(url, json=rule, headers=manager)
    assert changed.status_code == 200, changed.text
    assert (await client.get(url, headers=staff)).json()["offline_after_s"] == 60
    unknown_point = {"status": {"point": "pressure", "map": {"1": "idle"}}}
    refused = await client.put(url, json=unknown_point, headers=manager)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["status.point"]


async def test_a_state_rule_may_name_4_20_ma_loops_whose_faults_mean_fault(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    url = f"/api/v1/instruments/{demo.instrument.id}/state-rule"
    manager = await login("manager@zjim.demo")
    rule = {"loop_faults": [{"point": "temperature"}], "offline_after_s": 60}
    changed = await client.put(url, json=rule, headers=manager)
    assert changed.status_code == 200, changed.text
    stored = (await client.get(url, headers=manager)).json()
    assert stored["loop_faults"] == [{"point": "temperature", "device": None}]
    unknown = {"power": None, "loop_faults": [{"point": "temperature"}, {"point": "probe"}]}
    refused = await client.put(url, json=unknown, headers=manager)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["loop_faults[1].point"]
    assert "probe" in refused.json()["errors"][0]["message"]
