"""The demo's line-protocol instruments: a balance (MT-SICS) and a multimeter (SCPI).

Their simulators speak the real protocols; ``labshare-bridge run`` turns their readings into
Modbus registers, which the demo gateway polls as device ``bridge-1``. The seeded demo data
has only the temperature chamber, so the demo registers these two instruments, their
channels, a state rule (so the live board colours their tiles) and a calibration certificate
(so they can be booked) through the API, as a lab manager would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from server.demo.gateway import CHAMBER_DEVICE_KEY

__all__ = [
    "BRIDGE_DEVICE_KEY",
    "BRIDGE_INSTRUMENTS",
    "CHAMBER_EXTRA_CHANNELS",
    "BridgeInstrument",
    "BridgePoint",
    "BridgeStateRule",
    "ChamberChannel",
    "DemoApi",
    "bridge_config",
    "bridge_device",
    "ensure_valid_certificate",
    "register_bridge_instruments",
    "register_chamber_channels",
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
class BridgeStateRule:
    """A threshold on one reading that tells "in use" from "idle" (no status register).

    Neither instrument reports being switched off, so the "off" thresholds lie below any
    reading it can give and the tile never claims it is off; silence still means offline.
    """

    point: str
    running_enter: float
    running_exit: float
    never_below: float

    def as_api_body(self) -> dict[str, Any]:
        return {
            "power": {
                "point": self.point,
                "running_enter": self.running_enter,
                "running_exit": self.running_exit,
                "off_enter": self.never_below,
                "off_exit": self.never_below,
            },
            "offline_after_s": 30.0,
            "min_dwell_s": 5.0,
        }


@dataclass(frozen=True)
class BridgeInstrument:
    key: str  # the bridge's instrument key
    protocol: str  # mt_sics | scpi
    name: str
    name_en: str
    model: str
    manufacturer: str
    points: tuple[BridgePoint, ...]
    state_rule: BridgeStateRule
    # The simulator's arguments that set what it measures (see state_rule).
    simulator_args: tuple[str, ...]


BRIDGE_INSTRUMENTS: tuple[BridgeInstrument, ...] = (
    BridgeInstrument(
        key="balance-1",
        protocol="mt_sics",
        name="分析天平",
        name_en="Analytical balance",
        model="XPR205 (simulated)",
        manufacturer="Mettler Toledo",
        points=(BridgePoint("weight", "SI", "g", 0, "质量", "Weight"),),
        # A sample on the pan (over 1 g) means someone is weighing.
        state_rule=BridgeStateRule("weight", 1.0, 0.5, never_below=-1000.0),
        simulator_args=("balance", "--load", "12.5"),
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
        # Open leads read tens of millivolts at most; a connected source reads 0.1 V or more.
        state_rule=BridgeStateRule("voltage", 0.1, 0.05, never_below=-1000.0),
        # Left with open leads, so the board shows an idle instrument beside the running ones.
        simulator_args=("scpi", "--volts", "0.03"),
    ),
)


@dataclass(frozen=True)
class ChamberChannel:
    point_key: str
    unit: str
    name: str
    name_en: str


# The chamber's points beyond the seeded five (server/demo/gateway.py CHAMBER_POINTS): one
# reading in rpm and one 4-20 mA loop, so the demo shows both unit rules of docs/units.md.
CHAMBER_EXTRA_CHANNELS: tuple[ChamberChannel, ...] = (
    ChamberChannel("fan_speed", "rpm", "风机转速", "Fan speed"),
    ChamberChannel(
        "sample_temperature", "degC", "试样温度（4–20 mA）", "Sample temperature (4-20 mA)"
    ),
)


def register_chamber_channels(
    base_url: str, *, email: str, password: str, gateway_key: str
) -> list[str]:
    """Add the chamber's fan-speed and loop channels unless they exist; return new keys."""
    api = DemoApi(base_url, email, password)
    gateway = next(g for g in api.get("/gateways") if g["key"] == gateway_key)
    chamber = next((i for i in api.get("/instruments") if i.get("model") == "SETH-Z-040L"), None)
    if chamber is None:
        return []
    channels = api.get(f"/instruments/{chamber['id']}").get("channels", [])
    have = {(c["device_key"], c["point_key"]) for c in channels}
    created: list[str] = []
    for channel in CHAMBER_EXTRA_CHANNELS:
        if (CHAMBER_DEVICE_KEY, channel.point_key) in have:
            continue
        api.post(
            f"/instruments/{chamber['id']}/channels",
            {
                "gateway_id": gateway["id"],
                "device_key": CHAMBER_DEVICE_KEY,
                "point_key": channel.point_key,
                "name": channel.name,
                "name_en": channel.name_en,
                "canonical_unit": channel.unit,
            },
        )
        created.append(channel.point_key)
    return created


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


class DemoApi:
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

    def get_or_none(self, path: str) -> Any:
        """The resource, or None when the API answers 404 (not there yet)."""
        try:
            return self._call("GET", path)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, body=body)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PUT", path, body=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("PATCH", path, body=body)


def register_bridge_instruments(
    base_url: str, *, email: str, password: str, gateway_key: str
) -> list[str]:
    """Create the bridge instruments and their channels unless they exist; return new names."""
    api = DemoApi(base_url, email, password)
    gateway = next(g for g in api.get("/gateways") if g["key"] == gateway_key)
    existing = {i["name_en"]: i for i in api.get("/instruments")}
    chamber = next((i for i in existing.values() if i.get("model") == "SETH-Z-040L"), None)
    lab_id = chamber["lab_id"] if chamber else api.get("/labs")[0]["id"]
    # Beside the chamber, on the thermal lab's live board.
    location = (chamber or {}).get("location") or "热工实验室 / Thermal lab"
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
                    "location": location,
                    "is_open": True,
                },
            )
            created.append(instrument.name_en)
        elif found.get("location") == "demo":
            # Data directories from before the instruments had a real location.
            found = api.patch(f"/instruments/{found['id']}", {"location": location})
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
        # Kept when present: a lab manager may have tuned the thresholds.
        if api.get_or_none(f"/instruments/{found['id']}/state-rule") is None:
            api.put(f"/instruments/{found['id']}/state-rule", instrument.state_rule.as_api_body())
        ensure_valid_certificate(api, found["id"], instrument.key)
    return created


def ensure_valid_certificate(api: DemoApi, instrument_id: str, key: str) -> None:
    """A passed certificate valid now, unless one is; bookings need a calibrated instrument."""
    overview = api.get(f"/instruments/{instrument_id}/calibration")
    if overview["status"]["state"] in ("valid", "due_soon", "not_required"):
        return
    now = datetime.now(UTC)
    valid_from = (now - timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    api.post(
        f"/instruments/{instrument_id}/calibration/certificates",
        {
            "number": f"ZJIM-{key.upper()}-{valid_from:%Y%m%d}",
            "agency": "浙江省计量科学研究院 / Zhejiang Institute of Metrology",
            "granted_on": valid_from.date().isoformat(),
            "valid_from": valid_from.isoformat(),
            "valid_to": (valid_from + timedelta(days=365)).isoformat(),
            "result": "pass",
        },
    )
