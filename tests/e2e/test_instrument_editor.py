"""Registering an instrument in Chromium, against a real server and database.

The lab manager of the metrology institute registers a new instrument from the instrument list,
gives it weekday opening hours and a cost model, sees the published fee per user category, and
finds the instrument in the public catalogue with that fee; closed to sharing, it leaves it.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.harness.browser import Process, api_token, chromium, demo_server, open_as, pick_date

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NAME = "场发射扫描电子显微镜"
NAME_EN = "Field-emission scanning electron microscope"
# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def test_manager_registers_an_instrument_and_publishes_its_fee(
    database_url: str,
    processes: list[Process],
    workdir: Path,
    server_port: int,
) -> None:
    base = demo_server(database_url, processes, workdir, server_port)

    with chromium() as browser:
        page = open_as(
            browser, base, "manager@zjim.demo", "/", viewport={"width": 1440, "height": 900}
        )
        page.get_by_test_id("register-instrument").click()
        expect(page.get_by_role("heading", name="登记仪器")).to_be_visible()

        form = page.get_by_test_id("record-form")
        # Nothing is sent without a name; the reason is given in Chinese.
        form.get_by_role("button", name=re.compile(r"^登\s?记$")).click()
        expect(form).to_contain_text("请填写仪器名称")

        form.get_by_label("仪器名称").fill(NAME)
        form.get_by_label("英文名称").fill(NAME_EN)
        form.get_by_label("型号").fill("SU5000")
        form.get_by_label("生产厂商").fill("Hitachi")
        form.get_by_label("放置地点").fill("材料实验室 203")
        form.get_by_label("仪器类别").fill("电子光学仪器")
        form.get_by_label("原值（元）").fill("3200000")
        form.get_by_label("产地国别").fill("日本")
        pick_date(form.get_by_label("购置日期"), "2024-03-15")
        form.get_by_label("资产分类代码").fill("03040801")
        form.get_by_label("主要技术指标").fill("分辨率 1.2 nm @ 30 kV")
        form.get_by_label("主要功能").fill("材料表面形貌观察与能谱分析")
        form.get_by_label("负责人").fill("王主管")
        form.get_by_label("联系电话").fill("0571-85000000")
        form.get_by_role("button", name=re.compile(r"^登\s?记$")).click()

        page.wait_for_url(re.compile(r"/instruments/[0-9a-f-]{36}/edit$"), timeout=15_000)
        instrument_id = page.url.rstrip("/").split("/")[-2]
        expect(page.get_by_test_id("instrument-edit")).to_contain_text(NAME)
        expect(page.get_by_test_id("record-form").get_by_label("原值（元）")).to_have_value(
            "3200000.00"
        )

        # A photo of it, listed by type in words.
        files = page.get_by_test_id("attachments")
        files.get_by_label("选择文件").set_input_files(
            files=[{"name": "正面照.png", "mimeType": "image/png", "buffer": PNG}]
        )
        # The chosen file is named beside the button before anything is sent.
        expect(files).to_contain_text("正面照.png")
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/attachments"),
            timeout=30_000,
        ) as sent:
            files.get_by_role("button", name=re.compile(r"^上\s?传$")).click()
        assert sent.value.status == 201, sent.value.text()
        expect(files.get_by_test_id("attachment-list")).to_contain_text("照片")
        expect(files.get_by_test_id("attachment-list")).to_contain_text("正面照.png")

        # Weekdays 08:30–12:00 and 13:30–17:00, Beijing time.
        hours = page.get_by_test_id("hours-editor")
        hours.get_by_role("button", name="周一 添加时段").click()
        hours.get_by_label("周一 结束 1").fill("12:00")
        hours.get_by_role("button", name="周一 添加时段").click()
        hours.get_by_label("周一 开始 2").fill("13:30")
        hours.get_by_label("周一 结束 2").fill("17:00")
        hours.get_by_role("button", name="按周一设置工作日").click()
        hours.get_by_role("button", name="保存开放时间").click()
        expect(page.get_by_text("已保存").first).to_be_visible()

        # 20 consumables + 160,000 / 1,600 h depreciation = 120.00/h; enterprises pay 1.2×.
        cost = page.get_by_test_id("cost-form")
        cost.get_by_label("耗材（元/小时）").fill("20")
        cost.get_by_label("年折旧额（元）").fill("160000")
        cost.get_by_label("企业用户").fill("1.2")
        cost.get_by_role("button", name="保存并公开收费").click()
        fees = page.get_by_test_id("published-fees")
        expect(fees.get_by_test_id("fee-enterprise")).to_contain_text("144.00 元/小时")
        expect(fees.get_by_test_id("fee-internal")).to_contain_text("120.00 元/小时")
        expect(fees).not_to_contain_text("enterprise")

        # What the server now holds.
        headers = api_token(base, "manager@zjim.demo")
        record = httpx.get(
            f"{base}/api/v1/instruments/{instrument_id}/record", headers=headers
        ).json()
        weekday = [["08:30", "12:00"], ["13:30", "17:00"]]
        assert record["opening_hours"] == dict.fromkeys(
            ("mon", "tue", "wed", "thu", "fri"), weekday
        )
        assert record["original_value"] == "3200000.00"
        assert record["country_of_origin"] == "日本"

        # Anyone finds it in the catalogue with its hours and the fee just published.
        visitor = browser.new_page()
        visitor.goto(f"{base}/catalogue")
        visitor.get_by_role("searchbox").first.fill(NAME)
        hit = visitor.get_by_test_id("catalogue-item").filter(has_text=NAME)
        expect(hit).to_be_visible(timeout=10_000)
        hit.locator("a.catalogue-name").click()
        expect(visitor.get_by_test_id("public-instrument")).to_be_visible(timeout=10_000)
        expect(visitor.get_by_test_id("fee-enterprise-self_operated")).to_contain_text(
            "¥144.00/小时"
        )
        expect(visitor.get_by_test_id("public-hours")).to_contain_text("13:30")

        # Retired: closed to sharing, it leaves the public catalogue.
        record_form = page.get_by_test_id("record-form")
        record_form.get_by_role("switch", name="对外开放共享").click()
        record_form.get_by_role("button", name=re.compile(r"^保\s?存$")).click()
        expect(page.get_by_test_id("open-state")).to_contain_text("已停止共享")
        public = httpx.get(f"{base}/api/v1/public/instruments/{instrument_id}")
        assert public.status_code == 404
