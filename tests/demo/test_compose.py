"""The production docker-compose file: validated by docker-compose itself, then its wiring.

`docker-compose config` needs no Docker engine, so this runs on any machine with Debian's
docker-compose package (scripts/setup-system.sh installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mqtt_contract.gateway_config import parse_config

REPO = Path(__file__).resolve().parents[2]
SECRETS = {
    "LABSHARE_DB_PASSWORD": "db-password-for-the-test",
    "LABSHARE_SECRET_KEY": "secret-key-for-the-test-0123456789abcdef",
    "LABSHARE_MQTT_PASSWORD": "mqtt-password-for-the-test",
    "LABSHARE_BROKER_ADMIN_PASSWORD": "broker-admin-password-for-the-test",
    "LABSHARE_GATEWAY_SECRET": "gateway-secret-for-the-test",
}


def _compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    docker_compose = shutil.which("docker-compose") or "/usr/bin/docker-compose"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LABSHARE_")}
    return subprocess.run(
        [docker_compose, "--project-directory", str(REPO), "-f", str(REPO / "docker-compose.yml"),
         *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        check=False,
        timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    quiet = _compose("config", "-q", env=SECRETS)
    assert quiet.returncode == 0, quiet.stderr
    result = _compose("config", env=SECRETS)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def _env(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {k: str(v) for k, v in environment.items()}


def _volumes(service: dict[str, Any]) -> dict[str, str]:
    """Mount target -> source, from either the short or the long volume syntax."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        mounts[target] = source
    return mounts


def _host_ips(service: dict[str, Any]) -> list[str]:
    ips = []
    for port in service.get("ports", []):
        if isinstance(port, str):
            parts = port.split(":")
            ips.append(parts[0] if len(parts) == 3 else "0.0.0.0")
        else:
            ips.append(port.get("host_ip", "0.0.0.0"))
    return ips


def test_the_stack_has_database_broker_server_ingest_and_a_gateway(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) == {
        "timescaledb",
        "mosquitto",
        "mosquitto-auth",
        "server",
        "ingest",
        "chamber",
        "gateway",
    }
    image = services["timescaledb"]["image"]
    assert image.startswith("timescale/timescaledb:")
    assert image.endswith(("-pg16", "-pg17"))
    assert services["mosquitto"]["image"] == "eclipse-mosquitto:2"


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    result = _compose("config", "-q", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_server_migrates_and_waits_for_a_healthy_database(compose: dict[str, Any]) -> None:
    server = compose["services"]["server"]
    assert server["depends_on"]["timescaledb"]["condition"] == "service_healthy"
    assert server["command"][:2] == ["labshare-server", "serve"]
    assert "--migrate" in server["command"]
    assert server["build"]["target"] == "server"
    env = _env(server)
    assert env["LABSHARE_ENVIRONMENT"] == "production"
    assert env["LABSHARE_SECRET_KEY"] == SECRETS["LABSHARE_SECRET_KEY"]
    assert env["LABSHARE_DATABASE_URL"] == (
        f"postgresql+psycopg://labshare:{SECRETS['LABSHARE_DB_PASSWORD']}@timescaledb:5432/labshare"
    )
    # Ingest runs as its own service, so the API process must not consume telemetry too.
    assert env["LABSHARE_INGEST_ENABLED"] == "false"
    # Published on loopback only: TLS terminates in a reverse proxy.
    assert _host_ips(server) == ["127.0.0.1"]


def test_ingest_worker_reads_the_broker_with_its_own_credentials(compose: dict[str, Any]) -> None:
    ingest = compose["services"]["ingest"]
    assert ingest["command"] == ["labshare-server", "ingest"]
    assert set(ingest["depends_on"]) == {"server", "mosquitto"}
    env = _env(ingest)
    assert env["LABSHARE_MQTT_HOST"] == "mosquitto"
    assert env["LABSHARE_MQTT_PASSWORD"] == SECRETS["LABSHARE_MQTT_PASSWORD"]


def test_broker_loads_the_access_control_written_from_the_registry(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    auth = services["mosquitto-auth"]
    assert (
        "labshare-server mosquitto-auth --dynsec /mosquitto/auth/dynamic-security.json"
        in " ".join(auth["command"])
    )
    mosquitto = services["mosquitto"]
    assert mosquitto["depends_on"]["mosquitto-auth"]["condition"] == (
        "service_completed_successfully"
    )
    mounts = _volumes(mosquitto)
    assert mounts["/mosquitto/config/mosquitto.conf"] == str(
        REPO / "deploy" / "mosquitto" / "mosquitto.conf"
    )
    assert mounts["/mosquitto/auth"] == "mqtt-auth"
    assert _volumes(auth) == {"/mosquitto/auth": "mqtt-auth"}
    # The server changes gateway accounts in the running broker, which saves them to its file.
    auth_mount = next(
        v
        for v in mosquitto["volumes"]
        if (v["target"] if isinstance(v, dict) else v.split(":")[1]) == "/mosquitto/auth"
    )
    read_only = auth_mount.get("read_only") if isinstance(auth_mount, dict) else "ro" in auth_mount
    assert not read_only
    env = _env(services["server"])
    assert env["LABSHARE_BROKER_ACCOUNTS"] == "dynsec"
    assert env["LABSHARE_BROKER_ADMIN_PASSWORD"] == SECRETS["LABSHARE_BROKER_ADMIN_PASSWORD"]

    conf = (REPO / "deploy" / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    assert "allow_anonymous false" in conf
    assert "plugin_opt_config_file /mosquitto/auth/dynamic-security.json" in conf
    assert "message_size_limit 262144" in conf
    assert "allow_anonymous true" not in conf


def test_gateway_polls_the_simulator_and_takes_its_password_from_env(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    gateway = services["gateway"]
    assert gateway["command"][:2] == ["labshare-edge", "run"]
    assert _env(gateway)["LABSHARE_EDGE_MQTT_PASSWORD"] == SECRETS["LABSHARE_GATEWAY_SECRET"]
    assert set(gateway["depends_on"]) == {"chamber", "mosquitto"}
    mounts = _volumes(gateway)
    config_file = Path(mounts[gateway["command"][2]])

    config = parse_config(yaml.safe_load(config_file.read_text()))
    assert config.mqtt.host == "mosquitto"
    assert config.mqtt.password_env == "LABSHARE_EDGE_MQTT_PASSWORD"
    (device,) = config.devices
    assert device.host == "chamber"  # type: ignore[union-attr]
    chamber_command = services["chamber"]["command"]
    assert chamber_command[:3] == ["labshare-bridge", "simulate", "chamber"]
    assert str(device.port) in chamber_command  # type: ignore[union-attr]
    # The spool lives on a volume so buffered readings survive a container restart.
    spool_dir = next(target for target, source in mounts.items() if source == "gateway-spool")
    assert config.spool.path.startswith(spool_dir + "/")


def test_no_secret_is_committed_in_the_deployment_files() -> None:
    for path in [REPO / "docker-compose.yml", *sorted((REPO / "deploy").rglob("*"))]:
        if path.is_file():
            text = path.read_text()
            for value in SECRETS.values():
                assert value not in text
    example = (REPO / "deploy" / "env.example").read_text().splitlines()
    for name in SECRETS:
        assert f"{name}=" in example
