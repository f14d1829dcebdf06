"""Global customers and the identities, links and blocking keys that resolve records to them.

A global customer is one real person (contacts, leads) or one company (accounts).
Every linked record carries ``global_customer_id`` in its own row. ``CustomerLink``
keeps how the link was made (method, score, agreeing fields) and the record's
normalised matching values. ``CustomerIdentity`` rows hold the strong identifiers
looked up on every write, and ``CustomerMatchKey`` rows hold the blocking keys
that choose candidates for probabilistic matching.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now


class GlobalCustomer(Base):
    """One customer across every record, channel and source that refers to it."""

    __tablename__ = "global_customers"
    __table_args__ = (Index("ix_global_customers_tenant_name", "tenant_id", "display_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    # person (contacts and leads) or company (accounts).
    kind: Mapped[str] = mapped_column(String(10))
    display_name: Mapped[str | None] = mapped_column(String(200), default=None)
    # active, or merged when its records moved to ``merged_into_id``.
    status: Mapped[str] = mapped_column(String(10), default="active")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("global_customers.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class CustomerLink(Base):
    """The link of one record to its global customer, with the method and evidence."""

    __tablename__ = "customer_links"
    __table_args__ = (
        Index("ix_customer_links_record", "tenant_id", "object_name", "record_id", unique=True),
        Index("ix_customer_links_customer", "tenant_id", "global_customer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    global_customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("global_customers.id", ondelete="CASCADE")
    )
    object_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID]
    # deterministic, probabilistic, new, review (new, with a pair queued), merge or recluster.
    method: Mapped[str] = mapped_column(String(20))
    # Match probability against the record it was linked through; None for a new customer.
    score: Mapped[float | None] = mapped_column(default=None)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    # The record the link was decided against, when there was one.
    matched_object: Mapped[str | None] = mapped_column(String(40), default=None)
    matched_record_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # The record's normalised matching values, so candidates need no join per object.
    match_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(50), default="manual")
    linked_at: Mapped[datetime] = mapped_column(default=utc_now)


class CustomerIdentity(Base):
    """A strong identifier (email, mobile, credit code, external id) seen on a record."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        Index("ix_customer_identities_value", "tenant_id", "customer_kind", "kind", "value"),
        Index("ix_customer_identities_record", "tenant_id", "object_name", "record_id"),
        Index("ix_customer_identities_customer", "tenant_id", "global_customer_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    global_customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("global_customers.id", ondelete="CASCADE")
    )
    customer_kind: Mapped[str] = mapped_column(String(10))
    # The channel the identifier came through: form, wecom, email, import, api, manual …
    source: Mapped[str] = mapped_column(String(50))
    object_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID]
    # email, mobile, phone, credit_code or external_id.
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(300))
    # For external ids: the system that issued the id (it is part of the value too).
    external_source: Mapped[str | None] = mapped_column(String(100), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)


class CustomerMatchKey(Base):
    """A blocking key of a linked record: only records sharing a key are compared."""

    __tablename__ = "customer_match_keys"
    __table_args__ = (
        Index("ix_customer_match_keys_key", "tenant_id", "customer_kind", "key"),
        Index("ix_customer_match_keys_link", "link_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer_links.id", ondelete="CASCADE"))
    customer_kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(300))
