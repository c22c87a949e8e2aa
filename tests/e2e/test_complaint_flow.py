"""A complaint in Chromium, on the server-rendered public pages (no JavaScript needed):
a visitor files anonymously with an attachment, keeps the tracking number and follows the
complaint while the institution answers and the platform decides it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.harness.browser import (
    CHROMIUM_FLAGS,
    VENV_BIN,
    Process,
    seed_demo,
    server_env,
    spawn,
    wait_http_ok,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _token(base: str, email: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": email, "password": "labshare-demo"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_anonymous_complaint_filed_and_followed_in_the_browser(
    database_url: str, processes: list[Process], workdir: Path, server_port: int
) -> None:
    env = server_env(database_url)
    seed_demo(env, "--catalogue")
    server = spawn(
        processes,
        workdir,
        "server",
        [str(VENV_BIN / "labshare-server"), "serve", "--port", str(server_port)],
        env,
    )
    base = f"http://127.0.0.1:{server_port}"
    wait_http_ok(f"{base}/healthz", server)
    evidence = workdir / "收费单据.pdf"
    evidence.write_bytes(PDF)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{base}/public/institutions")
            expect(page).to_have_title("检验检测机构 · Testing institutions · labshare")
            page.get_by_role("link", name="浙江省计量科学研究院").click()
            expect(page.locator("h1")).to_contain_text("浙江省计量科学研究院")
            page.get_by_role(
                "link", name="投诉举报该机构 / File a complaint about this institution"
            ).click()
            page.select_option("select[name=subject_kind]", "institution")
            page.fill("input[name=summary]", "收费高于公示价格")
            page.fill("textarea[name=details]", "代为操作按每小时 900 元收费，高于公示价格。")
            page.set_input_files("input[name=attachments]", str(evidence))
            page.get_by_role("button", name="提交 / Submit").click()
            number = page.locator("#tracking-number").inner_text()
            assert number.startswith("TS")

            page.get_by_role("link", name="查询进度 / Follow the status").click()
            expect(page.locator("#complaint-status")).to_have_text(
                "等待机构答复 / awaiting the institution's answer"
            )

            manager = _token(base, "manager@zjim.demo")
            mine = httpx.get(f"{base}/api/v1/complaints", headers=manager).json()
            filed = next(c for c in mine if c["tracking_number"] == number)
            assert filed["complainant"] is None
            assert filed["attachments"][0]["content_type"] == "application/pdf"
            answered = httpx.post(
                f"{base}/api/v1/complaints/{filed['id']}/response",
                json={"response": "已核对，系费率配置错误，差额已退还。"},
                headers=manager,
            )
            assert answered.status_code == 200, answered.text
            decided = httpx.post(
                f"{base}/api/v1/complaints/{filed['id']}/decision",
                json={"outcome": "upheld", "reason": "多收费用属实。"},
                headers=_token(base, "admin@platform.demo"),
            )
            assert decided.status_code == 200, decided.text

            page.reload()
            expect(page.locator("#complaint-status")).to_have_text("已办结 / closed")
            expect(page.get_by_text("处理结论 / Decision: 多收费用属实。")).to_be_visible()
        finally:
            browser.close()
