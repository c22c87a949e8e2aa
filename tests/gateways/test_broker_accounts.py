"""The broker's gateway accounts follow the registry with nobody running ``mosquitto-auth``.

A lab manager registers a gateway, rotates its secret and retires it through the API; a real
Mosquitto 2 (dynamic-security plugin, or a password file and ACL reloaded by SIGHUP) then lets
the gateway in with exactly the secret the API showed, refuses the old one, and refuses a
retired gateway. When the broker cannot take a change, the API says so (503
``broker_update_failed``) and the registry keeps what the broker knows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from mqtt_contract.gateway_config import parse_config_text
from mqtt_contract.v1 import TopicKind, topic_for
from server.core.config import BrokerAccounts, Settings
from server.core.security import mosquitto_password_hash
from server.gateways.mosquitto import (
    MosquittoAccount,
    gateway_client_id,
    render_acl,
    render_password_file,
)
from server.jobs import JobSettings
from server.telemetry.config import TelemetrySettings
from tests.gateways.dynsec import ADMIN_ACCOUNT, SERVER_ACCOUNT, DynsecBroker
from tests.harness.app import API, PROBLEM, Login
from tests.harness.mosquitto import MosquittoBroker

pytestmark = pytest.mark.integration

NOT_AUTHORISED = 0x87
BAD_CREDENTIALS = 0x86


def until(check: Callable[[], bool], what: str, within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@dataclass
class Mqtt:
    """A paho-mqtt 2 client (MQTT 5) recording what the broker answers."""

    host: str
    port: int
    connack: list[int] = field(default_factory=list)
    puback: dict[int, int] = field(default_factory=dict)
    suback: dict[int, list[int]] = field(default_factory=dict)
    received: list[tuple[str, bytes]] = field(default_factory=list)
    clients: list[paho.Client] = field(default_factory=list)

    def connect(self, username: str, password: str, client_id: str) -> paho.Client:
        """Connected client, or AssertionError naming the CONNACK reason code."""
        code = self.try_connect(username, password, client_id)
        assert code == 0, f"{username} refused with CONNACK {code:#x}"
        return self.clients[-1]

    def try_connect(self, username: str, password: str, client_id: str) -> int:
        raw = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        raw.username_pw_set(username, password)
        answers: list[int] = []

        def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            answers.append(int(reason.value))

        def on_publish(_c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
            self.puback[mid] = int(reason.value)

        def on_message(_c: Any, _u: Any, message: Any) -> None:
            self.received.append((message.topic, message.payload))

        def on_subscribe(_c: Any, _u: Any, mid: int, reasons: Any, _p: Any) -> None:
            self.suback[mid] = [int(r.value) for r in reasons]

        raw.on_connect, raw.on_publish, raw.on_message = on_connect, on_publish, on_message
        raw.on_subscribe = on_subscribe
        raw.connect(self.host, self.port)
        raw.loop_start()
        self.clients.append(raw)
        until(lambda: bool(answers), f"CONNACK for {username}")
        if answers[0] != 0:
            raw.loop_stop()
            self.clients.remove(raw)
        return answers[0]

    def publish(self, client: paho.Client, topic: str, payload: bytes) -> int:
        info = client.publish(topic, payload, qos=1)
        until(lambda: info.mid in self.puback, f"PUBACK for {topic}")
        return self.puback[info.mid]

    def subscribe(self, client: paho.Client, topic: str) -> None:
        _, mid = client.subscribe(topic, qos=1)
        until(lambda: mid in self.suback, f"SUBACK for {topic}")
        assert self.suback[mid][0] < 0x80, self.suback[mid]

    def close(self) -> None:
        for raw in self.clients:
            raw.disconnect()
            raw.loop_stop()


@pytest.fixture
def job_settings() -> JobSettings:
    return JobSettings(jobs_enabled=False)


@pytest.fixture
def telemetry_settings() -> TelemetrySettings:
    return TelemetrySettings(jobs_enabled=False, live_enabled=False)


async def _register(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> Any:
    response = await client.post(
        f"{API}/gateways", json={"key": key, "name": f"网关 {key}"}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


def _telemetry(key: str) -> str:
    return topic_for(key, TopicKind.TELEMETRY)


class TestDynamicSecurity:
    @pytest.fixture
    def broker(self, dynsec_broker: DynsecBroker) -> DynsecBroker:
        return dynsec_broker

    @pytest.fixture
    def settings(self, settings: Settings, broker: DynsecBroker) -> Settings:
        return settings.model_copy(
            update={
                "mqtt_host": broker.host,
                "mqtt_port": broker.port,
                "mqtt_username": SERVER_ACCOUNT[0],
                "mqtt_password": SERVER_ACCOUNT[1],
                "broker_accounts": BrokerAccounts.DYNSEC,
                "broker_admin_username": ADMIN_ACCOUNT[0],
                "broker_admin_password": SecretStr(ADMIN_ACCOUNT[1]),
                "broker_timeout_s": 2.0,
            }
        )

    @pytest.fixture
    def mqtt(self, broker: DynsecBroker) -> Iterator[Mqtt]:
        m = Mqtt(broker.host, broker.port)
        yield m
        m.close()

    async def test_register_rotate_retire_without_a_manual_step(
        self, client: httpx.AsyncClient, login: Login, mqtt: Mqtt
    ) -> None:
        headers = await login("manager@zjim.demo")
        server = mqtt.connect(*SERVER_ACCOUNT, "labshare-test-listener")
        mqtt.subscribe(server, _telemetry("+"))

        created = await _register(client, headers, "gw-lab-7")
        assert created["broker_updated"] is True
        first = created["secret"]

        gateway = mqtt.connect("gw-lab-7", first, gateway_client_id("gw-lab-7"))
        assert mqtt.publish(gateway, _telemetry("gw-lab-7"), b"{}") < 0x80
        until(
            lambda: any(t == _telemetry("gw-lab-7") for t, _ in mqtt.received),
            "the server account to receive the gateway's telemetry",
        )
        # Its role holds its own topics only.
        assert mqtt.publish(gateway, _telemetry("gw-other"), b"{}") == NOT_AUTHORISED
        # Its account is bound to the edge agent's client id.
        assert mqtt.try_connect("gw-lab-7", first, "someone-else") != 0

        rotated = await client.post(f"{API}/gateways/{created['id']}/secret", headers=headers)
        assert rotated.status_code == 200, rotated.text
        assert rotated.headers["Cache-Control"] == "no-store"
        second = rotated.json()["secret"]
        assert second != first
        assert rotated.json()["broker_updated"] is True

        assert mqtt.try_connect("gw-lab-7", first, gateway_client_id("gw-lab-7")) in {
            BAD_CREDENTIALS,
            NOT_AUTHORISED,
        }
        renewed = mqtt.connect("gw-lab-7", second, gateway_client_id("gw-lab-7"))
        assert mqtt.publish(renewed, _telemetry("gw-lab-7"), b"{}") < 0x80

        retired = await client.post(f"{API}/gateways/{created['id']}/retire", headers=headers)
        assert retired.status_code == 200, retired.text
        assert retired.json()["retired_at"] is not None
        assert mqtt.try_connect("gw-lab-7", second, gateway_client_id("gw-lab-7")) != 0
        again = await client.post(f"{API}/gateways/{created['id']}/secret", headers=headers)
        assert again.status_code == 409
        assert again.json()["code"] == "gateway_retired"

    async def test_a_broker_that_does_not_answer_keeps_the_registry_as_it_was(
        self, client: httpx.AsyncClient, login: Login, mqtt: Mqtt, broker: DynsecBroker
    ) -> None:
        headers = await login("manager@zjim.demo")
        created = await _register(client, headers, "gw-lab-8")
        broker.stop()

        refused = await client.post(
            f"{API}/gateways", json={"key": "gw-lab-9", "name": "网关 9"}, headers=headers
        )
        assert refused.status_code == 503
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["code"] == "broker_update_failed"
        listed = await client.get(f"{API}/gateways", headers=headers)
        keys = [g["key"] for g in listed.json()]
        assert "gw-lab-8" in keys
        assert "gw-lab-9" not in keys

        rotation = await client.post(f"{API}/gateways/{created['id']}/secret", headers=headers)
        assert rotation.status_code == 503
        assert rotation.json()["code"] == "broker_update_failed"
        assert "secret" not in rotation.json()

    def test_the_admin_account_may_only_manage_accounts(self, mqtt: Mqtt) -> None:
        admin = mqtt.connect(*ADMIN_ACCOUNT, "labshare-admin-probe")
        _, mid = admin.subscribe(_telemetry("+"), qos=1)
        until(lambda: mid in mqtt.suback, "SUBACK")
        assert mqtt.suback[mid][0] >= 0x80
        assert mqtt.publish(admin, _telemetry("gw-any"), b"{}") == NOT_AUTHORISED

    async def test_a_gateway_may_not_take_the_server_account_name(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        headers = await login("manager@zjim.demo")
        for key in (SERVER_ACCOUNT[0], ADMIN_ACCOUNT[0]):
            response = await client.post(
                f"{API}/gateways", json={"key": key, "name": "x"}, headers=headers
            )
            assert response.status_code == 422
            assert response.json()["errors"][0]["field"] == "key"


class TestPasswordFileAndAcl:
    @pytest.fixture
    def broker(
        self, tmp_path: Path, mosquitto_factory: Callable[..., MosquittoBroker]
    ) -> MosquittoBroker:
        passwd, acl = tmp_path / "labshare.passwd", tmp_path / "labshare.acl"
        server = MosquittoAccount(SERVER_ACCOUNT[0], mosquitto_password_hash(SERVER_ACCOUNT[1]))
        passwd.write_text(render_password_file([server]))
        acl.write_text(render_acl([], SERVER_ACCOUNT[0]))
        broker = mosquitto_factory(password_file=passwd, acl_file=acl)
        assert broker._proc is not None
        (tmp_path / "mosquitto.pid").write_text(f"{broker._proc.pid}\n")
        return broker

    @pytest.fixture
    def settings(self, settings: Settings, broker: MosquittoBroker, tmp_path: Path) -> Settings:
        return settings.model_copy(
            update={
                "mqtt_host": broker.host,
                "mqtt_port": broker.port,
                "mqtt_username": SERVER_ACCOUNT[0],
                "mqtt_password": SERVER_ACCOUNT[1],
                "broker_accounts": BrokerAccounts.FILES,
                "broker_passwd_file": tmp_path / "labshare.passwd",
                "broker_acl_file": tmp_path / "labshare.acl",
                "broker_pid_file": tmp_path / "mosquitto.pid",
            }
        )

    @pytest.fixture
    def mqtt(self, broker: MosquittoBroker) -> Iterator[Mqtt]:
        m = Mqtt(broker.host, broker.port)
        yield m
        m.close()

    async def test_register_and_rotate_reload_the_broker(
        self, client: httpx.AsyncClient, login: Login, mqtt: Mqtt, tmp_path: Path
    ) -> None:
        headers = await login("manager@zjim.demo")
        created = await _register(client, headers, "gw-files-1")
        assert created["broker_updated"] is True
        first = created["secret"]
        client_id = gateway_client_id("gw-files-1")
        # SIGHUP is handled by the broker's main loop, a moment after the API answered.
        until(lambda: mqtt.try_connect("gw-files-1", first, client_id) == 0, "the new account")
        gateway = mqtt.clients[-1]
        assert mqtt.publish(gateway, _telemetry("gw-files-1"), b"{}") < 0x80
        assert "user gw-files-1" in (tmp_path / "labshare.acl").read_text()

        rotated = await client.post(f"{API}/gateways/{created['id']}/secret", headers=headers)
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()["secret"]
        until(lambda: mqtt.try_connect("gw-files-1", second, client_id) == 0, "the new secret")
        assert mqtt.try_connect("gw-files-1", first, client_id) != 0

        retired = await client.post(f"{API}/gateways/{created['id']}/retire", headers=headers)
        assert retired.status_code == 200
        until(lambda: mqtt.try_connect("gw-files-1", second, client_id) != 0, "the retirement")
        assert "gw-files-1" not in (tmp_path / "labshare.passwd").read_text()

    async def test_a_missing_broker_process_is_a_503_and_nothing_is_registered(
        self, client: httpx.AsyncClient, login: Login, tmp_path: Path
    ) -> None:
        headers = await login("manager@zjim.demo")
        (tmp_path / "mosquitto.pid").write_text("not a pid\n")
        response = await client.post(
            f"{API}/gateways", json={"key": "gw-files-2", "name": "x"}, headers=headers
        )
        assert response.status_code == 503
        assert response.json()["code"] == "broker_update_failed"
        listed = await client.get(f"{API}/gateways", headers=headers)
        assert "gw-files-2" not in [g["key"] for g in listed.json()]


class TestAgentConfiguration:
    async def test_the_download_is_a_configuration_the_edge_agent_accepts(
        self, client: httpx.AsyncClient, login: Login, settings: Settings
    ) -> None:
        headers = await login("manager@zjim.demo")
        created = await _register(client, headers, "gw-yaml-1")
        assert created["broker_updated"] is False  # manual mode: mosquitto-auth by hand
        response = await client.get(f"{API}/gateways/{created['id']}/agent-config", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/yaml")
        assert 'filename="gw-yaml-1.yaml"' in response.headers["content-disposition"]
        config = parse_config_text(response.content)
        assert config.gateway.key == "gw-yaml-1"
        assert config.mqtt.username == "gw-yaml-1"
        assert config.mqtt.port == settings.mqtt_port
        assert config.mqtt.client_id == gateway_client_id("gw-yaml-1")
        assert config.mqtt.password_env == "LABSHARE_EDGE_MQTT_PASSWORD"
        # The secret is never written into the file.
        assert created["secret"] not in response.text
        assert yaml.safe_load(response.text)["devices"] == []

    async def test_other_institutions_cannot_download_it(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        created = await _register(client, await login("manager@zjim.demo"), "gw-yaml-2")
        other = await client.get(
            f"{API}/gateways/{created['id']}/agent-config",
            headers=await login("manager@zju.demo"),
        )
        assert other.status_code == 404
