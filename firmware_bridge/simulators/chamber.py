"""Modbus TCP temperature chamber (the demo's 高低温试验箱, model SETH-Z-040L).

Holding registers, big-endian words and bytes (ABCD)::

    0-1  temperature   float32  degC      read-only
    2-3  setpoint      float32  degC      writable (-70 .. 180)
    4-5  humidity      float32  percent   read-only
    6    power         uint16   W         read-only
    7    status        uint16             0 off, 1 idle, 2 running, 3 fault
    8    run_enabled   uint16             writable (0 or 1)
    9    fan_speed     uint16   rpm       read-only (air circulation fan)
    10   probe_loop    uint16   µA        read-only: a 4-20 mA transmitter on a sample probe,
                                          -70 °C at 4 mA, 180 °C at 20 mA; 0 µA (a loop
                                          fault) while the chamber is switched off

The chamber air follows the setpoint with a first-order lag while running and relaxes to
ambient otherwise. The model advances lazily from a monotonic clock at each access, so a
test can drive it with a fake clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from firmware_bridge.faults import Fault, FaultPlan
from firmware_bridge.modbus_server import HoldingBlock, RegisterImageServer, WriteRejected

__all__ = [
    "REGISTER_COUNT",
    "ChamberModel",
    "ChamberSimulator",
    "ChamberStatus",
    "Register",
    "float32_words",
    "words_float32",
]


class Register(IntEnum):
    TEMPERATURE = 0
    SETPOINT = 2
    HUMIDITY = 4
    POWER = 6
    STATUS = 7
    RUN_ENABLED = 8
    FAN_SPEED = 9
    PROBE_LOOP = 10


REGISTER_COUNT = 11
PROBE_RANGE_DEGC = (-70.0, 180.0)
SETPOINT_RANGE_DEGC = (-70.0, 180.0)


class ChamberStatus(IntEnum):
    OFF = 0
    IDLE = 1
    RUNNING = 2
    FAULT = 3


def float32_words(value: float) -> tuple[int, int]:
    """A float32 as two big-endian registers (ABCD)."""
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return high, low


def words_float32(high: int, low: int) -> float:
    value: float = struct.unpack(">f", struct.pack(">HH", high, low))[0]
    return value


@dataclass
class ChamberModel:
    """Thermal behaviour of the chamber, independent of Modbus."""

    ambient_degc: float = 25.0
    #: Time constant while heating/cooling actively (s); the demo wants visible movement.
    time_constant_s: float = 90.0
    #: Passive drift back to ambient is slower than active control.
    passive_time_constant_s: float = 600.0
    idle_power_w: float = 120.0
    power_per_kelvin_w: float = 35.0
    max_power_w: float = 6500.0
    temperature_degc: float = 25.0
    setpoint_degc: float = 25.0
    run_enabled: bool = False
    powered: bool = True
    faulted: bool = False
    elapsed_s: float = 0.0

    def advance(self, dt_s: float) -> None:
        if dt_s <= 0:
            return
        self.elapsed_s += dt_s
        if self.status is ChamberStatus.RUNNING:
            target, tau = self.setpoint_degc, self.time_constant_s
        else:
            target, tau = self.ambient_degc, self.passive_time_constant_s
        self.temperature_degc = target + (self.temperature_degc - target) * math.exp(-dt_s / tau)

    @property
    def status(self) -> ChamberStatus:
        if not self.powered:
            return ChamberStatus.OFF
        if self.faulted:
            return ChamberStatus.FAULT
        return ChamberStatus.RUNNING if self.run_enabled else ChamberStatus.IDLE

    @property
    def power_w(self) -> int:
        if self.status is not ChamberStatus.RUNNING:
            return 0
        demand = self.idle_power_w + self.power_per_kelvin_w * abs(
            self.setpoint_degc - self.ambient_degc
        )
        return round(min(demand, self.max_power_w))

    @property
    def humidity_percent(self) -> float:
        # Relative humidity drops as the same air is heated; a slow wave keeps the trace alive.
        base = 55.0 - 0.4 * (self.temperature_degc - self.ambient_degc)
        wave = 3.0 * math.sin(self.elapsed_s / 180.0)
        return max(5.0, min(98.0, base + wave))

    @property
    def fan_speed_rpm(self) -> int:
        # Full speed while running, a slow stir while idle, stopped when off or faulted.
        return {ChamberStatus.RUNNING: 1500, ChamberStatus.IDLE: 600}.get(self.status, 0)

    @property
    def probe_loop_ua(self) -> int:
        """The sample probe's loop current in µA; the loop is powered by the chamber."""
        if not self.powered:
            return 0
        low, high = PROBE_RANGE_DEGC
        fraction = (self.temperature_degc - low) / (high - low)
        milliamperes = min(20.5, max(3.8, 4.0 + 16.0 * fraction))
        return round(milliamperes * 1000)

    def registers(self) -> list[int]:
        image = [0] * REGISTER_COUNT
        image[0:2] = float32_words(self.temperature_degc)
        image[2:4] = float32_words(self.setpoint_degc)
        image[4:6] = float32_words(self.humidity_percent)
        image[Register.POWER] = self.power_w
        image[Register.STATUS] = int(self.status)
        image[Register.RUN_ENABLED] = int(self.run_enabled)
        image[Register.FAN_SPEED] = self.fan_speed_rpm
        image[Register.PROBE_LOOP] = self.probe_loop_ua
        return image

    def write(self, address: int, values: list[int]) -> None:
        """Apply a Modbus write (already limited to writable registers by the server)."""
        image = self.registers()
        for offset, value in enumerate(values):
            image[address + offset] = value
        if address <= Register.SETPOINT + 1 and address + len(values) > Register.SETPOINT:
            setpoint = words_float32(image[2], image[3])
            low, high = SETPOINT_RANGE_DEGC
            if not (math.isfinite(setpoint) and low <= setpoint <= high):
                raise WriteRejected(f"setpoint {setpoint!r} outside {low}..{high} degC")
            self.setpoint_degc = setpoint
        if address <= Register.RUN_ENABLED < address + len(values):
            run_enabled = image[Register.RUN_ENABLED]
            if run_enabled not in (0, 1):
                raise WriteRejected(f"run_enabled must be 0 or 1, got {run_enabled}")
            self.run_enabled = bool(run_enabled)


class ChamberSimulator:
    """The chamber behind a Modbus TCP server; ``start()`` returns the bound port."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        device_id: int = 1,
        model: ChamberModel | None = None,
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model or ChamberModel()
        self.faults = faults or FaultPlan()
        self._clock = clock
        self._last_tick = clock()
        self._server = RegisterImageServer(
            blocks=[
                HoldingBlock(Register.TEMPERATURE, 2),
                HoldingBlock(Register.SETPOINT, 2, writable=True),
                HoldingBlock(Register.HUMIDITY, 4),
                HoldingBlock(Register.RUN_ENABLED, 1, writable=True),
                HoldingBlock(Register.FAN_SPEED, 2),
            ],
            read_image=self._image,
            on_write=self.model.write,
            host=host,
            port=port,
            device_id=device_id,
            before_request=self._before_request,
        )

    @property
    def port(self) -> int | None:
        return self._server.port

    @property
    def host(self) -> str:
        return self._server.host

    def _tick(self) -> None:
        now = self._clock()
        self.model.advance(now - self._last_tick)
        self._last_tick = now

    def _image(self) -> list[int]:
        self._tick()
        self.model.faulted = self.faults.is_active(Fault.DEVICE_FAULT)
        return self.model.registers()

    async def _before_request(self) -> bool:
        if self.faults.is_active(Fault.SLOW):
            await asyncio.sleep(self.faults.slow_reply_s)
        if self.faults.take(Fault.DROP):
            self._server.drop_connections()
            return False
        return True

    def inject(self, fault: Fault) -> None:
        """Turn a fault on (``DROP`` also closes current connections right away)."""
        self.faults.inject(fault)
        if fault is Fault.DROP and self._server.drop_connections():
            self.faults.clear(Fault.DROP)

    def clear(self, fault: Fault | None = None) -> None:
        self.faults.clear(fault)

    async def start(self) -> int:
        self._last_tick = self._clock()
        return await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    async def serve(self) -> None:
        """Run until cancelled (the CLI's entry point)."""
        await self._server.serve_forever()
