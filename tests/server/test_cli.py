"""``labshare-server`` as an operator runs it: a real process against a real database/broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.harness import MosquittoBroker, PostgresCluster

pytestmark = pytest.mark.integration

GATEWAY_SECRET = "gw-secret-for-tests-0001"
SERVER_USER, SERVER_PASSWORD = "labshare-server", "server-secret-for-tests"


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_ENVIRONMENT": "test",
        "LABSHARE_SECRET_KEY": "cli-test-secret-key-long-enough-0123456789",
        "LABSHARE_DEMO_GATEWAY_SECRET": GATEWAY_SECRET,
        "LABSHARE_MQTT_USERNAME": SERVER_USER,
        "LABSHARE_MQTT_PASSWORD": SERVER_PASSWORD,
        "LABSHARE_LOG_FORMAT": "console",
    }


def test_help_explains_every_command() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "ingest", "seed-demo", "create-user", "mosquitto-auth"):
        assert command in result.stdout
    serve = cli("serve", "--help").stdout
    assert "--migrate" in serve
    assert "--port" in serve
    assert "--acl" in cli("mosquitto-auth", "--help").stdout


def test_seed_demo_is_idempotent(env: dict[str, str], database_conninfo: str) -> None:
    def counts() -> tuple[int, ...]:
        with psycopg.connect(database_conninfo) as conn:
            return tuple(
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]  # noqa: S608
                for table in ("organisation", "app_user", "gateway", "lab", "instrument", "channel")
            )

    first = cli("seed-demo", env=env)
    assert first.returncode == 0, first.stderr
    assert counts() == (4, 5, 1, 1, 1, 5)
    second = cli("seed-demo", env=env)
    assert second.returncode == 0, second.stderr
    assert counts() == (4, 5, 1, 1, 1, 5)


async def test_create_user_then_log_in(env: dict[str, str], client: httpx.AsyncClient) -> None:
    assert cli("seed-demo", env=env).returncode == 0
    created = cli(
        "create-user",
        "--email",
        "Tech@ZJIM.demo",
        "--full-name",
        "赵工",
        "--role",
        "lab_staff",
        "--organisation",
        "浙江省计量科学研究院",
        "--password-env",
        "NEW_PASSWORD",
        env={**env, "NEW_PASSWORD": "a-long-password"},
    )
    assert created.returncode == 0, created.stderr
    token = await client.post(
        "/api/v1/auth/token", data={"username": "tech@zjim.demo", "password": "a-long-password"}
    )
    assert token.status_code == 200
    wrong_kind = cli(
        "create-user",
        "--email",
        "x@jingce.demo",
        "--full-name",
        "x",
        "--role",
        "lab_manager",
        "--organisation",
        "杭州精测科技有限公司",
        stdin="a-long-password\n",
        env=env,
    )
    assert wrong_kind.returncode != 0
    assert "lab_manager must belong to an institution" in wrong_kind.stderr


def _subscribe(
    broker: MosquittoBroker, user: str, password: str, topic: str, count: int, wait_s: int
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            "mosquitto_sub",
            "-h",
            broker.host,
            "-p",
            str(broker.port),
            "-u",
            user,
            "-P",
            password,
            "-t",
            topic,
            "-C",
            str(count),
            "-W",
            str(wait_s),
            "-v",
            "-i",
            f"sub-{user}-{time.monotonic_ns()}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _publish(
    broker: MosquittoBroker,
    user: str,
    password: str,
    topic: str,
    message: str,
    *,
    retain: bool = False,
) -> subprocess.CompletedProcess[str]:
    args = [
        "mosquitto_pub",
        "-h",
        broker.host,
        "-p",
        str(broker.port),
        "-u",
        user,
        "-P",
        password,
        "-t",
        topic,
        "-m",
        message,
        "-q",
        "1",
    ]
    return subprocess.run(
        args + (["-r"] if retain else []), capture_output=True, text=True, timeout=20, check=False
    )


def test_mosquitto_auth_files_work_in_a_real_broker(
    env: dict[str, str], tmp_path: Path, mosquitto_factory: Callable[..., MosquittoBroker]
) -> None:
    assert cli("seed-demo", env=env).returncode == 0
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    result = cli("mosquitto-auth", "--passwd", str(passwd), "--acl", str(acl), env=env)
    assert result.returncode == 0, result.stderr
    assert passwd.read_text().startswith("demo-gw-01:$7$101$")
    broker = mosquitto_factory(password_file=passwd, acl_file=acl)
    gw = ("demo-gw-01", GATEWAY_SECRET)
    server = (SERVER_USER, SERVER_PASSWORD)

    refused = _publish(broker, "demo-gw-01", "wrong-secret", "labshare/v1/gw/demo-gw-01/state", "x")
    assert refused.returncode != 0
    assert "not authori" in refused.stderr.lower()

    # The gateway publishes its own state; another gateway's topic is silently dropped.
    assert (
        _publish(broker, *gw, "labshare/v1/gw/demo-gw-01/state", "own", retain=True).returncode == 0
    )
    assert (
        _publish(broker, *gw, "labshare/v1/gw/other-gw/state", "forged", retain=True).returncode
        == 0
    )
    seen = _subscribe(broker, *server, "labshare/v1/gw/+/state", count=2, wait_s=2)
    out, _ = seen.communicate(timeout=20)
    assert out.splitlines() == ["labshare/v1/gw/demo-gw-01/state own"]

    # The server configures gateways; each gateway reads only its own configuration.
    assert (
        _publish(
            broker, *server, "labshare/v1/gw/demo-gw-01/config", "mine", retain=True
        ).returncode
        == 0
    )
    assert (
        _publish(
            broker, *server, "labshare/v1/gw/other-gw/config", "theirs", retain=True
        ).returncode
        == 0
    )
    reads = _subscribe(broker, *gw, "labshare/v1/gw/+/config", count=2, wait_s=2)
    out, _ = reads.communicate(timeout=20)
    assert out.splitlines() == ["labshare/v1/gw/demo-gw-01/config mine"]

    # Telemetry reaches the ingest account through the shared subscription the worker uses.
    shared = _subscribe(
        broker, *server, "$share/ingest/labshare/v1/gw/+/telemetry", count=1, wait_s=15
    )
    deadline = time.monotonic() + 15
    while shared.poll() is None and time.monotonic() < deadline:
        _publish(broker, *gw, "labshare/v1/gw/demo-gw-01/telemetry", "batch")
        time.sleep(0.3)
    out, _ = shared.communicate(timeout=20)
    assert out.splitlines() == ["labshare/v1/gw/demo-gw-01/telemetry batch"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "LABSHARE_DATABASE_URL is not a database URL"),
        ("mysql://root@127.0.0.1/labshare", "labshare needs postgresql+psycopg://"),
        (
            "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/labshare",
            "cannot use the database at postgresql+psycopg://postgres:***@127.0.0.1:1/labshare",
        ),
    ],
)
def test_seed_demo_reports_a_database_problem_in_one_line(
    env: dict[str, str], url: str, expected: str
) -> None:
    result = cli("seed-demo", env={**env, "LABSHARE_DATABASE_URL": url})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("labshare-server: seed-demo: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr


def test_seed_demo_on_an_unmigrated_database_says_to_migrate(
    env: dict[str, str], pg_cluster: PostgresCluster
) -> None:
    name = pg_cluster.create_database()
    try:
        result = cli("seed-demo", env={**env, "LABSHARE_DATABASE_URL": pg_cluster.url(name)})
    finally:
        pg_cluster.drop_database(name)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "run `labshare-server migrate` first" in lines[0]
