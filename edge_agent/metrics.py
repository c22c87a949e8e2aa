"""Prometheus metrics, read from the gateway's live state at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge_agent.forwarder import Forwarder
from edge_agent.mqtt_link import MqttLink
from edge_agent.poller import DeviceHealth
from edge_agent.spool import SampleSpool

__all__ = ["GatewayCollector", "GatewayState", "serve_metrics"]


class GatewayState(Protocol):
    """What a scrape reads of the running gateway (``edge_agent.agent.Gateway``)."""

    @property
    def spool(self) -> SampleSpool | None: ...
    @property
    def forwarder(self) -> Forwarder | None: ...
    @property
    def link(self) -> MqttLink | None: ...
    def device_health(self) -> list[DeviceHealth]: ...


class GatewayCollector(Collector):
    def __init__(self, gateway: GatewayState) -> None:
        self.gateway = gateway

    def collect(self) -> Iterator[Metric]:
        gw = self.gateway
        spool = gw.spool
        forwarder = gw.forwarder
        if spool is not None:
            yield GaugeMetricFamily(
                "labshare_edge_spool_depth", "Samples waiting in the spool", value=spool.depth
            )
            yield CounterMetricFamily(
                "labshare_edge_spool_dropped",
                "Samples dropped because the spool reached its size cap",
                value=spool.dropped_total,
            )
            yield GaugeMetricFamily(
                "labshare_edge_last_seq", "Last sequence number issued", value=spool.last_seq
            )
        if forwarder is not None:
            yield CounterMetricFamily(
                "labshare_edge_samples_spooled", "Samples spooled", value=forwarder.samples_in
            )
            yield CounterMetricFamily(
                "labshare_edge_samples_acked",
                "Samples acknowledged by the broker",
                value=forwarder.samples_acked,
            )
            rejected = CounterMetricFamily(
                "labshare_edge_publish_rejected",
                "Telemetry messages whose PUBACK was not a success (MQTT 5 reason code, e.g. "
                "0x10 no matching subscribers); their samples stayed spooled and are sent again",
                labels=["reason"],
            )
            for code, count in sorted(forwarder.rejected_by_reason.items()):
                rejected.add_metric([f"0x{code:02x}"], count)
            yield rejected
            yield CounterMetricFamily(
                "labshare_edge_samples_rejected",
                "Samples in telemetry messages the broker did not deliver (kept, sent again)",
                value=forwarder.samples_rejected,
            )
            yield GaugeMetricFamily(
                "labshare_edge_inflight_batches",
                "Telemetry messages awaiting PUBACK",
                value=forwarder.inflight_messages,
            )
        yield GaugeMetricFamily(
            "labshare_edge_broker_connected",
            "1 while the broker connection is up",
            value=1.0 if gw.link is not None and gw.link.connected else 0.0,
        )
        up = GaugeMetricFamily(
            "labshare_edge_device_up", "1 while a device answers", labels=["device"]
        )
        polls = CounterMetricFamily("labshare_edge_device_polls", "Poll cycles", labels=["device"])
        failures = CounterMetricFamily(
            "labshare_edge_device_failures", "Failed poll cycles", labels=["device"]
        )
        latency = GaugeMetricFamily(
            "labshare_edge_read_latency_seconds", "Latency of the last read", labels=["device"]
        )
        for health in gw.device_health():
            if health.status == "disabled":
                continue
            up.add_metric([health.device], 1.0 if health.status == "ok" else 0.0)
            polls.add_metric([health.device], health.polls)
            failures.add_metric([health.device], health.failures)
            if health.last_latency_ms is not None:
                latency.add_metric([health.device], health.last_latency_ms / 1000)
        yield up
        yield polls
        yield failures
        yield latency


def serve_metrics(gateway: GatewayState, host: str, port: int) -> Any:
    """Start the scrape endpoint in a thread; returns the server (call ``shutdown()``)."""
    registry = CollectorRegistry()
    registry.register(GatewayCollector(gateway))
    httpd, _thread = start_http_server(port, addr=host, registry=registry)
    return httpd
