"""Device polling: fixed-grid schedule, block reads, decoding, conversion, quality.

Each device runs in its own task with its own circuit breaker, so a dead device waits out
its backoff alone while the others keep their schedule. A failing device is logged once at
error level when it starts failing and once when it recovers, not on every poll.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import Clock, first_tick, grid_phase, next_tick, raise_if_cancelled
from edge_agent.decoding import decode_block
from edge_agent.planner import ReadBlock, RequestPlanner
from edge_agent.transport import CommError, IllegalAddress, ModbusTransport
from edge_agent.units import LinearConversion, LoopSignal, linear_conversion, loop_signal
from mqtt_contract.gateway_config import (
    ModbusDevice,
    ModbusPoint,
    MqttPoint,
    OpcUaPoint,
    SilaPoint,
)
from mqtt_contract.v1 import DeviceStatus, Quality

__all__ = [
    "CircuitBreaker",
    "DeviceHealth",
    "DevicePoller",
    "PreparedPoint",
    "Reading",
    "ReadingSink",
    "run_forever",
    "run_restarting",
]

log = logging.getLogger("edge_agent.poller")


@dataclass(frozen=True, slots=True)
class Reading:
    """One converted, corrected value on its way into the spool."""

    device: str
    point: str
    unit: str
    ts_ms: int
    value: float | None
    quality: Quality
    latency_ms: float | None = None
    correction_id: str | None = None


class ReadingSink(Protocol):
    def submit(self, readings: Sequence[Reading]) -> None: ...


@dataclass
class PreparedPoint:
    """A point with its conversion derived once and its reporting state."""

    key: str
    unit: str
    conversion: LinearConversion
    valid_min: float | None
    valid_max: float | None
    deadband: float | None
    max_interval_ms: int | None
    loop: LoopSignal | None = None
    last_value: float | None = None
    last_quality: Quality | None = None
    last_report_ms: int | None = None

    @classmethod
    def from_config(cls, point: ModbusPoint | MqttPoint | OpcUaPoint | SilaPoint) -> PreparedPoint:
        deadband = point.deadband
        if deadband is None and point.report_on_change:
            deadband = 0.0
        loop: LoopSignal | None = None
        if point.loop is not None:
            loop = loop_signal(
                point.source_unit,
                point.scale,
                point.offset,
                point.loop.range,
                point.loop.unit,
                point.target_unit,
                (
                    point.loop.low_fault_ma,
                    point.loop.low_limit_ma,
                    point.loop.high_limit_ma,
                    point.loop.high_fault_ma,
                ),
            )
        return cls(
            key=point.key,
            unit=point.target_unit,
            conversion=(
                loop.to_ma.then(loop.to_value)
                if loop is not None
                else linear_conversion(
                    point.source_unit, point.target_unit, point.scale, point.offset
                )
            ),
            valid_min=point.valid_min,
            valid_max=point.valid_max,
            deadband=deadband,
            max_interval_ms=round(point.max_interval_s * 1000) if point.max_interval_s else None,
            loop=loop,
        )

    def convert(self, raw: float | None) -> tuple[float | None, Quality | None]:
        """The value of a raw reading and, for a loop point, the quality the loop decides.

        ``None`` as quality: judge the (corrected) value with :meth:`quality_of`.
        """
        if raw is None:
            return None, None
        if self.loop is not None:
            return self.loop.read(raw)
        return self.conversion(raw), None

    def quality_of(self, value: float | None) -> Quality:
        if value is None:
            return Quality.OUT_OF_RANGE
        if (self.valid_min is not None and value < self.valid_min) or (
            self.valid_max is not None and value > self.valid_max
        ):
            return Quality.OUT_OF_RANGE
        return Quality.OK

    def should_report(self, ts_ms: int, value: float | None, quality: Quality) -> bool:
        """Deadband / report-on-change filter; quality changes and max_interval always pass."""
        report = (
            self.deadband is None
            or self.last_report_ms is None
            or quality != self.last_quality
            or (
                self.max_interval_ms is not None
                and ts_ms - self.last_report_ms >= self.max_interval_ms
            )
            or _moved(self.last_value, value, self.deadband)
        )
        if report:
            self.last_value, self.last_quality, self.last_report_ms = value, quality, ts_ms
        return report


def _moved(last: float | None, value: float | None, deadband: float) -> bool:
    if last is None or value is None:
        return last is not value
    if deadband == 0:
        return value != last
    return abs(value - last) >= deadband


class CircuitBreaker:
    """Exponential backoff with jitter after consecutive failures."""

    def __init__(
        self, base_s: float, max_s: float = 60.0, rng: random.Random | None = None
    ) -> None:
        self.base_s = base_s
        self.max_s = max(max_s, base_s)
        self.failures = 0
        self.open_until = 0.0
        self._rng = rng or random.Random()

    def allow(self, now: float) -> bool:
        return now >= self.open_until

    def failure(self, now: float) -> bool:
        """Count a failure; True when this starts a failing streak."""
        self.failures += 1
        delay = min(self.max_s, self.base_s * 2 ** (self.failures - 1))
        # Jitter keeps devices that failed together (a shared switch) from retrying in lockstep.
        self.open_until = now + delay * self._rng.uniform(0.5, 1.0)
        return self.failures == 1

    def success(self) -> bool:
        """Reset; True when this ends a failing streak."""
        recovered = self.failures > 0
        self.failures = 0
        self.open_until = 0.0
        return recovered


@dataclass
class DeviceHealth:
    device: str
    status: str = "ok"
    last_ok_ms: int | None = None
    error: str | None = None
    polls: int = 0
    failures: int = 0
    reads: int = 0
    last_latency_ms: float | None = None
    holes: list[str] = field(default_factory=list)

    def to_contract(self) -> DeviceStatus:
        status = self.status if self.status in ("ok", "failing", "disabled") else "failing"
        return DeviceStatus(
            device=self.device,
            status=status,
            last_ok_ms=self.last_ok_ms,
            error=self.error,
        )


class DevicePoller:
    """Polls one Modbus device on a fixed grid and hands readings to the sink."""

    def __init__(
        self,
        device: ModbusDevice,
        transport: ModbusTransport,
        sink: ReadingSink,
        clock: Clock,
        calibrations: CalibrationBook,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.device = device
        self.transport = transport
        self.sink = sink
        self.clock = clock
        self.calibrations = calibrations
        self.breaker = breaker or CircuitBreaker(base_s=device.poll_interval_s)
        self.planner = RequestPlanner(
            device.points,
            max_gap=device.max_gap,
            max_registers=device.max_read_registers,
            max_bits=device.max_read_bits,
        )
        self.points = {p.key: PreparedPoint.from_config(p) for p in device.points}
        self.health = DeviceHealth(device=device.key)
        self.missed_ticks = 0
        self.phase_s = grid_phase(device.key, device.poll_interval_s)

    async def run(self) -> None:
        interval = self.device.poll_interval_s
        # Ticks at origin + k·interval, origin on the device's phase, so the gateway's polls
        # are spread over the interval instead of all queueing on the event loop at once.
        origin = first_tick(self.clock, interval, self.phase_s)
        k = 0
        while True:
            raise_if_cancelled()
            await self.clock.sleep_until(origin + k * interval)
            raise_if_cancelled()
            if self.breaker.allow(self.clock.monotonic()):
                await self.poll_once()
                raise_if_cancelled()
            next_k, _ = next_tick(origin, interval, self.clock.monotonic())
            self.missed_ticks += max(0, next_k - k - 1)
            k = next_k

    async def poll_once(self) -> list[Reading]:
        readings: list[Reading] = []
        pending: list[ReadBlock] = list(self.planner.blocks)
        self.health.polls += 1
        failure: CommError | None = None
        answered = False
        while pending:
            block = pending.pop(0)
            if failure is not None:
                readings.extend(self._failed(block, self.clock.wall_ms()))
                continue
            started = self.clock.monotonic()
            wall_started = self.clock.wall_ms()
            try:
                values = await self.transport.read(
                    block.kind, block.start, block.count, self.device.device_id
                )
            except IllegalAddress:
                answered = True
                before = {b.points for b in self.planner.blocks}
                holes = self.planner.illegal_address(block)
                for key in holes:
                    log.warning(
                        "device %s: point %s is not readable (illegal data address); "
                        "no longer requested",
                        self.device.key,
                        key,
                    )
                    readings.extend(self._failed_point(key, self.clock.wall_ms()))
                pending.extend(b for b in self.planner.blocks if b.points not in before)
                self.health.holes = sorted(self.planner.holes)
                continue
            except CommError as exc:
                failure = exc
                readings.extend(self._failed(block, wall_started))
                continue
            answered = True
            self.health.reads += 1
            latency_ms = (self.clock.monotonic() - started) * 1000
            self.health.last_latency_ms = latency_ms
            # The device sampled somewhere inside the round trip; the midpoint is the best guess.
            ts_ms = wall_started + round(latency_ms / 2)
            raw_values = decode_block(values, block.decoders, block.bits)
            for point, raw in zip(block.points, raw_values, strict=True):
                readings.extend(self._reading(point.key, ts_ms, raw, latency_ms))
        self._update_health(failure, answered)
        if readings:
            self.sink.submit(readings)
        return readings

    def _update_health(self, failure: CommError | None, answered: bool) -> None:
        now = self.clock.monotonic()
        if failure is not None and not answered:
            self.health.failures += 1
            self.health.error = str(failure)
            if self.breaker.failure(now):
                self.health.status = "failing"
                log.error("device %s is not answering: %s", self.device.key, failure)
            return
        if self.breaker.success():
            log.warning("device %s answers again", self.device.key)
        self.health.status = "ok"
        self.health.error = None
        self.health.last_ok_ms = self.clock.wall_ms()

    def _reading(
        self, key: str, ts_ms: int, raw: float | None, latency_ms: float | None
    ) -> list[Reading]:
        prepared = self.points[key]
        value, decided = prepared.convert(raw)
        value, correction_id = self.calibrations.correct(self.device.key, key, ts_ms, value)
        quality = decided if decided is not None else prepared.quality_of(value)
        if not prepared.should_report(ts_ms, value, quality):
            return []
        return [
            Reading(
                device=self.device.key,
                point=key,
                unit=prepared.unit,
                ts_ms=ts_ms,
                value=value,
                quality=quality,
                latency_ms=round(latency_ms, 3) if latency_ms is not None else None,
                correction_id=correction_id,
            )
        ]

    def _failed_point(self, key: str, ts_ms: int) -> list[Reading]:
        prepared = self.points[key]
        if not prepared.should_report(ts_ms, None, Quality.COMM_FAIL):
            return []
        return [
            Reading(
                device=self.device.key,
                point=key,
                unit=prepared.unit,
                ts_ms=ts_ms,
                value=None,
                quality=Quality.COMM_FAIL,
            )
        ]

    def _failed(self, block: ReadBlock, ts_ms: int) -> list[Reading]:
        out: list[Reading] = []
        for point in block.points:
            out.extend(self._failed_point(point.key, ts_ms))
        return out


async def run_restarting(
    run: Callable[[], Awaitable[None]], device_key: str, *, what: str, pause_s: float
) -> None:
    """Run a device's poller or source, surviving unexpected errors so one bug never silences
    a device for good (a crash is logged, and ``run`` starts again after ``pause_s``)."""
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("device %s %s crashed; restarting", device_key, what)
            await asyncio.sleep(pause_s)


async def run_forever(poller: DevicePoller) -> None:
    """Run a poller for good (``run_restarting``, pausing one poll interval after a crash)."""
    await run_restarting(
        poller.run, poller.device.key, what="poller", pause_s=poller.device.poll_interval_s
    )
