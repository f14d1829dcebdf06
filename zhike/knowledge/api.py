"""Knowledge-base endpoints under /kb: articles, the publishing workflow, import and search."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Header, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from zhike.api.deps import ActorDep, SessionDep
from zhike.api.records import etag_for, list_params, parse_if_match
from zhike.knowledge.importer import read_knowledge_file
from zhike.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleUpdate,
    RevisionRead,
    SearchResult,
)
from zhike.knowledge.service import KnowledgeService
from zhike.platform.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

router = APIRouter(prefix="/kb", tags=["knowledge"])

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ArticlePage(BaseModel):
    items: list[ArticleRead]
    next_cursor: str | None = None


class ImportResult(BaseModel):
    created: int
    published: int


@router.get("/articles", response_model=ArticlePage)
def list_articles(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> Any:
    """List articles and FAQ entries; filter with kind, status or category."""
    service = KnowledgeService(session, actor)
    page = service.records.list(list_params(request, q, sort, limit, cursor))
    items = [service.records.present(record) for record in page.items]
    return JSONResponse({"items": items, "next_cursor": page.next_cursor})


@router.post("/articles", response_model=ArticleRead, status_code=status.HTTP_201_CREATED)
def create_article(body: ArticleCreate, session: SessionDep, actor: ActorDep) -> Any:
    """Create a draft; it answers nothing until published."""
    service = KnowledgeService(session, actor)
    record = service.records.create(body)
    headers = {"ETag": etag_for(record), "Location": f"/api/v1/kb/articles/{record.id}"}
    return JSONResponse(service.records.present(record), status_code=201, headers=headers)


@router.get("/articles/{article_id}", response_model=ArticleRead)
def get_article(article_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    service = KnowledgeService(session, actor)
    record = service.records.get(article_id)
    return JSONResponse(service.records.present(record), headers={"ETag": etag_for(record)})


@router.patch("/articles/{article_id}", response_model=ArticleRead)
def update_article(
    article_id: uuid.UUID,
    body: ArticleUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Edit the working revision; editing a published article starts a new draft revision."""
    service = KnowledgeService(session, actor)
    record = service.records.update(article_id, body, parse_if_match(if_match, article_id))
    return JSONResponse(service.records.present(record), headers={"ETag": etag_for(record)})


@router.delete("/articles/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_article(
    article_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    KnowledgeService(session, actor).delete(article_id, parse_if_match(if_match, article_id))
    return Response(status_code=204)


@router.post("/articles/{article_id}/{step}", response_model=ArticleRead)
def change_status(
    article_id: uuid.UUID,
    step: Literal["submit", "publish", "archive"],
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Submit a draft for review, publish it (searchable at once) or archive it."""
    service = KnowledgeService(session, actor)
    record = service.transition(article_id, step, parse_if_match(if_match, article_id))
    return JSONResponse(service.records.present(record), headers={"ETag": etag_for(record)})


@router.get("/articles/{article_id}/revisions", response_model=list[RevisionRead])
def list_revisions(article_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return KnowledgeService(session, actor).revisions(article_id)


@router.get("/search", response_model=SearchResult)
def search(
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> SearchResult:
    """Published articles and FAQ entries that answer a question, best first."""
    return KnowledgeService(session, actor).search(q, limit)


@router.post("/import", response_model=ImportResult, status_code=status.HTTP_201_CREATED)
async def import_file(
    session: SessionDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="Markdown, text, DOCX, PDF, or an FAQ CSV/XLSX")],
    publish: bool = False,
) -> ImportResult:
    """Create articles or FAQ entries from a file, as drafts unless `publish` is set."""
    from zhike.core.errors import InvalidInput

    content = await file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidInput("kb_import_too_large", limit=MAX_IMPORT_BYTES)
    service = KnowledgeService(session, actor)
    created = published = 0
    for values in read_knowledge_file(file.filename or "upload.txt", content):
        record = service.records.create(ArticleCreate.model_validate(values))
        created += 1
        if publish:
            service.transition(record.id, "publish", None)
            published += 1
    return ImportResult(created=created, published=published)
