"""Time sources behind a small Protocol, so schedules can be tested without waiting."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Protocol

__all__ = [
    "GRID_SLOTS",
    "Clock",
    "FakeClock",
    "SystemClock",
    "first_tick",
    "grid_phase",
    "next_tick",
    "raise_if_cancelled",
]

# Phases a device's ticks may take within its interval (see grid_phase).
GRID_SLOTS = 10


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def wall_ms(self) -> int: ...

    async def sleep_until(self, deadline: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class FakeClock:
    """Virtual time: sleeping jumps the clock forward instead of waiting."""

    def __init__(self, start: float = 1000.0, wall_ms_at_start: int = 1_700_000_000_000) -> None:
        self.now = start
        self._start = start
        self._wall0 = wall_ms_at_start

    def monotonic(self) -> float:
        return self.now

    def wall_ms(self) -> int:
        return self._wall0 + round((self.now - self._start) * 1000)

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep_until(self, deadline: float) -> None:
        if deadline > self.now:
            self.now = deadline
        await asyncio.sleep(0)


def next_tick(start: float, interval: float, now: float) -> tuple[int, float]:
    """Index and time of the next grid tick strictly after ``now``.

    Ticks sit at ``start + k * interval``; a late poll skips the ticks it missed rather than
    firing them in a burst, and rounding errors never accumulate into drift.
    """
    k = int((now - start) // interval) + 1
    deadline = start + k * interval
    if deadline <= now:  # float rounding at an exact multiple
        k += 1
        deadline = start + k * interval
    return k, deadline


def grid_phase(key: str, interval: float) -> float:
    """Where in each interval a device's ticks fall, in seconds, the same on every start.

    Pollers that all ticked at once queued their polls behind one another on the event loop at
    every tick, so the last ones started tens of milliseconds late. A stable hash of the device
    key picks one of ``GRID_SLOTS`` evenly spaced phases; unlike an index in the device list,
    it does not move when other devices are added or removed. Whole slots rather than a phase
    per device because the polls of one slot still share event-loop wake-ups: spreading 100
    devices over 100 distinct instants cut the tail as well but cost the gateway and the
    simulators about 40% more CPU per point (docs/benchmarks.md).
    """
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    slot = int.from_bytes(digest, "big") * GRID_SLOTS >> 64
    return slot / GRID_SLOTS * interval


def first_tick(clock: Clock, interval: float, phase: float) -> float:
    """Monotonic time of the first tick at or after now, ticks falling at wall ≡ phase mod interval.

    The grid is anchored to the wall clock once, at start, and followed on the monotonic clock
    from there: a restart or a pushed configuration resumes the same sampling instants, and a
    later step of the wall clock cannot move the schedule.
    """
    now = clock.monotonic()
    wall_s = clock.wall_ms() / 1000
    return now + (phase - wall_s) % interval


def raise_if_cancelled() -> None:
    """Honour a cancellation that a library swallowed.

    On Python 3.11, ``asyncio.wait_for`` (used inside pymodbus) drops a
    cancellation that arrives just as the awaited result does; the task's ``cancelling()``
    count still records it. Long-running loops call this once per iteration so that stopping
    a poller never depends on winning that race.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
