"""Logging set-up: the stderr handler follows ``sys.stderr`` and leaves other handlers alone."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from zhike.core.logging import StderrHandler, configure_logging

logger = logging.getLogger("zhike.tests.logging")


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_handler_follows_replaced_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    # A command run under typer's CliRunner configures logging while sys.stderr is a
    # buffer that is closed once the command returns.
    real_stderr = sys.stderr
    buffer = io.StringIO()
    sys.stderr = buffer
    try:
        configure_logging("INFO")
        logger.info("inside the command")
        written_inside = buffer.getvalue()
    finally:
        sys.stderr = real_stderr
        buffer.close()

    logger.info("after the command", extra={"report_id": "r-1"})

    err = capsys.readouterr().err
    assert "INFO zhike.tests.logging: inside the command" in written_inside
    assert "INFO zhike.tests.logging: after the command report_id=r-1" in err
    assert "Logging error" not in err


def test_configure_keeps_other_handlers(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging("INFO")

    logger.info("kept by pytest")

    assert caplog.handler in logging.getLogger().handlers
    assert [record.getMessage() for record in caplog.records] == ["kept by pytest"]


def test_configure_twice_keeps_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    configure_logging("WARNING", as_json=True)

    logger.info("below the level")
    logger.warning("sent as JSON", extra={"rows": 3})

    handlers = [item for item in logging.getLogger().handlers if isinstance(item, StderrHandler)]
    assert len(handlers) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    payload = json.loads(lines[0])
    assert payload["message"] == "sent as JSON"
    assert payload["level"] == "WARNING"
    assert payload["rows"] == 3
