"""Smart testing in Chromium: a drifting gauge's rule alarms reach the inspection page live.

Real parts only: the server with its ingest worker, Mosquitto, PostgreSQL, the demo's
shaft-diameter gauge publishing over MQTT, and headless Chromium on the web app.
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
from tests.harness.browser import (
    Process,
    api_token,
    chromium,
    open_as,
    seed_demo,
    serve,
    server_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.timeout(180)]


async def _seed(base: str, headers: dict[str, str]) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await seed_station(client, headers)


def test_a_drifting_gauge_raises_alarms_on_the_inspection_page_and_they_are_acknowledged(
    database_url: str,
    mosquitto: MosquittoBroker,
    processes: list[Process],
    workdir: Path,
    server_port: int,
) -> None:
    env = server_env(database_url, mqtt_host=mosquitto.host, mqtt_port=mosquitto.port)
    seed_demo(env)
    base = serve(processes, workdir, server_port, env, ready="/readyz")
    asyncio.run(_seed(base, api_token(base, "manager@zjim.demo")))

    with chromium() as browser:
        page = open_as(
            browser,
            base,
            "manager@zjim.demo",
            "/inspection",
            viewport={"width": 1280, "height": 1000},
        )
        table = page.get_by_test_id("characteristics")
        expect(table).to_contain_text("shaft-40/diameter", timeout=10_000)
        expect(table).to_contain_text("1")  # limits version 1 seeded
        chart = page.get_by_test_id("control-chart")
        expect(chart.locator("canvas").first).to_be_visible(timeout=10_000)
        alarms = page.get_by_test_id("inspection-alarms")
        expect(alarms).not_to_contain_text("判异准则")

        # The tool wears: the gauge's parts creep upward (published over MQTT).
        publish_parts(mosquitto.host, mosquitto.port, "demo-gw-01", "unused", 0.0, 20, 40)
        expect(alarms).to_contain_text("判异准则 3：连续 6 点递增或递减", timeout=30_000)
        expect(alarms).to_contain_text("判异准则 2：连续 9 点在中心线同侧", timeout=30_000)
        # The Chinese page says it in Chinese: the server's English message is not shown.
        expect(alarms).not_to_contain_text("Nelson test")
        capability = page.get_by_test_id("capability")
        expect(capability).to_contain_text(re.compile(r"Cpk \d+\.\d\d"))

        item = alarms.locator("li", has_text="判异准则 3")
        item.get_by_label("原因").fill("刀具磨损")
        item.get_by_label("措施").fill("更换刀片并重新对刀")
        item.get_by_role("button", name="确认").click()
        expect(alarms.locator("li", has_text="判异准则 3")).to_contain_text(
            "已确认：刀具磨损 / 更换刀片并重新对刀", timeout=10_000
        )

        # Phase 1 again after the tool change: drag over the chart's first points to
        # select a baseline, exclude one with its cause, and freeze limits version 2.
        plot = chart.locator(".u-over").first
        plot.scroll_into_view_if_needed()
        box = plot.bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + 2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=8)
        page.mouse.up()
        selected = page.get_by_text(re.compile(r"基线：第 \d+–\d+ 点"))
        expect(selected).to_be_visible(timeout=5_000)
        first = int(re.search(r"第 (\d+)–", selected.inner_text()).group(1))  # type: ignore[union-attr]
        page.get_by_label("排除点位（逗号分隔）").fill(str(first + 1))
        page.get_by_label("排除原因（可查明原因）").fill("换刀后首件")
        expect(selected).to_contain_text("排除 1 点")
        page.get_by_role("button", name="冻结控制限").click()
        expect(table.locator("tr", has_text="shaft-40/diameter")).to_contain_text(
            "2", timeout=10_000
        )
