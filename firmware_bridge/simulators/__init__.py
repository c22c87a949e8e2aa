"""Instrument simulators speaking real protocols, for the demo and the tests."""

from firmware_bridge.simulators.chamber import ChamberModel, ChamberSimulator, ChamberStatus

__all__ = ["ChamberModel", "ChamberSimulator", "ChamberStatus"]
