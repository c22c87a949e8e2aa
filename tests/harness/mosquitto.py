"""A private Mosquitto broker on a free port, with persistence so restarts keep sessions."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from tests.harness.ports import free_port, wait_for_port
from tests.harness.process import ServerProcess


def find_mosquitto() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        raise RuntimeError("mosquitto is not installed; run scripts/setup-system.sh as root")
    return found


@dataclass
class MosquittoBroker(ServerProcess):
    """``mosquitto -c <generated config>`` on 127.0.0.1:<free port>.

    ``password_file`` and ``acl_file`` switch anonymous access off, for tests of gateway
    credentials and topic ACLs.
    """

    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    password_file: Path | None = None
    acl_file: Path | None = None
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="labshare-mqtt-")))
    _proc: subprocess.Popen[bytes] | None = None

    LOG_NAME: ClassVar[str] = "mosquitto.log"

    @property
    def config_path(self) -> Path:
        return self.root / "mosquitto.conf"

    def _write_config(self) -> None:
        lines = [
            f"listener {self.port} {self.host}",
            "persistence true",
            f"persistence_location {self.root}/",
            "autosave_interval 1",
            # Queue generously for offline persistent sessions: fault tests keep the
            # ingest worker away for a while and must not lose what was queued.
            "max_queued_messages 0",
            "max_inflight_messages 0",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_dest stderr",
        ]
        if os.geteuid() == 0:
            # Stay root instead of switching to the 'mosquitto' user, who cannot write here.
            lines.append("user root")
        if self.password_file is not None:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        else:
            lines.append("allow_anonymous true")
        if self.acl_file is not None:
            lines.append(f"acl_file {self.acl_file}")
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        self._write_config()
        log = self.logfile.open("ab")
        self._proc = subprocess.Popen(
            [find_mosquitto(), "-c", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        try:
            wait_for_port(self.host, self.port, timeout)
        except TimeoutError as exc:
            raise RuntimeError(f"mosquitto did not start:\n{self.log_tail()}") from exc

    def stop(self, timeout: float = 10.0) -> None:
        """Clean shutdown: the broker saves its persistence file."""
        self._terminate(signal.SIGTERM, timeout)

    def reset(self) -> None:
        """Restart with nothing remembered: no retained messages, sessions or queues.

        Retained births and persistent sessions left by one test would otherwise reach the
        next test's subscribers (an ingest worker would dead-letter another test's gateways).
        """
        self.stop()
        for leftover in self.root.glob("mosquitto.db*"):
            leftover.unlink()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
