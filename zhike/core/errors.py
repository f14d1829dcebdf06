"""One error hierarchy, rendered as RFC 9457 problem details.

Every error has a stable ``code`` that clients switch on, an HTTP status, and a
message key whose zh-CN and en texts live in the i18n catalogs.
"""

from __future__ import annotations

import math
from typing import Any

from zhike.core.i18n import catalog_label, translate

MAX_SHOWN_CHARACTERS = 200


def _shortened(value: Any) -> Any:
    """Return a long text cut to its start, so an error never repeats a whole oversized input."""
    if isinstance(value, str) and len(value) > MAX_SHOWN_CHARACTERS:
        return f"{value[:MAX_SHOWN_CHARACTERS]}…"
    return value


def shown_value(value: Any) -> Any:
    """Return ``value`` as an error body shows it: numbers as numbers, anything else as short text.

    NaN and infinity are text, because JSON has no such numbers.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)[:MAX_SHOWN_CHARACTERS]


class ZhikeError(Exception):
    """Base of every expected error; ``code`` is stable across releases."""

    status = 400
    code = "bad_request"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, locale: str) -> str:
        shown = {name: _shortened(value) for name, value in self.params.items()}
        return translate(f"error.{self.code}", locale, **shown)

    def extra_members(self) -> dict[str, Any]:
        return {}

    def headers(self) -> dict[str, str]:
        """HTTP headers the problem response carries besides its body."""
        return {}


class ValidationFailed(ZhikeError):
    """One or more fields of a request are invalid; ``errors`` lists each one."""

    status = 422
    code = "validation_failed"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(count=len(errors))

    def extra_members(self) -> dict[str, Any]:
        return {"errors": self.errors}


class NotFound(ZhikeError):
    status = 404
    code = "not_found"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        # Raisers name the object by its table; readers see its label in their language.
        if isinstance(params.get("object"), str):
            params["object"] = catalog_label("access.object", params["object"])
        super().__init__(code, **params)


class Conflict(ZhikeError):
    status = 409
    code = "conflict"


class PreconditionFailed(ZhikeError):
    status = 412
    code = "version_mismatch"


class PreconditionRequired(ZhikeError):
    status = 428
    code = "precondition_required"


class Unauthorized(ZhikeError):
    status = 401
    code = "unauthorized"


class Forbidden(ZhikeError):
    status = 403
    code = "forbidden"


class InvalidInput(ZhikeError):
    status = 400
    code = "invalid_input"


class RecordMerged(ZhikeError):
    """The record was merged into another; the problem names the survivor to read instead."""

    status = 410
    code = "record_merged"

    def extra_members(self) -> dict[str, Any]:
        return {
            "survivor_id": self.params["survivor_id"],
            "survivor_location": f"/api/v1/{self.params['object']}/{self.params['survivor_id']}",
        }


def problem_body(error: ZhikeError, locale: str, instance: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://zhike.dev/problems/{error.code}",
        "title": error.code.replace("_", " ").capitalize(),
        "status": error.status,
        "code": error.code,
        "detail": error.message(locale),
    }
    if instance:
        body["instance"] = instance
    body.update(error.extra_members())
    return body


class DatabaseBusy(ZhikeError):
    """A lock held by another transaction past the lock timeout: the request may succeed later.

    Nothing of the failed request is stored, because its transaction was rolled back.
    """

    status = 503
    code = "database_busy"

    # NOTE: 5 seconds is an estimate of how long a competing write usually takes, not a measurement.
    def __init__(self, retry_after: int = 5) -> None:
        self.retry_after = retry_after
        super().__init__(seconds=retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
