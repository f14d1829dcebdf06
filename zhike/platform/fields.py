"""Custom field definitions: what administrators add to an object's ``custom`` values."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, NotFound, ValidationFailed
from zhike.platform.models import CLASSIFICATIONS, FIELD_TYPES, FieldDefinition
from zhike.platform.normalize import field_error
from zhike.platform.objects import all_objects
from zhike.security.access import scope_select
from zhike.security.admin import require_administrator
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

FieldName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,62}$")
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Choice = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class FieldDefinitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: str = Field(description="object name, such as contacts")
    name: FieldName
    field_type: str = Field(default="text", description=", ".join(FIELD_TYPES))
    label_zh: Label
    label_en: Label
    classification: str = Field(default="internal", description=", ".join(CLASSIFICATIONS))
    choices: list[Choice] | None = Field(default=None, max_length=500)


class FieldDefinitionUpdate(BaseModel):
    """The type and name stay fixed once values may have been stored under them."""

    model_config = ConfigDict(extra="forbid")

    label_zh: Label | None = None
    label_en: Label | None = None
    classification: str | None = None
    choices: list[Choice] | None = Field(default=None, max_length=500)


class FieldDefinitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    object: str = Field(validation_alias="object_name")
    name: str
    field_type: str
    label_zh: str
    label_en: str
    classification: str
    choices: list[str] | None
    version: int


def _check(actor: Actor, values: dict[str, Any], field_type: str) -> None:
    errors = []
    objects = sorted(spec.name for spec in all_objects())
    if "object_name" in values and values["object_name"] not in objects:
        errors.append(
            field_error(
                actor, "object", values["object_name"], "invalid_choice", allowed=", ".join(objects)
            )
        )
    if "field_type" in values and values["field_type"] not in FIELD_TYPES:
        errors.append(
            field_error(
                actor,
                "field_type",
                values["field_type"],
                "invalid_choice",
                allowed=", ".join(FIELD_TYPES),
            )
        )
    classification = values.get("classification")
    if classification is not None and classification not in CLASSIFICATIONS:
        errors.append(
            field_error(
                actor,
                "classification",
                classification,
                "invalid_choice",
                allowed=", ".join(CLASSIFICATIONS),
            )
        )
    if field_type == "choice" and "choices" in values and not values["choices"]:
        errors.append(field_error(actor, "choices", None, "choices_required"))
    if errors:
        raise ValidationFailed(errors)


def list_fields(
    session: Session, actor: Actor, object_name: str | None = None
) -> list[FieldDefinition]:
    statement = scope_select(actor, FieldDefinition, select(FieldDefinition))
    if object_name:
        statement = statement.where(FieldDefinition.object_name == object_name)
    return list(
        session.scalars(statement.order_by(FieldDefinition.object_name, FieldDefinition.name))
    )


def create_field(session: Session, actor: Actor, data: FieldDefinitionCreate) -> FieldDefinition:
    require_administrator(actor)
    values = data.model_dump()
    values["object_name"] = values.pop("object")
    if values["field_type"] == "choice" and values["choices"] is None:
        values["choices"] = []
    _check(actor, values, values["field_type"])
    existing = session.scalar(
        select(FieldDefinition).where(
            FieldDefinition.tenant_id == actor.tenant_id,
            FieldDefinition.object_name == values["object_name"],
            FieldDefinition.name == values["name"],
        )
    )
    if existing is not None and existing.deleted_at is None:
        raise Conflict("field_exists", object=values["object_name"], name=values["name"])
    if existing is not None:
        # The unique key still holds the soft-deleted definition: bring it back redefined.
        for name, value in values.items():
            setattr(existing, name, value)
        existing.deleted_at = None
        definition = existing
    else:
        definition = FieldDefinition(tenant_id=actor.tenant_id, **values)
        session.add(definition)
    session.flush()
    logger.info("field defined", extra={"object": definition.object_name, "field": definition.name})
    return definition


def get_field(session: Session, actor: Actor, field_id: uuid.UUID) -> FieldDefinition:
    definition = session.scalar(
        scope_select(actor, FieldDefinition, select(FieldDefinition)).where(
            FieldDefinition.id == field_id
        )
    )
    if definition is None:
        raise NotFound("record_not_found", object="fields", id=str(field_id))
    return definition


def update_field(
    session: Session, actor: Actor, field_id: uuid.UUID, data: FieldDefinitionUpdate
) -> FieldDefinition:
    require_administrator(actor)
    definition = get_field(session, actor, field_id)
    values = data.model_dump(exclude_unset=True)
    for name in ("label_zh", "label_en", "classification"):
        if name in values and values[name] is None:
            raise ValidationFailed([field_error(actor, name, None, "required")])
    _check(actor, values, definition.field_type)
    for name, value in values.items():
        setattr(definition, name, value)
    session.flush()
    return definition
