"""Instrument simulators speaking real protocols, for the demo and the tests."""

from firmware_bridge.simulators.balance import BalanceModel, BalanceSimulator
from firmware_bridge.simulators.chamber import ChamberModel, ChamberSimulator, ChamberStatus
from firmware_bridge.simulators.ph import PhMeterModel, PhMeterSimulator
from firmware_bridge.simulators.scpi import MultimeterModel, ScpiSimulator

__all__ = [
    "BalanceModel",
    "BalanceSimulator",
    "ChamberModel",
    "ChamberSimulator",
    "ChamberStatus",
    "MultimeterModel",
    "PhMeterModel",
    "PhMeterSimulator",
    "ScpiSimulator",
]
