"""Proficiency testing in Chromium: an institution reads its own report of the demo's closed
round (never another's unpublished result) and submits to the open round; the provider closes
it and the institution sees its score."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.harness.browser import (
    Process,
    api_token,
    chromium,
    demo_server,
    open_as,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_own_report_submission_and_closing_in_the_browser(
    database_url: str, processes: list[Process], workdir: Path, server_port: int
) -> None:
    base = demo_server(database_url, processes, workdir, server_port, "--catalogue")

    with chromium() as browser:
        page = open_as(browser, base, "manager@zjim.demo", "/proficiency")
        closed = page.get_by_test_id("pt-round").filter(has_text="ZJ-PT-2026-01")
        # x = 50.03 against x_pt = 50.000, sigma_pt = 0.100: z = 0.30.
        expect(closed.get_by_test_id("pt-own")).to_contain_text("z 比分数 = 0.30")
        expect(closed.get_by_test_id("pt-own")).to_contain_text("满意")
        expect(closed).to_contain_text("宁波检验检测研究院")  # published
        expect(closed).not_to_contain_text("温州")  # not published
        expect(closed.locator("img")).to_be_visible()

        open_round = page.get_by_test_id("pt-round").filter(has_text="ZJ-PT-2026-02")
        open_round.get_by_label(re.compile("^测量结果")).fill("421.5")
        open_round.get_by_label("标准不确定度 u(x)").fill("2.0")
        open_round.get_by_role("button", name="提交结果").click()
        expect(open_round.get_by_test_id("pt-own")).to_contain_text("421.5")

        zju = api_token(base, "manager@zju.demo")
        rounds = httpx.get(f"{base}/api/v1/pt/rounds", headers=zju).json()
        round_id = next(r["id"] for r in rounds if r["code"] == "ZJ-PT-2026-02")
        httpx.put(
            f"{base}/api/v1/pt/rounds/{round_id}/my-result",
            json={"value": 418.0},
            headers=zju,
        ).raise_for_status()

        admin = open_as(browser, base, "admin@platform.demo", "/proficiency")
        admin_round = admin.get_by_test_id("pt-round").filter(has_text="ZJ-PT-2026-02")
        admin_round.get_by_role("button", name="结束本轮并评分").click()
        expect(admin_round).to_contain_text("已结束")
        expect(admin_round).to_contain_text("浙江大学分析测试中心")

        page.reload()
        open_round = page.get_by_test_id("pt-round").filter(has_text="ZJ-PT-2026-02")
        expect(open_round.get_by_test_id("pt-judgement")).to_have_text("满意")
