"""Browser tests of the web UI: Debian's Chromium driven by Playwright against a live server.

The server is the real application (uvicorn on 127.0.0.1, a free port) serving the
built UI from ``zhike/web/static`` over the SQLite leg of the ``database`` fixture.
Playwright comes from its Python wheel, which carries its driver; it launches the
system Chromium and downloads no browser. Without Chromium or without a build the
tests skip with the reason, unless ``ZHIKE_REQUIRE_BROWSER=1`` (CI) turns that into
a failure. ``ZHIKE_WEB_BUILD_DIR`` points at another build. Screenshots go to
``ZHIKE_SCREENSHOT_DIR`` (default ``var/web-screenshots``).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from zhike.api.app import create_app
from zhike.api.spa import STATIC_DIR, web_build_present
from zhike.core.db import Database

REPOSITORY = Path(__file__).resolve().parents[2]
# The build under test: zhike/web/static, or the folder `ZHIKE_WEB_BUILD_DIR=… npm run build` wrote.
BUILD_DIR = Path(os.environ.get("ZHIKE_WEB_BUILD_DIR") or STATIC_DIR)
REQUIRE_BROWSER = os.environ.get("ZHIKE_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("ZHIKE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT_DIR = Path(
    os.environ.get("ZHIKE_SCREENSHOT_DIR", REPOSITORY / "var" / "web-screenshots")
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a shared two-core machine; a passing test never waits this long.
ACTION_TIMEOUT_MS = 15_000


def _skip_or_fail(message: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{message}; ZHIKE_REQUIRE_BROWSER=1 makes the browser tests required")
    pytest.skip(f"browser tests skipped: {message}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    chromium = "found" if shutil.which(CHROMIUM) else "missing (browser tests skip)"
    build = "found" if web_build_present(BUILD_DIR) else "missing (browser tests skip)"
    return [f"zhike: Chromium at {CHROMIUM} {chromium}; web UI build {build}"]


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        _skip_or_fail(f"{CHROMIUM} not found; install it with `apt-get install -y chromium`")
    if not web_build_present(BUILD_DIR):
        _skip_or_fail(f"no web UI build in {BUILD_DIR}; run `make web-build`")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _skip_or_fail("the playwright package is not installed; run `make install`")
    # Assertions wait as long as actions: a screen that needs two API calls can take
    # more than the default 5 s while the other test worker loads the machine.
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        # The app marks elements for tests with data-test="…".
        playwright.selectors.set_test_id_attribute("data-test")
        # launch() gives every run a fresh temporary profile (user-data-dir).
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


class ServerClock:
    """The server's notion of now, which a test can move forward (TOTP steps, expiry)."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def __call__(self) -> Any:
        from datetime import timedelta

        from zhike.core.timeutil import utc_now

        return utc_now() + timedelta(seconds=self.offset_seconds)


class LiveServer:
    def __init__(self, app: Any, clock: ServerClock) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.clock = clock
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the test server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(chromium_browser: Any, database: Database) -> Iterator[LiveServer]:
    # Cookies keep their default Secure flag: Chromium accepts those from http://127.0.0.1.
    clock = ServerClock()
    app = create_app(web_dir=BUILD_DIR)
    app.state.clock = clock
    server = LiveServer(app, clock)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(chromium_browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A page in a context of its own (no cookies or storage of other tests), in Chinese."""
    context = chromium_browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1440, "height": 900}
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def save_screenshot(page: Any, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
