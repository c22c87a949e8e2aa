"""The demo's MQTT broker: Mosquitto when installed, else the pure-Python amqtt broker.

Both listen on 127.0.0.1 only and accept anonymous clients, which is acceptable for a demo
on one machine and nowhere else (production uses per-gateway passwords and an ACL written
by ``labshare-server mosquitto-auth``; see docs/production.md).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from server.demo.processes import ManagedProcess

__all__ = ["BrokerPlan", "find_mosquitto", "plan_broker", "write_mosquitto_config"]

# Debian installs mosquitto in /usr/sbin, which is not on a normal user's PATH.
_EXTRA_SBIN = ("/usr/sbin", "/usr/local/sbin")


@dataclass(frozen=True)
class BrokerPlan:
    """How the broker will run, and what the user should know about it."""

    process: ManagedProcess
    kind: str  # "mosquitto" | "amqtt"
    notes: tuple[str, ...]


def find_mosquitto(path: str | None = None, extra_dirs: Sequence[str] = _EXTRA_SBIN) -> str | None:
    """The mosquitto executable on `path` (default $PATH) or in the sbin directories."""
    search = path if path is not None else os.environ.get("PATH", "")
    search = os.pathsep.join([search, *extra_dirs])
    return shutil.which("mosquitto", path=search)


def write_mosquitto_config(directory: Path, port: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "mosquitto.conf"
    config.write_text(
        "# Written by labshare-demo on every start; edits are overwritten.\n"
        "# Demo only: anonymous clients on the loopback interface, no persistence.\n"
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        "log_dest stdout\n"
        "log_type error\n"
        "log_type warning\n"
        "log_type notice\n"
        "log_type information\n"
        "connection_messages true\n"
        "max_queued_messages 100000\n",
        encoding="utf-8",
    )
    return config


def plan_broker(
    data_dir: Path, port: int, env: dict[str, str], *, mosquitto: str | None
) -> BrokerPlan:
    logs = data_dir / "logs"
    if mosquitto is not None:
        config = write_mosquitto_config(data_dir / "mosquitto", port)
        return BrokerPlan(
            process=ManagedProcess(
                name="mosquitto",
                argv=[mosquitto, "-c", str(config)],
                log_path=logs / "mosquitto.log",
                env=env,
            ),
            kind="mosquitto",
            notes=(
                f"{mosquitto} on 127.0.0.1:{port}",
                "anonymous access, loopback only: a demo setting, never for production",
            ),
        )
    return BrokerPlan(
        process=ManagedProcess(
            name="amqtt",
            argv=[sys.executable, "-m", "server.demo.amqtt_broker", "--port", str(port)],
            log_path=logs / "amqtt.log",
            env=env,
        ),
        kind="amqtt",
        notes=(
            f"mosquitto not found; falling back to the pure-Python amqtt broker on 127.0.0.1:{port}",
            "amqtt speaks MQTT 3.1.1 only and handles roughly 870 QoS 1 messages/s; "
            "install mosquitto (apt-get install mosquitto) for anything beyond a look around",
            "without MQTT 5 the ingest worker uses a plain subscription (no shared one), "
            "so only one ingest worker may run, and amqtt keeps no session for anonymous "
            "clients: messages sent while the server is down are lost",
            "anonymous access, loopback only: a demo setting, never for production",
        ),
    )
