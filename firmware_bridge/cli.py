"""``labshare-bridge``: run line-protocol adapters, or run instrument simulators."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Coroutine, Sequence
from typing import Any, cast

from sila2.client import SilaClient

from firmware_bridge.bridge import Bridge
from firmware_bridge.config import BridgeConfig, ConfigError, load_config
from firmware_bridge.faults import Fault, FaultPlan
from firmware_bridge.simulators.balance import BalanceModel, BalanceSimulator
from firmware_bridge.simulators.chamber import ChamberModel, ChamberSimulator
from firmware_bridge.simulators.lads import LadsSimulator
from firmware_bridge.simulators.ph import PhMeterModel, PhMeterSimulator
from firmware_bridge.simulators.scpi import MultimeterModel, ScpiSimulator
from firmware_bridge.simulators.sila import SilaSimulator

__all__ = ["build_parser", "main"]

_DESCRIPTION = """\
Bridge instruments that speak a line protocol (Mettler Toledo MT-SICS balances, SCPI
multimeters and thermometers) to the labshare edge agent, which reads Modbus registers or
local MQTT. Also runs the instrument simulators used by the demo and the tests.
"""

_EPILOG = """\
examples:
  labshare-bridge simulate chamber --port 5020
  labshare-bridge simulate balance --port 4001 --fault slow
  labshare-bridge simulate lads --port 4840
  labshare-bridge simulate sila --port 50052
  labshare-bridge run --config firmware_bridge/examples/bridge.yaml
  labshare-bridge check --config bridge.yaml
"""


def _add_common_sim_args(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=default_port,
        help="TCP port to listen on; 0 picks a free one and prints it (default %(default)s)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=[fault.value for fault in Fault],
        help="start with this fault active; may be repeated. "
        "device-fault: instrument reports a fault (chamber status 3, balance answers EL); "
        "drop: close the first connection; "
        "slow: every reply late by --slow-reply-s; garbage: first reply is line noise; "
        "overload: sensor out of range",
    )
    parser.add_argument(
        "--slow-reply-s",
        type=float,
        default=2.0,
        help="delay of each reply while the 'slow' fault is active (default %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labshare-bridge",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="poll the configured instruments and expose their readings",
        description="Poll each adapter in the YAML config and expose its readings as Modbus "
        "holding registers and/or JSON on local MQTT, until interrupted.",
    )
    run.add_argument(
        "--config",
        required=True,
        help="bridge YAML file (see firmware_bridge/examples/bridge.yaml)",
    )

    check = commands.add_parser(
        "check",
        help="validate a config file and exit",
        description="Validate a bridge YAML file; errors name the offending field. Exit 0 if valid.",
    )
    check.add_argument("--config", required=True, help="bridge YAML file")

    simulate = commands.add_parser(
        "simulate",
        help="run an instrument simulator",
        description="Run one simulated instrument speaking its real protocol on a TCP port "
        "(or MQTT for the pH meter) until interrupted.",
    )
    instruments = simulate.add_subparsers(dest="instrument", required=True, metavar="INSTRUMENT")

    chamber = instruments.add_parser(
        "chamber",
        help="Modbus TCP temperature chamber (holding registers 0-8)",
        description="Temperature chamber on Modbus TCP. Holding registers (ABCD): 0-1 "
        "temperature float32 degC, 2-3 setpoint float32 degC (writable), 4-5 humidity float32 %%, "
        "6 power uint16 W, 7 status uint16 (0 off, 1 idle, 2 running, 3 fault), 8 run_enabled "
        "uint16 (writable).",
    )
    _add_common_sim_args(chamber, 5020)
    chamber.add_argument(
        "--device-id", type=int, default=1, help="Modbus unit id (default %(default)s)"
    )
    chamber.add_argument(
        "--time-constant-s",
        type=float,
        default=90.0,
        help="first-order lag of the chamber air while running (default %(default)s)",
    )
    chamber.add_argument("--ambient", type=float, default=25.0, help="ambient temperature degC")
    chamber.add_argument("--run", action="store_true", help="start with run_enabled=1")
    chamber.add_argument("--setpoint", type=float, default=25.0, help="initial setpoint degC")

    lads = instruments.add_parser(
        "lads",
        help="OPC UA incubator with a LADS-shaped address space",
        description="OPC UA incubator modelled after LADS (OPC 30500): a device, a functional "
        "unit with its state machine, a temperature controller and a program manager with the "
        "active program and its results. Endpoint opc.tcp://HOST:PORT/labshare/lads/.",
    )
    lads.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    lads.add_argument("--port", type=int, default=4840, help="TCP port (default %(default)s)")
    lads.add_argument(
        "--program-every-s",
        type=float,
        default=0.0,
        help="start a 60 s program this often (0: never; default %(default)s)",
    )
    sila = instruments.add_parser(
        "sila",
        help="SiLA 2 incubator (plain gRPC)",
        description="SiLA 2 incubator: feature IncubatorController with the observable "
        "properties CurrentTemperature (°C) and RunningPrograms and the observable command "
        "RunProgram. Plain gRPC without TLS: for test benches and the demo.",
    )
    sila.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    sila.add_argument("--port", type=int, default=50052, help="TCP port (default %(default)s)")
    sila.add_argument(
        "--discovery", action="store_true", help="announce the server for SiLA discovery"
    )
    sila.add_argument(
        "--program-every-s",
        type=float,
        default=0.0,
        help="run RunProgram (60 s at 37 °C) this often, as a lab scheduler would "
        "(0: never; default %(default)s)",
    )

    balance = instruments.add_parser(
        "balance",
        help="analytical balance speaking MT-SICS over TCP (S SI SIR Z ZI T TA TAC @ I2 I3 I4)",
        description="Balance answering MT-SICS commands (CR LF) on a TCP port, like a Mettler "
        "Toledo with an Ethernet interface. Replies e.g. 'S S     12.3456 g'; 'T' answers "
        "'T S <tare> g'; over capacity '+', pan lifted '-', unknown command 'ES', non-ASCII "
        "bytes 'ET'. 'S' waits for stability and answers 'S I' after --stable-timeout-s.",
    )
    _add_common_sim_args(balance, 4001)
    balance.add_argument("--load", type=float, default=0.0, help="load on the pan in grams")
    balance.add_argument(
        "--capacity", type=float, default=220.0, help="capacity in grams; above it replies 'S +'"
    )
    balance.add_argument(
        "--decimals", type=int, default=4, help="decimal places of the weight value"
    )
    balance.add_argument(
        "--settle-s", type=float, default=1.5, help="seconds a new load stays dynamic ('S D')"
    )
    balance.add_argument(
        "--stable-timeout-s",
        type=float,
        default=3.0,
        help="how long S, Z and T wait for stability before answering 'I' (default %(default)s)",
    )

    multimeter = instruments.add_parser(
        "scpi",
        help="SCPI multimeter/thermometer over TCP (IEEE 488.2 common commands, MEAS:VOLT:DC?, "
        "MEAS:TEMP?, SYST:ERR?)",
        description="Bench multimeter with a temperature input answering SCPI (LF-terminated) "
        "on a raw TCP socket: *IDN? *RST *CLS *ESE *ESE? *ESR? *OPC *OPC? *SRE *SRE? *STB? "
        "*TST? *WAI with the IEEE 488.2 status byte and event status register. Unknown headers "
        "queue -113 'Undefined header', set the command-error bit and get no reply.",
    )
    _add_common_sim_args(multimeter, 5025)
    multimeter.add_argument("--volts", type=float, default=1.2345, help="DC voltage it measures")
    multimeter.add_argument(
        "--temperature", type=float, default=23.5, help="temperature degC it measures"
    )

    ph = instruments.add_parser(
        "ph",
        help="pH meter publishing JSON readings to an MQTT broker",
        description="pH meter that publishes {value (pH), unit, temperature (degC), "
        "temperature_unit, stable, ts_ms} to a topic every --interval-s seconds.",
    )
    ph.add_argument(
        "--broker-host", default="127.0.0.1", help="MQTT broker host (default %(default)s)"
    )
    ph.add_argument(
        "--broker-port", type=int, default=1883, help="MQTT broker port (default %(default)s)"
    )
    ph.add_argument(
        "--topic", default="lab/ph-1/reading", help="topic to publish on (default %(default)s)"
    )
    ph.add_argument("--interval-s", type=float, default=1.0, help="seconds between readings")
    ph.add_argument("--ph", type=float, default=7.0, help="pH of the sample")
    ph.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=[f.value for f in Fault],
        help="start with this fault active (overload, garbage, drop, slow)",
    )
    ph.add_argument(
        "--slow-reply-s", type=float, default=2.0, help="extra interval while 'slow' is active"
    )
    return parser


async def _simulate_standards(args: argparse.Namespace) -> None:
    """The OPC UA (LADS) and SiLA 2 simulators."""
    if args.instrument == "lads":
        incubator = LadsSimulator(host=args.host, port=args.port)
        await incubator.start()
        print(f"LADS incubator on {incubator.endpoint} (OPC UA)", flush=True)
        # Run ids stay unique across restarts, as a real device's do: the server keeps each
        # (gateway, device, unit, run id) once.
        session = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        try:
            run = 0
            while True:
                if args.program_every_s <= 0:
                    await asyncio.Event().wait()
                await asyncio.sleep(args.program_every_s)
                run += 1
                await incubator.start_program("incubate-37", f"run-{session}-{run:04d}", 60.0)
        finally:
            await incubator.stop()
    sila = SilaSimulator(host=args.host, port=args.port)
    await asyncio.to_thread(sila.start, args.discovery)
    print(f"SiLA 2 incubator on {args.host}:{args.port} (gRPC, no TLS)", flush=True)
    try:
        if args.program_every_s > 0:
            await _schedule_sila_programs(args.host, args.port, args.program_every_s)
        await asyncio.Event().wait()
    finally:
        await asyncio.to_thread(sila.stop)


async def _schedule_sila_programs(host: str, port: int, every_s: float) -> None:
    """Start ``RunProgram`` every ``every_s`` through a client of our own, as a lab's scheduler
    or LIMS does (the gateway only watches the executions)."""
    client = await asyncio.to_thread(SilaClient, host, port, insecure=True)
    # The client builds its feature attributes from the server's feature definitions.
    controller: Any = cast(Any, client).IncubatorController
    try:
        while True:
            await asyncio.sleep(every_s)
            await asyncio.to_thread(
                controller.RunProgram,
                DurationSeconds=60.0,
                TargetTemperature=37.0,
            )
    finally:
        await asyncio.to_thread(client.close)


async def _simulate(args: argparse.Namespace) -> None:
    if args.instrument in ("lads", "sila"):
        await _simulate_standards(args)
        return
    faults = FaultPlan(slow_reply_s=args.slow_reply_s)
    for name in args.fault:
        faults.inject(Fault(name))
    if args.instrument == "chamber":
        model = ChamberModel(
            ambient_degc=args.ambient,
            temperature_degc=args.ambient,
            time_constant_s=args.time_constant_s,
            setpoint_degc=args.setpoint,
            run_enabled=args.run,
        )
        chamber = ChamberSimulator(
            host=args.host, port=args.port, device_id=args.device_id, model=model, faults=faults
        )
        port = await chamber.start()
        print(
            f"chamber listening on {args.host}:{port} (Modbus TCP, device id {args.device_id})",
            flush=True,
        )
        try:
            await chamber.serve()
        finally:
            await chamber.stop()
        return
    simulator: BalanceSimulator | ScpiSimulator | PhMeterSimulator
    if args.instrument == "balance":
        simulator = BalanceSimulator(
            host=args.host,
            port=args.port,
            faults=faults,
            model=BalanceModel(
                capacity_g=args.capacity, decimals=args.decimals, settle_s=args.settle_s
            ),
            stable_timeout_s=args.stable_timeout_s,
        )
        simulator.model.place(args.load)
        port = await simulator.start()
        print(f"balance listening on {args.host}:{port} (MT-SICS over TCP)", flush=True)
    elif args.instrument == "scpi":
        simulator = ScpiSimulator(
            host=args.host,
            port=args.port,
            faults=faults,
            model=MultimeterModel(dc_volts=args.volts, temperature_degc=args.temperature),
        )
        port = await simulator.start()
        print(f"multimeter listening on {args.host}:{port} (SCPI over TCP)", flush=True)
    else:
        simulator = PhMeterSimulator(
            host=args.broker_host,
            port=args.broker_port,
            topic=args.topic,
            interval_s=args.interval_s,
            model=PhMeterModel(ph=args.ph),
            faults=faults,
        )
        await simulator.start()
        print(
            f"pH meter publishing to {args.topic} on {args.broker_host}:{args.broker_port}",
            flush=True,
        )
    try:
        await simulator.serve()
    finally:
        await simulator.stop()


async def _run(config: BridgeConfig) -> None:
    bridge = Bridge(config)
    await bridge.start()
    if bridge.modbus is not None:
        print(f"Modbus registers on port {bridge.modbus.port}", flush=True)
    try:
        await asyncio.gather(*bridge.tasks)
    finally:
        await bridge.stop()


async def _until_signalled(work: Coroutine[Any, Any, None]) -> signal.Signals | None:
    """Run ``work`` until it ends or SIGINT/SIGTERM arrives; returns the signal, if any.

    A service manager (systemd, docker, the demo) stops us with SIGTERM, whose default action
    kills the process on the spot; handling it like Ctrl-C cancels ``work``, whose ``finally``
    stops the pollers and closes the servers.
    """
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []
    stop = asyncio.Event()

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum)
        stop.set()

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for signum in installed:
            loop.remove_signal_handler(signum)
    return received[0] if received else None


def _serve(work: Coroutine[Any, Any, None]) -> int:
    try:
        signum = asyncio.run(_until_signalled(work))
    except KeyboardInterrupt:  # Ctrl-C before the handlers were in place
        signum = signal.SIGINT
    if signum is not None:
        print(f"labshare-bridge: {signum.name} received, stopped cleanly", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if args.command == "simulate":
        return _serve(_simulate(args))
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"invalid config {args.config}:\n{exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        points = sum(len(i.points) for i in config.instruments)
        print(f"{args.config}: {len(config.instruments)} instrument(s), {points} point(s), valid")
        return 0
    return _serve(_run(config))


if __name__ == "__main__":
    raise SystemExit(main())
