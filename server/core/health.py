"""``/healthz`` (the process answers), ``/readyz`` (database and broker reachable, and the
in-process ingest worker, where there is one, consuming: writer alive, connected, subscribed)
and ``/metrics`` (this process's Prometheus metrics: ingest, read routing)."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.core.config import Settings
from server.core.errors import ServiceUnavailable, problem_responses

__all__ = ["BrokerCheckError", "check_broker", "connect_packet", "router"]

router = APIRouter(tags=["health"])

_CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


class BrokerCheckError(Exception):
    pass


def _mqtt_string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def connect_packet(
    client_id: str, username: str | None, password: str | None, *, mqtt5: bool = False
) -> bytes:
    """A CONNECT with a clean session (nothing is left on the broker), keepalive 10 s: MQTT
    3.1.1, or MQTT 5 with no properties."""
    flags = 0x02
    payload = _mqtt_string(client_id)
    if username is not None:
        flags |= 0x80
        payload += _mqtt_string(username)
        if password is not None:
            flags |= 0x40
            payload += _mqtt_string(password)
    variable = _mqtt_string("MQTT") + bytes([5 if mqtt5 else 4, flags]) + struct.pack("!H", 10)
    if mqtt5:
        variable += b"\x00"  # property length
    body = variable + payload
    return b"\x10" + _remaining_length(len(body)) + body


async def check_broker(
    host: str, port: int, username: str | None, password: str | None, timeout_s: float
) -> None:
    """Open an MQTT session and close it again; raises ``BrokerCheckError`` saying why not."""

    async def probe() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(connect_packet("labshare-readyz", username, password))
            await writer.drain()
            header = await reader.readexactly(4)
            if header[0] != 0x20:
                raise BrokerCheckError(f"unexpected reply from {host}:{port} (not an MQTT broker?)")
            if header[3] != 0:
                reason = _CONNACK_REASONS.get(header[3], f"code {header[3]}")
                raise BrokerCheckError(f"broker {host}:{port} refused the connection: {reason}")
            writer.write(b"\xe0\x00")  # DISCONNECT
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    try:
        await asyncio.wait_for(probe(), timeout_s)
    except BrokerCheckError:
        raise
    except TimeoutError as exc:
        raise BrokerCheckError(
            f"broker {host}:{port} did not answer within {timeout_s:g}s"
        ) from exc
    except (OSError, asyncio.IncompleteReadError) as exc:
        raise BrokerCheckError(f"broker {host}:{port} unreachable: {exc}") from exc


async def check_database(engine: AsyncEngine, timeout_s: float) -> None:
    async def probe() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    await asyncio.wait_for(probe(), timeout_s)


@dataclass(frozen=True, slots=True)
class _Check:
    name: str
    error: str | None


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus text format; with several worker processes each answers for itself."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz", responses=problem_responses(503))
async def readyz(request: Request) -> dict[str, object]:
    settings: Settings = request.app.state.settings
    engine: AsyncEngine = request.app.state.engine
    timeout = settings.readiness_timeout_s

    async def database() -> _Check:
        try:
            await check_database(engine, timeout)
        except TimeoutError:
            return _Check("database", f"database did not answer within {timeout:g}s")
        except Exception as exc:  # any driver error means "not ready"; the reason is reported
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            return _Check("database", f"database unreachable: {reason}")
        return _Check("database", None)

    async def broker() -> _Check:
        try:
            await check_broker(
                settings.mqtt_host,
                settings.mqtt_port,
                settings.mqtt_username,
                settings.mqtt_password,
                timeout,
            )
        except BrokerCheckError as exc:
            return _Check("broker", str(exc))
        return _Check("broker", None)

    async def ingest() -> _Check:
        worker = getattr(request.app.state, "ingest_worker", None)
        problem = worker.readiness_problem() if worker is not None else None
        return _Check("ingest", problem)

    probes = [database(), broker()]
    if getattr(request.app.state, "ingest_worker", None) is not None:
        # Only where this process runs the ingest worker (LABSHARE_INGEST_ENABLED).
        probes.append(ingest())
    checks = await asyncio.gather(*probes)
    report = {c.name: "ok" if c.error is None else c.error for c in checks}
    down = [c for c in checks if c.error is not None]
    if down:
        raise ServiceUnavailable(
            "Not ready: " + "; ".join(str(c.error) for c in down),
            extensions={"checks": report},
        )
    return {"status": "ready", "checks": report}
