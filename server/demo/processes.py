"""Child processes of the demo: start with logs in files, watch, and stop in reverse order.

Every child runs in its own session (process group), so a Ctrl-C in the terminal reaches
only the orchestrator, which then stops the children in a known order; and stopping a child
also stops whatever the child itself started (uvicorn workers, shells).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

__all__ = [
    "ChildExitedError",
    "ManagedProcess",
    "ProcessGroup",
    "ReadinessTimeoutError",
    "free_port",
    "pid_alive",
    "port_is_free",
    "tail",
    "tcp_port_open",
    "wait_until",
]


class ChildExitedError(RuntimeError):
    """A child process ended while it was expected to keep running."""

    def __init__(self, process: ManagedProcess) -> None:
        self.process = process
        super().__init__(
            f"{process.name} exited with code {process.returncode} (log: {process.log_path})"
        )


class ReadinessTimeoutError(RuntimeError):
    """A child process kept running but did not become ready in time."""

    def __init__(self, process: ManagedProcess, what: str, timeout_s: float) -> None:
        self.process = process
        super().__init__(f"{process.name}: {what} not ready after {timeout_s:.0f} s")


def tail(path: Path, lines: int = 20) -> str:
    """Last `lines` lines of a text file; empty when the file does not exist."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (so a child can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Servers bind with SO_REUSEADDR, so connections of a previous run lingering in
        # TIME_WAIT do not make the port busy for them; the probe must judge the same way.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port the kernel considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def tcp_port_open(port: int, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout_s: float,
    interval_s: float = 0.2,
    while_alive: ManagedProcess | None = None,
    what: str = "condition",
) -> float:
    """Poll `condition` until it holds; return the seconds it took.

    With `while_alive`, a child that exits while we wait is reported at once instead of
    after the whole timeout.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    while True:
        if condition():
            return time.monotonic() - started
        if while_alive is not None and not while_alive.is_running():
            raise ChildExitedError(while_alive)
        if time.monotonic() >= deadline:
            if while_alive is not None:
                raise ReadinessTimeoutError(while_alive, what, timeout_s)
            raise TimeoutError(f"{what} not reached after {timeout_s:.0f} s")
        time.sleep(interval_s)


@dataclass
class ManagedProcess:
    """One long-running child with its output in a log file."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    stop_timeout_s: float = 10.0
    _popen: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        if self._popen is not None:
            raise RuntimeError(f"{self.name} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        header = f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(self.argv)}\n"
        self._log.write(header.encode())
        self._log.flush()
        # The argv comes from the orchestrator itself (console scripts of this package).
        self._popen = subprocess.Popen(  # noqa: S603
            list(self.argv),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(self.env) if self.env is not None else None,
            cwd=self.cwd,
            start_new_session=True,
        )

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        return tail(self.log_path, lines)

    def _signal_group(self, signum: int) -> bool:
        """Signal the child's process group; False when the group no longer exists."""
        assert self._popen is not None
        try:
            os.killpg(self._popen.pid, signum)
        except ProcessLookupError:
            return False
        except PermissionError:
            # A member dropped privileges (mosquitto as root switches user); the leader we own.
            with contextlib.suppress(ProcessLookupError):
                self._popen.send_signal(signum)
        return True

    def _group_alive(self) -> bool:
        assert self._popen is not None
        try:
            os.killpg(self._popen.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def stop(self) -> int | None:
        """SIGTERM the child's group, wait, SIGKILL after the timeout; return the exit code."""
        if self._popen is None:
            return None
        try:
            if self._popen.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    self._popen.wait(timeout=self.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    self._popen.wait(timeout=5)
            # The leader is gone; give the rest of its group a moment, then make sure.
            deadline = time.monotonic() + 2.0
            while self._group_alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            if self._group_alive():
                self._signal_group(signal.SIGKILL)
            return self._popen.returncode
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None


class ProcessGroup:
    """The demo's children; stopped in reverse start order, each with its own timeout."""

    def __init__(self) -> None:
        self._processes: list[ManagedProcess] = []

    @property
    def processes(self) -> list[ManagedProcess]:
        return list(self._processes)

    def start(self, process: ManagedProcess) -> ManagedProcess:
        self._processes.append(process)
        process.start()
        return process

    def first_exited(self) -> ManagedProcess | None:
        """The first child (in start order) that is no longer running, if any."""
        for process in self._processes:
            if not process.is_running():
                return process
        return None

    def stop_all(self, on_stop: Callable[[ManagedProcess, int | None], None] | None = None) -> None:
        for process in reversed(self._processes):
            code = process.stop()
            if on_stop is not None:
                on_stop(process, code)
