"""Real protocol peers for the gateway tests: pymodbus servers and MQTT subscribers.

The fixtures are defined in tests/harness/edge.py, with the helpers tests import from there.
"""

from tests.harness.edge import modbus_servers, silent_peer, subscriber

__all__ = ["modbus_servers", "silent_peer", "subscriber"]
