"""JSON log lines carry the request id; the id travels in and out as X-Request-ID."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from server.core.logging import ConsoleFormatter, JsonFormatter, RequestIdMiddleware, request_id_var


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.add_middleware(RequestIdMiddleware)

    @app.get("/work")
    async def work() -> dict[str, str | None]:
        logging.getLogger("server.test").info("doing work", extra={"gateway_key": "demo-gw-01"})
        return {"request_id": request_id_var.get()}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


async def test_incoming_request_id_is_echoed_and_logged(
    client: httpx.AsyncClient, json_lines: io.StringIO
) -> None:
    response = await client.get("/work", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json() == {"request_id": "abc-123"}
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    work = next(line for line in lines if line["message"] == "doing work")
    assert work["request_id"] == "abc-123"
    assert work["gateway_key"] == "demo-gw-01"
    assert work["level"] == "INFO"
    access = next(line for line in lines if line["logger"] == "server.access")
    assert access["status"] == 200
    assert access["path"] == "/work"
    assert access["request_id"] == "abc-123"


async def test_request_id_is_made_when_missing_or_unsafe(client: httpx.AsyncClient) -> None:
    generated = await client.get("/work")
    assert len(generated.headers["x-request-id"]) == 32
    unsafe = await client.get("/work", headers={"X-Request-ID": "<script>" + "x" * 300})
    assert "<script>" not in unsafe.headers["x-request-id"]
    assert len(unsafe.headers["x-request-id"]) == 32


async def test_request_id_does_not_outlive_the_request(client: httpx.AsyncClient) -> None:
    await client.get("/work", headers={"X-Request-ID": "gone-after"})
    assert request_id_var.get() is None


def test_console_formatter_is_one_readable_line() -> None:
    record = logging.LogRecord(
        "server.x", logging.WARNING, __file__, 1, "device %s failing", ("chamber-1",), None
    )
    record.device_key = "chamber-1"
    line = ConsoleFormatter().format(record)
    assert "WARNING" in line
    assert "device chamber-1 failing" in line
    assert "device_key=chamber-1" in line
