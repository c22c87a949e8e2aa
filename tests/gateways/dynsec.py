"""A real Mosquitto 2 with the production configuration and the dynamic-security plugin.

The ``dynsec_broker`` fixture (tests/gateways/conftest.py) starts it from
deploy/mosquitto/mosquitto.conf (ports and paths moved into a temporary directory) with the plugin file ``labshare-server mosquitto-auth --dynsec`` writes
for a registry without gateways: the server account and the admin account the server sends
dynamic-security commands with.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from server.core.security import mosquitto_password_hash
from server.gateways.mosquitto import MosquittoAccount, render_dynsec
from tests.harness.mosquitto import find_mosquitto
from tests.harness.ports import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
SERVER_ACCOUNT = ("labshare-server", "server-password-for-the-test")
ADMIN_ACCOUNT = ("labshare-accounts", "admin-password-for-the-test")


def dynsec_plugin() -> str:
    for candidate in (
        "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/mosquitto_dynamic_security.so",
    ):
        if Path(candidate).exists():
            return candidate
    raise RuntimeError("mosquitto's dynamic-security plugin is not installed")


@dataclass
class DynsecBroker:
    host: str
    port: int
    root: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def log_tail(self) -> str:
        return (self.root / "mosquitto.log").read_text(errors="replace")[-3000:]

    def server_env(self) -> dict[str, str]:
        """What ``labshare-server`` needs to use this broker and keep its gateway accounts
        itself (``LABSHARE_BROKER_ACCOUNTS=dynsec``)."""
        return {
            "LABSHARE_MQTT_HOST": self.host,
            "LABSHARE_MQTT_PORT": str(self.port),
            "LABSHARE_MQTT_USERNAME": SERVER_ACCOUNT[0],
            "LABSHARE_MQTT_PASSWORD": SERVER_ACCOUNT[1],
            "LABSHARE_BROKER_ACCOUNTS": "dynsec",
            "LABSHARE_BROKER_ADMIN_USERNAME": ADMIN_ACCOUNT[0],
            "LABSHARE_BROKER_ADMIN_PASSWORD": ADMIN_ACCOUNT[1],
        }


def start_dynsec_broker(root: Path) -> DynsecBroker:
    """Mosquitto on a free port with the production configuration; its files under ``root``."""
    server = MosquittoAccount(SERVER_ACCOUNT[0], mosquitto_password_hash(SERVER_ACCOUNT[1]))
    admin = MosquittoAccount(ADMIN_ACCOUNT[0], mosquitto_password_hash(ADMIN_ACCOUNT[1]))
    (root / "dynamic-security.json").write_text(render_dynsec([], server, admin))
    port = free_port()
    conf = (REPO / "deploy" / "mosquitto" / "mosquitto.conf").read_text()
    conf = (
        conf.replace("/usr/lib/mosquitto_dynamic_security.so", dynsec_plugin())
        .replace("/mosquitto/auth/", f"{root}/")
        .replace("/mosquitto/data/", f"{root}/")
        .replace("listener 1883\n", f"listener {port} 127.0.0.1\n")
    )
    if os.geteuid() == 0:
        conf += "user root\n"
    (root / "mosquitto.conf").write_text(conf)
    with (root / "mosquitto.log").open("ab") as out:
        proc = subprocess.Popen(
            [find_mosquitto(), "-c", str(root / "mosquitto.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    broker = DynsecBroker("127.0.0.1", port, root, proc)
    try:
        wait_for_port("127.0.0.1", port, 10)
    except BaseException:
        broker.stop()
        raise
    return broker
