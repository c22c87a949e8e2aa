"""A private PostgreSQL cluster with TimescaleDB preloaded, for the test session.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to an
unprivileged system user (``postgres`` when it exists, else ``nobody``) and every server
process is started as that user.

The suite's clusters live in memory (``memory_root``: /dev/shm when it has room): creating a
database from the template copies about a thousand small files, which takes 0.5 s on the
virtual disks of CI machines and 0.03 s in tmpfs. Benchmarks keep the default, on disk.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from tests.harness.ports import free_port
from tests.harness.process import ServerProcess

SUPERUSER = "postgres"
_SHM = Path("/dev/shm")
_SHM_NEEDED = 2 << 30  # room for two workers' clusters with their WAL


def memory_root(prefix: str = "labshare-pg-") -> Path:
    """A new directory in tmpfs when there is one with room, else in the usual temp dir."""
    with contextlib.suppress(OSError):
        if (
            _SHM.is_dir()
            and os.access(_SHM, os.W_OK)
            and shutil.disk_usage(_SHM).free > _SHM_NEEDED
        ):
            return Path(tempfile.mkdtemp(prefix=prefix, dir=_SHM))
    return Path(tempfile.mkdtemp(prefix=prefix))


def find_bindir(require_timescaledb: bool = True) -> Path:
    """The newest installed PostgreSQL whose share dir has TimescaleDB (or any, if not required)."""
    override = os.environ.get("LABSHARE_TEST_PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name),
        reverse=True,
    )
    for bindir in candidates:
        share = Path("/usr/share/postgresql") / bindir.parent.name / "extension"
        if not require_timescaledb or (share / "timescaledb.control").exists():
            return bindir
    raise RuntimeError(
        "no PostgreSQL server with the TimescaleDB extension was found under /usr/lib/postgresql; "
        "run scripts/setup-system.sh as root (make test does)"
    )


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root, but neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PostgresCluster(ServerProcess):
    """initdb into a temp dir, listen on 127.0.0.1:<free port>, stop/kill/start on demand."""

    bindir: Path = field(default_factory=find_bindir)
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    timescaledb: bool = True
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="labshare-pg-")))
    _proc: subprocess.Popen[bytes] | None = None

    LOG_NAME: ClassVar[str] = "postgres.log"
    KILL_GROUP: ClassVar[bool] = True  # the postmaster and its backends

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL (``driver='postgresql'`` gives a libpq URI)."""
        return f"{driver}://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={SUPERUSER} dbname={database}"

    def _identity(self) -> tuple[int | None, int | None, list[int] | None]:
        """(uid, gid, extra groups) to run the server processes as; all None when not root."""
        user = _run_as()
        if user is None:
            return None, None, None
        return user.pw_uid, user.pw_gid, []

    def init(self) -> None:
        user = _run_as()
        if user is not None:
            os.chown(self.root, user.pw_uid, user.pw_gid)
        (self.root / "sock").mkdir(exist_ok=True)
        if user is not None:
            os.chown(self.root / "sock", user.pw_uid, user.pw_gid)
        uid, gid, groups = self._identity()
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
            user=uid,
            group=gid,
            extra_groups=groups,
        )

    def start(self, timeout: float = 30.0) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        if not self.datadir.exists():
            self.init()
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.root / "sock"),
            # Durability is not under test here; the tests run faster without fsync.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "256MB",
            # Bounded, for clusters kept in memory.
            "max_wal_size": "512MB",
        }
        if self.timescaledb:
            settings |= {
                "shared_preload_libraries": "timescaledb",
                "timescaledb.telemetry_level": "off",
                # Background schedulers would hold connections to the template database.
                "timescaledb.max_background_workers": "0",
            }
        args = [str(self.bindir / "postgres"), "-D", str(self.datadir)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        uid, gid, groups = self._identity()
        log = self.logfile.open("ab")
        self._proc = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            start_new_session=True,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited early:\n{self.log_tail()}")
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", self.host, "-p", str(self.port), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"PostgreSQL not ready after {timeout} s:\n{self.log_tail()}")

    def stop(self, mode: str = "fast", timeout: float = 30.0) -> None:
        """Shut down cleanly (``smart``/``fast``/``immediate``, as pg_ctl)."""
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        self._terminate(sig, timeout)

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def create_database(self, template: str | None = None, name: str | None = None) -> str:
        """Create a database (optionally from a template) and return its name."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        template_sql = f" TEMPLATE {template}" if template else ""
        self.psql(f'CREATE DATABASE "{name}"{template_sql}')
        return name

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def destroy(self) -> None:
        self.stop(mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class StandbyCluster(PostgresCluster):
    """A streaming replica of ``primary``: a base backup (``pg_basebackup -R``), not initdb.

    PostgreSQL's own physical replication, as production runs it; ``pause_replay`` and
    ``resume_replay`` hold the standby behind the primary on demand.
    """

    primary: PostgresCluster | None = None

    def init(self) -> None:
        if self.primary is None:
            raise ValueError("a standby needs its primary")
        uid, gid, groups = self._identity()
        if uid is not None and gid is not None:
            os.chown(self.root, uid, gid)
        (self.root / "sock").mkdir(exist_ok=True)
        if uid is not None and gid is not None:
            os.chown(self.root / "sock", uid, gid)
        subprocess.run(
            [
                str(self.bindir / "pg_basebackup"),
                "-h",
                self.primary.host,
                "-p",
                str(self.primary.port),
                "-U",
                SUPERUSER,
                "-D",
                str(self.datadir),
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
            user=uid,
            group=gid,
            extra_groups=groups,
        )

    def pause_replay(self) -> None:
        self.psql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.psql("SELECT pg_wal_replay_resume()")

    def wait_replayed(self, timeout: float = 30.0) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        if self.primary is None:
            raise ValueError("a standby needs its primary")
        target = self.primary.psql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
            if done == "t":
                return
            time.sleep(0.05)
        raise TimeoutError(f"standby did not replay up to {target} within {timeout} s")
