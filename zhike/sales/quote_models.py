"""Price books and quotes with their line items and versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.models import OwnedMixin, RecordMixin

QUOTE_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "sent",
    "accepted",
    "rejected",
    "superseded",
)


class PriceBook(RecordMixin, Base):
    """Prices of products in one currency; a tenant keeps one book per currency or market."""

    __tablename__ = "price_books"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    is_default: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # A quote whose overall discount exceeds this percentage needs a manager's approval.
    approval_threshold_percent: Mapped[Decimal] = mapped_column(default=Decimal("10.00"))


class PriceBookEntry(RecordMixin, Base):
    __tablename__ = "price_book_entries"
    __table_args__ = (UniqueConstraint("price_book_id", "product_id"),)

    price_book_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("price_books.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    unit_price: Mapped[Decimal]


class Quote(RecordMixin, OwnedMixin, Base):
    """One version of a quote; versions share ``number`` and only the newest is live.

    Totals are computed from the lines whenever they change: ``list_total`` is the
    sum at price-book prices, ``subtotal`` after line discounts, ``discount_amount``
    the header discount on the subtotal, ``tax_amount`` on what remains.
    """

    __tablename__ = "quotes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", "version_number"),
        Index("ix_quotes_tenant_opportunity", "tenant_id", "opportunity_id"),
        Index("ix_quotes_tenant_owner", "tenant_id", "owner_id", "created_at"),
    )

    number: Mapped[str] = mapped_column(String(40))
    version_number: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), default=None
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    price_book_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("price_books.id", ondelete="SET NULL"), default=None
    )
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    valid_until: Mapped[date | None] = mapped_column(default=None)
    discount_percent: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tax_percent: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    list_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    discount_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    tax_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    # The overall discount against list prices, in percent, which approval is judged on.
    effective_discount_percent: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    requires_approval: Mapped[bool] = mapped_column(default=False)
    terms: Mapped[str | None] = mapped_column(String(4000), default=None)
    # When the customer asked for the quote, for response-time insight.
    requested_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)


class QuoteLine(RecordMixin, Base):
    __tablename__ = "quote_lines"
    __table_args__ = (Index("ix_quote_lines_quote", "quote_id", "position"),)

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000), default=None)
    quantity: Mapped[Decimal]
    unit_price: Mapped[Decimal]
    discount_percent: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    amount: Mapped[Decimal]
