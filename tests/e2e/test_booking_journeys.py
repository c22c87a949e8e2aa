"""The booking journeys through the browser, in Chinese and in English: every refusal a user
can run into (past start, end before start, self-operated time without an operator
authorisation, an instrument operated by staff only, over the weekly quota, a taken slot) shown
in the reader's language; then joining the waitlist for the taken slot, accepting the offer when
it frees up, rescheduling the booking, and a weekly recurring booking — against a real server,
PostgreSQL and headless Chromium."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.harness.browser import (
    Chamber,
    api_token,
    chromium,
    log_in,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SHANGHAI = ZoneInfo("Asia/Shanghai")
WALL = "%Y-%m-%d %H:%M"

# What the user reads, per language (the app's own texts, not the server's English).
TEXT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "start": "开始（北京时间）",
        "end": "结束（北京时间）",
        "quote": "查看费用",
        "book": "提交预约",
        "past": "开始时间必须晚于当前时间",
        "endBeforeStart": "结束时间必须晚于开始时间",
        "self": "自主上机",
        "staff": "委托测试",
        "check": "请检查填写内容",
        "needsAuthorisation": "自主上机需要该仪器的有效上机授权，请改选委托测试",
        "staffOnly": "该仪器仅提供委托测试，不可自主上机",
        "quotaTitle": "超出预约配额",
        "quota": "贵单位在该仪器上每周可预约 1 小时，已预约",
        "voucher": "创新券最多可抵扣 ¥",
        "taken": "该时段已被预约",
        "overlaps": "与已有预约冲突：",
        "join": "加入候补",
        "joined": "已加入候补：",
        "waitlist": "我的候补",
        "offered": "时段已空出，待确认",
        "accept": "接受并预约",
        "accepted": "已预约，预约编号：",
        "mine": "我的预约",
        "reschedule": "改期",
        "moveIt": "确认改期",
        "moved": "已改期，新预约编号：",
        "repeat": "每周重复（共几次）",
        "bookAll": "提交 3 次预约",
        "series": "每周重复预约：成功",
        "seriesOf": "共 3 次",
        "seriesBooked": "已预约",
        "free": "空闲",
        "chamber": "高低温试验箱",
        "nextWeek": "下一周",
    },
    "en": {
        "start": "Start (Beijing time)",
        "end": "End (Beijing time)",
        "quote": "Get the fee quote",
        "book": "Book now",
        "past": "The start must be in the future",
        "endBeforeStart": "The end must be after the start",
        "self": "Self-operated",
        "staff": "Staff-operated sample testing",
        "check": "Please check the form",
        "needsAuthorisation": (
            "Self-operated time needs an operator authorisation on this instrument; "
            "book staff-operated testing instead"
        ),
        "staffOnly": "This instrument is operated by staff only: book staff-operated testing",
        "quotaTitle": "Booking quota exceeded",
        "quota": "Your organisation may book 1 h per week on this instrument;",
        "voucher": "Vouchers can cover up to ¥",
        "taken": "The slot is already booked",
        "overlaps": "It overlaps an existing booking:",
        "join": "Join the waitlist",
        "joined": "On the waitlist:",
        "waitlist": "My waitlist",
        "offered": "Offered to you",
        "accept": "Accept and book",
        "accepted": "Booked, reference",
        "mine": "My bookings",
        "reschedule": "Reschedule",
        "moveIt": "Move it",
        "moved": "Moved; new reference",
        "repeat": "Repeat weekly (times in all)",
        "bookAll": "Book all 3",
        "series": "Weekly booking:",
        "seriesOf": "of 3 booked",
        "seriesBooked": "Booked",
        "free": "Free",
        "chamber": "Temperature chamber",
        "nextWeek": "Next week",
    },
}


def _free_two_hours(base: str, chamber: str, count: int) -> list[datetime]:
    """Starts (Beijing time) of free two-hour periods on the chamber, each on its own day,
    from two days ahead: the form is filled with these."""
    now = datetime.now(UTC)
    answer = httpx.get(
        f"{base}/api/v1/availability",
        params={
            "start": (now + timedelta(days=2)).isoformat(),
            "end": (now + timedelta(days=40)).isoformat(),
            "instrument_id": chamber,
        },
        headers=api_token(base, "buyer@jingce.demo"),
    )
    assert answer.status_code == 200, answer.text
    starts: list[datetime] = []
    for slot in answer.json()[0]["free"]:
        start = datetime.fromisoformat(slot["start"]).astimezone(SHANGHAI)
        end = datetime.fromisoformat(slot["end"]).astimezone(SHANGHAI)
        if end - start >= timedelta(hours=2) and all(s.date() != start.date() for s in starts):
            starts.append(start)
        if len(starts) == count:
            return starts
    pytest.fail(f"fewer than {count} free two-hour periods: {answer.json()}")


def _policy(conninfo: str, **values: Any) -> None:
    """Changes the chamber's booking rules as its lab manager would."""
    assignments = ", ".join(f"{key} = %({key})s" for key in values)
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            f"UPDATE booking_policy SET {assignments} WHERE instrument_id ="  # noqa: S608
            " (SELECT id FROM instrument WHERE name = '高低温试验箱')",
            values,
        )


def _set_time(page: Page, label: str, value: datetime, scope: Any = None) -> None:
    """Types a Beijing wall time into a date picker, as a user would."""
    field = (scope or page).get_by_label(label)
    field.click()
    field.fill(value.strftime(WALL))
    field.press("Enter")


def _fill(page: Page, text: dict[str, str], start: datetime, hours: int = 2) -> None:
    _set_time(page, text["start"], start)
    _set_time(page, text["end"], start + timedelta(hours=hours))


def _mode(page: Page, label: str) -> None:
    page.get_by_test_id("booking-form").locator("label", has_text=label).first.click()


def _shot(page: Page, name: str, lang: str) -> None:
    """With LABSHARE_SCREENSHOTS set, the page at 1440×900 and at 390×844 (as the screenshot
    run names them); without it, nothing."""
    out = os.environ.get("LABSHARE_SCREENSHOTS")
    if not out:
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    for label, (width, height) in (("desktop", (1440, 900)), ("mobile", (390, 844))):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(out) / f"{name}-{lang}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def _utc(moment: datetime) -> str:
    """The instant as the browser's toISOString writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _free_block_around(
    row: Locator, moment: datetime
) -> tuple[float, float, float, float, datetime, datetime] | None:
    """The on-screen box of the free block in the week timeline row that holds ``moment``,
    with the block's start and end: a drag across it maps time to x linearly."""
    for block in row.locator('button[data-kind="free"]').all():
        start = datetime.fromisoformat(block.get_attribute("data-start") or "")
        end = datetime.fromisoformat(block.get_attribute("data-end") or "")
        if start <= moment and moment + timedelta(hours=2) <= end:
            box = block.bounding_box()
            assert box is not None
            return box["x"], box["y"], box["width"], box["height"], start, end
    return None


def _quote(page: Page, text: dict[str, str]) -> None:
    page.get_by_role("button", name=text["quote"]).click()
    expect(page.get_by_test_id("quote-total")).to_contain_text("¥", timeout=10_000)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_refusal_in_the_readers_language_then_waitlist_reschedule_and_repeat(
    lang: str, certified_demo: tuple[str, Chamber], database_conninfo: str
) -> None:
    text = TEXT[lang]
    base, served_chamber = certified_demo
    chamber = served_chamber.id
    slot, later, weekly = _free_two_hours(base, chamber, 3)
    form_url = f"{base}/bookings?instrument={chamber}"
    staff = api_token(base, "staff@zjim.demo")

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_init_script(f"window.localStorage.setItem('labshare.locale', '{lang}')")
        page = context.new_page()
        log_in(page, base, "buyer@jingce.demo")

        # The day timeline: dragging across two free hours of the chamber's row fills the form
        # with exactly that start and end.
        page.goto(f"{base}/bookings")
        timeline = page.get_by_test_id("day-timeline")
        timeline.get_by_text(f"{slot:%m-%d}").click()
        first = timeline.locator(f'td[data-start="{_utc(slot)}"]')
        last = timeline.locator(f'td[data-start="{_utc(slot + timedelta(minutes=90))}"]')
        expect(first).to_have_attribute("data-kind", "free", timeout=10_000)
        expect(first).to_have_attribute("aria-label", re.compile(text["free"]))
        first.hover()
        page.mouse.down()
        last.hover()
        page.mouse.up()
        expect(page.get_by_label(text["start"])).to_have_value(slot.strftime(WALL))
        expect(page.get_by_label(text["end"])).to_have_value(
            (slot + timedelta(hours=2)).strftime(WALL)
        )
        _shot(page, "booking-timeline", lang)

        # The week timeline: a drag across the chamber's bar for that day picks what it covers.
        page.goto(f"{base}/bookings?view=week")
        week = page.get_by_test_id("week-timeline")
        row = week.get_by_test_id("week-row").filter(
            has=page.get_by_role("rowheader", name=text["chamber"])
        )
        expect(row).to_have_count(1, timeout=10_000)
        free = _free_block_around(row, slot)
        for _ in range(6):
            if free is not None:
                break
            week.get_by_role("button", name=text["nextWeek"]).click()
            expect(row.locator("button, [role=img]").first).to_be_visible()
            free = _free_block_around(row, slot)
        assert free is not None, f"no free block at {slot} in the week timeline"
        left, top, width, height, start, end = free

        def at(moment: datetime) -> float:
            return left + width * (moment - start) / (end - start)

        middle = top + height / 2
        # From the second half-hour to the end of the two hours: not what the day view picked.
        page.mouse.move(at(slot + timedelta(minutes=40)), middle)
        page.mouse.down()
        page.mouse.move(at(slot + timedelta(minutes=110)), middle, steps=8)
        expect(week.get_by_test_id("week-drag")).to_be_visible()
        page.mouse.up()
        expect(page.get_by_label(text["start"])).to_have_value(
            (slot + timedelta(minutes=30)).strftime(WALL)
        )
        expect(page.get_by_label(text["end"])).to_have_value(
            (slot + timedelta(hours=2)).strftime(WALL)
        )

        page.goto(form_url)
        form = page.get_by_test_id("booking-form")

        # A start in the past and an end before the start: refused before anything is sent.
        past = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0)
        _set_time(page, text["start"], past - timedelta(hours=2))
        page.get_by_role("button", name=text["quote"]).click()
        expect(form.get_by_text(text["past"])).to_be_visible()
        _set_time(page, text["start"], slot)
        _set_time(page, text["end"], slot - timedelta(hours=1))
        page.get_by_role("button", name=text["quote"]).click()
        expect(form.get_by_text(text["endBeforeStart"])).to_be_visible()
        expect(page.get_by_test_id("quote")).to_have_count(0)

        # Self-operated time without an operator authorisation: the quote, then the refusal.
        _fill(page, text, slot)
        _mode(page, text["self"])
        _quote(page, text)
        # The quote already warns, in the words the refusal will use.
        expect(page.get_by_test_id("quote-refusals")).to_contain_text(text["needsAuthorisation"])
        page.get_by_role("button", name=text["book"]).click()
        refusal = form.get_by_role("alert").filter(has_text=text["check"])
        expect(refusal).to_contain_text(text["check"], timeout=10_000)
        expect(refusal).to_contain_text(text["needsAuthorisation"])
        # The app's words, not the server's English sentence.
        expect(refusal).not_to_contain_text("valid operator authorisation")
        _shot(page, "booking-refused-mode", lang)

        # Operated by staff only: self-operated cannot even be chosen, and the form says why.
        _policy(database_conninfo, self_operated_allowed=False)
        page.goto(form_url)
        expect(page.get_by_test_id("mode-note")).to_have_text(text["staffOnly"], timeout=10_000)
        expect(form.locator("label", has_text=text["self"]).locator("input")).to_be_disabled()
        _shot(page, "booking-staff-only", lang)

        # Over the weekly quota (one hour): refused with the quota in words.
        _policy(database_conninfo, self_operated_allowed=True, quota_hours_per_week=1)
        page.goto(form_url)
        _fill(page, text, slot)
        _quote(page, text)
        # The quote states what a voucher may pay.
        expect(page.get_by_test_id("quote-voucher")).to_contain_text(text["voucher"])
        expect(page.get_by_test_id("quote-refusals")).to_contain_text(text["quotaTitle"])
        page.get_by_role("button", name=text["book"]).click()
        refusal = form.get_by_role("alert").filter(has_text=text["quota"]).last
        expect(refusal).to_contain_text(text["quotaTitle"], timeout=10_000)
        expect(refusal).to_contain_text(text["quota"])
        expect(refusal).to_contain_text(re.compile(r"\d+ (分钟|min)"))
        _shot(page, "booking-over-quota", lang)

        # A taken slot: the lab books it first; the buyer is told and joins the waitlist.
        _policy(database_conninfo, quota_hours_per_week=None)
        taken = httpx.post(
            f"{base}/api/v1/bookings",
            json={
                "instrument_id": chamber,
                "start_at": slot.isoformat(),
                "end_at": (slot + timedelta(hours=2)).isoformat(),
            },
            headers=staff,
        )
        assert taken.status_code == 201, taken.text
        page.goto(form_url)
        _fill(page, text, slot)
        _quote(page, text)
        page.get_by_role("button", name=text["book"]).click()
        refusal = form.get_by_role("alert")
        expect(refusal).to_contain_text(text["taken"], timeout=10_000)
        expect(refusal).to_contain_text(f"{text['overlaps']}")
        expect(refusal).to_contain_text(slot.strftime(WALL))
        page.get_by_role("button", name=text["join"]).click()
        expect(page.get_by_test_id("waitlist-joined")).to_contain_text(
            f"{text['joined']}{' ' if lang == 'en' else ''}{slot.strftime(WALL)}",
            timeout=10_000,
        )
        _shot(page, "booking-waitlist-joined", lang)

        # The lab cancels; the slot is offered to the buyer, who accepts it.
        cancelled = httpx.post(f"{base}/api/v1/bookings/{taken.json()['id']}/cancel", headers=staff)
        assert cancelled.status_code == 200, cancelled.text
        page.goto(f"{base}/bookings")
        waitlist = page.get_by_role("region", name=text["waitlist"])
        expect(waitlist).to_contain_text(text["offered"], timeout=10_000)
        _shot(page, "booking-waitlist-offer", lang)
        waitlist.get_by_role("button", name=text["accept"]).click()
        expect(page.get_by_test_id("offer-accepted")).to_contain_text(
            text["accepted"], timeout=10_000
        )

        # Rescheduling the accepted booking to another day.
        mine = page.get_by_role("region", name=text["mine"])
        row = (
            mine.get_by_role("row")
            .filter(has_text=f"{slot:%m-%d}")
            .filter(has_text=f"{slot:%H:%M}–")
            .filter(has=page.get_by_role("button", name=text["reschedule"]))
        )
        expect(row).to_have_count(1, timeout=10_000)
        row.get_by_role("button", name=text["reschedule"]).click()
        dialog = page.get_by_role("dialog")
        _set_time(page, text["start"], later, dialog)
        _set_time(page, text["end"], later + timedelta(hours=1), dialog)
        _shot(page, "booking-reschedule", lang)
        dialog.get_by_role("button", name=text["moveIt"]).click()
        expect(mine.get_by_test_id("rescheduled")).to_contain_text(text["moved"], timeout=10_000)
        _shot(page, "booking-rescheduled", lang)

        # A weekly booking, three times: each occurrence is reported in words.
        page.goto(form_url)
        _fill(page, text, weekly, hours=1)
        page.get_by_label(text["repeat"]).fill("3")
        _quote(page, text)
        page.get_by_role("button", name=text["bookAll"]).click()
        result = page.get_by_test_id("series-result")
        expect(result).to_contain_text(text["series"], timeout=15_000)
        expect(result).to_contain_text(text["seriesOf"])
        expect(result).to_contain_text(text["seriesBooked"])
        outcomes = result.locator(".ant-tag").all_inner_texts()
        assert len(outcomes) == 3, outcomes
        assert not {"booked", "conflict", "unusable", "rejected"} & set(outcomes), outcomes
        _shot(page, "booking-weekly", lang)

    # What the browser did, as the server has it.
    buyer = api_token(base, "buyer@jingce.demo")
    bookings = httpx.get(f"{base}/api/v1/bookings", headers=buyer).json()
    ours = [b for b in bookings if not b["purpose"].startswith("[demo]")]
    moved = [b for b in ours if datetime.fromisoformat(b["start_at"]) == later]
    assert [b["status"] for b in moved] == ["pending"], ours
    gave_way = [b for b in ours if datetime.fromisoformat(b["start_at"]) == slot]
    assert [b["status"] for b in gave_way] == ["cancelled"], ours
    assert len({b["series_id"] for b in ours if b["series_id"]}) == 1
