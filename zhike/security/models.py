"""Tenants, teams, users and login sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhike.core.db import Base
from zhike.core.ids import new_id
from zhike.core.models import ExternalIdMixin, RecordMixin
from zhike.core.timeutil import utc_now


class Tenant(Base):
    """One company using Zhike; every other record belongs to exactly one tenant."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    region: Mapped[str] = mapped_column(String(2), default="CN")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Team(RecordMixin, ExternalIdMixin, Base):
    """A sales team or department; ``parent_id`` builds the department tree."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True), default=None
    )
    region: Mapped[str | None] = mapped_column(String(100), default=None)


class User(RecordMixin, ExternalIdMixin, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    role: Mapped[str] = mapped_column(String(50), default="sales_rep")
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True, default=None
    )
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10), default=None)


class AuthSession(Base):
    """A login; the client holds the token and only its SHA-256 digest is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_token_hash", "token_hash", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(512), default=None)
    # Set for browser logins held in a cookie; unsafe requests must echo the CSRF token.
    csrf_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class Role(RecordMixin, Base):
    """A tenant's custom role; ``definition`` follows zhike.security.roles.RoleDefinition."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(50))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SharingRule(RecordMixin, Base):
    """Share the records of an object that match ``filters`` with a role or a department."""

    __tablename__ = "sharing_rules"

    object_name: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    # List-API filters, e.g. {"city": "杭州", "annual_revenue__gte": "1000000"}.
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    role_key: Mapped[str | None] = mapped_column(String(50), default=None)
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), default=None
    )
    can_edit: Mapped[bool] = mapped_column(default=False)


class RecordShare(Base):
    """A manual share of one record with a user, a department or a role."""

    __tablename__ = "record_shares"
    __table_args__ = (Index("ix_record_shares_lookup", "tenant_id", "object_name", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    object_name: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), default=None
    )
    role_key: Mapped[str | None] = mapped_column(String(50), default=None)
    can_edit: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class PasswordHistory(Base):
    """Earlier password hashes of a user, so a tenant policy can refuse their reuse."""

    __tablename__ = "password_history"
    __table_args__ = (Index("ix_password_history_user", "user_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class LoginLockout(Base):
    """Failed logins of one email address in a tenant, whether or not such a user exists."""

    __tablename__ = "login_lockouts"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    failures: Mapped[int] = mapped_column(default=0)
    # How many times the address was locked in a row; each lock lasts twice the one before.
    lock_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class LoginChallenge(Base):
    """The short-lived second step of a login that needs a TOTP code."""

    __tablename__ = "login_challenges"
    __table_args__ = (Index("ix_login_challenges_token_hash", "token_hash", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    remember_cookie: Mapped[bool] = mapped_column(default=False)


class UserTotp(Base):
    """A user's TOTP secret, sealed with AES-GCM; confirmed once a first code matched."""

    __tablename__ = "user_totp"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    secret_sealed: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The last accepted time step; a code of that step or an earlier one is a replay.
    last_step: Mapped[int | None] = mapped_column(default=None)


class RecoveryCode(Base):
    """A single-use TOTP recovery code, stored as a keyed hash."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiClient(Base):
    """An API key or an OAuth 2.0 client: a secret with object, action and field scopes.

    ``kind`` is ``api_key`` (the secret is the bearer token) or ``oauth_client``
    (the secret buys short-lived access tokens). Only the SHA-256 of the secret
    is kept; ``prefix`` finds the row without it.
    """

    __tablename__ = "api_clients"
    __table_args__ = (Index("ix_api_clients_prefix", "prefix", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))
    # {"accounts": {"actions": ["read"], "fields": ["name", "city"] or null for all}}
    scopes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    allowed_ips: Mapped[list[str]] = mapped_column(default=list)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class OAuthAccessToken(Base):
    """A client-credentials access token; its scopes are those of its client or fewer."""

    __tablename__ = "oauth_access_tokens"
    __table_args__ = (Index("ix_oauth_access_tokens_token_hash", "token_hash", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
