"""``labshare-bridge`` as a user runs it: separate processes on real ports."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymodbus.client import AsyncModbusTcpClient

from firmware_bridge.cli import main
from firmware_bridge.exposure.modbus import decode_point_registers
from firmware_bridge.simulators.chamber import ChamberStatus, float32_words, words_float32
from mqtt_contract.v1 import Quality

EXAMPLE = Path(__file__).parents[2] / "firmware_bridge" / "examples" / "bridge.yaml"


def spawn(*args: str) -> tuple[subprocess.Popen[str], int]:
    """Start ``labshare-bridge ARGS`` and return it with the port it reports on stdout."""
    process = subprocess.Popen(
        [sys.executable, "-m", "firmware_bridge.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(?:on|port) (?:127\.0\.0\.1:)?(\d+)", line)
    if match is None:
        process.kill()
        process.wait()
        raise AssertionError(f"no port in {line!r}")
    return process, int(match.group(1))


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


async def test_simulate_chamber_command(processes: list[subprocess.Popen[str]]) -> None:
    chamber, port = spawn("simulate", "chamber", "--port", "0", "--device-id", "3")
    processes.append(chamber)
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
    assert await client.connect()
    try:
        assert not (
            await client.write_registers(2, list(float32_words(-20.0)), device_id=3)
        ).isError()
        assert not (await client.write_register(8, 1, device_id=3)).isError()
        registers = (await client.read_holding_registers(0, count=9, device_id=3)).registers
    finally:
        client.close()
    assert words_float32(*registers[2:4]) == pytest.approx(-20.0)
    assert registers[7] == ChamberStatus.RUNNING
    assert registers[6] > 0


async def test_run_bridges_balance_simulator_to_modbus(
    processes: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    balance, balance_port = spawn(
        "simulate", "balance", "--port", "0", "--load", "99.5", "--settle-s", "0"
    )
    processes.append(balance)
    config = tmp_path / "bridge.yaml"
    config.write_text(
        "modbus: {port: 0}\n"
        "instruments:\n"
        "  - key: balance-1\n"
        "    protocol: mt_sics\n"
        f"    transport: {{kind: tcp, host: 127.0.0.1, port: {balance_port}}}\n"
        "    poll_interval_s: 0.1\n"
        "    points: [{key: weight, query: SI, unit: g, register_address: 100}]\n"
    )
    bridge, modbus_port = spawn("run", "--config", str(config))
    processes.append(bridge)
    client = AsyncModbusTcpClient("127.0.0.1", port=modbus_port, timeout=2, retries=0)
    assert await client.connect()
    try:
        for _ in range(50):
            response = await client.read_holding_registers(100, count=5, device_id=1)
            value, quality, count, stable = decode_point_registers(response.registers)
            if count:
                break
            await asyncio.sleep(0.1)
    finally:
        client.close()
    assert quality is Quality.OK
    assert value == pytest.approx(99.5, abs=0.01)
    assert stable is True


def test_check_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", str(EXAMPLE)]) == 0
    assert "2 instrument(s), 3 point(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        (
            "instruments:\n  - key: b\n    protocol: mt_sics\n"
            "    transport: {kind: tcp, host: h, port: 70000}\n"
            "    points: [{key: w, query: SI, unit: g, topic: t}]\nmqtt: {}\n",
            "instruments[0].transport.tcp.port",
        ),
        (
            "instruments:\n  - key: b\n    protocol: modbus\n"
            "    transport: {kind: tcp, host: h, port: 1}\n"
            "    points: [{key: w, query: SI, unit: g, topic: t}]\nmqtt: {}\n",
            "instruments[0].protocol",
        ),
        (
            "instruments:\n  - key: b\n    protocol: scpi\n"
            "    transport: {kind: tcp, host: h, port: 1}\n"
            "    points: [{key: v, query: 'MEAS:VOLT:DC', unit: V, topic: t}]\nmqtt: {}\n",
            "SCPI query must end with '?'",
        ),
        (
            "modbus: {}\ninstruments:\n  - key: b\n    protocol: scpi\n"
            "    transport: {kind: tcp, host: h, port: 1}\n"
            "    points:\n"
            "      - {key: v, query: 'MEAS:VOLT?', unit: V, register_address: 0}\n"
            "      - {key: t, query: 'MEAS:TEMP?', unit: degC, register_address: 3}\n",
            "overlap b.v at register 3",
        ),
        (
            "instruments:\n  - key: b\n    protocol: mt_sics\n"
            "    transport: {kind: tcp, host: h, port: 1}\n"
            "    points: [{key: w, query: SI, unit: g, register_address: 0}]\n",
            "no 'modbus' section",
        ),
        ("instruments: []\n", "instruments: List should have at least 1 item"),
        ("modbus: [\n", "not valid YAML"),
    ],
)
def test_check_names_the_bad_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], yaml_text: str, field: str
) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(yaml_text)
    assert main(["check", "--config", str(config)]) == 2
    assert field in capsys.readouterr().err
