"""The built web UI at ``/``, or the small landing page when no build is present.

``web/`` builds into ``zhike/web/static``: an ``index.html`` and hashed files
under ``assets/``. The single-page app routes in the browser (history mode), so
a GET for any page path such as ``/accounts/…`` must answer ``index.html``.
That fallback is applied when no route matched (see ``spa_fallback``) rather
than by a catch-all route, so routers included later still take precedence.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from zhike.api import landing

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
ASSETS_URL = "/assets"
# Paths that belong to the server, never to the app's own routes.
SERVER_PREFIXES = ("/api/", ASSETS_URL + "/")
# index.html names the hashed assets of one build, so browsers must ask for it each time.
INDEX_HEADERS = {"Cache-Control": "no-cache"}
ASSET_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable"}


class _ImmutableAssets(StaticFiles):
    """Hashed build files, whose names change with their content, so browsers keep them a year."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers.update(ASSET_HEADERS)
        return response


def web_build_present(static_dir: Path = STATIC_DIR) -> bool:
    return (static_dir / "index.html").is_file()


def install_web(app: FastAPI, static_dir: Path | None) -> None:
    """Serve the web UI from ``static_dir`` when it holds a build, else the landing page."""
    if static_dir is None or not web_build_present(static_dir):
        app.state.web_index = None
        app.include_router(landing.router)
        return
    index = static_dir / "index.html"
    app.state.web_index = index
    assets = static_dir / "assets"
    if assets.is_dir():
        app.mount(ASSETS_URL, _ImmutableAssets(directory=str(assets)), name="web-assets")

    @app.get("/", include_in_schema=False)
    def web_root() -> FileResponse:
        return FileResponse(index, headers=INDEX_HEADERS)


def spa_fallback(request: Request) -> FileResponse | None:
    """``index.html`` for a browser GET of an app page that no route matched, else None."""
    index: Path | None = getattr(request.app.state, "web_index", None)
    if index is None or request.method not in ("GET", "HEAD"):
        return None
    path = request.url.path
    if path.startswith(SERVER_PREFIXES) or path == "/api":
        return None
    # A missing file such as /favicon.ico or /robots.txt stays a 404.
    if "." in path.rsplit("/", 1)[-1]:
        return None
    return FileResponse(index, headers=INDEX_HEADERS)
