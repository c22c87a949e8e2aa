"""Processes for end-to-end tests: the server, an edge agent and headless Chromium.

The fixtures are imported by tests/e2e/conftest.py."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, sync_playwright
from pymodbus.client import ModbusTcpClient

from server.demo.credentials import DEMO_PASSWORD
from tests.harness import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Process:
    """A child process whose output goes to a log file we can show when a test fails."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} log ---\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in reversed(started):
        process.stop()


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="labshare-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def spawn(
    processes: list[Process], workdir: Path, name: str, args: list[str], env: dict[str, str]
) -> Process:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            cwd=REPO,
            start_new_session=True,
        )
    process = Process(name, proc, log)
    processes.append(process)
    return process


def wait_http_ok(url: str, process: Process, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            pytest.fail(f"{process.name} exited with {process.proc.returncode}\n{process.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"{url} not ready after {timeout} s\n{process.tail()}")


@pytest.fixture
def server_port() -> int:
    return free_port()


def server_env(
    database_url: str, *, mqtt_host: str = "127.0.0.1", mqtt_port: int | None = None
) -> dict[str, str]:
    """Environment for ``labshare-server``; without a broker port, ingest stays off."""
    return {
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_MQTT_HOST": mqtt_host,
        "LABSHARE_MQTT_PORT": str(mqtt_port if mqtt_port is not None else free_port()),
        "LABSHARE_ENVIRONMENT": "development",
        "LABSHARE_INGEST_ENABLED": "true" if mqtt_port is not None else "false",
        "LABSHARE_WEB_DIST": str(REPO / "web" / "dist"),
    }


def seed_demo(env: dict[str, str], *options: str) -> None:
    """``labshare-server seed-demo [options]`` against the test database."""
    seeded = subprocess.run(
        [str(VENV_BIN / "labshare-server"), "seed-demo", *options],
        check=False,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert seeded.returncode == 0, seeded.stderr


def serve(
    processes: list[Process],
    workdir: Path,
    port: int,
    env: dict[str, str],
    *,
    ready: str = "/healthz",
) -> str:
    """``labshare-server serve`` on ``port``; its base URL once ``ready`` answers 200."""
    server = spawn(
        processes, workdir, "server",
        [str(VENV_BIN / "labshare-server"), "serve", "--port", str(port)], env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_http_ok(f"{base}{ready}", server)
    return base


def demo_server(
    database_url: str, processes: list[Process], workdir: Path, port: int, *seed_options: str
) -> str:
    """Seed the demo (``seed-demo [seed_options]``), serve it on ``port``; its base URL once ready."""
    env = server_env(database_url)
    seed_demo(env, *seed_options)
    return serve(processes, workdir, port, env)


CHAMBER = "高低温试验箱"


@dataclass(frozen=True)
class Chamber:
    """The demo's temperature chamber: its id, its lab's and its institution's."""

    id: str
    lab_id: str
    organisation_id: str


def certify_chamber(conninfo: str, number: str) -> Chamber:
    """A valid calibration certificate on the demo chamber (without one it cannot be booked)."""
    now = datetime.now(UTC)
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "INSERT INTO calibration_certificate (instrument_id, organisation_id, number, agency,"
            " granted_on, valid_from, valid_to, result)"
            " SELECT id, organisation_id, %s, '浙江省计量科学研究院', %s, %s, %s, 'pass'"
            " FROM instrument WHERE name = %s",
            (number, now.date(), now - timedelta(days=10), now + timedelta(days=365), CHAMBER),
        )
        row = conn.execute(
            "SELECT id, lab_id, organisation_id FROM instrument WHERE name = %s", (CHAMBER,)
        ).fetchone()
    assert row is not None
    return Chamber(str(row[0]), str(row[1]), str(row[2]))


def certified_demo_server(
    database_url: str,
    conninfo: str,
    processes: list[Process],
    workdir: Path,
    port: int,
    certificate: str,
    *seed_options: str,
) -> tuple[str, Chamber]:
    """``demo_server`` with a valid calibration certificate (``certificate`` is its number) on
    the chamber, so it can be booked: the base URL and the chamber."""
    env = server_env(database_url)
    seed_demo(env, *seed_options)
    chamber = certify_chamber(conninfo, certificate)
    return serve(processes, workdir, port, env), chamber


DEMO_CERTIFICATE = "E2E-CERT"
"""The number of the certificate ``certified_demo`` records on the chamber."""


@pytest.fixture
def certified_demo(
    database_url: str,
    database_conninfo: str,
    processes: list[Process],
    workdir: Path,
    server_port: int,
) -> tuple[str, Chamber]:
    """The demo served with a valid calibration certificate (``DEMO_CERTIFICATE``) on the
    chamber, so it can be booked: the base URL and the chamber."""
    return certified_demo_server(
        database_url, database_conninfo, processes, workdir, server_port, DEMO_CERTIFICATE
    )


def instrument_named(base: str, headers: dict[str, str], name_en: str) -> dict[str, object]:
    """The instrument (as ``GET /api/v1/instruments`` lists it) with this English name."""
    instruments = httpx.get(f"{base}/api/v1/instruments", headers=headers).json()
    found: dict[str, object] = next(i for i in instruments if i["name_en"] == name_en)
    return found


def start_register_bank(
    processes: list[Process], workdir: Path, env: dict[str, str]
) -> tuple[Process, int]:
    """A bare Modbus TCP instrument (``tests/e2e/register_bank.py``) and its port, once it listens."""
    port = free_port()
    instrument = spawn(
        processes, workdir, "instrument",
        [sys.executable, "-m", "tests.e2e.register_bank", str(port)], env,
    )  # fmt: skip
    wait_for_port("127.0.0.1", port)
    return instrument, port


def write_registers(port: int, values: dict[int, int]) -> None:
    """Writes holding registers (address: value) as the instrument's firmware would."""
    client = ModbusTcpClient("127.0.0.1", port=port)
    assert client.connect(), "cannot reach the Modbus instrument"
    try:
        for address, value in values.items():
            response = client.write_register(address, value, device_id=1)
            assert not response.isError(), response
    finally:
        client.close()


def start_edge(
    processes: list[Process],
    workdir: Path,
    env: dict[str, str],
    *,
    mqtt_port: int,
    modbus_port: int,
    points: list[dict[str, object]],
) -> Process:
    """``labshare-edge run`` as the demo gateway, polling one Modbus TCP device, the demo's
    ``chamber-1`` on ``modbus_port``, every 0.5 s for these points."""
    config = {
        "gateway": {"key": "demo-gw-01"},
        "mqtt": {"host": "127.0.0.1", "port": mqtt_port},
        "spool": {"path": str(workdir / "spool.sqlite3"), "max_bytes": 10_000_000},
        "metrics": {"port": 0},
        "devices": [
            {
                "key": "chamber-1",
                "protocol": "modbus_tcp",
                "host": "127.0.0.1",
                "port": modbus_port,
                "device_id": 1,
                "poll_interval_s": 0.5,
                "points": points,
            }
        ],
    }
    path = workdir / "gateway.yaml"
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    return spawn(
        processes, workdir, "edge", [str(VENV_BIN / "labshare-edge"), "run", str(path)], env
    )


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, closed when the block ends."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def api_token(base: str, email: str) -> dict[str, str]:
    """A demo user's bearer header, for the API calls a test makes beside the browser."""
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def log_in(page: Page, base: str, email: str) -> None:
    """Log in through the web app's form, as a person would (all demo users share a password)."""
    page.goto(f"{base}/login")
    page.fill("input[type=email]", email)
    page.fill("input[type=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


# Known and listed in docs/web.md: a few <style> elements Ant Design still writes at run time
# are refused by the server's CSP (style-src 'self'); the prebuilt stylesheet covers them.
KNOWN_CSP_MESSAGE = "Applying inline style violates the following Content Security Policy"


def console_errors(page: Page, *, allow: tuple[str, ...] = ()) -> list[str]:
    """The console errors ``page`` logs from now on (a list that fills as they come), without
    the known CSP message and messages containing any of ``allow``."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and not (
            text.startswith(KNOWN_CSP_MESSAGE) or any(part in text for part in allow)
        ):
            errors.append(text)

    page.on("console", on_console)
    return errors


def pick_date(field: Locator, value: str) -> None:
    """Types a value into an Ant Design date picker in its format ("2026-01-05 10:00", or
    "2026-01-05" for a day) and confirms it with Enter, as a user typing it would."""
    field.click()
    field.fill(value)
    field.press("Enter")


def open_as(browser: Browser, base: str, email: str, path: str, **context: Any) -> Page:
    """A page with a context of its own (``context``: Playwright's options), logged in as
    ``email`` through the form and opened at ``path``."""
    page = browser.new_context(**context).new_page()
    log_in(page, base, email)
    page.goto(f"{base}{path}")
    return page


__all__ = [
    "CHAMBER",
    "CHROMIUM_FLAGS",
    "DEMO_CERTIFICATE",
    "KNOWN_CSP_MESSAGE",
    "REPO",
    "VENV_BIN",
    "Chamber",
    "Process",
    "api_token",
    "certified_demo",
    "certified_demo_server",
    "certify_chamber",
    "chromium",
    "console_errors",
    "demo_server",
    "instrument_named",
    "log_in",
    "open_as",
    "pick_date",
    "seed_demo",
    "serve",
    "server_env",
    "spawn",
    "start_edge",
    "start_register_bank",
    "wait_http_ok",
    "write_registers",
]
