"""The demo gateway's configuration: one edge agent polling the simulated temperature chamber."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CHAMBER_DEVICE_KEY",
    "CHAMBER_POINTS",
    "DEMO_GATEWAY_KEY",
    "chamber_device",
    "gateway_config",
    "write_gateway_config",
]

DEMO_GATEWAY_KEY = "demo-gw-01"
CHAMBER_DEVICE_KEY = "chamber-1"

# The chamber simulator's register map (firmware_bridge). The first five match the seeded
# channels; the demo registers channels for the fan speed and the loop-powered sample probe
# (server/demo/instruments.py).
CHAMBER_POINTS: tuple[dict[str, Any], ...] = (
    {"key": "temperature", "register": "holding", "address": 0, "type": "float32",
     "byte_order": "ABCD", "source_unit": "degC", "unit": "degC"},
    {"key": "setpoint", "register": "holding", "address": 2, "type": "float32",
     "byte_order": "ABCD", "source_unit": "degC", "unit": "degC"},
    {"key": "humidity", "register": "holding", "address": 4, "type": "float32",
     "byte_order": "ABCD", "source_unit": "percent", "unit": "percent"},
    {"key": "power", "register": "holding", "address": 6, "type": "uint16",
     "source_unit": "W", "unit": "W"},
    {"key": "status", "register": "holding", "address": 7, "type": "uint16",
     "source_unit": "dimensionless", "unit": "dimensionless"},
    # Revolutions per minute, stored as such (1,500 rpm is 25 Hz, never 157: docs/units.md).
    {"key": "fan_speed", "register": "holding", "address": 9, "type": "uint16",
     "source_unit": "rpm", "unit": "rpm"},
    # A 4-20 mA sample probe read in µA, scaled onto -70..180 °C (NAMUR NE 43 limits).
    {"key": "sample_temperature", "register": "holding", "address": 10, "type": "uint16",
     "source_unit": "µA", "loop": {"range": [-70, 180], "unit": "degC"}},
)  # fmt: skip


def chamber_device(port: int, poll_interval_s: float = 1.0) -> dict[str, Any]:
    return {
        "key": CHAMBER_DEVICE_KEY,
        "protocol": "modbus_tcp",
        "host": "127.0.0.1",
        "port": port,
        "device_id": 1,
        "poll_interval_s": poll_interval_s,
        "points": [dict(point) for point in CHAMBER_POINTS],
    }


def gateway_config(
    *,
    mqtt_port: int,
    devices: list[dict[str, Any]],
    spool_path: Path,
    password_env: str,
    mqtt_protocol: str = "5",
) -> dict[str, Any]:
    return {
        "gateway": {"key": DEMO_GATEWAY_KEY},
        "mqtt": {
            "host": "127.0.0.1",
            "port": mqtt_port,
            "username": DEMO_GATEWAY_KEY,
            "password_env": password_env,
            "protocol": mqtt_protocol,
        },
        "spool": {"path": str(spool_path), "max_bytes": 100_000_000},
        "metrics": {"port": 0},
        "devices": devices,
    }


def write_gateway_config(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Written by labshare-demo on every start; edits are overwritten.\n"
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
