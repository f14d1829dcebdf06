"""Price books, quotes with versions and approval, the printable quote, and acceptance."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import JSONResponse, Response

from zhike.api.deps import ActorDep, SessionDep
from zhike.api.records import parse_if_match
from zhike.core.timeutil import load_zone, utc_now
from zhike.sales import quotes
from zhike.sales.quote_pdf import render_quote_pdf
from zhike.sales.quote_schemas import (
    PriceBookEntryWrite,
    PriceBookList,
    PriceBookRead,
    PriceBookWrite,
    QuoteAcceptance,
    QuoteList,
    QuoteRead,
    QuoteWrite,
)
from zhike.security.models import Tenant

router = APIRouter(tags=["quotes"])


def _quote_response(read: QuoteRead, status_code: int = 200) -> JSONResponse:
    return JSONResponse(
        read.model_dump(mode="json"),
        status_code=status_code,
        headers={"ETag": f'"{read.id}.{read.version}"'},
    )


@router.get("/price-books", response_model=PriceBookList)
def list_price_books(session: SessionDep, actor: ActorDep) -> PriceBookList:
    return PriceBookList(items=quotes.list_price_books(session, actor))


@router.post("/price-books", response_model=PriceBookRead, status_code=status.HTTP_201_CREATED)
def create_price_book(body: PriceBookWrite, session: SessionDep, actor: ActorDep) -> PriceBookRead:
    """Create a price book in one currency; its threshold decides when a discount needs approval."""
    return quotes.create_price_book(session, actor, body)


@router.put("/price-books/{book_id}", response_model=PriceBookRead)
def update_price_book(
    book_id: uuid.UUID, body: PriceBookWrite, session: SessionDep, actor: ActorDep
) -> PriceBookRead:
    """Replace a book's settings; its currency is fixed once it has prices (409)."""
    return quotes.update_price_book(session, actor, book_id, body)


@router.put("/price-books/{book_id}/entries", response_model=PriceBookRead)
def put_price_book_entries(
    book_id: uuid.UUID, body: list[PriceBookEntryWrite], session: SessionDep, actor: ActorDep
) -> PriceBookRead:
    """Replace the book's product prices."""
    return quotes.set_price_book_entries(session, actor, book_id, body)


@router.get("/quotes", response_model=QuoteList)
def list_quotes(
    session: SessionDep,
    actor: ActorDep,
    opportunity_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> QuoteList:
    return QuoteList(items=quotes.list_quotes(session, actor, opportunity_id, limit))


@router.post("/quotes", response_model=QuoteRead, status_code=status.HTTP_201_CREATED)
def create_quote(body: QuoteWrite, session: SessionDep, actor: ActorDep) -> Any:
    """Create a draft quote; prices come from the price book unless a line gives its own."""
    return _quote_response(quotes.create_quote(session, actor, body), 201)


@router.get("/quotes/{quote_id}", response_model=QuoteRead)
def get_quote(quote_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return _quote_response(
        quotes.present_quote(session, quotes.get_quote(session, actor, quote_id))
    )


@router.put("/quotes/{quote_id}", response_model=QuoteRead)
def put_quote(
    quote_id: uuid.UUID,
    body: QuoteWrite,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Replace a draft's header and lines; send the ETag you read as If-Match."""
    expected = parse_if_match(if_match, quote_id)
    return _quote_response(quotes.update_quote(session, actor, quote_id, body, expected))


@router.post("/quotes/{quote_id}/versions", response_model=QuoteRead, status_code=201)
def new_quote_version(quote_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    """Copy the quote into a new draft version; the earlier versions become superseded."""
    return _quote_response(quotes.new_version(session, actor, quote_id), 201)


@router.post("/quotes/{quote_id}/submit", response_model=QuoteRead)
def submit_quote(quote_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    """Approve the draft, or open a discount approval when it exceeds the price book threshold."""
    return _quote_response(quotes.submit_quote(session, actor, quote_id))


@router.post("/quotes/{quote_id}/send", response_model=QuoteRead)
def send_quote(quote_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return _quote_response(quotes.send_quote(session, actor, quote_id))


@router.post("/quotes/{quote_id}/reject", response_model=QuoteRead)
def reject_quote(quote_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    """Record that the customer declined the quote."""
    return _quote_response(quotes.reject_quote(session, actor, quote_id))


@router.post("/quotes/{quote_id}/accept", response_model=QuoteRead)
def accept_quote(
    quote_id: uuid.UUID, body: QuoteAcceptance, session: SessionDep, actor: ActorDep
) -> Any:
    """Mark the quote accepted and create its contract (amount = quote total) with its plan."""
    return _quote_response(quotes.accept_quote(session, actor, quote_id, body))


@router.get("/quotes/{quote_id}/pdf", response_class=Response)
def quote_pdf(
    quote_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    lang: Annotated[str | None, Query(description="zh-CN or en; your language when empty")] = None,
) -> Response:
    """Render the printable quote as PDF, in Chinese or English."""
    quote = quotes.get_quote(session, actor, quote_id)
    read = quotes.present_quote(session, quote)
    locale = "en" if (lang or actor.locale) == "en" else "zh-CN"
    tenant = session.get(Tenant, actor.tenant_id)
    company = tenant.name if tenant else ""
    today = utc_now().astimezone(load_zone(actor.timezone)).date()
    content = render_quote_pdf(
        read, quotes.quote_context(session, actor, quote), locale, company, today
    )
    filename = f"{read.number}-v{read.version_number}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
