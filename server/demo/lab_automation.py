"""The demo's lab-automation instrument: an incubator speaking OPC UA with a LADS address space.

``labshare-bridge simulate lads --program-every-s N`` serves a LADS-shaped incubator (OPC 30500:
a functional unit with its state machine, a temperature controller, a program manager with the
active program and its results) and starts a 60-second program every N seconds. The demo
gateway subscribes to it as device ``incubator-1``: the functional unit's state becomes the
point ``incubator.state`` and each finished run's mean temperature ``incubator.mean_temperature``.

The seeded demo data has no such instrument, so the demo registers it through the API as a lab
manager would: the instrument, its channels, a state rule that reads the LADS state (so a
program run checks a booking in and counts as use) and a valid certificate (so it can be booked).
"""

from __future__ import annotations

from typing import Any

from server.demo.instruments import DemoApi, ensure_valid_certificate

__all__ = [
    "LADS_DEVICE_KEY",
    "LADS_PROGRAM_EVERY_S",
    "LADS_STATE_MAP",
    "lads_device",
    "register_lads_incubator",
]

LADS_DEVICE_KEY = "incubator-1"
LADS_PROGRAM_EVERY_S = 300.0
_UNIT = "0:Objects/2:DeviceSet/2:Incubator/2:FunctionalUnitSet/2:IncubatorUnit"

# The LADS functional-unit states (the simulator's codes) as instrument states.
LADS_STATE_MAP: dict[str, str] = {
    "0": "idle",  # stopped
    "1": "running",  # running
    "2": "running",  # stopping (the run is finishing)
    "3": "fault",  # aborting
    "4": "fault",  # aborted
    "5": "idle",  # clearing
}

_CHANNELS = (
    # point key, unit, name, English name
    ("incubator.state", "dimensionless", "功能单元状态", "Functional unit state"),
    ("temperature", "degC", "培养温度", "Incubation temperature"),
    ("incubator.mean_temperature", "degC", "程序平均温度", "Program mean temperature"),
)


def lads_device(port: int) -> dict[str, Any]:
    """The gateway's device entry for the simulated LADS incubator on ``port``."""
    return {
        "key": LADS_DEVICE_KEY,
        "protocol": "opcua",
        "endpoint": f"opc.tcp://127.0.0.1:{port}/labshare/lads/",
        "lads": {
            "functional_units": [
                {
                    "key": "incubator",
                    "browse_path": _UNIT,
                    "results": [
                        {"key": "mean_temperature", "name": "MeanTemperature", "unit": "degC"}
                    ],
                }
            ]
        },
        "points": [
            {
                "key": "temperature",
                "browse_path": f"{_UNIT}/2:TemperatureController/2:CurrentValue",
                "unit": "degC",
            }
        ],
    }


def register_lads_incubator(base_url: str, *, email: str, password: str, gateway_key: str) -> bool:
    """Create the incubator, its channels, state rule and certificate unless present.

    True when the instrument was created now.
    """
    api = DemoApi(base_url, email, password)
    gateway = next(g for g in api.get("/gateways") if g["key"] == gateway_key)
    existing = {i["name_en"]: i for i in api.get("/instruments")}
    found = existing.get("CO2 incubator (OPC UA LADS)")
    created = found is None
    if found is None:
        chamber = next((i for i in existing.values() if i.get("model") == "SETH-Z-040L"), None)
        found = api.post(
            "/instruments",
            {
                "lab_id": chamber["lab_id"] if chamber else api.get("/labs")[0]["id"],
                "name": "二氧化碳培养箱（OPC UA LADS）",
                "name_en": "CO2 incubator (OPC UA LADS)",
                "model": "LADS incubator (simulated)",
                "manufacturer": "labshare simulator",
                "location": (chamber or {}).get("location") or "热工实验室 / Thermal lab",
                "is_open": True,
            },
        )
    instrument_id = found["id"]
    have = {
        (c["device_key"], c["point_key"])
        for c in api.get(f"/instruments/{instrument_id}").get("channels", [])
    }
    for point, unit, name, name_en in _CHANNELS:
        if (LADS_DEVICE_KEY, point) not in have:
            api.post(
                f"/instruments/{instrument_id}/channels",
                {
                    "gateway_id": gateway["id"],
                    "device_key": LADS_DEVICE_KEY,
                    "point_key": point,
                    "name": name,
                    "name_en": name_en,
                    "canonical_unit": unit,
                },
            )
    if api.get_or_none(f"/instruments/{instrument_id}/state-rule") is None:
        api.put(
            f"/instruments/{instrument_id}/state-rule",
            {
                "status": {
                    "device": LADS_DEVICE_KEY,
                    "point": "incubator.state",
                    "map": LADS_STATE_MAP,
                },
                # Unchanged LADS states are re-published every repeat_s (30 s by default).
                "offline_after_s": 120,
            },
        )
    ensure_valid_certificate(api, instrument_id, "incubator-1")
    return created
