"""The catalogue and the calibration screens in Chromium, against a real server and database.

An enterprise buyer searches the demo catalogue and filters it by calibration status; a lab
manager records a failed intermediate check and sees the instrument go out of service with
its impact report.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

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


def test_catalogue_search_and_out_of_tolerance_in_the_browser(
    database_url: str,
    processes: list[Process],
    workdir: Path,
    server_port: int,
    repo_root: Path,
) -> None:
    env = server_env(database_url)
    seed_demo(env, "--catalogue")
    server = spawn(
        processes,
        workdir,
        "server",
        [str(VENV_BIN / "labshare-server"), "serve", "--port", str(server_port)],
        env,
    )
    base = f"http://127.0.0.1:{server_port}"
    wait_http_ok(f"{base}/healthz", server)
    chamber = httpx.get(
        f"{base}/api/v1/catalogue/instruments", params={"q": "Temperature chamber"}
    ).json()["items"]
    chamber_id = next(i["id"] for i in chamber if i["name"] == "高低温试验箱")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            log_in(page, base, "buyer@jingce.demo")
            page.goto(f"{base}/catalogue")
            page.get_by_role("searchbox").first.fill("色谱")
            items = page.get_by_test_id("catalogue-item")
            expect(items.first).to_contain_text("色谱", timeout=10_000)
            expect(page.get_by_test_id("catalogue-total")).to_contain_text("共 7 台仪器")
            page.get_by_role("combobox", name="校准状态").click()
            page.locator(".ant-select-dropdown .ant-select-item-option[title='校准有效']").click()
            expect(page.get_by_test_id("catalogue-total")).to_contain_text("共 4 台仪器")
            labels = page.get_by_test_id("calibration-status")
            for index in range(labels.count()):
                expect(labels.nth(index)).to_contain_text("校准有效")
            items.first.get_by_role("link").click()
            panel = page.get_by_test_id("registry-panel")
            expect(panel.get_by_test_id("calibration-status")).to_contain_text("校准有效")
            expect(panel.get_by_test_id("cma-scope")).to_contain_text("GB 23200.113-2018")

            manager = browser.new_page()
            log_in(manager, base, "manager@zjim.demo")
            manager.goto(f"{base}/instruments/{chamber_id}/manage")
            form = manager.get_by_test_id("check-form")
            form.locator("input[name=performed_at]").fill("2026-01-05T10:00")
            form.locator("input[name=reference_value]").fill("50")
            form.locator("input[name=measured_value]").fill("51.5")
            form.locator("input[name=tolerance]").fill("0.5")
            form.locator("button[type=submit]").click()
            expect(manager.get_by_test_id("out-of-service")).to_be_visible(timeout=10_000)
            expect(manager.get_by_test_id("calibration-status").first).to_contain_text("停用")
            expect(manager.get_by_test_id("impact-report")).to_contain_text("受影响预约")
        finally:
            browser.close()
