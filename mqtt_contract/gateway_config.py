"""Gateway configuration: the YAML schema, its validation and its hash.

The edge agent runs on it and the server validates what it pushes to a gateway with it, so
both live here, in the one package they share.

A configuration is valid only if every point's unit can be converted from its source unit,
every key is unique where it must be, and devices sharing a serial bus agree on the line
settings. Errors carry the path of the offending field (``devices[0].points[2].unit``) so
an operator can fix the file without reading code.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mqtt_contract.units import UnitProblem, check_compatible, parse_unit
from mqtt_contract.v1 import Key

__all__ = [
    "ByteOrder",
    "ConfigError",
    "ConfigIssue",
    "DeviceConfig",
    "GatewayConfig",
    "LadsFunctionalUnit",
    "LadsResultValue",
    "LadsSection",
    "LoopScaling",
    "ModbusDevice",
    "ModbusPoint",
    "ModbusRtuDevice",
    "ModbusRtuOverTcpDevice",
    "ModbusTcpDevice",
    "MqttDevice",
    "MqttPoint",
    "OpcUaDevice",
    "OpcUaPoint",
    "PointType",
    "RegisterKind",
    "SilaCommand",
    "SilaDevice",
    "SilaPoint",
    "broker_address",
    "bus_name",
    "config_hash",
    "load_config",
    "parse_config",
    "parse_config_text",
]

RegisterKind = Literal["coil", "discrete_input", "input", "holding"]
PointType = Literal[
    "bool",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "string",
]
ByteOrder = Literal["ABCD", "DCBA", "BADC", "CDAB"]

REGISTERS_PER_TYPE: dict[str, int] = {
    "bool": 1,
    "int16": 1,
    "uint16": 1,
    "int32": 2,
    "uint32": 2,
    "float32": 2,
    "int64": 4,
    "uint64": 4,
    "float64": 4,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_unit(value: str) -> str:
    try:
        parse_unit(value)
    except UnitProblem as exc:
        raise PydanticCustomError("unit", "{reason}", {"reason": str(exc)}) from exc
    return value


UnitName = Annotated[str, AfterValidator(_known_unit)]
"""A unit the shared unit registry knows (``mqtt_contract.units``)."""


class _SourceUnitFromUnit(BaseModel):
    """Instruments that state their unit (OPC UA, SiLA 2): ``source_unit`` defaults to ``unit``."""

    @model_validator(mode="before")
    @classmethod
    def _source_defaults_to_unit(cls, data: Any) -> Any:
        if isinstance(data, dict) and "source_unit" not in data and data.get("unit"):
            return {**data, "source_unit": data["unit"]}
        return data


_P = TypeVar("_P", bound="_PointBase")


def _unique_keys(points: list[_P]) -> list[_P]:
    _reject_duplicates(p.key for p in points)
    return points


class LoopScaling(_Strict):
    """A 4-20 mA current loop: how its current maps to the measured quantity (NAMUR NE 43).

    4 mA is ``range[0]`` and 20 mA ``range[1]`` in ``unit`` (a reversed range is allowed).
    Below ``low_limit_ma`` or above ``high_limit_ma`` the reading is outside the measuring
    range: it is kept at the value of that limit and flagged ``out_of_range``. At or below
    ``low_fault_ma`` or at or above ``high_fault_ma`` the loop reports a sensor or wiring
    fault: no value, quality ``loop_low_fault`` / ``loop_high_fault``.
    """

    range: tuple[float, float] = Field(description="Values at 4 mA and at 20 mA.")
    unit: UnitName = Field(min_length=1, description="Unit of the range (the measured quantity).")
    low_fault_ma: float = Field(default=3.6, ge=0)
    low_limit_ma: float = Field(default=3.8, ge=0)
    high_limit_ma: float = Field(default=20.5)
    high_fault_ma: float = Field(default=21.0)

    @field_validator("range")
    @classmethod
    def _span(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not all(math.isfinite(v) for v in value) or value[0] == value[1]:
            raise PydanticCustomError(
                "range", "range must be two different finite values (at 4 mA, at 20 mA)", {}
            )
        return value

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> LoopScaling:
        if not (
            self.low_fault_ma < self.low_limit_ma <= 4.0
            and 20.0 <= self.high_limit_ma < self.high_fault_ma
        ):
            raise PydanticCustomError(
                "loop",
                "loop thresholds must satisfy low_fault_ma < low_limit_ma <= 4 mA and "
                "20 mA <= high_limit_ma < high_fault_ma",
                {},
            )
        return self


class _PointBase(_Strict):
    key: Key
    name: str | None = None
    scale: float = 1.0
    offset: float = 0.0
    source_unit: UnitName = "dimensionless"
    loop: LoopScaling | None = Field(
        default=None,
        description="Read as a 4-20 mA loop current (source_unit then defaults to mA) and "
        "scaled onto this range.",
    )
    unit: str | None = Field(
        default=None,
        description="Unit published to the server; defaults to source_unit (or loop.unit).",
    )
    deadband: float | None = Field(default=None, ge=0)
    report_on_change: bool = False
    max_interval_s: float | None = Field(default=None, gt=0)
    valid_min: float | None = None
    valid_max: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _loop_reads_milliamperes(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("loop") is not None and "source_unit" not in data:
            return {**data, "source_unit": "mA"}
        return data

    @field_validator("loop")
    @classmethod
    def _loop_source_is_a_current(
        cls, value: LoopScaling | None, info: ValidationInfo
    ) -> LoopScaling | None:
        source = info.data.get("source_unit")
        if value is not None and source is not None:
            try:
                check_compatible(source, "mA")
            except UnitProblem as exc:
                raise PydanticCustomError(
                    "loop",
                    "a loop point reads a current: source_unit must be a current such as mA, "
                    "not '{source}'",
                    {"source": source},
                ) from exc
        return value

    @field_validator("unit")
    @classmethod
    def _compatible_unit(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        loop = info.data.get("loop")
        source = loop.unit if isinstance(loop, LoopScaling) else info.data.get("source_unit")
        try:
            if source is None:
                parse_unit(value)
            else:
                check_compatible(source, value)
        except UnitProblem as exc:
            raise PydanticCustomError("unit", "{reason}", {"reason": str(exc)}) from exc
        return value

    @field_validator("scale")
    @classmethod
    def _finite_scale(cls, value: float) -> float:
        if not math.isfinite(value) or value == 0:
            raise PydanticCustomError("scale", "scale must be a finite, non-zero number", {})
        return value

    @property
    def target_unit(self) -> str:
        if self.unit is not None:
            return self.unit
        return self.loop.unit if self.loop is not None else self.source_unit

    @model_validator(mode="after")
    def _range_order(self) -> _PointBase:
        if (
            self.valid_min is not None
            and self.valid_max is not None
            and self.valid_min > self.valid_max
        ):
            raise PydanticCustomError("range", "valid_min must not exceed valid_max", {})
        return self


class ModbusPoint(_PointBase):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # "register" is the YAML key, but the name clashes with ABCMeta.register on the model.
    kind: RegisterKind = Field(alias="register")
    address: int = Field(ge=0, le=65535)
    type: PointType = "uint16"
    length: int | None = Field(
        default=None, ge=1, le=250, description="String length in bytes (two per register)."
    )
    byte_order: ByteOrder = "ABCD"

    @model_validator(mode="after")
    def _type_fits_register(self) -> ModbusPoint:
        bit_kind = self.kind in ("coil", "discrete_input")
        if bit_kind and self.type != "bool":
            raise PydanticCustomError(
                "type", "a {kind} holds one bit: type must be bool", {"kind": self.kind}
            )
        if self.type == "string" and self.length is None:
            raise PydanticCustomError("type", "a string point needs a length (bytes)", {})
        if self.address + self.register_count > 65536:
            raise PydanticCustomError("address", "point extends past register 65535", {})
        return self

    @property
    def register_count(self) -> int:
        """Registers (or bits, for coils and discrete inputs) the point occupies."""
        if self.kind in ("coil", "discrete_input"):
            return 1
        if self.type == "string":
            return ((self.length or 0) + 1) // 2
        return REGISTERS_PER_TYPE[self.type]


class _NoLoopPoint(_PointBase):
    """A point read as a value, not as a 4-20 mA loop current (only Modbus reads currents)."""

    @field_validator("loop")
    @classmethod
    def _no_loop(cls, value: LoopScaling | None) -> LoopScaling | None:
        if value is not None:
            raise PydanticCustomError(
                "loop", "loop scaling applies to Modbus points (analogue input modules)", {}
            )
        return value


class MqttPoint(_NoLoopPoint):
    field: str = Field(
        min_length=1, description="Dotted path into the JSON payload, e.g. 'data.temp' or 'v[0]'."
    )
    unit_field: str | None = Field(
        default=None,
        description="Path to the unit the instrument states with each value; it then replaces "
        "source_unit for that message, and a unit of another dimension gives quality bad_unit.",
    )


class _DeviceBase(_Strict):
    key: Key
    name: str | None = None
    enabled: bool = True


class ModbusDevice(_DeviceBase):
    device_id: int = Field(default=1, ge=0, le=255)
    poll_interval_s: float = Field(default=1.0, gt=0, le=86400)
    timeout_s: float = Field(default=1.0, gt=0, le=60)
    max_gap: int = Field(
        default=8, ge=0, le=120, description="Unused registers a read may span to merge points."
    )
    max_read_registers: int = Field(default=125, ge=1, le=125)
    max_read_bits: int = Field(default=2000, ge=1, le=2000)
    points: Annotated[list[ModbusPoint], AfterValidator(_unique_keys)] = Field(min_length=1)


class ModbusTcpDevice(ModbusDevice):
    protocol: Literal["modbus_tcp"]
    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)


class ModbusRtuOverTcpDevice(ModbusDevice):
    """RTU frames tunnelled through a serial-to-Ethernet converter (one shared line)."""

    protocol: Literal["modbus_rtu_over_tcp"]
    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)
    frame_gap_ms: float = Field(default=5.0, ge=0, le=1000)


class ModbusRtuDevice(ModbusDevice):
    protocol: Literal["modbus_rtu"]
    serial_port: str = Field(min_length=1)
    baudrate: int = Field(default=9600, gt=0)
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    bus: str | None = Field(default=None, description="Bus name; defaults to serial_port.")
    frame_gap_ms: float = Field(default=5.0, ge=0, le=1000)


class MqttDevice(_DeviceBase):
    protocol: Literal["mqtt"]
    topic: str = Field(min_length=1)
    host: str | None = Field(default=None, description="Broker; defaults to the gateway's.")
    port: int | None = Field(default=None, ge=1, le=65535)
    stale_after_s: float = Field(default=60.0, gt=0)
    points: Annotated[list[MqttPoint], AfterValidator(_unique_keys)] = Field(min_length=1)

    @field_validator("topic")
    @classmethod
    def _no_wildcards(cls, topic: str) -> str:
        if "#" in topic or "+" in topic:
            raise PydanticCustomError("topic", "a device topic must not contain wildcards", {})
        return topic


# -- OPC UA (with the LADS companion specification) and SiLA 2 --------------------------------

OpcUaSecurityPolicy = Literal[
    "None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"
]
OpcUaSecurityMode = Literal["None", "Sign", "SignAndEncrypt"]

# A browse path: segments "<namespace index>:<browse name>" separated by "/", starting at the
# Objects folder, e.g. "0:Objects/2:DeviceSet/2:Incubator/2:Temperature".
_BROWSE_SEGMENT = re.compile(r"^\d+:[^/]+$")
_NODE_ID = re.compile(r"^(ns=\d+;)?[isgb]=.+$")


def _check_browse_path(value: str) -> str:
    parts = value.split("/")
    bad = [p for p in parts if not _BROWSE_SEGMENT.match(p)]
    if bad:
        raise PydanticCustomError(
            "browse_path",
            "browse path segments are '<namespace index>:<name>' separated by '/', "
            "e.g. '0:Objects/2:Device/2:Temperature'; '{bad}' is not",
            {"bad": bad[0]},
        )
    return value


class OpcUaPoint(_NoLoopPoint, _SourceUnitFromUnit):
    """One variable of an OPC UA server, read by a monitored item of the device's subscription.

    Exactly one of ``node_id`` and ``browse_path``. ``source_unit`` defaults to ``unit``; when
    the node carries an ``EngineeringUnits`` property (EUInformation) and ``units_from_server``
    is on, the server's unit replaces ``source_unit``, and a unit of another dimension than
    ``unit`` gives quality ``bad_unit``.
    """

    node_id: str | None = Field(
        default=None, description="Node id in the standard text form, e.g. 'ns=2;s=Temp'."
    )
    browse_path: str | None = Field(
        default=None, description="Path from the Objects folder, '0:Objects/2:Dev/2:Temp'."
    )
    sampling_interval_ms: float = Field(
        default=1000.0, ge=0, le=3_600_000, description="Server-side sampling; 0 = fastest."
    )
    server_deadband: float | None = Field(
        default=None,
        ge=0,
        description="Deadband the server applies before reporting (in the node's own units, "
        "or percent of its EURange with server_deadband_type: percent).",
    )
    server_deadband_type: Literal["absolute", "percent"] = "absolute"
    units_from_server: bool = True

    @field_validator("node_id")
    @classmethod
    def _node_id_form(cls, value: str | None) -> str | None:
        if value is not None and not _NODE_ID.match(value):
            raise PydanticCustomError(
                "node_id",
                "node_id must look like 'ns=2;s=Name', 'ns=3;i=1001' or 'i=2258', not '{value}'",
                {"value": value},
            )
        return value

    @field_validator("browse_path")
    @classmethod
    def _browse_path_form(cls, value: str | None) -> str | None:
        return None if value is None else _check_browse_path(value)

    @model_validator(mode="after")
    def _one_address(self) -> OpcUaPoint:
        if (self.node_id is None) == (self.browse_path is None):
            raise PydanticCustomError("node", "give exactly one of node_id and browse_path", {})
        if self.server_deadband_type == "percent" and (self.server_deadband or 0) > 100:
            raise PydanticCustomError("server_deadband", "a percent deadband is at most 100", {})
        return self


class LadsResultValue(_Strict, _SourceUnitFromUnit):
    """A variable of a finished run's result. Every value goes to the server with the run
    (program, run and result identifiers) as the booking session's data; a number is also
    published as the point ``<unit key>.<key>``."""

    key: Key
    name: str = Field(min_length=1, description="Browse name of the variable in the result.")
    source_unit: str = "dimensionless"
    unit: str | None = None

    @model_validator(mode="after")
    def _units_compatible(self) -> LadsResultValue:
        try:
            check_compatible(self.source_unit, self.unit or self.source_unit)
        except UnitProblem as exc:
            raise PydanticCustomError("unit", "{reason}", {"reason": str(exc)}) from exc
        return self


class LadsFunctionalUnit(_Strict):
    """A LADS functional unit: its state machine becomes the state point ``<key>.state``."""

    key: Key = Field(
        description="Prefix of the unit's points, e.g. 'incubator' -> 'incubator.state'."
    )
    browse_path: str = Field(
        description="Path to the FunctionalUnit object, "
        "e.g. '0:Objects/2:DeviceSet/2:Incubator/2:FunctionalUnitSet/2:IncubatorUnit'."
    )
    repeat_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Repeat the unchanged state this often: the server's state rule takes a "
        "silent state channel for an offline instrument.",
    )
    program: bool = Field(
        default=True,
        description="Also report the active program's runtime in s and its step number "
        "(<key>.program_runtime, <key>.step).",
    )

    results: list[LadsResultValue] = Field(
        default_factory=list,
        description="Values of each finished run's result (ProgramManager/ResultSet) to "
        "publish when the unit stops.",
    )

    @field_validator("browse_path")
    @classmethod
    def _browse_path_form(cls, value: str) -> str:
        return _check_browse_path(value)


class LadsSection(_Strict):
    functional_units: list[LadsFunctionalUnit] = Field(min_length=1)


class OpcUaDevice(_DeviceBase):
    protocol: Literal["opcua"]
    endpoint: str = Field(min_length=1, description="opc.tcp://host:port[/path]")
    security_policy: OpcUaSecurityPolicy = "None"
    security_mode: OpcUaSecurityMode = "None"
    certificate: str | None = Field(default=None, description="Client certificate (DER/PEM).")
    private_key: str | None = Field(default=None, description="The certificate's private key.")
    server_certificate: str | None = Field(
        default=None, description="The server's certificate, to trust it explicitly."
    )
    application_uri: str | None = Field(
        default=None,
        description="The gateway's application URI; with a certificate it must be the URI "
        "the certificate names (servers reject a mismatch).",
    )
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="Environment variable holding the password (never the file)."
    )
    timeout_s: float = Field(default=4.0, gt=0, le=60)
    publishing_interval_ms: float = Field(default=500.0, gt=0, le=3_600_000)
    watchdog_s: float = Field(
        default=2.0, gt=0, le=300, description="How often the connection is probed."
    )
    reconnect_max_s: float = Field(default=30.0, gt=0, le=3600)
    timestamps: Literal["source", "server", "gateway"] = Field(
        default="source",
        description="Which time a reading carries: the value's source timestamp (falling back "
        "to the server's, then the gateway's), the server's, or the gateway's clock.",
    )
    lads: LadsSection | None = None
    points: Annotated[list[OpcUaPoint], AfterValidator(_unique_keys)] = Field(default_factory=list)

    @field_validator("endpoint")
    @classmethod
    def _opc_tcp(cls, value: str) -> str:
        if not value.startswith("opc.tcp://") or len(value) <= len("opc.tcp://"):
            raise PydanticCustomError(
                "endpoint",
                "an OPC UA endpoint is 'opc.tcp://host:port[/path]', not '{value}'",
                {"value": value},
            )
        return value

    @model_validator(mode="after")
    def _security_consistent(self) -> OpcUaDevice:
        if (self.security_policy == "None") != (self.security_mode == "None"):
            raise PydanticCustomError(
                "security",
                "security_policy and security_mode are both 'None' or both set "
                "(policy {policy}, mode {mode})",
                {"policy": self.security_policy, "mode": self.security_mode},
            )
        if self.security_policy != "None" and (
            self.certificate is None or self.private_key is None
        ):
            raise PydanticCustomError(
                "security", "a secured endpoint needs certificate and private_key", {}
            )
        if (self.certificate is None) != (self.private_key is None):
            raise PydanticCustomError("security", "certificate and private_key go together", {})
        if self.password_env is not None and self.username is None:
            raise PydanticCustomError("username", "password_env needs a username", {})
        if not self.points and self.lads is None:
            raise PydanticCustomError(
                "points", "an OPC UA device needs points or a lads section", {}
            )
        return self

    def all_point_keys(self) -> list[str]:
        """The configured points plus those the LADS section adds."""
        keys = [p.key for p in self.points]
        for unit in self.lads.functional_units if self.lads else ():
            keys.append(f"{unit.key}.state")
            if unit.program:
                keys += [f"{unit.key}.program_runtime", f"{unit.key}.step"]
            keys += [f"{unit.key}.{r.key}" for r in unit.results]
        return keys


class SilaPoint(_NoLoopPoint, _SourceUnitFromUnit):
    """An observable property of a SiLA 2 feature, subscribed as telemetry."""

    feature: str = Field(
        min_length=1, description="Feature identifier, e.g. 'TemperatureController'."
    )
    property: str = Field(min_length=1, description="Observable property identifier.")
    units_from_server: bool = Field(
        default=True,
        description="Use the unit constraint of the property's data type, when it has one, "
        "in place of source_unit.",
    )


class SilaCommand(_Strict):
    """An observable command whose executions' state becomes the number ``<key>.state``.

    SiLA 2 tells an execution's state (waiting, running, finished successfully, finished with
    error) only to a client that knows the execution's UUID, so the gateway learns the UUIDs
    from ``executions_property``: an observable property of the same feature holding the
    UUID of the newest execution (String) or of the recent ones (List of String).
    """

    key: Key = Field(description="Prefix of the state point, e.g. 'program' -> 'program.state'.")
    feature: str = Field(min_length=1, description="Feature identifier.")
    command: str = Field(min_length=1, description="Observable command identifier.")
    executions_property: str = Field(
        min_length=1, description="Observable property with the executions' UUIDs."
    )
    repeat_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Repeat the unchanged state this often: the server's state rule takes a "
        "silent state channel for an offline instrument.",
    )


def _unique_command_keys(commands: list[SilaCommand]) -> list[SilaCommand]:
    _reject_duplicates(c.key for c in commands)
    return commands


class SilaDevice(_DeviceBase):
    """A SiLA 2 server: found by ``server_name`` (discovery) or at ``host``/``port``."""

    protocol: Literal["sila2"]
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    server_name: str | None = Field(
        default=None, description="Find the server by its SiLA server name (mDNS discovery)."
    )
    insecure: bool = Field(default=False, description="Plain gRPC without TLS (test benches only).")
    root_certificate: str | None = None
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    reconnect_max_s: float = Field(default=30.0, gt=0, le=3600)
    watchdog_s: float = Field(
        default=2.0, gt=0, le=300, description="How often the connection is probed."
    )
    points: Annotated[list[SilaPoint], AfterValidator(_unique_keys)] = Field(default_factory=list)
    commands: Annotated[list[SilaCommand], AfterValidator(_unique_command_keys)] = Field(
        default_factory=list,
        description="Observable commands whose execution state is published as <key>.state.",
    )

    @model_validator(mode="after")
    def _addressed(self) -> SilaDevice:
        if self.server_name is None and (self.host is None or self.port is None):
            raise PydanticCustomError(
                "address", "give host and port, or server_name for discovery", {}
            )
        if not self.points and not self.commands:
            raise PydanticCustomError("points", "a SiLA 2 device needs points or commands", {})
        return self

    def all_point_keys(self) -> list[str]:
        """The configured points plus the commands' state points."""
        return [p.key for p in self.points] + [f"{c.key}.state" for c in self.commands]


DeviceConfig = Annotated[
    ModbusTcpDevice
    | ModbusRtuDevice
    | ModbusRtuOverTcpDevice
    | MqttDevice
    | OpcUaDevice
    | SilaDevice,
    Field(discriminator="protocol"),
]


class GatewaySection(_Strict):
    key: Key


_BROKER_ADDRESS = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$")


def broker_address(value: str, default_port: int = 1883) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6]:port`` as (host, port); ``ValueError`` if malformed."""
    match = _BROKER_ADDRESS.match(value.strip())
    port = int(match.group(2)) if match and match.group(2) else default_port
    if match is None or not 1 <= port <= 65535:
        raise ValueError(f"'{value}' is not a broker address (host or host:port)")
    return match.group(1).strip("[]"), port


def _broker_address_text(value: str) -> str:
    try:
        broker_address(value)
    except ValueError as exc:
        raise PydanticCustomError("broker_address", "{reason}", {"reason": str(exc)}) from exc
    return value.strip()


BrokerAddress = Annotated[str, AfterValidator(_broker_address_text)]


class MqttSection(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    servers: list[BrokerAddress] = Field(
        default_factory=list,
        max_length=16,
        description="Broker nodes of a clustered broker tier, as host or host:port (port "
        "defaults to `port`); the agent connects to the first and, when a node is lost or "
        "refuses it, to the next one, round the list. Empty: only host and port.",
    )
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="Environment variable holding the password (never the file)."
    )
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    client_id: str | None = Field(
        default=None,
        description="Defaults to labshare-edge-<gateway key>, the only id a labshare broker "
        "accepts for this gateway's account.",
    )
    max_payload_bytes: int = Field(
        default=262_144,
        ge=4096,
        description="Largest telemetry message; bigger batches are split. Must not exceed the "
        "broker's message_size_limit.",
    )
    protocol: Literal["5", "3.1.1", "auto"] = Field(
        default="5",
        description="MQTT version. With 5 a batch stays spooled until the broker confirms it "
        "reached a subscriber (PUBACK reason code); 3.1.1, for brokers without MQTT 5 (the NATS "
        "broker tier), can only tell that the broker took the message. `auto` tries 5 and "
        "falls back to 3.1.1 for good when a broker refuses it.",
    )

    def addresses(self) -> list[tuple[str, int]]:
        """The broker nodes in the order they are tried: ``servers``, else host and port."""
        if not self.servers:
            return [(self.host, self.port)]
        return [broker_address(s, self.port) for s in self.servers]


class SpoolSection(_Strict):
    path: str = "./spool.sqlite3"
    max_bytes: int = Field(default=100_000_000, ge=65536)
    drain_rate: float = Field(
        default=5000.0, gt=0, description="Backlog samples per second sent after a reconnect."
    )
    synchronous: Literal["normal", "full"] = "normal"


class MetricsSection(_Strict):
    port: int = Field(default=0, ge=0, le=65535)
    host: str = "127.0.0.1"


class HeartbeatSection(_Strict):
    interval_s: float = Field(default=30.0, gt=0, le=3600)


class BatchSection(_Strict):
    max_samples: int = Field(default=2000, ge=1, le=20000)
    max_delay_ms: int = Field(default=200, ge=1, le=60000)
    max_inflight: int = Field(default=20, ge=1, le=1000)


class GatewayConfig(_Strict):
    gateway: GatewaySection
    mqtt: MqttSection = MqttSection()
    spool: SpoolSection = SpoolSection()
    metrics: MetricsSection = MetricsSection()
    heartbeat: HeartbeatSection = HeartbeatSection()
    batch: BatchSection = BatchSection()
    devices: list[DeviceConfig] = Field(default_factory=list)


class ConfigIssue(BaseModel):
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(Exception):
    """A configuration that cannot be used; ``issues`` names every offending field."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


_PROTOCOL_TAGS = {"modbus_tcp", "modbus_rtu", "modbus_rtu_over_tcp", "mqtt", "opcua", "sila2"}


def _reject_duplicates(keys: Iterable[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise PydanticCustomError("duplicate", "duplicate point key '{key}'", {"key": key})
        seen.add(key)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i >= 2 and loc[i - 2] == "devices" and part in _PROTOCOL_TAGS:
            # pydantic puts the discriminator value into the location; users never wrote it.
            continue
        else:
            out += f".{part}" if out else part
    return out


def bus_name(device: ModbusDevice) -> str | None:
    """The shared line a device sits on: requests on one line must never overlap."""
    if isinstance(device, ModbusRtuDevice):
        return device.bus or device.serial_port
    if isinstance(device, ModbusRtuOverTcpDevice):
        return f"tcp://{device.host}:{device.port}"
    return None


def _semantic_issues(config: GatewayConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    seen: dict[str, int] = {}
    lines: dict[str, tuple[int, tuple[object, ...]]] = {}
    for i, device in enumerate(config.devices):
        if device.key in seen:
            issues.append(
                ConfigIssue(
                    path=f"devices[{i}].key",
                    message=f"duplicate device key '{device.key}' (also devices[{seen[device.key]}])",
                )
            )
        seen.setdefault(device.key, i)
        if isinstance(device, OpcUaDevice | SilaDevice):
            keys = device.all_point_keys()
            section = "lads section" if isinstance(device, OpcUaDevice) else "commands"
            for key in sorted({k for k in keys if keys.count(k) > 1}):
                issues.append(
                    ConfigIssue(
                        path=f"devices[{i}].points",
                        message=f"point key '{key}' is also a point of the {section}",
                    )
                )
        if isinstance(device, ModbusRtuDevice):
            name = bus_name(device)
            assert name is not None
            settings = (
                device.serial_port,
                device.baudrate,
                device.parity,
                device.stopbits,
                device.bytesize,
            )
            if name in lines and lines[name][1] != settings:
                issues.append(
                    ConfigIssue(
                        path=f"devices[{i}].bus",
                        message=f"bus '{name}' is configured differently in devices[{lines[name][0]}]",
                    )
                )
            lines.setdefault(name, (i, settings))
    return issues


def parse_config(document: Any) -> GatewayConfig:
    """Validate an already-parsed YAML/JSON document; raises ``ConfigError``."""
    if not isinstance(document, dict):
        raise ConfigError([ConfigIssue(path="", message="the configuration must be a mapping")])
    try:
        config = GatewayConfig.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(
            [ConfigIssue(path=_format_loc(e["loc"]), message=e["msg"]) for e in exc.errors()]
        ) from exc
    issues = _semantic_issues(config)
    if issues:
        raise ConfigError(issues)
    return config


def parse_config_text(text: str | bytes) -> GatewayConfig:
    """Parse a YAML (or JSON, a subset of YAML) document; raises ``ConfigError``."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(path="", message=f"not valid YAML: {exc}")]) from exc
    return parse_config(document)


def load_config(path: str | Path) -> GatewayConfig:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(path="", message=f"cannot read {path}: {exc}")]) from exc
    return parse_config_text(text)


def config_hash(config: GatewayConfig) -> str:
    """sha256 of the canonical JSON form, so the server can tell which config is running."""
    document = config.model_dump(mode="json", by_alias=True)
    if not document["mqtt"]["servers"]:
        # Added later: a configuration without it keeps the hash it always had.
        del document["mqtt"]["servers"]
    canonical = json.dumps(
        document,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
