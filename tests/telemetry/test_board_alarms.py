"""The live board says whether an instrument may be used, what its status register means, and
which alarms are raised (state, 4-20 mA loop, gateway heartbeat, SPC), with acknowledgements;
per lab for its staff and per institution for the platform admin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mqtt_contract.v1 import QUALITY_CODES, Quality
from tests.harness.app import Login
from tests.harness.factories import World
from tests.harness.telemetry import Telemetry

pytestmark = pytest.mark.integration

API = "/api/v1"


async def _tile(client: httpx.AsyncClient, headers: dict[str, str], demo: World) -> dict[str, Any]:
    response = await client.get(f"{API}/labs/{demo.lab.id}/board", headers=headers)
    assert response.status_code == 200, response.text
    [tile] = [i for i in response.json()["instruments"] if i["id"] == str(demo.instrument.id)]
    return tile


def _running_since(
    telemetry: Telemetry, demo: World, since: datetime, state: str = "running"
) -> None:
    telemetry.execute(
        "INSERT INTO instrument_state_interval (instrument_id, state, start_at) VALUES (%s, %s, %s)",
        (demo.instrument.id, state, since),
    )


def _samples(
    telemetry: Telemetry, channel_id: int, rows: list[tuple[datetime, float | None, Quality]]
) -> None:
    for ts, value, quality in rows:
        telemetry.execute(
            "INSERT INTO telemetry (channel_id, ts, value, quality) VALUES (%s, %s, %s, %s)",
            (channel_id, ts, value, QUALITY_CODES[quality]),
        )


async def test_a_failed_intermediate_check_puts_the_running_chamber_out_of_service_on_the_board(
    client: httpx.AsyncClient, login: Login, calibrated: World, telemetry: Telemetry
) -> None:
    demo = calibrated
    manager = await login("manager@zjim.demo")
    _running_since(telemetry, demo, datetime.now(UTC) - timedelta(hours=1))
    before = await _tile(client, manager, demo)
    assert before["state"] == "running"
    assert before["usability"]["out_of_service"] is None
    assert before["usability"]["calibration"] == "valid"

    check = await client.post(
        f"{API}/instruments/{demo.instrument.id}/calibration/checks",
        json={
            "performed_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "reference_value": 100.0,
            "measured_value": 101.5,
            "tolerance": 0.5,
            "unit": "degC",
        },
        headers=manager,
    )
    assert check.status_code in (200, 201), check.text

    after = await _tile(client, manager, demo)
    # The telemetry still says running; the board says why it may not be used.
    assert after["state"] == "running"
    assert after["usability"]["out_of_service"]["cause"] == "check_failed"
    assert after["usability"]["calibration"] == "out_of_service"


async def test_an_instrument_never_calibrated_says_so(
    client: httpx.AsyncClient, login: Login, demo: World
) -> None:
    tile = await _tile(client, await login("staff@zjim.demo"), demo)
    assert tile["usability"]["calibration"] == "expired"
    assert tile["usability"]["never_calibrated"] is True


async def test_the_status_register_carries_what_its_values_mean(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    status = demo.channels["status"].id
    assert status is not None
    telemetry.insert(status, [(datetime.now(UTC), 2.0)])
    tile = await _tile(client, await login("staff@zjim.demo"), demo)
    readings = {r["point_key"]: r for r in tile["readings"]}
    assert readings["status"]["value"] == 2
    labels = {label["value"]: label["state"] for label in readings["status"]["value_labels"]}
    assert labels[2] == "running"
    assert labels[3] == "fault"
    assert readings["temperature"]["value_labels"] is None


async def test_a_loop_fault_is_an_alarm_acknowledged_once_with_who_and_a_note(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    temperature = demo.channels["temperature"].id
    assert temperature is not None
    now = datetime.now(UTC)
    _samples(
        telemetry,
        temperature,
        [
            (now - timedelta(seconds=30), 23.0, Quality.OK),
            (now - timedelta(seconds=20), None, Quality.LOOP_LOW_FAULT),
            (now - timedelta(seconds=10), None, Quality.LOOP_LOW_FAULT),
        ],
    )
    staff = await login("staff@zjim.demo")
    tile = await _tile(client, staff, demo)
    [alarm] = [a for a in tile["alarms"] if a["kind"] == "loop_fault"]
    assert alarm["channel_id"] == temperature
    assert alarm["quality"] == "loop_low_fault"
    assert datetime.fromisoformat(alarm["since"]) == now - timedelta(seconds=20)
    assert alarm["acknowledged"] is None

    url = f"{API}/instruments/{demo.instrument.id}/alarms/acknowledge"
    body = {"kind": "loop_fault", "subject": alarm["subject"], "since": alarm["since"]}
    acked = await client.post(url, json={**body, "note": "变送器接线松动，已紧固"}, headers=staff)
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged"]["by"] == "李晓梅"
    again = await client.post(url, json={**body, "note": "再次确认"}, headers=staff)
    assert again.status_code == 409
    assert again.json()["code"] == "alarm_already_acknowledged"

    tile = await _tile(client, staff, demo)
    [alarm] = [a for a in tile["alarms"] if a["kind"] == "loop_fault"]
    assert alarm["acknowledged"]["note"] == "变送器接线松动，已紧固"
    assert alarm["acknowledged"]["by"] == "李晓梅"

    # A later fault after good readings is a new occurrence, not acknowledged.
    _samples(
        telemetry,
        temperature,
        [
            (now + timedelta(seconds=1), 23.1, Quality.OK),
            (now + timedelta(seconds=2), None, Quality.LOOP_HIGH_FAULT),
        ],
    )
    tile = await _tile(client, staff, demo)
    [alarm] = [a for a in tile["alarms"] if a["kind"] == "loop_fault"]
    assert alarm["quality"] == "loop_high_fault"
    assert alarm["acknowledged"] is None

    cleared = await client.post(
        url,
        json={"kind": "state_fault", "subject": "", "since": now.isoformat(), "note": "x"},
        headers=staff,
    )
    assert cleared.status_code == 404
    assert cleared.json()["code"] == "alarm_not_raised"
    outsider = await client.post(
        url, json={**body, "note": "x"}, headers=await login("manager@zju.demo")
    )
    assert outsider.status_code == 404


async def test_a_state_fault_and_a_missing_heartbeat_are_alarms(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=3)
    _running_since(telemetry, demo, since, "fault")
    telemetry.execute(
        "UPDATE gateway SET status = 'online', last_seen_at = %s WHERE id = %s",
        (datetime.now(UTC) - timedelta(minutes=5), demo.gateway.id),
    )
    response = await client.get(
        f"{API}/labs/{demo.lab.id}/board", headers=await login("staff@zjim.demo")
    )
    board = response.json()
    kinds = {a["kind"]: a for a in board["alarms"]}
    assert datetime.fromisoformat(kinds["state_fault"]["since"]) == since
    assert kinds["gateway_offline"]["gateway_key"] == demo.gateway.key
    [gateway] = board["gateways"]
    assert gateway["status"] == "online"
    assert gateway["heartbeat_missing"] is True


async def test_an_open_spc_alarm_of_the_institution_reaches_the_board(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    zjim = demo.instrument.organisation_id
    [(characteristic,)] = telemetry.execute(
        "INSERT INTO inspection_characteristic (organisation_id, product, key, name, unit, nominal,"
        " lsl, usl, chart, subgroup_size, rules, responsible_user_ids) VALUES"
        " (%s, 'shaft-40', 'diameter', '轴径（量规 1）', 'mm', 40, 39.985, 40.015, 'imr', 1, '{1,2,3}', '{}')"
        " RETURNING id",
        (zjim,),
    )
    [(alarm_id,)] = telemetry.execute(
        "INSERT INTO inspection_alarm (characteristic_id, kind, rule, positions, message,"
        " last_position) VALUES (%s, 'rule', 3, '{20,21,22,23,24,25}', 'Nelson test 3', 25)"
        " RETURNING id",
        (characteristic,),
    )
    manager = await login("manager@zjim.demo")
    board = (await client.get(f"{API}/labs/{demo.lab.id}/board", headers=manager)).json()
    [spc] = [a for a in board["alarms"] if a["kind"] == "spc"]
    assert spc["spc_alarm_id"] == alarm_id
    assert spc["spc_rule"] == 3
    assert spc["characteristic"] == "轴径（量规 1）"
    assert spc["acknowledged"] is None

    acked = await client.post(
        f"{API}/inspection/alarms/{alarm_id}/acknowledge",
        json={"cause": "刀具磨损", "action": "更换刀片"},
        headers=manager,
    )
    assert acked.status_code == 200, acked.text
    board = (await client.get(f"{API}/labs/{demo.lab.id}/board", headers=manager)).json()
    [spc] = [a for a in board["alarms"] if a["kind"] == "spc"]
    assert spc["acknowledged"]["by"] == "王建国"
    assert spc["acknowledged"]["note"] == "刀具磨损 / 更换刀片"

    # Another institution's board does not show it.
    other = uuid.UUID(str(demo.organisations["浙江大学分析测试中心"].id))
    telemetry.execute("INSERT INTO lab (organisation_id, name) VALUES (%s, '化学实验室')", (other,))
    admin = await login("admin@platform.demo")
    index = (await client.get(f"{API}/boards", headers=admin)).json()
    zju = next(e for e in index if e["organisation_id"] == str(other))
    zju_board = (await client.get(f"{API}/organisations/{other}/board", headers=admin)).json()
    assert [lab["name"] for lab in zju["labs"]] == ["化学实验室"]
    assert zju_board["alarms"] == []


async def test_the_platform_admin_opens_a_board_per_institution(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    status = demo.channels["status"].id
    assert status is not None
    telemetry.insert(status, [(datetime.now(UTC), 3.0)])
    zjim = demo.instrument.organisation_id
    admin = await login("admin@platform.demo")
    index = await client.get(f"{API}/boards", headers=admin)
    assert index.status_code == 200, index.text
    [entry] = [e for e in index.json() if e["organisation_id"] == str(zjim)]
    assert entry["name_en"] == "Zhejiang Institute of Metrology"
    assert [lab["id"] for lab in entry["labs"]] == [str(demo.lab.id)]

    board = await client.get(f"{API}/organisations/{zjim}/board", headers=admin)
    assert board.status_code == 200, board.text
    [lab] = board.json()["labs"]
    assert [i["id"] for i in lab["instruments"]] == [str(demo.instrument.id)]
    assert board.json()["alarms"] == lab["alarms"]

    manager = await login("manager@zjim.demo")
    assert [
        e["organisation_id"] for e in (await client.get(f"{API}/boards", headers=manager)).json()
    ] == [str(zjim)]
    assert (
        await client.get(f"{API}/organisations/{zjim}/board", headers=manager)
    ).status_code == 200
    for email in ("manager@zju.demo", "buyer@jingce.demo"):
        headers = await login(email)
        refused = await client.get(f"{API}/organisations/{zjim}/board", headers=headers)
        assert refused.status_code == 404, email
    assert (
        await client.get(f"{API}/boards", headers=await login("buyer@jingce.demo"))
    ).json() == []


async def test_a_channels_value_map_names_its_values_and_only_managers_set_it(
    client: httpx.AsyncClient, login: Login, demo: World, telemetry: Telemetry
) -> None:
    status = demo.channels["status"].id
    assert status is not None
    telemetry.insert(status, [(datetime.now(UTC), 2.0)])
    url = f"{API}/channels/{status}/value-map"
    labels = [
        {"value": 2, "name": "运行", "name_en": "Running"},
        {"value": 0, "name": "停机", "name_en": "Stopped"},
    ]
    staff = await login("staff@zjim.demo")
    assert (await client.get(url, headers=staff)).json()["labels"] == []
    refused = await client.put(url, json={"labels": labels}, headers=staff)
    assert refused.status_code == 403
    outsider = await client.put(
        url, json={"labels": labels}, headers=await login("manager@zju.demo")
    )
    assert outsider.status_code == 404
    manager = await login("manager@zjim.demo")
    doubled = await client.put(url, json={"labels": [*labels, labels[0]]}, headers=manager)
    assert doubled.status_code == 422
    stored = await client.put(url, json={"labels": labels}, headers=manager)
    assert stored.status_code == 200, stored.text
    assert [e["value"] for e in stored.json()["labels"]] == [0, 2]

    tile = await _tile(client, staff, demo)
    [reading] = [r for r in tile["readings"] if r["point_key"] == "status"]
    by_value = {label["value"]: label for label in reading["value_labels"]}
    # The channel's own words, and the state the state rule gives the same value.
    assert by_value[2] == {"value": 2, "name": "运行", "name_en": "Running", "state": "running"}
    assert 3 not in by_value

    assert (await client.put(url, json={"labels": []}, headers=manager)).status_code == 200
    tile = await _tile(client, staff, demo)
    [reading] = [r for r in tile["readings"] if r["point_key"] == "status"]
    assert {label["value"]: label["state"] for label in reading["value_labels"]}[3] == "fault"
