"""Real protocol peers for the gateway tests: pymodbus servers and MQTT subscribers
(defined in tests/harness/edge.py).

The helpers stay importable from here for modules not yet moved to ``tests.harness.edge``;
new code imports them from there.
"""

from tests.harness.edge import (
    ModbusPeer,
    Subscriber,
    holding_device,
    modbus_servers,
    silent_peer,
    start_modbus_server,
    subscriber,
    wait_until,
)

__all__ = [
    "ModbusPeer",
    "Subscriber",
    "holding_device",
    "modbus_servers",
    "silent_peer",
    "start_modbus_server",
    "subscriber",
    "wait_until",
]
