"""Survivorship: which of two records' values each field of a merged record keeps.

Rules per field: the most recent value, the most complete one, the one from the
more trusted source, or the user's explicit pick. An empty value never wins over
a filled one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column

from zhike.core.errors import InvalidInput
from zhike.customers.merge_schemas import MergeOptions, RecordSide
from zhike.platform.objects import ObjectSpec
from zhike.security.context import Actor
from zhike.security.encryption import EncryptedString

# Identity and ownership stay the survivor's: an external id is unique per source, and
# the owner decides who may reach the merged customer.
NOT_MERGED_FIELDS = frozenset({"owner_id", "external_id", "source", "custom"})


@dataclass(frozen=True)
class Decision:
    """One field's outcome: the record whose value survives, the rule used and why."""

    chosen: RecordSide
    rule: str
    reason: str


def mergeable_fields(actor: Actor, spec: ObjectSpec) -> list[str]:
    """List the fields a merge may fill: updatable, not encrypted, and editable for this actor."""
    table: Any = spec.model.__table__
    grant = actor.grants.grant(spec.name)
    field_access = grant.fields if grant is not None else {}
    names = []
    for name in spec.update_schema.model_fields:
        if name in NOT_MERGED_FIELDS or name not in table.c:
            continue
        # Encrypted values stay in their own row; copying them would put them in the
        # merge record in clear.
        if isinstance(table.c[name].type, EncryptedString):
            continue
        if field_access.get(name, "editable") != "editable":
            continue
        names.append(name)
    return names


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _source_rank(record: Any, trusted: list[str]) -> int:
    source = getattr(record, "source", None)
    return trusted.index(source) if source in trusted else len(trusted)


def _decide(name: str, survivor: Any, merged: Any, options: MergeOptions) -> Decision:
    if name in options.picks:
        return Decision(options.picks[name], "manual", "picked")
    rule = options.field_rules.get(name, options.rule)
    ours, theirs = getattr(survivor, name), getattr(merged, name)
    if _is_empty(theirs):
        return Decision("survivor", rule, "merged_empty")
    if _is_empty(ours):
        return Decision("merged", rule, "survivor_empty")
    if encode(ours) == encode(theirs):
        return Decision("survivor", rule, "equal")
    if rule == "most_complete":
        if len(str(theirs)) > len(str(ours)):
            return Decision("merged", rule, "longer")
        return Decision("survivor", rule, "longer_or_equal")
    if rule == "trusted_source":
        ours_rank = _source_rank(survivor, options.trusted_sources)
        theirs_rank = _source_rank(merged, options.trusted_sources)
        if ours_rank != theirs_rank:
            side: RecordSide = "merged" if theirs_rank < ours_rank else "survivor"
            return Decision(side, rule, "trusted_source")
    if merged.updated_at > survivor.updated_at:
        return Decision("merged", rule, "more_recent")
    return Decision("survivor", rule, "more_recent")


def plan_fields(
    actor: Actor, spec: ObjectSpec, survivor: Any, merged: Any, options: MergeOptions
) -> dict[str, Decision]:
    fields = mergeable_fields(actor, spec)
    for name in {*options.picks, *options.field_rules} - set(fields):
        raise InvalidInput("merge_field_not_mergeable", field=name, object=spec.name)
    plan = {name: _decide(name, survivor, merged, options) for name in fields}
    parent = plan.get("parent_account_id")
    if parent is not None and parent.chosen == "merged" and merged.parent_account_id == survivor.id:
        # An account cannot become its own parent.
        plan["parent_account_id"] = Decision("survivor", parent.rule, "would_be_own_parent")
    return plan


def encode(value: Any) -> Any:
    """Convert a column value to JSON that ``decode`` turns back with the column's type."""
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def decode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    return value
