"""The FastAPI application: routers under /api/v1 and problem-details errors."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhike.ai.llm import api as llm_api
from zhike.ai.models import api as models_api
from zhike.analytics import api as reports_api
from zhike.api import access as access_api
from zhike.api import admin as admin_api
from zhike.api import api_keys as api_keys_api
from zhike.api import auth as auth_api
from zhike.api import imports as imports_api
from zhike.api import landing
from zhike.api import pipeline as pipeline_api
from zhike.api import sessions as sessions_api
from zhike.api import timeline as timeline_api
from zhike.api.docs import install_docs
from zhike.api.ratelimit_headers import RateLimitHeadersMiddleware
from zhike.api.records import build_record_router
from zhike.audit import api as audit_api
from zhike.core.errors import ValidationFailed, ZhikeError, problem_body
from zhike.core.i18n import negotiate_locale, translate
from zhike.core.settings import get_settings
from zhike.knowledge import api as knowledge_api
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


def _zhike_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ZhikeError)
    return _problem(request, exc)


def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    locale = _locale(request)
    errors: list[dict[str, Any]] = []
    for item in exc.errors():
        location = [
            str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")
        ]
        field = ".".join(location) or "body"
        value = item.get("input")
        shown = (
            value if isinstance(value, int | float | bool) or value is None else str(value)[:200]
        )
        errors.append(
            {
                "field": field,
                "value": shown,
                "code": item.get("type", "invalid"),
                "message": translate(
                    "error.invalid_field", locale, field=field, reason=item.get("msg", "")
                ),
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
    get_settings().check_production_ready()
    app = FastAPI(
        title="Zhike CRM API",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.add_exception_handler(ZhikeError, _zhike_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

    app.add_middleware(RateLimitHeadersMiddleware)
    app.include_router(sessions_api.router, prefix=API_PREFIX)
    app.include_router(auth_api.router, prefix=API_PREFIX)
    app.include_router(api_keys_api.router, prefix=API_PREFIX)
    app.include_router(audit_api.router, prefix=API_PREFIX)
    app.include_router(llm_api.router, prefix=API_PREFIX)
    app.include_router(models_api.router, prefix=API_PREFIX)
    app.include_router(models_api.sales_router, prefix=API_PREFIX)
    app.include_router(reports_api.router, prefix=API_PREFIX)
    # Before the record routers, whose /{object}/{record_id} would otherwise take /export.
    app.include_router(imports_api.router, prefix=API_PREFIX)
    app.include_router(knowledge_api.router, prefix=API_PREFIX)
    for spec in all_objects():
        app.include_router(build_record_router(spec), prefix=API_PREFIX)
    app.include_router(models_api.scores_router, prefix=API_PREFIX)
    for router in (timeline_api.router, pipeline_api.router, admin_api.router, access_api.router):
        app.include_router(router, prefix=API_PREFIX)

    app.include_router(landing.router)
    install_docs(app, f"{API_PREFIX}/docs")

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
