"""A private Mosquitto broker on a free port, with persistence so restarts keep sessions."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.ports import free_port, wait_for_port


def find_mosquitto() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        raise RuntimeError("mosquitto is not installed; run scripts/setup-system.sh as root")
    return found


@dataclass
class MosquittoBroker:
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

    @property
    def config_path(self) -> Path:
        return self.root / "mosquitto.conf"

    @property
    def logfile(self) -> Path:
        return self.root / "mosquitto.log"

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
        if not self.running or self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()
        self._proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def reset(self) -> None:
        """Restart with nothing remembered: no retained messages, sessions or queues.

        Retained births and persistent sessions left by one test would otherwise reach the
        next test's subscribers (an ingest worker would dead-letter another test's gateways).
        """
        self.stop()
        for leftover in self.root.glob("mosquitto.db*"):
            leftover.unlink()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        if not self.logfile.exists():
            return "(no log)"
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
