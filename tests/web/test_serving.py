"""The server answers the built web UI at / and its page paths, and keeps /api/v1 as the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from zhike.api.app import create_app

INDEX = "<!doctype html><title>app</title><div id=app></div>"


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    (tmp_path / "assets" / "index-3f9a.js").write_text("console.log(1)", encoding="utf-8")
    return tmp_path


def test_root_serves_the_app(build: Path) -> None:
    with TestClient(create_app(web_dir=build)) as client:
        response = client.get("/")

    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"


def test_page_paths_fall_back_to_the_app(build: Path) -> None:
    with TestClient(create_app(web_dir=build)) as client:
        deep = client.get("/accounts/0192e0c4-0000-7000-8000-000000000001?tab=timeline")
        login = client.get("/login")

    assert deep.status_code == 200
    assert deep.text == INDEX
    assert login.text == INDEX


def test_assets_are_served_with_long_caching(build: Path) -> None:
    with TestClient(create_app(web_dir=build)) as client:
        response = client.get("/assets/index-3f9a.js")
        missing = client.get("/assets/gone-0000.js")

    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert missing.status_code == 404


def test_api_paths_stay_problem_details(build: Path) -> None:
    with TestClient(create_app(web_dir=build)) as client:
        unknown = client.get("/api/v1/no-such-thing")
        health = client.get("/api/v1/health")

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["code"] == "route_not_found"
    assert health.json() == {"status": "ok"}


def test_missing_files_and_writes_are_not_the_app(build: Path) -> None:
    with TestClient(create_app(web_dir=build)) as client:
        favicon = client.get("/favicon.ico")
        post = client.post("/accounts")

    assert favicon.status_code == 404
    assert favicon.headers["content-type"] == "application/problem+json"
    assert post.status_code in (404, 405)
    assert post.headers["content-type"] == "application/problem+json"


def test_without_a_build_the_landing_page_stays(tmp_path: Path) -> None:
    with TestClient(create_app(web_dir=tmp_path)) as client:
        root = client.get("/")
        page = client.get("/accounts")

    assert "<h1>知客 CRM</h1>" in root.text
    assert page.status_code == 404
    assert page.headers["content-type"] == "application/problem+json"
