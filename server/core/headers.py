"""Security headers on every response (ASGI middleware, outside the error handlers).

- ``Content-Security-Policy``: the web app (Vite build in ``web/dist``) loads its scripts,
  styles and fonts from its own origin and has no inline script or style element; it talks to
  its own API (``fetch``, server-sent events over ``fetch``), draws charts on canvas (uPlot) and
  has a ``data:`` favicon. API responses get ``default-src 'none'``. The interactive API
  documentation (``/docs``, ``/redoc``) loads Swagger UI / ReDoc from the jsDelivr CDN and
  starts them with an inline script: its policy allows that CDN and exactly those inline
  scripts (by their SHA-256, computed from the page itself), nothing else inline.
- ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``: no page may be framed.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (calendar feed URLs
  carry a token), ``Cross-Origin-Opener-Policy: same-origin``, a ``Permissions-Policy`` that
  turns off devices the app never uses, and ``Strict-Transport-Security`` on HTTPS requests.

A header the endpoint already set is left alone.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "API_CSP",
    "APP_CSP",
    "SecurityHeadersMiddleware",
    "docs_csp",
    "inline_script_hashes",
]

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_CDN = "https://cdn.jsdelivr.net"

STATIC_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"

_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE
)


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``'sha256-...'``) for each inline ``<script>`` of a page."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_csp(script_hashes: Iterable[str]) -> str:
    hashes = " ".join(dict.fromkeys(script_hashes))
    return (
        f"default-src 'self'; script-src 'self' {_CDN} {hashes}".rstrip()
        + f"; style-src 'self' {_CDN} https://fonts.googleapis.com 'unsafe-inline'; "
        "img-src 'self' data: https:; font-src 'self' data: https://fonts.gstatic.com; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """Adds the headers above; pages in ``docs_paths`` are buffered to hash their scripts."""

    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(p for p in docs_paths if p)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        https = scope.get("scheme") == "https"
        if path in self.docs_paths:
            await self._docs(scope, receive, send, https)
            return
        csp = API_CSP if path.startswith("/api/") else APP_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _apply(MutableHeaders(scope=message), csp, https)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send, https: bool) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = MutableHeaders(scope=start)
            _apply(headers, docs_csp(inline_script_hashes(body)), https)
            if "content-length" in headers:
                headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, buffer)


def _apply(headers: MutableHeaders, csp: str, https: bool) -> None:
    headers.setdefault("Content-Security-Policy", csp)
    for name, value in STATIC_HEADERS.items():
        headers.setdefault(name, value)
    if https:
        headers.setdefault("Strict-Transport-Security", HSTS)
