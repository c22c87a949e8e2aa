"""A new instrument, from registration to bookable and streaming, in Chromium alone.

The lab manager of the metrology institute (Chinese screens, a desktop) registers a new
scanning electron microscope, gives it weekday opening hours and a cost model so its fee is
published, and records its valid calibration certificate on its manage page. She then registers
a gateway for it: the secret is shown once and the configuration file downloads. On the
gateway she maps one channel (device ``sem-1``, point ``stage_temperature``, in °C) to the
microscope, and pushes the gateway's device list from the gateway's configuration tab. The
installer starts the edge agent on the downloaded file with the secret the browser showed; the
microscope's controller (a Modbus register bank) holds 25.3 °C in tenths of a degree, and the
manager sees 25.3 °C on the microscope's page, which follows the next value without a reload.
Finally a buyer of an enterprise finds the
microscope in the catalogue with its published fee, picks a free slot, gets the quote and books
it: the booking has a reference number.

Real parts only: PostgreSQL, Mosquitto 2 with dynamic security (the server provisions the
gateway's account), the server with its ingest worker, the edge agent, a pymodbus register bank
and headless Chromium. The manager's inputs, clicks and wall time are printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from mqtt_contract.gateway_config import parse_config_text
from server.demo.journey import (
    SEM_CONTACT,
    SEM_COST_MODEL,
    SEM_DEVICE_KEY,
    SEM_ENTERPRISE_FEE,
    SEM_INSTRUMENT,
    SEM_OPENING_HOURS,
    SEM_POINT,
    SEM_RECORD,
)
from tests.gateways.dynsec import start_dynsec_broker
from tests.harness.browser import (
    VENV_BIN,
    Process,
    api_token,
    chromium,
    console_errors,
    log_in,
    pick_date,
    seed_demo,
    serve,
    server_env,
    start_register_bank,
    write_registers,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SHANGHAI = ZoneInfo("Asia/Shanghai")
MANAGER = "manager@zjim.demo"
BUYER = "buyer@jingce.demo"  # 杭州精测科技有限公司, an enterprise
# The values the demo's own microscope is set up with (server/demo/journey.py).
NAME = SEM_INSTRUMENT["name"]
NAME_EN = SEM_INSTRUMENT["name_en"]
CERTIFICATE = "ZJIM-SEM-2026-001"
GATEWAY = "sem-gw-01"
DEVICE, POINT = SEM_DEVICE_KEY, SEM_POINT
# The controller keeps the stage temperature in tenths of a degree Celsius.
TEMPERATURE_REGISTER, RAW_TEMPERATURE = 0, 253
EXPECTED = re.compile(r"^25\.30*\s*°C$")
PASSWORD_ENV = "LABSHARE_EDGE_MQTT_PASSWORD"  # the variable the downloaded file names
# A gateway without a stored configuration answers 404, which the drawer shows as "none
# pushed yet"; the browser still logs the response.
ALLOWED_CONSOLE = ("status of 404",)


class Hands:
    """What the manager does with the keyboard and the mouse, counted."""

    def __init__(self) -> None:
        self.inputs = 0
        self.clicks = 0

    def fill(self, field: Locator, value: str) -> None:
        field.fill(value)
        self.inputs += 1

    def pick(self, field: Locator, value: str) -> None:
        """A date typed into a date picker and confirmed with Enter: one input."""
        pick_date(field, value)
        self.inputs += 1

    def click(self, target: Locator) -> None:
        target.click()
        self.clicks += 1


def _go_to(page: Page, hands: Hands, label: str) -> None:
    """Through the header's menu; at 1440 px its last entries fold under "…"."""
    link = page.locator(".app-nav").get_by_role("link", name=label, exact=True)
    if link.is_visible():
        hands.click(link)
        return
    hands.click(page.locator(".app-nav .ant-menu-overflow-item-rest"))
    link = page.locator(".ant-menu-submenu-popup").get_by_role("link", name=label, exact=True)
    expect(link).to_be_visible()
    # The pop-up keeps sliding while a busy machine re-lays out the header, which a pointer
    # click waits out for good; the click event itself is what the link acts on.
    link.dispatch_event("click")
    hands.clicks += 1


def _register_instrument(page: Page, hands: Hands) -> str:
    """Step 1: the record, weekday opening hours and the published fee; the instrument's id."""
    hands.click(page.get_by_test_id("register-instrument"))
    expect(page.get_by_role("heading", name="登记仪器")).to_be_visible()
    form = page.get_by_test_id("record-form")
    for label, value in (
        ("仪器名称", NAME),
        ("英文名称", NAME_EN),
        ("型号", SEM_INSTRUMENT["model"]),
        ("生产厂商", SEM_INSTRUMENT["manufacturer"]),
        ("放置地点", SEM_INSTRUMENT["location"]),
        ("仪器类别", SEM_RECORD["category"]),
        ("原值（元）", SEM_RECORD["original_value"]),
        ("负责人", SEM_CONTACT[0]),
        ("联系电话", SEM_CONTACT[1]),
    ):
        hands.fill(form.get_by_label(label), value)
    hands.click(form.get_by_role("button", name=re.compile(r"^登\s?记$")))
    page.wait_for_url(re.compile(r"/instruments/[0-9a-f-]{36}/edit$"))
    instrument_id = page.url.rstrip("/").split("/")[-2]
    expect(page.get_by_test_id("instrument-edit")).to_contain_text(NAME)

    # Weekdays 08:30–12:00 and 13:30–17:00, Beijing time.
    hours = page.get_by_test_id("hours-editor")
    hands.click(hours.get_by_role("button", name="周一 添加时段"))
    hands.fill(hours.get_by_label("周一 结束 1"), "12:00")
    hands.click(hours.get_by_role("button", name="周一 添加时段"))
    hands.fill(hours.get_by_label("周一 开始 2"), "13:30")
    hands.fill(hours.get_by_label("周一 结束 2"), "17:00")
    hands.click(hours.get_by_role("button", name="按周一设置工作日"))
    hands.click(hours.get_by_role("button", name="保存开放时间"))
    expect(page.get_by_text("已保存").first).to_be_visible()

    # 20 consumables + 160,000 / 1,600 h depreciation = 120.00/h; enterprises pay 1.2×.
    cost = page.get_by_test_id("cost-form")
    hands.fill(cost.get_by_label("耗材（元/小时）"), SEM_COST_MODEL["consumables_per_hour"])
    hands.fill(cost.get_by_label("年折旧额（元）"), SEM_COST_MODEL["annual_depreciation"])
    hands.fill(cost.get_by_label("企业用户"), SEM_COST_MODEL["factors"]["enterprise"])
    hands.click(cost.get_by_role("button", name="保存并公开收费"))
    fees = page.get_by_test_id("published-fees")
    expect(fees.get_by_test_id("fee-enterprise")).to_contain_text(f"{SEM_ENTERPRISE_FEE} 元/小时")
    return instrument_id


def _record_certificate(page: Page, hands: Hands, instrument_id: str) -> None:
    """Step 2: from the editor to the instrument page to its manage page, a valid certificate."""
    hands.click(page.get_by_test_id("instrument-edit").locator("a.back-link"))
    page.wait_for_url(re.compile(rf"/instruments/{instrument_id}$"))
    hands.click(page.get_by_role("link", name="仪器管理"))
    page.wait_for_url(re.compile(rf"/instruments/{instrument_id}/manage$"))
    expect(page.get_by_role("heading", name="仪器管理")).to_be_visible()

    now = datetime.now(SHANGHAI)
    granted = now - timedelta(days=10)
    form = page.get_by_test_id("certificate-form")
    hands.fill(form.get_by_label("证书编号"), CERTIFICATE)
    hands.fill(form.get_by_label("校准机构"), "浙江省计量科学研究院")
    hands.pick(form.get_by_label("发证日期"), granted.strftime("%Y-%m-%d"))
    hands.pick(form.get_by_label("有效期起"), granted.strftime("%Y-%m-%d 09:00"))
    hands.pick(
        form.get_by_label("有效期止"), (granted + timedelta(days=365)).strftime("%Y-%m-%d 09:00")
    )
    hands.click(form.get_by_role("button", name="添加"))
    expect(page.get_by_test_id("certificates")).to_contain_text(CERTIFICATE)
    expect(page.locator(".detail-head")).to_contain_text("校准有效")


def _register_gateway(page: Page, hands: Hands, broker: tuple[str, int]) -> tuple[str, Path]:
    """Step 3a: a new gateway; the secret shown once and the configuration file downloaded."""
    _go_to(page, hands, "网关")
    expect(page.get_by_role("heading", level=1, name="网关")).to_be_visible()
    hands.click(page.get_by_test_id("gateway-register"))
    hands.fill(page.locator("#gateway-key"), GATEWAY)
    hands.fill(page.locator("#gateway-name"), "材料实验室电镜网关")
    hands.click(page.locator("#gateway-register-submit"))

    modal = page.get_by_test_id("secret-modal")
    expect(modal).to_contain_text("密钥只显示这一次")
    expect(page.get_by_test_id("secret-broker")).to_contain_text("消息服务器已同步")
    secret = page.get_by_test_id("gateway-secret").input_value()
    assert len(secret) >= 20
    with page.expect_download() as download:
        hands.click(page.get_by_test_id("secret-download"))
    assert download.value.suggested_filename == f"{GATEWAY}.yaml"
    saved = Path(download.value.path())
    config = parse_config_text(saved.read_bytes())
    assert (config.gateway.key, config.mqtt.username) == (GATEWAY, GATEWAY)
    assert (config.mqtt.host, config.mqtt.port) == broker
    assert config.mqtt.password_env == PASSWORD_ENV
    assert secret.encode() not in saved.read_bytes()
    hands.click(page.get_by_test_id("secret-done"))
    expect(page.get_by_test_id("gateway-secret")).to_have_count(0)
    return secret, saved


def _map_channel(page: Page, hands: Hands) -> Locator:
    """Step 3b: in the gateway's drawer, one channel to the new instrument; the drawer."""
    row = page.get_by_test_id("gateway-row").filter(has_text=GATEWAY)
    expect(row.get_by_test_id("gateway-status")).to_have_text("未连接过")
    hands.click(row.get_by_test_id("gateway-manage"))
    drawer = page.get_by_test_id("gateway-drawer")
    hands.click(drawer.get_by_role("tab", name="通道映射"))
    expect(drawer.get_by_test_id("gateway-channels")).to_contain_text("尚无通道")

    picker = drawer.get_by_role("combobox", name="仪器")
    hands.click(picker)
    hands.fill(picker, "扫描电子")
    hands.click(page.locator(".ant-select-item-option").filter(has_text=NAME))
    hands.fill(drawer.get_by_label("设备标识"), DEVICE)
    hands.fill(drawer.get_by_label("测点标识"), POINT)
    hands.fill(drawer.get_by_label("指标名称"), "样品台温度")
    hands.fill(drawer.get_by_label("英文名称（可选）"), "Stage temperature")
    hands.fill(drawer.get_by_label("单位", exact=True), "degC")
    hands.click(drawer.get_by_role("button", name="添加通道"))
    channels = drawer.get_by_test_id("gateway-channels")
    expect(channels).to_contain_text(f"{DEVICE}/{POINT}")
    expect(channels).to_contain_text(NAME)
    expect(channels).to_contain_text("°C")
    return drawer


def _devices(modbus_port: int) -> str:
    """The devices section the manager types: the microscope's controller on Modbus TCP."""
    return f"""devices:
  - key: {DEVICE}
    protocol: modbus_tcp
    host: 127.0.0.1
    port: {modbus_port}
    device_id: 1
    poll_interval_s: 0.5
    points:
      - key: {POINT}
        register: holding
        address: {TEMPERATURE_REGISTER}
        type: int16
        scale: 0.1
        source_unit: degC
        unit: degC
"""


def _push_devices(page: Page, hands: Hands, drawer: Locator, modbus_port: int) -> None:
    """Step 4a: the configuration tab: the initial file plus the device, saved and pushed."""
    hands.click(drawer.get_by_role("tab", name="配置"))
    hands.click(drawer.get_by_role("button", name="填入初始配置"))
    text = drawer.get_by_test_id("gateway-config")
    expect(text).to_have_value(re.compile(rf"key: {GATEWAY}"))
    starter = text.input_value()
    assert "devices: []" in starter
    hands.fill(text, starter.replace("devices: []\n", _devices(modbus_port)))
    hands.click(drawer.get_by_role("button", name="保存并下发配置"))
    expect(page.get_by_text("配置已下发")).to_be_visible()
    # The agent applies it and says so; the tab follows without being reopened.
    expect(drawer.get_by_text("网关正在运行此配置")).to_be_visible(timeout=30_000)


def _start_agent(processes: list[Process], workdir: Path, config: Path, secret: str) -> Process:
    """``labshare-edge run`` on the downloaded file, in the installer's directory, with the
    secret the browser showed in the variable the file names."""
    installed = workdir / "gateway"
    installed.mkdir()
    path = installed / config.name
    path.write_bytes(config.read_bytes())
    log = workdir / "edge.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "labshare-edge"), "run", str(path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, PASSWORD_ENV: secret},
            cwd=installed,  # the file's spool path is relative: ./spool.sqlite3
            start_new_session=True,
        )
    agent = Process("edge", proc, log)
    processes.append(agent)
    return agent


def _book_as_enterprise(page: Page, base: str) -> str:
    """Step 5: the buyer finds the microscope, sees its fee, picks a slot and books; the reference."""
    page.goto(f"{base}/catalogue")
    page.get_by_role("searchbox").first.fill(NAME)
    hit = page.get_by_test_id("catalogue-item").filter(has_text=NAME)
    expect(hit).to_be_visible()
    # Its name leads an enterprise user to the page with fees, hours and free slots.
    hit.locator("a.catalogue-name").click()
    expect(page.get_by_test_id("public-instrument")).to_be_visible()
    expect(page.get_by_test_id("fee-enterprise-staff_operated")).to_contain_text("¥144.00/小时")
    expect(page.get_by_test_id("public-hours")).to_contain_text("13:30")
    expect(page.get_by_text(CERTIFICATE)).to_have_count(0)  # its number is not public
    slots = page.get_by_test_id("public-slots").get_by_role("link", name="选此时段预约")
    expect(slots.first).to_be_visible()
    # A slot that starts well in the future (the first may be under way today).
    slots.nth(min(2, slots.count() - 1)).click()
    page.wait_for_url(re.compile(r"/bookings\?instrument="))
    form = page.get_by_test_id("booking-form")
    expect(form).to_contain_text(NAME)
    form.get_by_label("样品数量").fill("2")
    form.get_by_role("button", name="查看费用").click()
    total = page.get_by_test_id("quote-total")
    expect(total).to_contain_text("¥")
    assert Decimal(total.inner_text().strip().lstrip("¥").replace(",", "")) > 0
    # The enterprise's rate is the fee the manager published.
    expect(page.get_by_test_id("quote-hourly-fee").first).to_contain_text("144.00")
    page.get_by_role("button", name="提交预约").click()
    booked = page.get_by_test_id("booked")
    expect(booked).to_contain_text(re.compile(r"预约编号：\w+"))
    return booked.inner_text()


@pytest.mark.timeout(300)
def test_a_manager_takes_a_new_instrument_to_bookable_and_streaming(
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
            "LABSHARE_INGEST_ENABLED": "true",
        }
        seed_demo(env)
        base = serve(processes, workdir, server_port, env, ready="/readyz")
        # The microscope's controller, already holding its stage temperature.
        _, modbus_port = start_register_bank(processes, workdir, env)
        write_registers(modbus_port, {TEMPERATURE_REGISTER: RAW_TEMPERATURE})

        hands = Hands()
        with chromium() as browser:
            context = browser.new_context(
                viewport={"width": 1440, "height": 900}, accept_downloads=True
            )
            page = context.new_page()
            errors = console_errors(page, allow=ALLOWED_CONSOLE)
            log_in(page, base, MANAGER)

            started = time.monotonic()
            instrument_id = _register_instrument(page, hands)
            _record_certificate(page, hands, instrument_id)
            secret, config = _register_gateway(page, hands, (broker.host, broker.port))
            drawer = _map_channel(page, hands)
            agent = _start_agent(processes, workdir, config, secret)
            _push_devices(page, hands, drawer, modbus_port)
            hands.click(drawer.locator(".ant-drawer-close"))
            page.goto(f"{base}/instruments/{instrument_id}")
            value = page.get_by_test_id(f"latest-{DEVICE}.{POINT}").get_by_test_id("value")
            try:
                expect(value).to_have_text(EXPECTED, timeout=30_000)
            except AssertionError as exc:
                logs = "\n".join(p.tail() for p in processes)
                raise AssertionError(f"{exc}\n{logs}") from exc
            elapsed = time.monotonic() - started

            # Streaming, not a snapshot: the controller's next value arrives without a reload.
            write_registers(modbus_port, {TEMPERATURE_REGISTER: 261})
            expect(value).to_have_text(re.compile(r"^26\.10*\s*°C$"))
            assert agent.proc.poll() is None, agent.tail()

            note = (
                f"manager: {hands.inputs} inputs, {hands.clicks} clicks, "
                f"{elapsed:.1f} s wall time in Chromium"
            )
            print(f"\n{note}")

            _go_to(page, Hands(), "网关")
            row = page.get_by_test_id("gateway-row").filter(has_text=GATEWAY)
            expect(row.get_by_test_id("gateway-status")).to_have_text("在线")
            assert not errors, f"console errors ({note}): {errors}"

            buyer = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            buyer_errors = console_errors(buyer, allow=ALLOWED_CONSOLE)
            log_in(buyer, base, BUYER)
            booked = _book_as_enterprise(buyer, base)
            print(f"enterprise: {booked}")
            assert not buyer_errors, f"console errors (enterprise): {buyer_errors}"

        # What the server now holds: the booking on the new instrument, by the enterprise.
        headers = api_token(base, BUYER)
        bookings = httpx.get(f"{base}/api/v1/bookings", headers=headers).json()
        mine = [b for b in bookings if b["instrument_id"] == instrument_id]
        assert len(mine) == 1, mine
        assert mine[0]["mode"] == "staff_operated"
        # The instrument the browser set up is the one the demo sets up the same way.
        manager = api_token(base, MANAGER)
        record = httpx.get(f"{base}/api/v1/instruments/{instrument_id}/record", headers=manager)
        assert record.json()["opening_hours"] == SEM_OPENING_HOURS
        assert record.json()["category"] == SEM_RECORD["category"]
    finally:
        broker.stop()
