"""An OPC UA incubator shaped after the LADS companion specification (OPC 30500), on asyncua.

A small LADS-shaped address space, enough for the gateway's OPC UA source and its tests::

    Objects/
      DeviceSet/
        Incubator/                         (a LADS device)
          Manufacturer, Model, SerialNumber
          FunctionalUnitSet/
            IncubatorUnit/                 (a LADS functional unit)
              FunctionalUnitState/
                CurrentState               LocalizedText: Stopped, Running, Stopping,
                                           Aborting, Aborted, Clearing
              TemperatureController/
                CurrentValue               AnalogItem, Double, EngineeringUnits °C (CEL),
                                           EURange 0..80
                TargetValue                Double, °C
              ProgramManager/
                ActiveProgram/
                  CurrentProgramTemplate   String
                  DeviceProgramRunId       String
                  CurrentRuntime           Double, ms
                  CurrentStepNumber        UInt32
                ResultSet/                 one object per finished run, named by its run id,
                                           holding its ProgramTemplateId, Started, Ended,
                                           the run's mean temperature (°C) and a Summary
                                           (String)

All objects use the simulator's own namespace (index 2); a real LADS server spreads them over
the DI, Machinery and LADS namespaces, which the gateway therefore matches by name.

:meth:`LadsSimulator.start_program` runs a program: state Running, runtime counting, the
temperature following the target; after ``duration_s`` the state returns to Stopped and a
result object appears. :meth:`set_status` makes the temperature's status code anything a
test needs (Uncertain, Bad...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.common.node import Node
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.server import Server
from asyncua.server.user_managers import UserManager
from asyncua.ua.status_codes import StatusCodes

__all__ = ["LadsResult", "LadsSimulator"]

log = logging.getLogger("firmware_bridge.simulators.lads")

NAMESPACE = "urn:labshare:simulators:lads-incubator"


def _unece(code: str) -> int:
    value = 0
    for char in code:
        value = (value << 8) | ord(char)
    return value


@dataclass
class LadsResult:
    run_id: str
    template: str
    started: float
    ended: float
    mean_temperature: float

    @property
    def summary(self) -> str:
        """The run's result in words (a text result value)."""
        return f"{self.template}: {self.mean_temperature:.2f} °C mean over 3 steps"


@dataclass
class _Nodes:
    state: Node
    temperature: Node
    target: Node
    template: Node
    run_id: Node
    runtime: Node
    step: Node
    results: Node


@dataclass
class LadsSimulator:
    """The incubator server. ``await start()``, ``await stop()``; ``endpoint`` to connect to."""

    host: str = "127.0.0.1"
    port: int = 4840
    temperature: float = 22.0
    tick_s: float = 0.1
    results: list[LadsResult] = field(default_factory=list)
    _server: Server | None = None
    _nodes: _Nodes | None = None
    _task: asyncio.Task[None] | None = None
    _program: asyncio.Task[None] | None = None
    _status: int = StatusCodes.Good
    certificate: str | None = None
    """Server certificate (DER) and key (PEM): the endpoint then requires Basic256Sha256
    with SignAndEncrypt instead of offering no security."""
    private_key: str | None = None
    users: dict[str, str] | None = None
    """User names and passwords the server accepts; None (and no ``user_certificates``)
    accepts anonymous clients."""
    user_certificates: list[str] | None = None
    """Certificates (DER files) whose holders the server accepts as users (X509 tokens)."""

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}/labshare/lads/"

    async def start(self) -> None:
        trusted = [
            await asyncio.to_thread(Path(c).read_bytes) for c in self.user_certificates or ()
        ]
        server = Server(
            user_manager=_Users(self.users or {}, trusted) if self.users or trusted else None
        )
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("labshare LADS incubator simulator")
        if self.certificate is not None and self.private_key is not None:
            await server.load_certificate(self.certificate)
            await server.load_private_key(self.private_key)
            server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        else:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        ns = await server.register_namespace(NAMESPACE)
        objects = server.nodes.objects
        device_set = await objects.add_folder(ns, "DeviceSet")
        device = await device_set.add_object(ns, "Incubator")
        for name, value in (
            ("Manufacturer", "labshare"),
            ("Model", "SIM-INC-1"),
            ("SerialNumber", "0001"),
        ):
            await device.add_variable(ns, name, value)
        units = await device.add_folder(ns, "FunctionalUnitSet")
        unit = await units.add_object(ns, "IncubatorUnit")
        state_machine = await unit.add_object(ns, "FunctionalUnitState")
        state = await state_machine.add_variable(
            ns, "CurrentState", ua.LocalizedText("Stopped", "en")
        )
        controller = await unit.add_object(ns, "TemperatureController")
        temperature = await controller.add_variable(
            ns, "CurrentValue", self.temperature, varianttype=ua.VariantType.Double
        )
        await temperature.add_property(
            0,
            "EngineeringUnits",
            ua.EUInformation(
                NamespaceUri="http://www.opcfoundation.org/UA/units/un/cefact",
                UnitId=_unece("CEL"),
                DisplayName=ua.LocalizedText("°C"),
                Description=ua.LocalizedText("degree Celsius"),
            ),
        )
        await temperature.add_property(0, "EURange", ua.Range(Low=0.0, High=80.0))
        target = await controller.add_variable(
            ns, "TargetValue", self.temperature, varianttype=ua.VariantType.Double
        )
        programs = await unit.add_object(ns, "ProgramManager")
        active = await programs.add_object(ns, "ActiveProgram")
        template = await active.add_variable(ns, "CurrentProgramTemplate", "")
        run_id = await active.add_variable(ns, "DeviceProgramRunId", "")
        runtime = await active.add_variable(
            ns, "CurrentRuntime", 0.0, varianttype=ua.VariantType.Double
        )
        step = await active.add_variable(
            ns, "CurrentStepNumber", 0, varianttype=ua.VariantType.UInt32
        )
        result_set = await programs.add_folder(ns, "ResultSet")
        self._nodes = _Nodes(
            state, temperature, target, template, run_id, runtime, step, result_set
        )
        self._ns = ns
        await server.start()
        self._server = server
        self._task = asyncio.create_task(self._run(), name="lads-sim")

    async def stop(self) -> None:
        for task in (self._program, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._program = self._task = None
        if self._server is not None:
            # Close the clients' sessions first: asyncua leaves their timeout and
            # subscription tasks running when only the listening socket is stopped.
            clients: list[Any] = list(getattr(self._server.bserver, "clients", []))
            for protocol in clients:
                session = getattr(getattr(protocol, "processor", None), "session", None)
                if session is not None:
                    await session.close_session(True)
            await self._server.stop()
            self._server = None

    # -- behaviour -------------------------------------------------------------------------
    async def _run(self) -> None:
        nodes = self._nodes
        assert nodes is not None
        while True:
            await asyncio.sleep(self.tick_s)
            target = float(await nodes.target.read_value())
            # First-order lag towards the target (fast: the tests are short).
            self.temperature += (target - self.temperature) * 0.2
            await self._write_temperature()

    async def _write_temperature(self) -> None:
        assert self._nodes is not None
        await self._nodes.temperature.write_value(
            _data_value(round(self.temperature, 3), self._status)
        )

    async def set_status(self, code: int) -> None:
        """The status code the temperature is reported with from now on."""
        self._status = code
        await self._write_temperature()

    async def set_state(self, name: str) -> None:
        assert self._nodes is not None
        await self._nodes.state.write_value(ua.LocalizedText(name, "en"))

    async def start_program(
        self, template: str, run_id: str, duration_s: float, target: float = 37.0
    ) -> None:
        """Run a program: Running for ``duration_s``, then Stopped with a result."""
        assert self._nodes is not None
        if self._program is not None and not self._program.done():
            raise RuntimeError("a program is already running")
        nodes = self._nodes
        await nodes.template.write_value(template)
        await nodes.run_id.write_value(run_id)
        await nodes.target.write_value(float(target))
        self._program = asyncio.create_task(self._execute(template, run_id, duration_s))

    async def wait_program(self) -> None:
        if self._program is not None:
            await self._program

    async def _execute(self, template: str, run_id: str, duration_s: float) -> None:
        nodes = self._nodes
        assert nodes is not None
        started = time.time()
        temperatures: list[float] = []
        await self.set_state("Running")
        steps = 3
        try:
            while (elapsed := time.time() - started) < duration_s:
                await nodes.runtime.write_value(elapsed * 1000.0)
                step = min(steps, 1 + int(elapsed / duration_s * steps))
                await nodes.step.write_value(ua.Variant(step, ua.VariantType.UInt32))
                temperatures.append(self.temperature)
                await asyncio.sleep(self.tick_s)
        except asyncio.CancelledError:
            await self.set_state("Aborted")
            raise
        # A finished program has been through all its steps, however coarse the ticks were.
        await nodes.step.write_value(ua.Variant(steps, ua.VariantType.UInt32))
        await asyncio.sleep(self.tick_s)
        await self.set_state("Stopping")
        await asyncio.sleep(self.tick_s * 2)  # winding down takes a moment
        ended = time.time()
        result = LadsResult(
            run_id,
            template,
            started,
            ended,
            sum(temperatures) / len(temperatures) if temperatures else self.temperature,
        )
        await self._add_result(result)
        self.results.append(result)
        await nodes.runtime.write_value(0.0)
        await nodes.step.write_value(ua.Variant(0, ua.VariantType.UInt32))
        await self.set_state("Stopped")

    async def _add_result(self, result: LadsResult) -> None:
        assert self._nodes is not None
        obj = await self._nodes.results.add_object(self._ns, result.run_id)
        await obj.add_variable(self._ns, "ProgramTemplateId", result.template)
        await obj.add_variable(self._ns, "Started", _utc(result.started))
        await obj.add_variable(self._ns, "Ended", _utc(result.ended))
        await obj.add_variable(self._ns, "MeanTemperature", result.mean_temperature)
        await obj.add_variable(self._ns, "Summary", result.summary)


class _Users(UserManager):
    """Accepts the configured user names with their passwords and the holders of the trusted
    certificates, nobody else."""

    def __init__(self, users: dict[str, str], certificates: list[bytes]) -> None:
        self.users = users
        self.certificates = certificates

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        if username is not None and self.users.get(username) == password:
            return User(role=UserRole.User)
        if certificate is not None and bytes(certificate) in self.certificates:
            return User(role=UserRole.User)
        return None


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _data_value(value: float, status: int) -> ua.DataValue:

    return ua.DataValue(
        ua.Variant(value, ua.VariantType.Double),
        StatusCode=ua.StatusCode(ua.UInt32(status)),
    )


async def serve(host: str, port: int) -> None:
    """Run the simulator until cancelled (``labshare-bridge simulate lads``)."""
    simulator = LadsSimulator(host=host, port=port)
    await simulator.start()
    log.info("LADS incubator simulator on %s", simulator.endpoint)
    try:
        await asyncio.Event().wait()
    finally:
        await simulator.stop()
