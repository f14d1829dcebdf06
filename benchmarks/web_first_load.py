"""First load of the web UI's home page in Chromium, on the demo data set.

A throwaway SQLite database gets the demo company (``generate_demo``: about 20,000
records for ``--seed``), or with ``--no-demo-data`` only an empty tenant (the smoke
run). A uvicorn server on 127.0.0.1 serves the built UI (``zhike/web/static``, or
``ZHIKE_WEB_BUILD_DIR``). The administrator logs in once through the API in cookie
mode. Each of ``--repeat`` runs opens a fresh browser context (empty cache) with that
session cookie and navigates to ``/``. ``rendered_s`` stops when the shell has
rendered and the network has been idle for 500 ms (Playwright's ``networkidle``), so
the home page's own API calls are included. ``complete_s`` is the end of the last
response (the browser's resource timing), without those 500 ms of quiet. The
comparison in the same run is a reload in the same context, with the assets cached.
Target: cold median of ``complete_s`` ≤ 2 s.

    make web-build && .venv/bin/python benchmarks/web_first_load.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn

from benchmarks.common import (
    command_line,
    machine_facts,
    median_of,
    working_folder,
    write_results,
)

CHROMIUM = os.environ.get("ZHIKE_CHROMIUM", "/usr/bin/chromium")
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
TARGET_SECONDS = 2.0


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="cold loads whose median is reported")
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the demo data")
    parser.add_argument(
        "--no-demo-data", action="store_true", help="an empty tenant instead of the demo company"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the SQLite file")
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    return parser.parse_args(argv)


def _prepare_database(url: str, demo_data: bool, seed: int) -> tuple[str, str, str, int]:
    """Migrate ``url`` and add the demo tenant. Return its slug, email, password and records."""
    from zhike.core.db import Database, set_database
    from zhike.core.migrate import upgrade
    from zhike.core.settings import Settings, reset_settings_cache
    from zhike.demo.generator import (
        DEMO_ADMIN_EMAIL,
        DEMO_PASSWORD,
        DEMO_TENANT_SLUG,
        create_demo_tenant,
        generate_demo,
    )

    os.environ["ZHIKE_DATABASE_URL"] = url
    reset_settings_cache()
    database = Database(url, Settings(database_url=url))
    upgrade(database.engine, url)
    set_database(database)
    records = 0
    with database.session() as session:
        tenant, admin = create_demo_tenant(session)
        if demo_data:
            records = sum(generate_demo(session, tenant, admin, seed=seed).values())
    return DEMO_TENANT_SLUG, DEMO_ADMIN_EMAIL, DEMO_PASSWORD, records


class _Server:
    def __init__(self, web_dir: Path) -> None:
        from zhike.api.app import create_app

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(web_dir=web_dir),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> _Server:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {self.port} did not start in 30 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _session_cookies(url: str, tenant: str, email: str, password: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{url}/api/v1/auth/login",
        json={"tenant": tenant, "email": email, "password": password, "mode": "cookie"},
        timeout=30,
    )
    response.raise_for_status()
    if response.json().get("totp_required"):
        raise SystemExit(f"{email} must pass TOTP; use an account without two-factor login")
    return [{"name": name, "value": value, "url": url} for name, value in response.cookies.items()]


def _timed_load(page: Any, url: str, reload: bool) -> dict[str, float]:
    api_seconds: list[float] = []

    def record_api(request: Any) -> None:
        if "/api/" in request.url:
            timing = request.timing
            api_seconds.append((timing["responseEnd"] - timing["requestStart"]) / 1000)

    page.on("requestfinished", record_api)
    started = time.perf_counter()
    if reload:
        page.reload(wait_until="networkidle")
    else:
        page.goto(f"{url}/", wait_until="networkidle")
    page.locator("#zk-main").wait_for(state="visible")
    elapsed = time.perf_counter() - started
    # The last response of the page (assets and API calls), from the start of navigation:
    # the page is complete then, while `networkidle` adds its 500 ms of quiet on top.
    timing = page.evaluate(
        "() => { const [entry] = performance.getEntriesByType('navigation');"
        " const ends = performance.getEntriesByType('resource').map((item) => item.responseEnd);"
        " return [entry.domContentLoadedEventEnd, entry.loadEventEnd,"
        " Math.max(entry.loadEventEnd, ...ends)] }"
    )
    if page.url.rstrip("/") != url:
        raise RuntimeError(f"the home page redirected to {page.url}; the session was not accepted")
    page.remove_listener("requestfinished", record_api)
    return {
        "complete_s": float(timing[2]) / 1000,
        "rendered_s": elapsed,
        # Time from sending to the last byte of the slowest API response of the page.
        "slowest_api_s": max(api_seconds, default=0.0),
        "dom_content_loaded_s": float(timing[0]) / 1000,
        "load_event_s": float(timing[1]) / 1000,
    }


def measure(
    url: str, cookies: list[dict[str, Any]], repeat: int
) -> dict[str, list[dict[str, float]]]:
    from playwright.sync_api import sync_playwright

    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        # One unmeasured load first, so the server's own first-request work is not counted.
        warmup = browser.new_context()
        warmup.add_cookies(cookies)  # type: ignore[arg-type]
        _timed_load(warmup.new_page(), url, reload=False)
        warmup.close()
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            context.add_cookies(cookies)  # type: ignore[arg-type]
            page = context.new_page()
            cold.append(_timed_load(page, url, reload=False))
            warm.append(_timed_load(page, url, reload=True))
            context.close()
        browser.close()
    return {"cold": cold, "warm": warm}


def _summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: median_of([run[key] for run in runs]) for key in runs[0]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from zhike.api.spa import STATIC_DIR, web_build_present

    arguments = parse_arguments(argv)
    web_dir = Path(os.environ.get("ZHIKE_WEB_BUILD_DIR") or STATIC_DIR)
    if not web_build_present(web_dir):
        raise SystemExit(f"no web UI build in {web_dir}; run `make web-build` first")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found; install it with `apt-get install -y chromium`")
    facts = machine_facts()
    with working_folder(arguments.workdir) as folder:
        url = f"sqlite:///{folder / 'web-first-load.db'}"
        started = time.perf_counter()
        slug, email, password, records = _prepare_database(
            url, not arguments.no_demo_data, arguments.seed
        )
        prepared_s = time.perf_counter() - started
        with _Server(web_dir) as server:
            cookies = _session_cookies(server.url, slug, email, password)
            runs = measure(server.url, cookies, arguments.repeat)
    cold = _summary(runs["cold"])
    payload = {
        "benchmark": "web_first_load",
        "command": command_line(),
        "machine": facts,
        "records": records,
        "database_prepared_s": round(prepared_s, 1),
        "repeat": arguments.repeat,
        "cold_median": cold,
        "warm_median": _summary(runs["warm"]),
        "runs": runs,
        "target_s": TARGET_SECONDS,
        "meets_target": cold["complete_s"] <= TARGET_SECONDS,
    }
    path = write_results("web_first_load", payload, arguments.output)
    print(json.dumps({key: payload[key] for key in ("records", "cold_median", "warm_median")}))
    print(f"results written to {path}")
    return payload


if __name__ == "__main__":
    main()
