"""Gateway throughput: poll -> decode -> convert -> spool -> batch -> PUBACK delete.

Default mode: simulated devices answer instantly (in-memory fakes) and a fake publisher
acknowledges, so this measures the gateway's own pipeline cost per point.

``--real``: the whole gateway (``Gateway.run``) against a pymodbus TCP server in another
process (every device id answers) and a private Mosquitto, with a subscriber counting what
arrives. Only the gateway's process is charged for CPU, so the result sits beside ThingsBoard
IoT Gateway's measured 0.058 CPU-s per 1,000 points (docs/ARCHITECTURE.md).

Run: .venv/bin/python benchmarks/edge_agent_throughput.py [--real] [--devices 100 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


async def run(devices: int, registers: int, interval: float, seconds: float) -> dict[str, Any]:
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
        "mode": "pipeline",
        "devices": devices,
        "points_per_device": registers // 2,
        "interval_s": interval,
        "wall_s": round(wall, 2),
        "points_offered_per_s": round(offered / wall),
        "points_delivered_per_s": round(delivered / wall),
        "cpu_cores": round(cpu / wall, 3),
        "cpu_s_per_1000_points": round(cpu / max(delivered, 1) * 1000, 4),
    }


_SERVER = """
import asyncio, struct, sys
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
count = int(sys.argv[2])
regs = []
for i in range(count // 2):
    regs += list(struct.unpack(">2H", struct.pack(">f", 20.0 + i)))
async def main():
    device = SimDevice(id=0, simdata=[SimData(0, values=regs, datatype=DataType.REGISTERS)])
    server = ModbusTcpServer(device, address=("127.0.0.1", int(sys.argv[1])))
    await server.serve_forever()
asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def _start_peers(
    tmp: Path, modbus_port: int, mqtt_port: int, registers: int
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    conf = tmp / "mosquitto.conf"
    lines = [f"listener {mqtt_port} 127.0.0.1", "allow_anonymous true"]
    if os.geteuid() == 0:
        lines.append("user root")
    conf.write_text("\n".join(lines) + "\n")
    mosquitto_bin = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    broker = subprocess.Popen([mosquitto_bin, "-c", str(conf)], stderr=subprocess.DEVNULL)
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(modbus_port), str(registers)])
    return broker, server


async def run_real(devices: int, registers: int, interval: float, seconds: float) -> dict[str, Any]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from edge_agent.agent import Gateway
    from edge_agent.config import parse_config

    modbus_port, mqtt_port = _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        broker, server = _start_peers(Path(tmp), modbus_port, mqtt_port, registers)
        received = 0
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        try:
            _wait_port(mqtt_port)
            _wait_port(modbus_port)

            def on_message(c: object, userdata: object, message: mqtt.MQTTMessage) -> None:
                nonlocal received
                doc = json.loads(message.payload)
                received += sum(len(x["samples"]) for x in doc["series"])

            client.on_message = on_message
            client.connect("127.0.0.1", mqtt_port)
            client.subscribe("labshare/v1/gw/bench/telemetry", qos=1)
            client.loop_start()
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
            config = parse_config(
                {
                    "gateway": {"key": "bench"},
                    "mqtt": {"host": "127.0.0.1", "port": mqtt_port},
                    "spool": {"path": str(Path(tmp) / "spool.sqlite3")},
                    "devices": [
                        {
                            "key": f"dev-{d}",
                            "protocol": "modbus_tcp",
                            "host": "127.0.0.1",
                            "port": modbus_port,
                            "device_id": d % 247 + 1,
                            "poll_interval_s": interval,
                            "timeout_s": 3,
                            "points": points,
                        }
                        for d in range(devices)
                    ],
                }
            )
            gateway = Gateway(config)
            stop = asyncio.Event()
            task = asyncio.create_task(gateway.run(stop))
            await asyncio.sleep(2.0)  # connections and first polls
            start_received, cpu0, wall0 = received, cpu_seconds(), time.monotonic()
            await asyncio.sleep(seconds)
            cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
            delivered = received - start_received
            failures = sum(h.failures for h in gateway.device_health())
            stop.set()
            await task
        finally:
            client.loop_stop()
            client.disconnect()
            server.terminate()
            broker.terminate()
            server.wait(10)
            broker.wait(10)
    return {
        "mode": "real",
        "devices": devices,
        "points_per_device": registers // 2,
        "interval_s": interval,
        "wall_s": round(wall, 2),
        "points_offered_per_s": round(devices * (registers // 2) / interval),
        "points_delivered_per_s": round(delivered / wall),
        "failed_polls": failures,
        "gateway_cpu_cores": round(cpu / wall, 3),
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
    parser.add_argument("--real", action="store_true", help="real pymodbus server and Mosquitto")
    parser.add_argument(
        "--smoke", action="store_true", help="a seconds-long run (10 devices, 2 s) for the tests"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.devices, args.seconds = min(args.devices, 10), min(args.seconds, 2.0)
    runner = run_real if args.real else run
    result = asyncio.run(runner(args.devices, args.registers, args.interval, args.seconds))
    # Side by side with ThingsBoard IoT Gateway's measured 0.058 CPU-s per 1,000 points
    # (docs/ARCHITECTURE.md): below 1 means less CPU per point than ThingsBoard.
    result["ratio_cpu_vs_thingsboard"] = round(result["cpu_s_per_1000_points"] / 0.058, 3)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
