"""Walking skeleton: a register written in a Modbus instrument reaches the browser.

Real parts only: a pymodbus TCP server, the edge agent process, Mosquitto, the server with
its ingest worker, PostgreSQL with TimescaleDB, and headless Chromium.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from playwright.sync_api import expect, sync_playwright
from pymodbus.client import ModbusTcpClient

from tests.harness import MosquittoBroker, free_port, wait_for_port
from tests.harness.browser import (
    CHROMIUM_FLAGS,
    VENV_BIN,
    Process,
    log_in,
    seed_demo,
    server_env,
    spawn,
    wait_http_ok,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

EDGE_CONFIG = """\
gateway: {{key: demo-gw-01}}
mqtt: {{host: 127.0.0.1, port: {mqtt_port}}}
spool: {{path: {spool}, max_bytes: 10000000}}
metrics: {{port: 0}}
devices:
  - key: chamber-1
    protocol: modbus_tcp
    host: 127.0.0.1
    port: {modbus_port}
    device_id: 1
    poll_interval_s: 0.5
    points:
      # The instrument reports tenths of a degree Fahrenheit; the channel is in degC.
      - {{key: temperature, register: holding, address: 0, type: int16, scale: 0.1,
          source_unit: degF, unit: degC}}
"""


def _write_register(port: int, value: int) -> None:
    client = ModbusTcpClient("127.0.0.1", port=port)
    assert client.connect(), "cannot reach the Modbus instrument"
    try:
        response = client.write_register(0, value, device_id=1)
        assert not response.isError(), response
    finally:
        client.close()


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

    modbus_port = free_port()
    instrument = spawn(
        processes,
        workdir,
        "instrument",
        [sys.executable, "-m", "tests.e2e.register_bank", str(modbus_port)],
        env,
    )
    wait_for_port("127.0.0.1", modbus_port)
    _write_register(modbus_port, 986)  # 98.6 degF

    config = workdir / "gateway.yaml"
    config.write_text(
        EDGE_CONFIG.format(
            mqtt_port=mosquitto.port, spool=workdir / "spool.sqlite3", modbus_port=modbus_port
        )
    )
    spawn(processes, workdir, "edge", [str(VENV_BIN / "labshare-edge"), "run", str(config)], env)
    server = spawn(
        processes,
        workdir,
        "server",
        [str(VENV_BIN / "labshare-server"), "serve", "--port", str(server_port)],
        env,
    )
    base = f"http://127.0.0.1:{server_port}"
    wait_http_ok(f"{base}/readyz", server)

    token = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": "manager@zjim.demo", "password": "labshare-demo"},
    ).json()["access_token"]
    instruments = httpx.get(
        f"{base}/api/v1/instruments", headers={"Authorization": f"Bearer {token}"}
    ).json()
    chamber = next(i for i in instruments if i["name_en"] == "Temperature chamber")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            log_in(page, base, "manager@zjim.demo")
            page.goto(f"{base}/instruments/{chamber['id']}")
            row = page.get_by_test_id("latest-chamber-1.temperature")
            value = row.get_by_test_id("value")
            expect(value).to_contain_text("37", timeout=15_000)
            assert _shown_value(value.inner_text()) == pytest.approx(37.0, abs=0.05)
            assert "°C" in row.inner_text()

            written_at = time.monotonic()
            _write_register(modbus_port, 2120)  # 212.0 degF
            expect(value).to_contain_text("100", timeout=5_000)
            elapsed = time.monotonic() - written_at
            assert elapsed < 5.0, f"took {elapsed:.1f} s to reach the page"
        finally:
            browser.close()

    latest = httpx.get(
        f"{base}/api/v1/instruments/{chamber['id']}/latest",
        headers={"Authorization": f"Bearer {token}"},
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
