"""An unhandled exception becomes one 500 problem response and one log record."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from zhike.api.app import create_app
from zhike.core.db import Database


def _failing_app() -> TestClient:
    app = create_app()

    @app.get("/api/v1/broken")
    def broken() -> None:
        raise RuntimeError("disk on fire")

    # raise_server_exceptions stays on: an exception that reached the server would fail here.
    return TestClient(app)


def test_unhandled_error_returns_500_problem(database: Database) -> None:
    with _failing_app() as client:
        response = client.get("/api/v1/broken", headers={"Accept-Language": "en"})

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "disk on fire" not in response.text


def test_unhandled_error_logged_once(database: Database, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR), _failing_app() as client:
        client.get("/api/v1/broken")

    failures = [record for record in caplog.records if record.exc_info]
    assert len(failures) == 1
    assert failures[0].getMessage() == "unhandled error"
