"""Fixtures of the gateway tests: ``dynsec_broker`` (see tests/gateways/dynsec.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateways.dynsec import DynsecBroker, start_dynsec_broker


@pytest.fixture
def dynsec_broker(tmp_path: Path) -> Iterator[DynsecBroker]:
    broker = start_dynsec_broker(tmp_path)
    try:
        yield broker
    finally:
        broker.stop()
