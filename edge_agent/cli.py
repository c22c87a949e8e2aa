"""``labshare-edge``: run a gateway, check its configuration, or scan a Modbus device."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import signal
import sqlite3
import struct
import sys
from collections.abc import Sequence
from typing import Any

from edge_agent import __version__
from edge_agent.planner import RequestPlanner
from mqtt_contract.gateway_config import (
    ConfigError,
    GatewayConfig,
    ModbusDevice,
    OpcUaDevice,
    SilaDevice,
    config_hash,
    load_config,
)

__all__ = ["main", "scan_device", "starter_config"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2

_DESCRIPTION = """\
labshare edge gateway.

Reads laboratory instruments over Modbus TCP, Modbus RTU (serial or tunnelled over TCP) and
MQTT, converts every value to the unit the server expects, applies the instrument's current
calibration corrections, stores every sample in a local SQLite spool and forwards it to the
labshare broker over MQTT (QoS 1). Samples leave the spool only when the broker has
acknowledged them, so broker outages and restarts lose nothing.
"""

_EPILOG = """\
examples:
  labshare-edge check /etc/labshare/gateway.yaml
  labshare-edge run /etc/labshare/gateway.yaml
  labshare-edge scan --host 192.168.1.50 --port 502 --device-id 1 --kind holding --end 200 > starter.yaml

exit status: 0 success, 1 runtime failure, 2 invalid configuration.
The MQTT password is read from the environment variable named by mqtt.password_env.
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labshare-edge",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log verbosity (default INFO)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the gateway until SIGTERM/SIGINT",
        description="Poll the configured devices and forward their samples. On SIGTERM or "
        "SIGINT the gateway stops polling, waits briefly for the broker to acknowledge "
        "in-flight samples (the rest stay spooled for the next start), publishes its "
        "offline state and exits.",
    )
    run.add_argument("config", metavar="CONFIG", help="gateway YAML configuration file")

    check = commands.add_parser(
        "check",
        help="validate a configuration file and print a summary",
        description="Validate CONFIG without touching any device or broker. Every problem is "
        "printed with the path of the offending field; exit status 2 if there is any.",
    )
    check.add_argument("config", metavar="CONFIG", help="gateway YAML configuration file")

    scan = commands.add_parser(
        "scan",
        help="probe a Modbus TCP device and print a starter configuration",
        description="Read the given register range of a Modbus TCP device, find which "
        "addresses answer, and print a starter YAML configuration (one uint16 point per "
        "readable register, with float32 readings noted in comments) to edit by hand.",
    )
    scan.add_argument("--host", required=True, help="device address")
    scan.add_argument("--port", type=int, default=502, help="TCP port (default 502)")
    scan.add_argument("--device-id", type=int, default=1, help="Modbus unit id (default 1)")
    scan.add_argument(
        "--kind",
        choices=["holding", "input", "coil", "discrete_input"],
        default="holding",
        help="register kind to probe (default holding)",
    )
    scan.add_argument("--start", type=int, default=0, help="first address (default 0)")
    scan.add_argument(
        "--end", type=int, default=1000, help="last address, exclusive (default 1000)"
    )
    scan.add_argument("--timeout", type=float, default=1.0, help="seconds per request (default 1)")
    scan.add_argument(
        "--gateway-key", default="my-gateway", help="gateway key for the starter file"
    )
    return parser


def _summary(config: GatewayConfig) -> str:
    lines = [
        f"gateway {config.gateway.key}: configuration is valid",
        f"  broker {config.mqtt.host}:{config.mqtt.port}, spool {config.spool.path} "
        f"(cap {config.spool.max_bytes} bytes)",
        f"  config hash {config_hash(config)}",
    ]
    for device in config.devices:
        points = len(device.points)
        where = (
            getattr(device, "endpoint", None)
            or getattr(device, "server_name", None)
            or getattr(device, "host", None)
            or getattr(device, "serial_port", None)
            or getattr(device, "topic", "")
        )
        extra = ""
        if isinstance(device, OpcUaDevice | SilaDevice):
            points = len(device.all_point_keys())
            extra = ", subscribed"
        if isinstance(device, ModbusDevice):
            planner = RequestPlanner(
                device.points,
                max_gap=device.max_gap,
                max_registers=device.max_read_registers,
                max_bits=device.max_read_bits,
            )
            extra = f", {len(planner.blocks)} reads every {device.poll_interval_s} s"
        state = "" if device.enabled else " (disabled)"
        lines.append(f"  - {device.key}: {device.protocol} {where}, {points} points{extra}{state}")
    return "\n".join(lines)


def _check(path: str) -> int:
    try:
        config = load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(f"{path}: {issue}", file=sys.stderr)
        return EXIT_CONFIG
    print(_summary(config))
    return EXIT_OK


def _run(path: str) -> int:
    try:
        config = load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(f"{path}: {issue}", file=sys.stderr)
        return EXIT_CONFIG
    # The agent pulls in pymodbus and paho: only `run` needs them, `check` stays light.
    from edge_agent.agent import Gateway

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Gateway(config).run(stop)

    try:
        asyncio.run(main())
    except (OSError, sqlite3.Error) as exc:
        # Typically an unwritable spool directory or a metrics port already in use.
        from edge_agent.transport import failure

        logging.getLogger("edge_agent").error(
            "gateway cannot run: %s", failure(exc, "starting the gateway")
        )
        return EXIT_FAILURE
    return EXIT_OK


async def scan_device(
    host: str,
    port: int,
    device_id: int,
    kind: str,
    start: int,
    end: int,
    request_timeout_s: float = 1.0,
) -> dict[int, int | bool]:
    """Readable addresses and their values; refused ranges are bisected down to single ones."""
    # Only `scan` talks Modbus: pymodbus is imported when it runs.
    from edge_agent.transport import CommError, IllegalAddress, TransportPool
    from mqtt_contract.gateway_config import ModbusTcpDevice

    device = ModbusTcpDevice.model_validate(
        {
            "key": "scan",
            "protocol": "modbus_tcp",
            "host": host,
            "port": port,
            "device_id": device_id,
            "timeout_s": request_timeout_s,
            "points": [{"key": "p", "register": "holding", "address": 0}],
        }
    )
    pool = TransportPool()
    transport = pool(device)
    found: dict[int, int | bool] = {}
    limit = 2000 if kind in ("coil", "discrete_input") else 125
    todo = [(a, min(limit, end - a)) for a in range(start, end, limit)]
    try:
        while todo:
            address, count = todo.pop(0)
            try:
                values = await transport.read(kind, address, count, device_id)  # type: ignore[arg-type]
            except IllegalAddress:
                if count > 1:
                    half = count // 2
                    todo[:0] = [(address, half), (address + half, count - half)]
                continue
            for i, value in enumerate(values[:count]):
                found[address + i] = value
    except CommError as exc:
        raise SystemExit(f"scan: device {host}:{port} unit {device_id}: {exc}") from exc
    finally:
        await pool.close()
    return found


def starter_config(
    found: dict[int, int | bool],
    *,
    host: str,
    port: int,
    device_id: int,
    kind: str,
    gateway_key: str,
) -> str:
    """A YAML starter configuration for the readable addresses found by a scan."""
    out = [
        "# Starter configuration from `labshare-edge scan`: one point per readable address.",
        "# Rename the keys, set types (float32 pairs are noted), units and poll interval,",
        "# then validate with `labshare-edge check`.",
        f"gateway: {{key: {gateway_key}}}",
        "mqtt: {host: 127.0.0.1, port: 1883}",
        "spool: {path: ./spool.sqlite3, max_bytes: 100000000}",
        "metrics: {port: 0}",
        "devices:",
        "  - key: device-1",
        "    protocol: modbus_tcp",
        f"    host: {host}",
        f"    port: {port}",
        f"    device_id: {device_id}",
        "    poll_interval_s: 1.0",
        "    points:",
    ]
    if not found:
        out.append("      []  # nothing answered in the scanned range")
        return "\n".join(out) + "\n"
    for address in sorted(found):
        value = found[address]
        if kind in ("coil", "discrete_input"):
            out.append(
                f"      - {{key: {kind}_{address}, register: {kind}, address: {address}, type: bool}}"
                f"  # {int(bool(value))}"
            )
            continue
        note = f"# {int(value)}"
        if address + 1 in found:
            pair = struct.pack(">HH", int(value), int(found[address + 1]))
            as_float = struct.unpack(">f", pair)[0]
            if math.isfinite(as_float) and 1e-3 <= abs(as_float) <= 1e7:
                note += f"; as float32 ABCD with {address + 1}: {as_float:.6g}"
        out.append(
            f"      - {{key: {kind}_{address}, register: {kind}, address: {address}, type: uint16}}"
            f"  {note}"
        )
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args: Any = _build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pymodbus logs every failed request; the gateway reports device failures itself.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    if args.command == "check":
        return _check(args.config)
    if args.command == "run":
        return _run(args.config)
    found = asyncio.run(
        scan_device(
            args.host, args.port, args.device_id, args.kind, args.start, args.end, args.timeout
        )
    )
    sys.stdout.write(
        starter_config(
            found,
            host=args.host,
            port=args.port,
            device_id=args.device_id,
            kind=args.kind,
            gateway_key=args.gateway_key,
        )
    )
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
