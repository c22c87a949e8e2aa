"""Adapters from instrument line protocols (MT-SICS, SCPI) to Modbus/MQTT, and simulators.

A separate process from the edge agent: it imports ``mqtt_contract`` only.
"""

from firmware_bridge.bridge import Bridge
from firmware_bridge.config import BridgeConfig, ConfigError, load_config, parse_config
from firmware_bridge.faults import Fault, FaultPlan
from firmware_bridge.readings import Reading, ReadingSink

__all__ = [
    "Bridge",
    "BridgeConfig",
    "ConfigError",
    "Fault",
    "FaultPlan",
    "Reading",
    "ReadingSink",
    "load_config",
    "parse_config",
]
