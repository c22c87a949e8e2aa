"""A real server process (uvicorn) on a free port, for concurrency tests and benchmarks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.harness import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def live_server(
    database_url: str, *, pool_size: int = 20, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``uvicorn server.app:create_app`` against ``database_url``; yields the base URL.

    ``env`` adds or overrides ``LABSHARE_*`` settings (by default no ingest, jobs or broker).
    """
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LABSHARE_DATABASE_URL": database_url,
        "LABSHARE_ENVIRONMENT": "test",
        "LABSHARE_SECRET_KEY": secrets.token_urlsafe(48),
        "LABSHARE_INGEST_ENABLED": "false",
        "LABSHARE_JOBS_ENABLED": "false",
        "LABSHARE_DATABASE_POOL_SIZE": str(pool_size),
        "LABSHARE_LOG_LEVEL": "WARNING",
        "LABSHARE_WEB_DIST": str(ROOT / "no-web-dist"),
        **(env or {}),
    }
    log = tempfile.NamedTemporaryFile(prefix="labshare-live-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-access-log", "--timeout-keep-alive", "75",
        ],
        env=environment,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        try:
            wait_for_port("127.0.0.1", port, timeout=30)
        except TimeoutError:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise RuntimeError(
                f"server did not start: {err.decode(errors='replace')[-2000:]}"
            ) from None
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        log.close()
        output = Path(log.name).read_text(errors="replace")
        Path(log.name).unlink()
        if "Traceback" in output:
            # The server's own errors explain a client-side failure better than the client.
            sys.stderr.write(output[-5000:])
