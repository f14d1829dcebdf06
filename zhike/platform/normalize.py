"""Reusable normalisers that object declarations combine.

Each normaliser checks and rewrites the incoming values and collects every
problem before raising, so a caller sees all invalid fields at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.db import Base
from zhike.core.errors import ValidationFailed
from zhike.core.i18n import translate
from zhike.core.money import CURRENCY_EXPONENTS
from zhike.ingestion import standardize
from zhike.platform.objects import Normalizer
from zhike.security.context import Actor


def field_error(actor: Actor, field: str, value: Any, code: str, **params: Any) -> dict[str, Any]:
    shown = value if value is None or isinstance(value, int | float | bool) else str(value)[:200]
    return {
        "field": field,
        "value": shown,
        "code": code,
        "message": translate(f"error.{code}", actor.locale, field=field, value=shown, **params),
    }


def standardized_fields(
    phones: tuple[str, ...] = (),
    mobiles: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    credit_codes: tuple[str, ...] = (),
    id_numbers: tuple[str, ...] = (),
    texts: tuple[str, ...] = ("name",),
) -> Normalizer:
    """Build a normaliser for the contact-data fields of an object."""
    rules: list[tuple[tuple[str, ...], Callable[[str, str], str]]] = [
        (phones, standardize.normalize_phone),
        (mobiles, standardize.normalize_mobile),
        (emails, lambda value, _region: standardize.normalize_email(value)),
        (credit_codes, lambda value, _region: standardize.normalize_credit_code(value)),
        (id_numbers, lambda value, _region: standardize.normalize_id_number(value)),
    ]

    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        for name in texts:
            if isinstance(values.get(name), str):
                values[name] = standardize.clean_text(values[name])
        for fields, function in rules:
            for name in fields:
                raw = values.get(name)
                if raw is None or raw == "":
                    if name in values:
                        values[name] = None
                    continue
                try:
                    values[name] = function(str(raw), actor.region)
                except standardize.StandardizationError as error:
                    errors.append(field_error(actor, name, raw, error.code))
        if errors:
            raise ValidationFailed(errors)
        return values

    return normalize


def currency_fields(*names: str) -> Normalizer:
    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        errors = []
        for name in names:
            if name in values and values[name] is not None:
                code = str(values[name]).strip().upper()
                if code not in CURRENCY_EXPONENTS:
                    errors.append(field_error(actor, name, values[name], "invalid_currency"))
                values[name] = code
            elif record is None and name in values:
                values[name] = actor.currency
        if errors:
            raise ValidationFailed(errors)
        return values

    return normalize


def references(**targets: type[Base]) -> Normalizer:
    """Check that each referenced id names a live record of the same tenant."""

    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        errors = []
        for name, model in targets.items():
            value = values.get(name)
            if value is None:
                continue
            table: Any = model.__table__  # type: ignore[attr-defined]
            statement = select(table.c.id).where(table.c.id == value, table.c.tenant_id == actor.tenant_id)
            if "deleted_at" in table.c:
                statement = statement.where(table.c.deleted_at.is_(None))
            if session.scalar(statement) is None:
                errors.append(field_error(actor, name, value, "reference_not_found"))
        if errors:
            raise ValidationFailed(errors)
        return values

    return normalize


def choices(**allowed: tuple[str, ...]) -> Normalizer:
    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        errors = []
        for name, options in allowed.items():
            value = values.get(name)
            if value is not None and value not in options:
                errors.append(
                    field_error(actor, name, value, "invalid_choice", allowed=", ".join(options))
                )
        if errors:
            raise ValidationFailed(errors)
        return values

    return normalize


def custom_fields(object_name: str) -> Normalizer:
    """Validate ``custom`` values against the tenant's field definitions and merge them."""

    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        if "custom" not in values:
            return values
        incoming = values["custom"] or {}
        from zhike.platform.models import FieldDefinition

        definitions = {
            definition.name: definition
            for definition in session.scalars(
                select(FieldDefinition).where(
                    FieldDefinition.tenant_id == actor.tenant_id,
                    FieldDefinition.object_name == object_name,
                    FieldDefinition.deleted_at.is_(None),
                )
            )
        }
        errors = []
        cleaned: dict[str, Any] = {}
        for name, value in incoming.items():
            definition = definitions.get(name)
            if definition is None:
                errors.append(
                    field_error(
                        actor, f"custom.{name}", value, "unknown_custom_field",
                        known=", ".join(sorted(definitions)) or "-",
                    )
                )
                continue
            try:
                cleaned[name] = coerce_custom_value(definition.field_type, value, definition.choices)
            except ValueError:
                errors.append(
                    field_error(actor, f"custom.{name}", value, "invalid_custom_value", type=definition.field_type)
                )
        if errors:
            raise ValidationFailed(errors)
        merged = dict(record.custom or {}) if record is not None else {}
        merged.update(cleaned)
        values["custom"] = merged
        return values

    return normalize


def coerce_custom_value(field_type: str, value: Any, allowed: list[str] | None = None) -> Any:
    """Return ``value`` as the JSON form of a custom field of ``field_type``."""
    if value is None or value == "":
        return None
    if field_type == "text":
        return str(value)
    if field_type == "integer":
        if isinstance(value, bool):
            raise ValueError(value)
        return int(str(value).strip())
    if field_type in ("decimal", "money"):
        try:
            return str(Decimal(str(value).strip()))
        except InvalidOperation as error:
            raise ValueError(value) from error
    if field_type == "boolean":
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "y", "是"):
            return True
        if text in ("false", "0", "no", "n", "否"):
            return False
        raise ValueError(value)
    if field_type == "date":
        return date.fromisoformat(str(value).strip()).isoformat()
    if field_type == "datetime":
        return datetime.fromisoformat(str(value).strip()).isoformat()
    if field_type == "choice":
        text = str(value)
        if allowed and text not in allowed:
            raise ValueError(value)
        return text
    raise ValueError(field_type)


def owner_reference() -> Normalizer:
    from zhike.security.models import User

    return references(owner_id=User)

