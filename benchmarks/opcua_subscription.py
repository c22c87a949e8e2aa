"""CPU per 1,000 points for OPC UA subscriptions, beside the Modbus polling figure.

An asyncua server runs in its own process with ``--variables`` Double variables, each
written ``--rate`` times a second (every write a new value, so every sample is a
notification). This process runs the gateway's OPC UA source (one session, one subscription,
one monitored item per variable, sampling at the write rate) into the real spool and
forwarder, with a publisher that acknowledges at once, and is charged the CPU it spends for
``--seconds``. The Modbus figure is the pipeline mode of ``edge_agent_throughput.py`` at the
same number of points per second, run as a subprocess and read from its JSON.

Run:   .venv/bin/python benchmarks/opcua_subscription.py --variables 200 --rate 10 --seconds 20
Smoke: .venv/bin/python benchmarks/opcua_subscription.py --smoke   (50 x 10 Hz for 1 s, ~15 s
       in all: asyncua's server start-up and the Modbus subprocess dominate)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge_agent.calibration import CalibrationBook  # noqa: E402
from edge_agent.clock import SystemClock  # noqa: E402
from edge_agent.fakes import FakePublisher  # noqa: E402
from edge_agent.forwarder import Forwarder  # noqa: E402
from edge_agent.opcua_source import OpcUaDeviceSource  # noqa: E402
from edge_agent.spool import SampleSpool  # noqa: E402
from mqtt_contract.gateway_config import OpcUaDevice  # noqa: E402
from tests.harness import free_port, wait_for_port  # noqa: E402

_SERVER = """
import asyncio, sys
from asyncua import Server, ua

async def main(port, variables, rate):
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/bench/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    ns = await server.register_namespace("urn:labshare:bench")
    folder = await server.nodes.objects.add_folder(ns, "Bench")
    nodes = [
        await folder.add_variable(ua.NodeId(f"v{i}", ns), f"v{i}", 0.0) for i in range(variables)
    ]
    async with server:
        k = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            k += 1
            for i, node in enumerate(nodes):
                await server.write_attribute_value(
                    node.nodeid, ua.DataValue(ua.Variant(20.0 + i + k * 0.001, ua.VariantType.Double))
                )
            await asyncio.sleep(max(0.0, start + k / rate - loop.time()))

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
"""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(
    port: int, variables: int, rate: float, seconds: float, settle_s: float = 1.0
) -> dict[str, Any]:
    device = OpcUaDevice.model_validate(
        {
            "key": "bench",
            "protocol": "opcua",
            "endpoint": f"opc.tcp://127.0.0.1:{port}/bench/",
            "publishing_interval_ms": 100,
            "timeout_s": 10,
            "points": [
                {
                    "key": f"v{i}",
                    "node_id": f"ns=2;s=v{i}",
                    "source_unit": "degF",
                    "unit": "degC",
                    "units_from_server": False,
                    "sampling_interval_ms": 1000 / rate,
                }
                for i in range(variables)
            ],
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        spool = SampleSpool(Path(tmp) / "spool.sqlite3")
        publisher = FakePublisher()
        clock = SystemClock()
        forwarder = Forwarder("bench", spool, publisher, clock, max_samples=2000, max_inflight=50)
        forwarder.on_connected()
        source = OpcUaDeviceSource(device, forwarder, clock, CalibrationBook())

        async def acker() -> None:
            acked = 0
            while True:
                await asyncio.sleep(0.05)
                for message in publisher.messages[acked:]:
                    forwarder.on_ack(message.mid)
                acked = len(publisher.messages)

        tasks = [
            asyncio.create_task(source.run()),
            asyncio.create_task(forwarder.run()),
            asyncio.create_task(acker()),
        ]
        deadline = time.monotonic() + 30
        while source.health.status != "ok":
            if time.monotonic() > deadline:
                raise SystemExit(f"no subscription: {source.health.error}")
            await asyncio.sleep(0.1)
        await asyncio.sleep(settle_s)  # the initial values of every item pass first
        received0, acked0 = source.notifications, forwarder.samples_acked
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
        received = source.notifications - received0
        sessions = source.sessions
        delivered = forwarder.samples_acked - acked0
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        spool.close()
    return {
        "variables": variables,
        "rate_hz": rate,
        "wall_s": round(wall, 2),
        "points_offered_per_s": round(variables * rate),
        "points_received_per_s": round(received / wall),
        "points_delivered_per_s": round(delivered / wall),
        "cpu_cores": round(cpu / wall, 3),
        "cpu_s_per_1000_points": round(cpu / max(received, 1) * 1000, 4),
        # More than 1: the session was lost and made again during the run (a starved server
        # under load), which leaves a hole in what was received: run it again.
        "sessions": sessions,
    }


def modbus_figure(points_per_s: int, seconds: float) -> dict[str, Any]:
    """The Modbus pipeline at the same offered rate (10 devices, 1 Hz... scaled to match)."""
    devices = 10
    interval = 0.1
    registers = max(2, round(points_per_s * interval / devices) * 2)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "edge_agent_throughput.py"),
            "--devices",
            str(devices),
            "--registers",
            str(registers),
            "--interval",
            str(interval),
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        timeout=120 + seconds,
        check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variables", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="writes per variable per s")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, small load")
    args = parser.parse_args()
    if args.smoke:
        args.variables, args.rate, args.seconds = 50, 10.0, 1.0
    logging.basicConfig(level=logging.ERROR)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port), str(args.variables), str(args.rate)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, 30.0)
        opcua = asyncio.run(
            measure(port, args.variables, args.rate, args.seconds, 0.3 if args.smoke else 1.0)
        )
    finally:
        server.terminate()
        server.wait(10)
    modbus = modbus_figure(opcua["points_offered_per_s"], args.seconds)
    print(
        json.dumps(
            {
                "opcua_subscription": opcua,
                "modbus_polling": {
                    k: modbus[k]
                    for k in (
                        "points_offered_per_s",
                        "points_delivered_per_s",
                        "cpu_cores",
                        "cpu_s_per_1000_points",
                    )
                },
                # CPU per 1,000 points of OPC UA subscriptions over Modbus polling, same run.
                "cpu_per_point_ratio_opcua_to_modbus": round(
                    opcua["cpu_s_per_1000_points"] / modbus["cpu_s_per_1000_points"], 2
                )
                if modbus["cpu_s_per_1000_points"]
                else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
