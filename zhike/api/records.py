"""One router per CRM object, built from its declaration.

Routers only translate HTTP to service calls: ETag and If-Match map to the
record version, query parameters to list filters. Handlers return the
service's presented data (hidden fields dropped, sensitive ones masked) as a
JSONResponse; the response models still describe the shape in OpenAPI.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from zhike.api.deps import ActorDep, SessionDep
from zhike.core.errors import InvalidInput, PreconditionFailed
from zhike.platform.objects import ObjectSpec
from zhike.platform.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ListParams
from zhike.platform.records import RecordService

RESERVED_PARAMETERS = frozenset({"q", "sort", "limit", "cursor", "with_total"})


def etag_for(record: Any) -> str:
    return f'"{record.id}.{record.version}"'


def parse_if_match(value: str | None, record_id: uuid.UUID) -> int | None:
    """Return the version an If-Match header expects, or None when it is absent or ``*``."""
    if value is None or value.strip() == "*":
        return None
    if value.strip().startswith("W/"):
        # If-Match compares strongly (RFC 9110, section 13.1.1), so a weak tag never matches.
        raise PreconditionFailed("weak_if_match", value=value)
    tag = value.strip().strip('"')
    identifier, _, version = tag.rpartition(".")
    if identifier != str(record_id) or not version.isdigit():
        raise InvalidInput("invalid_if_match", value=value)
    return int(version)


def list_params(
    request: Request, q: str | None, sort: str | None, limit: int, cursor: str | None
) -> ListParams:
    filters = {
        key: value for key, value in request.query_params.items() if key not in RESERVED_PARAMETERS
    }
    return ListParams(filters=filters, search=q, sort=sort, limit=limit, cursor=cursor)


def build_record_router(spec: ObjectSpec) -> APIRouter:
    router = APIRouter(prefix=f"/{spec.name}", tags=[spec.name])
    read_schema: type[BaseModel] = spec.read_schema
    create_schema: type[BaseModel] = spec.create_schema
    update_schema: type[BaseModel] = spec.update_schema

    class Page(BaseModel):
        items: list[read_schema]  # type: ignore[valid-type]
        next_cursor: str | None = None
        total: int | None = None

    Page.__name__ = f"{read_schema.__name__.removesuffix('Read')}Page"

    @router.get("", response_model=Page, summary=f"List {spec.name}")
    def list_records(
        request: Request,
        session: SessionDep,
        actor: ActorDep,
        q: Annotated[
            str | None, Query(max_length=200, description="text searched in names")
        ] = None,
        sort: Annotated[
            str | None, Query(description="field to sort by; prefix - for descending")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
        with_total: bool = False,
    ) -> Any:
        """List records, newest first by default.

        Filter with `field=value` or `field__op=value`, where op is one of eq, ne, in,
        gt, gte, lt, lte, contains and isnull; `custom.<name>=value` filters custom fields.
        """
        service = RecordService(session, actor, spec)
        params = list_params(request, q, sort, limit, cursor)
        page = service.list_presented(params)
        total = service.count(params) if with_total else None
        return JSONResponse({"items": page.items, "next_cursor": page.next_cursor, "total": total})

    @router.post("", response_model=read_schema, status_code=status.HTTP_201_CREATED)
    def create_record(
        body: create_schema,  # type: ignore[valid-type]
        session: SessionDep,
        actor: ActorDep,
    ) -> Any:
        service = RecordService(session, actor, spec)
        record = service.create(body)
        headers = {"ETag": etag_for(record), "Location": f"/api/v1/{spec.name}/{record.id}"}
        return JSONResponse(service.present(record), status_code=201, headers=headers)

    @router.get("/{record_id}", response_model=read_schema)
    def get_record(record_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
        service = RecordService(session, actor, spec)
        record = service.get(record_id)
        return JSONResponse(service.present(record), headers={"ETag": etag_for(record)})

    @router.patch("/{record_id}", response_model=read_schema)
    def update_record(
        record_id: uuid.UUID,
        body: update_schema,  # type: ignore[valid-type]
        session: SessionDep,
        actor: ActorDep,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        """Send the ETag you read as If-Match; a stale version answers 412."""
        expected = parse_if_match(if_match, record_id)
        service = RecordService(session, actor, spec)
        record = service.update(record_id, body, expected)
        return JSONResponse(service.present(record), headers={"ETag": etag_for(record)})

    @router.delete("/{record_id}", status_code=status.HTTP_204_NO_CONTENT)
    def delete_record(
        record_id: uuid.UUID,
        session: SessionDep,
        actor: ActorDep,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        expected = parse_if_match(if_match, record_id)
        RecordService(session, actor, spec).delete(record_id, expected)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
