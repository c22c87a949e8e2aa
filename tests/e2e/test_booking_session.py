"""A booker looks back on a used booking in the browser, in both languages: its history, the
calibration certificate valid at the time, what the instrument recorded and the charge."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.harness.browser import (
    DEMO_CERTIFICATE,
    Chamber,
    chromium,
    console_errors,
    log_in,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

WORDS = {
    "zh-CN": {
        "details": "详情",
        "completed": "已完成",
        "signal": "仪器开机，自动签到",
        "covers": "覆盖整个使用期间",
        "temperature": "温度",
        "usage": "机时费",
    },
    "en": {
        "details": "Details",
        "completed": "Completed",
        "signal": "Checked in when the instrument started",
        "covers": "Valid for the whole session",
        "temperature": "Temperature",
        "usage": "Usage",
    },
}


def test_the_booker_opens_a_used_booking_and_sees_its_certificate_data_and_charge(
    certified_demo: tuple[str, Chamber],
) -> None:
    base, _ = certified_demo
    with chromium() as browser:
        for lang, words in WORDS.items():
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_init_script(f"window.localStorage.setItem('labshare.locale', '{lang}')")
            page = context.new_page()
            errors = console_errors(page)
            log_in(page, base, "buyer@jingce.demo")
            page.goto(f"{base}/bookings")
            row = (
                page.get_by_test_id("my-bookings")
                .get_by_role("row")
                .filter(has_text=words["completed"])
            )
            row.get_by_test_id("booking-details").click()
            expect(page.get_by_test_id("session-status")).to_have_text(words["completed"])
            expect(page.get_by_test_id("booking-history")).to_contain_text(words["signal"])
            expect(page.get_by_test_id("session-certificates")).to_contain_text(DEMO_CERTIFICATE)
            expect(page.get_by_test_id("session-certificates")).to_contain_text(words["covers"])
            data_row = (
                page.get_by_test_id("session-data")
                .get_by_role("row")
                .filter(has_text=words["temperature"])
                .first
            )
            # The demo's completed booking: a reading a minute over its 125 minutes of use.
            expect(data_row).to_contain_text("125")
            expect(data_row).to_contain_text("°C")
            expect(page.get_by_test_id("session-charge")).to_contain_text(words["usage"])
            assert not errors, f"console errors ({lang}): {errors}"
            context.close()
