"""Fixtures: instrument simulators on free ports and a recording sink.

The fixtures are defined in tests/harness/bridge.py, with the helpers tests import from there.
"""

from tests.harness.bridge import balance, multimeter, sink

__all__ = ["balance", "multimeter", "sink"]
