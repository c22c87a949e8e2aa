"""The demo's new instrument: a field-emission SEM set up the way a lab manager does it.

A lab manager takes a new instrument from registration to bookable and streaming in the browser
(the record, weekday opening hours, a cost model that publishes the fee, a valid calibration
certificate, a channel on a gateway). The browser journey test types exactly the values below;
the demo makes the same API calls the browser makes, in the same order, so ``make demo`` shows
an instrument in the state that journey leaves one in: bookable by an enterprise at
¥144.00 per hour and streaming its stage temperature.

The microscope's stage controller is played by a second instance of the chamber simulator held
at room temperature; the demo gateway reads its temperature register as device ``sem-1``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from server.demo.instruments import DemoApi, ensure_valid_certificate

__all__ = [
    "SEM_CONTACT",
    "SEM_COST_MODEL",
    "SEM_DEVICE_KEY",
    "SEM_ENTERPRISE_FEE",
    "SEM_INSTRUMENT",
    "SEM_OPENING_HOURS",
    "SEM_POINT",
    "SEM_RECORD",
    "SEM_STAGE_SETPOINT",
    "register_sem",
    "sem_device",
]

SEM_DEVICE_KEY = "sem-1"
SEM_POINT = "stage_temperature"
SEM_STAGE_SETPOINT = 22.0
"""°C: the simulated stage controller settles here."""

# What the manager types into the registration form (instrument and record).
SEM_INSTRUMENT: dict[str, Any] = {
    "name": "场发射扫描电子显微镜",
    "name_en": "Field-emission scanning electron microscope",
    "model": "SU5000",
    "manufacturer": "Hitachi",
    "location": "材料实验室 203",
    "is_open": True,
}
SEM_CONTACT = ("王主管", "0571-85000000")
SEM_RECORD: dict[str, Any] = {
    "category": "电子光学仪器",
    "original_value": "3200000",
    "currency": "CNY",
    "contact_name": SEM_CONTACT[0],
    "contact_phone": SEM_CONTACT[1],
}
# Weekdays 08:30–12:00 and 13:30–17:00, Beijing time.
SEM_OPENING_HOURS: dict[str, list[list[str]]] = {
    day: [["08:30", "12:00"], ["13:30", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}
# 20 consumables + 160,000 / 1,600 h depreciation = 120.00 per hour; enterprises pay 1.2×.
SEM_COST_MODEL: dict[str, Any] = {
    "consumables_per_hour": "20",
    "annual_depreciation": "160000",
    "factors": {"enterprise": "1.2"},
}
SEM_ENTERPRISE_FEE = Decimal("144.00")


def sem_device(port: int, poll_interval_s: float = 1.0) -> dict[str, Any]:
    """The gateway's view of the stage controller: its temperature register in °C."""
    return {
        "key": SEM_DEVICE_KEY,
        "protocol": "modbus_tcp",
        "host": "127.0.0.1",
        "port": port,
        "device_id": 1,
        "poll_interval_s": poll_interval_s,
        "points": [
            {
                "key": SEM_POINT,
                "register": "holding",
                "address": 0,
                "type": "float32",
                "byte_order": "ABCD",
                "source_unit": "degC",
                "unit": "degC",
            }
        ],
    }


def register_sem(base_url: str, *, email: str, password: str, gateway_key: str) -> bool:
    """Register the microscope as the browser would, unless it exists; whether it was new.

    Each later step is also made only when missing, so a demo stopped half-way finishes the
    set-up on its next start and a manager's own changes are kept.
    """
    api = DemoApi(base_url, email, password)
    gateway = next(g for g in api.get("/gateways") if g["key"] == gateway_key)
    found = next(
        (i for i in api.get("/instruments") if i["name_en"] == SEM_INSTRUMENT["name_en"]), None
    )
    created = found is None
    if found is None:
        lab_id = api.get("/labs")[0]["id"]
        found = api.post("/instruments", {**SEM_INSTRUMENT, "lab_id": lab_id})
        api.patch(f"/instruments/{found['id']}/record", SEM_RECORD)
    instrument_id = found["id"]
    record = api.get(f"/instruments/{instrument_id}/record")
    if not record.get("opening_hours"):
        api.patch(f"/instruments/{instrument_id}/record", {"opening_hours": SEM_OPENING_HOURS})
    # Every instrument answers with a cost model; one with no cost in it was never published.
    cost = api.get(f"/instruments/{instrument_id}/cost-model")
    if not any(Decimal(fee) for fees in cost["hourly_fees"].values() for fee in fees.values()):
        api.put(f"/instruments/{instrument_id}/cost-model", SEM_COST_MODEL)
    ensure_valid_certificate(api, instrument_id, "sem")
    channels = api.get(f"/instruments/{instrument_id}").get("channels", [])
    if (SEM_DEVICE_KEY, SEM_POINT) not in {(c["device_key"], c["point_key"]) for c in channels}:
        api.post(
            f"/instruments/{instrument_id}/channels",
            {
                "gateway_id": gateway["id"],
                "device_key": SEM_DEVICE_KEY,
                "point_key": SEM_POINT,
                "name": "样品台温度",
                "name_en": "Stage temperature",
                "canonical_unit": "degC",
            },
        )
    return created
