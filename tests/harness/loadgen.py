"""Load-generation pieces the benchmarks share: a cheap HTTP/1.1 client, percentiles, and CPU
time of processes read from /proc.

The client is written by hand: httpx with hundreds of concurrent connections used more CPU than
the server it was measuring, so the figures were mostly the load generator's.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["HttpConnection", "cpu_seconds", "percentile", "pids"]

_TICK = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class HttpConnection:
    """One keep-alive HTTP/1.1 connection; a request costs a write and a few reads."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, base: str) -> HttpConnection:
        url = urlsplit(base)
        assert url.hostname is not None
        assert url.port is not None
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        return cls(reader, writer, url.netloc)

    async def send_head(
        self, method: str, path: str, body: bytes = b"", authorization: str = "", accept: str = ""
    ) -> int:
        """Send a request and read its status line and headers; returns the status and leaves
        the body unread (``content_length`` tells how long it is; a stream has none)."""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        if authorization:
            head += f"Authorization: {authorization}\r\n"
        if accept:
            head += f"Accept: {accept}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        status = int((await self.reader.readline()).split()[1])
        self.content_length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                self.content_length = int(value)
        return status

    async def request(
        self, method: str, path: str, body: bytes = b"", authorization: str = ""
    ) -> tuple[int, bytes]:
        status = await self.send_head(method, path, body, authorization)
        return status, await self.reader.readexactly(self.content_length)

    def close(self) -> None:
        self.writer.close()


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """utime + stime of ``pid`` (or of its children it has waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the process ended
        return 0.0
    first = 13 if reaped_children else 11  # cutime, cstime
    return (int(fields[first]) + int(fields[first + 1])) / _TICK


def pids(match: bytes) -> list[int]:
    """Processes whose command line (NUL-separated) contains ``match``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if match in (entry / "cmdline").read_bytes():
                    out.append(int(entry.name))
            except OSError:
                continue
    return out
