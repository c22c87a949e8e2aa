"""SiLA 2 instruments: the simulator read through the gateway into PostgreSQL, unit
constraints, reconnects, and configuration errors."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sila2.client import SilaClient

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import SystemClock
from edge_agent.sila_source import SilaDeviceSource, close_client
from firmware_bridge.simulators.sila import SilaSimulator
from mqtt_contract.gateway_config import ConfigError, SilaDevice, parse_config
from mqtt_contract.v1 import QUALITY_CODES, Quality
from server.telemetry.states import evaluate_all
from tests.harness.app import API, Login
from tests.harness.booking import sql
from tests.harness.edge import Collect, running, running_gateway, wait_until
from tests.harness.ports import free_port
from tests.harness.telemetry import (  # noqa: F401
    Seeder,
    WorkerFactory,
    eventually,
    insert_channels,
    seeder,
    start_worker,
    stored_values,
)


def sila_device(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "key": "incubator",
        "protocol": "sila2",
        "host": "127.0.0.1",
        "port": port,
        "insecure": True,
        "watchdog_s": 0.3,
        "timeout_s": 2.0,
        "reconnect_max_s": 1.0,
        "points": [
            {
                "key": "temperature",
                "feature": "IncubatorController",
                "property": "CurrentTemperature",
                "unit": "degC",
            },
            {
                "key": "programs",
                "feature": "IncubatorController",
                "property": "RunningPrograms",
                "report_on_change": True,
            },
        ],
        **extra,
    }


def test_sila_config_errors_name_the_field() -> None:
    document = {
        "gateway": {"key": "gw"},
        "devices": [sila_device(50052, host=None)],
    }
    document["devices"][0]["points"][0]["unit"] = "kg"
    document["devices"][0]["points"][0]["source_unit"] = "degC"
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    found = [str(i) for i in caught.value.issues]
    assert "devices[0].points[0].unit: 'kg' is not compatible with source unit 'degC'" in found
    document["devices"][0]["points"][0].update(unit="degC")
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    assert [str(i) for i in caught.value.issues] == [
        "devices[0]: give host and port, or server_name for discovery"
    ]


@pytest.fixture
def sila() -> Any:
    simulator = SilaSimulator(port=free_port(), tick_s=0.05)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_unit_constraint_is_converted_and_a_restart_resubscribes(sila: Any) -> None:
    document = sila_device(sila.port)
    document["points"][0].update(unit="K", source_unit="K")
    document["commands"] = [
        {
            "key": "program",
            "feature": "IncubatorController",
            "command": "RunProgram",
            "executions_property": "RunProgramExecutions",
        }
    ]
    sink = Collect()
    source = SilaDeviceSource(
        SilaDevice.model_validate(document), sink, SystemClock(), CalibrationBook()
    )
    async with running(source.run()):
        await wait_until(lambda: bool(sink.of("temperature")), 15, "a temperature")
        # The property is in °C (SiLA unit constraint); the point publishes kelvin.
        assert sink.of("temperature")[0].value == pytest.approx(295.15, abs=0.01)
        sila.stop()
        await wait_until(lambda: source.health.status == "failing", 10, "the loss noticed")
        assert sink.of("temperature")[-1].quality is Quality.COMM_FAIL
        # The command's state is a point like any other: comm_fail while the server is away.
        assert sink.of("program.state")[-1].quality is Quality.COMM_FAIL
        sila.start()
        await wait_until(lambda: source.sessions >= 2, 20, "a new subscription")
        await wait_until(lambda: sink.of("temperature")[-1].quality is Quality.OK, 10, "values")
        await wait_until(
            lambda: sink.of("program.state")[-1].quality is Quality.OK, 10, "the state again"
        )
        assert sink.of("program.state")[-1].value == 0.0  # no execution yet


@pytest.mark.integration
@pytest.mark.timeout(90)
async def test_sila_program_reaches_the_database_through_the_gateway(
    sila: Any,
    mosquitto: Any,
    seeder: Seeder,  # noqa: F811
    start_worker: WorkerFactory,  # noqa: F811
    database_conninfo: str,
    tmp_path: Path,
) -> None:
    gw = seeder.gateway(
        "gw-sila",
        {("incubator", "temperature"): "degC", ("incubator", "programs"): "dimensionless"},
    )
    await start_worker()
    programs = gw.channels[("incubator", "programs")]

    def activity() -> list[float]:
        return stored_values(database_conninfo, programs)

    async with running_gateway("gw-sila", mosquitto, tmp_path, [sila_device(sila.port)]):
        await eventually(lambda: activity() == [0.0], 20, "the idle instrument stored")
        # A lab client runs a program (an observable command) on the instrument.
        client = await asyncio.to_thread(SilaClient, "127.0.0.1", sila.port, insecure=True)
        try:
            instance = await asyncio.to_thread(
                client.IncubatorController.RunProgram, DurationSeconds=1.0, TargetTemperature=37.0
            )
            await wait_until(lambda: instance.done, 15, "the program finished")
        finally:
            await asyncio.to_thread(close_client, client)
        await eventually(lambda: activity() == [0.0, 1.0, 0.0], 20, "the run stored")
    rows = seeder.query(
        "SELECT value, quality FROM telemetry WHERE channel_id = %s",
        (gw.channels[("incubator", "temperature")],),
    )
    assert {q for _, q in rows} == {QUALITY_CODES[Quality.OK]}
    assert max(v for v, _ in rows) > 25.0  # heated towards 37 °C during the run


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_a_server_is_found_by_its_name() -> None:
    # A name of its own: another run on the machine may be announcing the same one.
    name = f"labshare test incubator {uuid.uuid4().hex[:8]}"
    simulator = SilaSimulator(port=free_port(), tick_s=0.05, server_name=name)
    await asyncio.to_thread(simulator.start, True)  # announced for SiLA Server Discovery
    document = {**sila_device(1), "host": None, "port": None}
    document["server_name"] = name
    sink = Collect()
    source = SilaDeviceSource(
        SilaDevice.model_validate(document), sink, SystemClock(), CalibrationBook()
    )
    try:
        async with running(source.run()):
            await wait_until(lambda: bool(sink.of("temperature")), 20, "a temperature")
            # The first value can arrive while the other properties are still being subscribed;
            # the device is healthy once all of them are.
            await wait_until(lambda: source.health.status == "ok", 10, "every property subscribed")
            assert source.health.error is None
    finally:
        await asyncio.to_thread(simulator.stop)


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_a_hung_sila_server_does_not_delay_another(
    sila: Any, silent_peer: Any, mosquitto: Any, tmp_path: Path
) -> None:
    host, port = silent_peer  # accepts the connection, never answers the gRPC handshake
    hung = {**sila_device(port), "key": "hung", "host": host, "timeout_s": 1.0}
    async with running_gateway(
        "gw-sila-hung", mosquitto, tmp_path, [hung, sila_device(sila.port)], batched=False
    ) as gateway:
        await wait_until(lambda: "incubator" in gateway.sila_sources, 10, "devices started")
        live, dead = gateway.sila_sources["incubator"], gateway.sila_sources["hung"]
        await wait_until(lambda: live.health.status == "ok", 15, "the live server subscribed")
        await wait_until(lambda: dead.health.failures >= 2, 20, "the hung server given up twice")
        received = live.notifications
        await asyncio.sleep(1.0)
        assert live.notifications > received  # the live server's values kept coming
        assert dead.health.status == "failing"
        assert f"{host}:{port}" in (dead.health.error or "")


# How a lab maps an observable command's execution state onto the instrument state.
SILA_STATE_RULE = {
    "status": {
        "device": "incubator",
        "point": "program.state",
        "map": {"0": "idle", "1": "running", "2": "running", "3": "idle", "4": "fault"},
    },
    "offline_after_s": 120,
}


@pytest.mark.integration
@pytest.mark.timeout(120)
async def test_observable_command_state_becomes_the_instrument_state(
    sila: Any,
    app: FastAPI,
    client: httpx.AsyncClient,
    demo: Any,
    login: Login,
    mosquitto: Any,
    start_worker: WorkerFactory,  # noqa: F811
    database_conninfo: str,
    tmp_path: Path,
) -> None:
    channel = insert_channels(
        database_conninfo,
        demo.instrument.id,
        demo.gateway.id,
        "incubator",
        {"program.state": "dimensionless"},
    )["program.state"]
    manager = await login("manager@zjim.demo")
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/state-rule", json=SILA_STATE_RULE, headers=manager
    )
    assert r.status_code == 200, r.text
    await start_worker()
    device = sila_device(sila.port)
    device["commands"] = [
        {
            "key": "program",
            "feature": "IncubatorController",
            "command": "RunProgram",
            "executions_property": "RunProgramExecutions",
        }
    ]

    def states() -> list[float]:
        return stored_values(database_conninfo, channel)

    async with running_gateway(demo.gateway.key, mosquitto, tmp_path, [device]):
        await eventually(lambda: states() == [0.0], 20, "the idle command stored")
        # A lab client (not the gateway) runs the program twice: once through, once into an
        # error (a target above 80 °C overheats the simulated chamber).
        lab = await asyncio.to_thread(SilaClient, "127.0.0.1", sila.port, insecure=True)
        try:
            for target in (37.0, 95.0):
                instance = await asyncio.to_thread(
                    lab.IncubatorController.RunProgram,
                    DurationSeconds=1.5,
                    TargetTemperature=target,
                )
                await wait_until(lambda i=instance: i.done, 15, "the program ended")
                await asyncio.sleep(0.5)
        finally:
            await asyncio.to_thread(close_client, lab)
        await eventually(lambda: states()[-1] == 4.0, 20, "the error stored")
    # running (2) then finished (3), running again (2), then finished with error (4)
    changes = [v for i, v in enumerate(states()) if i == 0 or v != states()[i - 1]]
    assert changes == [0.0, 2.0, 3.0, 2.0, 4.0]

    async with app.state.engine.connect() as conn:
        await evaluate_all(conn, datetime.now(UTC))
    intervals = await sql(
        app,
        "SELECT state FROM instrument_state_interval WHERE instrument_id = :i ORDER BY start_at",
        i=demo.instrument.id,
    )
    seen = [row["state"] for row in intervals]
    assert "running" in seen
    assert seen[-1] == "fault"


def test_sila_command_config_errors_name_the_field() -> None:
    device = sila_device(50052)
    device["points"][1]["key"] = "program.state"
    device["commands"] = [
        {"key": "program", "feature": "IncubatorController", "command": "RunProgram"}
    ]
    with pytest.raises(ConfigError) as caught:
        parse_config({"gateway": {"key": "gw"}, "devices": [device]})
    assert [str(i) for i in caught.value.issues] == [
        "devices[0].commands[0].executions_property: Field required"
    ]
    device["commands"][0]["executions_property"] = "RunProgramExecutions"
    with pytest.raises(ConfigError) as caught:
        parse_config({"gateway": {"key": "gw"}, "devices": [device]})
    assert [str(i) for i in caught.value.issues] == [
        "devices[0].points: point key 'program.state' is also a point of the commands"
    ]
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"gateway": {"key": "gw"}, "devices": [{**device, "points": [], "commands": []}]}
        )
    assert [str(i) for i in caught.value.issues] == [
        "devices[0]: a SiLA 2 device needs points or commands"
    ]
