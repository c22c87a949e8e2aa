"""Liveness, readiness (database + broker) and the web app served at /."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.core.config import Settings
from server.core.health import BrokerCheckError, check_broker
from tests.harness import MosquittoBroker, PostgresCluster

pytestmark = pytest.mark.integration


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_and_broker_answer(
    settings: Settings, mosquitto: MosquittoBroker
) -> None:
    settings = settings.model_copy(update={"mqtt_port": mosquitto.port})
    async for client in _client(settings):
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


async def test_not_ready_names_the_broker(client: httpx.AsyncClient) -> None:
    # The settings fixture points at a port where no broker listens.
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert "unreachable" in body["checks"]["broker"]
    assert "broker" in body["detail"]
    assert "database" not in body["detail"]


async def test_not_ready_names_the_database(
    settings: Settings, mosquitto: MosquittoBroker, pg_cluster: PostgresCluster
) -> None:
    dead_db = settings.database_url.replace(f":{pg_cluster.port}/", f":{mosquitto.port + 1}/")
    settings = settings.model_copy(update={"mqtt_port": mosquitto.port, "database_url": dead_db})
    async for client in _client(settings):
        response = await client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["broker"] == "ok"
        assert body["checks"]["database"] != "ok"
        assert body["detail"].startswith("Not ready: database")


async def test_broker_check_reports_refused_credentials(
    mosquitto_factory: Callable[..., MosquittoBroker], tmp_path: Path
) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text("")
    broker = mosquitto_factory(password_file=passwd)
    with pytest.raises(BrokerCheckError, match="refused the connection: not authorised"):
        await check_broker(broker.host, broker.port, "someone", "wrong", timeout_s=2)


async def test_missing_web_build_shows_how_to_build(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "npm run build" in response.text


async def test_web_app_files_and_spa_fallback(settings: Settings, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<div id=root>labshare</div>")
    (dist / "assets" / "app-1a2b.js").write_text("console.log('app')")
    (tmp_path / "secret.txt").write_text("outside the dist")
    async for client in _client(settings.model_copy(update={"web_dist": dist})):
        index = await client.get("/")
        assert index.text == "<div id=root>labshare</div>"
        deep_link = await client.get("/instruments/1234/live")
        assert deep_link.status_code == 200
        assert deep_link.text == "<div id=root>labshare</div>"
        asset = await client.get("/assets/app-1a2b.js")
        assert asset.text == "console.log('app')"
        assert "immutable" in asset.headers["cache-control"]
        escape = await client.get("/..%2Fsecret.txt")
        assert "outside the dist" not in escape.text
        api_miss = await client.get("/api/v1/no-such-thing")
        assert api_miss.status_code == 404
        assert api_miss.headers["content-type"] == "application/problem+json"
