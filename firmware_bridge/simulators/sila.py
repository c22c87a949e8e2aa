"""A SiLA 2 incubator: one feature with observable properties and an observable command.

Feature ``IncubatorController`` (defined in the XML below, served with the ``sila2`` package
without generated code):

- ``CurrentTemperature`` observable property, Real with the SiLA unit constraint °C
  (factor 1, offset 273.15 over the SI base unit kelvin);
- ``RunningPrograms`` observable property, Integer: how many ``RunProgram`` executions are
  running. A SiLA client sees only the executions it started itself, so the gateway reads
  the instrument's activity from this property;
- ``RunProgramExecutions`` observable property, List of String: the UUIDs of the recent
  ``RunProgram`` executions (at most 20), so that a client that did not start them (the
  gateway) can follow their execution state;
- ``RunProgram(DurationSeconds, TargetTemperature)`` observable command: heats towards the
  target for the duration, reports progress, and answers the run's mean temperature. A target
  above 80 °C ends the execution with an error after half the duration (an overheated
  chamber).

The server runs in gRPC worker threads; :meth:`SilaSimulator.start` and :meth:`stop` are
blocking and quick.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from queue import Queue
from typing import Any

from sila2.framework import Feature
from sila2.server import FeatureImplementationBase, SilaServer

__all__ = ["FEATURE_XML", "SilaSimulator"]

log = logging.getLogger("firmware_bridge.simulators.sila")

FEATURE_XML = """<?xml version="1.0" encoding="utf-8" ?>
<Feature xmlns="http://www.sila-standard.org" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         SiLA2Version="1.0" FeatureVersion="1.0" Originator="org.labshare" Category="simulators"
         xsi:schemaLocation="http://www.sila-standard.org https://gitlab.com/SiLA2/sila_base/raw/master/schema/FeatureDefinition.xsd">
  <Identifier>IncubatorController</Identifier>
  <DisplayName>Incubator Controller</DisplayName>
  <Description>Temperature and programs of a simulated incubator.</Description>
  <Command>
    <Identifier>RunProgram</Identifier>
    <DisplayName>Run Program</DisplayName>
    <Description>Heat towards the target temperature for the given time.</Description>
    <Observable>Yes</Observable>
    <Parameter>
      <Identifier>DurationSeconds</Identifier>
      <DisplayName>Duration Seconds</DisplayName>
      <Description>How long the program runs, in seconds.</Description>
      <DataType><Basic>Real</Basic></DataType>
    </Parameter>
    <Parameter>
      <Identifier>TargetTemperature</Identifier>
      <DisplayName>Target Temperature</DisplayName>
      <Description>The temperature to hold, in degrees Celsius.</Description>
      <DataType><Basic>Real</Basic></DataType>
    </Parameter>
    <Response>
      <Identifier>MeanTemperature</Identifier>
      <DisplayName>Mean Temperature</DisplayName>
      <Description>The mean temperature over the run, in degrees Celsius.</Description>
      <DataType><Basic>Real</Basic></DataType>
    </Response>
  </Command>
  <Property>
    <Identifier>CurrentTemperature</Identifier>
    <DisplayName>Current Temperature</DisplayName>
    <Description>The chamber temperature.</Description>
    <Observable>Yes</Observable>
    <DataType>
      <Constrained>
        <DataType><Basic>Real</Basic></DataType>
        <Constraints>
          <Unit>
            <Label>°C</Label>
            <Factor>1</Factor>
            <Offset>273.15</Offset>
            <UnitComponent><SIUnit>Kelvin</SIUnit><Exponent>1</Exponent></UnitComponent>
          </Unit>
        </Constraints>
      </Constrained>
    </DataType>
  </Property>
  <Property>
    <Identifier>RunProgramExecutions</Identifier>
    <DisplayName>Run Program Executions</DisplayName>
    <Description>The UUIDs of the recent Run Program executions, oldest first.</Description>
    <Observable>Yes</Observable>
    <DataType><List><DataType><Basic>String</Basic></DataType></List></DataType>
  </Property>
  <Property>
    <Identifier>RunningPrograms</Identifier>
    <DisplayName>Running Programs</DisplayName>
    <Description>How many Run Program executions are running.</Description>
    <Observable>Yes</Observable>
    <DataType><Basic>Integer</Basic></DataType>
  </Property>
</Feature>
"""


class _Incubator(FeatureImplementationBase):
    """The feature's implementation, in the shape the sila2 servicer calls."""

    def __init__(self, parent_server: SilaServer, simulator: SilaSimulator) -> None:
        super().__init__(parent_server=parent_server)
        self.simulator = simulator
        self._CurrentTemperature_producer_queue: Queue[Any] = Queue()
        self._RunningPrograms_producer_queue: Queue[Any] = Queue()
        self._RunProgramExecutions_producer_queue: Queue[Any] = Queue()
        self.RunProgram_default_lifetime_of_execution = None
        self.run_periodically(self._tick, delay_seconds=simulator.tick_s)

    def start(self) -> None:
        super().start()
        self._CurrentTemperature_producer_queue.put(self.simulator.temperature)
        self._RunningPrograms_producer_queue.put(0)
        self._RunProgramExecutions_producer_queue.put([])

    def _tick(self) -> None:
        self.simulator.step()
        self._CurrentTemperature_producer_queue.put(round(self.simulator.temperature, 3))

    def CurrentTemperature_on_subscription(self, *, metadata: Any) -> None:
        return None

    def RunningPrograms_on_subscription(self, *, metadata: Any) -> None:
        return None

    def RunProgramExecutions_on_subscription(self, *, metadata: Any) -> None:
        return None

    def RunProgram(
        self,
        DurationSeconds: float,
        TargetTemperature: float,
        *,
        metadata: Any,
        instance: Any,
    ) -> float:
        simulator = self.simulator
        instance.begin_execution()
        with simulator.lock:
            simulator.running += 1
            simulator.target = TargetTemperature
            simulator.executions = [*simulator.executions, str(instance.execution_uuid)][-20:]
            self._RunningPrograms_producer_queue.put(simulator.running)
            self._RunProgramExecutions_producer_queue.put(list(simulator.executions))
        started = time.monotonic()
        temperatures: list[float] = []
        try:
            while (elapsed := time.monotonic() - started) < DurationSeconds:
                instance.progress = min(1.0, elapsed / DurationSeconds)
                temperatures.append(simulator.temperature)
                if TargetTemperature > 80.0 and elapsed >= DurationSeconds / 2:
                    raise RuntimeError("chamber overheated: the target is above 80 °C")
                time.sleep(simulator.tick_s)
        finally:
            with simulator.lock:
                simulator.running -= 1
                self._RunningPrograms_producer_queue.put(simulator.running)
        mean = sum(temperatures) / len(temperatures) if temperatures else simulator.temperature
        simulator.results.append(mean)
        return mean  # a single response is passed bare


@dataclass
class SilaSimulator:
    """``start()`` serves the feature on ``host:port`` (plain gRPC: a test bench)."""

    host: str = "127.0.0.1"
    port: int = 50052
    temperature: float = 22.0
    target: float = 22.0
    tick_s: float = 0.1
    running: int = 0
    results: list[float] = field(default_factory=list)
    executions: list[str] = field(default_factory=list)
    """UUIDs of the recent RunProgram executions, oldest first."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    server_name: str = "labshare incubator"
    _server: SilaServer | None = None

    def step(self) -> None:
        with self.lock:
            goal = self.target if self.running else 22.0
            self.temperature += (goal - self.temperature) * 0.2

    def start(self, discovery: bool = False) -> None:
        server = SilaServer(
            server_name=self.server_name,
            server_type="Incubator",
            server_description="labshare SiLA 2 incubator simulator",
            server_version="1.0",
            server_vendor_url="https://labshare.invalid",
            server_uuid=str(uuid.uuid4()),
            max_grpc_workers=20,
            max_child_task_workers=20,
        )
        server.set_feature_implementation(Feature(FEATURE_XML), _Incubator(server, self))
        server.start_insecure(self.host, self.port, enable_discovery=discovery)
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.stop(grace_period=0.5)
            # sila2 leaves its gRPC worker threads and the discovery broadcaster's zeroconf
            # thread running after stop(); a simulator started and stopped in tests must not.
            pool = getattr(getattr(server.grpc_server, "_state", None), "thread_pool", None)
            if pool is not None:
                pool.shutdown(wait=True)
            broadcaster = getattr(server, "_SilaServer__service_broadcaster", None)
            zeroconf = getattr(broadcaster, "zc", None)
            if zeroconf is not None:
                zeroconf.close()
