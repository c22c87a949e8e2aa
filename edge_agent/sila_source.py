"""SiLA 2 instruments: observable properties subscribed as telemetry.

One task per device connects (at ``host``/``port``, or by SiLA Server Discovery with
``server_name``), reads the features the server implements, and subscribes to each point's
observable property. The sila2 client works in threads: values are handed to the event loop
with ``call_soon_threadsafe`` and converted there, so the spool is only touched from the loop.
The task probes the server every ``watchdog_s``; when it stops answering, or a subscription
ends, the points are reported ``comm_fail`` once and the task reconnects with backoff.

Observable commands (``commands``): SiLA 2 tells an execution's state only to a client that
knows the execution's UUID, so the gateway subscribes to the property that lists the UUIDs
(``executions_property``), follows the execution info of each (at most
:data:`MAX_FOLLOWED` at a time) and publishes the number ``<key>.state``
(:data:`COMMAND_STATE_CODES`): running if any execution runs, else waiting if one waits, else
how the newest one finished. The server's status-register state rule maps it onto the
instrument state (e.g. running -> running, finished with error -> fault).

Units: a property whose data type carries the SiLA unit constraint (``<Unit><Label>°C``)
is read in that unit when the registry knows its label; a unit of another dimension than
the point's ``unit`` gives ``bad_unit``. SiLA values carry no timestamp: readings are
stamped with the gateway's clock when they arrive.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sila2.client import SilaClient
from sila2.client.client_observable_command_instance import ClientObservableCommandInstance

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import Clock
from edge_agent.poller import PreparedPoint, Reading, ReadingSink
from edge_agent.session_source import SessionSource
from edge_agent.transport import failure
from edge_agent.units import LinearConversion, UnitProblem, linear_conversion
from mqtt_contract.gateway_config import SilaCommand, SilaDevice, SilaPoint
from mqtt_contract.units import is_known_unit
from mqtt_contract.v1 import Quality

__all__ = [
    "COMMAND_STATE_CODES",
    "SilaDeviceSource",
    "close_client",
    "command_state",
    "unit_from_constraints",
]

log = logging.getLogger("edge_agent.sila_source")


def unit_from_constraints(data_type: Any) -> str | None:
    """The unit label of a SiLA data type's unit constraint, when the registry knows it."""
    for constraint in getattr(data_type, "constraints", None) or ():
        label = getattr(constraint, "label", None)
        if type(constraint).__name__ == "Unit" and isinstance(label, str):
            return label.strip() if is_known_unit(label.strip()) else None
    return None


@dataclass
class _Item:
    point: SilaPoint
    prepared: PreparedPoint
    conversion: LinearConversion | None


# An observable command's state, as numbers a status-register rule can map.
COMMAND_STATE_CODES: dict[str, int] = {
    "idle": 0,  # no execution seen yet
    "waiting": 1,
    "running": 2,
    "finishedSuccessfully": 3,
    "finishedWithError": 4,
}
MAX_FOLLOWED = 20
"""Executions followed at once per command (the newest ones)."""


def command_state(statuses: list[str]) -> int:
    """The state of a command from its executions' statuses, oldest first."""
    if "running" in statuses:
        return COMMAND_STATE_CODES["running"]
    if "waiting" in statuses:
        return COMMAND_STATE_CODES["waiting"]
    known = [s for s in statuses if s in COMMAND_STATE_CODES]
    return COMMAND_STATE_CODES[known[-1]] if known else COMMAND_STATE_CODES["idle"]


@dataclass
class _Command:
    config: SilaCommand
    prepared: PreparedPoint
    followed: dict[str, Any]  # execution UUID: its ClientObservableCommandInstance (or None)
    statuses: dict[str, str]  # execution UUID: status name, in the order they were seen


def _command_point(key: str) -> PreparedPoint:
    return PreparedPoint(
        key=key,
        unit="dimensionless",
        conversion=linear_conversion("dimensionless", "dimensionless", 1.0, 0.0),
        valid_min=None,
        valid_max=None,
        deadband=0.0,  # report changes only (and the periodic repeat)
        max_interval_ms=None,
    )


class _Followed(ClientObservableCommandInstance):  # type: ignore[type-arg]
    """An execution started by another client, followed by its UUID; reports each update."""

    def __init__(self, on_update: Callable[[str], None], *args: Any) -> None:
        self._on_update = on_update
        super().__init__(*args)

    def _update(self, new_execution_info: Any) -> None:
        super()._update(new_execution_info)
        self._on_update(new_execution_info.status.name)


class SilaDeviceSource(SessionSource):
    """Holds one SiLA client with one subscription per point."""

    def __init__(
        self,
        device: SilaDevice,
        sink: ReadingSink,
        clock: Clock,
        calibrations: CalibrationBook,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(device.key, device.reconnect_max_s, sink, clock, log, rng)
        self.device = device
        self.calibrations = calibrations
        self.items = {
            p.key: _Item(p, prepared := PreparedPoint.from_config(p), prepared.conversion)
            for p in device.points
        }
        self.commands = {
            c.key: _Command(c, _command_point(f"{c.key}.state"), {}, {}) for c in device.commands
        }
        self.notifications = 0
        # Blocking sila2 calls run in this device's own threads: a server that hangs them
        # (gRPC calls without a deadline) ties up these threads, never another device's.
        self._executor: ThreadPoolExecutor | None = None

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(4, thread_name_prefix=f"sila-{self.device.key}")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def run(self) -> None:
        try:
            await self._reconnecting()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    def _address(self) -> str:
        return self.device.server_name or f"{self.device.host}:{self.device.port}"

    def _prepared_points(self) -> Iterable[tuple[str, PreparedPoint]]:
        yield from ((key, item.prepared) for key, item in self.items.items())
        yield from ((c.prepared.key, c.prepared) for c in self.commands.values())

    def _connect(self) -> Any:
        device = self.device
        root = None
        if device.root_certificate is not None:
            with open(device.root_certificate, "rb") as handle:
                root = handle.read()
        if device.server_name is not None:
            return SilaClient.discover(
                server_name=device.server_name,
                timeout=device.timeout_s,
                insecure=device.insecure,
                root_certs=root,
            )
        assert device.host is not None
        assert device.port is not None
        return SilaClient(device.host, device.port, insecure=device.insecure, root_certs=root)

    async def _session(self) -> None:
        timeout = self.device.timeout_s
        client = await asyncio.wait_for(self._call(self._connect), timeout * 2)
        subscriptions: list[Any] = []
        loop = asyncio.get_running_loop()
        try:
            for item in self.items.values():
                prop = getattr(getattr(client, item.point.feature), item.point.property)
                item.conversion = self._server_unit(prop, item)
                subscriptions.append(
                    await self._call(
                        prop.subscribe,
                        callbacks=[
                            lambda value, key=item.point.key: loop.call_soon_threadsafe(
                                self.receive, key, value
                            )
                        ],
                    )
                )
            for command in self.commands.values():
                subscriptions.append(await self._follow_command(client, command))
            self.sessions += 1
            if self.health.status != "ok":
                log.warning(
                    "device %s: subscribed (%d properties)", self.device.key, len(subscriptions)
                )
            self.health.status, self.health.error = "ok", None
            self.health.last_ok_ms = self.clock.wall_ms()
            self.health.failures = 0
            while True:
                await asyncio.sleep(self.device.watchdog_s)
                await asyncio.wait_for(self._call(client.SiLAService.ServerName.get), timeout)
                ended = [s for s in subscriptions if s.is_cancelled]
                if ended:
                    raise ConnectionError("a property subscription ended")
                self.health.polls += 1
                self.health.last_ok_ms = self.clock.wall_ms()
                self._repeat_command_states()
        finally:
            for subscription in subscriptions:
                subscription.cancel()
            for command in self.commands.values():
                self._unfollow(command, list(command.followed))
            await self._call(close_client, client)

    # -- observable commands ----------------------------------------------------------------
    async def _follow_command(self, client: Any, command: _Command) -> Any:
        """Subscribe to the command's executions property; follow each execution it names."""
        loop = asyncio.get_running_loop()
        config = command.config
        feature = getattr(client, config.feature)
        getattr(feature, config.command)  # the command exists, or the session fails here
        prop = getattr(feature, config.executions_property)

        def executions(value: Any) -> None:
            uuids = [value] if isinstance(value, str) else list(value or ())
            loop.call_soon_threadsafe(self._executions, client, command, [str(u) for u in uuids])

        return await self._call(prop.subscribe, callbacks=[executions])

    def _executions(self, client: Any, command: _Command, uuids: list[str]) -> None:
        """The executions property changed (on the event loop): follow the newest ones."""
        wanted = [u for u in uuids if u][-MAX_FOLLOWED:]
        self._unfollow(command, [u for u in command.followed if u not in wanted])
        for execution in wanted:
            if execution in command.followed:
                continue
            command.followed[execution] = None  # its status counts from its first info
            task = asyncio.get_running_loop().create_task(self._attach(client, command, execution))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        self._publish_command(command)

    async def _attach(self, client: Any, command: _Command, execution: str) -> None:
        loop = asyncio.get_running_loop()
        config = command.config

        def update(status: str) -> None:
            loop.call_soon_threadsafe(self._execution_status, command, execution, status)

        def follow() -> Any:
            cmd = getattr(getattr(client, config.feature), config.command)
            return _Followed(update, client, cmd, uuid.UUID(execution))

        try:
            instance = await self._call(follow)
        except Exception as exc:  # an unknown or expired UUID: the server forgot it
            log.warning(
                "device %s: execution not followed: %s",
                self.device.key,
                failure(exc, f"following execution {execution} of {config.command}"),
            )
            command.statuses.pop(execution, None)
            self._publish_command(command)
            return
        if execution in command.followed:
            command.followed[execution] = instance
        else:  # no longer wanted while it was being attached
            instance.cancel_execution_info_subscription()

    def _execution_status(self, command: _Command, execution: str, status: str) -> None:
        if execution not in command.followed:
            return
        command.statuses[execution] = status
        self._publish_command(command)

    def _unfollow(self, command: _Command, executions: list[str]) -> None:
        for execution in executions:
            instance = command.followed.pop(execution, None)
            if instance is not None:
                instance.cancel_execution_info_subscription()
            command.statuses.pop(execution, None)

    def _publish_command(self, command: _Command, *, repeat: bool = False) -> None:
        ts_ms = self.clock.wall_ms()
        # In the order the instrument lists its executions (oldest first), not as infos came.
        statuses = [command.statuses[u] for u in command.followed if u in command.statuses]
        value = float(command_state(statuses))
        prepared = command.prepared
        if not repeat and not prepared.should_report(ts_ms, value, Quality.OK):
            return
        prepared.last_report_ms, prepared.last_value, prepared.last_quality = (
            ts_ms,
            value,
            Quality.OK,
        )
        self.sink.submit(
            [
                Reading(
                    device=self.device.key,
                    point=prepared.key,
                    unit=prepared.unit,
                    ts_ms=ts_ms,
                    value=value,
                    quality=Quality.OK,
                )
            ]
        )

    def _repeat_command_states(self) -> None:
        """Publish again a command state that has not changed for its repeat period."""
        now = self.clock.wall_ms()
        for command in self.commands.values():
            last = command.prepared.last_report_ms
            if last is not None and now - last >= command.config.repeat_s * 1000:
                self._publish_command(command, repeat=True)

    def _server_unit(self, prop: Any, item: _Item) -> LinearConversion | None:
        if not item.point.units_from_server:
            return item.prepared.conversion
        wrapped = getattr(prop, "_wrapped_property", None)
        stated = unit_from_constraints(getattr(wrapped, "data_type", None))
        if stated is None:
            return item.prepared.conversion
        try:
            return linear_conversion(
                stated, item.prepared.unit, item.point.scale, item.point.offset
            )
        except UnitProblem as exc:
            log.error("device %s point %s: %s", self.device.key, item.point.key, exc)
            return None

    def receive(self, key: str, raw: Any) -> Reading | None:
        """Turn one property value into a reading (called on the event loop)."""
        item = self.items[key]
        self.notifications += 1
        self.health.reads += 1
        ts_ms = self.clock.wall_ms()
        number: float | None = None
        if isinstance(raw, bool):
            number = 1.0 if raw else 0.0
        elif isinstance(raw, int | float) and math.isfinite(raw):
            number = float(raw)
        prepared = item.prepared
        value: float | None = None
        correction_id = None
        if item.conversion is None:
            quality = Quality.BAD_UNIT
        else:
            if number is not None:
                value, correction_id = self.calibrations.correct(
                    self.device.key, key, ts_ms, item.conversion(number)
                )
            quality = prepared.quality_of(value)
        if not prepared.should_report(ts_ms, value, quality):
            return None
        reading = Reading(
            device=self.device.key,
            point=key,
            unit=prepared.unit,
            ts_ms=ts_ms,
            value=value,
            quality=quality,
            correction_id=correction_id,
        )
        self.sink.submit([reading])
        return reading


def close_client(client: Any) -> None:
    """Close the channel and the worker threads the sila2 client keeps for subscriptions."""
    client.close()
    executor = getattr(client, "_task_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)
