"""Field-level security: hidden and read-only fields per role, and masking by classification.

``present`` turns a record into what the actor may see; every output path
(record view, list, export, timeline, search) goes through it. Sensitive and
highly sensitive values are masked for every person, including those whose
role has the reveal right: for them, seeing the clear value is the explicit,
audited reveal action. Only system jobs see clear values without a reveal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from zhike.core.errors import Forbidden, ValidationFailed
from zhike.core.i18n import translate
from zhike.platform.classification import (
    HIGHLY_SENSITIVE,
    SENSITIVE,
    classify_field,
    load_classifications,
)
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
    return {
        name: _MASK_KINDS.get(name.removeprefix("custom."), MaskKind.AUTO)
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
    for name in masked_fields(session, actor, object_name, list(shown)):
        shown[name] = mask_value(shown[name], _MASK_KINDS.get(name, MaskKind.AUTO))
    custom = shown.get("custom")
    if isinstance(custom, dict) and custom:
        visible = {key: value for key, value in custom.items() if key not in hidden}
        for key in masked_fields(session, actor, object_name, list(visible)):
            visible[key] = mask_value(visible[key])
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
            masks = {
                name: _MASK_KINDS.get(name, MaskKind.AUTO)
                for name in masked_fields(session, actor, object_name, names)
            }
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
                    visible[key] = mask_value(visible[key])
            shown["custom"] = visible
        shown_rows.append(shown)
    return shown_rows


def check_writable(actor: Actor, object_name: str, values: dict[str, Any]) -> None:
    """Reject writes to fields that the role hides or makes read-only."""
    grant = actor.grants.grant(object_name)
    if grant is None:
        raise Forbidden("action_forbidden", action="update", object=object_name)
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
