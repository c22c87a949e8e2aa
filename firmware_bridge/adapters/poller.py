"""Polls one instrument forever: connect, query each point, hand readings on, reconnect.

Failure handling, from least to most disruptive:

* a garbled or unexpected reply (``FrameError``, MT-SICS ``ES``/``ET``/``EL``/``L``, SCPI error
  queue entry) marks that point ``comm_fail`` and polling continues on the same connection;
  MT-SICS ``+``/``-`` mark it ``out_of_range`` and ``I`` (busy, not stable in time) ``stale``;
* a timeout or a closed connection marks every point ``comm_fail``, closes the link (a late
  reply would otherwise be taken as the answer to the next query) and reconnects with
  back-off; each point keeps reporting ``comm_fail`` while the instrument is unreachable.

A failing instrument is logged once when it fails and once when it recovers, not every poll.
Every failure detail names what happened and what was being done (:func:`describe`), e.g.
``TimeoutError while reading weight (S) from 127.0.0.1:4001``; none is ever empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from firmware_bridge.adapters.clients import MtSicsClient, ScpiClient, ScpiQueryError
from firmware_bridge.adapters.transport import LineStream, SerialLineStream, TcpLineStream
from firmware_bridge.codecs import mtsics, scpi
from firmware_bridge.codecs.framing import FrameError
from firmware_bridge.config import InstrumentConfig, PointConfig, Protocol, TcpTransport
from firmware_bridge.errors import describe
from firmware_bridge.readings import Reading, ReadingSink, now_ms
from mqtt_contract.v1 import Quality

__all__ = ["Connector", "InstrumentPoller", "LinkLost", "connector_for"]

log = logging.getLogger(__name__)

Connector = Callable[[], Awaitable[LineStream]]

_RECONNECT_MIN_S = 0.2
_RECONNECT_MAX_S = 10.0


class PointFailed(Exception):
    """One point could not be read, but the link is fine."""


class LinkLost(ConnectionError):
    """The link failed while reading a point; the message says what and where."""


def transport_address(config: InstrumentConfig) -> str:
    """``host:port`` of a TCP instrument, the port or URL of a serial one."""
    transport = config.transport
    if isinstance(transport, TcpTransport):
        return f"{transport.host}:{transport.port}"
    return transport.url


def connector_for(config: InstrumentConfig) -> Connector:
    terminator = mtsics.TERMINATOR if config.protocol is Protocol.MT_SICS else scpi.TERMINATOR
    transport = config.transport

    async def connect() -> LineStream:
        if isinstance(transport, TcpTransport):
            return await TcpLineStream.open(transport.host, transport.port, terminator)
        return await SerialLineStream.open(
            transport.url,
            terminator,
            baudrate=transport.baudrate,
            bytesize=transport.bytesize,
            parity=transport.parity,
            stopbits=transport.stopbits,
        )

    return connect


class InstrumentPoller:
    def __init__(
        self,
        config: InstrumentConfig,
        sinks: Sequence[ReadingSink],
        connect: Connector | None = None,
    ) -> None:
        self.config = config
        self._sinks = list(sinks)
        self._connect = connect or connector_for(config)
        self._stream: LineStream | None = None
        self._failing = False
        self.address = transport_address(config)
        self.polls = 0
        self.reconnects = 0

    def _emit(self, reading: Reading) -> None:
        for sink in self._sinks:
            try:
                sink.accept(reading)
            except Exception as exc:
                log.exception(
                    "%s", describe(exc, f"handing a reading of {self.config.key} to {sink!r}")
                )

    def _bad(self, point: PointConfig, quality: Quality, detail: str) -> Reading:
        return Reading(
            instrument=self.config.key,
            point=point.key,
            value=None,
            unit=point.unit,
            stable=False,
            quality=quality,
            ts_ms=now_ms(),
            detail=detail,
        )

    def _link_failed(self, detail: str) -> None:
        if not self._failing:
            log.error("instrument %s unreachable: %s", self.config.key, detail)
            self._failing = True
        for point in self.config.points:
            self._emit(self._bad(point, Quality.COMM_FAIL, detail))

    def _link_ok(self) -> None:
        if self._failing:
            log.warning("instrument %s is answering again", self.config.key)
            self._failing = False

    async def _close(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            with contextlib.suppress(Exception):
                await stream.close()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        this_task = asyncio.current_task()
        backoff = _RECONNECT_MIN_S
        try:
            while True:
                # On Python 3.11 a cancellation that lands as a read times out can surface as
                # TimeoutError, which the loop treats as a lost link: honour it here instead.
                if this_task is not None and this_task.cancelling():
                    raise asyncio.CancelledError
                if self._stream is None:
                    try:
                        self._stream = await self._connect()
                    except (OSError, TimeoutError) as exc:
                        self._link_failed(describe(exc, f"connecting to {self.address}"))
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, _RECONNECT_MAX_S)
                        continue
                    backoff = _RECONNECT_MIN_S
                    self.reconnects += 1
                started = loop.time()
                try:
                    await self.poll_once(self._stream)
                except LinkLost as exc:
                    self._link_failed(str(exc))
                    await self._close()
                    continue
                self._link_ok()
                await asyncio.sleep(max(0.0, self.config.poll_interval_s - (loop.time() - started)))
        finally:
            await self._close()

    async def poll_once(self, stream: LineStream) -> list[Reading]:
        """Query every point once; raises on link failures, reports point failures as readings."""
        readings = []
        for point in self.config.points:
            operation = f"reading {point.key} ({point.query}) from {self.address}"
            try:
                if self.config.protocol is Protocol.MT_SICS:
                    reading = await self._poll_balance(stream, point)
                else:
                    reading = await self._poll_scpi(stream, point)
            except PointFailed as exc:
                stream.discard_input()
                detail = f"{exc} ({operation})"
                log.info("instrument %s point %s: %s", self.config.key, point.key, detail)
                reading = self._bad(point, Quality.COMM_FAIL, detail)
            except FrameError as exc:
                stream.discard_input()
                detail = describe(exc, operation)
                log.info("instrument %s point %s: %s", self.config.key, point.key, detail)
                reading = self._bad(point, Quality.COMM_FAIL, detail)
            except (OSError, TimeoutError) as exc:
                # ConnectionError and TimeoutError are OSErrors; the caller closes the link.
                raise LinkLost(describe(exc, operation)) from exc
            self.polls += 1
            self._emit(reading)
            readings.append(reading)
        return readings

    async def _poll_balance(self, stream: LineStream, point: PointConfig) -> Reading:
        client = MtSicsClient(stream, timeout_s=self.config.reply_timeout_s)
        reply = await client.request(point.query)
        if isinstance(reply, mtsics.WeightReply):
            if reply.unit != point.unit:
                return self._bad(
                    point,
                    Quality.BAD_UNIT,
                    f"balance reports {reply.raw_unit}, expected {point.unit}",
                )
            return Reading(
                instrument=self.config.key,
                point=point.key,
                value=reply.value,
                unit=point.unit,
                stable=reply.stable,
                quality=Quality.OK,
                ts_ms=now_ms(),
            )
        explained = mtsics.explain(reply, point.query)
        if isinstance(reply, mtsics.StatusReply):
            if reply.status in (mtsics.ReplyStatus.OVERLOAD, mtsics.ReplyStatus.UNDERLOAD):
                return self._bad(point, Quality.OUT_OF_RANGE, explained)
            if reply.status is mtsics.ReplyStatus.NOT_EXECUTABLE:
                return self._bad(point, Quality.STALE, explained)
        # ES/ET/EL, L, or a reply that carries no weight: the point cannot be read this way.
        raise PointFailed(explained)

    async def _poll_scpi(self, stream: LineStream, point: PointConfig) -> Reading:
        client = ScpiClient(stream, timeout_s=self.config.reply_timeout_s)
        try:
            number = await client.measure(point.query)
        except ScpiQueryError as exc:
            raise PointFailed(str(exc)) from exc
        if not number.valid:
            detail = "overflow" if number.overflow else "not a number"
            return self._bad(point, Quality.OUT_OF_RANGE, detail)
        return Reading(
            instrument=self.config.key,
            point=point.key,
            value=number.value,
            unit=point.unit,
            stable=True,
            quality=Quality.OK,
            ts_ms=now_ms(),
        )
