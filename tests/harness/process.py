"""What the harness's server processes (PostgreSQL, Mosquitto) share."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import ClassVar


class ServerProcess:
    """A server the harness runs as a child process in its own directory ``root``, logging
    to ``root / LOG_NAME``. Subclasses set ``_proc`` in ``start``; ``KILL_GROUP`` kills the
    process group the server started rather than the process alone."""

    LOG_NAME: ClassVar[str]
    KILL_GROUP: ClassVar[bool] = False
    root: Path
    _proc: subprocess.Popen[bytes] | None

    @property
    def logfile(self) -> Path:
        return self.root / self.LOG_NAME

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _terminate(self, sig: signal.Signals, timeout: float) -> None:
        """Send ``sig`` (a shutdown request) and wait; kill the server if it takes longer."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(sig)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self._proc is None or self._proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            if self.KILL_GROUP:
                os.killpg(self._proc.pid, signal.SIGKILL)
            else:
                self._proc.kill()
        self._proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        if not self.logfile.exists():
            return "(no log)"
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
