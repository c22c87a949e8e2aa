"""Gateway pipeline throughput: poll -> decode -> convert -> spool -> batch -> PUBACK delete.

Simulated devices answer instantly (in-memory fakes), so this measures the gateway's own CPU
cost per point, the figure to set beside ThingsBoard IoT Gateway's 0.058 CPU-s per 1,000
points (docs/ARCHITECTURE.md). Run: .venv/bin/python benchmarks/edge_agent_throughput.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from edge_agent.calibration import CalibrationBook
from edge_agent.clock import SystemClock
from edge_agent.config import ModbusTcpDevice
from edge_agent.decoding import encode_value
from edge_agent.fakes import FakeModbusDevice, FakePublisher
from edge_agent.forwarder import Forwarder
from edge_agent.poller import DevicePoller
from edge_agent.spool import SampleSpool


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(devices: int, registers: int, interval: float, seconds: float) -> dict[str, float]:
    points = [
        {
            "key": f"r{i}",
            "register": "holding",
            "address": i * 2,
            "type": "float32",
            "source_unit": "degF",
            "unit": "degC",
        }
        for i in range(registers // 2)
    ]
    regs = {
        a: v
        for i in range(registers // 2)
        for a, v in enumerate(encode_value(20.0 + i, "float32"), start=i * 2)
    }
    with tempfile.TemporaryDirectory() as tmp:
        spool = SampleSpool(Path(tmp) / "spool.sqlite3")
        publisher = FakePublisher()
        clock = SystemClock()
        forwarder = Forwarder("bench", spool, publisher, clock, max_samples=2000, max_inflight=50)
        forwarder.on_connected()
        pollers = [
            DevicePoller(
                ModbusTcpDevice.model_validate(
                    {
                        "key": f"dev-{d}",
                        "protocol": "modbus_tcp",
                        "host": "x",
                        "poll_interval_s": interval,
                        "points": points,
                    }
                ),
                FakeModbusDevice({"holding": dict(regs)}),
                forwarder,
                clock,
                CalibrationBook(),
            )
            for d in range(devices)
        ]

        async def acker() -> None:
            acked = 0
            while True:
                await asyncio.sleep(0.05)
                for message in publisher.messages[acked:]:
                    forwarder.on_ack(message.mid)
                acked = len(publisher.messages)

        tasks = [asyncio.create_task(p.run()) for p in pollers]
        tasks += [asyncio.create_task(forwarder.run()), asyncio.create_task(acker())]
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        delivered = forwarder.samples_acked
        spool.close()
    offered = devices * (registers // 2) * wall / interval
    return {
        "devices": devices,
        "points_per_device": registers // 2,
        "interval_s": interval,
        "wall_s": round(wall, 2),
        "points_offered_per_s": round(offered / wall),
        "points_delivered_per_s": round(delivered / wall),
        "cpu_cores": round(cpu / wall, 3),
        "cpu_s_per_1000_points": round(cpu / max(delivered, 1) * 1000, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument(
        "--registers", type=int, default=100, help="registers per device (float32 pairs)"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="poll interval in seconds")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--smoke", action="store_true", help="a seconds-long run (10 devices, 2 s) for the tests"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.devices, args.seconds = min(args.devices, 10), min(args.seconds, 2.0)
    result = asyncio.run(run(args.devices, args.registers, args.interval, args.seconds))
    # Side by side with ThingsBoard IoT Gateway's measured 0.058 CPU-s per 1,000 points
    # (docs/ARCHITECTURE.md): below 1 means less CPU per point than ThingsBoard.
    result["ratio_cpu_vs_thingsboard"] = round(result["cpu_s_per_1000_points"] / 0.058, 3)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
