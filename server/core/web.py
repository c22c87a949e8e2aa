"""Serve the built web app (``web/dist``) at ``/`` with a single-page-app fallback."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from server.core.errors import NotFound

__all__ = ["mount_web_app"]

_NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>labshare</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>labshare</h1>
<p>网页端尚未构建。请运行 <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>，然后刷新本页。</p>
<p>The web app has not been built yet. Run <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>
(expected in <code>{dist}</code>), then reload. The API is available under <code>/api/v1</code>
(<a href="/docs">/docs</a>).</p>
</body></html>
"""

_RESERVED_PREFIXES = ("api/", "healthz", "readyz", "docs", "redoc", "openapi.json")


def mount_web_app(app: FastAPI, dist: Path) -> None:
    """Route every non-API GET to a file of ``dist`` or, failing that, to ``index.html``."""
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def web_app(path: str, request: Request) -> Response:
        if path.startswith(_RESERVED_PREFIXES):
            raise NotFound(f"No route for {request.url.path}")
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT.format(dist=root), status_code=200)
        if path:
            candidate = (root / path).resolve()
            # resolve() + is_relative_to keeps "../" out of the served tree.
            if candidate.is_relative_to(root) and candidate.is_file():
                headers = {}
                if "assets" in candidate.relative_to(root).parts:
                    # Vite fingerprints assets: their names change with their content.
                    headers["Cache-Control"] = "public, max-age=31536000, immutable"
                return FileResponse(candidate, headers=headers)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
