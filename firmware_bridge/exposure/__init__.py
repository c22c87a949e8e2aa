"""Where readings go: Modbus holding registers and/or JSON on local MQTT."""

from firmware_bridge.exposure.modbus import ModbusExposure, decode_point_registers
from firmware_bridge.exposure.mqtt import MqttExposure, encode_reading

__all__ = ["ModbusExposure", "MqttExposure", "decode_point_registers", "encode_reading"]
