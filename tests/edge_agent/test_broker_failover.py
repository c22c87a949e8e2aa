"""A gateway's list of broker nodes: configuration, and the link moving round it.

The failover itself, with real nats-server nodes killed mid-stream, is
tests/telemetry/test_nats_cluster.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from edge_agent.mqtt_link import MqttLink
from mqtt_contract.gateway_config import ConfigError, config_hash, parse_config
from tests.harness.edge import doc


def issues(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return [str(i) for i in caught.value.issues]


def test_servers_list_the_nodes_in_order_with_the_default_port() -> None:
    config = parse_config(
        doc(mqtt={"port": 1884, "servers": ["10.0.0.1", "10.0.0.2:1885", "[fd00::3]:1886"]})
    )
    assert config.mqtt.addresses() == [("10.0.0.1", 1884), ("10.0.0.2", 1885), ("fd00::3", 1886)]
    # Without servers: the single host and port, as before.
    single = parse_config(doc(mqtt={"host": "broker", "port": 1883}))
    assert single.mqtt.addresses() == [("broker", 1883)]


def test_a_bad_node_address_is_named_by_its_field() -> None:
    found = issues(doc(mqtt={"servers": ["10.0.0.1:1883", "10.0.0.2:99999", "a b"]}))
    assert found == [
        "mqtt.servers[1]: '10.0.0.2:99999' is not a broker address (host or host:port)",
        "mqtt.servers[2]: 'a b' is not a broker address (host or host:port)",
    ]
    assert issues(doc(mqtt={"protocol": "4"}))[0].startswith("mqtt.protocol:")


def test_a_config_without_servers_keeps_its_hash() -> None:
    plain = parse_config(doc())
    dumped = plain.model_dump(mode="json")
    assert dumped["mqtt"]["servers"] == []
    with_servers = parse_config(doc(mqtt={"host": "127.0.0.1", "servers": ["127.0.0.1:1883"]}))
    assert config_hash(with_servers) != config_hash(plain)
    # The hash is computed without the (empty) new field, as agents before it did.
    assert config_hash(plain) == config_hash(parse_config(doc(mqtt={"servers": []})))


async def test_the_link_moves_round_the_nodes_and_back_to_the_first() -> None:
    link = MqttLink(
        asyncio.get_running_loop(),
        host="unused",
        port=1,
        client_id="t",
        protocol="auto",
        servers=[("n1", 1883), ("n2", 1883), ("n3", 1884)],
    )
    client = link._client
    seen = [(link.host, link.port)]
    for _ in range(3):
        link._next_address(client)
        seen.append((client._host, client._port))
    assert seen == [("n1", 1883), ("n2", 1883), ("n3", 1884), ("n1", 1883)]
    assert link.failovers == 3
    # A node that refuses MQTT 5 is asked again, in 3.1.1, before moving on.
    link._fall_back_to_311(client)
    assert client._protocol == mqtt.MQTTv311
    link._next_address(client)
    assert (client._host, link.protocol) == ("n1", "3.1.1")
    link._next_address(client)
    assert client._host == "n2"
