"""A simulated in-line gauge measuring shaft diameters, for the demo's smart-testing station.

On start it defines the characteristic (``shaft-40`` / ``diameter``, 25.000 mm with
specification 24.985 … 25.015 mm, an individuals chart) over the API if it is missing, posts
an in-control baseline of 30 parts (one of them a probe that was knocked, excluded with that
reason) and freezes limits version 1 from it. Then it publishes one measured part every
``--interval`` seconds through the demo gateway's MQTT topic ``…/inspection``: in control at
first, then, after ``--drift-after`` parts, the tool wears and the diameter creeps upward by a
fifth of a sigma per part. Six rising points trip Nelson test 3 and nine above the centre line
test 2, which raise alarms on the board and notify the lab manager.

    python -m server.demo.inspection_station --api http://127.0.0.1:8000 --mqtt-port 1883
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mqtt_contract.v1 import TopicKind, topic_for
from server.demo.credentials import DEMO_PASSWORD

__all__ = ["BASELINE", "NOMINAL", "SIGMA", "diameters", "publish_parts", "seed_station"]

log = logging.getLogger("labshare.demo.inspection")

PRODUCT, KEY = "shaft-40", "diameter"
NOMINAL = 25.000
SIGMA = 0.002
BASELINE = 30
KNOCKED = 17  # the baseline part measured with a knocked probe
API = "/api/v1"


def diameters(seed: int = 40, drift_after: int = 20) -> Iterator[float]:
    """Live diameters (mm): ``drift_after`` parts in control, then a steady upward creep."""
    rng = random.Random(seed)
    i = 0
    while True:
        if i < drift_after:
            yield NOMINAL + rng.gauss(0, SIGMA)
        else:
            # Tool wear: +0.2 sigma per part with little noise, so the rise is steady.
            yield NOMINAL + SIGMA * (0.3 + 0.2 * (i - drift_after)) + rng.gauss(0, SIGMA * 0.02)
        i += 1


def baseline(seed: int = 25) -> list[float]:
    rng = random.Random(seed)
    values = [NOMINAL + rng.gauss(0, SIGMA) for _ in range(BASELINE)]
    values[KNOCKED] = NOMINAL + 6 * SIGMA
    return values


async def seed_station(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """The characteristic with a baseline and limits version 1; its id (idempotent)."""
    listed = await client.get(f"{API}/inspection/characteristics", headers=headers)
    listed.raise_for_status()
    for item in listed.json():
        if item["product"] == PRODUCT and item["key"] == KEY:
            if item["limits_version"] is not None:
                return str(item["id"])
            cid = str(item["id"])
            break
    else:
        created = await client.post(
            f"{API}/inspection/characteristics",
            json={
                "product": PRODUCT, "key": KEY, "name": "Shaft diameter (gauge 1)",
                "unit": "mm", "nominal": NOMINAL, "lsl": NOMINAL - 0.015,
                "usl": NOMINAL + 0.015, "chart": "imr", "subgroup_size": 1,
            },
            headers=headers,
        )  # fmt: skip
        created.raise_for_status()
        cid = str(created.json()["id"])
    start = datetime.now(UTC) - timedelta(minutes=BASELINE)
    posted = await client.post(
        f"{API}/inspection/characteristics/{cid}/results",
        json={
            "station": "gauge-1",
            "results": [
                {"ts": (start + timedelta(minutes=i)).isoformat(), "value": v,
                 "part": f"B-{i:04d}", "operator": "demo"}
                for i, v in enumerate(baseline())
            ],
        },
        headers=headers,
    )  # fmt: skip
    posted.raise_for_status()
    first = posted.json()
    chart = await client.get(f"{API}/inspection/characteristics/{cid}/chart", headers=headers)
    positions = chart.json()["points"]["position"]
    last = positions[-1]
    base_first = last - first["points"] + 1
    frozen = await client.post(
        f"{API}/inspection/characteristics/{cid}/limits",
        json={
            "baseline_first": base_first, "baseline_last": last,
            "exclusions": [{"position": base_first + KNOCKED,
                            "reason": "probe knocked during loading; re-zeroed"}],
            "note": "demo baseline: 30 parts after the morning set-up",
        },
        headers=headers,
    )  # fmt: skip
    frozen.raise_for_status()
    return cid


def publish_parts(
    host: str,
    port: int,
    gateway: str,
    password: str,
    interval_s: float,
    drift_after: int,
    parts: int | None = None,
    *,
    mqtt_v311: bool = False,
) -> None:
    """Publish measured parts (forever, or ``parts`` of them) at QoS 1."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"{gateway}-gauge-1",
        protocol=paho.MQTTv311 if mqtt_v311 else paho.MQTTv5,
    )
    client.username_pw_set(gateway, password)
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.on_disconnect = lambda *_args: connected.clear()
    client.connect_async(host, port)  # loop_start connects and reconnects on its own
    client.loop_start()
    topic = topic_for(gateway, TopicKind.INSPECTION)
    try:
        for i, value in enumerate(diameters(drift_after=drift_after)):
            if parts is not None and i >= parts:
                break
            now_ms = int(time.time() * 1000)
            doc = {
                "v": 1, "gateway": gateway, "sent_at_ms": now_ms, "station": "gauge-1",
                "results": [{
                    # Microseconds-ish since the epoch: increasing across restarts of the station.
                    "seq": now_ms * 1000 + i % 1000, "ts_ms": now_ms, "product": PRODUCT, "characteristic": KEY,
                    "value": round(value, 5), "unit": "mm", "part": f"S-{i:06d}", "operator": "demo",
                }],
            }  # fmt: skip
            while True:  # a part is published once the broker has it, whatever the outages
                if not connected.wait(timeout=5):
                    log.warning("gauge waiting for the MQTT broker at %s:%s", host, port)
                    continue
                info = client.publish(topic, json.dumps(doc), qos=1)
                try:
                    info.wait_for_publish(timeout=10)
                except (RuntimeError, ValueError) as exc:
                    log.warning("part %d not published yet: %s", i, exc)
                    time.sleep(1.0)
                    continue
                if info.is_published():
                    break
            log.info("part %d: %.5f mm", i, value)
            if interval_s > 0:
                time.sleep(interval_s)
    finally:
        client.disconnect()
        client.loop_stop()


async def _seed(api: str, email: str, password: str) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        token = await client.post(
            f"{API}/auth/token", data={"username": email, "password": password}
        )
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        cid = await seed_station(client, headers)
        log.info("characteristic %s seeded with limits version 1", cid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--api", required=True, help="server base URL")
    parser.add_argument("--mqtt-host", default="127.0.0.1")
    parser.add_argument("--mqtt-port", type=int, required=True)
    parser.add_argument("--gateway", default="demo-gw-01")
    parser.add_argument(
        "--mqtt-v311", action="store_true", help="speak MQTT 3.1.1 (a broker without MQTT 5)"
    )
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between parts")
    parser.add_argument("--drift-after", type=int, default=20, help="parts before the drift")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for attempt in range(30):  # the server may still be warming up: keep the demo alive
        try:
            asyncio.run(_seed(args.api, "manager@zjim.demo", DEMO_PASSWORD))
            break
        except httpx.HTTPError as exc:
            log.warning("seeding the gauge failed (attempt %d): %s", attempt + 1, exc)
            time.sleep(2.0)
    password = os.environ.get("LABSHARE_DEMO_GATEWAY_SECRET", "")
    publish_parts(
        args.mqtt_host,
        args.mqtt_port,
        args.gateway,
        password,
        args.interval,
        args.drift_after,
        mqtt_v311=args.mqtt_v311,
    )


if __name__ == "__main__":
    main()
