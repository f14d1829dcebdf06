"""API keys and OAuth clients: least-privilege scopes turned into an Actor.

A secret is shown once. Its form is ``zk_<prefix>_<secret>``: the prefix
finds the row, and the SHA-256 of the whole string is compared in constant
time. SHA-256 suffices here (unlike passwords) because the secret carries 256
bits of randomness that no dictionary can guess.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import ActorKind, AuditAction, record_event
from zhike.core.errors import NotFound, Unauthorized, ValidationFailed
from zhike.core.i18n import translate
from zhike.core.timeutil import ensure_utc
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.models import ApiClient, Tenant
from zhike.security.roles import ACTIONS, ALL_OBJECTS, FieldAccess, ObjectGrant, RoleDefinition

API_KEY_PREFIX = "zk_"
ClientKind = Literal["api_key", "oauth_client"]
# Updating last_used_at on every call would turn each read into a write.
LAST_USED_INTERVAL = timedelta(seconds=60)
ALWAYS_VISIBLE = frozenset({"id"})


class ObjectScope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actions: list[str] = Field(min_length=1)
    fields: list[str] | None = Field(
        default=None, description="fields the client may see and write; null for all"
    )

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ACTIONS))
        if unknown:
            raise ValueError(f"unknown actions {unknown}; use {', '.join(ACTIONS)}")
        return sorted(set(value))


def _scope_error(actor: Actor, field: str, value: Any, code: str, **params: Any) -> dict[str, Any]:
    return {
        "field": field,
        "value": value,
        "code": code,
        "message": translate(f"error.{code}", actor.locale, **params),
    }


def object_fields(session: Session, tenant_id: uuid.UUID, object_name: str) -> set[str]:
    """Every standard and custom field name of an object, for allow-lists."""
    from zhike.platform.models import FieldDefinition
    from zhike.platform.objects import all_objects

    names: set[str] = set()
    for spec in all_objects():
        if spec.name == object_name:
            names |= set(spec.read_schema.model_fields)
            names |= set(spec.model.__table__.c.keys())
    custom = session.scalars(
        select(FieldDefinition.name).where(
            FieldDefinition.tenant_id == tenant_id, FieldDefinition.object_name == object_name
        )
    )
    names |= set(custom)
    names.discard("custom")
    return names


def validate_scopes(session: Session, actor: Actor, raw: dict[str, Any]) -> dict[str, Any]:
    """Check object names, actions and field names; return the scopes as stored."""
    errors: list[dict[str, Any]] = []
    scopes: dict[str, Any] = {}
    if not raw:
        errors.append(_scope_error(actor, "scopes", None, "scopes_empty"))
    for object_name, value in raw.items():
        if object_name not in ALL_OBJECTS:
            errors.append(
                _scope_error(
                    actor,
                    f"scopes.{object_name}",
                    object_name,
                    "unknown_scope_object",
                    allowed=", ".join(ALL_OBJECTS),
                )
            )
            continue
        try:
            scope = ObjectScope.model_validate(value)
        except ValueError as error:
            errors.append(
                _scope_error(
                    actor,
                    f"scopes.{object_name}",
                    None,
                    "invalid_scope_definition",
                    reason=str(error),
                )
            )
            continue
        if scope.fields is not None:
            known = object_fields(session, actor.tenant_id, object_name)
            unknown = sorted(set(scope.fields) - known)
            if unknown:
                errors.append(
                    _scope_error(
                        actor,
                        f"scopes.{object_name}.fields",
                        unknown,
                        "unknown_fields",
                        fields=", ".join(unknown),
                    )
                )
                continue
        scopes[object_name] = scope.model_dump()
    if errors:
        raise ValidationFailed(errors)
    return scopes


def narrow_scopes(granted: dict[str, Any], requested: dict[str, list[str]]) -> dict[str, Any]:
    """The part of ``granted`` that ``requested`` ({object: [actions]}) asks for."""
    narrowed: dict[str, Any] = {}
    for object_name, actions in requested.items():
        scope = granted.get(object_name)
        if scope is None:
            continue
        kept = sorted(set(actions) & set(scope["actions"]))
        if kept:
            narrowed[object_name] = {**scope, "actions": kept}
    return narrowed


def grants_for(session: Session, tenant_id: uuid.UUID, scopes: dict[str, Any]) -> RoleDefinition:
    """A role holding exactly the scopes: company rows, fields outside the allow-list hidden."""
    objects: dict[str, ObjectGrant] = {}
    for object_name, scope in scopes.items():
        if object_name not in ALL_OBJECTS:
            continue
        fields: dict[str, FieldAccess] = {}
        if scope.get("fields") is not None:
            allowed = set(scope["fields"]) | ALWAYS_VISIBLE
            hidden = sorted(object_fields(session, tenant_id, object_name) - allowed)
            fields = dict.fromkeys(hidden, "hidden")
        objects[object_name] = ObjectGrant(
            actions=frozenset(scope["actions"]) & frozenset(ACTIONS), scope="company", fields=fields
        )
    return RoleDefinition(key="api_key", name_zh="API 密钥", name_en="API key", objects=objects)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(
    session: Session,
    actor: Actor,
    *,
    kind: ClientKind,
    name: str,
    scopes: dict[str, Any],
    expires_at: datetime | None,
    allowed_ips: list[str],
    now: datetime,
) -> tuple[ApiClient, str]:
    """Create an API key or OAuth client; return it with its secret, which is never shown again."""
    require_administrator(actor)
    stored = validate_scopes(session, actor, scopes)
    if expires_at is not None and ensure_utc(expires_at) <= now:
        raise ValidationFailed(
            [_scope_error(actor, "expires_at", expires_at.isoformat(), "expiry_in_past")]
        )
    prefix = secrets.token_hex(8)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient(
        tenant_id=actor.tenant_id,
        kind=kind,
        name=name,
        prefix=prefix,
        secret_hash=_digest(secret),
        scopes=stored,
        allowed_ips=allowed_ips,
        created_by_id=actor.user_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(client)
    session.flush()
    record_event(
        session,
        actor,
        f"{kind}.create",
        object_name="api_client",
        record_id=client.id,
        details={"name": name, "scopes": stored, "expires_at": expires_at},
    )
    return client, secret


def list_clients(session: Session, actor: Actor, kind: ClientKind) -> list[ApiClient]:
    require_administrator(actor)
    return list(
        session.scalars(
            select(ApiClient)
            .where(ApiClient.tenant_id == actor.tenant_id, ApiClient.kind == kind)
            .order_by(ApiClient.created_at.desc(), ApiClient.id)
        )
    )


def revoke_client(
    session: Session, actor: Actor, kind: ClientKind, client_id: uuid.UUID, *, now: datetime
) -> ApiClient:
    require_administrator(actor)
    client = session.scalar(
        select(ApiClient).where(
            ApiClient.id == client_id,
            ApiClient.tenant_id == actor.tenant_id,
            ApiClient.kind == kind,
        )
    )
    if client is None:
        raise NotFound("record_not_found", object=f"{kind}s", id=str(client_id))
    if client.revoked_at is None:
        client.revoked_at = now
        session.flush()
        record_event(
            session, actor, f"{kind}.revoke", object_name="api_client", record_id=client.id
        )
    return client


def find_client(session: Session, secret: str, kind: ClientKind, *, now: datetime) -> ApiClient:
    """Return the live client whose secret this is, or raise 401 (one message for every failure)."""
    body = secret.removeprefix(API_KEY_PREFIX)
    prefix, _, _ = body.partition("_")
    client = session.scalar(
        select(ApiClient).where(ApiClient.prefix == prefix, ApiClient.kind == kind)
    )
    if client is None or not hmac.compare_digest(client.secret_hash, _digest(secret)):
        raise Unauthorized("invalid_api_key")
    if client.revoked_at is not None or (
        client.expires_at is not None and ensure_utc(client.expires_at) <= now
    ):
        raise Unauthorized("expired_api_key")
    return client


def client_actor(
    session: Session, tenant: Tenant, client: ApiClient, scopes: dict[str, Any] | None = None
) -> Actor:
    return Actor(
        tenant_id=tenant.id,
        user_id=None,
        role="api_key",
        locale=tenant.locale,
        timezone=tenant.timezone,
        region=tenant.region,
        currency=tenant.currency,
        grants=grants_for(session, tenant.id, client.scopes if scopes is None else scopes),
    )


def note_use(
    session: Session,
    actor: Actor,
    client: ApiClient,
    *,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> None:
    """Stamp last_used_at and audit the use, at most once a minute per client."""
    last = client.last_used_at
    if last is not None and now - ensure_utc(last) < LAST_USED_INTERVAL:
        return
    client.last_used_at = now
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.API_KEY_USE,
        actor_kind=ActorKind.API_KEY,
        object_name="api_client",
        record_id=client.id,
        details={"name": client.name, "kind": client.kind},
        ip=ip,
        user_agent=user_agent,
    )


def resolve_api_key(
    session: Session,
    secret: str,
    *,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[Actor, ApiClient]:
    client = find_client(session, secret, "api_key", now=now)
    tenant = session.get(Tenant, client.tenant_id)
    if tenant is None:
        raise Unauthorized("invalid_api_key")
    actor = client_actor(session, tenant, client)
    note_use(session, actor, client, now=now, ip=ip, user_agent=user_agent)
    return actor, client
