"""The bridge's YAML configuration, validated with pydantic; errors name the offending field.

```yaml
modbus: {host: 127.0.0.1, port: 5021, device_id: 1}       # optional: expose as registers
mqtt: {host: 127.0.0.1, port: 1883, client_id: bridge-1}   # optional: expose as JSON
instruments:
  - key: balance-1
    protocol: mt_sics                                       # mt_sics | scpi
    transport: {kind: tcp, host: 127.0.0.1, port: 4001}     # or {kind: serial, url: /dev/ttyUSB0, baudrate: 9600}
    poll_interval_s: 1.0
    points:
      - {key: weight, query: SI, unit: g, register_address: 0, topic: lab/balance-1/weight}
```
Each point with ``register_address: N`` occupies holding registers N..N+4 (see ``exposure.modbus``).
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mqtt_contract.v1 import KEY_PATTERN

__all__ = [
    "REGISTERS_PER_POINT",
    "BridgeConfig",
    "ConfigError",
    "InstrumentConfig",
    "ModbusExposureConfig",
    "MqttExposureConfig",
    "PointConfig",
    "Protocol",
    "SerialTransport",
    "TcpTransport",
    "load_config",
    "parse_config",
]

#: Registers per exposed point: float32 value (2), quality, reading counter, stable flag.
REGISTERS_PER_POINT = 5


class ConfigError(ValueError):
    """An invalid config file; the message lists each bad field as ``path: reason``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Protocol(StrEnum):
    MT_SICS = "mt_sics"
    SCPI = "scpi"


class TcpTransport(_Model):
    kind: Literal["tcp"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)


class SerialTransport(_Model):
    kind: Literal["serial"]
    url: str = Field(min_length=1, description="device path or pyserial URL")
    baudrate: int = Field(default=9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1


Transport = Annotated[TcpTransport | SerialTransport, Field(discriminator="kind")]


class PointConfig(_Model):
    key: str = Field(pattern=KEY_PATTERN)
    query: str = Field(min_length=1, description="MT-SICS S|SI, or a SCPI query ending in '?'")
    unit: str = Field(min_length=1, description="unit the point is published in (pint string)")
    register_address: int | None = Field(default=None, ge=0, le=65535 - REGISTERS_PER_POINT)
    topic: str | None = Field(default=None, min_length=1)


class InstrumentConfig(_Model):
    key: str = Field(pattern=KEY_PATTERN)
    protocol: Protocol
    transport: Transport
    poll_interval_s: float = Field(default=1.0, gt=0, le=3600)
    reply_timeout_s: float = Field(default=2.0, gt=0, le=60)
    points: list[PointConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _queries_fit_protocol(self) -> InstrumentConfig:
        for point in self.points:
            if self.protocol is Protocol.MT_SICS and point.query not in ("S", "SI"):
                raise ValueError(f"point {point.key!r}: MT-SICS query must be 'S' or 'SI'")
            if self.protocol is Protocol.SCPI and not point.query.rstrip().endswith("?"):
                raise ValueError(f"point {point.key!r}: SCPI query must end with '?'")
        keys = [p.key for p in self.points]
        if len(set(keys)) != len(keys):
            raise ValueError("point keys must be unique within an instrument")
        return self


class ModbusExposureConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=5021, ge=0, le=65535)
    device_id: int = Field(default=1, ge=0, le=247)


class MqttExposureConfig(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str = "labshare-bridge"
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="name of the environment variable holding the password"
    )
    qos: Literal[0, 1] = 1

    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


class BridgeConfig(_Model):
    modbus: ModbusExposureConfig | None = None
    mqtt: MqttExposureConfig | None = None
    instruments: list[InstrumentConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _exposures_exist_and_do_not_overlap(self) -> BridgeConfig:
        occupied: dict[int, str] = {}
        instrument_keys: set[str] = set()
        for instrument in self.instruments:
            if instrument.key in instrument_keys:
                raise ValueError(f"instrument key {instrument.key!r} is used twice")
            instrument_keys.add(instrument.key)
            for point in instrument.points:
                name = f"{instrument.key}.{point.key}"
                if point.register_address is None and point.topic is None:
                    raise ValueError(f"point {name} has neither 'register_address' nor 'topic'")
                if point.topic is not None and self.mqtt is None:
                    raise ValueError(f"point {name} has a topic but there is no 'mqtt' section")
                if point.register_address is None:
                    continue
                if self.modbus is None:
                    raise ValueError(
                        f"point {name} has a register_address but there is no 'modbus' section"
                    )
                for address in range(
                    point.register_address, point.register_address + REGISTERS_PER_POINT
                ):
                    if address in occupied:
                        raise ValueError(
                            f"point {name} registers {point.register_address}..{point.register_address + REGISTERS_PER_POINT - 1}"
                            f" overlap {occupied[address]} at register {address}"
                        )
                    occupied[address] = name
        return self


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        path = ""
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        lines.append(f"{path or '(top level)'}: {item['msg']}")
    return "\n".join(lines)


def parse_config(document: object) -> BridgeConfig:
    try:
        return BridgeConfig.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def load_config(path: str | Path) -> BridgeConfig:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return parse_config(document)
