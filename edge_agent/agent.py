"""The gateway: pollers, spool, forwarder, MQTT link, health and live reconfiguration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from edge_agent import __version__
from edge_agent.calibration import CalibrationBook
from edge_agent.clock import Clock, SystemClock, raise_if_cancelled
from edge_agent.forwarder import Forwarder
from edge_agent.metrics import serve_metrics
from edge_agent.mqtt_link import MqttLink
from edge_agent.mqtt_source import MqttDeviceSource
from edge_agent.opcua_source import OpcUaDeviceSource
from edge_agent.poller import DeviceHealth, DevicePoller, run_forever, run_restarting
from edge_agent.program_outbox import ProgramOutbox, outbox_path
from edge_agent.sila_source import SilaDeviceSource
from edge_agent.spool import SampleSpool
from edge_agent.transport import TransportFactory, TransportPool
from mqtt_contract.gateway_config import (
    ConfigError,
    GatewayConfig,
    ModbusDevice,
    MqttDevice,
    OpcUaDevice,
    SilaDevice,
    config_hash,
    parse_config_text,
)
from mqtt_contract.v1 import (
    CalibrationSet,
    GatewayState,
    Heartbeat,
    TopicKind,
    encode,
    topic_for,
)

__all__ = ["Gateway"]

log = logging.getLogger("edge_agent")


class Gateway:
    """One running gateway. ``run(stop)`` returns after a clean shutdown."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        clock: Clock | None = None,
        transport_factory: Callable[[], TransportFactory] | None = None,
    ) -> None:
        self.config = config
        self.config_hash = config_hash(config)
        self.key = config.gateway.key
        self.clock = clock or SystemClock()
        self._transport_factory = transport_factory or TransportPool
        self.calibrations = CalibrationBook()
        self.spool: SampleSpool | None = None
        self.forwarder: Forwarder | None = None
        self.programs: ProgramOutbox | None = None
        self.link: MqttLink | None = None
        self.pollers: dict[str, DevicePoller] = {}
        self.sources: dict[str, MqttDeviceSource] = {}
        self.opcua_sources: dict[str, OpcUaDeviceSource] = {}
        self.sila_sources: dict[str, SilaDeviceSource] = {}
        self._device_tasks: list[asyncio.Task[None]] = []
        self._device_links: list[MqttLink] = []
        self._topic_sources: dict[str, MqttDeviceSource] = {}
        self._pool: Any = None
        self.config_rejections = 0
        self._background: set[asyncio.Task[None]] = set()
        self._started_config = config
        self.topic_state = topic_for(self.key, TopicKind.STATE)
        self.topic_heartbeat = topic_for(self.key, TopicKind.HEARTBEAT)
        self.topic_config = topic_for(self.key, TopicKind.CONFIG)
        self.topic_calibration = topic_for(self.key, TopicKind.CALIBRATION)

    # -- state messages -------------------------------------------------------------------
    def _state(self, status: str) -> bytes:
        return encode(
            GatewayState(
                gateway=self.key,
                status=status,
                ts_ms=self.clock.wall_ms(),
                config_hash=self.config_hash,
                agent_version=__version__,
                devices=[d.key for d in self.config.devices if d.enabled],
            )
        )

    def heartbeat(self) -> Heartbeat:
        assert self.spool is not None
        return Heartbeat(
            gateway=self.key,
            ts_ms=self.clock.wall_ms(),
            spool_depth=self.spool.depth,
            spool_dropped_total=self.spool.dropped_total,
            last_seq=self.spool.last_seq,
            devices=[h.to_contract() for h in self.device_health()],
        )

    def device_health(self) -> list[DeviceHealth]:
        disabled = [
            DeviceHealth(device=d.key, status="disabled")
            for d in self.config.devices
            if not d.enabled
        ]
        polled = [p.health for p in self.pollers.values()]
        subscribed = [s.health for s in self.opcua_sources.values()]
        subscribed += [s.health for s in self.sila_sources.values()]
        return polled + [s.health for s in self.sources.values()] + subscribed + disabled

    def _publish_other(self, topic: str, payload: bytes, qos: int, retain: bool = False) -> None:
        """Publish a non-telemetry message; its acknowledgement must not release samples."""
        assert self.link is not None
        mid = self.link.publish(topic, payload, qos, retain)
        if mid is not None and self.forwarder is not None:
            self.forwarder.release_mid(mid)

    # -- link callbacks -------------------------------------------------------------------
    def _on_connected(self) -> None:
        assert self.link is not None
        assert self.forwarder is not None
        self._publish_other(self.topic_state, self._state("online"), qos=1, retain=True)
        self.forwarder.on_connected()

    def _on_disconnected(self) -> None:
        if self.forwarder is not None:
            self.forwarder.on_disconnected()

    def _on_ack(self, mid: int, reason_code: int) -> None:
        if self.forwarder is not None:
            self.forwarder.on_ack(mid, reason_code)

    def _on_message(self, topic: str, payload: bytes) -> None:
        if topic == self.topic_calibration:
            self._apply_calibration(payload)
        elif topic == self.topic_config:
            self._apply_pushed_config(payload)
        elif topic in self._topic_sources:
            self._topic_sources[topic].handle(payload)

    def _apply_calibration(self, payload: bytes) -> None:
        if not payload:
            self.calibrations.load([])
            log.info("calibration set cleared")
            return
        try:
            calibration_set = CalibrationSet.model_validate_json(payload)
        except ValidationError as exc:
            log.error("calibration set rejected: %s", exc.errors()[0]["msg"])
            return
        if calibration_set.gateway != self.key:
            log.error("calibration set for gateway %s rejected", calibration_set.gateway)
            return
        self.calibrations.replace(calibration_set)
        log.info("calibration set applied: %d corrections", len(self.calibrations))

    def _apply_pushed_config(self, payload: bytes) -> None:
        if not payload:
            return
        try:
            config = parse_config_text(payload)
        except ConfigError as exc:
            self.config_rejections += 1
            log.error("pushed configuration rejected, keeping the running one: %s", exc)
            return
        if config.gateway.key != self.key:
            self.config_rejections += 1
            log.error(
                "pushed configuration is for gateway %s, not %s; rejected",
                config.gateway.key,
                self.key,
            )
            return
        new_hash = config_hash(config)
        if new_hash == self.config_hash:
            return
        self._restart_devices(config)
        log.info("pushed configuration %s applied", new_hash[:12])
        if any(
            getattr(config, section) != getattr(self._started_config, section)
            for section in ("mqtt", "spool", "metrics")
        ):
            log.warning("pushed mqtt/spool/metrics settings take effect at the next start")
        if self.link is not None and self.link.connected:
            self._publish_other(self.topic_state, self._state("online"), qos=1, retain=True)

    # -- devices --------------------------------------------------------------------------
    def _start_devices(self) -> None:
        assert self.forwarder is not None
        assert self.link is not None
        self._pool = self._transport_factory()
        loop = asyncio.get_running_loop()
        extra_links: dict[tuple[str, int], MqttLink] = {}
        for device in self.config.devices:
            if not device.enabled:
                continue
            if isinstance(device, ModbusDevice):
                poller = DevicePoller(
                    device, self._pool(device), self.forwarder, self.clock, self.calibrations
                )
                self.pollers[device.key] = poller
                self._device_tasks.append(
                    asyncio.create_task(run_forever(poller), name=f"poll-{device.key}")
                )
            elif isinstance(device, OpcUaDevice):
                opcua = OpcUaDeviceSource(
                    device, self.forwarder, self.clock, self.calibrations, runs=self.programs
                )
                self.opcua_sources[device.key] = opcua
                self._device_tasks.append(
                    asyncio.create_task(
                        run_restarting(opcua.run, device.key, what="source", pause_s=1.0),
                        name=f"opcua-{device.key}",
                    )
                )
            elif isinstance(device, SilaDevice):
                sila = SilaDeviceSource(device, self.forwarder, self.clock, self.calibrations)
                self.sila_sources[device.key] = sila
                self._device_tasks.append(
                    asyncio.create_task(
                        run_restarting(sila.run, device.key, what="source", pause_s=1.0),
                        name=f"sila-{device.key}",
                    )
                )
            elif isinstance(device, MqttDevice):
                source = MqttDeviceSource(device, self.forwarder, self.clock, self.calibrations)
                self.sources[device.key] = source
                self._topic_sources[device.topic] = source
                host = device.host or self.config.mqtt.host
                port = device.port or self.config.mqtt.port
                if (host, port) == (self.config.mqtt.host, self.config.mqtt.port):
                    self.link.subscribe(device.topic, qos=1)
                    continue
                if (host, port) not in extra_links:
                    extra_links[(host, port)] = MqttLink(
                        loop,
                        host=host,
                        port=port,
                        client_id=f"{self.key}-src-{host}-{port}",
                        on_message=self._on_message,
                    )
                extra_links[(host, port)].subscribe(device.topic, qos=1)
        for link in extra_links.values():
            link.start()
            self._device_links.append(link)
        if self.sources:
            self._device_tasks.append(asyncio.create_task(self._stale_loop(), name="stale"))

    async def _stop_devices(self) -> None:
        await _cancel_all(self._device_tasks)
        self._device_tasks.clear()
        for link in self._device_links:
            link.stop()
        self._device_links.clear()
        if self.link is not None:
            for topic in self._topic_sources:
                self.link.unsubscribe(topic)
        self._topic_sources.clear()
        self.pollers.clear()
        self.sources.clear()
        self.opcua_sources.clear()
        self.sila_sources.clear()
        if self._pool is not None and hasattr(self._pool, "close"):
            await self._pool.close()
        self._pool = None

    def _restart_devices(self, config: GatewayConfig) -> None:
        self.config = config
        self.config_hash = config_hash(config)
        if self.forwarder is not None:
            self.forwarder.max_samples = config.batch.max_samples
            self.forwarder.max_delay_s = config.batch.max_delay_ms / 1000

        async def restart() -> None:
            await self._stop_devices()
            self._start_devices()

        task = asyncio.get_running_loop().create_task(restart(), name="reconfigure")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _stale_loop(self) -> None:
        while True:
            raise_if_cancelled()
            await asyncio.sleep(1.0)
            for source in self.sources.values():
                source.check_stale()

    async def _heartbeat_loop(self) -> None:
        while True:
            raise_if_cancelled()
            await asyncio.sleep(self.config.heartbeat.interval_s)
            if self.link is not None and self.link.connected:
                self._publish_other(self.topic_heartbeat, encode(self.heartbeat()), qos=0)

    # -- lifecycle ------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, *, drain_timeout_s: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        cfg = self._started_config = self.config
        self.spool = SampleSpool(cfg.spool.path, cfg.spool.max_bytes, cfg.spool.synchronous)
        self.programs = ProgramOutbox(outbox_path(cfg.spool.path), self.key)
        self.link = MqttLink(
            loop,
            host=cfg.mqtt.host,
            port=cfg.mqtt.port,
            servers=cfg.mqtt.addresses(),
            client_id=cfg.mqtt.client_id or f"labshare-edge-{self.key}",
            username=cfg.mqtt.username,
            password_env=cfg.mqtt.password_env,
            keepalive_s=cfg.mqtt.keepalive_s,
            protocol=cfg.mqtt.protocol,
            will=(self.topic_state, self._state("offline")),
            on_connected=self._on_connected,
            on_disconnected=self._on_disconnected,
            on_ack=self._on_ack,
            on_message=self._on_message,
        )
        self.forwarder = Forwarder(
            self.key,
            self.spool,
            self.link,
            self.clock,
            max_samples=cfg.batch.max_samples,
            max_delay_ms=cfg.batch.max_delay_ms,
            max_inflight=cfg.batch.max_inflight,
            drain_rate=cfg.spool.drain_rate,
            max_payload_bytes=cfg.mqtt.max_payload_bytes,
        )
        log.info(
            "gateway %s starting: %d devices, config %s, spool depth %d, last seq %d",
            self.key,
            len(cfg.devices),
            self.config_hash[:12],
            self.spool.depth,
            self.spool.last_seq,
        )
        self.link.subscribe(self.topic_calibration, qos=1)
        self.link.subscribe(self.topic_config, qos=1)
        metrics_server = None
        if cfg.metrics.port > 0:
            metrics_server = serve_metrics(self, cfg.metrics.host, cfg.metrics.port)
        self.link.start()
        self._start_devices()
        core = [
            asyncio.create_task(self.forwarder.run(), name="forwarder"),
            asyncio.create_task(self._heartbeat_loop(), name="heartbeat"),
            asyncio.create_task(
                self.programs.run(self.link, self.forwarder.release_mid), name="programs"
            ),
        ]
        try:
            await stop.wait()
        finally:
            log.info("gateway %s stopping", self.key)
            await self._stop_devices()
            await _cancel_all(list(self._background))
            # Samples already read are spooled; give the broker a moment to take them.
            drained = await self.forwarder.drain(drain_timeout_s)
            await _cancel_all(core)
            if self.link.connected:  # runs that ended during shutdown (else sent next start)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self.programs.flush(self.link, self.forwarder.release_mid), 2.0
                    )
            if self.link.connected:
                await self.link.publish_and_wait(
                    self.topic_state,
                    self._state("offline"),
                    qos=1,
                    retain=True,
                    timeout_s=2,
                    on_mid=self.forwarder.release_mid,
                )
            self.link.stop()
            if metrics_server is not None:
                metrics_server.shutdown()
            log.info(
                "gateway %s stopped; %d samples remain spooled%s",
                self.key,
                self.spool.depth,
                "" if drained else " (broker did not acknowledge all in time)",
            )
            self.spool.close()
            self.programs.close()


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel and await tasks, repeating the request if a library swallowed it."""
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=1.0)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s ended with %r", task.get_name(), task.exception())
