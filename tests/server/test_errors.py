"""Problem details (RFC 9457) for every kind of failure, without leaking internals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from server.core.errors import (
    PROBLEM_CONTENT_TYPE,
    Conflict,
    NotFound,
    Unauthorized,
    ValidationFailed,
    install_error_handlers,
)
from server.core.logging import RequestIdMiddleware


class Booking(BaseModel):
    hours: int = Field(gt=0)
    instrument: str


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("Instrument 42 not found")

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Gateway key demo-gw-01 is taken")

    @app.get("/bad-unit")
    async def bad_unit() -> None:
        raise ValidationFailed.for_field("canonical_unit", "'degCC' is not a unit")

    @app.get("/login-required")
    async def login_required() -> None:
        raise Unauthorized()

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(status_code=418, detail="short and stout")

    @app.post("/bookings")
    async def book(booking: Booking) -> Booking:
        return booking

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("password=hunter2 in a connection string")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: let the 500 handler answer as it would behind uvicorn.
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_app_error_renders_as_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == {
        "type": "/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Instrument 42 not found",
        "instance": "/missing",
    }


async def test_conflict_status(client: httpx.AsyncClient) -> None:
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.json()["detail"] == "Gateway key demo-gw-01 is taken"


async def test_domain_validation_names_the_field(client: httpx.AsyncClient) -> None:
    body = (await client.get("/bad-unit")).json()
    assert body["status"] == 422
    assert body["errors"] == [{"field": "canonical_unit", "message": "'degCC' is not a unit"}]


async def test_unauthorized_asks_for_bearer(client: httpx.AsyncClient) -> None:
    response = await client.get("/login-required")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE


async def test_request_validation_lists_each_field_path(client: httpx.AsyncClient) -> None:
    response = await client.post("/bookings", json={"hours": 0})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"hours", "instrument"}
    assert "greater than 0" in fields["hours"]
    assert "hours" in body["detail"]
    assert "instrument" in body["detail"]


async def test_http_exception_and_unknown_route_are_problems(client: httpx.AsyncClient) -> None:
    teapot = await client.get("/teapot")
    assert teapot.status_code == 418
    assert teapot.json()["detail"] == "short and stout"
    assert teapot.json()["title"] == "I'm a Teapot"
    unknown = await client.get("/nowhere")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == PROBLEM_CONTENT_TYPE


async def test_unhandled_error_is_500_without_internals(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/crash", headers={"X-Request-ID": "req-crash-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["status"] == 500
    assert response.headers["x-request-id"] == "req-crash-1"
    # ...but the log has the whole story.
    assert any("hunter2" in (r.exc_text or "") or r.exc_info for r in caplog.records)
