"""A broken 4-20 mA loop, end to end: register -> gateway -> Mosquitto -> ingest -> API.

Real parts: a pymodbus server holding the loop current in µA, the edge agent's Gateway, the
session's Mosquitto, the ingest worker writing to PostgreSQL, and the server's latest-value
API on the same database.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from edge_agent.agent import Gateway
from mqtt_contract.gateway_config import parse_config
from mqtt_contract.v1 import QUALITY_CODES, Quality
from tests.harness.app import API, Login
from tests.harness.edge import holding_device, wait_until
from tests.harness.telemetry import WorkerFactory, eventually, start_worker  # noqa: F401

pytestmark = pytest.mark.integration


def loop_gateway(key: str, broker: Any, modbus_port: int, spool: Path) -> dict[str, Any]:
    return {
        "gateway": {"key": key},
        "mqtt": {"host": broker.host, "port": broker.port},
        "spool": {"path": str(spool), "max_bytes": 100_000_000},
        "metrics": {"port": 0},
        "batch": {"max_samples": 200, "max_delay_ms": 100},
        "devices": [
            {
                "key": "chamber-1",
                "protocol": "modbus_tcp",
                "host": "127.0.0.1",
                "port": modbus_port,
                "poll_interval_s": 0.2,
                "points": [
                    {
                        # A transmitter on an analogue input module: loop current in µA.
                        "key": "temperature",
                        "register": "holding",
                        "address": 0,
                        "type": "uint16",
                        "source_unit": "µA",
                        "loop": {"range": [-40, 150], "unit": "℃"},
                    }
                ],
            }
        ],
    }


@pytest.mark.timeout(60)
async def test_a_loop_at_2_ma_is_stored_without_value_as_a_low_fault(
    app: FastAPI,
    client: httpx.AsyncClient,
    demo: Any,
    login: Login,
    mosquitto: Any,
    modbus_servers: Any,
    start_worker: WorkerFactory,  # noqa: F811
    database_conninfo: str,
    tmp_path: Path,
) -> None:
    channel = demo.channels["temperature"]
    assert channel.canonical_unit == "degC"
    peer = await modbus_servers([holding_device(1, {0: [2000]})])  # 2.0 mA: a broken loop
    await start_worker()
    document = loop_gateway(demo.gateway.key, mosquitto, peer.port, tmp_path / "spool.db")
    gateway = Gateway(parse_config(document))
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    try:
        await wait_until(
            lambda: gateway.link is not None and gateway.link.connected, 10, "broker connection"
        )

        def stored() -> list[tuple[Any, ...]]:
            with psycopg.connect(database_conninfo) as conn:
                return conn.execute(
                    "SELECT value, quality FROM telemetry WHERE channel_id = %s", (channel.id,)
                ).fetchall()

        await eventually(lambda: bool(stored()), 20, "the loop reading stored")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)

    rows = stored()
    assert {row[0] for row in rows} == {None}
    assert {row[1] for row in rows} == {QUALITY_CODES[Quality.LOOP_LOW_FAULT]}

    response = await client.get(
        f"{API}/instruments/{demo.instrument.id}/latest", headers=await login("manager@zjim.demo")
    )
    assert response.status_code == 200, response.text
    latest = {r["point_key"]: r for r in response.json()}
    assert latest["temperature"]["quality"] == "loop_low_fault"
    assert latest["temperature"]["value"] is None
