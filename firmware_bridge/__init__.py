"""Adapters from instrument line protocols (MT-SICS, SCPI) to Modbus/MQTT, and simulators."""

__all__: list[str] = []
