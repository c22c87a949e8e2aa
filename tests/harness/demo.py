"""`labshare-demo` run as a user would, for the demo tests."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from server.demo.database import EmbeddedPostgres
from server.demo.processes import free_port

STARTUP_LIMIT_S = 300
URL_PATTERN = re.compile(r"labshare is running at (http://127\.0\.0\.1:\d+/)")


def _processes_using(data_dir: Path) -> list[str]:
    """Anything still running whose command line mentions the demo's data directory."""
    found = []
    for proc in psutil.process_iter(attrs=["pid", "cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(f"{proc.info['pid']}: {cmdline}")
    return found


class DemoRun:
    def __init__(self, data_dir: Path, output: Path, **extra_env: str) -> None:
        self.data_dir = data_dir
        self.output = output
        env = {k: v for k, v in os.environ.items() if not k.startswith("LABSHARE_")}
        env.update(extra_env)
        self._out = output.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from server.demo.cli import main; sys.exit(main())",
                "--data-dir",
                str(data_dir),
                "--port",
                str(free_port()),
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for_url(self) -> str:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while time.monotonic() < deadline:
            match = URL_PATTERN.search(self.text())
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                pytest.fail(f"labshare-demo exited with {self.process.returncode}:\n{self.text()}")
            time.sleep(0.5)
        pytest.fail(f"no URL printed within {STARTUP_LIMIT_S} s:\n{self.text()}")

    def state(self) -> dict[str, object]:
        state: dict[str, object] = json.loads((self.data_dir / "run" / "demo.json").read_text())
        return state

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            for proc in psutil.process_iter(attrs=["cmdline"]):
                if str(self.data_dir) in " ".join(proc.info["cmdline"] or []):
                    proc.kill()
        if (self.data_dir / "postgres" / "postmaster.pid").exists():
            EmbeddedPostgres(self.data_dir / "postgres").stop()
        self._out.close()
