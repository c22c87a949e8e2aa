"""Security headers on every kind of response, and a CSP the built web app and /docs can live with."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.core.headers import APP_CSP, inline_script_hashes

pytestmark = pytest.mark.integration

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_common(response: httpx.Response) -> str:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.url, name)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp
    return csp


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/healthz", 200),
        ("/api/v1/auth/me", 401),
        ("/api/v1/instruments/not-a-uuid", 401),
        ("/api/v1/no-such-route", 404),
        ("/", 200),
        ("/catalogue", 200),
    ],
)
async def test_every_response_carries_the_headers(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    csp = _assert_common(response)
    if path.startswith("/api/"):
        assert csp.startswith("default-src 'none'")
    else:
        assert csp == APP_CSP


async def test_an_unhandled_error_still_carries_the_headers(app: FastAPI) -> None:
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    # Ahead of the web app's catch-all route.
    app.router.routes.insert(0, app.router.routes.pop())

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://labshare.test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    _assert_common(response)


async def test_docs_allow_their_cdn_and_exactly_their_inline_script(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    csp = _assert_common(response)
    script_src = re.search(r"script-src ([^;]+)", csp)
    assert script_src is not None
    sources = script_src.group(1).split()
    assert "https://cdn.jsdelivr.net" in sources
    assert "'unsafe-inline'" not in sources
    hashes = inline_script_hashes(response.content)
    assert hashes
    assert all(h in sources for h in hashes)
    assert int(response.headers["content-length"]) == len(response.content)


def test_the_built_web_app_needs_nothing_inline(repo_root: Path) -> None:
    index = repo_root / "web" / "dist" / "index.html"
    if not index.exists():
        index = repo_root / "web" / "index.html"
    html = index.read_bytes()
    # No inline script or style element: script-src/style-src 'self' suffice.
    assert inline_script_hashes(html) == []
    assert b"<style" not in html
    for url in re.findall(rb'(?:src|href)="([^"]+)"', html):
        assert url.startswith((b"/", b"data:")), url
