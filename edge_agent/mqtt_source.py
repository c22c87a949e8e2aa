"""Instruments that publish JSON over MQTT themselves (or through firmware_bridge)."""

from __future__ import annotations

import json
import logging
import math
import re
from functools import lru_cache
from typing import Any

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import Clock
from edge_agent.poller import DeviceHealth, PreparedPoint, Reading, ReadingSink
from edge_agent.units import LinearConversion, UnitProblem, linear_conversion
from mqtt_contract.gateway_config import MqttDevice, MqttPoint
from mqtt_contract.v1 import Quality

__all__ = ["MqttDeviceSource", "extract_field"]

log = logging.getLogger("edge_agent.mqtt_source")

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def extract_field(document: Any, path: str) -> Any:
    """Follow a dotted path with list indexes (``data.values[2].t``); None if absent."""
    current = document
    for name, index in _PATH_PART.findall(path):
        if name:
            if not isinstance(current, dict) or name not in current:
                return None
            current = current[name]
        else:
            i = int(index)
            if not isinstance(current, list) or i >= len(current):
                return None
            current = current[i]
    return current


def _stated_conversion(
    stated: Any, point: MqttPoint, prepared: PreparedPoint
) -> LinearConversion | None:
    """Conversion for the unit a message states; None when it cannot be converted."""
    if stated is None or stated == point.source_unit:
        return prepared.conversion
    if not isinstance(stated, str):
        return None
    try:
        return _cached_conversion(stated, prepared.unit, point.scale, point.offset)
    except UnitProblem:
        return None


@lru_cache(maxsize=256)
def _cached_conversion(source: str, target: str, scale: float, offset: float) -> LinearConversion:
    return linear_conversion(source, target, scale, offset)


class MqttDeviceSource:
    """Turns each message on a device topic into readings; marks points stale when silent."""

    def __init__(
        self, device: MqttDevice, sink: ReadingSink, clock: Clock, calibrations: CalibrationBook
    ) -> None:
        self.device = device
        self.sink = sink
        self.clock = clock
        self.calibrations = calibrations
        self.points = {p.key: PreparedPoint.from_config(p) for p in device.points}
        self.health = DeviceHealth(device=device.key, status="failing", error="no message yet")
        self._last_message: float | None = None
        self._stale_reported = False

    def handle(self, payload: bytes) -> list[Reading]:
        ts_ms = self.clock.wall_ms()
        self._last_message = self.clock.monotonic()
        self._stale_reported = False
        try:
            document = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("device %s: message is not JSON; ignored", self.device.key)
            return []
        if self.health.status != "ok":
            log.info("device %s: receiving", self.device.key)
        self.health.status, self.health.error, self.health.last_ok_ms = "ok", None, ts_ms
        readings: list[Reading] = []
        for point in self.device.points:
            raw = extract_field(document, point.field)
            number: float | None = None
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                number = float(raw) if math.isfinite(raw) else None
            elif isinstance(raw, bool):
                number = 1.0 if raw else 0.0
            prepared = self.points[point.key]
            conversion: LinearConversion | None = prepared.conversion
            if point.unit_field is not None:
                conversion = _stated_conversion(
                    extract_field(document, point.unit_field), point, prepared
                )
            value: float | None = None
            correction_id: str | None = None
            if conversion is None:
                quality = Quality.BAD_UNIT
            else:
                value = conversion(number) if number is not None else None
                value, correction_id = self.calibrations.correct(
                    self.device.key, point.key, ts_ms, value
                )
                quality = prepared.quality_of(value)
            if prepared.should_report(ts_ms, value, quality):
                readings.append(
                    Reading(
                        device=self.device.key,
                        point=point.key,
                        unit=prepared.unit,
                        ts_ms=ts_ms,
                        value=value,
                        quality=quality,
                        correction_id=correction_id,
                    )
                )
        if readings:
            self.sink.submit(readings)
        return readings

    def check_stale(self) -> list[Reading]:
        """One ``stale`` reading per point when the device has been silent too long."""
        if self._stale_reported:
            return []
        now = self.clock.monotonic()
        if self._last_message is not None and now - self._last_message < self.device.stale_after_s:
            return []
        if self._last_message is None:
            return []
        self._stale_reported = True
        self.health.status, self.health.error = "failing", "no message within stale_after_s"
        log.error("device %s: silent for %.0f s", self.device.key, now - self._last_message)
        ts_ms = self.clock.wall_ms()
        readings = [
            Reading(
                device=self.device.key,
                point=p.key,
                unit=p.unit,
                ts_ms=ts_ms,
                value=None,
                quality=Quality.STALE,
            )
            for p in self.points.values()
            if p.should_report(ts_ms, None, Quality.STALE)
        ]
        if readings:
            self.sink.submit(readings)
        return readings
