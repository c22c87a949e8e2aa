"""The live board in Chromium: a status register written in the instrument recolours its tile.

Real parts only: a pymodbus register bank standing in for the chamber's controller, the edge
agent, Mosquitto, the server with its ingest worker and state evaluator, PostgreSQL, and
headless Chromium following the lab's live stream (no page reloads).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
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

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(120)]

# The chamber's register map (holding registers): 0 temperature in tenths of a degree,
# 7 status (0 off, 1 idle, 2 running, 3 fault) as the seeded state rule reads it.
TEMPERATURE_REGISTER, STATUS_REGISTER = 0, 7
IDLE, FAULT = 1, 3
# The board's colours (web/src/features/telemetry/states.ts), as computed CSS.
IDLE_BLUE, FAULT_RED = "rgb(47, 111, 222)", "rgb(207, 34, 46)"
# The evaluator runs every 5 s and a state must hold 5 s (min_dwell_s) before it counts.
STATE_CHANGE_LIMIT_MS = 25_000

# What the gateway reads from the chamber's controller.
POINTS: list[dict[str, object]] = [
    {"key": "temperature", "register": "holding", "address": TEMPERATURE_REGISTER,
     "type": "int16", "scale": 0.1, "source_unit": "degC", "unit": "degC"},
    {"key": "status", "register": "holding", "address": STATUS_REGISTER, "type": "uint16",
     "source_unit": "dimensionless", "unit": "dimensionless"},
]  # fmt: skip


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

    instrument, modbus_port = start_register_bank(processes, workdir, env)
    write_registers(modbus_port, {TEMPERATURE_REGISTER: 230, STATUS_REGISTER: IDLE})
    start_edge(
        processes, workdir, env, mqtt_port=mosquitto.port, modbus_port=modbus_port, points=POINTS
    )
    base = serve(processes, workdir, server_port, env, ready="/readyz")

    headers = api_token(base, "manager@zjim.demo")
    chamber = instrument_named(base, headers, "Temperature chamber")
    # A calibrated chamber: without a certificate its tile shows "not calibrated" whatever it reports.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    certificate = httpx.post(
        f"{base}/api/v1/instruments/{chamber['id']}/calibration/certificates",
        headers=headers,
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

    with chromium() as browser:
        page = open_as(
            browser,
            base,
            "manager@zjim.demo",
            f"/board/{chamber['lab_id']}",
            viewport={"width": 1280, "height": 900},
        )
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
        write_registers(modbus_port, {TEMPERATURE_REGISTER: 415, STATUS_REGISTER: FAULT})
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

    assert instrument.proc.poll() is None, instrument.tail()
