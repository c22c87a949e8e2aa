"""Screenshots of the rebuilt pages at 1440×900 and 390×844, in Chinese and English, against a
real server with the demo data (``scripts/screenshots.sh`` runs only this file).

Each page is also checked the way a reviewer looks at it: no console errors, no untranslated
message ids, no raw enum values of the API (``staff_operated``, ``enterprise``, ...).
PNGs go to ``$LABSHARE_SCREENSHOTS`` (default ``web/screenshots/``, not committed).
``LABSHARE_SHOTS=credit,complaints`` takes only the shots whose names start so (the rest of
the walk still runs, unphotographed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.harness.browser import (
    REPO,
    Process,
    api_token,
    certified_demo_server,
    chromium,
    console_errors,
    log_in,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# Pages holding a server-sent event stream open (never "network idle").
LIVE_PAGES = {"board", "instrument"}
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}
RAW_VALUES = re.compile(
    r"\b(staff_operated|self_operated|enterprise_member|enterprise_admin|lab_staff|lab_manager|"
    r"platform_admin|checked_in|no_show|due_soon|out_of_service|not_required|late_cancellation)\b"
    r"|状态 \d"
)
# A message id shown instead of its text: "calendar.freeHours", "form.mode.self_operated", ...
MESSAGE_ID = re.compile(r"\b(?:[a-z]+\.){1,3}[a-z][A-Za-z_]+\b")


def _wanted(name: str) -> bool:
    only = [p for p in os.environ.get("LABSHARE_SHOTS", "").split(",") if p]
    return not only or any(name.startswith(p) for p in only)


def _out_dir() -> Path:
    path = Path(os.environ.get("LABSHARE_SCREENSHOTS", REPO / "web" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_text(page: Page, name: str) -> None:
    text = page.locator("body").inner_text()
    raw = RAW_VALUES.search(text)
    assert raw is None, f"{name}: raw API value {raw.group(0)!r} on the page"
    ids = [m for m in MESSAGE_ID.findall(text) if "@" not in m and not m.endswith(".demo")]
    assert not ids, f"{name}: untranslated message ids {ids[:5]}"


def _walk(
    chamber: object, lab: object, institution: object, used_booking: object
) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(login, [(screenshot name, path, CSS selector that shows the page is drawn)]) per role."""
    return [
        (
            "buyer@jingce.demo",  # an enterprise's administrator
            [
                (
                    "instrument-public",
                    f"/catalogue/instruments/{chamber}",
                    "[data-testid=public-instrument]",
                ),
                ("statements", "/statements", "[data-testid=statements]"),
                ("invitations", "/invitations", "[data-testid=members]"),
                ("booking-session", f"/bookings/{used_booking}", "[data-testid=session-data]"),
                ("bookings-week", "/bookings?view=week", "[data-testid=week-row]"),
                (
                    "notification-preferences",
                    "/notifications/preferences",
                    "[data-testid=email-preference]",
                ),
            ],
        ),
        (
            "manager@zjim.demo",  # a lab manager
            [
                ("board", f"/board/{lab}", "[data-testid=board-tile]"),
                ("instrument", f"/instruments/{chamber}", "[data-testid=registry-panel]"),
                ("manage-instrument", f"/instruments/{chamber}/manage", "[data-testid=check-form]"),
                ("instrument-new", "/instruments/new", "[data-testid=record-form]"),
                ("instrument-edit", f"/instruments/{chamber}/edit", "[data-testid=audit-history]"),
                ("instrument-import", "/instruments/import", "[data-testid=instrument-import]"),
                ("members", "/invitations", "[data-testid=members]"),
                ("approvals", "/bookings", "[data-testid=approvals]"),
                ("today", "/today", "[data-testid=day-instrument]"),
                ("gateways", "/gateways", "h1"),
                ("inspection", "/inspection", "h1"),
                ("credit-own", "/credit", "[data-testid=credit-basis]"),
            ],
        ),
        (
            "admin@platform.demo",  # the platform (the province's sharing platform)
            [
                ("evaluation", "/evaluation", "[data-testid=evaluation-metrics]"),
                ("registrations", "/registrations", "[data-testid=registrations]"),
                ("complaints", "/complaints", "h1"),
                ("proficiency", "/proficiency", "h1"),
                ("credit-list", "/credit", "[data-testid=credit-institutions]"),
                (
                    "credit-record",
                    f"/credit?institution={institution}",
                    "[data-testid=finding-form]",
                ),
                ("credit-rules", "/credit?tab=rules", "[data-testid=rules-rule]"),
            ],
        ),
    ]


@pytest.mark.timeout(600)  # 28 pages x 2 languages x 2 screen sizes
def test_screenshots_of_the_rebuilt_pages(
    database_url: str,
    database_conninfo: str,
    processes: list[Process],
    workdir: Path,
    server_port: int,
) -> None:
    base, chamber = certified_demo_server(
        database_url, database_conninfo, processes, workdir, server_port, "SHOT-1", "--catalogue"
    )
    out = _out_dir()
    taken: list[Path] = []
    # The demo's completed booking, whose session page shows its data and certificate.
    [used_booking] = [
        b["id"]
        for b in httpx.get(
            f"{base}/api/v1/bookings",
            params={"status": "completed", "instrument_id": chamber.id},
            headers=api_token(base, "buyer@jingce.demo"),
        ).json()
    ]

    with chromium() as browser:
        for viewport, (width, height) in VIEWPORTS.items():
            for lang in ("zh-CN", "en"):
                context = browser.new_context(viewport={"width": width, "height": height})
                context.add_init_script(f"window.localStorage.setItem('labshare.locale', '{lang}')")
                page = context.new_page()
                errors = console_errors(page)

                def shot(
                    name: str, page: Page = page, lang: str = lang, vp: str = viewport
                ) -> None:
                    if not _wanted(name):
                        return
                    if name in LIVE_PAGES:
                        # A live stream keeps the network busy: let the first frames draw.
                        page.wait_for_timeout(2_000)
                    else:
                        page.wait_for_load_state("networkidle")
                    _check_text(page, f"{name} ({lang}, {vp})")
                    # Nothing sticks out sideways: wide tables scroll inside their card.
                    wide, seen = page.evaluate(
                        "[document.documentElement.scrollWidth,"
                        " document.documentElement.clientWidth]"
                    )
                    assert wide <= seen, f"{name} ({lang}, {vp}): page {wide}px wide in {seen}"
                    # A full-page shot draws the sticky header where the viewport was.
                    page.evaluate("window.scrollTo(0, 0)")
                    path = out / f"{name}-{lang}-{vp}.png"
                    page.screenshot(path=str(path), full_page=True)
                    taken.append(path)

                page.goto(f"{base}/login")
                expect(page.locator("input[type=email]")).to_be_visible()
                shot("login")

                page.goto(f"{base}/catalogue")
                expect(page.get_by_test_id("catalogue-item").first).to_be_visible(timeout=10_000)
                shot("catalogue-visitor")

                log_in(page, base, "buyer@jingce.demo")
                page.goto(f"{base}/bookings")
                grid = page.get_by_test_id("availability-grid")
                grid.locator(
                    "tr", has_text=re.compile("高低温试验箱|Temperature chamber")
                ).get_by_role("button", name=re.compile("小时可约|h free")).first.click()
                page.get_by_test_id("slot-picker").get_by_role("button").first.click()
                page.get_by_role("button", name=re.compile("查看费用|Get the fee quote")).click()
                expect(page.get_by_test_id("quote-total")).to_contain_text("¥", timeout=10_000)
                shot("bookings")

                cancel = page.get_by_test_id("my-bookings").get_by_role(
                    "button", name=re.compile("^(取消|Cancel)$")
                )
                if cancel.count() and _wanted("cancel-confirm"):
                    cancel.first.click()
                    expect(page.get_by_test_id("cancel-terms")).not_to_contain_text(
                        re.compile("正在查询|Checking"), timeout=10_000
                    )
                    page.screenshot(path=str(out / f"cancel-confirm-{lang}-{viewport}.png"))
                    taken.append(out / f"cancel-confirm-{lang}-{viewport}.png")
                    page.keyboard.press("Escape")

                page.goto(f"{base}/catalogue")
                expect(page.get_by_test_id("catalogue-item").first).to_be_visible(timeout=10_000)
                shot("catalogue-member")

                # Every other page, as the role that works on it; the same checks on each.
                for email, pages in _walk(
                    chamber.id, chamber.lab_id, chamber.organisation_id, used_booking
                ):
                    context.clear_cookies()
                    page.evaluate("window.localStorage.removeItem('labshare.token')")
                    log_in(page, base, email)
                    for name, path, ready in pages:
                        if not _wanted(name):
                            continue
                        page.goto(f"{base}{path}")
                        expect(page.locator(ready).first).to_be_visible(timeout=15_000)
                        shot(name)
                assert not errors, f"console errors ({lang}, {viewport}): {errors}"
                context.close()
    assert all(p.stat().st_size > 10_000 for p in taken), taken
    print("\n".join(str(p) for p in taken))
