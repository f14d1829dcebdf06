"""The fields of an object as people see them: built-in and custom, labelled, typed, classified.

Administration (classification, field permissions) and the import wizard's
column mapping both list fields from here, so a field has one label and one
classification everywhere. Built-in field labels live in the catalogs under
``field_label.<object>.<field>`` or, when the word is the same for every
object, ``field_label.<field>``.

Built-in choice fields come from the object's ``choice_fields``, with value
labels under ``field_choice.<object>.<field>.<value>``. A field is read-only
when the update body has no such field or the caller's role makes it read-only.

Classifications of built-in fields are overridden per tenant in
``Tenant.settings["field_classifications"]`` (``"contacts.mobile"`` to a
classification); custom fields carry theirs on their FieldDefinition row.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.audit.service import record_event
from zhike.core.db import Amount, UTCDateTime
from zhike.core.errors import NotFound, ValidationFailed
from zhike.core.i18n import load_catalog
from zhike.platform.classification import (
    SETTINGS_KEY,
    default_classification,
    load_classifications,
)
from zhike.platform.models import CLASSIFICATIONS, FieldDefinition
from zhike.platform.normalize import field_error
from zhike.platform.objects import get_object
from zhike.security.access import scope_select
from zhike.security.admin import require_administrator
from zhike.security.context import Actor
from zhike.security.models import Tenant

# Columns that the platform maintains, so no mapping, classification or edit applies to them.
MANAGED_COLUMNS = frozenset(
    {"id", "tenant_id", "created_at", "updated_at", "version", "deleted_at", "custom"}
)
FieldKind = Literal[
    "text", "integer", "decimal", "money", "boolean", "date", "datetime", "reference", "choice"
]


FieldUnit = Literal["seconds", "hours"]


class FieldInfo(BaseModel):
    name: str
    label: str
    label_zh: str
    label_en: str
    field_type: str
    is_custom: bool
    is_required: bool
    read_only: bool = Field(
        default=False,
        description="an update may not set this field, because the platform maintains it "
        "or the caller's role makes it read-only",
    )
    classification: str
    default_classification: str
    choices: list[str] | None = None
    choice_labels: dict[str, str] | None = Field(
        default=None, description="label of each choice value in the caller's language"
    )
    unit: FieldUnit | None = Field(
        default=None, description="unit of a number field that contains a duration"
    )


def field_label(object_name: str, field_name: str, locale: str) -> str:
    """Return the label of a built-in field in ``locale``, or the field name when there is none."""
    catalog = load_catalog(locale)
    return (
        catalog.get(f"field_label.{object_name}.{field_name}")
        or catalog.get(f"field_label.{field_name}")
        or field_name
    )


def choice_label(object_name: str, field_name: str, value: str, locale: str) -> str:
    """Return the label of a built-in choice value in ``locale``, or the value without one."""
    return load_catalog(locale).get(f"field_choice.{object_name}.{field_name}.{value}") or value


def _unit(name: str) -> FieldUnit | None:
    # Number columns that contain a duration are named after its unit, e.g. sla_paused_seconds.
    if name.endswith("_seconds"):
        return "seconds"
    if name.endswith("_hours"):
        return "hours"
    return None


def _column_type(column: Any) -> str:
    kind = column.type
    if column.foreign_keys or (column.key.endswith("_id") and column.key != "external_id"):
        return "reference"
    if isinstance(kind, Amount):
        return "money"
    if isinstance(kind, UTCDateTime):
        return "datetime"
    try:
        python_type = kind.python_type
    except NotImplementedError:
        return "text"
    names = {bool: "boolean", int: "integer", float: "decimal", str: "text"}
    if python_type in names:
        return names[python_type]
    return {"Decimal": "decimal", "date": "date", "datetime": "datetime"}.get(
        python_type.__name__, "text"
    )


def object_fields(session: Session, actor: Actor, object_name: str) -> list[FieldInfo]:
    """Return the built-in then the custom fields of an object, in the actor's language."""
    spec = get_object(object_name)
    overrides = load_classifications(session, actor.tenant_id)
    required = {
        name for name, info in spec.create_schema.model_fields.items() if info.is_required()
    }
    updatable = set(spec.update_schema.model_fields)
    grant = actor.grants.grant(object_name)
    role_blocked = (
        {name for name, access in grant.fields.items() if access in ("hidden", "read_only")}
        if grant is not None
        else set()
    )
    fields = []
    for column in spec.model.__table__.columns:
        if column.key in MANAGED_COLUMNS:
            continue
        default = default_classification(object_name, column.key)
        values = spec.choice_fields.get(column.key)
        field_type = "choice" if values is not None else _column_type(column)
        fields.append(
            FieldInfo(
                name=column.key,
                label=field_label(object_name, column.key, actor.locale),
                label_zh=field_label(object_name, column.key, "zh-CN"),
                label_en=field_label(object_name, column.key, "en"),
                field_type=field_type,
                is_custom=False,
                is_required=column.key in required,
                read_only=column.key not in updatable or column.key in role_blocked,
                classification=overrides.get((object_name, column.key), default),
                default_classification=default,
                choices=list(values) if values is not None else None,
                choice_labels=(
                    {
                        value: choice_label(object_name, column.key, value, actor.locale)
                        for value in values
                    }
                    if values is not None
                    else None
                ),
                unit=_unit(column.key) if field_type in ("integer", "decimal") else None,
            )
        )
    definitions = session.scalars(
        scope_select(actor, FieldDefinition, select(FieldDefinition))
        .where(FieldDefinition.object_name == object_name)
        .order_by(FieldDefinition.name)
    )
    for definition in definitions:
        fields.append(
            FieldInfo(
                name=f"custom.{definition.name}",
                label=definition.label_zh if actor.locale == "zh-CN" else definition.label_en,
                label_zh=definition.label_zh,
                label_en=definition.label_en,
                field_type=definition.field_type,
                is_custom=True,
                is_required=False,
                read_only=definition.name in role_blocked,
                classification=definition.classification,
                default_classification="internal",
                choices=definition.choices,
            )
        )
    return fields


def set_classification(
    session: Session, actor: Actor, object_name: str, field_name: str, classification: str
) -> FieldInfo:
    """Classify one field of an object for the tenant (administrators only). Audited."""
    require_administrator(actor)
    if classification not in CLASSIFICATIONS:
        raise ValidationFailed(
            [
                field_error(
                    actor,
                    "classification",
                    classification,
                    "invalid_choice",
                    allowed=", ".join(CLASSIFICATIONS),
                )
            ]
        )
    known = {info.name: info for info in object_fields(session, actor, object_name)}
    if field_name not in known:
        raise NotFound("field_not_found", object=object_name, name=field_name)
    before = known[field_name].classification
    if known[field_name].is_custom:
        definition = session.scalar(
            scope_select(actor, FieldDefinition, select(FieldDefinition)).where(
                FieldDefinition.object_name == object_name,
                FieldDefinition.name == field_name.removeprefix("custom."),
            )
        )
        if definition is None:
            raise NotFound("field_not_found", object=object_name, name=field_name)
        definition.classification = classification
    else:
        tenant = session.get(Tenant, actor.tenant_id)
        if tenant is None:
            raise NotFound("tenant_not_found", slug=str(actor.tenant_id))
        settings = dict(tenant.settings or {})
        stored = dict(settings.get(SETTINGS_KEY) or {})
        key = f"{object_name}.{field_name}"
        if classification == default_classification(object_name, field_name):
            stored.pop(key, None)
        else:
            stored[key] = classification
        settings[SETTINGS_KEY] = stored
        tenant.settings = settings
    session.flush()
    actor.cache.pop("classifications", None)
    record_event(
        session,
        actor,
        "permission.change",
        object_name="field_classifications",
        changes={f"{object_name}.{field_name}": [before, classification]},
    )
    fields = {info.name: info for info in object_fields(session, actor, object_name)}
    return fields[field_name]
