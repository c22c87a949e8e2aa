"""Booking through the browser: the week grid, a picked slot, the fee quote, the booking, and
the lab's approval — against a real server, PostgreSQL and headless Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
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


def test_book_with_a_quote_and_get_it_approved(
    database_url: str,
    database_conninfo: str,
    processes: list[Process],
    workdir: Path,
    server_port: int,
    repo_root: Path,
) -> None:
    env = server_env(database_url)
    seed_demo(env)
    now = datetime.now(UTC)
    with psycopg.connect(database_conninfo) as conn:
        # The demo chamber needs a valid calibration to be bookable at all.
        conn.execute(
            "INSERT INTO calibration_certificate (instrument_id, organisation_id, number, agency,"
            " granted_on, valid_from, valid_to, result)"
            " SELECT id, organisation_id, 'E2E-1', '浙江省计量科学研究院', %s, %s, %s, 'pass'"
            " FROM instrument WHERE name = '高低温试验箱'",
            (now.date(), now - timedelta(days=10), now + timedelta(days=365)),
        )
    server = spawn(
        processes,
        workdir,
        "server",
        [str(VENV_BIN / "labshare-server"), "serve", "--port", str(server_port)],
        env,
    )
    base = f"http://127.0.0.1:{server_port}"
    wait_http_ok(f"{base}/healthz", server)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            log_in(page, base, "buyer@jingce.demo")
            page.goto(f"{base}/bookings")
            grid = page.get_by_test_id("availability-grid")
            row = grid.locator("tr", has_text="高低温试验箱")
            row.get_by_role("button", name=re.compile("小时可约")).first.click()
            page.get_by_test_id("slot-picker").get_by_role("button").first.click()
            page.get_by_role("button", name="查看费用").click()
            total = page.get_by_test_id("quote-total")
            expect(total).to_contain_text("¥", timeout=10_000)
            shown_total = Decimal(total.inner_text().strip().lstrip("¥"))
            expect(page.get_by_test_id("quote")).to_contain_text("设备折旧 Depreciation")
            page.get_by_role("button", name="提交预约").click()
            expect(page.get_by_test_id("booked")).to_contain_text("待审批", timeout=10_000)
            expect(page.get_by_test_id("my-bookings")).to_contain_text("待审批")
            assert page.get_by_test_id("ical-link").get_attribute("href")

            staff = browser.new_page()
            log_in(staff, base, "staff@zjim.demo")
            staff.goto(f"{base}/bookings")
            approvals = staff.get_by_role("region", name="待审批预约")
            expect(approvals).to_contain_text(str(shown_total), timeout=10_000)
            approvals.get_by_role("listitem").filter(has_text=str(shown_total)).get_by_role(
                "button", name="批准"
            ).first.click()
            expect(
                approvals.get_by_role("listitem").filter(has_text=str(shown_total))
            ).to_have_count(0, timeout=10_000)
        finally:
            browser.close()

    token = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": "buyer@jingce.demo", "password": "labshare-demo"},
    ).json()["access_token"]
    bookings = httpx.get(
        f"{base}/api/v1/bookings", headers={"Authorization": f"Bearer {token}"}
    ).json()
    # Everything but the seeded demo bookings was booked through the browser.
    mine = [b for b in bookings if not b["purpose"].startswith("[demo]")]
    assert len(mine) == 1, bookings
    assert mine[0]["status"] == "confirmed"
    assert mine[0]["mode"] == "staff_operated"
    assert Decimal(mine[0]["quoted_amount"]) == shown_total
