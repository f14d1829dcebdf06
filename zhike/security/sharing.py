"""Administration of access: custom roles, sharing rules, manual shares and reveals.

Every change here is a permission change and is written to the audit log in
the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhike.core.timeutil import utc_now
from zhike.platform.objects import get_object
from zhike.platform.query import build_condition
from zhike.platform.records import RecordService
from zhike.security.access import require
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.fields import can_reveal, hidden_fields, sensitive_field_kinds
from zhike.security.models import RecordShare, Role, SharingRule, Team, User
from zhike.security.roles import ALL_OBJECTS, BUILTIN_ROLES, RoleDefinition


def list_roles(session: Session, actor: Actor) -> list[RoleDefinition]:
    require_administrator(actor)
    custom = session.scalars(
        select(Role).where(Role.tenant_id == actor.tenant_id, Role.deleted_at.is_(None))
    )
    roles = list(BUILTIN_ROLES.values())
    for row in custom:
        roles.append(_definition(row))
    return roles


def _definition(row: Role) -> RoleDefinition:
    return RoleDefinition.model_validate(
        {**row.definition, "key": row.key, "name_zh": row.name_zh, "name_en": row.name_en}
    )


def _check_objects(definition: RoleDefinition) -> None:
    unknown = sorted(set(definition.objects) - set(ALL_OBJECTS))
    if unknown:
        raise InvalidInput(
            "unknown_objects", names=", ".join(unknown), known=", ".join(ALL_OBJECTS)
        )


def save_role(session: Session, actor: Actor, definition: RoleDefinition) -> RoleDefinition:
    """Create or replace a custom role; built-in roles cannot be changed."""
    require_administrator(actor)
    if definition.key in BUILTIN_ROLES or definition.key == "system":
        raise Conflict("builtin_role", key=definition.key)
    _check_objects(definition)
    stored = definition.model_dump(mode="json", exclude={"key", "name_zh", "name_en", "is_builtin"})
    row = session.scalar(
        select(Role).where(
            Role.tenant_id == actor.tenant_id, Role.key == definition.key, Role.deleted_at.is_(None)
        )
    )
    before = row.definition if row is not None else None
    if row is None:
        row = Role(tenant_id=actor.tenant_id, key=definition.key, name_zh="", name_en="")
        session.add(row)
    row.name_zh = definition.name_zh
    row.name_en = definition.name_en
    row.definition = stored
    session.flush()
    record_event(
        session,
        actor,
        "permission.change",
        object_name="roles",
        record_id=row.id,
        changes={"definition": [before, stored]},
        details={"role": definition.key},
    )
    return _definition(row)


def delete_role(session: Session, actor: Actor, key: str) -> None:
    require_administrator(actor)
    row = session.scalar(
        select(Role).where(
            Role.tenant_id == actor.tenant_id, Role.key == key, Role.deleted_at.is_(None)
        )
    )
    if row is None:
        raise NotFound("role_not_found", key=key)
    holders = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.tenant_id == actor.tenant_id, User.role == key, User.deleted_at.is_(None))
    )
    if holders:
        raise Conflict("role_in_use", key=key, count=holders)
    row.deleted_at = utc_now()
    record_event(
        session,
        actor,
        "permission.change",
        object_name="roles",
        record_id=row.id,
        details={"role": key, "deleted": True},
    )


def list_sharing_rules(session: Session, actor: Actor) -> list[SharingRule]:
    require_administrator(actor)
    return list(
        session.scalars(
            select(SharingRule)
            .where(SharingRule.tenant_id == actor.tenant_id, SharingRule.deleted_at.is_(None))
            .order_by(SharingRule.id)
        )
    )


def create_sharing_rule(session: Session, actor: Actor, values: dict[str, Any]) -> SharingRule:
    require_administrator(actor)
    spec = get_object(values["object_name"])
    if (values.get("role_key") is None) == (values.get("team_id") is None):
        raise InvalidInput("share_target_required")
    allowed = tuple(spec.filter_fields)
    for key, raw in (values.get("filters") or {}).items():
        # Compiling now rejects an unknown field or a bad value before the rule is stored.
        build_condition(spec.model, key, str(raw), allowed)
    if values.get("team_id") is not None:
        _require_team(session, actor, values["team_id"])
    if values.get("role_key") is not None:
        _require_role(session, actor, values["role_key"])
    rule = SharingRule(tenant_id=actor.tenant_id, **values)
    session.add(rule)
    session.flush()
    record_event(
        session,
        actor,
        "permission.change",
        object_name="sharing_rules",
        record_id=rule.id,
        details={
            "object": rule.object_name,
            "filters": rule.filters,
            "role": rule.role_key,
            "team_id": str(rule.team_id) if rule.team_id else None,
            "can_edit": rule.can_edit,
        },
    )
    return rule


def delete_sharing_rule(session: Session, actor: Actor, rule_id: uuid.UUID) -> None:
    require_administrator(actor)
    rule = session.scalar(
        select(SharingRule).where(
            SharingRule.tenant_id == actor.tenant_id,
            SharingRule.id == rule_id,
            SharingRule.deleted_at.is_(None),
        )
    )
    if rule is None:
        raise NotFound("sharing_rule_not_found", id=str(rule_id))
    rule.deleted_at = utc_now()
    record_event(
        session,
        actor,
        "permission.change",
        object_name="sharing_rules",
        record_id=rule.id,
        details={"deleted": True},
    )


def _require_team(session: Session, actor: Actor, team_id: uuid.UUID) -> None:
    found = session.scalar(
        select(Team.id).where(Team.tenant_id == actor.tenant_id, Team.id == team_id)
    )
    if found is None:
        raise InvalidInput("team_not_found", id=str(team_id))


def _require_user(session: Session, actor: Actor, user_id: uuid.UUID) -> None:
    active = session.scalar(
        select(User.is_active).where(User.tenant_id == actor.tenant_id, User.id == user_id)
    )
    if active is None:
        raise InvalidInput("user_not_found", id=str(user_id))
    if not active:
        raise InvalidInput("user_inactive", id=str(user_id))


def _require_role(session: Session, actor: Actor, key: str) -> None:
    if key in BUILTIN_ROLES:
        return
    found = session.scalar(
        select(Role.id).where(
            Role.tenant_id == actor.tenant_id, Role.key == key, Role.deleted_at.is_(None)
        )
    )
    if found is None:
        raise InvalidInput("role_not_found", key=key)


def share_record(
    session: Session, actor: Actor, object_name: str, record_id: uuid.UUID, values: dict[str, Any]
) -> tuple[RecordShare, bool]:
    """Share one record; only someone who may edit the record may share it.

    Returns the share and whether it is new: sharing again with the same target updates it.
    """
    spec = get_object(object_name)
    RecordService(session, actor, spec).get(record_id, "update")
    targets = [values.get("user_id"), values.get("team_id"), values.get("role_key")]
    if sum(target is not None for target in targets) != 1:
        raise InvalidInput("share_target_required")
    if values.get("user_id") is not None:
        _require_user(session, actor, values["user_id"])
    if values.get("team_id") is not None:
        _require_team(session, actor, values["team_id"])
    if values.get("role_key") is not None:
        _require_role(session, actor, values["role_key"])
    existing = session.scalars(
        select(RecordShare).where(
            RecordShare.tenant_id == actor.tenant_id,
            RecordShare.object_name == object_name,
            RecordShare.record_id == record_id,
            *(
                column.is_(None) if values.get(key) is None else column == values[key]
                for key, column in (
                    ("user_id", RecordShare.user_id),
                    ("team_id", RecordShare.team_id),
                    ("role_key", RecordShare.role_key),
                )
            ),
        )
    ).first()
    created = existing is None
    if existing is not None:
        # Sharing again with the same target changes the access level instead of adding a twin.
        share = existing
        share.can_edit = bool(values.get("can_edit", False))
    else:
        share = RecordShare(
            tenant_id=actor.tenant_id,
            object_name=object_name,
            record_id=record_id,
            created_by_id=actor.user_id,
            **values,
        )
        session.add(share)
    session.flush()
    record_event(
        session,
        actor,
        "permission.change",
        object_name=object_name,
        record_id=record_id,
        details={
            "share_id": str(share.id),
            "user_id": _text(share.user_id),
            "team_id": _text(share.team_id),
            "role": share.role_key,
            "can_edit": share.can_edit,
        },
    )
    return share, created


def list_shares(
    session: Session, actor: Actor, object_name: str, record_id: uuid.UUID
) -> list[RecordShare]:
    RecordService(session, actor, get_object(object_name)).get(record_id)
    return list(
        session.scalars(
            select(RecordShare)
            .where(
                RecordShare.tenant_id == actor.tenant_id,
                RecordShare.object_name == object_name,
                RecordShare.record_id == record_id,
            )
            .order_by(RecordShare.id)
        )
    )


def unshare_record(
    session: Session, actor: Actor, object_name: str, record_id: uuid.UUID, share_id: uuid.UUID
) -> None:
    RecordService(session, actor, get_object(object_name)).get(record_id, "update")
    share = session.scalar(
        select(RecordShare).where(
            RecordShare.tenant_id == actor.tenant_id,
            RecordShare.id == share_id,
            RecordShare.record_id == record_id,
        )
    )
    if share is None:
        raise NotFound("share_not_found", id=str(share_id))
    session.delete(share)
    record_event(
        session,
        actor,
        "permission.change",
        object_name=object_name,
        record_id=record_id,
        details={"share_id": str(share_id), "deleted": True},
    )


def reveal(
    session: Session,
    actor: Actor,
    object_name: str,
    record_id: uuid.UUID,
    fields: list[str],
    reason: str | None = None,
) -> dict[str, Any]:
    """Return the clear values of sensitive fields and record who saw which ones."""
    spec = get_object(object_name)
    require(actor, object_name, "read")
    if not can_reveal(actor, object_name):
        raise Forbidden("reveal_forbidden", object=object_name)
    service = RecordService(session, actor, spec)
    record = service.get(record_id)
    data = spec.read_schema.model_validate(record).model_dump(mode="json")
    hidden = hidden_fields(actor, object_name)
    custom = data.get("custom") or {}
    revealed: dict[str, Any] = {}
    for name in fields:
        key = name.removeprefix("custom.")
        if name in hidden or key in hidden:
            raise Forbidden("reveal_forbidden", object=object_name)
        if name.startswith("custom.") and key in custom:
            revealed[name] = custom[key]
        elif name in data and name != "custom":
            revealed[name] = data[name]
        else:
            raise InvalidInput("unknown_field", field=name)
    sensitive = sensitive_field_kinds(session, actor, object_name, revealed)
    record_event(
        session,
        actor,
        "reveal",
        object_name=object_name,
        record_id=record_id,
        details={"fields": sorted(revealed), "sensitive": sorted(sensitive), "reason": reason},
    )
    return revealed


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None
