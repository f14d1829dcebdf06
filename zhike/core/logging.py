"""Logging set-up: stdlib ``logging``, optionally one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES:
                payload[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class FieldsFormatter(logging.Formatter):
    """Plain text followed by the ``extra`` fields as key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}
        if fields:
            text += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return text


class StderrHandler(logging.StreamHandler[TextIO]):
    """A stream handler that writes to ``sys.stderr`` as it is when each record is emitted.

    ``logging.StreamHandler()`` keeps the object that was ``sys.stderr`` when it was made.
    Test runners and ``typer.testing.CliRunner`` swap ``sys.stderr`` for a buffer and close
    it afterwards, so such a handler would then fail on every record with "I/O operation on
    closed file".
    """

    def __init__(self) -> None:
        # StreamHandler.__init__ would assign ``stream``, which is a read-only property here.
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]  # a property in place of the attribute
        return sys.stderr


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    """Send log records to standard error as text or JSON lines, at ``level`` and above.

    Calling it again reconfigures the one handler it installed. Handlers that others put on
    the root logger, such as pytest's log capture, stay in place.
    """
    root = logging.getLogger()
    handler = next((item for item in root.handlers if isinstance(item, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        root.addHandler(handler)
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(FieldsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.setLevel(level.upper())
