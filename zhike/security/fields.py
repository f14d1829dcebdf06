"""Field-level security: hidden and read-only fields per role, and masking by classification.

``present`` turns a record into what the actor may see; every output path
(record view, list, export, timeline, search) goes through it. Sensitive and
highly sensitive values are masked for every person, including those whose
role has the reveal right: for them, seeing the clear value is the explicit,
audited reveal action. Only system jobs see clear values without a reveal.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import NotFound, ValidationFailed
from zhike.core.i18n import translate
from zhike.platform.classification import (
    HIGHLY_SENSITIVE,
    SENSITIVE,
    classify_field,
    load_classifications,
)
from zhike.security.access import action_forbidden
from zhike.security.context import Actor
from zhike.security.masking import MaskKind, mask_value

MASKED_CLASSIFICATIONS = frozenset({SENSITIVE, HIGHLY_SENSITIVE})
# Names identify the record in every list and link, so they are never masked for
# display; the LLM gateway still treats them as personal data.
DISPLAY_IDENTIFIERS = frozenset({"name"})
_MASK_KINDS = {
    "mobile": MaskKind.MOBILE,
    "phone": MaskKind.MOBILE,
    "email": MaskKind.EMAIL,
    "id_number": MaskKind.ID_NUMBER,
    "bank_card": MaskKind.BANK_CARD,
}
# Built-in text columns that hold a coded value from a fixed list, masked whole as a choice.
# Columns typed as a Literal or an Enum in the read schema are found without a listing.
_BUILT_IN_CHOICES = {
    "contacts": frozenset({"gender"}),
    "leads": frozenset({"status", "lead_source"}),
    "accounts": frozenset({"tier"}),
}


def _schema_choices(object_name: str) -> frozenset[str]:
    """Return the read schema's fields typed as a Literal or an Enum (or an optional one)."""
    from zhike.platform.objects import get_object

    try:
        schema = get_object(object_name).read_schema
    except NotFound:
        return frozenset()
    found = set()
    for name, info in schema.model_fields.items():
        options = get_args(info.annotation) if get_origin(info.annotation) in _UNIONS else ()
        for annotation in (info.annotation, *options):
            if get_origin(annotation) is Literal or (
                isinstance(annotation, type) and issubclass(annotation, Enum)
            ):
                found.add(name)
    return frozenset(found)


_UNIONS = (Union, UnionType)


def choice_fields(session: Session, actor: Actor, object_name: str) -> frozenset[str]:
    """Return the object's choice fields: built-in ones, and custom ones as ``custom.<name>``."""
    key = f"choice_fields:{object_name}"
    cached = actor.cache.get(key)
    if cached is None:
        from zhike.platform.models import FieldDefinition

        custom = session.scalars(
            select(FieldDefinition.name).where(
                FieldDefinition.tenant_id == actor.tenant_id,
                FieldDefinition.object_name == object_name,
                FieldDefinition.field_type == "choice",
            )
        )
        cached = (
            _BUILT_IN_CHOICES.get(object_name, frozenset())
            | _schema_choices(object_name)
            | {f"custom.{name}" for name in custom}
        )
        actor.cache[key] = cached
    return frozenset(cached)


def mask_kind(choices: frozenset[str], name: str) -> MaskKind:
    """Return how to mask field ``name`` (``custom.<name>`` for a custom field)."""
    if name in choices:
        return MaskKind.CHOICE
    return _MASK_KINDS.get(name.removeprefix("custom."), MaskKind.AUTO)


def _overrides(session: Session, actor: Actor) -> dict[tuple[str, str], str]:
    cached = actor.cache.get("classifications")
    if cached is None:
        cached = load_classifications(session, actor.tenant_id)
        actor.cache["classifications"] = cached
    return dict(cached)


def sensitive_field_kinds(
    session: Session, actor: Actor, object_name: str, names: Iterable[str]
) -> dict[str, MaskKind]:
    """Return how to mask each sensitive field of ``names`` in the audit log, for any actor."""
    overrides = _overrides(session, actor)
    choices = choice_fields(session, actor, object_name)
    return {
        name: mask_kind(choices, name)
        for name in names
        if classify_field(object_name, name.removeprefix("custom."), overrides)
        in MASKED_CLASSIFICATIONS
    }


def masked_fields(
    session: Session, actor: Actor, object_name: str, names: Iterable[str]
) -> set[str]:
    """Return the fields of ``names`` whose values are shown masked to the actor."""
    if actor.is_system:
        return set()
    overrides = _overrides(session, actor)
    return {
        name
        for name in names
        if name not in DISPLAY_IDENTIFIERS
        and classify_field(object_name, name, overrides) in MASKED_CLASSIFICATIONS
    }


def hidden_fields(actor: Actor, object_name: str) -> set[str]:
    grant = actor.grants.grant(object_name)
    if grant is None:
        return set()
    return {name for name, access in grant.fields.items() if access == "hidden"}


def present(
    session: Session, actor: Actor, object_name: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Remove hidden fields and mask sensitive ones, including custom fields."""
    hidden = hidden_fields(actor, object_name)
    shown = {name: value for name, value in data.items() if name not in hidden}
    masked = masked_fields(session, actor, object_name, list(shown))
    choices = choice_fields(session, actor, object_name) if masked else frozenset()
    for name in masked:
        shown[name] = mask_value(shown[name], mask_kind(choices, name))
    custom = shown.get("custom")
    if isinstance(custom, dict) and custom:
        visible = {key: value for key, value in custom.items() if key not in hidden}
        masked_custom = masked_fields(session, actor, object_name, list(visible))
        if masked_custom:
            choices = choice_fields(session, actor, object_name)
        for key in masked_custom:
            visible[key] = mask_value(visible[key], mask_kind(choices, f"custom.{key}"))
        shown["custom"] = visible
    return shown


def present_many(
    session: Session, actor: Actor, object_name: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``present`` for a page of rows: which fields to hide and mask is decided once."""
    hidden = hidden_fields(actor, object_name)
    kinds: dict[tuple[str, ...], dict[str, MaskKind]] = {}
    custom_masked: dict[str, bool] = {}
    shown_rows = []
    for row in rows:
        shown = {name: value for name, value in row.items() if name not in hidden}
        names = tuple(shown)
        masks = kinds.get(names)
        if masks is None:
            masked = masked_fields(session, actor, object_name, names)
            choices = choice_fields(session, actor, object_name) if masked else frozenset()
            masks = {name: mask_kind(choices, name) for name in masked}
            kinds[names] = masks
        for name, kind in masks.items():
            shown[name] = mask_value(shown[name], kind)
        custom = shown.get("custom")
        if isinstance(custom, dict) and custom:
            visible = {key: value for key, value in custom.items() if key not in hidden}
            for key in visible:
                if key not in custom_masked:
                    custom_masked[key] = bool(masked_fields(session, actor, object_name, [key]))
                if custom_masked[key]:
                    choices = choice_fields(session, actor, object_name)
                    visible[key] = mask_value(visible[key], mask_kind(choices, f"custom.{key}"))
            shown["custom"] = visible
        shown_rows.append(shown)
    return shown_rows


def check_writable(actor: Actor, object_name: str, values: dict[str, Any]) -> None:
    """Reject writes to fields that the role hides or makes read-only."""
    grant = actor.grants.grant(object_name)
    if grant is None:
        raise action_forbidden("update", object_name)
    names = set(values) | {f"{key}" for key in (values.get("custom") or {})}
    blocked = sorted(name for name in names if grant.fields.get(name) in ("hidden", "read_only"))
    if blocked:
        raise ValidationFailed(
            [
                {
                    "field": name,
                    "value": None,
                    "code": "field_read_only",
                    "message": translate("error.field_read_only", actor.locale, field=name),
                }
                for name in blocked
            ]
        )


def can_reveal(actor: Actor, object_name: str) -> bool:
    grant = actor.grants.grant(object_name)
    return bool(grant and grant.can_reveal and "read" in grant.actions)
