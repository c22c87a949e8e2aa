"""Booking through the browser: the week grid, a picked slot, the fee quote, the booking, and
the lab's approval — against a real server, PostgreSQL and headless Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.harness.browser import (
    Chamber,
    api_token,
    chromium,
    open_as,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _browser_bookings(base: str) -> list[dict[str, Any]]:
    """The buyer's bookings other than the seeded demo ones, straight from the API."""
    headers = api_token(base, "buyer@jingce.demo")
    bookings = httpx.get(f"{base}/api/v1/bookings", headers=headers).json()
    return [b for b in bookings if not b["purpose"].startswith("[demo]")]


def _pick_first_chamber_slot(page: Page) -> None:
    grid = page.get_by_test_id("availability-grid")
    row = grid.locator("tr", has_text="高低温试验箱")
    row.get_by_role("button", name=re.compile("小时可约")).first.click()
    picker = page.get_by_test_id("slot-picker")
    # The picker names the instrument and the day that were chosen.
    expect(page.get_by_test_id("slot-picker-title")).to_contain_text("高低温试验箱")
    expect(page.get_by_test_id("slot-picker-title")).to_contain_text(re.compile(r"\d{2}-\d{2} 周"))
    picker.get_by_role("button").first.click()


def _set_time(page: Page, label: str, value: str) -> None:
    """Types a Beijing wall time into one of the form's date pickers, as a user would."""
    field = page.get_by_label(label)
    field.click()
    field.fill(value)
    field.press("Enter")


def test_book_with_a_quote_and_get_it_approved(certified_demo: tuple[str, Chamber]) -> None:
    base, _ = certified_demo

    with chromium() as browser:
        page = open_as(browser, base, "buyer@jingce.demo", "/bookings")
        _pick_first_chamber_slot(page)
        page.get_by_role("button", name="查看费用").click()
        total = page.get_by_test_id("quote-total")
        expect(total).to_contain_text("¥", timeout=10_000)
        shown_total = Decimal(total.inner_text().strip().lstrip("¥"))
        expect(page.get_by_test_id("quote")).to_contain_text("设备折旧 Depreciation")
        page.get_by_role("button", name="提交预约").click()
        expect(page.get_by_test_id("booked")).to_contain_text("待审批", timeout=10_000)
        expect(page.get_by_test_id("my-bookings")).to_contain_text("待审批")
        assert page.get_by_test_id("ical-link").get_attribute("href")
        # The buyer gives sample information on the booking; the lab reads it in its queue.
        mine_row = (
            page.get_by_test_id("my-bookings")
            .get_by_role("row")
            .filter(has_text=str(shown_total))
            .filter(has_text="待审批")
            .first
        )
        mine_row.get_by_test_id("notes-toggle").click()
        notes = page.get_by_test_id("booking-notes")
        notes.get_by_role("textbox").fill("两个电池模组，请按样品清单测试")
        notes.get_by_role("button", name="发送").click()
        expect(notes.get_by_test_id("booking-note-list")).to_contain_text(
            "两个电池模组，请按样品清单测试", timeout=10_000
        )

        staff = open_as(browser, base, "staff@zjim.demo", "/bookings")
        approvals = staff.get_by_role("region", name="待审批预约")
        expect(approvals).to_contain_text(str(shown_total), timeout=10_000)
        # The queue says who booked: the enterprise and the user, beside the amount.
        row = approvals.get_by_role("row").filter(has_text=str(shown_total))
        expect(row.get_by_test_id("booker")).to_contain_text("杭州精测科技有限公司")
        expect(row).not_to_contain_text("staff_operated")
        row.get_by_test_id("notes-toggle").click()
        expect(approvals.get_by_test_id("booking-note-list")).to_contain_text(
            "两个电池模组，请按样品清单测试", timeout=10_000
        )
        row.get_by_role("button", name="批准").first.click()
        expect(row).to_have_count(0, timeout=10_000)

    # Everything but the seeded demo bookings was booked through the browser.
    mine = _browser_bookings(base)
    assert len(mine) == 1, mine
    assert mine[0]["status"] == "confirmed"
    assert mine[0]["mode"] == "staff_operated"
    assert Decimal(mine[0]["quoted_amount"]) == shown_total


def test_book_a_later_half_hour_of_a_slot_and_refuse_an_end_before_the_start(
    certified_demo: tuple[str, Chamber],
) -> None:
    """The form's start and end stay as typed (the tester saw them snap back to the picked slot,
    so only its first half-hour could be booked), and an end before the start is refused in
    Chinese before anything is sent (it used to create a 30-minute booking)."""
    base, _ = certified_demo
    with chromium() as browser:
        page = open_as(
            browser, base, "buyer@jingce.demo", "/bookings", viewport={"width": 1440, "height": 900}
        )
        _pick_first_chamber_slot(page)
        start_field = page.get_by_label("开始（北京时间）")
        picked = datetime.strptime(start_field.input_value(), "%Y-%m-%d %H:%M")
        start = picked + timedelta(minutes=30)
        end = start + timedelta(minutes=60)

        # End before start: a message in Chinese, no request, nothing booked.
        _set_time(
            page, "结束（北京时间）", (start - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")
        )
        page.get_by_role("button", name="查看费用").click()
        expect(page.get_by_text("结束时间必须晚于开始时间")).to_be_visible()
        expect(page.get_by_test_id("quote")).to_have_count(0)
        assert _browser_bookings(base) == []

        # A start half an hour into the slot stays where it was put.
        _set_time(page, "开始（北京时间）", start.strftime("%Y-%m-%d %H:%M"))
        _set_time(page, "结束（北京时间）", end.strftime("%Y-%m-%d %H:%M"))
        expect(page.get_by_label("开始（北京时间）")).to_have_value(
            start.strftime("%Y-%m-%d %H:%M")
        )
        expect(page.get_by_text("结束时间必须晚于开始时间")).to_have_count(0)
        page.get_by_role("button", name="查看费用").click()
        expect(page.get_by_test_id("quote-total")).to_contain_text("¥", timeout=10_000)
        expect(page.get_by_label("开始（北京时间）")).to_have_value(
            start.strftime("%Y-%m-%d %H:%M")
        )
        page.get_by_role("button", name="提交预约").click()
        expect(page.get_by_test_id("booked")).to_contain_text("预约编号", timeout=10_000)
        listed = page.get_by_test_id("my-bookings")
        expect(listed).to_contain_text(f"{start:%H:%M}–{end:%H:%M}", timeout=10_000)
        expect(listed).to_contain_text("委托测试")
        expect(listed).not_to_contain_text("staff_operated")

    mine = _browser_bookings(base)
    assert len(mine) == 1, mine
    beijing = timedelta(hours=8)
    booked_start = datetime.fromisoformat(mine[0]["start_at"]).astimezone(UTC)
    booked_end = datetime.fromisoformat(mine[0]["end_at"]).astimezone(UTC)
    assert booked_start == (start - beijing).replace(tzinfo=UTC)
    assert booked_end == (end - beijing).replace(tzinfo=UTC)
