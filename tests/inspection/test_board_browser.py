"""Smart testing in Chromium: a drifting gauge's SPC alarm reaches the lab's live board.

Real parts only: the server with its ingest worker, Mosquitto, PostgreSQL, the demo's
shaft-diameter gauge publishing over MQTT, and headless Chromium on the live board, which is
open before the drift starts and is not reloaded. The alarm is acknowledged on the board with a
cause and an action, which the inspection record keeps.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from server.demo.inspection_station import publish_parts, seed_station
from tests.harness import MosquittoBroker
from tests.harness.browser import (  # noqa: F401 - fixtures
    Process,
    api_token,
    chromium,
    instrument_named,
    log_in,
    open_as,
    processes,
    seed_demo,
    serve,
    server_env,
    server_port,
    workdir,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(180)]

# The board refreshes its alarms every 15 s (BOARD_REFRESH_MS); the drift needs ~15 parts.
ALARM_LIMIT_MS = 45_000


async def _seed(base: str, headers: dict[str, str]) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await seed_station(client, headers)


def test_a_drifting_gauge_raises_an_spc_alarm_on_the_live_board_acknowledged_there(
    database_url: str,
    mosquitto: MosquittoBroker,
    processes: list[Process],  # noqa: F811
    workdir: Path,  # noqa: F811
    server_port: int,  # noqa: F811
) -> None:
    env = server_env(database_url, mqtt_host=mosquitto.host, mqtt_port=mosquitto.port)
    seed_demo(env)
    base = serve(processes, workdir, server_port, env, ready="/readyz")
    headers = api_token(base, "manager@zjim.demo")
    characteristic = asyncio.run(_seed(base, headers))
    lab = instrument_named(base, headers, "Temperature chamber")["lab_id"]

    with chromium() as browser:
        page = open_as(
            browser,
            base,
            "manager@zjim.demo",
            f"/board/{lab}",
            viewport={"width": 1280, "height": 1000},
        )
        alarms = page.get_by_test_id("board-alarms")
        expect(alarms).to_be_visible(timeout=10_000)
        spc = alarms.locator("[data-testid=board-alarm][data-kind=spc]")
        expect(spc).to_have_count(0)

        # The tool wears: the gauge's parts creep upward (published over MQTT).
        publish_parts(mosquitto.host, mosquitto.port, "demo-gw-01", "unused", 0.0, 20, 40)
        rule_3 = spc.filter(has_text="判异准则 3")
        expect(rule_3).to_have_count(1, timeout=ALARM_LIMIT_MS)
        expect(rule_3).to_contain_text("SPC 报警 · Shaft diameter (gauge 1)")
        expect(spc.filter(has_text="判异准则 2")).to_have_count(1, timeout=ALARM_LIMIT_MS)

        rule_3.get_by_role("button", name="确认").click()
        rule_3.get_by_label("原因").fill("刀具磨损")
        rule_3.get_by_label("措施").fill("更换刀片并重新对刀")
        rule_3.get_by_role("button", name=re.compile("提\\s*交")).click()
        expect(rule_3).to_contain_text("刀具磨损", timeout=20_000)

    record = httpx.get(
        f"{base}/api/v1/inspection/alarms",
        params={"characteristic_id": characteristic},
        headers=headers,
    ).json()
    [acknowledged] = [a for a in record if a["kind"] == "rule" and a["rule"] == 3]
    assert (acknowledged["cause"], acknowledged["action"]) == ("刀具磨损", "更换刀片并重新对刀")
    assert acknowledged["acknowledged_at"] is not None
