"""The FastAPI application: routers under /api/v1 and problem-details errors."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhike.api import auth as auth_api
from zhike.api.records import build_record_router
from zhike.core.errors import ValidationFailed, ZhikeError, problem_body
from zhike.core.i18n import negotiate_locale, translate
from zhike.platform.objects import all_objects

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/v1"


def _locale(request: Request) -> str:
    return getattr(request.state, "locale", None) or negotiate_locale(
        request.headers.get("accept-language")
    )


def _problem(request: Request, error: ZhikeError) -> JSONResponse:
    body = problem_body(error, _locale(request), instance=request.url.path)
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON)


def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    locale = _locale(request)
    errors: list[dict[str, Any]] = []
    for item in exc.errors():
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(location) or "body"
        value = item.get("input")
        shown = value if isinstance(value, int | float | bool) or value is None else str(value)[:200]
        errors.append(
            {
                "field": field,
                "value": shown,
                "code": item.get("type", "invalid"),
                "message": translate("error.invalid_field", locale, field=field, reason=item.get("msg", "")),
            }
        )
    return _problem(request, ValidationFailed(errors))


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "route_not_found", 405: "method_not_allowed"}
    error = ZhikeError(codes.get(exc.status_code, "http_error"), path=request.url.path)
    error.status = exc.status_code
    return _problem(request, error)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    error = ZhikeError("internal_error")
    error.status = 500
    return _problem(request, error)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Zhike CRM API",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.add_exception_handler(ZhikeError, lambda request, exc: _problem(request, exc))  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

    app.include_router(auth_api.router, prefix=API_PREFIX)
    for spec in all_objects():
        app.include_router(build_record_router(spec), prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
