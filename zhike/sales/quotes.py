"""Price books and quotes: line items, totals, discount approval, versions and acceptance.

A quote version is edited only while it is a draft. Submitting it either
approves it at once or, when its overall discount against list prices exceeds
the price book's threshold, opens an approval request. Once approved it can be
sent and accepted; accepting the newest version creates the contract.
Changing a quote after it left draft means creating a new version, which
supersedes the earlier ones.
"""

from __future__ import annotations

import logging
import uuid
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, Forbidden, InvalidInput, NotFound, ValidationFailed
from zhike.core.i18n import Localized, catalog_label
from zhike.core.ids import new_id
from zhike.core.money import CURRENCY_EXPONENTS
from zhike.core.timeutil import load_zone, utc_now
from zhike.platform.normalize import field_error
from zhike.sales.contract_models import Contract
from zhike.sales.models import Product
from zhike.sales.process_models import ApprovalRequest
from zhike.sales.quote_models import PriceBook, PriceBookEntry, Quote, QuoteLine
from zhike.sales.quote_schemas import (
    PriceBookEntryRead,
    PriceBookEntryWrite,
    PriceBookRead,
    PriceBookWrite,
    QuoteAcceptance,
    QuoteLineRead,
    QuoteRead,
    QuoteWrite,
)
from zhike.sales.scoping import audit, get_scoped, scoped
from zhike.security.access import require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

HUNDRED = Decimal(100)
EDITABLE_STATUSES = ("draft",)
FINAL_STATUSES = ("accepted", "rejected", "superseded")


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-even to the currency's minor unit, as invoices and bank statements do."""
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_EVEN)


# Price books ----------------------------------------------------------------------------------


def _book_read(session: Session, book: PriceBook) -> PriceBookRead:
    read = PriceBookRead.model_validate(book)
    read.entries = [
        PriceBookEntryRead.model_validate(entry)
        for entry in session.scalars(
            select(PriceBookEntry)
            .where(PriceBookEntry.price_book_id == book.id, PriceBookEntry.deleted_at.is_(None))
            .order_by(PriceBookEntry.created_at, PriceBookEntry.id)
        )
    ]
    return read


def list_price_books(session: Session, actor: Actor) -> list[PriceBookRead]:
    statement = scoped(actor, "price_books", PriceBook, select(PriceBook)).order_by(PriceBook.name)
    return [_book_read(session, book) for book in session.scalars(statement)]


def create_price_book(session: Session, actor: Actor, body: PriceBookWrite) -> PriceBookRead:
    require(actor, "price_books", "create")
    currency = body.currency.upper()
    if currency not in CURRENCY_EXPONENTS:
        raise ValidationFailed([field_error(actor, "currency", body.currency, "invalid_currency")])
    clash = session.scalar(
        select(PriceBook.id).where(
            PriceBook.tenant_id == actor.tenant_id,
            PriceBook.name == body.name,
            PriceBook.deleted_at.is_(None),
        )
    )
    if clash is not None:
        raise Conflict("price_book_exists", name=body.name)
    if body.is_default:
        _clear_default(session, actor)
    book = PriceBook(tenant_id=actor.tenant_id, **{**body.model_dump(), "currency": currency})
    session.add(book)
    session.flush()
    read = _book_read(session, book)
    audit(
        session, actor, "price_books", book.id, "record.create", None, read.model_dump(mode="json")
    )
    return read


def update_price_book(
    session: Session, actor: Actor, book_id: uuid.UUID, body: PriceBookWrite
) -> PriceBookRead:
    """Replace a book's name, currency, default flag and approval threshold.

    The currency stays fixed once the book has prices, because those were
    rounded to its minor unit and quotes were made in it.
    """
    book = get_scoped(session, actor, "price_books", PriceBook, book_id, "update")
    before = _book_read(session, book)
    currency = body.currency.upper()
    if currency not in CURRENCY_EXPONENTS:
        raise ValidationFailed([field_error(actor, "currency", body.currency, "invalid_currency")])
    if currency != book.currency and before.entries:
        raise Conflict("price_book_currency_locked", name=book.name, currency=book.currency)
    clash = session.scalar(
        select(PriceBook.id).where(
            PriceBook.tenant_id == actor.tenant_id,
            PriceBook.name == body.name,
            PriceBook.id != book.id,
            PriceBook.deleted_at.is_(None),
        )
    )
    if clash is not None:
        raise Conflict("price_book_exists", name=body.name)
    if body.is_default and not book.is_default:
        _clear_default(session, actor)
    for name, value in {**body.model_dump(), "currency": currency}.items():
        setattr(book, name, value)
    session.flush()
    read = _book_read(session, book)
    audit(
        session,
        actor,
        "price_books",
        book.id,
        "record.update",
        before.model_dump(mode="json"),
        read.model_dump(mode="json"),
    )
    return read


def _clear_default(session: Session, actor: Actor) -> None:
    for other in session.scalars(
        select(PriceBook).where(
            PriceBook.tenant_id == actor.tenant_id, PriceBook.is_default.is_(True)
        )
    ):
        other.is_default = False


def set_price_book_entries(
    session: Session, actor: Actor, book_id: uuid.UUID, entries: list[PriceBookEntryWrite]
) -> PriceBookRead:
    """Make the book's prices exactly ``entries``; each price is rounded to the book's currency."""
    book = get_scoped(session, actor, "price_books", PriceBook, book_id, "update")
    before = _book_read(session, book).model_dump(mode="json")
    wanted = {entry.product_id: entry for entry in entries}
    if len(wanted) != len(entries):
        raise ValidationFailed([field_error(actor, "entries", len(entries), "duplicate_product")])
    known = set(
        session.scalars(
            select(Product.id).where(
                Product.tenant_id == actor.tenant_id,
                Product.id.in_(list(wanted)),
                Product.deleted_at.is_(None),
            )
        )
    )
    errors = [
        field_error(actor, f"entries.{index}.product_id", entry.product_id, "reference_not_found")
        for index, entry in enumerate(entries)
        if entry.product_id not in known
    ]
    if errors:
        raise ValidationFailed(errors)
    existing = {
        entry.product_id: entry
        for entry in session.scalars(
            select(PriceBookEntry).where(PriceBookEntry.price_book_id == book.id)
        )
    }
    for product_id, entry in wanted.items():
        row = existing.get(product_id)
        if row is None:
            row = PriceBookEntry(
                tenant_id=actor.tenant_id, price_book_id=book.id, product_id=product_id
            )
            session.add(row)
        row.unit_price = quantize(entry.unit_price, book.currency)
        row.deleted_at = None
    for product_id, row in existing.items():
        if product_id not in wanted:
            session.delete(row)
    session.flush()
    read = _book_read(session, book)
    audit(
        session,
        actor,
        "price_books",
        book.id,
        "record.update",
        before,
        read.model_dump(mode="json"),
    )
    return read


# Quotes ---------------------------------------------------------------------------------------


def _lines(session: Session, quote_id: uuid.UUID) -> list[QuoteLine]:
    return list(
        session.scalars(
            select(QuoteLine)
            .where(QuoteLine.quote_id == quote_id, QuoteLine.deleted_at.is_(None))
            .order_by(QuoteLine.position)
        )
    )


def present_quote(session: Session, quote: Quote) -> QuoteRead:
    read = QuoteRead.model_validate(quote)
    read.lines = [QuoteLineRead.model_validate(line) for line in _lines(session, quote.id)]
    read.contract_id = session.scalar(
        select(Contract.id).where(Contract.quote_id == quote.id, Contract.deleted_at.is_(None))
    )
    return read


def _snapshot(session: Session, quote: Quote) -> dict[str, Any]:
    return present_quote(session, quote).model_dump(mode="json")


def _price_book(session: Session, actor: Actor, body: QuoteWrite) -> PriceBook | None:
    statement = select(PriceBook).where(
        PriceBook.tenant_id == actor.tenant_id, PriceBook.deleted_at.is_(None)
    )
    if body.price_book_id is not None:
        book = session.scalar(statement.where(PriceBook.id == body.price_book_id))
        if book is None:
            raise ValidationFailed(
                [field_error(actor, "price_book_id", body.price_book_id, "reference_not_found")]
            )
        return book
    return session.scalar(statement.where(PriceBook.is_default.is_(True)))


def _readable(session: Session, actor: Actor, object_name: str, record_id: uuid.UUID) -> Any:
    """Return the record if the actor may read it, else None."""
    from zhike.platform.objects import get_object
    from zhike.platform.records import RecordService

    try:
        return RecordService(session, actor, get_object(object_name)).get(record_id)
    except (NotFound, Forbidden):
        return None


def _check_references(session: Session, actor: Actor, body: QuoteWrite) -> None:
    """Linked records must be ones the actor may read, so a quote cannot leak another's deal."""
    errors = [
        field_error(actor, field, getattr(body, field), "reference_not_found")
        for field, object_name in (
            ("opportunity_id", "opportunities"),
            ("account_id", "accounts"),
            ("contact_id", "contacts"),
        )
        if getattr(body, field) is not None
        and _readable(session, actor, object_name, getattr(body, field)) is None
    ]
    if errors:
        raise ValidationFailed(errors)


def _fill(
    session: Session, actor: Actor, quote: Quote, body: QuoteWrite, book: PriceBook | None
) -> None:
    """Write the header and lines of ``body`` into ``quote`` and compute its totals."""
    currency = (body.currency or (book.currency if book else actor.currency)).upper()
    errors: list[dict[str, Any]] = []
    if currency not in CURRENCY_EXPONENTS:
        errors.append(field_error(actor, "currency", currency, "invalid_currency"))
    elif book is not None and book.currency != currency:
        errors.append(
            field_error(actor, "currency", currency, "quote_currency_mismatch", book=book.currency)
        )
    product_ids = {line.product_id for line in body.lines if line.product_id is not None}
    products = {
        product.id: product
        for product in session.scalars(
            select(Product).where(
                Product.tenant_id == actor.tenant_id,
                Product.id.in_(list(product_ids)),
                Product.deleted_at.is_(None),
            )
        )
    }
    prices: dict[uuid.UUID, Decimal] = {}
    if book is not None and product_ids:
        prices = {
            entry.product_id: entry.unit_price
            for entry in session.scalars(
                select(PriceBookEntry).where(
                    PriceBookEntry.price_book_id == book.id,
                    PriceBookEntry.product_id.in_(list(product_ids)),
                    PriceBookEntry.deleted_at.is_(None),
                )
            )
        }
    resolved: list[tuple[Any, str, Decimal, Decimal]] = []
    for index, line in enumerate(body.lines):
        product = products.get(line.product_id) if line.product_id else None
        if line.product_id is not None and product is None:
            errors.append(
                field_error(
                    actor, f"lines.{index}.product_id", line.product_id, "reference_not_found"
                )
            )
            continue
        name = line.name or (product.name if product else None)
        if name is None:
            errors.append(field_error(actor, f"lines.{index}.name", None, "required"))
            continue
        price = line.unit_price
        if price is None and line.product_id is not None:
            price = prices.get(line.product_id)
        if price is None:
            errors.append(
                field_error(actor, f"lines.{index}.unit_price", None, "quote_line_price_missing")
            )
            continue
        # The list total is at book prices, so a lower unit price typed on a line counts as
        # discount: otherwise it would slip past the approval threshold.
        book_price = prices.get(line.product_id) if line.product_id is not None else None
        resolved.append((line, name, price, price if book_price is None else book_price))
    if errors:
        raise ValidationFailed(errors)

    for old in _lines(session, quote.id) if quote.id else []:
        session.delete(old)
    session.flush()
    list_total = subtotal = Decimal(0)
    for position, (line, name, price, book_price) in enumerate(resolved):
        gross = quantize(line.quantity * price, currency)
        amount = quantize(gross * (HUNDRED - line.discount_percent) / HUNDRED, currency)
        list_total += quantize(line.quantity * book_price, currency)
        subtotal += amount
        session.add(
            QuoteLine(
                tenant_id=actor.tenant_id,
                quote_id=quote.id,
                position=position,
                product_id=line.product_id,
                name=name,
                description=line.description,
                quantity=line.quantity,
                unit_price=price,
                discount_percent=line.discount_percent,
                amount=amount,
            )
        )
    discount_amount = quantize(subtotal * body.discount_percent / HUNDRED, currency)
    net = subtotal - discount_amount
    tax_amount = quantize(net * body.tax_percent / HUNDRED, currency)
    quote.title = body.title
    quote.opportunity_id = body.opportunity_id
    quote.account_id = body.account_id
    quote.contact_id = body.contact_id
    if body.opportunity_id is not None and (quote.account_id is None or quote.contact_id is None):
        # A quote for a deal is addressed to the deal's customer unless told otherwise.
        deal = _readable(session, actor, "opportunities", body.opportunity_id)
        if deal is not None:
            quote.account_id = quote.account_id or deal.account_id
            quote.contact_id = quote.contact_id or deal.contact_id
    quote.price_book_id = book.id if book else None
    quote.currency = currency
    quote.valid_until = body.valid_until
    quote.discount_percent = body.discount_percent
    quote.tax_percent = body.tax_percent
    quote.terms = body.terms
    quote.requested_at = body.requested_at
    quote.list_total = list_total
    quote.subtotal = subtotal
    quote.discount_amount = discount_amount
    quote.tax_amount = tax_amount
    quote.total = net + tax_amount
    effective = (
        ((list_total - net) * HUNDRED / list_total).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        if list_total > 0
        else Decimal(0)
    )
    quote.effective_discount_percent = effective
    threshold = book.approval_threshold_percent if book else Decimal("10.00")
    quote.requires_approval = effective > threshold
    session.flush()


def _new_number(session: Session, actor: Actor) -> str:
    today = utc_now().astimezone(load_zone(actor.timezone)).strftime("%Y%m%d")
    return f"Q{today}-{new_id().hex[-6:].upper()}"


def create_quote(session: Session, actor: Actor, body: QuoteWrite) -> QuoteRead:
    require(actor, "quotes", "create")
    _check_references(session, actor, body)
    book = _price_book(session, actor, body)
    quote = Quote(
        tenant_id=actor.tenant_id,
        number=_new_number(session, actor),
        version_number=1,
        title=body.title,
        owner_id=actor.user_id,
        status="draft",
    )
    session.add(quote)
    session.flush()
    _fill(session, actor, quote, body, book)
    after = _snapshot(session, quote)
    audit(session, actor, "quotes", quote.id, "record.create", None, after)
    return QuoteRead.model_validate(after)


def get_quote(session: Session, actor: Actor, quote_id: uuid.UUID, action: str = "read") -> Quote:
    quote: Quote = get_scoped(session, actor, "quotes", Quote, quote_id, action)
    return quote


def list_quotes(
    session: Session, actor: Actor, opportunity_id: uuid.UUID | None = None, limit: int = 100
) -> list[QuoteRead]:
    statement = scoped(actor, "quotes", Quote, select(Quote))
    if opportunity_id is not None:
        statement = statement.where(Quote.opportunity_id == opportunity_id)
    statement = statement.order_by(Quote.created_at.desc(), Quote.id.desc()).limit(
        max(1, min(limit, 500))
    )
    return [present_quote(session, quote) for quote in session.scalars(statement)]


def update_quote(
    session: Session,
    actor: Actor,
    quote_id: uuid.UUID,
    body: QuoteWrite,
    expected_version: int | None,
) -> QuoteRead:
    quote = get_quote(session, actor, quote_id, "update")
    _check_version(quote, expected_version)
    if quote.status not in EDITABLE_STATUSES:
        raise Conflict("quote_not_editable", status=quote_status_label(quote.status))
    _check_references(session, actor, body)
    before = _snapshot(session, quote)
    _fill(session, actor, quote, body, _price_book(session, actor, body))
    quote.updated_at = utc_now()
    session.flush()
    after = _snapshot(session, quote)
    audit(session, actor, "quotes", quote.id, "record.update", before, after)
    return QuoteRead.model_validate(after)


def _check_version(quote: Quote, expected_version: int | None) -> None:
    from zhike.core.errors import PreconditionFailed

    if expected_version is not None and quote.version != expected_version:
        raise PreconditionFailed(
            "version_mismatch", expected=expected_version, current=quote.version
        )


def _latest_version(session: Session, actor: Actor, number: str) -> int:
    return int(
        session.scalar(
            select(func.max(Quote.version_number)).where(
                Quote.tenant_id == actor.tenant_id, Quote.number == number
            )
        )
        or 0
    )


def new_version(session: Session, actor: Actor, quote_id: uuid.UUID) -> QuoteRead:
    """Copy a quote into a new draft version; earlier open versions become superseded."""
    source = get_quote(session, actor, quote_id, "update")
    if source.status == "accepted":
        raise Conflict("quote_already_accepted", number=source.number)
    latest = _latest_version(session, actor, source.number)
    copy = Quote(
        tenant_id=actor.tenant_id,
        number=source.number,
        version_number=latest + 1,
        title=source.title,
        owner_id=source.owner_id,
        status="draft",
    )
    session.add(copy)
    session.flush()
    for column in (
        "opportunity_id",
        "account_id",
        "contact_id",
        "price_book_id",
        "currency",
        "valid_until",
        "discount_percent",
        "tax_percent",
        "list_total",
        "subtotal",
        "discount_amount",
        "tax_amount",
        "total",
        "effective_discount_percent",
        "requires_approval",
        "terms",
        "requested_at",
    ):
        setattr(copy, column, getattr(source, column))
    for line in _lines(session, source.id):
        session.add(
            QuoteLine(
                tenant_id=actor.tenant_id,
                quote_id=copy.id,
                position=line.position,
                product_id=line.product_id,
                name=line.name,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                amount=line.amount,
            )
        )
    for older in session.scalars(
        select(Quote).where(
            Quote.tenant_id == actor.tenant_id,
            Quote.number == source.number,
            Quote.id != copy.id,
            Quote.status.not_in(("superseded", "accepted", "rejected")),
        )
    ):
        older.status = "superseded"
    session.flush()
    after = _snapshot(session, copy)
    audit(session, actor, "quotes", copy.id, "record.create", None, after)
    return QuoteRead.model_validate(after)


def _transition(
    session: Session, actor: Actor, quote: Quote, status: str, **changes: Any
) -> QuoteRead:
    before = _snapshot(session, quote)
    quote.status = status
    for name, value in changes.items():
        setattr(quote, name, value)
    quote.updated_at = utc_now()
    session.flush()
    after = _snapshot(session, quote)
    audit(session, actor, "quotes", quote.id, "record.update", before, after)
    return QuoteRead.model_validate(after)


def _require_latest(session: Session, actor: Actor, quote: Quote) -> None:
    if quote.version_number != _latest_version(session, actor, quote.number):
        raise Conflict("quote_not_latest", number=quote.number, version=quote.version_number)


def submit_quote(session: Session, actor: Actor, quote_id: uuid.UUID) -> QuoteRead:
    """Approve a draft at once, or ask for approval when its discount exceeds the threshold."""
    from zhike.sales.process import open_approval

    quote = get_quote(session, actor, quote_id, "update")
    if quote.status != "draft":
        raise Conflict("quote_not_editable", status=quote_status_label(quote.status))
    _require_latest(session, actor, quote)
    if not quote.requires_approval:
        return _transition(session, actor, quote, "approved")
    open_approval(
        session,
        actor,
        "quote_discount",
        quote.id,
        f"{quote.number}#v{quote.version_number}",
        quote.owner_id,
        None,
    )
    return _transition(session, actor, quote, "pending_approval")


def apply_discount_decision(session: Session, actor: Actor, request: ApprovalRequest) -> None:
    """Move the quote of a decided discount request to approved, or back to draft."""
    quote = session.scalar(
        select(Quote).where(Quote.tenant_id == actor.tenant_id, Quote.id == request.subject_id)
    )
    if quote is None or quote.status != "pending_approval":
        return
    before = _snapshot(session, quote)
    quote.status = "approved" if request.status == "approved" else "draft"
    session.flush()
    audit(session, actor, "quotes", quote.id, "record.update", before, _snapshot(session, quote))


def quote_status_label(status: str) -> Localized:
    """Return the quote status as a message parameter in each reader's language."""
    return catalog_label("sales_process.quote_status", status)


def _not_sendable(quote: Quote) -> Conflict:
    # A quote that the customer accepted or declined, or that a newer version replaced,
    # can only change through a new version. A draft or pending quote needs approval first.
    code = "quote_final" if quote.status in FINAL_STATUSES else "quote_not_approved"
    return Conflict(code, status=quote_status_label(quote.status))


def send_quote(session: Session, actor: Actor, quote_id: uuid.UUID) -> QuoteRead:
    quote = get_quote(session, actor, quote_id, "update")
    if quote.status not in ("approved", "sent"):
        raise _not_sendable(quote)
    _require_latest(session, actor, quote)
    return _transition(session, actor, quote, "sent", sent_at=quote.sent_at or utc_now())


def reject_quote(session: Session, actor: Actor, quote_id: uuid.UUID) -> QuoteRead:
    """Record that the customer turned the quote down."""
    quote = get_quote(session, actor, quote_id, "update")
    if quote.status not in ("approved", "sent"):
        raise _not_sendable(quote)
    return _transition(session, actor, quote, "rejected")


def accept_quote(
    session: Session, actor: Actor, quote_id: uuid.UUID, body: QuoteAcceptance
) -> QuoteRead:
    """Turn the accepted newest version into a contract for its total, with an optional plan."""
    from zhike.sales.contracts import create_contract_record

    quote = get_quote(session, actor, quote_id, "update")
    if quote.status not in ("approved", "sent"):
        raise _not_sendable(quote)
    _require_latest(session, actor, quote)
    if body.ends_on is not None and body.starts_on is not None and body.ends_on < body.starts_on:
        raise ValidationFailed(
            [field_error(actor, "ends_on", str(body.ends_on), "end_before_start")]
        )
    if quote.total <= 0:
        raise InvalidInput("quote_total_zero", number=quote.number)
    create_contract_record(
        session,
        actor,
        number=body.contract_number,
        title=quote.title,
        quote_id=quote.id,
        opportunity_id=quote.opportunity_id,
        account_id=quote.account_id,
        currency=quote.currency,
        amount=quote.total,
        signed_on=body.signed_on,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        instalments=body.instalments,
        owner_id=quote.owner_id,
    )
    return _transition(session, actor, quote, "accepted", accepted_at=utc_now())


def quote_context(session: Session, actor: Actor, quote: Quote) -> dict[str, str | None]:
    """Return the names of the records a quote refers to, as the actor may see them.

    Names pass through the record service's presentation, so a hidden field stays
    hidden and a masked one stays masked on the printed quote too.
    """
    from zhike.platform.objects import get_object
    from zhike.platform.records import RecordService

    names: dict[str, str | None] = {}
    for key, object_name, record_id in (
        ("account", "accounts", quote.account_id),
        ("contact", "contacts", quote.contact_id),
        ("opportunity", "opportunities", quote.opportunity_id),
    ):
        record = _readable(session, actor, object_name, record_id) if record_id else None
        if record is None:
            names[key] = None
            continue
        shown = RecordService(session, actor, get_object(object_name)).present(record)
        name = shown.get("name")
        names[key] = name if isinstance(name, str) else None
    return names
