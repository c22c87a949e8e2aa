"""The catalogue and the calibration screens in Chromium, against a real server and database.

An enterprise buyer searches the demo catalogue and filters it by calibration status; a lab
manager records a failed intermediate check and sees the instrument go out of service with
its impact report.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.harness.browser import Process, chromium, demo_server, open_as, pick_date

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_catalogue_search_and_out_of_tolerance_in_the_browser(
    database_url: str,
    processes: list[Process],
    workdir: Path,
    server_port: int,
    repo_root: Path,
) -> None:
    base = demo_server(database_url, processes, workdir, server_port, "--catalogue")
    chamber = httpx.get(
        f"{base}/api/v1/catalogue/instruments", params={"q": "Temperature chamber"}
    ).json()["items"]
    chamber_id = next(i["id"] for i in chamber if i["name"] == "高低温试验箱")

    with chromium() as browser:
        # A visitor without an account opens an instrument's public page: fee, hours, booking.
        visitor = browser.new_page()
        visitor.goto(f"{base}/catalogue")
        visitor.get_by_role("searchbox").first.fill("Temperature chamber")
        hit = visitor.get_by_test_id("catalogue-item").filter(has_text="高低温试验箱")
        hit.locator("a.catalogue-name").click()
        expect(visitor.get_by_test_id("public-instrument")).to_be_visible(timeout=10_000)
        expect(visitor.get_by_test_id("public-fees")).to_contain_text("/小时")
        expect(visitor.get_by_test_id("public-hours")).to_be_visible()
        expect(visitor.get_by_test_id("public-book")).to_contain_text("登录后预约")
        expect(visitor.get_by_test_id("public-record")).not_to_contain_text("staff_operated")

        page = open_as(browser, base, "buyer@jingce.demo", "/catalogue")
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
        # An enterprise user lands on the instrument's public page: calibration state and scope.
        items.first.locator("a.catalogue-name").click()
        panel = page.get_by_test_id("public-instrument")
        expect(panel.get_by_test_id("calibration-status")).to_contain_text("校准有效")
        expect(panel.get_by_test_id("public-scope")).to_contain_text("GB 23200.113-2018")

        manager = open_as(browser, base, "manager@zjim.demo", f"/instruments/{chamber_id}/manage")
        form = manager.get_by_test_id("check-form")
        pick_date(form.get_by_label("核查时间"), "2026-01-05 10:00")
        form.get_by_label("参考值").fill("50")
        form.get_by_label("测得值").fill("51.5")
        form.get_by_label("允差").fill("0.5")
        form.get_by_role("button", name="添加").click()
        expect(manager.get_by_test_id("out-of-service")).to_be_visible(timeout=10_000)
        expect(manager.get_by_test_id("calibration-status").first).to_contain_text("停用")
        # The bookings after the failed check are listed by who booked them, not "none".
        report = manager.get_by_test_id("impact-report")
        expect(report).to_contain_text("期间核查不合格")
        expect(
            report.get_by_role("heading", name=re.compile(r"发现后的预约.* · [1-9]"))
        ).to_be_visible()
        expect(report).to_contain_text("杭州精测科技有限公司")
        expect(report).not_to_contain_text("confirmed")
