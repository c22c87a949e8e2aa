"""Gateway throughput, CPU, memory and poll jitter against ThingsBoard IoT Gateway's figures.

Default mode (pipeline): devices answer instantly (in-memory fakes) and a fake publisher
acknowledges, so this measures the gateway's own work per point in this process.

``--real`` (issue 3, item 9): ``labshare-edge run`` as its own process against pymodbus TCP
servers in other processes (every device id answers) and a private Mosquitto (the test
harness's broker), with a subscriber counting what reaches the broker. Only the gateway's
process is charged for CPU and memory. It runs

1. the base load, 100 devices x 50 float32 points at 1 Hz (5,000 points/s), for
   ``--duration`` seconds, sampling the gateway's RSS at ``--rss-minutes``;
2. a ramp of faster polling (``--ramp-intervals``, ``--step-seconds`` each, a fresh gateway
   per step) until the gateway no longer keeps up: under 98% of the offered points reach
   the broker, polls go missing, or polls fail.

Poll jitter is how late each poll started against its device's fixed grid, read from the
samples (``ts - latency/2`` is the start of the read). The gateway puts each device's ticks at
wall-clock instants ``phase + k·interval`` with the phase from ``edge_agent.clock.grid_phase``,
so lateness is measured against those instants; the figure of earlier runs (lateness beyond
each device's earliest start) is printed beside it for comparison. ThingsBoard IoT Gateway 3.8.5 on a
machine like ours (docs/benchmarks.md, "Reference peers"): 0.40 core for the 5,000 points/s load with range
reads, at most 14,484 points/s, 0.058 CPU-s per 1,000 points.

Run: .venv/bin/python benchmarks/edge_agent_throughput.py --real --duration 600 --rss-minutes 2,10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from edge_agent.calibration import CalibrationBook  # noqa: E402
from edge_agent.clock import SystemClock, grid_phase  # noqa: E402
from edge_agent.decoding import encode_value  # noqa: E402
from edge_agent.fakes import FakeModbusDevice, FakePublisher  # noqa: E402
from edge_agent.forwarder import Forwarder  # noqa: E402
from edge_agent.poller import DevicePoller  # noqa: E402
from edge_agent.spool import SampleSpool  # noqa: E402
from mqtt_contract.gateway_config import ModbusTcpDevice  # noqa: E402
from tests.harness import MosquittoBroker, free_port, wait_for_port  # noqa: E402

# ThingsBoard IoT Gateway 3.8.5, 2 cores, same kind of simulated devices (docs/benchmarks.md).
TB_CORES_AT_5000 = 0.40
TB_PEAK_POINTS_PER_S = 14_484
TB_CPU_S_PER_1000 = 0.058
GRACE_S = 2.0


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

CLOCK_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of one process, all its threads (paho's network thread included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def process_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def grid_lateness_ms(starts_ms: list[float], interval_ms: float, phase_ms: float) -> list[float]:
    """How late each poll started against its device's ticks at wall ``phase + k·interval``.

    The gateway anchors the grid to the wall clock to the millisecond and the samples carry
    whole milliseconds, so a start up to 2 ms before its tick is that rounding and comes out
    slightly negative rather than as a whole interval late.
    """
    late = [(s - phase_ms) % interval_ms for s in starts_ms]
    return [x - interval_ms if interval_ms - x <= 2.0 else x for x in late]


def poll_lateness_ms(starts_ms: list[float], interval_ms: float) -> list[float]:
    """How late each poll started beyond the earliest start seen on its device's grid.

    The figure earlier runs reported, when the grid's origin was the poller's private monotonic
    start and had to be recovered from the polls themselves: a poll never starts before its
    tick, so the ticks' phase is where the observed start phases begin after the widest empty
    stretch of the circle. A device whose every poll is equally late reads as on time here.
    """
    if len(starts_ms) < 2:
        return []
    phases = sorted(s % interval_ms for s in starts_ms)
    gaps = [(phases[(i + 1) % len(phases)] - phases[i]) % interval_ms for i in range(len(phases))]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    origin = phases[(widest + 1) % len(phases)]
    late = [(s % interval_ms - origin) % interval_ms for s in starts_ms]
    # A start on the origin itself can come out a hair below a whole interval in floats.
    return [x - interval_ms if interval_ms - x < 1e-6 else x for x in late]


def _mark_label(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Subscriber:
    """Counts what reaches the broker and keeps each device's poll start times.

    Samples are counted by when they were read, not when they arrived, so a window's count
    does not depend on where batch boundaries fall. A poll of 50 float32 points is one read;
    every sample of it carries the read's midpoint ``ts`` and its latency, so
    ``ts - latency/2`` is when the poll started. One point per device is enough for that.
    """

    def __init__(self, broker: MosquittoBroker, gateway_key: str) -> None:

        self.lock = threading.Lock()
        self.buckets: Counter[int] = Counter()  # samples by read time, 100 ms buckets
        self.starts: dict[str, list[float]] = {}
        self.topic = f"labshare/v1/gw/{gateway_key}/telemetry"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(self.topic, qos=1)
        self.client.loop_start()

    def _on_message(self, client: object, userdata: object, message: Any) -> None:
        doc = json.loads(message.payload)
        buckets: Counter[int] = Counter()
        starts: list[tuple[str, float]] = []
        for series in doc["series"]:
            samples = series["samples"]
            buckets.update(s[1] // 100 for s in samples)
            if series["point"] == "r0":
                starts += [(series["device"], s[1] - (s[4] or 0) / 2) for s in samples]
        with self.lock:
            self.buckets.update(buckets)
            for device, start in starts:
                self.starts.setdefault(device, []).append(start)

    def devices_heard(self) -> int:
        with self.lock:
            return len(self.starts)

    def window(self, start_ms: float, end_ms: float) -> tuple[int, float, dict[str, list[float]]]:
        """Samples read inside [start, end) (whole 100 ms buckets), the span, poll starts."""
        first, last = math.ceil(start_ms / 100), math.floor(end_ms / 100)
        with self.lock:
            count = sum(self.buckets[b] for b in range(first, last))
            starts = {
                d: [x for x in s if first * 100 <= x < last * 100] for d, s in self.starts.items()
            }
        return count, (last - first) / 10, starts

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def scrape(port: int) -> dict[str, float]:
    """The gateway's Prometheus endpoint, summed over labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            name = name.split("{", 1)[0]
            totals[name] = totals.get(name, 0.0) + float(value)
    return totals


class GatewayProcess:
    """``labshare-edge run`` in its own process: only its CPU and memory are measured."""

    def __init__(
        self,
        tmp: Path,
        broker: MosquittoBroker,
        modbus_ports: list[int],
        devices: int,
        registers: int,
        interval: float,
    ) -> None:
        self.metrics_port = free_port()
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
        doc = {
            "gateway": {"key": "bench"},
            "mqtt": {"host": broker.host, "port": broker.port},
            "spool": {"path": str(tmp / "spool.sqlite3")},
            "metrics": {"port": self.metrics_port},
            "devices": [
                {
                    "key": f"dev-{d}",
                    "protocol": "modbus_tcp",
                    "host": "127.0.0.1",
                    "port": modbus_ports[d % len(modbus_ports)],
                    "device_id": d % 247 + 1,
                    "poll_interval_s": interval,
                    "timeout_s": 3,
                    "points": points,
                }
                for d in range(devices)
            ],
        }
        config = tmp / "gateway.yaml"
        config.write_text(yaml.safe_dump(doc))
        self.log = tmp / "gateway.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "edge_agent.cli", "run", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _wait_all_devices(sub: Subscriber, gateway: GatewayProcess, devices: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if gateway.proc.poll() is not None:
            raise RuntimeError(f"gateway exited:\n{gateway.log.read_text()[-3000:]}")
        if sub.devices_heard() >= devices:
            return
        time.sleep(0.2)
    raise RuntimeError(f"not every device was heard from:\n{gateway.log.read_text()[-3000:]}")


def measure_load(
    broker: MosquittoBroker,
    modbus_ports: list[int],
    devices: int,
    registers: int,
    interval: float,
    seconds: float,
    rss_at_s: list[float],
    peer_pids: list[int],
) -> dict[str, Any]:
    """One gateway process at one load; CPU, delivery and jitter over ``seconds``.

    The peers' CPU (simulators and broker) and this process's (the subscriber) are reported
    beside the gateway's, never added to it: they show whether the 2 cores ran out first.
    """
    with tempfile.TemporaryDirectory() as tmp:
        sub = Subscriber(broker, "bench")
        gateway = GatewayProcess(Path(tmp), broker, modbus_ports, devices, registers, interval)
        try:
            _wait_all_devices(sub, gateway, devices)
            time.sleep(2.0)  # first polls and connection set-up behind us
            before = scrape(gateway.metrics_port)
            cpu0, wall0, clock0 = process_cpu_seconds(gateway.pid), time.monotonic(), time.time()
            peers0 = sum(process_cpu_seconds(p) for p in peer_pids)
            own0 = cpu_seconds()
            rss: dict[str, float] = {}
            pending = sorted(rss_at_s)
            while (elapsed := time.monotonic() - wall0) < seconds:
                if pending and time.monotonic() - gateway.started >= pending[0]:
                    rss[_mark_label(pending.pop(0))] = round(process_rss_mib(gateway.pid), 1)
                if gateway.proc.poll() is not None:
                    raise RuntimeError(f"gateway exited:\n{gateway.log.read_text()[-3000:]}")
                time.sleep(min(1.0, max(0.05, seconds - elapsed)))
            cpu, wall = process_cpu_seconds(gateway.pid) - cpu0, time.monotonic() - wall0
            clock1 = time.time()
            peers = sum(process_cpu_seconds(p) for p in peer_pids) - peers0
            own = cpu_seconds() - own0
            after = scrape(gateway.metrics_port)
            # What was read in the window and reaches the broker within this grace counts;
            # a gateway falling behind leaves it in the spool.
            time.sleep(GRACE_S)
            delivered, span, starts = sub.window(clock0 * 1000, clock1 * 1000)
        finally:
            gateway.stop()
            sub.close()
    offered = devices * (registers // 2) / interval
    interval_ms = interval * 1000
    lateness = [
        x
        for device, s in starts.items()
        for x in grid_lateness_ms(s, interval_ms, grid_phase(device, interval) * 1000)
    ]
    beyond_earliest = [x for s in starts.values() for x in poll_lateness_ms(s, interval_ms)]
    polls_expected = devices * span / interval
    polls_seen = sum(len(s) for s in starts.values())
    failed = after.get("labshare_edge_device_failures_total", 0) - before.get(
        "labshare_edge_device_failures_total", 0
    )
    delivered_per_s = delivered / span
    return {
        "devices": devices,
        "points_per_device": registers // 2,
        "interval_s": interval,
        "wall_s": round(wall, 1),
        "points_offered_per_s": round(offered),
        "points_delivered_per_s": round(delivered_per_s),
        "polls_seen_of_expected": round(polls_seen / polls_expected, 4),
        "failed_polls": int(failed),
        "spool_depth_at_end": int(after.get("labshare_edge_spool_depth", 0)),
        "gateway_cpu_cores": round(cpu / wall, 3),
        "cpu_s_per_1000_points": round(cpu / wall / max(delivered_per_s, 1) * 1000, 4),
        "simulators_and_broker_cpu_cores": round(peers / wall, 3),
        "subscriber_cpu_cores": round(own / wall, 3),
        "jitter_p50_ms": round(percentile(lateness, 0.50), 1),
        "jitter_p99_ms": round(percentile(lateness, 0.99), 1),
        "jitter_max_ms": round(max(lateness, default=float("nan")), 1),
        "jitter_beyond_earliest_p50_ms": round(percentile(beyond_earliest, 0.50), 1),
        "jitter_beyond_earliest_p99_ms": round(percentile(beyond_earliest, 0.99), 1),
        "rss_mib": rss,
        "keeps_up": delivered_per_s >= 0.98 * offered
        and polls_seen >= 0.98 * polls_expected
        and failed == 0,
    }


def run_real(args: argparse.Namespace) -> dict[str, Any]:
    rss_at_s = [float(m) * 60 for m in args.rss_minutes.split(",") if m]
    if args.smoke:
        rss_at_s = [2.0, 4.0]
    duration = max(args.duration, max(rss_at_s, default=0))
    broker = MosquittoBroker()
    broker.start()
    modbus_ports = [free_port() for _ in range(args.modbus_servers)]
    servers = [
        subprocess.Popen([sys.executable, "-c", _SERVER, str(port), str(args.registers)])
        for port in modbus_ports
    ]
    peer_pids = [s.pid for s in servers] + ([broker._proc.pid] if broker._proc else [])
    try:
        for port in modbus_ports:
            wait_for_port("127.0.0.1", port)
        print(
            f"base load: {args.devices} devices x {args.registers // 2} points every "
            f"{args.interval:g} s for {duration:g} s",
            file=sys.stderr,
            flush=True,
        )
        base = measure_load(
            broker,
            modbus_ports,
            args.devices,
            args.registers,
            args.interval,
            duration,
            rss_at_s,
            peer_pids,
        )
        print(json.dumps(base), file=sys.stderr, flush=True)
        steps = []
        for interval in [float(x) for x in args.ramp_intervals.split(",") if x]:
            print(f"ramp: every {interval:g} s", file=sys.stderr, flush=True)
            step = measure_load(
                broker,
                modbus_ports,
                args.devices,
                args.registers,
                interval,
                args.step_seconds,
                [],
                peer_pids,
            )
            print(json.dumps(step), file=sys.stderr, flush=True)
            steps.append(step)
            if not step["keeps_up"]:
                break
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(10)
        broker.destroy()
    sustained = [s for s in [base, *steps] if s["keeps_up"]]
    best = max(sustained, key=lambda s: s["points_delivered_per_s"], default=base)
    rss = list(base["rss_mib"].values())
    growth = (rss[-1] - rss[0]) / rss[0] * 100 if len(rss) >= 2 else float("nan")
    return {
        "mode": "real",
        "base": base,
        "ramp": steps,
        "max_sustained": best,
        "rss_growth_percent": round(growth, 1),
        "ratio_base_cores_vs_thingsboard": round(base["gateway_cpu_cores"] / TB_CORES_AT_5000, 3),
        "ratio_base_cpu_per_1000_vs_thingsboard": round(
            base["cpu_s_per_1000_points"] / TB_CPU_S_PER_1000, 3
        ),
        "ratio_max_sustained_vs_thingsboard": round(
            best["points_delivered_per_s"] / TB_PEAK_POINTS_PER_S, 2
        ),
        "ratio_full_load_cpu_per_1000_vs_thingsboard": round(
            best["cpu_s_per_1000_points"] / TB_CPU_S_PER_1000, 3
        ),
    }


def report_real(result: dict[str, Any]) -> None:
    base, best = result["base"], result["max_sustained"]

    def verdict(ok: bool) -> str:
        return "meets target" if ok else "MISSES target"

    lines = [
        f"base load, {base['devices']} devices x {base['points_per_device']} points every "
        f"{base['interval_s']:g} s: {base['points_delivered_per_s']:,} points/s sustained of "
        f"{base['points_offered_per_s']:,} offered, {base['failed_polls']} failed polls",
        f"  gateway cores: {base['gateway_cpu_cores']} (target <= 0.2, "
        f"{verdict(base['gateway_cpu_cores'] <= 0.2)}); ThingsBoard 0.40 core: "
        f"ratio {result['ratio_base_cores_vs_thingsboard']}",
        f"  CPU-s per 1,000 points: {base['cpu_s_per_1000_points']}; ThingsBoard 0.058: "
        f"ratio {result['ratio_base_cpu_per_1000_vs_thingsboard']}",
        f"  poll jitter p99: {base['jitter_p99_ms']} ms (target < 50, "
        f"{verdict(base['jitter_p99_ms'] < 50)}); p50 {base['jitter_p50_ms']} ms, "
        f"max {base['jitter_max_ms']} ms; beyond each device's earliest start p99 "
        f"{base['jitter_beyond_earliest_p99_ms']} ms",
        f"  gateway RSS: {base['rss_mib']} MiB; growth {result['rss_growth_percent']}% "
        f"(target < 10%, {verdict(result['rss_growth_percent'] < 10)})",
        f"maximum sustained: {best['points_delivered_per_s']:,} points/s "
        f"({best['devices']} devices x {best['points_per_device']} points every "
        f"{best['interval_s']:g} s; target >= 35,000, "
        f"{verdict(best['points_delivered_per_s'] >= 35_000)}); ThingsBoard 14,484: "
        f"ratio {result['ratio_max_sustained_vs_thingsboard']}",
        f"  at full load: {best['gateway_cpu_cores']} core, {best['cpu_s_per_1000_points']} "
        f"CPU-s per 1,000 points (target <= 0.025, "
        f"{verdict(best['cpu_s_per_1000_points'] <= 0.025)}); ThingsBoard 0.058: "
        f"ratio {result['ratio_full_load_cpu_per_1000_vs_thingsboard']}; "
        f"jitter p99 {best['jitter_p99_ms']} ms",
    ]
    for step in result["ramp"]:
        lines.append(
            f"  ramp every {step['interval_s']:g} s: offered {step['points_offered_per_s']:,}, "
            f"delivered {step['points_delivered_per_s']:,}, {step['gateway_cpu_cores']} core, "
            f"jitter p99 {step['jitter_p99_ms']} ms, "
            f"{'keeps up' if step['keeps_up'] else 'does not keep up'}"
        )
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument(
        "--registers", type=int, default=100, help="registers per device (float32 pairs)"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="poll interval in seconds")
    parser.add_argument("--seconds", type=float, default=10.0, help="pipeline mode: run time")
    parser.add_argument("--real", action="store_true", help="real pymodbus servers and Mosquitto")
    parser.add_argument(
        "--duration", type=float, default=600.0, help="--real: seconds at the base load"
    )
    parser.add_argument(
        "--rss-minutes",
        default="2,10",
        help="--real: minutes after the gateway's start at which its RSS is taken",
    )
    parser.add_argument(
        "--ramp-intervals",
        default="0.2,0.125,0.1,0.08,0.0625,0.05,0.04",
        help="--real: poll intervals tried after the base load, until one does not keep up",
    )
    parser.add_argument("--step-seconds", type=float, default=30.0, help="--real: per ramp step")
    parser.add_argument("--modbus-servers", type=int, default=2, help="--real: simulator processes")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="seconds long, for the tests: 10 devices; with --real 4 s base, two 2 s steps, "
        "RSS at 2 s and 4 s",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.devices, args.seconds = min(args.devices, 10), min(args.seconds, 2.0)
        args.duration, args.step_seconds = min(args.duration, 4.0), min(args.step_seconds, 2.0)
        args.ramp_intervals = ",".join(args.ramp_intervals.split(",")[:2])
    load_before = os.getloadavg()
    if args.real:
        result = run_real(args)
        report_real(result)
    else:
        result = asyncio.run(run(args.devices, args.registers, args.interval, args.seconds))
        # Below 1 means less CPU per point than ThingsBoard's best.
        result["ratio_cpu_vs_thingsboard"] = round(
            result["cpu_s_per_1000_points"] / TB_CPU_S_PER_1000, 3
        )
    result["load_average_before_after"] = [
        [round(x, 2) for x in load_before],
        [round(x, 2) for x in os.getloadavg()],
    ]
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
