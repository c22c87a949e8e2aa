"""The NATS broker tier's generated authorization, as text and against a real nats-server cluster.

nats-server 2.9 answers a QoS 1 PUBLISH its permissions refuse with a PUBACK anyway (it logs a
"Publish Violation" and neither delivers nor stores the message), so "refused" is proven by
what a subscriber of the server account receives, not by the publisher's acknowledgement.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.core.security import nats_password_hash
from server.gateways.nats import (
    NatsUser,
    gateway_permissions,
    nats_subject,
    render_nats_authorization,
)
from tests.harness.nats import MqttProbe as Client
from tests.harness.nats import NatsCluster, find_nats_server


def test_gateway_permissions_name_only_its_own_subjects() -> None:
    perms = gateway_permissions("gw-a")
    assert perms["publish"] == {
        "allow": [
            "labshare.v1.gw.gw-a.telemetry",
            "labshare.v1.gw.gw-a.state",
            "labshare.v1.gw.gw-a.heartbeat",
            "labshare.v1.gw.gw-a.inspection",
            "labshare.v1.gw.gw-a.program",
        ]
    }
    assert perms["subscribe"] == {
        "allow": ["labshare.v1.gw.gw-a.config", "labshare.v1.gw.gw-a.calibration", "$MQTT.sub.>"]
    }
    assert nats_subject("labshare/v1/gw/+/telemetry") == "labshare.v1.gw.*.telemetry"


def test_keys_nats_cannot_carry_and_the_server_name_are_left_out() -> None:
    text = render_nats_authorization(
        [NatsUser("gw.dotted", "x"), NatsUser("srv", "y"), NatsUser("gw-ok", "z")],
        NatsUser("srv", "server-secret"),
    )
    assert "gw.dotted" not in text
    assert text.count('"user": "srv"') == 1
    assert '"user": "gw-ok"' in text
    assert '"allowed_connection_types": [\n        "MQTT"\n      ]' in text


@pytest.fixture
def cluster() -> Iterator[NatsCluster]:
    users = [
        NatsUser("gw-a", nats_password_hash("secret-a") or ""),
        NatsUser("gw-b", nats_password_hash("secret-b") or ""),
    ]
    nats = NatsCluster(authorization=render_nats_authorization(users, NatsUser("srv", "srv-pw")))
    nats.start()
    yield nats
    nats.destroy()


@pytest.mark.integration
@pytest.mark.timeout(60)
def test_a_gateway_publishes_and_reads_only_its_own_topics(cluster: NatsCluster) -> None:
    node = cluster.nodes[0]
    server = Client(node.mqtt_port, "srv", "srv-pw", "labshare-server-test")
    gw_a = Client(cluster.nodes[1].mqtt_port, "gw-a", "secret-a", "labshare-edge-gw-a")
    intruder = Client(node.mqtt_port, "gw-a", "wrong", "labshare-edge-gw-a-2")
    try:
        assert server.connack == 0
        assert gw_a.connack == 0, "the bcrypt hash from the registry is accepted"
        # paho reports 3.1.1 return code 5 as 0x87 "Not authorized".
        assert intruder.connack == 0x87, "a wrong password is refused"

        assert server.subscribe("labshare/v1/gw/+/telemetry") == [1]
        server.publish("labshare/v1/gw/gw-a/config", b"config for a", retain=True)
        server.publish("labshare/v1/gw/gw-b/config", b"config for b", retain=True)

        # Retained messages reach the other nodes' copies asynchronously: a subscription made
        # on another node in the same millisecond may not see one yet.
        time.sleep(1.0)
        assert gw_a.subscribe("labshare/v1/gw/gw-a/config") == [1]
        gw_a.wait(
            lambda: ("labshare/v1/gw/gw-a/config", b"config for a") in gw_a.messages, "own config"
        )
        assert gw_a.subscribe("labshare/v1/gw/gw-b/config") == [0x80]
        assert gw_a.subscribe("labshare/v1/gw/+/config") == [0x80]
        assert gw_a.subscribe("labshare/v1/gw/gw-b/telemetry") == [0x80]
        assert gw_a.subscribe("#") == [0x80]
        # The deliver subjects of QoS 1 subscriptions cannot be read over MQTT.
        assert gw_a.subscribe("$MQTT/sub/#") == [0x80]

        gw_a.publish("labshare/v1/gw/gw-b/telemetry", b"forged")
        gw_a.publish("labshare/v1/gw/gw-a/config", b"self-configured")
        gw_a.publish("labshare/v1/gw/gw-a/telemetry", b"mine")
        server.wait(
            lambda: any(p == b"mine" for _, p in server.messages), "the gateway's own telemetry"
        )
        time.sleep(0.5)
        assert server.messages == [("labshare/v1/gw/gw-a/telemetry", b"mine")]
        assert ("labshare/v1/gw/gw-b/config", b"config for b") not in gw_a.messages
        assert ("labshare/v1/gw/gw-a/config", b"self-configured") not in gw_a.messages
    finally:
        for client in (server, gw_a, intruder):
            client.close()
    assert "Publish Violation" in node.log_tail(200) + cluster.nodes[1].log_tail(200)


def test_the_shipped_node_template_and_a_generated_authorization_are_valid(
    tmp_path: Path, repo_root: Path
) -> None:
    """deploy/nats/node.conf.template, rendered for a node, with the generated include."""
    rendered = subprocess.run(
        [
            str(repo_root / "deploy/nats/render-node.sh"),
            "n1",
            "127.0.0.1",
            "127.0.0.1:6222",
            "127.0.0.2:6222",
            "127.0.0.3:6222",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    settings = [line for line in rendered.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in settings if "@" in line], "a marker was left unreplaced"
    config = tmp_path / "n1.conf"
    config.write_text(rendered.replace("/var/lib/labshare/nats/n1", str(tmp_path / "js")))
    users = [NatsUser("gw-a", nats_password_hash("secret-a") or "")]
    (tmp_path / "authorization.conf").write_text(
        render_nats_authorization(users, NatsUser("srv", "srv-pw"))
    )
    check = subprocess.run(
        [find_nats_server(), "-c", str(config), "-t"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "is valid" in check.stdout + check.stderr
