"""The ingest worker: MQTT in, validated rows COPYed into TimescaleDB, ack after COMMIT."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import psycopg

from mqtt_contract.inspection_v1 import InspectionBatch
from mqtt_contract.program_v1 import ProgramRun
from mqtt_contract.v1 import MAX_PAYLOAD_BYTES, SHARED_GROUP, TopicKind
from server.core.config import nats_servers
from server.inspection.ingest import InspectionSink
from server.telemetry import metrics
from server.telemetry.jetstream import JetStreamConsumer
from server.telemetry.live import LIVE_READINGS_TOPIC, readings_event
from server.telemetry.mqtt import Consumer, Delivery, Received
from server.telemetry.programs import store_runs
from server.telemetry.store import WriteBatch, load_gateways, to_conninfo, write_batch
from server.telemetry.units import UnitConverter
from server.telemetry.validation import (
    DEFAULT_DEAD_LETTERS_PER_MINUTE,
    ChannelDirectory,
    DeadLetter,
    DeadLetterLimiter,
    DeadLetterReason,
    GatewayUpdate,
    Inbound,
    Refusal,
    decode_inbound,
    gateways_to_refresh,
    plan_gateway_update,
    plan_inspections,
    plan_telemetry,
    refused_inbound,
)
from server.telemetry.wire import WireBatch

__all__ = ["IngestSettings", "IngestStats", "IngestWorker", "run_ingest"]

log = logging.getLogger("labshare.ingest")

T = TypeVar("T")
Connection = psycopg.AsyncConnection[tuple[object, ...]]
# Sent by the channel table's trigger (migration 0019) on every UPDATE and DELETE.
CHANNEL_DIRECTORY_NOTIFY = "labshare_channel_directory"

# Failures that say "the database is not there right now" (also deadlocks and serialization
# failures, which psycopg files under OperationalError): wait, reconnect, write again.
_RETRYABLE = (psycopg.OperationalError, psycopg.InterfaceError)


class IngestSettings(Protocol):
    """What the worker reads from ``server.core.config.Settings``."""

    @property
    def database_url(self) -> str: ...
    @property
    def mqtt_host(self) -> str: ...
    @property
    def mqtt_port(self) -> int: ...
    @property
    def mqtt_username(self) -> str | None: ...
    @property
    def mqtt_password(self) -> str | None: ...


@dataclass(slots=True)
class IngestStats:
    """Counts of this worker instance (the Prometheus metrics are process-wide)."""

    messages_written: int = 0
    rows_written: int = 0
    dead_letters: int = 0
    acks_deferred: int = 0
    redelivery_batches: int = 0
    dead_letters_suppressed: int = 0
    errors: int = 0


class _Stopping(Exception):
    """Raised out of a database retry when the worker is asked to stop: leave it unacked."""


def default_client_id() -> str:
    # Stable across restarts so the broker keeps this worker's session and its queue.
    return f"labshare-ingest-{socket.gethostname()}"


class IngestWorker:
    """Consumes the shared telemetry/state/heartbeat subscriptions and writes them.

    Over MQTT 3.1.1 (a broker without MQTT 5) the subscriptions are plain ones: then only
    one worker may run against that broker.

    ``max_batch_messages`` / ``max_batch_samples`` / ``max_wait_s`` bound one write batch:
    the writer takes what is queued, waits at most ``max_wait_s`` for more, then writes.
    """

    def __init__(
        self,
        settings: IngestSettings,
        *,
        client_id: str | None = None,
        max_batch_messages: int = 500,
        max_batch_samples: int = 20_000,
        max_wait_s: float = 0.05,
        session_expiry_s: int = 24 * 3600,
        receive_maximum: int = 1000,
        retry_max_delay_s: float = 5.0,
        share_group: str = SHARED_GROUP,
        mqtt_protocol: str | None = None,
        max_payload_bytes: int | None = None,
        dead_letters_per_minute: int | None = None,
        idle_flush_s: float = 5.0,
    ) -> None:
        self.settings = settings
        self.client_id = (
            client_id or getattr(settings, "ingest_client_id", None) or default_client_id()
        )
        self.max_batch_messages = max_batch_messages
        self.max_batch_samples = max_batch_samples
        self.max_wait_s = max_wait_s
        self.retry_max_delay_s = retry_max_delay_s
        self.directory = ChannelDirectory()
        self.converter = UnitConverter()
        self._conninfo = to_conninfo(settings.database_url)
        self._session_expiry_s = session_expiry_s
        self._receive_maximum = receive_maximum
        self._share_group = share_group
        # "auto" | "5" | "3.1.1" (LABSHARE_MQTT_PROTOCOL); see server.telemetry.mqtt.
        self.mqtt_protocol = str(
            mqtt_protocol or getattr(settings, "mqtt_protocol", None) or "auto"
        )
        self._queue: asyncio.Queue[Received] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consumer: Consumer | JetStreamConsumer | None = None
        self._writer: asyncio.Task[None] | None = None
        self._directory_listener: asyncio.Task[None] | None = None
        self._conn: Connection | None = None
        self._stopping = asyncio.Event()
        self._db_failing = False
        self.stats = IngestStats()
        # LABSHARE_INGEST_MAX_PAYLOAD_BYTES; the broker's message_size_limit should match.
        self.max_payload_bytes = int(
            max_payload_bytes
            or getattr(settings, "ingest_max_payload_bytes", None)
            or MAX_PAYLOAD_BYTES
        )
        self.dead_letters = DeadLetterLimiter(
            int(
                dead_letters_per_minute
                or getattr(settings, "ingest_dead_letters_per_minute", None)
                or DEFAULT_DEAD_LETTERS_PER_MINUTE
            )
        )
        self.idle_flush_s = idle_flush_s
        self._inspection: InspectionSink | None = None  # opened on the first inspection message

    # lifecycle

    async def start(self) -> None:
        """Connect to the broker and start writing; returns at once (both reconnect on their own)."""
        if self._writer is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._stopping = asyncio.Event()
        self._writer = asyncio.create_task(
            self._write_loop(), name=f"ingest-writer {self.client_id}"
        )
        self._writer.add_done_callback(self._writer_ended)
        self._directory_listener = asyncio.create_task(
            self._listen_for_channel_changes(), name=f"ingest-directory {self.client_id}"
        )
        nats_url = getattr(self.settings, "nats_url", None)
        if nats_url:
            self._consumer = JetStreamConsumer(
                servers=nats_servers(nats_url),
                durable=str(getattr(self.settings, "nats_durable", None) or "labshare-ingest"),
                client_name=self.client_id,
                username=self.settings.mqtt_username,
                password=self.settings.mqtt_password,
                on_received=self._from_mqtt_thread,
                ack_wait_s=float(getattr(self.settings, "nats_ack_wait_s", None) or 30.0),
                max_ack_pending=self._receive_maximum,
            )
            await asyncio.to_thread(self._consumer.start)
            return
        self._consumer = Consumer(
            host=self.settings.mqtt_host,
            port=self.settings.mqtt_port,
            username=self.settings.mqtt_username,
            password=self.settings.mqtt_password,
            client_id=self.client_id,
            on_received=self._from_mqtt_thread,
            session_expiry_s=self._session_expiry_s,
            receive_maximum=self._receive_maximum,
            share_group=self._share_group,
            protocol=self.mqtt_protocol,
        )
        # paho's connect resolves and opens a socket: keep it off the event loop.
        await asyncio.to_thread(self._consumer.start)

    async def wait_subscribed(self, wait_s: float = 10.0) -> None:
        """Wait until the broker has confirmed the subscriptions (useful to tests and readiness)."""
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("the ingest worker is not started")
        if not await asyncio.to_thread(consumer.connected.wait, wait_s):
            raise TimeoutError(f"no broker connection to {consumer.address} in {wait_s} s")

    def readiness_problem(self) -> str | None:
        """Why this worker is not consuming right now, or ``None`` when it is."""
        writer, consumer = self._writer, self._consumer
        if writer is None or consumer is None:
            return "ingest worker is not running"
        if writer.done():
            failure = None if writer.cancelled() else writer.exception()
            why = f": {type(failure).__name__}: {failure}" if failure else ""
            return f"ingest writer has stopped{why}"
        if not consumer.alive:
            return "ingest broker network thread has stopped"
        if not consumer.connected.is_set():
            return f"ingest worker is not connected and subscribed to {consumer.address}"
        return None

    @property
    def finished(self) -> asyncio.Task[None] | None:
        """The writer task (tests and ``run_ingest`` watch it end)."""
        return self._writer

    def _writer_ended(self, task: asyncio.Task[None]) -> None:
        if self._stopping.is_set():
            return
        if task.cancelled():
            log.critical("ingest writer was cancelled: nothing is written until a restart")
        else:
            log.critical(
                "ingest writer stopped: nothing is written until a restart",
                exc_info=task.exception(),
            )
        metrics.ERRORS.labels("writer").inc()

    async def stop(self, grace_s: float = 10.0) -> None:
        """Finish the batch being written (and ack it), then disconnect; queued messages stay unacked."""
        self._stopping.set()
        if self._writer is not None and self._writer.done():
            self._writer = None  # ended on its own (already logged)
        if self._writer is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), grace_s)
            except TimeoutError:
                self._writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._writer
            except Exception:  # already logged when the writer ended
                log.debug("ingest writer had failed before the stop")
            self._writer = None
        if self._directory_listener is not None:
            self._directory_listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._directory_listener
            self._directory_listener = None
        summaries = self.dead_letters.summaries(flush=True)
        if summaries:
            # One try only: a database outage at shutdown loses the counts, not messages.
            try:
                conn = await asyncio.wait_for(self._connection(), 5.0)
                await write_batch(conn, WriteBatch(dead_letters=summaries))
                self._count_stored(summaries)
            except Exception as exc:
                log.warning("dead-letter summaries not written at shutdown: %s", exc)
        if self._consumer is not None:
            await asyncio.to_thread(self._consumer.stop)
            self._consumer = None
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
            self._conn = None
        if self._inspection is not None:
            await self._inspection.close()
            self._inspection = None
        metrics.QUEUE_DEPTH.set(0)

    def _from_mqtt_thread(self, received: Received) -> None:
        # Runs on paho's network thread: an exception here would end that thread.
        try:
            loop, queue = self._loop, self._queue
            if loop is None or queue is None or loop.is_closed():
                return  # not acknowledged: the broker redelivers it to the next session
            received = self._with_payload_limit(received)
            metrics.MESSAGES.labels(received.inbound.kind or "unknown").inc()
            with contextlib.suppress(RuntimeError):  # loop closing during shutdown
                loop.call_soon_threadsafe(queue.put_nowait, received)
        except Exception:
            log.exception("ingest could not take a message from MQTT (it stays unacknowledged)")
            metrics.ERRORS.labels("receive").inc()

    def _with_payload_limit(self, received: Received) -> Received:
        """``received`` decoded again when the configured size limit judges it differently.

        The consumer decodes with the contract's default limit; a deployment may set
        another (``LABSHARE_INGEST_MAX_PAYLOAD_BYTES``).
        """
        inbound = received.inbound
        too_large = len(inbound.payload) > self.max_payload_bytes
        refused_as_too_large = inbound.error_reason is DeadLetterReason.PAYLOAD_TOO_LARGE and (
            inbound.message is None
        )
        if too_large == refused_as_too_large or inbound.kind is None:
            return received
        again = decode_inbound(inbound.topic, inbound.payload, self.max_payload_bytes)
        batch = again.message
        samples = sum(len(s.seqs) for s in batch.series) if isinstance(batch, WireBatch) else 0
        delivery: Delivery = received.delivery
        return Received(again, delivery, samples)

    # writing

    async def _write_loop(self) -> None:
        assert self._queue is not None
        queue = self._queue
        stop_wait = asyncio.create_task(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                get = asyncio.ensure_future(queue.get())
                try:
                    await asyncio.wait(
                        {get, stop_wait},
                        timeout=self.idle_flush_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                except BaseException:
                    get.cancel()
                    raise
                if not get.done():
                    get.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await get
                if get.cancelled():
                    if stop_wait.done():
                        break
                    await self._guarded(self._write_summaries, [])  # idle
                    continue
                items = [get.result()]
                try:
                    await self._guarded(functools.partial(self._batch, items), items)
                except _Stopping:
                    # The broker redelivers these to the next session: nothing is lost.
                    log.warning("ingest stopped with %d messages not yet written", len(items))
                    break
        finally:
            stop_wait.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stop_wait

    async def _batch(self, items: list[Received]) -> None:
        assert self._queue is not None
        await self._fill(items)
        metrics.QUEUE_DEPTH.set(self._queue.qsize() + len(items))
        await self._process_isolating(items)

    async def _guarded(self, step: Callable[[], Awaitable[None]], items: list[Received]) -> None:
        """Run one step of the write loop; a defect is logged and counted, and the loop goes on.

        The messages of a failed step stay unacknowledged (the broker redelivers them to the
        next session), so nothing is lost; ingest carries on with the next messages.
        """
        try:
            await step()
        except _Stopping:
            raise
        except Exception:
            log.exception(
                "ingest writer failed on %d messages; they stay unacknowledged, ingest goes on",
                len(items),
            )
            metrics.ERRORS.labels("writer").inc()
            self.stats.errors += 1
            await asyncio.sleep(min(1.0, self.retry_max_delay_s))

    async def _write_summaries(self) -> None:
        summaries = self.dead_letters.summaries()
        if not summaries:
            return
        batch = WriteBatch(dead_letters=summaries)
        await self._with_database(lambda conn: write_batch(conn, batch), "write")
        self._count_stored(summaries)

    async def _fill(self, items: list[Received]) -> None:
        assert self._queue is not None
        queue = self._queue
        samples = items[0].samples
        deadline = time.monotonic() + self.max_wait_s
        while len(items) < self.max_batch_messages and samples < self.max_batch_samples:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(queue.get(), remaining)
                except TimeoutError:
                    break
            items.append(item)
            samples += item.samples

    async def _process(self, items: Sequence[Received]) -> None:
        inbounds = [r.inbound for r in items]
        stale = gateways_to_refresh(inbounds, self.directory)
        if stale:
            await self._with_database(
                lambda conn: load_gateways(conn, stale, self.directory), "load gateways"
            )
        inspection_letters = await self._store_inspections(inbounds)
        inspection_letters += await self._store_programs(inbounds)
        batch = self._plan(inbounds, inspection_letters)
        started = time.perf_counter()
        outcome = await self._with_database(lambda conn: write_batch(conn, batch), "write")
        metrics.WRITE_SECONDS.observe(time.perf_counter() - started)
        metrics.ROWS_WRITTEN.inc(outcome.rows)
        self.stats.rows_written += outcome.rows
        metrics.BATCHES.labels(outcome.path).inc()
        if outcome.path == "on_conflict":
            self.stats.redelivery_batches += 1
            # After a crash or reconnect this says the broker redelivered committed messages.
            log.info(
                "write batch of %d messages overlapped stored rows; stored rows kept", len(items)
            )
        for gateway_id, gaps in outcome.gaps.items():
            gateway = self.directory.gateway_by_id(gateway_id)
            log.warning(
                "gateway %s skipped sequence numbers %s",
                gateway.key if gateway else gateway_id,
                ", ".join(f"{g.first_missing}-{g.last_missing}" for g in gaps),
            )
        if batch.series and self._consumer is not None:
            # After COMMIT: live streams never show a reading the database does not have.
            newest = [rows.newest() for rows in batch.series]
            self._consumer.publish(LIVE_READINGS_TOPIC, readings_event(newest))
        self._count_and_ack(items, batch)

    async def _process_isolating(self, items: Sequence[Received]) -> None:
        """Process ``items``; if that fails for a reason other than an outage, find the culprit.

        Outages are retried inside ``_process``. Anything else (a value PostgreSQL cannot
        store, a defect) is narrowed down by processing the messages one by one, so only the
        offending message is set aside, with its raw payload, and ingest goes on.
        """
        try:
            await self._process(items)
        except _Stopping:
            raise
        except Exception as exc:
            if len(items) > 1:
                log.warning(
                    "write batch of %d messages failed (%s); retrying one by one", len(items), exc
                )
                for item in items:
                    await self._process_isolating([item])
                return
            topic = items[0].inbound.topic
            if isinstance(exc, psycopg.Error | OverflowError):
                log.error("database cannot store a message on %s: %s", topic, exc)
                reason = DeadLetterReason.STORAGE_REJECTED
                detail = f"the database cannot store the message: {exc}"
            else:
                log.exception("ingest failed on a message on %s", topic)
                reason, detail = DeadLetterReason.INGEST_ERROR, f"ingest failed: {exc!r}"
            await self._set_aside(items, reason, detail)

    async def _set_aside(
        self, items: Sequence[Received], reason: DeadLetterReason, detail: str
    ) -> None:
        """Dead-letter whole messages (raw payload kept), then acknowledge them."""
        batch = WriteBatch(
            dead_letters=self._limit(
                [
                    DeadLetter.of(
                        r.inbound.topic, r.inbound.topic_gateway, reason, detail, r.inbound.payload
                    )
                    for r in items
                ]
            )
        )
        await self._with_database(lambda conn: write_batch(conn, batch), "write")
        self._count_and_ack(items, batch)

    def _count_stored(self, letters: Sequence[DeadLetter]) -> None:
        for dead in letters:
            metrics.DEAD_LETTERS.labels(dead.reason.value).inc()
        self.stats.dead_letters += len(letters)

    def _limit(self, letters: list[DeadLetter]) -> list[DeadLetter]:
        """The dead letters each gateway's limit lets through, then any summaries due."""
        kept: list[DeadLetter] = []
        for letter in letters:
            if letter.reason is DeadLetterReason.INGEST_ERROR and letter.payload is not None:
                # The decoder itself failed: a defect to look at, whatever the gateway sent.
                log.error(
                    "ingest failed to decode a message on %s: %s", letter.topic, letter.detail
                )
                metrics.ERRORS.labels("decode").inc()
            if self.dead_letters.admit(letter):
                kept.append(letter)
            else:
                metrics.DEAD_LETTERS_SUPPRESSED.labels(letter.reason.value).inc()
                self.stats.dead_letters_suppressed += 1
        kept.extend(self.dead_letters.summaries())
        return kept

    def _count_and_ack(self, items: Sequence[Received], batch: WriteBatch) -> None:
        self._count_stored(batch.dead_letters)
        self.stats.messages_written += len(items)
        consumer = self._consumer
        if consumer is not None:
            for item in items:
                if not consumer.ack(item.delivery):
                    self.stats.acks_deferred += 1

    async def _store_inspections(self, inbounds: Sequence[Inbound]) -> list[DeadLetter]:
        """Inspection results committed (once per gateway and seq); the dead letters to write."""
        planned, letters = plan_inspections(inbounds, self.directory)
        messages = [(g, m.message) for m, g in planned if isinstance(m.message, InspectionBatch)]
        if not messages:
            return letters
        if self._inspection is None:
            self._inspection = InspectionSink(self.settings.database_url)
        sink = self._inspection
        outcome = await self._with_database(lambda _: sink.store(messages), "write inspections")
        for (inbound, _), refused in zip(planned, outcome.refused, strict=True):
            if refused:
                refusals = tuple(Refusal(DeadLetterReason(r.reason), r.detail) for r in refused)
                letters.append(
                    DeadLetter(inbound.topic, inbound.topic_gateway, refusals, inbound.payload)
                )
        return letters

    async def _store_programs(self, inbounds: Sequence[Inbound]) -> list[DeadLetter]:
        """Program runs committed (once per gateway, device, unit and run id); dead letters."""
        planned, letters = plan_inspections(inbounds, self.directory, TopicKind.PROGRAM)
        runs = [(g, m.message) for m, g in planned if isinstance(m.message, ProgramRun)]
        if runs:
            await self._with_database(lambda conn: store_runs(conn, runs), "write program runs")
        return letters

    def _plan(self, inbounds: Sequence[Inbound], extra: Sequence[DeadLetter] = ()) -> WriteBatch:
        batch = WriteBatch(dead_letters=list(extra))
        now_ms = int(time.time() * 1000)
        for inbound in inbounds:
            if inbound.kind is TopicKind.TELEMETRY and inbound.message is not None:
                plan = plan_telemetry(inbound, self.directory, self.converter, now_ms)
                batch.series.extend(plan.series)
                batch.dead_letters.extend(plan.dead_letters)
                batch.late_ranges.extend(plan.late)
                if plan.gateway is not None and plan.seqs:
                    batch.seqs_by_gateway.setdefault(plan.gateway.id, []).extend(plan.seqs)
            elif (
                inbound.kind in (TopicKind.STATE, TopicKind.HEARTBEAT)
                and inbound.message is not None
            ):
                update = plan_gateway_update(inbound, self.directory)
                if isinstance(update, GatewayUpdate):
                    batch.gateway_updates.append(update)
                else:
                    batch.dead_letters.append(update)
            elif (
                inbound.kind in (TopicKind.INSPECTION, TopicKind.PROGRAM)
                and inbound.message is not None
            ):
                continue  # stored by _store_inspections and _store_programs
            else:
                batch.dead_letters.append(refused_inbound(inbound))
        batch.dead_letters = self._limit(batch.dead_letters)
        return batch

    async def _listen_for_channel_changes(self) -> None:
        """Expire the cached channel mappings whenever a channel changes or goes.

        A trigger on the channel table NOTIFYs on every UPDATE and DELETE (migration 0019), so
        readings stop going to a deleted channel, or in a corrected unit, at once rather than
        when the cache would have aged out. Everything also expires on each (re)connection:
        notifications sent while this connection was down are lost.
        """
        while not self._stopping.is_set():
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, connect_timeout=5
                )
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL_DIRECTORY_NOTIFY}")
                    self.directory.expire()
                    async for _ in conn.notifies():
                        self.directory.expire()
            except (psycopg.Error, OSError) as exc:
                log.debug("channel change listener reconnecting: %s", exc)
            self.directory.expire()
            await asyncio.sleep(1.0)

    async def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self._conninfo, connect_timeout=5)
        return self._conn

    async def _with_database(self, action: Callable[[Connection], Awaitable[T]], what: str) -> T:
        """Run ``action`` until the database answers; nothing is acknowledged meanwhile."""
        delay = 0.1
        while True:
            try:
                result = await action(await self._connection())
            except _RETRYABLE as exc:
                if self._conn is not None:
                    with contextlib.suppress(psycopg.Error):
                        await self._conn.close()
                    self._conn = None
                if not self._db_failing:
                    # Once on failure and once on recovery, not on every retry.
                    log.error(
                        "ingest cannot %s, retrying until the database is back: %s", what, exc
                    )
                    self._db_failing = True
                metrics.WRITE_RETRIES.inc()
                if self._stopping.is_set():
                    raise _Stopping from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_delay_s)
                continue
            if self._db_failing:
                log.warning("ingest database is back; writing resumed")
                self._db_failing = False
            return result


async def run_ingest(settings: IngestSettings) -> None:
    """Run a standalone worker until SIGINT or SIGTERM (``labshare-server ingest``)."""
    worker = IngestWorker(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await worker.start()
    log.info("ingest worker %s running", worker.client_id)
    writer = worker.finished
    assert writer is not None
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopped, writer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        await worker.stop()
    if not stop.is_set():
        # Exit non-zero so the supervisor (systemd, Docker, Kubernetes) restarts the worker.
        raise RuntimeError("the ingest writer stopped; exiting so that it is restarted")
