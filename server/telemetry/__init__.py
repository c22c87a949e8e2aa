"""Telemetry ingest: MQTT batches from gateways into the telemetry hypertable.

See ``docs/telemetry-ingest.md`` for the flow, the dead-letter reasons and the sequence-gap
semantics.
"""

from server.telemetry.sequence import SequenceGap, advance_sequence
from server.telemetry.units import Conversion, IncompatibleUnitError, UnitConverter
from server.telemetry.validation import (
    ChannelDirectory,
    ChannelRef,
    DeadLetter,
    DeadLetterReason,
    GatewayRef,
    decode_inbound,
    plan_telemetry,
)
from server.telemetry.worker import IngestSettings, IngestWorker, run_ingest

__all__ = [
    "ChannelDirectory",
    "ChannelRef",
    "Conversion",
    "DeadLetter",
    "DeadLetterReason",
    "GatewayRef",
    "IncompatibleUnitError",
    "IngestSettings",
    "IngestWorker",
    "SequenceGap",
    "UnitConverter",
    "advance_sequence",
    "decode_inbound",
    "plan_telemetry",
    "run_ingest",
]
