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
from zhike.core.errors import ValidationFailed, shown_value
from zhike.core.i18n import add_messages, shown_field, translate
from zhike.core.money import AMOUNT_SCALE, CURRENCY_EXPONENTS
from zhike.core.timeutil import ensure_utc
from zhike.ingestion import standardize
from zhike.platform.objects import Normalizer
from zhike.security.access import scope_select
from zhike.security.context import Actor


def field_error(
    actor: Actor,
    field: str,
    value: Any,
    code: str,
    *,
    field_shown: str | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Build one entry of a 422's ``errors``; ``field_shown`` replaces the field label in it."""
    shown = shown_value(value)

    def render(locale: str) -> str:
        label = field_shown or shown_field(field, locale)
        return translate(f"error.{code}", locale, field=label, value=shown, **params)

    error = {"field": field, "value": shown, "code": code, "message": render(actor.locale)}
    return add_messages(error, render)


def standardized_fields(
    phones: tuple[str, ...] = (),
    mobiles: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    credit_codes: tuple[str, ...] = (),
    id_numbers: tuple[str, ...] = (),
    texts: tuple[str, ...] = ("name",),
) -> Normalizer:
    """Build a normaliser for the contact-data fields of an object."""
    # (field, function, whether it takes the region), in the order the rules apply.
    rules: list[tuple[str, Callable[..., str], bool]] = [
        *((name, standardize.normalize_phone, True) for name in phones),
        *((name, standardize.normalize_mobile, True) for name in mobiles),
        *((name, standardize.normalize_email, False) for name in emails),
        *((name, standardize.normalize_credit_code, False) for name in credit_codes),
        *((name, standardize.normalize_id_number, False) for name in id_numbers),
    ]
    clean_text = standardize.clean_text

    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []
        for name in texts:
            text = values.get(name)
            if isinstance(text, str):
                values[name] = clean_text(text)
        for name, function, regional in rules:
            raw = values.get(name)
            if raw is None or raw == "":
                if name in values:
                    values[name] = None
                continue
            try:
                values[name] = function(str(raw), actor.region) if regional else function(str(raw))
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


class BatchNormalizer:
    """A normaliser that also checks a whole batch of rows with one query per batch.

    Calling it with one row keeps the ``Normalizer`` signature that object
    declarations use; bulk imports call ``normalize_batch`` instead.
    """

    def __call__(
        self, session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        (result,) = self.normalize_batch(session, actor, [values], [record])
        if isinstance(result, ValidationFailed):
            raise result
        return result

    def normalize_batch(
        self, session: Session, actor: Actor, rows: list[dict[str, Any]], records: list[Any]
    ) -> list[dict[str, Any] | ValidationFailed]:
        raise NotImplementedError


def normalize_batch(
    normalizers: tuple[Normalizer, ...],
    session: Session,
    actor: Actor,
    rows: list[dict[str, Any]],
    records: list[Any],
) -> list[dict[str, Any] | ValidationFailed]:
    """Run ``normalizers`` over many rows; a row stops at its first failing normaliser.

    That is the record service's behaviour for a single row, so a row is accepted
    or rejected for the same reasons whichever path writes it.
    """
    results: list[dict[str, Any] | ValidationFailed] = list(rows)
    for normalizer in normalizers:
        pending = [index for index, result in enumerate(results) if isinstance(result, dict)]
        if not pending:
            break
        if isinstance(normalizer, BatchNormalizer):
            outcomes = normalizer.normalize_batch(
                session,
                actor,
                [results[index] for index in pending],  # type: ignore[misc]
                [records[index] for index in pending],
            )
            for index, outcome in zip(pending, outcomes, strict=True):
                results[index] = outcome
            continue
        for index in pending:
            try:
                results[index] = normalizer(session, actor, results[index], records[index])  # type: ignore[arg-type]
            except ValidationFailed as error:
                results[index] = error
    return results


class _References(BatchNormalizer):
    def __init__(self, targets: dict[str, type[Base]]) -> None:
        self.targets = targets

    def normalize_batch(
        self, session: Session, actor: Actor, rows: list[dict[str, Any]], records: list[Any]
    ) -> list[dict[str, Any] | ValidationFailed]:
        readable: dict[str, set[Any]] = {}
        kept_links: dict[str, set[Any]] = {}
        for name, model in self.targets.items():
            wanted = {row[name] for row in rows if row.get(name) is not None}
            if not wanted:
                readable[name] = kept_links[name] = set()
                continue
            table: Any = model.__table__
            # Only records in the actor's read scope count, shares and sharing rules included.
            # So an unreadable record fails exactly as a missing one, and ids cannot be probed.
            statement = scope_select(actor, model, select(table.c.id))
            readable[name] = set(session.scalars(statement.where(table.c.id.in_(wanted))))
            unchanged = _unchanged_ids(name, rows, records) - readable[name]
            kept_links[name] = _live_ids(session, actor, table, unchanged) if unchanged else set()
        results: list[dict[str, Any] | ValidationFailed] = []
        for row, record in zip(rows, records, strict=True):
            errors = [
                field_error(actor, name, row[name], "reference_not_found")
                for name in self.targets
                if row.get(name) is not None
                and row[name] not in readable[name]
                and not (_is_unchanged(name, row, record) and row[name] in kept_links[name])
            ]
            results.append(ValidationFailed(errors) if errors else row)
        return results


def _is_unchanged(name: str, row: dict[str, Any], record: Any) -> bool:
    return record is not None and row.get(name) == getattr(record, name, None)


def _unchanged_ids(name: str, rows: list[dict[str, Any]], records: list[Any]) -> set[Any]:
    """Ids in ``name`` that updates send back unchanged (a full-body PATCH, a re-import)."""
    return {
        row[name]
        for row, record in zip(rows, records, strict=True)
        if row.get(name) is not None and _is_unchanged(name, row, record)
    }


def _live_ids(session: Session, actor: Actor, table: Any, ids: set[Any]) -> set[Any]:
    """Return the live ids of the tenant among ``ids``, ignoring the actor's read scope.

    Only for links that the updated record already stores. The actor can read that id on
    the record, so keeping it reveals nothing, and a deal reassigned to a rep stays
    editable when its account belongs to someone else.
    """
    statement = select(table.c.id).where(table.c.id.in_(ids), table.c.tenant_id == actor.tenant_id)
    if "deleted_at" in table.c:
        statement = statement.where(table.c.deleted_at.is_(None))
    return set(session.scalars(statement))


def references(**targets: type[Base]) -> Normalizer:
    """Check that each referenced id names a live record that the actor may read.

    An id the actor may not read fails as ``reference_not_found``, the same error as an
    unknown id. An update that sends back the id its record already stores only needs
    that record to be live.
    """
    return _References(targets)


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


class _CustomFields(BatchNormalizer):
    def __init__(self, object_name: str) -> None:
        self.object_name = object_name

    def normalize_batch(
        self, session: Session, actor: Actor, rows: list[dict[str, Any]], records: list[Any]
    ) -> list[dict[str, Any] | ValidationFailed]:
        if not any("custom" in row for row in rows):
            return list(rows)
        from zhike.platform.models import FieldDefinition

        definitions = {
            definition.name: definition
            for definition in session.scalars(
                select(FieldDefinition).where(
                    FieldDefinition.tenant_id == actor.tenant_id,
                    FieldDefinition.object_name == self.object_name,
                    FieldDefinition.deleted_at.is_(None),
                )
            )
        }
        return [
            self._check(actor, definitions, row, record)
            for row, record in zip(rows, records, strict=True)
        ]

    def _check(
        self, actor: Actor, definitions: dict[str, Any], values: dict[str, Any], record: Any
    ) -> dict[str, Any] | ValidationFailed:
        if "custom" not in values:
            return values
        incoming = values["custom"] or {}
        errors = []
        cleaned: dict[str, Any] = {}
        for name, value in incoming.items():
            definition = definitions.get(name)
            if definition is None:
                errors.append(
                    field_error(
                        actor,
                        f"custom.{name}",
                        value,
                        "unknown_custom_field",
                        known=", ".join(sorted(definitions)) or "-",
                    )
                )
                continue
            try:
                cleaned[name] = coerce_custom_value(
                    definition.field_type, value, definition.choices
                )
            except ValueError:
                errors.append(
                    field_error(
                        actor,
                        f"custom.{name}",
                        value,
                        "invalid_custom_value",
                        type=definition.field_type,
                    )
                )
        if errors:
            return ValidationFailed(errors)
        merged = dict(record.custom or {}) if record is not None else {}
        merged.update(cleaned)
        values["custom"] = merged
        return values


def custom_fields(object_name: str) -> Normalizer:
    """Validate ``custom`` values against the tenant's field definitions and merge them."""
    return _CustomFields(object_name)


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


def money_fields(*pairs: tuple[str, str]) -> Normalizer:
    """Check (amount field, currency field) pairs: a known currency and no finer unit than it has.

    A new record without a currency takes the tenant's currency, so amounts are never
    stored without knowing what they count.
    """

    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        errors = []
        for amount_name, currency_name in pairs:
            raw_currency = values.get(currency_name)
            if raw_currency is not None:
                currency = str(raw_currency).strip().upper()
                if currency not in CURRENCY_EXPONENTS:
                    errors.append(
                        field_error(actor, currency_name, raw_currency, "invalid_currency")
                    )
                    continue
                values[currency_name] = currency
            elif record is None or currency_name in values:
                currency = record.currency if record is not None else actor.currency
                values[currency_name] = currency
            else:
                currency = getattr(record, currency_name)
            amount = values.get(amount_name)
            if amount is None and record is not None and amount_name not in values:
                amount = getattr(record, amount_name)
            if amount is None:
                continue
            places = CURRENCY_EXPONENTS[currency]
            number = Decimal(amount)
            if number.quantize(Decimal(1).scaleb(-places)) != number:
                errors.append(
                    field_error(
                        actor,
                        amount_name,
                        amount,
                        "invalid_amount",
                        currency=currency,
                        places=places,
                    )
                )
            elif amount_name in values:
                # The form the amount column gives back, so a write answers what a read will.
                values[amount_name] = number.quantize(Decimal(1).scaleb(-AMOUNT_SCALE))
        if errors:
            raise ValidationFailed(errors)
        return values

    return normalize


def required_fields(*names: str) -> Normalizer:
    """Reject an explicit null for fields the record cannot be without."""

    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        errors = [
            field_error(actor, name, None, "required")
            for name in names
            if name in values and values[name] is None
        ]
        if errors:
            raise ValidationFailed(errors)
        return values

    return normalize


def utc_times(*names: str) -> Normalizer:
    """Store given times in UTC, so a write answers with the same value a later read gives."""

    def normalize(
        session: Session, actor: Actor, values: dict[str, Any], record: Any
    ) -> dict[str, Any]:
        for name in names:
            if isinstance(values.get(name), datetime):
                values[name] = ensure_utc(values[name])
        return values

    return normalize
