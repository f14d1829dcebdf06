"""Data-quality rules: their shapes, the built-in defaults and the checks on a tenant's rule set.

A rule names one field of contacts, leads or accounts (or ``custom.<name>``) and one
kind of check: required, format, range, referential or freshness. Each rule has a
weight; a record's score is the share of the weight of its rules that pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import ValidationFailed
from zhike.core.i18n import translate
from zhike.platform.objects import get_object
from zhike.security.context import Actor

QUALITY_OBJECTS = ("contacts", "leads", "accounts")
QualityObject = Literal["contacts", "leads", "accounts"]
FormatName = Literal["email", "mobile", "phone", "credit_code", "url", "postal_code"]
FieldKind = Literal["text", "number", "date", "datetime", "boolean", "reference"]

# Columns that describe the row itself rather than the customer, so no rule may name them.
_UNRULED_COLUMNS = frozenset(
    {"id", "tenant_id", "version", "deleted_at", "custom", "quality_score", "merged_into_id"}
)
_CUSTOM_KINDS: dict[str, FieldKind] = {
    "text": "text",
    "choice": "text",
    "integer": "number",
    "decimal": "number",
    "money": "number",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
}
MAX_RULES = 100


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1, max_length=80, description="column name, or custom.<name> for a custom field"
    )
    weight: int = Field(default=1, ge=1, le=10, description="share of the score, 1 to 10")


class RequiredRule(_Rule):
    """The field, or one of its alternatives, must hold a value (not empty, not only spaces)."""

    kind: Literal["required"] = "required"
    alternatives: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="other fields that satisfy the rule when they hold a value instead",
    )


class FormatRule(_Rule):
    """A non-empty value must be a valid value of the named format."""

    kind: Literal["format"] = "format"
    format: FormatName


class RangeRule(_Rule):
    """A non-empty number or date must lie within the bounds, both inclusive."""

    kind: Literal["range"] = "range"
    minimum: Decimal | date | None = None
    maximum: Decimal | date | None = None
    not_in_future: bool = Field(
        default=False, description="for date fields: a value after today fails"
    )


class ReferentialRule(_Rule):
    """A non-empty reference must name a live record of the tenant."""

    kind: Literal["referential"] = "referential"


class FreshnessRule(_Rule):
    """A non-empty date or time must be at most ``max_age_days`` old."""

    kind: Literal["freshness"] = "freshness"
    max_age_days: int = Field(ge=1, le=3650)


QualityRule = Annotated[
    RequiredRule | FormatRule | RangeRule | ReferentialRule | FreshnessRule,
    Field(discriminator="kind"),
]


class QualityRuleSetWrite(BaseModel):
    """A tenant's full rule set for one object, which replaces the stored or built-in set."""

    model_config = ConfigDict(extra="forbid")

    rules: list[QualityRule] = Field(max_length=MAX_RULES)


class QualityRuleSetRead(BaseModel):
    object_name: str
    is_default: bool = Field(description="true when the tenant uses the built-in rules")
    rules: list[QualityRule]
    updated_at: datetime | None = None


def _required(field: str, weight: int = 1, alternatives: tuple[str, ...] = ()) -> RequiredRule:
    return RequiredRule(field=field, weight=weight, alternatives=list(alternatives))


def _format(field: str, name: FormatName, weight: int = 1) -> FormatRule:
    return FormatRule(field=field, format=name, weight=weight)


def _fresh(days: int) -> FreshnessRule:
    return FreshnessRule(field="updated_at", max_age_days=days)


# Names and a way to reach the person weigh most, because a record without them
# cannot be worked. A landline counts as a way to reach a contact, and a phone or
# an e-mail as a way to reach a lead. Leads go stale faster than contacts and accounts.
DEFAULT_RULES: dict[str, list[QualityRule]] = {
    "contacts": [
        _required("name", 3),
        _required("mobile", 3, alternatives=("phone",)),
        _required("email", 2),
        _required("account_id", 2),
        _required("city"),
        _required("address"),
        _format("mobile", "mobile", 2),
        _format("email", "email"),
        _format("phone", "phone"),
        ReferentialRule(field="account_id", weight=2),
        RangeRule(field="birth_date", minimum=date(1900, 1, 1), not_in_future=True),
        _fresh(365),
    ],
    "leads": [
        _required("name", 3),
        _required("mobile", 3, alternatives=("phone", "email")),
        _required("company"),
        _required("lead_source"),
        _format("mobile", "mobile", 2),
        _format("email", "email"),
        _format("phone", "phone"),
        ReferentialRule(field="product_id"),
        _fresh(90),
    ],
    "accounts": [
        _required("name", 3),
        _required("unified_social_credit_code", 2),
        _required("industry", 2),
        _required("phone"),
        _required("city", 2),
        _required("address"),
        _format("unified_social_credit_code", "credit_code", 2),
        _format("phone", "phone"),
        _format("email", "email"),
        _format("website", "url"),
        RangeRule(field="employee_count", minimum=Decimal(0), maximum=Decimal(10_000_000)),
        RangeRule(field="founded_year", minimum=Decimal(1800), maximum=Decimal(2100)),
        RangeRule(field="annual_revenue", minimum=Decimal(0)),
        ReferentialRule(field="parent_account_id"),
        _fresh(365),
    ],
}


@dataclass(frozen=True)
class FieldInfo:
    kind: FieldKind
    # For a reference column: the table it points to.
    target_table: str | None = None


def column_fields(object_name: str) -> dict[str, FieldInfo]:
    """Return the columns of an object that rules may name, with the kind of value each holds."""
    table: Any = get_object(object_name).model.__table__
    fields: dict[str, FieldInfo] = {}
    for column in table.columns:
        if column.key in _UNRULED_COLUMNS:
            continue
        foreign_keys = list(column.foreign_keys)
        if foreign_keys:
            fields[column.key] = FieldInfo("reference", foreign_keys[0].column.table.name)
            continue
        kind_type = getattr(column.type, "impl_instance", column.type)
        try:
            python_type = kind_type.python_type
        except NotImplementedError:
            python_type = str
        if python_type is bool:
            fields[column.key] = FieldInfo("boolean")
        elif python_type in (int, float, Decimal):
            fields[column.key] = FieldInfo("number")
        elif python_type is datetime:
            fields[column.key] = FieldInfo("datetime")
        elif python_type is date:
            fields[column.key] = FieldInfo("date")
        elif python_type is str:
            fields[column.key] = FieldInfo("text")
    return fields


def custom_fields(session: Session, tenant_id: Any, object_name: str) -> dict[str, FieldInfo]:
    from zhike.platform.models import FieldDefinition

    rows = session.execute(
        select(FieldDefinition.name, FieldDefinition.field_type).where(
            FieldDefinition.tenant_id == tenant_id,
            FieldDefinition.object_name == object_name,
            FieldDefinition.deleted_at.is_(None),
        )
    )
    return {f"custom.{name}": FieldInfo(_CUSTOM_KINDS.get(kind, "text")) for name, kind in rows}


# The field kinds each rule kind accepts. A required rule accepts every field.
_ACCEPTED_KINDS: dict[str, tuple[FieldKind, ...]] = {
    "format": ("text",),
    "range": ("number", "date", "datetime"),
    "referential": ("reference",),
    "freshness": ("date", "datetime"),
}


def _rule_error(
    actor: Actor, index: int, part: str, value: Any, code: str, **params: Any
) -> dict[str, Any]:
    location = f"rules.{index}.{part}"
    return {
        "field": location,
        "value": value if value is None or isinstance(value, int | bool) else str(value)[:200],
        "code": code,
        "message": translate(
            f"error.{code}", actor.locale, location=location, value=value, **params
        ),
    }


def validate_rule_set(
    session: Session, actor: Actor, object_name: str, rules: list[QualityRule]
) -> None:
    """Raise ValidationFailed listing every rule that names an unknown or unsuitable field.

    Also rejects a range whose minimum is above its maximum, bounds of the wrong
    type for the field, and the same check on the same field twice.
    """
    fields = column_fields(object_name) | custom_fields(session, actor.tenant_id, object_name)
    errors: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for index, rule in enumerate(rules):
        info = fields.get(rule.field)
        if info is None:
            errors.append(
                _rule_error(
                    actor,
                    index,
                    "field",
                    rule.field,
                    "quality_rule_unknown_field",
                    object=object_name,
                    known=", ".join(sorted(fields)),
                )
            )
            continue
        accepted = _ACCEPTED_KINDS.get(rule.kind)
        if accepted is not None and info.kind not in accepted:
            errors.append(
                _rule_error(
                    actor,
                    index,
                    "field",
                    rule.field,
                    "quality_rule_wrong_field_kind",
                    kind=rule.kind,
                    field_kind=info.kind,
                    accepted=", ".join(accepted),
                )
            )
            continue
        if isinstance(rule, RangeRule):
            errors.extend(_range_errors(actor, index, rule, info))
        if isinstance(rule, RequiredRule):
            errors.extend(_alternative_errors(actor, index, object_name, rule, fields))
        key = (rule.kind, rule.field, getattr(rule, "format", ""))
        if key in seen:
            errors.append(
                _rule_error(
                    actor, index, "field", rule.field, "quality_rule_duplicate", kind=rule.kind
                )
            )
        seen.add(key)
    if errors:
        raise ValidationFailed(errors)


def _alternative_errors(
    actor: Actor, index: int, object_name: str, rule: RequiredRule, fields: dict[str, FieldInfo]
) -> list[dict[str, Any]]:
    errors = []
    seen = {rule.field}
    for position, name in enumerate(rule.alternatives):
        part = f"alternatives.{position}"
        if name not in fields:
            errors.append(
                _rule_error(
                    actor,
                    index,
                    part,
                    name,
                    "quality_rule_unknown_field",
                    object=object_name,
                    known=", ".join(sorted(fields)),
                )
            )
        elif name in seen:
            errors.append(
                _rule_error(actor, index, part, name, "quality_rule_repeated_alternative")
            )
        seen.add(name)
    return errors


def _range_errors(
    actor: Actor, index: int, rule: RangeRule, info: FieldInfo
) -> list[dict[str, Any]]:
    errors = []
    wanted = Decimal if info.kind == "number" else date
    for part in ("minimum", "maximum"):
        bound = getattr(rule, part)
        if bound is not None and not isinstance(bound, wanted):
            errors.append(
                _rule_error(
                    actor, index, part, bound, "quality_rule_wrong_bound", field_kind=info.kind
                )
            )
    if rule.not_in_future and info.kind == "number":
        errors.append(
            _rule_error(actor, index, "not_in_future", True, "quality_rule_future_needs_date")
        )
    low, high = rule.minimum, rule.maximum
    if not errors and low is not None and high is not None and low > high:  # type: ignore[operator]
        errors.append(
            _rule_error(actor, index, "minimum", low, "quality_rule_empty_range", maximum=high)
        )
    return errors
