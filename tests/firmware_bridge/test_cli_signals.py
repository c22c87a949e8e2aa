"""``labshare-bridge`` stopped by a service manager (SIGTERM) or Ctrl-C (SIGINT).

Without a SIGTERM handler the process dies on the spot (exit -15) and skips its cleanup; a
clean stop exits 0 after saying which signal ended it.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)


class Bridge:
    """``labshare-bridge ARGS`` in its own process, with the port it reports."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "firmware_bridge.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first_line = self.process.stdout.readline()
        match = re.search(r"(?:on|port) (?:127\.0\.0\.1:)?(\d+)", first_line)
        if match is None:
            self.process.kill()
            _, stderr = self.process.communicate(timeout=10)
            raise AssertionError(f"no port in {first_line!r}; stderr:\n{stderr}")
        self.port = int(match.group(1))

    def stop(self, signum: signal.Signals) -> tuple[int, str, str]:
        """Send ``signum`` and return the exit code and what was printed afterwards."""
        self.process.send_signal(signum)
        stdout, stderr = self.process.communicate(timeout=20)
        return self.process.returncode, stdout, stderr

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=10)


@pytest.fixture
def bridges() -> Iterator[list[Bridge]]:
    started: list[Bridge] = []
    yield started
    for bridge in started:
        bridge.close()


def _accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_simulated_chamber_stops_cleanly_on_a_signal(
    bridges: list[Bridge], signum: signal.Signals
) -> None:
    chamber = Bridge("simulate", "chamber", "--port", "0")
    bridges.append(chamber)
    assert _accepts_connections(chamber.port)

    code, stdout, stderr = chamber.stop(signum)

    assert code == 0, stderr
    assert f"labshare-bridge: {signum.name} received, stopped cleanly" in stdout
    assert "Traceback" not in stderr
    assert not _accepts_connections(chamber.port)


def test_running_bridge_stops_its_pollers_and_servers_on_sigterm(
    bridges: list[Bridge], tmp_path: Path
) -> None:
    balance = Bridge("simulate", "balance", "--port", "0", "--load", "10", "--settle-s", "0")
    bridges.append(balance)
    config = tmp_path / "bridge.yaml"
    config.write_text(
        "modbus: {port: 0}\n"
        "instruments:\n"
        "  - key: balance-1\n"
        "    protocol: mt_sics\n"
        f"    transport: {{kind: tcp, host: 127.0.0.1, port: {balance.port}}}\n"
        "    poll_interval_s: 0.1\n"
        "    points: [{key: weight, query: SI, unit: g, register_address: 100}]\n"
    )
    bridge = Bridge("run", "--config", str(config))
    bridges.append(bridge)
    assert _accepts_connections(bridge.port)

    code, stdout, stderr = bridge.stop(signal.SIGTERM)

    assert code == 0, stderr
    assert "labshare-bridge: SIGTERM received, stopped cleanly" in stdout
    # A poller cancelled mid-request or a server left open shows up as asyncio's complaints.
    assert "Traceback" not in stderr
    assert "Task was destroyed but it is pending" not in stderr
    assert not _accepts_connections(bridge.port)
    # The balance simulator outlives its client and stops cleanly too.
    code, stdout, stderr = balance.stop(signal.SIGTERM)
    assert code == 0, stderr
    assert "SIGTERM received, stopped cleanly" in stdout
