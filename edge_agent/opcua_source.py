"""OPC UA instruments, with the LADS companion specification's functional units.

One task per device holds a session and one subscription: each point is a monitored item
with its own sampling interval and, optionally, a deadband the server applies. The task
probes the connection every ``watchdog_s``; when the server stops answering it reports the
points ``comm_fail`` once, backs off (with jitter, up to ``reconnect_max_s``), reconnects and
creates the subscription again. A dead server only ever delays its own task.

Status codes map onto the contract's quality (see :func:`quality_for_status`), timestamps
are the value's source timestamp (else the server's, else the gateway's clock), and a
node's ``EngineeringUnits`` (EUInformation) replace the configured ``source_unit``.

For a LADS functional unit the state machine's ``CurrentState`` becomes the number
``<unit>.state`` (:data:`LADS_STATE_CODES`), which the server's status-register state rule
maps onto the instrument state; the active program's runtime and step number are points too.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.crypto import security_policies
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import Clock
from edge_agent.poller import PreparedPoint, Reading, ReadingSink
from edge_agent.program_outbox import ProgramOutbox
from edge_agent.session_source import SessionSource
from edge_agent.transport import failure
from edge_agent.units import LinearConversion, UnitProblem, linear_conversion
from mqtt_contract.gateway_config import LadsResultValue, OpcUaDevice, OpcUaPoint
from mqtt_contract.program_v1 import ProgramRun, ResultValue
from mqtt_contract.units import is_known_unit
from mqtt_contract.v1 import Quality

__all__ = [
    "LADS_STATE_CODES",
    "OpcUaDeviceSource",
    "lads_state_code",
    "quality_for_status",
    "unit_from_eu",
]

log = logging.getLogger("edge_agent.opcua_source")

# ServerStatus.State: read as the connection probe.
_SERVER_STATE = "i=2259"

# The LADS FunctionalUnitStateMachine's states, as numbers a status-register rule can map.
LADS_STATE_CODES: dict[str, int] = {
    "stopped": 0,
    "running": 1,
    "stopping": 2,
    "aborting": 3,
    "aborted": 4,
    "clearing": 5,
}

# Uncertain sub-codes that mean "an old value": reported stale, value kept.
_UNCERTAIN_OLD = {
    StatusCodes.UncertainLastUsableValue,
    StatusCodes.UncertainNoCommunicationLastUsableValue,
    StatusCodes.UncertainSubstituteValue,
    StatusCodes.UncertainInitialValue,
}


def quality_for_status(code: int) -> tuple[Quality | None, bool]:
    """The quality an OPC UA status code means, and whether the value is kept.

    Good: ``None`` (the value is judged by the point's valid range like any other reading).
    Uncertain: a last usable, substitute or initial value is ``stale``; anything else
    (engineering units exceeded, sensor not accurate, simulated, ...) is ``out_of_range``;
    the value is kept in both cases. Bad: no value; ``out_of_range`` for Bad_OutOfRange,
    ``comm_fail`` for everything else.
    """
    severity = code >> 30  # 0 good, 1 uncertain, 2/3 bad
    sub = code & 0xFFFF0000
    if severity == 0:
        return None, True
    if severity == 1:
        return (Quality.STALE if sub in _UNCERTAIN_OLD else Quality.OUT_OF_RANGE), True
    if sub == StatusCodes.BadOutOfRange:
        return Quality.OUT_OF_RANGE, False
    return Quality.COMM_FAIL, False


# UN/ECE Recommendation 20 common codes (OPC UA's EUInformation.UnitId) labs meet most.
UNECE_UNITS: dict[str, str] = {
    "CEL": "degC",
    "KEL": "K",
    "FAH": "degF",
    "P1": "percent",
    "C62": "dimensionless",
    "PAL": "Pa",
    "KPA": "kPa",
    "MPA": "MPa",
    "BAR": "bar",
    "MBR": "mbar",
    "HBA": "hPa",
    "WTT": "W",
    "KWT": "kW",
    "VLT": "V",
    "MVL": "mV",
    "AMP": "A",
    "4K": "mA",
    "MTR": "m",
    "MMT": "mm",
    "CMT": "cm",
    "KGM": "kg",
    "GRM": "g",
    "MGM": "mg",
    "SEC": "s",
    "C26": "ms",
    "MIN": "min",
    "HUR": "h",
    "LTR": "L",
    "MLT": "mL",
    "HTZ": "Hz",
    "RPM": "rpm",
    "MTS": "m/s",
    "L2": "L/min",
    "59": "ppm",
    "61": "ppb",
}


def unece_code(unit_id: int) -> str:
    """The UN/ECE common code packed into an EUInformation.UnitId (ASCII, big-endian)."""
    chars = [(unit_id >> shift) & 0xFF for shift in (24, 16, 8, 0)]
    return "".join(chr(c) for c in chars if c)


def unit_from_eu(eu: Any) -> str | None:
    """A unit the registry reads, from an EUInformation; None when it cannot be told."""
    code = unece_code(int(getattr(eu, "UnitId", 0) or 0)) if getattr(eu, "UnitId", 0) else ""
    if code in UNECE_UNITS:
        return UNECE_UNITS[code]
    display = getattr(getattr(eu, "DisplayName", None), "Text", None)
    if isinstance(display, str) and display.strip() and is_known_unit(display.strip()):
        return display.strip()
    return None


def lads_state_code(value: Any) -> int | None:
    """The number of a LADS state (``LocalizedText`` or string, case-insensitive)."""
    text = getattr(value, "Text", value)
    if not isinstance(text, str):
        return None
    return LADS_STATE_CODES.get(text.strip().lower())


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    return None


def _ms(moment: datetime | None) -> int | None:
    if moment is None or moment.year < 1971:  # OPC UA's "no timestamp" is 1601-01-01
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


@dataclass
class _Item:
    """One monitored item: what its values become."""

    key: str
    prepared: PreparedPoint
    point: OpcUaPoint | None
    node: Node | None = None
    conversion: LinearConversion | None = None  # None: units do not match (bad_unit)
    decode: Callable[[Any], float | None] = _number
    repeat_ms: int | None = None  # re-publish an unchanged value this often (LADS state)
    last: ua.DataValue | None = None


def _lads_prepared(key: str, unit: str) -> PreparedPoint:
    return PreparedPoint(
        key=key,
        unit=unit,
        conversion=linear_conversion(unit, unit, 1.0, 0.0),
        valid_min=None,
        valid_max=None,
        deadband=0.0,  # state and step: report changes only
        max_interval_ms=None,
    )


_POLICIES: dict[str, type[security_policies.SecurityPolicy]] = {
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
    "Aes128_Sha256_RsaOaep": security_policies.SecurityPolicyAes128Sha256RsaOaep,
    "Aes256_Sha256_RsaPss": security_policies.SecurityPolicyAes256Sha256RsaPss,
}


class OpcUaDeviceSource(SessionSource):
    """Holds one OPC UA session with one subscription and turns notifications into readings."""

    def __init__(
        self,
        device: OpcUaDevice,
        sink: ReadingSink,
        clock: Clock,
        calibrations: CalibrationBook,
        rng: random.Random | None = None,
        runs: ProgramOutbox | None = None,
    ) -> None:
        super().__init__(device.key, device.reconnect_max_s, sink, clock, log, rng)
        self.device = device
        self.calibrations = calibrations
        self.items: dict[str, _Item] = {
            p.key: _Item(p.key, PreparedPoint.from_config(p), p) for p in device.points
        }
        for unit in device.lads.functional_units if device.lads else ():
            state = _Item(
                f"{unit.key}.state",
                _lads_prepared(f"{unit.key}.state", "dimensionless"),
                None,
                repeat_ms=round(unit.repeat_s * 1000),
            )
            state.decode = lambda v: None if (c := lads_state_code(v)) is None else float(c)
            self.items[state.key] = state
            if unit.program:
                runtime = f"{unit.key}.program_runtime"
                self.items[runtime] = _Item(runtime, _lads_prepared(runtime, "s"), None)
                step = f"{unit.key}.step"
                self.items[step] = _Item(step, _lads_prepared(step, "dimensionless"), None)
        # Per functional unit with result values: what to read when a run ends.
        self.result_points: dict[str, list[tuple[LadsResultValue, PreparedPoint]]] = {}
        for unit in device.lads.functional_units if device.lads else ():
            if unit.results:
                self.result_points[unit.key] = [
                    (
                        r,
                        PreparedPoint(
                            key=f"{unit.key}.{r.key}",
                            unit=r.unit or r.source_unit,
                            conversion=linear_conversion(
                                r.source_unit, r.unit or r.source_unit, 1.0, 0.0
                            ),
                            valid_min=None,
                            valid_max=None,
                            deadband=None,
                            max_interval_ms=None,
                        ),
                    )
                    for r in unit.results
                ]
        # Per functional unit with a program manager: (ActiveProgram, ResultSet or None).
        self._program_nodes: dict[str, tuple[Node, Node | None]] = {}
        self._program_units = {
            u.key for u in (device.lads.functional_units if device.lads else ()) if u.program
        } | set(self.result_points)
        self._last_state: dict[str, float | None] = {}
        self._run_started_ms: dict[str, int] = {}
        self.runs = runs
        self._collecting: set[asyncio.Task[None]] = set()
        self._by_handle: dict[int, _Item] = {}
        self.notifications = 0

    # -- the session loop ---------------------------------------------------------------
    async def run(self) -> None:
        await self._reconnecting()

    def _address(self) -> str:
        return self.device.endpoint

    def _prepared_points(self) -> Iterable[tuple[str, PreparedPoint]]:
        return ((item.key, item.prepared) for item in self.items.values())

    def _client(self) -> Client:
        device = self.device
        client = Client(device.endpoint, timeout=device.timeout_s)
        if device.username is not None:
            client.set_user(device.username)
            if device.password_env is not None:
                client.set_password(os.environ.get(device.password_env, ""))
        return client

    async def _secure(self, client: Client) -> None:
        device = self.device
        if device.application_uri is not None:
            client.application_uri = device.application_uri
        if device.security_policy == "None":
            if device.certificate is not None and device.private_key is not None:
                await client.load_client_certificate(device.certificate)
                await client.load_private_key(Path(device.private_key))
            return
        assert device.certificate is not None
        assert device.private_key is not None
        if device.username is None:
            # No user name: the gateway's certificate is also its user identity (X509 token).
            await client.load_client_certificate(device.certificate)
            await client.load_private_key(Path(device.private_key))
        await client.set_security(
            _POLICIES[device.security_policy],
            device.certificate,
            device.private_key,
            server_certificate=device.server_certificate,
            mode=getattr(ua.MessageSecurityMode, device.security_mode),
        )

    async def _session(self) -> None:
        client = self._client()
        timeout = self.device.timeout_s
        try:
            await asyncio.wait_for(self._secure(client), timeout * 2)
            await asyncio.wait_for(client.connect(), timeout * 2)
            await asyncio.wait_for(self._resolve(client), timeout * 4)
            await asyncio.wait_for(self._subscribe(client), timeout * 2)
            self.sessions += 1
            if self.health.status != "ok":
                log.warning("device %s: subscribed (%d items)", self.device.key, len(self.items))
            self.health.status, self.health.error = "ok", None
            self.health.last_ok_ms = self.clock.wall_ms()
            self.health.failures = 0
            probe = client.get_node(_SERVER_STATE)
            while True:
                await asyncio.sleep(self.device.watchdog_s)
                await asyncio.wait_for(probe.read_value(), timeout)
                self.health.polls += 1
                self.health.last_ok_ms = self.clock.wall_ms()
                self._repeat_unchanged()
        finally:
            for task in list(self._collecting):
                task.cancel()
            try:
                await asyncio.wait_for(client.disconnect(), 1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                client.disconnect_socket()

    async def _resolve(self, client: Client) -> None:
        root = client.nodes.root
        for item in self.items.values():
            item.node = None
            item.conversion = item.prepared.conversion
        for item in self.items.values():
            point = item.point
            if point is None:
                continue
            if point.node_id is not None:
                item.node = client.get_node(point.node_id)
            else:
                assert point.browse_path is not None
                item.node = await root.get_child(point.browse_path.split("/"))
            if point.units_from_server:
                item.conversion = await self._server_unit(item.node, point, item.prepared)
        for unit in self.device.lads.functional_units if self.device.lads else ():
            fu = await root.get_child(unit.browse_path.split("/"))
            state_machine = await _child(fu, "FunctionalUnitState")
            self.items[f"{unit.key}.state"].node = await _child(state_machine, "CurrentState")
            if unit.program:
                active = await _child(await _child(fu, "ProgramManager"), "ActiveProgram")
                runtime = self.items[f"{unit.key}.program_runtime"]
                runtime.node = await _child(active, "CurrentRuntime")
                # LADS durations are milliseconds.
                runtime.conversion = linear_conversion("ms", "s", 1.0, 0.0)
                self.items[f"{unit.key}.step"].node = await _child(active, "CurrentStepNumber")
            if unit.key in self._program_units:
                manager = await _child(fu, "ProgramManager")
                try:
                    result_set: Node | None = await _child(manager, "ResultSet")
                except UaError:
                    result_set = None  # runs are still reported, with their identifiers
                self._program_nodes[unit.key] = (await _child(manager, "ActiveProgram"), result_set)

    async def _server_unit(
        self, node: Node, point: OpcUaPoint, prepared: PreparedPoint
    ) -> LinearConversion | None:
        try:
            eu_node = await node.get_child("0:EngineeringUnits")
        except UaError:
            return prepared.conversion  # no EUInformation: the configured source_unit stands
        stated = unit_from_eu(await eu_node.read_value())
        if stated is None:
            log.warning(
                "device %s point %s: the server's engineering unit is not one labshare knows; "
                "using source_unit %s",
                self.device.key,
                point.key,
                point.source_unit,
            )
            return prepared.conversion
        try:
            return linear_conversion(stated, prepared.unit, point.scale, point.offset)
        except UnitProblem as exc:
            log.error("device %s point %s: %s", self.device.key, point.key, exc)
            return None

    async def _subscribe(self, client: Client) -> None:
        subscription = await client.create_subscription(
            self.device.publishing_interval_ms, handler=self
        )
        requests = []
        order: list[_Item] = []
        for item in self.items.values():
            assert item.node is not None
            point = item.point
            mfilter = None
            interval = 0.0 if point is None else point.sampling_interval_ms
            if point is not None and point.server_deadband is not None:
                mfilter = ua.DataChangeFilter()
                mfilter.Trigger = ua.DataChangeTrigger.StatusValue
                mfilter.DeadbandType = 1 if point.server_deadband_type == "absolute" else 2
                mfilter.DeadbandValue = point.server_deadband
            request = subscription._make_monitored_item_request(
                item.node,
                AttributeIds.Value,
                mfilter,
                1,
                ua.MonitoringMode.Reporting,
                ua.Double(interval),
            )
            requests.append(request)
            order.append(item)
        self._by_handle = {
            r.RequestedParameters.ClientHandle: item
            for r, item in zip(requests, order, strict=True)
        }
        results = await subscription.create_monitored_items(requests)
        holes: list[str] = []
        ts_ms = self.clock.wall_ms()
        for item, result in zip(order, results, strict=True):
            if isinstance(result, ua.StatusCode):
                log.error(
                    "device %s point %s: not monitored: %s", self.device.key, item.key, result.name
                )
                holes.append(item.key)
                if item.prepared.should_report(ts_ms, None, Quality.COMM_FAIL):
                    self.sink.submit(
                        [
                            Reading(
                                device=self.device.key,
                                point=item.key,
                                unit=item.prepared.unit,
                                ts_ms=ts_ms,
                                value=None,
                                quality=Quality.COMM_FAIL,
                            )
                        ]
                    )
        self.health.holes = holes

    # -- notifications (asyncua calls these) ---------------------------------------------
    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        item = self._by_handle.get(data.monitored_item.ClientHandle)
        if item is None:
            return
        self.notifications += 1
        self.health.reads += 1
        item.last = data.monitored_item.Value
        reading = self.reading(item, data.monitored_item.Value)
        if reading is not None:
            self.sink.submit([reading])
            self._watch_run_end(item.key, reading.value)

    def _watch_run_end(self, key: str, state: float | None) -> None:
        """When a functional unit with a program stops after a run, collect the run."""
        unit = key.removesuffix(".state")
        if unit == key or unit not in self._program_units:
            return
        before, self._last_state[unit] = self._last_state.get(unit), state
        active = (
            LADS_STATE_CODES["running"],
            LADS_STATE_CODES["stopping"],
            LADS_STATE_CODES["aborting"],
        )
        if state in active and before not in active:
            self._run_started_ms[unit] = self.clock.wall_ms()
        finished = state in (LADS_STATE_CODES["stopped"], LADS_STATE_CODES["aborted"])
        if finished and before in active:
            aborted = state == LADS_STATE_CODES["aborted"]
            task = asyncio.get_running_loop().create_task(self._collect_result(unit, aborted))
            self._collecting.add(task)
            task.add_done_callback(self._collecting.discard)

    async def _collect_result(self, unit: str, aborted: bool = False) -> None:
        """Read the finished run's identifiers and result; publish them.

        The result is the ResultSet child named after the run id (LADS servers may add it
        a moment after the state changes: a few tries), else the newest child. Numeric
        result values configured under ``results`` become telemetry points; the whole run
        (run id, program, result id, every configured value, text included) goes to the
        program outbox, which the server keeps as the booking session's data.
        """
        active, result_set = self._program_nodes[unit]
        ts_ms = self.clock.wall_ms()
        started_ms = self._run_started_ms.pop(unit, None)
        try:
            run_id = _text(await (await _child(active, "DeviceProgramRunId")).read_value())
            program = await _read_text(active, "CurrentProgramTemplate")
            result: Node | None = None
            children: list[Node] = []
            for _ in range(1 if result_set is None else 5):
                if result_set is None:
                    break
                children = await result_set.get_children()
                for child in children:
                    if run_id and (await child.read_browse_name()).Name == run_id:
                        result = child
                if result is not None:
                    break
                await asyncio.sleep(0.5)
            if result is None and children:
                result = children[-1]
            values: list[ResultValue] = []
            readings: list[Reading] = []
            result_id: str | None = None
            ended_ms = ts_ms
            if result is not None:
                result_id = (await result.read_browse_name()).Name
                program = await _read_text(result, "ProgramTemplateId") or program
                started_ms = _ms(_moment(await _read_raw(result, "Started"))) or started_ms
                ended_ms = _ms(_moment(await _read_raw(result, "Ended"))) or ts_ms
            for value_config, prepared in self.result_points.get(unit, []):
                raw = None if result is None else await _read_raw(result, value_config.name)
                number = _number(raw)
                value = prepared.conversion(number) if number is not None else None
                text = None if number is not None else _text(raw)
                if text is None:  # a number (or nothing): also the point <unit>.<key>
                    readings.append(
                        Reading(
                            device=self.device.key,
                            point=prepared.key,
                            unit=prepared.unit,
                            ts_ms=ts_ms,
                            value=value,
                            quality=prepared.quality_of(value),
                        )
                    )
                values.append(
                    ResultValue(
                        key=value_config.key,
                        name=value_config.name,
                        value=value,
                        text=text[:1000] if text else None,
                        unit=prepared.unit if value is not None else None,
                    )
                )
            log.info("device %s: run %s of %s finished", self.device.key, run_id, unit)
            if readings:
                self.sink.submit(readings)
            if self.runs is not None and run_id:
                self.runs.add(
                    ProgramRun(
                        gateway=self.runs.gateway,
                        sent_at_ms=ts_ms,
                        device=self.device.key,
                        unit=unit,
                        run_id=run_id[:128],
                        program=program[:128] if program else None,
                        result_id=result_id[:128] if result_id else None,
                        outcome="aborted" if aborted else "completed",
                        started_ms=started_ms if started_ms and started_ms <= ended_ms else None,
                        ended_ms=ended_ms,
                        results=values,
                    )
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the session loop notices a dead connection by itself
            # str() of a time-out is empty: failure() names the exception and the operation.
            log.error(
                "device %s: result not read: %s",
                self.device.key,
                failure(exc, f"reading the result of {unit}"),
            )

    def _repeat_unchanged(self) -> None:
        """Publish again, stamped now, a state that has not changed for its repeat period."""
        now = self.clock.wall_ms()
        for item in self.items.values():
            last_report = item.prepared.last_report_ms
            if item.repeat_ms is None or item.last is None or last_report is None:
                continue
            if now - last_report < item.repeat_ms or item.prepared.last_value is None:
                continue
            value, quality = item.prepared.last_value, item.prepared.last_quality or Quality.OK
            item.prepared.last_report_ms = now
            self.sink.submit(
                [
                    Reading(
                        device=self.device.key,
                        point=item.key,
                        unit=item.prepared.unit,
                        ts_ms=now,
                        value=value,
                        quality=quality,
                    )
                ]
            )

    def status_change_notification(self, status: Any) -> None:
        log.warning("device %s: subscription status %s", self.device.key, status)

    def event_notification(self, event: Any) -> None:
        return None

    def reading(self, item: _Item, data_value: ua.DataValue) -> Reading | None:
        """The reading one DataValue makes, or None when the reporting filter holds it back."""
        ts_ms = self._timestamp(data_value)
        code = data_value.StatusCode.value if data_value.StatusCode is not None else 0
        decided, keep = quality_for_status(code)
        prepared = item.prepared
        value: float | None = None
        if item.conversion is None:
            decided, keep = Quality.BAD_UNIT, False
        raw = item.decode(data_value.Value.Value if data_value.Value is not None else None)
        correction_id = None
        if keep and raw is not None and item.conversion is not None:
            value = item.conversion(raw)
            if item.point is not None:
                value, correction_id = self.calibrations.correct(
                    self.device.key, item.key, ts_ms, value
                )
        quality = decided if decided is not None else prepared.quality_of(value)
        if not prepared.should_report(ts_ms, value, quality):
            return None
        return Reading(
            device=self.device.key,
            point=item.key,
            unit=prepared.unit,
            ts_ms=ts_ms,
            value=value,
            quality=quality,
            correction_id=correction_id,
        )

    def _timestamp(self, data_value: ua.DataValue) -> int:
        mode = self.device.timestamps
        if mode != "gateway":
            for moment in (
                (data_value.SourceTimestamp, data_value.ServerTimestamp)
                if mode == "source"
                else (data_value.ServerTimestamp,)
            ):
                ms = _ms(moment)
                if ms is not None:
                    return ms
        return self.clock.wall_ms()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(value: Any) -> str | None:
    """A string, or a LocalizedText's text, without control characters (the contract refuses
    them); None for anything else or empty."""
    text = getattr(value, "Text", value)
    return _CONTROL.sub(" ", text).strip() or None if isinstance(text, str) else None


def _moment(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


async def _read_raw(node: Node, name: str) -> Any:
    """The value of the child with this browse name, None when it is missing or unreadable."""
    try:
        return await (await _child(node, name)).read_value()
    except UaError:
        return None


async def _read_text(node: Node, name: str) -> str | None:
    return _text(await _read_raw(node, name))


async def _child(node: Node, name: str) -> Node:
    """The child with this browse name in any namespace (LADS namespace indexes vary)."""
    for child in await node.get_children():
        if (await child.read_browse_name()).Name == name:
            return child
    raise UaError(f"{name} not found under {node.nodeid.to_string()}")
