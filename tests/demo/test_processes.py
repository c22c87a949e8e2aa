"""The demo's process manager: children start with logs in files and always end when stopped."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from server.demo.processes import (
    ChildExitedError,
    ManagedProcess,
    ProcessGroup,
    ReadinessTimeoutError,
    free_port,
    port_is_free,
    tail,
    tcp_port_open,
    wait_until,
)


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it no longer runs anything.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return status == "Z"


def _python(tmp_path: Path, name: str, code: str) -> list[str]:
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(code))
    return [sys.executable, "-u", str(script)]


def test_output_goes_to_the_log_file_and_exit_code_is_reported(tmp_path: Path) -> None:
    process = ManagedProcess(
        name="greeter",
        argv=_python(tmp_path, "greeter", "print('hello from the child'); raise SystemExit(3)"),
        log_path=tmp_path / "logs" / "greeter.log",
    )
    process.start()
    wait_until(lambda: not process.is_running(), timeout_s=10)
    assert process.returncode == 3
    assert "hello from the child" in process.log_tail()
    assert process.stop() == 3


def test_stop_terminates_a_running_child_gracefully(tmp_path: Path) -> None:
    marker = tmp_path / "cleaned-up"
    code = f"""
        import signal, sys, time, pathlib
        def bye(*_):
            pathlib.Path({str(marker)!r}).write_text("yes")
            sys.exit(0)
        signal.signal(signal.SIGTERM, bye)
        print("ready", flush=True)
        while True:
            time.sleep(0.1)
    """
    process = ManagedProcess(
        name="polite", argv=_python(tmp_path, "polite", code), log_path=tmp_path / "polite.log"
    )
    process.start()
    wait_until(lambda: "ready" in process.log_tail(), timeout_s=10)
    assert process.stop() == 0
    assert marker.read_text() == "yes"


def test_a_child_ignoring_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    code = """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        while True:
            time.sleep(0.1)
    """
    process = ManagedProcess(
        name="stubborn",
        argv=_python(tmp_path, "stubborn", code),
        log_path=tmp_path / "stubborn.log",
        stop_timeout_s=1.0,
    )
    process.start()
    wait_until(lambda: "ready" in process.log_tail(), timeout_s=10)
    started = time.monotonic()
    assert process.stop() == -signal.SIGKILL
    # Killed after its 1 s timeout, not left running: well under the 60 s a hang would hit.
    assert time.monotonic() - started < 20


def test_stopping_a_child_also_stops_the_processes_it_started(tmp_path: Path) -> None:
    grandchild_pid_file = tmp_path / "grandchild.pid"
    code = f"""
        import subprocess, sys, time, pathlib
        grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        pathlib.Path({str(grandchild_pid_file)!r}).write_text(str(grandchild.pid))
        while True:
            time.sleep(0.1)
    """
    process = ManagedProcess(
        name="parent", argv=_python(tmp_path, "parent", code), log_path=tmp_path / "parent.log"
    )
    process.start()
    wait_until(grandchild_pid_file.exists, timeout_s=10)
    wait_until(lambda: grandchild_pid_file.read_text() != "", timeout_s=5)
    grandchild_pid = int(grandchild_pid_file.read_text())
    process.stop()
    wait_until(lambda: _pid_gone(grandchild_pid), timeout_s=5)


def test_a_group_stops_children_in_reverse_start_order(tmp_path: Path) -> None:
    group = ProcessGroup()
    stopped: list[str] = []
    for name in ("database", "broker", "server"):
        group.start(
            ManagedProcess(
                name=name,
                argv=[sys.executable, "-c", "import time; time.sleep(600)"],
                log_path=tmp_path / f"{name}.log",
            )
        )
    pids = [p.pid for p in group.processes]
    group.stop_all(lambda process, _code: stopped.append(process.name))
    assert stopped == ["server", "broker", "database"]
    assert all(pid is not None and _pid_gone(pid) for pid in pids)


def test_group_names_the_first_child_that_died(tmp_path: Path) -> None:
    group = ProcessGroup()
    group.start(
        ManagedProcess(
            name="steady",
            argv=[sys.executable, "-c", "import time; time.sleep(600)"],
            log_path=tmp_path / "steady.log",
        )
    )
    crashing = group.start(
        ManagedProcess(
            name="crashing",
            argv=[sys.executable, "-c", "import sys; print('bad config'); sys.exit(2)"],
            log_path=tmp_path / "crashing.log",
        )
    )
    try:
        wait_until(lambda: group.first_exited() is not None, timeout_s=10)
        assert group.first_exited() is crashing
        assert "bad config" in crashing.log_tail()
    finally:
        group.stop_all()


def test_waiting_for_readiness_fails_fast_when_the_child_dies(tmp_path: Path) -> None:
    process = ManagedProcess(
        name="short-lived",
        argv=[sys.executable, "-c", "raise SystemExit(1)"],
        log_path=tmp_path / "short.log",
    )
    process.start()
    started = time.monotonic()
    with pytest.raises(ChildExitedError, match="short-lived exited with code 1"):
        wait_until(lambda: False, timeout_s=120, while_alive=process)
    # Far sooner than the 120 s it would wait for a child that never gets ready.
    assert time.monotonic() - started < 30
    process.stop()


def test_waiting_for_readiness_times_out_naming_the_child(tmp_path: Path) -> None:
    process = ManagedProcess(
        name="sleepy",
        argv=[sys.executable, "-c", "import time; time.sleep(600)"],
        log_path=tmp_path / "sleepy.log",
    )
    process.start()
    try:
        with pytest.raises(ReadinessTimeoutError, match="sleepy: HTTP port not ready"):
            wait_until(lambda: False, timeout_s=0.5, while_alive=process, what="HTTP port")
    finally:
        process.stop()


def test_tail_returns_the_last_lines_and_tolerates_a_missing_file(tmp_path: Path) -> None:
    log = tmp_path / "long.log"
    log.write_text("".join(f"line {i}\n" for i in range(1000)))
    assert tail(log, 3).splitlines() == ["line 997", "line 998", "line 999"]
    assert tail(tmp_path / "absent.log") == ""


def test_port_helpers_see_a_listener(tmp_path: Path) -> None:
    port = free_port()
    assert port_is_free(port)
    assert not tcp_port_open(port)
    listener = ManagedProcess(
        name="listener",
        argv=[
            sys.executable,
            "-c",
            "import socket, time\n"
            f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
            "time.sleep(600)",
        ],
        log_path=tmp_path / "listener.log",
    )
    listener.start()
    try:
        wait_until(lambda: tcp_port_open(port), timeout_s=10, while_alive=listener)
        assert not port_is_free(port)
    finally:
        listener.stop()
