"""The live board in Chromium: a status register written in the instrument recolours its tile.

Real parts only: a pymodbus register bank standing in for the chamber's controller, the edge
agent, Mosquitto, the server with its ingest worker and state evaluator, PostgreSQL, and
headless Chromium following the lab's live stream (no page reloads).
"""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
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

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(120)]

# The chamber's register map (holding registers): 0 temperature in tenths of a degree,
# 7 status (0 off, 1 idle, 2 running, 3 fault) as the seeded state rule reads it.
TEMPERATURE_REGISTER, STATUS_REGISTER = 0, 7
IDLE, FAULT = 1, 3
# The board's colours (web/src/features/telemetry/states.ts), as computed CSS.
IDLE_BLUE, FAULT_RED = "rgb(47, 111, 222)", "rgb(207, 34, 46)"
# The evaluator runs every 5 s and a state must hold 5 s (min_dwell_s) before it counts.
STATE_CHANGE_LIMIT_MS = 25_000

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
      - {{key: temperature, register: holding, address: 0, type: int16, scale: 0.1,
          source_unit: degC, unit: degC}}
      - {{key: status, register: holding, address: 7, type: uint16,
          source_unit: dimensionless, unit: dimensionless}}
"""


def _write_registers(port: int, values: dict[int, int]) -> None:
    client = ModbusTcpClient("127.0.0.1", port=port)
    assert client.connect(), "cannot reach the Modbus instrument"
    try:
        for address, value in values.items():
            response = client.write_register(address, value, device_id=1)
            assert not response.isError(), response
    finally:
        client.close()


def test_a_status_register_change_recolours_the_chamber_tile_live(
    database_url: str,
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
    _write_registers(modbus_port, {TEMPERATURE_REGISTER: 230, STATUS_REGISTER: IDLE})

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
    # A calibrated chamber: without a certificate its tile shows "not calibrated" whatever it reports.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    certificate = httpx.post(
        f"{base}/api/v1/instruments/{chamber['id']}/calibration/certificates",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "number": "ZJIM-E2E-CHAMBER",
            "agency": "浙江省计量科学研究院",
            "granted_on": (today - timedelta(days=30)).date().isoformat(),
            "valid_from": (today - timedelta(days=30)).isoformat(),
            "valid_to": (today + timedelta(days=335)).isoformat(),
            "result": "pass",
        },
    )
    assert certificate.status_code == 201, certificate.text

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            log_in(page, base, "manager@zjim.demo")
            page.goto(f"{base}/board/{chamber['lab_id']}")
            expect(page.get_by_test_id("live-status")).to_have_text("实时连接", timeout=10_000)
            tile = page.get_by_test_id("board-tile").filter(has_text="高低温试验箱")
            temperature = tile.locator("dt", has_text=re.compile("^温度$")).locator(
                "xpath=following-sibling::dd[1]"
            )
            expect(temperature).to_have_text(
                re.compile(r"^23(\.0+)?\s*°C$"), timeout=STATE_CHANGE_LIMIT_MS
            )
            expect(tile).to_have_attribute("data-state", "idle", timeout=STATE_CHANGE_LIMIT_MS)
            expect(tile).to_have_css("border-left-color", IDLE_BLUE)
            expect(tile).to_contain_text("空闲")

            # The controller reports a fault while the temperature climbs.
            written_at = time.monotonic()
            _write_registers(modbus_port, {TEMPERATURE_REGISTER: 415, STATUS_REGISTER: FAULT})
            expect(temperature).to_have_text(re.compile(r"^41\.50*\s*°C$"), timeout=5_000)
            expect(tile).to_have_attribute("data-state", "fault", timeout=STATE_CHANGE_LIMIT_MS)
            elapsed = time.monotonic() - written_at
            expect(tile).to_have_css("border-left-color", FAULT_RED)
            expect(tile).to_contain_text("故障")
            # Pushed by the stream: the board was never reloaded.
            assert page.url == f"{base}/board/{chamber['lab_id']}"
            assert elapsed < STATE_CHANGE_LIMIT_MS / 1000

            # The tile's name leads to the instrument page, whose history chart draws the readings.
            tile.get_by_test_id("board-tile-link").click()
            page.wait_for_url(f"{base}/instruments/{chamber['id']}")
            panel = page.get_by_test_id("telemetry-panel")
            expect(panel).to_be_visible(timeout=10_000)
            chart = panel.get_by_test_id("series-chart")
            expect(chart.locator("canvas").first).to_be_visible(timeout=15_000)
            box = chart.bounding_box()
            assert box is not None
            assert box["width"] > 300
            assert box["height"] > 100
            expect(panel.get_by_test_id("state-timeline")).to_be_visible()
        finally:
            browser.close()

    assert instrument.proc.poll() is None, instrument.tail()
