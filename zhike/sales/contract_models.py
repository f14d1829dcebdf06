"""Contracts and payment collection (回款): instalment plans, receipts, allocations, invoices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import OwnedMixin, RecordMixin
from zhike.core.timeutil import utc_now

CONTRACT_STATUSES = ("active", "completed", "cancelled")
INVOICE_KINDS = ("vat_special", "vat_normal", "other")
PAYMENT_METHODS = ("bank_transfer", "acceptance_bill", "cash", "alipay", "wechat_pay", "other")


class Contract(RecordMixin, OwnedMixin, Base):
    """A signed order or contract; every amount below it is in its ``currency``."""

    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_contracts_tenant_owner", "tenant_id", "owner_id", "created_at"),
        Index("ix_contracts_tenant_account", "tenant_id", "account_id"),
    )

    number: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    quote_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("quotes.id", ondelete="SET NULL"), default=None
    )
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), default=None
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount: Mapped[Decimal]
    signed_on: Mapped[date]
    starts_on: Mapped[date | None] = mapped_column(default=None)
    ends_on: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="active")


class PaymentInstalment(RecordMixin, Base):
    """One planned payment of a contract (回款计划)."""

    __tablename__ = "payment_instalments"
    __table_args__ = (UniqueConstraint("contract_id", "sequence"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int]
    due_on: Mapped[date]
    amount: Mapped[Decimal]
    note: Mapped[str | None] = mapped_column(String(500), default=None)


class PaymentReceipt(RecordMixin, Base):
    """Money received for a contract (回款记录); what no instalment absorbed is a credit."""

    __tablename__ = "payment_receipts"
    __table_args__ = (Index("ix_payment_receipts_contract", "contract_id", "received_on"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    received_on: Mapped[date]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    method: Mapped[str] = mapped_column(String(30), default="bank_transfer")
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    unapplied_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class ReceiptAllocation(Base):
    """The part of a receipt applied to one instalment."""

    __tablename__ = "receipt_allocations"
    __table_args__ = (Index("ix_receipt_allocations_instalment", "instalment_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    receipt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payment_receipts.id", ondelete="CASCADE"), index=True
    )
    instalment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payment_instalments.id", ondelete="CASCADE")
    )
    amount: Mapped[Decimal]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Invoice(RecordMixin, Base):
    """An invoice (发票) issued against a contract."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), default="vat_special")
    issued_on: Mapped[date]
    amount: Mapped[Decimal]
    tax_percent: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    is_void: Mapped[bool] = mapped_column(default=False)
