"""Credit records in Chromium: the platform (the regulator's seat) records a serious finding
about an institution and sees its class, the rule behind it and its dated facts change; it
requires a corrective action, and the institution's lab manager reads the record and closes
the action."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.harness.browser import Process, chromium, demo_server, open_as

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ZJIM = "浙江省计量科学研究院"


def _choose(page: Page, form: str, label: str, option: str) -> None:
    page.get_by_role("form", name=form).get_by_label(label).click()
    page.locator(f".ant-select-dropdown:visible .ant-select-item-option[title='{option}']").click()


def test_a_finding_changes_the_class_and_the_institution_closes_its_action(
    database_url: str, processes: list[Process], workdir: Path, server_port: int
) -> None:
    base = demo_server(database_url, processes, workdir, server_port, "--catalogue")

    with chromium() as browser:
        admin = open_as(browser, base, "admin@platform.demo", "/credit")
        listed = admin.get_by_test_id("credit-institutions")
        row = listed.locator("tr", has_text=ZJIM)
        expect(row.get_by_test_id("credit-class")).to_have_text("A 级")
        row.get_by_role("button", name=ZJIM).click()

        basis = admin.get_by_test_id("credit-basis")
        expect(basis.get_by_test_id("credit-class")).to_have_text("A 级")
        expect(basis).to_contain_text("未触发任何规则")

        form = admin.get_by_role("form", name="记录监督检查问题")
        _choose(admin, "记录监督检查问题", "严重程度", "严重问题")
        form.get_by_label("问题描述").fill("检测报告由未授权人员签发")
        form.get_by_label("证据").fill("飞行检查记录 FX-2026-12，报告 ZJ-R-0815 复印件")
        form.get_by_role("button", name="记录问题").click()
        expect(admin.get_by_text("已记录；该机构信用等级为 D 级")).to_be_visible()

        # The class, the rule that gave it and the fact it counted, without a reload.
        expect(basis.get_by_test_id("credit-class")).to_have_text("D 级")
        expect(basis).to_contain_text("规则 D-qualification")
        expect(admin.get_by_test_id("credit-matched")).to_contain_text(
            "严重监督检查问题 ≥ 1（实际 1）"
        )
        facts = admin.get_by_test_id("credit-facts")
        expect(facts).to_contain_text(
            "严重问题：检测报告由未授权人员签发（证据：飞行检查记录 FX-2026-12，"
        )
        expect(facts.locator("tr", has_text="检测报告由未授权人员签发")).to_contain_text(
            "严重监督检查问题"
        )
        history = admin.get_by_test_id("credit-history")
        expect(history.get_by_test_id("credit-class").first).to_have_text("D 级")

        action_form = admin.get_by_role("form", name="提出整改要求")
        action_form.get_by_label("整改要求").fill("建立报告签发授权管理程序")
        action_form.get_by_role("button", name="提出整改").click()
        actions = admin.get_by_test_id("credit-actions")
        expect(actions.locator("tr", has_text="建立报告签发授权管理程序")).to_contain_text("整改中")

        admin.get_by_test_id("credit-back").click()
        expect(
            admin.get_by_test_id("credit-institutions")
            .locator("tr", has_text=ZJIM)
            .get_by_test_id("credit-class")
        ).to_have_text("D 级")

        manager = open_as(browser, base, "manager@zjim.demo", "/credit")
        expect(manager.get_by_test_id("credit-basis").get_by_test_id("credit-class")).to_have_text(
            "D 级"
        )
        expect(manager.get_by_role("form", name="记录监督检查问题")).to_have_count(0)
        open_action = manager.get_by_test_id("credit-actions").locator(
            "tr", has_text="建立报告签发授权管理程序"
        )
        open_action.get_by_test_id("action-close").click()
        dialog = manager.get_by_role("dialog")
        dialog.get_by_label("整改情况").fill("程序已发布，签发人员已培训授权")
        dialog.get_by_role("button", name="关闭整改").click()
        expect(open_action).to_contain_text("已关闭")
        expect(open_action).to_contain_text("程序已发布，签发人员已培训授权")
        expect(manager.get_by_test_id("credit-facts")).to_contain_text("建立报告签发授权管理程序（")
