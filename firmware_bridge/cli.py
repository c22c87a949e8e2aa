"""``labshare-bridge``: run line-protocol adapters, or run instrument simulators."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence

from firmware_bridge.faults import Fault, FaultPlan

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
        "device-fault: instrument reports a fault; drop: close the first connection; "
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
    return parser


async def _simulate(args: argparse.Namespace) -> None:
    faults = FaultPlan(slow_reply_s=args.slow_reply_s)
    for name in args.fault:
        faults.inject(Fault(name))
    if args.instrument == "chamber":
        from firmware_bridge.simulators.chamber import ChamberModel, ChamberSimulator

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
    raise SystemExit(f"unknown instrument {args.instrument!r}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if args.command == "simulate":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_simulate(args))
        return 0
    print(f"command {args.command!r} is not available yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
