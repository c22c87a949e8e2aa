"""I/O side: line transports, protocol clients and the polling loop."""

from firmware_bridge.adapters.clients import (
    MtSicsClient,
    ScpiClient,
    ScpiCommandError,
    ScpiQueryError,
)
from firmware_bridge.adapters.poller import InstrumentPoller, connector_for
from firmware_bridge.adapters.transport import LineStream, SerialLineStream, TcpLineStream

__all__ = [
    "InstrumentPoller",
    "LineStream",
    "MtSicsClient",
    "ScpiClient",
    "ScpiCommandError",
    "ScpiQueryError",
    "SerialLineStream",
    "TcpLineStream",
    "connector_for",
]
