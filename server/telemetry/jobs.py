"""The server's own scheduler for telemetry upkeep: asyncio tasks in the app's lifespan.

- every ``state_interval_s`` (5 s): instrument state evaluation, changes published live;
- every ``rollup_interval_s`` (60 s): one-minute rollup upkeep, late samples included;
- every ``retention_interval_s`` (1 h): retention (drop_chunks / batched DELETE).

No external cron: several API processes may run the same jobs; row locks (states) and
advisory locks (rollups) make concurrent runs harmless. A failing job is logged once when it
starts failing and once when it recovers, and retried at its next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from server.telemetry.live import LiveHub
from server.telemetry.retention import apply_retention
from server.telemetry.rollups import maintain_rollups, roll_up_pending
from server.telemetry.states import evaluate_all

__all__ = ["JobIntervals", "TelemetryJobs"]

log = logging.getLogger("labshare.jobs")


@dataclass(frozen=True, slots=True)
class JobIntervals:
    state_interval_s: float = 5.0
    rollup_interval_s: float = 60.0
    retention_interval_s: float = 3600.0


def _now() -> datetime:
    return datetime.now(UTC)


class TelemetryJobs:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        timescaledb: bool,
        hub: LiveHub | None = None,
        intervals: JobIntervals | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.engine = engine
        self.timescaledb = timescaledb
        self.hub = hub
        self.intervals = intervals or JobIntervals()
        self.clock = clock
        # Late-sample records re-aggregated per transaction.
        self.pending_batch = 10_000
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._failing: set[str] = set()

    async def start(self) -> None:
        self._stopping = asyncio.Event()
        i = self.intervals
        for name, interval, job in (
            ("states", i.state_interval_s, self.run_states),
            ("rollups", i.rollup_interval_s, self.run_rollups),
            ("retention", i.retention_interval_s, self.run_retention),
        ):
            self._tasks.append(
                asyncio.create_task(self._every(name, interval, job), name=f"telemetry-{name}")
            )

    async def stop(self, grace_s: float = 10.0) -> None:
        self._stopping.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(asyncio.shield(task), grace_s)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()

    async def _every(
        self, name: str, interval_s: float, job: Callable[[], Awaitable[None]]
    ) -> None:
        while not self._stopping.is_set():
            try:
                await job()
            except Exception:
                if name not in self._failing:
                    log.exception(
                        "telemetry job %s failed; retrying every %.0f s", name, interval_s
                    )
                    self._failing.add(name)
            else:
                if name in self._failing:
                    log.warning("telemetry job %s works again", name)
                    self._failing.discard(name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval_s)

    async def run_states(self) -> None:
        async with self.engine.connect() as conn:
            changes = await evaluate_all(conn, self.clock())
        if changes and self.hub is not None:
            self.hub.publish_states(changes)

    async def run_rollups(self) -> None:
        async with self.engine.connect() as conn:
            # Catch up in steps, but give way to a stop request between steps.
            while not self._stopping.is_set():
                run = await maintain_rollups(conn, self.clock())
                if run.caught_up:
                    break
            # Then the minutes that late samples (a drained spool) changed behind the cursor.
            while not self._stopping.is_set():
                if await roll_up_pending(conn, limit=self.pending_batch) < self.pending_batch:
                    return

    async def run_retention(self) -> None:
        async with self.engine.connect() as conn:
            await apply_retention(conn, self.clock(), timescaledb=self.timescaledb)
