"""Oversized request bodies are refused with 413 before anything parses or stores them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from zhike.core.settings import reset_settings_cache


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ZHIKE_MAX_REQUEST_BYTES", "4096")
    monkeypatch.setenv("ZHIKE_MAX_UPLOAD_BYTES", "65536")
    reset_settings_cache()
    yield
    reset_settings_cache()


def test_large_json_body_is_refused(client: TestClient, small_limits: None) -> None:
    response = client.post("/api/v1/contacts", json={"name": "王芳", "description": "长" * 5000})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert "MB" in response.json()["detail"]
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_chunked_body_is_cut_off_at_the_limit(client: TestClient, small_limits: None) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 1000
        yield b'"}'

    response = client.post(
        "/api/v1/contacts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_uploads_get_the_larger_limit(client: TestClient, small_limits: None) -> None:
    body = "姓名,手机\n" + "王芳,13800138000\n" * 500
    files = {"file": ("contacts.csv", body.encode("utf-8"), "text/csv")}
    accepted = client.post("/api/v1/imports/uploads", files=files)
    assert accepted.status_code != 413, accepted.text
    huge = {"file": ("contacts.csv", b"a,b\n" * 40000, "text/csv")}
    assert client.post("/api/v1/imports/uploads", files=huge).status_code == 413
