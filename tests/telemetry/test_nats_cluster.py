"""The broker tier survives losing a node: a three-node NATS cluster, a node SIGKILLed mid-stream.

The real pieces: three ``nats-server`` 2.9 nodes (JetStream R3, MQTT listeners, routes, the
authorization ``server.gateways.nats`` generates), two ``labshare-edge run`` processes that
poll a pymodbus chamber at 25 samples/s each and list all three nodes (the first one first),
and one ``labshare-server ingest`` process reading the durable JetStream consumer into
PostgreSQL/TimescaleDB.

Both gateways are connected to node 1 when it is killed with SIGKILL (no goodbye to anyone):
they fail over to the next node, paho resends the QoS 1 batches that had no PUBACK, and the
spool keeps every sample until one came. Node 1 then restarts on its old store and catches
up. Every sequence number of both gateways must be stored exactly once.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from edge_agent.spool import SampleSpool
from server.core.security import nats_password_hash
from server.gateways.nats import NatsUser, render_nats_authorization
from tests.edge_agent import conftest as edge_fixtures
from tests.harness.edge import ModbusPeer, chamber, gateway_doc, spawn_agent
from tests.harness.nats import MqttProbe, NatsCluster
from tests.harness.ports import free_port
from tests.harness.telemetry import Seeder
from tests.telemetry.test_broker_restart import Process, scrape, until

pytestmark = [pytest.mark.integration]

modbus_servers = edge_fixtures.modbus_servers

SAMPLES_PER_S = 25
SERVER_USER, SERVER_PASSWORD = "labshare-server", "server-secret"
CHANNELS = {
    ("chamber-1", "temperature"): "degC",
    ("chamber-1", "humidity"): "percent",
    ("chamber-1", "power"): "W",
}


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in reversed(started):
        process.terminate()


def start_ingest(
    database_url: str, cluster: NatsCluster, log_path: Path, repo_root: Path
) -> Process:
    env = {
        **os.environ,
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_NATS_URL": ",".join(cluster.urls),
        "LABSHARE_NATS_ACK_WAIT_S": "5",
        "LABSHARE_MQTT_USERNAME": SERVER_USER,
        "LABSHARE_MQTT_PASSWORD": SERVER_PASSWORD,
        "LABSHARE_ENVIRONMENT": "development",
        "LABSHARE_INGEST_CLIENT_ID": f"ingest-nats-{uuid.uuid4().hex[:8]}",
        "LABSHARE_LOG_FORMAT": "console",
        "PYTHONPATH": str(repo_root),
    }
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "labshare-server"), "ingest"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Process(proc, log_path)


def stored_seqs(conninfo: str, gateway_key: str) -> list[int]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT t.seq FROM telemetry t JOIN channel c ON c.id = t.channel_id"
            " JOIN gateway g ON g.id = c.gateway_id WHERE g.key = %s ORDER BY t.seq",
            (gateway_key,),
        ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.timeout(120)
async def test_killing_a_broker_node_mid_stream_loses_and_duplicates_nothing(
    seeder: Seeder,
    database_url: str,
    database_conninfo: str,
    modbus_servers: Callable[..., ModbusPeer],
    processes: list[Process],
    tmp_path: Path,
    repo_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    keys = [f"gw-a-{suffix}", f"gw-b-{suffix}"]
    secrets = {key: f"secret-{key}" for key in keys}
    users = [NatsUser(key, nats_password_hash(secrets[key]) or "") for key in keys]
    cluster = NatsCluster(
        authorization=render_nats_authorization(users, NatsUser(SERVER_USER, SERVER_PASSWORD)),
        root=tmp_path / "nats",
    )
    cluster.start()
    agents: dict[str, Process] = {}
    try:
        for key in keys:
            seeder.gateway(key, CHANNELS)
        peer = await modbus_servers([chamber()])  # type: ignore[misc]

        ingest = start_ingest(database_url, cluster, tmp_path / "ingest.log", repo_root)
        processes.append(ingest)
        # The durable consumer must exist before the first gateway publishes (first start only).
        await until(
            lambda: "consuming $MQTT_msgs" in ingest.log(100_000),
            30,
            "the ingest worker's JetStream consumer",
            lambda: ingest.log(),
        )

        metrics_ports: dict[str, int] = {}
        spools: dict[str, Path] = {}
        for i, key in enumerate(keys):
            env_name = f"LABSHARE_TEST_GW_SECRET_{i}"
            monkeypatch.setenv(env_name, secrets[key])
            spools[key] = tmp_path / f"spool-{i}.sqlite3"
            metrics_ports[key] = free_port()
            doc = gateway_doc(key, cluster.nodes[0], peer.port, spools[key])
            doc["mqtt"] = {
                # Node 1 first for both: it is the node killed below.
                "servers": cluster.mqtt_servers,
                "username": key,
                "password_env": env_name,
                # nats-server speaks MQTT 3.1.1 only: one is told so, the other finds out.
                "protocol": "3.1.1" if i == 0 else "auto",
            }
            doc["metrics"] = {"port": metrics_ports[key]}
            doc["devices"][0]["poll_interval_s"] = 3 / SAMPLES_PER_S
            config_path = tmp_path / f"gateway-{i}.yaml"
            config_path.write_text(yaml.safe_dump(doc))
            log_path = tmp_path / f"agent-{i}.log"
            agents[key] = Process(spawn_agent(config_path, log_path), log_path)
            processes.append(agents[key])

        def logs() -> str:
            parts = [f"{key} agent log:\n{a.log()}" for key, a in agents.items()]
            return "\n".join([*parts, f"ingest log:\n{ingest.log()}", cluster.logs()])

        def connected(key: str) -> bool:
            try:
                return scrape(metrics_ports[key]).get("labshare_edge_broker_connected") == 1.0
            except OSError:
                return False

        for key in keys:
            await until(
                lambda k=key: len(stored_seqs(database_conninfo, k)) >= 150,
                45,
                f"first rows of {key}",
                logs,
            )  # type: ignore[misc]
        node_1 = f"connected to broker 127.0.0.1:{cluster.nodes[0].mqtt_port}"
        assert all(node_1 in a.log(100_000) for a in agents.values()), logs()
        assert not any("next broker node" in a.log(100_000) for a in agents.values()), logs()

        # The crash: node 1 goes without a word, with both gateways on it.
        cluster.nodes[0].kill()
        killed_at = time.monotonic()
        for key in keys:
            await until(
                lambda k=key: "next broker node" in agents[k].log(1_000_000) and connected(k),  # type: ignore[misc]
                45,
                f"{key} to fail over",
                logs,
            )
        failover_s = time.monotonic() - killed_at
        await asyncio.sleep(3.0)
        before_restart = {key: len(stored_seqs(database_conninfo, key)) for key in keys}

        cluster.nodes[0].start()
        await asyncio.to_thread(functools.partial(cluster.wait_healthy, 30.0, server_only=True))
        await asyncio.sleep(3.0)
        for key in keys:
            await until(
                lambda k=key: scrape(metrics_ports[k]).get("labshare_edge_spool_depth", 1) < 10,
                30,
                f"{key}'s spool to drain",
                logs,
            )
    finally:
        rcs = {key: agent.terminate() for key, agent in agents.items()}

    try:
        assert all(rc == 0 for rc in rcs.values()), logs()
        last: dict[str, int] = {}
        for key in keys:
            spool = SampleSpool(spools[key])
            last[key], left = spool.last_seq, spool.depth
            spool.close()
            assert left == 0, f"{key}: {left} samples still spooled after a clean stop\n{logs()}"
            # Streamed on after the kill (stored or not yet: the consumer may have had to
            # elect a leader too) and after the restart.
            assert last[key] > before_restart[key] >= 150
        for key in keys:
            await until(
                lambda k=key: len(stored_seqs(database_conninfo, k)) >= last[k],
                30,
                f"{last[key]} rows of {key}",
                lambda k=key: f"stored {len(stored_seqs(database_conninfo, k))}\n{logs()}",  # type: ignore[misc]
            )
        assert ingest.terminate() == 0, logs()
        for key in keys:
            seqs = stored_seqs(database_conninfo, key)
            missing = sorted(set(range(1, last[key] + 1)) - set(seqs))
            assert not missing, f"{key}: {len(missing)} of {last[key]} lost, e.g. {missing[:10]}"
            assert seqs == list(range(1, last[key] + 1)), f"{key}: a sequence number stored twice"
        assert seeder.query("SELECT reason FROM dead_letter") == []
        print(f"failover within {failover_s:.1f} s; rows {last}")
        for key, agent in agents.items():
            print(key, [line for line in agent.log(1_000_000).splitlines() if "broker" in line])
    finally:
        cluster.destroy()


@pytest.mark.timeout(60)
def test_without_a_quorum_a_qos1_publish_is_not_acknowledged(tmp_path: Path) -> None:
    """What the gateways' spool relies on: nats-server PUBACKs only what two replicas stored.

    With two of the three nodes gone the MQTT message stream has no majority: the surviving
    node takes the PUBLISH but sends no PUBACK (its store request times out after 4 s), so
    the edge agent keeps the samples spooled and sends them again later.
    """
    cluster = NatsCluster(root=tmp_path / "nats")
    cluster.start()
    try:
        client = MqttProbe(cluster.nodes[0].mqtt_port, "anyone", "-", "labshare-edge-quorum")
        client.publish("labshare/v1/gw/quorum/telemetry", b"with a quorum")
        cluster.nodes[1].kill()
        cluster.nodes[2].kill()
        mid = client.client.publish("labshare/v1/gw/quorum/telemetry", b"without", qos=1).mid
        time.sleep(6.0)
        assert mid not in client.pubacks, "PUBACK without a quorum of the MQTT stream"
        client.close()
    finally:
        cluster.destroy()
