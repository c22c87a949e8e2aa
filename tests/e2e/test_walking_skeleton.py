"""Walking skeleton: a register written in a Modbus instrument reaches the browser.

Real parts only: a pymodbus TCP server, the edge agent process, Mosquitto, the server with
its ingest worker, PostgreSQL with TimescaleDB, and headless Chromium.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from tests.harness import MosquittoBroker
from tests.harness.browser import (
    Process,
    api_token,
    chromium,
    instrument_named,
    open_as,
    seed_demo,
    serve,
    server_env,
    start_edge,
    start_register_bank,
    write_registers,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# The instrument reports tenths of a degree Fahrenheit in register 0; the channel is in degC.
POINTS: list[dict[str, object]] = [
    {"key": "temperature", "register": "holding", "address": 0, "type": "int16", "scale": 0.1,
     "source_unit": "degF", "unit": "degC"},
]  # fmt: skip


def _shown_value(text: str) -> float:
    match = re.search(r"-?\d+(?:\.\d+)?", text)
    assert match is not None, f"no number in {text!r}"
    return float(match.group())


def test_register_value_reaches_the_instrument_page_in_degc(
    database_url: str,
    database_conninfo: str,
    mosquitto: MosquittoBroker,
    processes: list[Process],
    workdir: Path,
    server_port: int,
    repo_root: Path,
) -> None:
    env = server_env(database_url, mqtt_host=mosquitto.host, mqtt_port=mosquitto.port)
    seed_demo(env)

    instrument, modbus_port = start_register_bank(processes, workdir, env)
    write_registers(modbus_port, {0: 986})  # 98.6 degF
    start_edge(
        processes, workdir, env, mqtt_port=mosquitto.port, modbus_port=modbus_port, points=POINTS
    )
    base = serve(processes, workdir, server_port, env, ready="/readyz")

    headers = api_token(base, "manager@zjim.demo")
    chamber = instrument_named(base, headers, "Temperature chamber")

    with chromium() as browser:
        page = open_as(browser, base, "manager@zjim.demo", f"/instruments/{chamber['id']}")
        row = page.get_by_test_id("latest-chamber-1.temperature")
        value = row.get_by_test_id("value")
        expect(value).to_contain_text("37", timeout=15_000)
        assert _shown_value(value.inner_text()) == pytest.approx(37.0, abs=0.05)
        assert "°C" in row.inner_text()

        written_at = time.monotonic()
        write_registers(modbus_port, {0: 2120})  # 212.0 degF
        expect(value).to_contain_text("100", timeout=5_000)
        elapsed = time.monotonic() - written_at
        assert elapsed < 5.0, f"took {elapsed:.1f} s to reach the page"

    latest = httpx.get(
        f"{base}/api/v1/instruments/{chamber['id']}/latest",
        headers=headers,
    ).json()
    temperature = next(c for c in latest if c["point_key"] == "temperature")
    assert temperature["unit"] == "degC"
    assert temperature["value"] == pytest.approx(100.0, abs=1e-6)

    with psycopg.connect(database_conninfo) as conn:
        stored = conn.execute(
            "SELECT t.value FROM telemetry t JOIN channel c ON c.id = t.channel_id "
            "WHERE c.point_key = 'temperature' ORDER BY t.ts DESC LIMIT 1"
        ).fetchone()
        hypertable = conn.execute(
            "SELECT count(*) FROM timescaledb_information.hypertables "
            "WHERE hypertable_name = 'telemetry'"
        ).fetchone()
    assert stored is not None
    assert stored[0] == pytest.approx(100.0, abs=1e-6)
    assert hypertable == (1,)
    assert instrument.proc.poll() is None, instrument.tail()
