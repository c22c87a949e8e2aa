"""The demo's lab-automation instruments: incubators speaking OPC UA (LADS) and SiLA 2.

``labshare-bridge simulate lads --program-every-s N`` serves a LADS-shaped incubator (OPC 30500:
a functional unit with its state machine, a temperature controller, a program manager with the
active program and its results) and starts a 60-second program every N seconds. The demo
gateway subscribes to it as device ``incubator-1``: the functional unit's state becomes the
point ``incubator.state`` and each finished run's mean temperature ``incubator.mean_temperature``.

``labshare-bridge simulate sila`` serves a SiLA 2 incubator (feature IncubatorController with
the observable properties CurrentTemperature and RunningPrograms); the gateway subscribes to
both as device ``sila-incubator-1``, and the number of running programs tells running from idle.

The seeded demo data has no such instruments, so the demo registers them through the API as a
lab manager would: the instrument, its channels, a state rule (so a program run checks a booking
in and counts as use) and a valid certificate (so it can be booked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.demo.instruments import DemoApi, ensure_valid_certificate

__all__ = [
    "LADS_DEVICE_KEY",
    "LADS_PROGRAM_EVERY_S",
    "LADS_STATE_MAP",
    "SILA_COMMAND_STATE_MAP",
    "SILA_DEVICE_KEY",
    "SILA_PROGRAM_EVERY_S",
    "lads_device",
    "register_lab_automation",
    "sila_device",
]

LADS_DEVICE_KEY = "incubator-1"
SILA_DEVICE_KEY = "sila-incubator-1"
SILA_PROGRAM_EVERY_S = 300.0
"""How often the demo's SiLA incubator runs a 60 s program (its own scheduler starts it)."""
# <command>.state as the gateway publishes it: 0 none yet, 1 waiting, 2 running, 3 finished,
# 4 finished with an error.
SILA_COMMAND_STATE_MAP = {"0": "idle", "1": "running", "2": "running", "3": "idle", "4": "fault"}
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


def sila_device(port: int) -> dict[str, Any]:
    """The gateway's device entry for the simulated SiLA 2 incubator on ``port``."""
    return {
        "key": SILA_DEVICE_KEY,
        "protocol": "sila2",
        "host": "127.0.0.1",
        "port": port,
        "insecure": True,  # the simulator serves plain gRPC; real servers use TLS
        "points": [
            {
                "key": "temperature",
                "feature": "IncubatorController",
                "property": "CurrentTemperature",
                "unit": "degC",
            },
            {
                "key": "programs",
                "feature": "IncubatorController",
                "property": "RunningPrograms",
                "report_on_change": True,
                # Repeated while unchanged, so the state rule does not take silence for offline.
                "max_interval_s": 30,
            },
        ],
        # The observable command's execution state (started every few minutes by the
        # simulator's scheduler) is the instrument state: point program.state.
        "commands": [
            {
                "key": "program",
                "feature": "IncubatorController",
                "command": "RunProgram",
                "executions_property": "RunProgramExecutions",
                "repeat_s": 30,
            }
        ],
    }


@dataclass(frozen=True)
class _Instrument:
    name: str
    name_en: str
    model: str
    device_key: str
    channels: tuple[tuple[str, str, str, str], ...]
    """(point key, unit, name, English name)"""
    state_rule: dict[str, Any]
    certificate_key: str


_INSTRUMENTS = (
    _Instrument(
        name="二氧化碳培养箱（OPC UA LADS）",
        name_en="CO2 incubator (OPC UA LADS)",
        model="LADS incubator (simulated)",
        device_key=LADS_DEVICE_KEY,
        channels=(
            ("incubator.state", "dimensionless", "功能单元状态", "Functional unit state"),
            ("temperature", "degC", "培养温度", "Incubation temperature"),
            ("incubator.mean_temperature", "degC", "程序平均温度", "Program mean temperature"),
        ),
        state_rule={
            "status": {
                "device": LADS_DEVICE_KEY,
                "point": "incubator.state",
                "map": LADS_STATE_MAP,
            },
            # Unchanged LADS states are re-published every repeat_s (30 s by default).
            "offline_after_s": 120,
        },
        certificate_key="incubator-1",
    ),
    _Instrument(
        name="恒温培养箱（SiLA 2）",
        name_en="Incubator (SiLA 2)",
        model="SiLA 2 incubator (simulated)",
        device_key=SILA_DEVICE_KEY,
        channels=(
            ("temperature", "degC", "培养温度", "Incubation temperature"),
            ("programs", "dimensionless", "运行中的程序", "Running programs"),
            ("program.state", "dimensionless", "程序执行状态", "Program execution state"),
        ),
        state_rule={
            # The RunProgram executions' state: waiting or running is in use, an execution
            # that ended with an error is a fault until the next one runs.
            "status": {
                "device": SILA_DEVICE_KEY,
                "point": "program.state",
                "map": SILA_COMMAND_STATE_MAP,
            },
            "offline_after_s": 120,
        },
        certificate_key="sila-incubator-1",
    ),
)


def register_lab_automation(
    base_url: str, *, email: str, password: str, gateway_key: str
) -> list[str]:
    """Create the incubators, their channels, state rules and certificates unless present;
    the English names of the instruments created now."""
    api = DemoApi(base_url, email, password)
    gateway = next(g for g in api.get("/gateways") if g["key"] == gateway_key)
    existing = {i["name_en"]: i for i in api.get("/instruments")}
    chamber = next((i for i in existing.values() if i.get("model") == "SETH-Z-040L"), None)
    created: list[str] = []
    for spec in _INSTRUMENTS:
        found = existing.get(spec.name_en)
        if found is None:
            found = api.post(
                "/instruments",
                {
                    "lab_id": chamber["lab_id"] if chamber else api.get("/labs")[0]["id"],
                    "name": spec.name,
                    "name_en": spec.name_en,
                    "model": spec.model,
                    "manufacturer": "labshare simulator",
                    "location": (chamber or {}).get("location") or "热工实验室 / Thermal lab",
                    "is_open": True,
                },
            )
            created.append(spec.name_en)
        instrument_id = found["id"]
        have = {
            (c["device_key"], c["point_key"])
            for c in api.get(f"/instruments/{instrument_id}").get("channels", [])
        }
        for point, unit, name, name_en in spec.channels:
            if (spec.device_key, point) not in have:
                api.post(
                    f"/instruments/{instrument_id}/channels",
                    {
                        "gateway_id": gateway["id"],
                        "device_key": spec.device_key,
                        "point_key": point,
                        "name": name,
                        "name_en": name_en,
                        "canonical_unit": unit,
                    },
                )
        # Kept when present: a lab manager may have tuned it.
        if api.get_or_none(f"/instruments/{instrument_id}/state-rule") is None:
            api.put(f"/instruments/{instrument_id}/state-rule", spec.state_rule)
        ensure_valid_certificate(api, instrument_id, spec.certificate_key)
    return created
