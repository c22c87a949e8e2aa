"""A LADS program run checks a booking in and its result becomes the session's data:
simulator -> gateway -> Mosquitto -> ingest -> state rule -> booking job -> API, every part
real."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from firmware_bridge.simulators.lads import LadsSimulator
from server.telemetry.states import evaluate_all
from tests.harness.app import API, Login
from tests.harness.booking import run_jobs, sql
from tests.harness.edge import running_gateway
from tests.harness.ports import free_port
from tests.harness.telemetry import (  # noqa: F401
    WorkerFactory,
    eventually,
    insert_channels,
    start_worker,
)

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
UNIT = "0:Objects/2:DeviceSet/2:Incubator/2:FunctionalUnitSet/2:IncubatorUnit"

# How a lab maps the LADS functional unit's state onto the instrument state (docs/edge-agent.md).
LADS_STATE_RULE = {
    "status": {
        "device": "incubator",
        "point": "incubator.state",
        "map": {
            "0": "idle",
            "1": "running",
            "2": "running",
            "3": "fault",
            "4": "fault",
            "5": "idle",
        },
    },
    "offline_after_s": 120,
}


@pytest.mark.timeout(120)
async def test_a_lads_program_run_checks_the_booking_in(
    app: FastAPI,
    client: httpx.AsyncClient,
    demo: Any,
    login: Login,
    mosquitto: Any,
    start_worker: WorkerFactory,  # noqa: F811
    database_conninfo: str,
    tmp_path: Path,
) -> None:
    channels = insert_channels(
        database_conninfo,
        demo.instrument.id,
        demo.gateway.id,
        "incubator",
        {
            "incubator.state": "dimensionless",
            "temperature": "degC",
            "incubator.mean_temperature": "degC",
        },
    )
    manager = await login("manager@zjim.demo")
    r = await client.put(
        f"{API}/instruments/{demo.instrument.id}/state-rule", json=LADS_STATE_RULE, headers=manager
    )
    assert r.status_code == 200, r.text
    buyer = demo.users["buyer@jingce.demo"]
    now = datetime.now(UTC)
    booked = await sql(
        app,
        "INSERT INTO booking (instrument_id, organisation_id, user_id, start_at, end_at, status)"
        " VALUES (:i, :o, :u, :s, :e, 'confirmed') RETURNING id",
        i=demo.instrument.id,
        o=buyer.organisation_id,
        u=buyer.id,
        s=now - timedelta(minutes=1),
        e=now + timedelta(hours=1),
    )
    booking_id = booked[0]["id"]

    simulator = LadsSimulator(port=free_port(), tick_s=0.05)
    await simulator.start()
    await start_worker()
    device = {
        "key": "incubator",
        "protocol": "opcua",
        "endpoint": simulator.endpoint,
        "lads": {
            "functional_units": [
                {
                    "key": "incubator",
                    "browse_path": UNIT,
                    "results": [
                        {
                            "key": "mean_temperature",
                            "name": "MeanTemperature",
                            "unit": "degC",
                        },
                        {"key": "summary", "name": "Summary"},
                    ],
                }
            ]
        },
        "points": [
            {
                "key": "temperature",
                "browse_path": f"{UNIT}/2:TemperatureController/2:CurrentValue",
                "unit": "degC",
            }
        ],
    }

    def result_stored() -> bool:
        with psycopg.connect(database_conninfo) as conn:
            row = conn.execute(
                "SELECT count(*) FROM telemetry WHERE channel_id = %s",
                (channels["incubator.mean_temperature"],),
            ).fetchone()
        return row is not None and row[0] > 0

    def run_stored() -> bool:
        with psycopg.connect(database_conninfo) as conn:
            row = conn.execute("SELECT count(*) FROM program_run").fetchone()
        return row is not None and row[0] > 0

    def running_stored() -> bool:
        with psycopg.connect(database_conninfo) as conn:
            row = conn.execute(
                "SELECT count(*) FROM telemetry t JOIN channel c ON c.id = t.channel_id"
                " WHERE c.point_key = 'incubator.state' AND t.value = 1"
            ).fetchone()
        return row is not None and row[0] > 0

    try:
        async with running_gateway(demo.gateway.key, mosquitto, tmp_path, [device]):
            await asyncio.sleep(1.0)
            await simulator.start_program("incubate-37", "run-0001", duration_s=2.0)
            await eventually(running_stored, 30, "the Running state stored")
            await simulator.wait_program()
            await eventually(result_stored, 30, "the run's result stored")
            await eventually(run_stored, 30, "the program run stored")
    finally:
        await simulator.stop()

    async with app.state.engine.connect() as conn:
        await evaluate_all(conn, datetime.now(UTC))
    intervals = await sql(
        app,
        "SELECT state FROM instrument_state_interval WHERE instrument_id = :i ORDER BY start_at",
        i=demo.instrument.id,
    )
    assert "running" in [row["state"] for row in intervals]

    await run_jobs(app, datetime.now(UTC))
    staff = await login("staff@zjim.demo")
    got = (await client.get(f"{API}/bookings/{booking_id}", headers=staff)).json()
    assert got["status"] == "checked_in"
    assert got["check_in_source"] == "telemetry"

    # The enterprise that booked sees the run's result as its session's data.
    buyer_headers = await login("buyer@jingce.demo")
    r = await client.get(
        f"{API}/instruments/{demo.instrument.id}/series",
        params={
            "channel_id": channels["incubator.mean_temperature"],
            "start": (now - timedelta(minutes=1)).isoformat(),
            "end": (now + timedelta(minutes=30)).isoformat(),
        },
        headers=buyer_headers,
    )
    assert r.status_code == 200, r.text
    means = [m for m in r.json()["mean"] if m is not None]
    assert means == [pytest.approx(simulator.results[-1].mean_temperature)]

    # ... and downloads the session's data (what "My bookings" offers: the instrument's export
    # over the booking): the run with its identifiers and every result value, text included.
    booking = (await client.get(f"{API}/bookings/{booking_id}", headers=buyer_headers)).json()
    r = await client.get(
        f"{API}/instruments/{demo.instrument.id}/export",
        params={"start": booking["start_at"], "end": booking["end_at"], "format": "csv"},
        headers=buyer_headers,
    )
    assert r.status_code == 200, r.text
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][-2:] == ["运行 run", "文本 text"]
    by_channel = {row[1]: row for row in table[1:] if row[6] == "run-0001"}
    result = simulator.results[-1]
    assert by_channel["incubator/incubator.program"][7] == "incubate-37"
    assert by_channel["incubator/incubator.result_id"][7] == "run-0001"
    assert by_channel["incubator/incubator.outcome"][7] == "完成 completed"
    assert by_channel["incubator/incubator.started"][7].startswith(
        datetime.fromtimestamp(result.started, UTC).astimezone(SHANGHAI).isoformat()[:19]
    )
    mean = by_channel["incubator/incubator.result.mean_temperature"]
    assert mean[3] == "degC"
    assert float(mean[4]) == pytest.approx(result.mean_temperature)
    assert by_channel["incubator/incubator.result.summary"][7] == result.summary
    # Stamped with the run's end, as the result object says.
    ended = datetime.fromisoformat(mean[0])
    assert abs((ended - datetime.fromtimestamp(result.ended, UTC)).total_seconds()) < 0.01
    # A text result is not a telemetry point; the run is stored once.
    with psycopg.connect(database_conninfo) as conn:
        runs = conn.execute(
            "SELECT run_id, program, result_id, outcome FROM program_run"
        ).fetchall()
    assert runs == [("run-0001", "incubate-37", "run-0001", "completed")]

    # After the booking's end the actual use is the run's running time, from the state.
    await run_jobs(app, datetime.fromisoformat(booking["end_at"]) + timedelta(minutes=1))
    done = (await client.get(f"{API}/bookings/{booking_id}", headers=staff)).json()
    assert done["status"] == "completed"
    started = datetime.fromtimestamp(result.started, UTC)
    ended = datetime.fromtimestamp(result.ended, UTC)
    assert abs(datetime.fromisoformat(done["actual_start_at"]) - started) < timedelta(seconds=3)
    assert abs(datetime.fromisoformat(done["actual_end_at"]) - ended) < timedelta(seconds=3)
