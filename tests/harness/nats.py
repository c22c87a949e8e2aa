"""A private three-node NATS cluster (JetStream, MQTT listener) on free loopback ports.

Each node is a real ``nats-server`` (Debian's 2.9 package) with its own store directory, a
client port (the ingest worker's NATS connection), an MQTT port (the gateways) and a route
port; the nodes route to each other. ``authorization`` is the text of an ``authorization {}``
block (``server.gateways.nats.render_nats_authorization``) included by every node; without
it anyone may connect and do anything.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.harness.ports import free_port, wait_for_port
from tests.harness.process import ServerProcess

CLUSTER_NAME = "labshare-test"


def find_nats_server() -> str:
    found = shutil.which("nats-server") or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
    )
    if found is None:
        raise RuntimeError("nats-server is not installed; run scripts/setup-system.sh as root")
    return found


@dataclass
class NatsNode(ServerProcess):
    name: str
    root: Path
    host: str = "127.0.0.1"
    client_port: int = field(default_factory=free_port)
    mqtt_port: int = field(default_factory=free_port)
    route_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    routes: list[int] = field(default_factory=list)
    authorization_file: Path | None = None
    _proc: subprocess.Popen[bytes] | None = None

    LOG_NAME: ClassVar[str] = "nats.log"

    @property
    def config_path(self) -> Path:
        return self.root / "nats.conf"

    @property
    def port(self) -> int:
        """The MQTT port (what gateways use, as ``MosquittoBroker.port``)."""
        return self.mqtt_port

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.client_port}"

    def _write_config(self) -> None:
        routes = ", ".join(f'"nats-route://{self.host}:{p}"' for p in self.routes)
        lines = [
            f'server_name: "{self.name}"',
            f'listen: "{self.host}:{self.client_port}"',
            f'http: "{self.host}:{self.http_port}"',
            "max_payload: 1MB",
            f'jetstream {{ store_dir: "{self.root}/js", max_memory_store: 64MB, '
            "max_file_store: 1GB }",
            f'cluster {{ name: "{CLUSTER_NAME}", listen: "{self.host}:{self.route_port}", '
            f"routes: [{routes}] }}",
            f'mqtt {{ listen: "{self.host}:{self.mqtt_port}", stream_replicas: 3 }}',
        ]
        if self.authorization_file is not None:
            # nats-server resolves an include relative to the including file.
            relative = os.path.relpath(self.authorization_file, self.root)
            lines.append(f'include "{relative}"')
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 15.0) -> None:
        if self.running:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_config()
        with self.logfile.open("ab") as log:
            self._proc = subprocess.Popen(
                [find_nats_server(), "-c", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_port(self.host, self.client_port, timeout)
            wait_for_port(self.host, self.mqtt_port, timeout)
        except TimeoutError as exc:
            raise RuntimeError(
                f"nats-server {self.name} did not start:\n{self.log_tail()}"
            ) from exc

    def stop(self, timeout: float = 10.0) -> None:
        self._terminate(signal.SIGTERM, timeout)

    def healthy(self, *, server_only: bool = False) -> bool:
        """``/healthz``: the node is up and its JetStream is current with the cluster.

        ``server_only``: current with the cluster's metadata only, not with every stream and
        consumer (a node back from a crash may take long to call every consumer current,
        e.g. those of MQTT sessions deleted while it was down).
        """
        query = "?js-server-only=true" if server_only else ""
        try:
            with urllib.request.urlopen(
                f"http://{self.host}:{self.http_port}/healthz{query}", timeout=1
            ) as response:
                return bool(json.loads(response.read()).get("status") == "ok")
        except (OSError, urllib.error.URLError, ValueError):
            return False


@dataclass
class NatsCluster:
    """Three routed nodes; ``nodes[i].kill()`` is a crash, ``start_node(i)`` brings it back."""

    size: int = 3
    authorization: str | None = None
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="labshare-nats-")))
    nodes: list[NatsNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        auth_file = None
        if self.authorization is not None:
            auth_file = self.root / "authorization.conf"
            auth_file.write_text(self.authorization)
        self.nodes = [
            NatsNode(name=f"n{i + 1}", root=self.root / f"n{i + 1}", authorization_file=auth_file)
            for i in range(self.size)
        ]
        for node in self.nodes:
            node.routes = [n.route_port for n in self.nodes if n is not node]

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    @property
    def mqtt_servers(self) -> list[str]:
        return [f"{n.host}:{n.mqtt_port}" for n in self.nodes]

    def start(self, ready_within_s: float = 30.0) -> None:
        for node in self.nodes:
            node.start()
        self.wait_healthy(ready_within_s)

    def wait_healthy(self, within_s: float = 30.0, *, server_only: bool = False) -> None:
        deadline = time.monotonic() + within_s
        while not all(n.healthy(server_only=server_only) for n in self.nodes if n.running):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the NATS cluster is not healthy after {within_s} s\n{self.logs()}"
                )
            time.sleep(0.2)

    def logs(self, lines: int = 20) -> str:
        return "\n".join(f"--- {n.name}:\n{n.log_tail(lines)}" for n in self.nodes)

    def destroy(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class MqttProbe:
    """A paho MQTT 3.1.1 client recording what it is told (CONNACK, SUBACKs, PUBACKs, messages)."""

    def __init__(self, port: int, username: str, password: str, client_id: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.subacks: dict[int, list[int]] = {}
        self.pubacks: set[int] = set()
        self.connack: int | None = None
        self.changed = threading.Condition()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        client.username_pw_set(username, password)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        self.client = client
        client.connect("127.0.0.1", port)
        client.loop_start()
        self.wait(lambda: self.connack is not None, "CONNACK")

    def _note(self, fn: Any) -> None:
        with self.changed:
            fn()
            self.changed.notify_all()

    def _on_connect(self, c: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
        self._note(lambda: setattr(self, "connack", int(reason.value)))

    def _on_message(self, c: Any, u: Any, message: Any) -> None:
        self._note(lambda: self.messages.append((message.topic, bytes(message.payload))))

    def _on_subscribe(self, c: Any, u: Any, mid: int, reasons: Any, props: Any) -> None:
        self._note(lambda: self.subacks.__setitem__(mid, [int(r.value) for r in reasons]))

    def _on_publish(self, c: Any, u: Any, mid: int, reason: Any, props: Any) -> None:
        self._note(lambda: self.pubacks.add(mid))

    def wait(self, predicate: Any, what: str, within_s: float = 10.0) -> None:
        with self.changed:
            if not self.changed.wait_for(predicate, within_s):
                raise AssertionError(f"no {what} within {within_s} s")

    def subscribe(self, topic: str) -> list[int]:
        _, mid = self.client.subscribe(topic, qos=1)
        self.wait(lambda: mid in self.subacks, f"SUBACK for {topic}")
        return self.subacks[mid]

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        mid = self.client.publish(topic, payload, qos=1, retain=retain).mid
        self.wait(lambda: mid in self.pubacks, f"PUBACK for {topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
