"""Processes for end-to-end tests: the server, an edge agent and headless Chromium.

The fixtures are imported by tests/e2e/conftest.py."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from server.demo.credentials import DEMO_PASSWORD
from tests.harness import free_port

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


def demo_server(
    database_url: str, processes: list[Process], workdir: Path, port: int, *seed_options: str
) -> str:
    """Seed the demo (``seed-demo [seed_options]``), serve it on ``port``; its base URL once ready."""
    env = server_env(database_url)
    seed_demo(env, *seed_options)
    server = spawn(
        processes, workdir, "server",
        [str(VENV_BIN / "labshare-server"), "serve", "--port", str(port)], env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_http_ok(f"{base}/healthz", server)
    return base


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


__all__ = [
    "CHROMIUM_FLAGS",
    "REPO",
    "VENV_BIN",
    "Process",
    "api_token",
    "demo_server",
    "log_in",
    "seed_demo",
    "server_env",
    "spawn",
    "wait_http_ok",
]
