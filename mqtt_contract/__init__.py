"""The MQTT contract between gateways (edge agent) and the server.

One source of truth for topic names and payload schemas, imported by both sides. The
contract is versioned: every topic starts with ``labshare/v1/`` and every payload carries
``"v": 1``. A breaking change adds a ``v2`` module next to ``v1``; the server then accepts
both while gateways are upgraded.
"""

from mqtt_contract.v1 import (
    CONTRACT_VERSION,
    TOPIC_ROOT,
    Calibration,
    CalibrationSet,
    CalibrationTablePoint,
    DeviceStatus,
    GatewayState,
    Heartbeat,
    Quality,
    Sample,
    Series,
    TelemetryBatch,
    Topic,
    TopicKind,
    decode_batch,
    encode,
    parse_topic,
    shared_subscription,
    topic_for,
)

__all__ = [
    "CONTRACT_VERSION",
    "TOPIC_ROOT",
    "Calibration",
    "CalibrationSet",
    "CalibrationTablePoint",
    "DeviceStatus",
    "GatewayState",
    "Heartbeat",
    "Quality",
    "Sample",
    "Series",
    "TelemetryBatch",
    "Topic",
    "TopicKind",
    "decode_batch",
    "encode",
    "parse_topic",
    "shared_subscription",
    "topic_for",
]
