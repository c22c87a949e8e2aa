"""The lab's day in the browser: today's bookings per instrument with check-in, and the
bookings an outage put at risk cancelled together with a message the bookers read — against a
real server, PostgreSQL and headless Chromium."""

from __future__ import annotations

import psycopg
import pytest
from playwright.sync_api import expect

from tests.harness.browser import Chamber, chromium, open_as

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_check_in_todays_booker_and_cancel_the_flagged_bookings_with_a_message(
    certified_demo: tuple[str, Chamber], database_conninfo: str
) -> None:
    base, chamber = certified_demo
    with psycopg.connect(database_conninfo) as conn:
        # The demo's booking in use now started five minutes ago and is not checked in yet (well
        # inside the 30 minutes after which the job runner would release it as a no-show); the
        # confirmed one in two days was flagged when the chamber went out of service.
        conn.execute(
            "UPDATE booking SET status = 'confirmed', checked_in_at = NULL,"
            " check_in_source = NULL, start_at = now() - interval '5 minutes'"
            " WHERE instrument_id = %s AND status = 'checked_in'",
            (chamber.id,),
        )
        # Out of service around that booking only, so the job runner keeps its flag (it clears
        # flags no block explains) and no other booking is touched.
        conn.execute(
            "INSERT INTO out_of_service (instrument_id, organisation_id, start_at, end_at, reason,"
            " cause_kind) SELECT instrument_id, %s, start_at - interval '1 hour',"
            " end_at + interval '1 hour', '温度传感器故障', 'fault' FROM booking"
            " WHERE instrument_id = %s AND status = 'confirmed' AND start_at > now()",
            (chamber.organisation_id, chamber.id),
        )
        flagged = conn.execute(
            "UPDATE booking SET flag = 'out_of_service', flag_detail = 'Intermediate check failed'"
            " WHERE instrument_id = %s AND status = 'confirmed' AND start_at > now()"
            " RETURNING id",
            (chamber.id,),
        ).fetchall()
    assert len(flagged) == 1

    with chromium() as browser:
        page = open_as(browser, base, "manager@zjim.demo", "/today")
        day = page.get_by_role("region", name="今日预约")
        card = day.get_by_test_id("day-instrument").filter(has_text="高低温试验箱")
        expect(card.get_by_test_id("day-status")).to_have_text("已确认", timeout=10_000)
        card.get_by_role("button", name="签到").click()
        expect(card.get_by_test_id("day-status")).to_have_text("使用中", timeout=10_000)
        expect(card).to_contain_text("由工作人员签到")
        expect(card.get_by_role("button", name="记为爽约")).to_have_count(0)

        affected = page.get_by_role("region", name="受影响的预约")
        expect(affected.get_by_test_id("flag")).to_have_text("停用")
        expect(affected).to_contain_text("杭州精测科技有限公司")
        affected.get_by_role("checkbox").nth(1).check()
        affected.get_by_role("button", name="统一取消（1）").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_test_id("bulk-reason").fill("试验箱期间核查不合格，已送修")
        dialog.get_by_role("button", name="取消并通知").click()
        expect(page.get_by_test_id("bulk-outcomes")).to_contain_text("1 个预约中 1 个已处理")
        expect(affected.get_by_text("没有受影响的预约")).to_be_visible(timeout=10_000)

    with psycopg.connect(database_conninfo) as conn:
        status = conn.execute("SELECT status FROM booking WHERE id = %s", flagged[0]).fetchone()
        told = conn.execute(
            "SELECT body FROM outbox WHERE kind = 'booking_cancelled'"
            " AND (data->>'booking_id')::uuid = %s",
            flagged[0],
        ).fetchall()
        checked_in = conn.execute(
            "SELECT check_in_source FROM booking WHERE instrument_id = %s AND status = 'checked_in'",
            (chamber.id,),
        ).fetchall()
    assert status == ("cancelled",)
    assert told == [("试验箱期间核查不合格，已送修",)]
    assert checked_in == [("manual",)]
