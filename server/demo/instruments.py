"""The demo's line-protocol instruments: a balance (MT-SICS) and a multimeter (SCPI).

Their simulators speak the real protocols; ``labshare-bridge run`` turns their readings into
Modbus registers, which the demo gateway polls as device ``bridge-1``. The seeded demo data
has only the temperature chamber, so the demo registers these two instruments and their
channels through the API, as a lab manager would.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "BRIDGE_DEVICE_KEY",
    "BRIDGE_INSTRUMENTS",
    "BridgeInstrument",
    "BridgePoint",
    "bridge_config",
    "bridge_device",
    "register_bridge_instruments",
    "write_bridge_config",
]

BRIDGE_DEVICE_KEY = "bridge-1"


@dataclass(frozen=True)
class BridgePoint:
    key: str
    query: str
    unit: str
    register_address: int
    name: str
    name_en: str


@dataclass(frozen=True)
class BridgeInstrument:
    key: str  # the bridge's instrument key
    protocol: str  # mt_sics | scpi
    name: str
    name_en: str
    model: str
    manufacturer: str
    points: tuple[BridgePoint, ...]


BRIDGE_INSTRUMENTS: tuple[BridgeInstrument, ...] = (
    BridgeInstrument(
        key="balance-1",
        protocol="mt_sics",
        name="分析天平",
        name_en="Analytical balance",
        model="XPR205 (simulated)",
        manufacturer="Mettler Toledo",
        points=(BridgePoint("weight", "SI", "g", 0, "质量", "Weight"),),
    ),
    BridgeInstrument(
        key="dmm-1",
        protocol="scpi",
        name="数字多用表",
        name_en="Digital multimeter",
        model="34465A (simulated)",
        manufacturer="Keysight",
        points=(
            BridgePoint("voltage", "MEAS:VOLT:DC?", "V", 10, "直流电压", "DC voltage"),
            BridgePoint("temperature", "MEAS:TEMP?", "degC", 15, "温度", "Temperature"),
        ),
    ),
)


def bridge_config(modbus_port: int, instrument_ports: dict[str, int]) -> dict[str, Any]:
    return {
        "modbus": {"host": "127.0.0.1", "port": modbus_port, "device_id": 1},
        "instruments": [
            {
                "key": instrument.key,
                "protocol": instrument.protocol,
                "transport": {
                    "kind": "tcp",
                    "host": "127.0.0.1",
                    "port": instrument_ports[instrument.key],
                },
                "poll_interval_s": 1.0,
                "points": [
                    {
                        "key": point.key,
                        "query": point.query,
                        "unit": point.unit,
                        "register_address": point.register_address,
                    }
                    for point in instrument.points
                ],
            }
            for instrument in BRIDGE_INSTRUMENTS
        ],
    }


def write_bridge_config(path: Path, config: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Written by labshare-demo on every start; edits are overwritten.\n"
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def bridge_device(modbus_port: int) -> dict[str, Any]:
    """The gateway's view of the bridge: each point's value is a float32 at its address."""
    return {
        "key": BRIDGE_DEVICE_KEY,
        "protocol": "modbus_tcp",
        "host": "127.0.0.1",
        "port": modbus_port,
        "device_id": 1,
        "poll_interval_s": 1.0,
        "points": [
            {
                "key": point.key,
                "register": "holding",
                "address": point.register_address,
                "type": "float32",
                "byte_order": "ABCD",
                "source_unit": point.unit,
                "unit": point.unit,
            }
            for instrument in BRIDGE_INSTRUMENTS
            for point in instrument.points
        ],
    }


class _Api:
    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.base = f"{base_url}/api/v1"
        body = urllib.parse.urlencode({"username": email, "password": password}).encode()
        self.token: str = self._call("POST", "/auth/token", raw=body)["access_token"]

    def _call(self, method: str, path: str, *, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)  # noqa: S310
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our server
            return json.loads(response.read())

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, body=body)


def register_bridge_instruments(
    base_url: str, *, email: str, password: str, gateway_key: str
) -> list[str]:
    """Create the bridge instruments and their channels unless they exist; return new names."""
    api = _Api(base_url, email, password)
    gateway = next(g for g in api.get("/gateways") if g["key"] == gateway_key)
    existing = {i["name_en"]: i for i in api.get("/instruments")}
    chamber_lab = next(
        (i["lab_id"] for i in existing.values() if i.get("model") == "SETH-Z-040L"), None
    )
    lab_id = chamber_lab or api.get("/labs")[0]["id"]
    created: list[str] = []
    for instrument in BRIDGE_INSTRUMENTS:
        found = existing.get(instrument.name_en)
        if found is None:
            found = api.post(
                "/instruments",
                {
                    "lab_id": lab_id,
                    "name": instrument.name,
                    "name_en": instrument.name_en,
                    "model": instrument.model,
                    "manufacturer": instrument.manufacturer,
                    "location": "demo",
                    "is_open": True,
                },
            )
            created.append(instrument.name_en)
        channels = api.get(f"/instruments/{found['id']}").get("channels", [])
        have = {(c["device_key"], c["point_key"]) for c in channels}
        for point in instrument.points:
            if (BRIDGE_DEVICE_KEY, point.key) in have:
                continue
            api.post(
                f"/instruments/{found['id']}/channels",
                {
                    "gateway_id": gateway["id"],
                    "device_key": BRIDGE_DEVICE_KEY,
                    "point_key": point.key,
                    "name": point.name,
                    "name_en": point.name_en,
                    "canonical_unit": point.unit,
                },
            )
    return created
