"""The FastAPI application: routers under /api/v1 and problem-details errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhike.ai.agents import api as agents_api
from zhike.ai.ask import api as assistant_api
from zhike.ai.context import api as context_api
from zhike.ai.llm import api as llm_api
from zhike.ai.models import api as models_api
from zhike.analytics import api as reports_api
from zhike.api import access as access_api
from zhike.api import admin as admin_api
from zhike.api import api_keys as api_keys_api
from zhike.api import auth as auth_api
from zhike.api import home as home_api
from zhike.api import import_wizard as import_wizard_api
from zhike.api import imports as imports_api
from zhike.api import list_options as list_options_api
from zhike.api import metadata as metadata_api
from zhike.api import pipeline as pipeline_api
from zhike.api import sessions as sessions_api
from zhike.api import targets as targets_api
from zhike.api import timeline as timeline_api
from zhike.api.body_limits import BodyLimitMiddleware
from zhike.api.docs import install_docs
from zhike.api.ratelimit_headers import RateLimitHeadersMiddleware
from zhike.api.records import build_record_router
from zhike.api.spa import STATIC_DIR, install_web, spa_fallback
from zhike.api.unexpected import UnexpectedErrorMiddleware
from zhike.audit import api as audit_api
from zhike.core.db import is_lock_timeout
from zhike.core.errors import (
    DatabaseBusy,
    InvalidInput,
    ValidationFailed,
    ZhikeError,
    problem_body,
    shown_value,
)
from zhike.core.i18n import (
    negotiate_locale,
    shown_field,
    translate,
    validation_reason,
)
from zhike.core.settings import get_settings
from zhike.customers import identity_api as customers_identity_api
from zhike.customers import merge_api as customers_merge_api
from zhike.customers import quality_api as customers_quality_api
from zhike.knowledge import api as knowledge_api
from zhike.marketing import api as marketing_api
from zhike.platform.objects import all_objects
from zhike.sales import activity_api as sales_activity_api
from zhike.sales import api_leads as sales_leads_api
from zhike.sales import contract_api as sales_contract_api
from zhike.sales import insight_api as sales_insight_api
from zhike.sales import process_api as sales_process_api
from zhike.sales import quote_api as sales_quote_api
from zhike.service import api as service_api
from zhike.service import bot_api
from zhike.service import calendar_api as service_calendar_api
from zhike.service import delivery_api as service_delivery_api

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/v1"


def _locale(request: Request) -> str:
    return getattr(request.state, "locale", None) or negotiate_locale(
        request.headers.get("accept-language")
    )


def _problem(request: Request, error: ZhikeError) -> JSONResponse:
    body = problem_body(error, _locale(request), instance=request.url.path)
    return JSONResponse(
        body, status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers()
    )


def _zhike_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ZhikeError)
    return _problem(request, exc)


def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    locale = _locale(request)
    errors: list[dict[str, Any]] = []
    for item in exc.errors():
        if item.get("type") == "json_invalid":
            # The body never parsed, so no field is wrong. Name the place the parser stopped,
            # counted from 1 as editors count columns.
            location = item.get("loc", ())
            offset = location[-1] if len(location) > 1 else 0
            position = offset + 1 if isinstance(offset, int) else offset
            reason = str(item.get("ctx", {}).get("error", "JSON decode error"))
            return _problem(request, InvalidInput("invalid_json", position=position, reason=reason))
        location = [
            str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")
        ]
        field = ".".join(location) or "body"
        value = item.get("input")
        if isinstance(value, bytes):
            # A body sent as text/plain arrives as bytes: show its text, not Python's repr.
            value = value.decode("utf-8", "replace")
        shown = shown_value(value)
        errors.append(
            {
                "field": field,
                "value": shown,
                "code": item.get("type", "invalid"),
                "message": translate(
                    "error.invalid_field",
                    locale,
                    # People read the message: name the field as the forms label it.
                    field=shown_field(field, locale),
                    reason=validation_reason(item, locale),
                ),
            }
        )
    return _problem(request, ValidationFailed(errors))


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        page = spa_fallback(request)
        if page is not None:
            return page
    codes = {404: "route_not_found", 405: "method_not_allowed"}
    error = ZhikeError(codes.get(exc.status_code, "http_error"), path=request.url.path)
    error.status = exc.status_code
    return _problem(request, error)


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """Return 503 with Retry-After for a lock timeout; any other database error is a bug."""
    if not is_lock_timeout(exc):
        return _unexpected(request, exc)
    logger.warning(
        "request failed: database busy",
        extra={"path": request.url.path, "reason": type(getattr(exc, "orig", exc)).__name__},
    )
    return _problem(request, DatabaseBusy())


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    error = ZhikeError("internal_error")
    error.status = 500
    return _problem(request, error)


def create_app(web_dir: Path | None = None) -> FastAPI:
    """Build the application; ``web_dir`` overrides where the built web UI is read from."""
    settings = get_settings()
    settings.check_production_ready()
    if web_dir is None and settings.web_ui:
        web_dir = STATIC_DIR
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
    app.add_exception_handler(DBAPIError, _database_error)

    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(UnexpectedErrorMiddleware, handler=_unexpected)
    app.include_router(sessions_api.router, prefix=API_PREFIX)
    app.include_router(auth_api.router, prefix=API_PREFIX)
    app.include_router(api_keys_api.router, prefix=API_PREFIX)
    app.include_router(audit_api.router, prefix=API_PREFIX)
    app.include_router(llm_api.router, prefix=API_PREFIX)
    app.include_router(models_api.router, prefix=API_PREFIX)
    app.include_router(models_api.sales_router, prefix=API_PREFIX)
    app.include_router(reports_api.router, prefix=API_PREFIX)
    # Before the record routers, whose /{object}/{record_id} would otherwise take /export.
    # The wizard's /imports/objects and /imports/uploads go before /imports/{run_id}.
    app.include_router(import_wizard_api.router, prefix=API_PREFIX)
    app.include_router(imports_api.router, prefix=API_PREFIX)
    for router in (
        home_api.router,
        targets_api.router,
        metadata_api.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(knowledge_api.router, prefix=API_PREFIX)
    app.include_router(marketing_api.router, prefix=API_PREFIX)
    app.include_router(marketing_api.public_router, prefix=API_PREFIX)
    app.include_router(sales_leads_api.router, prefix=API_PREFIX)
    app.include_router(sales_leads_api.public_router, prefix=API_PREFIX)
    for router in (
        sales_activity_api.router,
        sales_process_api.router,
        sales_quote_api.router,
        sales_contract_api.router,
        sales_insight_api.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(service_api.router, prefix=API_PREFIX)
    app.include_router(service_api.public_router, prefix=API_PREFIX)
    app.include_router(bot_api.router, prefix=API_PREFIX)
    app.include_router(service_delivery_api.router, prefix=API_PREFIX)
    app.include_router(service_calendar_api.router, prefix=API_PREFIX)
    app.include_router(customers_merge_api.router, prefix=API_PREFIX)
    app.include_router(customers_identity_api.router, prefix=API_PREFIX)
    app.include_router(customers_quality_api.router, prefix=API_PREFIX)
    app.include_router(assistant_api.router, prefix=API_PREFIX)
    app.include_router(context_api.router, prefix=API_PREFIX)
    app.include_router(agents_api.router, prefix=API_PREFIX)
    for spec in all_objects():
        app.include_router(build_record_router(spec), prefix=API_PREFIX)
    app.include_router(models_api.scores_router, prefix=API_PREFIX)
    for router in (timeline_api.router, pipeline_api.router, admin_api.router, access_api.router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(list_options_api.router, prefix=API_PREFIX)

    install_web(app, web_dir)
    install_docs(app, f"{API_PREFIX}/docs")

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
