"""A lab manager registers a gateway in Chromium, in Chinese and in English, on a desktop and a
phone screen: the secret is shown once with a copy button, the configuration file downloads
ready for the edge agent (without the secret), and rotating the secret shows the new one once.

The server runs with ``LABSHARE_BROKER_ACCOUNTS=dynsec`` against a real Mosquitto 2 with the
production configuration: nobody runs ``mosquitto-auth``, yet the gateway connects with the
secret the browser showed, and after the rotation the old secret is refused.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import Browser, Page, expect

from mqtt_contract.gateway_config import parse_config_text
from mqtt_contract.v1 import TopicKind, topic_for
from server.gateways.mosquitto import gateway_client_id
from tests.gateways.dynsec import start_dynsec_broker
from tests.harness.browser import (
    REPO,
    Process,
    chromium,
    console_errors,
    log_in,
    seed_demo,
    serve,
    server_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}
# What the lab manager reads, per language.
WORDS = {
    "zh-CN": {
        "title": "网关",
        "register": "登记网关",
        "created": "网关已登记",
        "once": "密钥只显示这一次",
        "broker": "消息服务器已同步",
        "copied": "已复制",
        "never": "未连接过",
        "manage": "管理",
        "security": "密钥与退役",
        "rotate": "更换密钥",
        "rotated": "新密钥已生成",
        "old": "旧密钥已失效",
        "channels": "通道映射",
        "config": "配置",
        "find": "在列表中查找",
        "column": "网关",
        "export": "导出 CSV",
    },
    "en": {
        "title": "Gateways",
        "register": "Register gateway",
        "created": "Gateway registered",
        "once": "The secret is shown this once",
        "broker": "The broker already accepts this secret",
        "copied": "Copied",
        "never": "Never connected",
        "manage": "Manage",
        "security": "Secret & retirement",
        "rotate": "Rotate secret",
        "rotated": "New secret issued",
        "old": "The old secret no longer works",
        "channels": "Channels",
        "config": "Configuration",
        "find": "Find in this list",
        "column": "Gateway",
        "export": "Export CSV",
    },
}


def _connack(host: str, port: int, key: str, secret: str) -> int:
    """The CONNACK reason code the broker gives the gateway's edge agent for this secret."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=gateway_client_id(key), protocol=paho.MQTTv5
    )
    client.username_pw_set(key, secret)
    codes: list[int] = []
    client.on_connect = lambda _c, _u, _f, reason, _p: codes.append(int(reason.value))
    client.connect(host, port)
    client.loop_start()
    try:
        deadline = time.monotonic() + 10
        while not codes:
            assert time.monotonic() < deadline, "no CONNACK"
            time.sleep(0.05)
        if codes[0] == 0:
            info = client.publish(topic_for(key, TopicKind.HEARTBEAT), b"{}", qos=1)
            info.wait_for_publish(5)
            assert info.is_published()
        return codes[0]
    finally:
        client.disconnect()
        client.loop_stop()


def _shot(page: Page, name: str) -> None:
    out = Path(os.environ.get("LABSHARE_SCREENSHOTS", REPO / "web" / "screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # let Ant Design's open/close animations finish
    page.screenshot(path=str(out / f"gateways-{name}.png"), full_page=True)


def _journey(
    browser: Browser, base: str, broker: tuple[str, int], lang: str, viewport: str
) -> None:
    words = WORDS[lang]
    key = f"gw-{lang.lower()[:2]}-{viewport}"
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        permissions=["clipboard-read", "clipboard-write"],
        accept_downloads=True,
    )
    context.add_init_script(f"window.localStorage.setItem('labshare.locale', '{lang}')")
    page = context.new_page()
    # A gateway without a stored configuration answers 404, which the page shows as "none
    # pushed yet"; the browser still logs the response.
    errors = console_errors(page, allow=("status of 404",))

    try:
        log_in(page, base, "manager@zjim.demo")
        page.goto(f"{base}/gateways")
        expect(page.get_by_role("heading", level=1, name=words["title"])).to_be_visible()
        expect(page.get_by_test_id("gateway-row").filter(has_text="demo-gw-01")).to_be_visible()
        _shot(page, f"list-{lang}-{viewport}")

        page.get_by_test_id("gateway-register").click()
        page.locator("#gateway-key").fill(key)
        page.locator("#gateway-name").fill(f"{words['title']} {viewport}")
        page.locator("#gateway-register-submit").click()

        modal = page.get_by_test_id("secret-modal")
        expect(modal).to_contain_text(words["once"])
        expect(page.get_by_role("dialog", name=re.compile(words["created"]))).to_be_visible()
        expect(page.get_by_test_id("secret-broker")).to_contain_text(words["broker"])
        secret = page.get_by_test_id("gateway-secret").input_value()
        assert len(secret) >= 20
        _shot(page, f"secret-{lang}-{viewport}")

        page.get_by_test_id("secret-copy").click()
        expect(page.get_by_text(words["copied"])).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == secret

        with page.expect_download() as download:
            page.get_by_test_id("secret-download").click()
        assert download.value.suggested_filename == f"{key}.yaml"
        saved = Path(download.value.path()).read_bytes()
        config = parse_config_text(saved)
        assert config.gateway.key == key
        assert config.mqtt.username == key
        assert (config.mqtt.host, config.mqtt.port) == broker
        assert secret.encode() not in saved

        # The broker already knows the account: nobody ran mosquitto-auth.
        assert _connack(*broker, key, secret) == 0

        page.get_by_test_id("secret-done").click()
        expect(page.get_by_test_id("gateway-secret")).to_have_count(0)
        row = page.get_by_test_id("gateway-row").filter(has_text=key)
        expect(row.get_by_test_id("gateway-status")).to_have_text(words["never"])

        row.get_by_test_id("gateway-manage").click()
        drawer = page.get_by_test_id("gateway-drawer")
        drawer.get_by_role("tab", name=words["security"]).click()
        drawer.get_by_test_id("gateway-rotate").click()
        page.locator(".ant-popconfirm").get_by_role("button", name=words["rotate"]).click()

        expect(page.get_by_role("dialog", name=re.compile(words["rotated"]))).to_be_visible()
        expect(page.get_by_test_id("secret-broker")).to_contain_text(words["old"])
        renewed = page.get_by_test_id("gateway-secret").input_value()
        assert renewed != secret
        _shot(page, f"rotated-{lang}-{viewport}")
        assert _connack(*broker, key, secret) != 0
        assert _connack(*broker, key, renewed) == 0
        page.get_by_test_id("secret-done").click()
        expect(page.get_by_test_id("gateway-secret")).to_have_count(0)

        # The demo gateway's channel mapping, for the reviewer's eye.
        drawer.locator(".ant-drawer-close").click()
        expect(drawer).to_be_hidden()

        # The list finds a gateway by what it shows and exports the rows shown, for Excel.
        tools = page.get_by_test_id("list-tools")
        tools.get_by_label(words["find"]).fill(key)
        expect(page.get_by_test_id("gateway-row")).to_have_count(1)
        with page.expect_download() as exported:
            tools.get_by_role("button", name=re.compile(words["export"])).click()
        assert exported.value.suggested_filename == "labshare-gateways.csv"
        table = Path(exported.value.path()).read_bytes().decode("utf-8")
        assert table.startswith("\ufeff")  # Excel reads the Chinese headings as UTF-8
        heading, *rows = table.strip().split("\r\n")
        assert heading.startswith(f'\ufeff"{words["column"]}"')
        assert len(rows) == 1, rows
        assert key in rows[0]
        assert words["never"] in rows[0]
        tools.get_by_label(words["find"]).fill("")
        page.get_by_test_id("gateway-row").filter(has_text="demo-gw-01").get_by_test_id(
            "gateway-manage"
        ).click()
        page.get_by_test_id("gateway-drawer").get_by_role("tab", name=words["channels"]).click()
        expect(page.get_by_test_id("gateway-channels")).to_contain_text("chamber-1/temperature")
        _shot(page, f"channels-{lang}-{viewport}")
        page.get_by_test_id("gateway-drawer").get_by_role("tab", name=words["config"]).click()
        expect(page.get_by_test_id("gateway-config")).to_be_visible()
        _shot(page, f"config-{lang}-{viewport}")
        assert not errors, f"console errors ({lang}, {viewport}): {errors}"
    finally:
        context.close()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_register_copy_download_and_rotate(
    lang: str,
    database_url: str,
    processes: list[Process],
    workdir: Path,
    server_port: int,
    tmp_path: Path,
) -> None:
    # The machine may be busy: give each request its time before an expectation fails.
    expect.set_options(timeout=15_000)
    (tmp_path / "broker").mkdir()
    broker = start_dynsec_broker(tmp_path / "broker")
    try:
        env = {
            **server_env(database_url),
            **broker.server_env(),
        }
        seed_demo(env)
        base = serve(processes, workdir, server_port, env)
        with chromium() as browser:
            for viewport in VIEWPORTS:
                _journey(browser, base, (broker.host, broker.port), lang, viewport)
    finally:
        broker.stop()
