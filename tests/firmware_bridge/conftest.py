"""Fixtures: instrument simulators on free ports and a recording sink (tests/harness/bridge.py).

``RecordingSink`` and ``eventually`` stay importable from here for modules not yet moved to
``tests.harness.bridge``.
"""

from tests.harness.bridge import RecordingSink, balance, eventually, multimeter, sink

__all__ = ["RecordingSink", "balance", "eventually", "multimeter", "sink"]
