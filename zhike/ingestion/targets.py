"""The objects an import may write or look up, and their bulk write rules.

An object declared for the record service (``ObjectSpec``) is imported with
its own schema and normalisers. Teams and users are administered outside the
record service, and some sales and marketing objects may not be declared yet;
for those, ``_FALLBACK_RULES`` combines the same shared normalisers the
declarations use, and the declaration wins as soon as it exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session

from zhike.core.db import Base
from zhike.core.errors import InvalidInput
from zhike.core.ids import new_id
from zhike.core.registry import load_models
from zhike.core.timeutil import local_midnight_utc
from zhike.customers.identity import bulk_link_hook
from zhike.customers.models import Account, Contact
from zhike.ingestion.owners import is_user_lookup
from zhike.ingestion.profile import Profile
from zhike.marketing.engagement import note_imported_changes
from zhike.marketing.models import CAMPAIGN_STATUSES, MEMBER_STATUSES, Campaign, CampaignMember
from zhike.platform.bulk import BulkTarget
from zhike.platform.bulk_sql import existing_rows
from zhike.platform.normalize import (
    choices,
    currency_fields,
    custom_fields,
    owner_reference,
    references,
    standardized_fields,
)
from zhike.platform.objects import Normalizer, all_objects
from zhike.sales.duplicates import record_imported_lead_duplicates
from zhike.sales.models import (
    LEAD_STATUSES,
    Lead,
    Opportunity,
    OpportunityStageChange,
    PipelineStage,
    Product,
)
from zhike.security.access import scope_select
from zhike.security.context import Actor
from zhike.security.models import Team, User


def _fallback_rules() -> dict[str, tuple[type[Base], tuple[Normalizer, ...]]]:
    return {
        "teams": (
            Team,
            (
                standardized_fields(texts=("name", "region")),
                references(parent_id=Team, manager_id=User),
            ),
        ),
        "users": (
            User,
            (
                standardized_fields(emails=("email",), texts=("display_name",)),
                references(team_id=Team, manager_id=User),
            ),
        ),
        "products": (
            Product,
            (
                standardized_fields(texts=("name", "code", "series")),
                currency_fields("currency"),
                custom_fields("products"),
            ),
        ),
        "leads": (
            Lead,
            (
                standardized_fields(
                    phones=("phone",),
                    mobiles=("mobile",),
                    emails=("email",),
                    texts=("name", "company", "title", "province", "city"),
                ),
                choices(status=LEAD_STATUSES),
                owner_reference(),
                references(
                    converted_account_id=Account,
                    converted_contact_id=Contact,
                    converted_opportunity_id=Opportunity,
                ),
                custom_fields("leads"),
            ),
        ),
        "opportunities": (
            Opportunity,
            (
                standardized_fields(texts=("name",)),
                currency_fields("currency"),
                owner_reference(),
                references(
                    account_id=Account,
                    contact_id=Contact,
                    product_id=Product,
                    stage_id=PipelineStage,
                    lead_id=Lead,
                ),
                custom_fields("opportunities"),
            ),
        ),
        "campaigns": (
            Campaign,
            (
                standardized_fields(texts=("name",)),
                choices(status=CAMPAIGN_STATUSES),
                currency_fields("currency"),
                owner_reference(),
                custom_fields("campaigns"),
            ),
        ),
        "campaign_members": (
            CampaignMember,
            (
                choices(status=MEMBER_STATUSES),
                references(campaign_id=Campaign, contact_id=Contact, lead_id=Lead),
                custom_fields("campaign_members"),
            ),
        ),
    }


def record_stage_changes(
    session: Session,
    actor: Actor,
    created: list[dict[str, Any]],
    updated: list[tuple[dict[str, Any], Any]],
) -> None:
    """Write the stage history rows of imported opportunities.

    A new opportunity gets one entry for its imported stage, dated its close
    date when the stage is won or lost, else its engage date, else now; an
    updated one gets an entry only when its stage changed.
    """
    changes: list[tuple[dict[str, Any], Any]] = [(values, None) for values in created]
    changes.extend(
        (values, record)
        for values, record in updated
        if "stage_id" in values and values["stage_id"] != record.stage_id
    )
    if not changes:
        return
    closed = {
        stage_id
        for stage_id, is_won, is_lost in session.execute(
            select(PipelineStage.id, PipelineStage.is_won, PipelineStage.is_lost).where(
                PipelineStage.tenant_id == actor.tenant_id
            )
        )
        if is_won or is_lost
    }
    rows = []
    for values, record in changes:

        def pick(name: str, values: dict[str, Any] = values, record: Any = record) -> Any:
            if name in values:
                return values[name]
            return getattr(record, name, None) if record is not None else None

        stage_id = pick("stage_id")
        day = pick("closed_on") if stage_id in closed else None
        day = day or pick("engaged_on")
        changed_at: datetime = (
            local_midnight_utc(day, actor.timezone) if day is not None else values["updated_at"]
        )
        rows.append(
            {
                "id": new_id(),
                "tenant_id": actor.tenant_id,
                "opportunity_id": values["id"],
                "from_stage_id": record.stage_id if record is not None else None,
                "to_stage_id": stage_id,
                "amount": pick("amount"),
                "currency": pick("currency") or actor.currency,
                "changed_at": changed_at,
                "changed_by_id": actor.user_id,
            }
        )
    table: Any = OpportunityStageChange.__table__
    session.execute(insert(table), rows)


_AFTER_WRITE = {
    "opportunities": (record_stage_changes,),
    "leads": (
        bulk_link_hook("leads"),
        record_imported_lead_duplicates,
        note_imported_changes("leads"),
    ),
    "contacts": (bulk_link_hook("contacts"), note_imported_changes("contacts")),
    "accounts": (bulk_link_hook("accounts"), note_imported_changes("accounts")),
}


def resolve_target(name: str) -> BulkTarget:
    after = _AFTER_WRITE.get(name, ())
    for spec in all_objects():
        if spec.name == name:
            return BulkTarget.from_spec(spec, after)
    fallback = _fallback_rules().get(name)
    if fallback is None:
        raise InvalidInput("import_unknown_target", target=name, known=", ".join(target_names()))
    model, normalizers = fallback
    return BulkTarget(name, model, normalizers, None, after)


def target_names() -> list[str]:
    return sorted({spec.name for spec in all_objects()} | set(_fallback_rules()))


def lookup_model(name: str) -> Any:
    """The table of a lookup object: any tenant-owned table, by its name."""
    table = load_models().metadata.tables.get(name)
    if table is None or "tenant_id" not in table.c:
        return None
    return table


def check_profile_targets(profile: Profile, label: str) -> None:
    """Check every target, field and lookup of ``profile`` against the schema."""
    known = target_names()
    for position, step in enumerate(profile.steps):
        where = f"steps.{position}"
        if step.target not in known:
            raise InvalidInput(
                "import_profile_invalid",
                profile=label,
                location=f"{where}.target",
                reason=f"unknown target {step.target!r}; use one of {', '.join(known)}",
            )
        table: Any = resolve_target(step.target).model.__table__
        columns = set(table.c.keys())
        if step.key not in columns:
            raise InvalidInput(
                "import_profile_invalid",
                profile=label,
                location=f"{where}.key",
                reason=f"{step.target} has no column {step.key!r}",
            )
        for name, mapping in step.fields.items():
            key = f"{where}.fields.{name}"
            if not name.startswith("custom.") and (
                name not in columns or name in ("id", "tenant_id")
            ):
                raise InvalidInput(
                    "import_profile_invalid",
                    profile=label,
                    location=key,
                    reason=f"{step.target} has no field {name!r}; fields: "
                    + ", ".join(sorted(columns - {"id", "tenant_id"})),
                )
            if mapping.lookup is not None and not is_user_lookup(mapping.lookup):
                related = lookup_model(mapping.lookup.object)
                if related is None or mapping.lookup.by not in related.c:
                    raise InvalidInput(
                        "import_profile_invalid",
                        profile=label,
                        location=f"{key}.lookup",
                        reason=f"cannot look up {mapping.lookup.object} by {mapping.lookup.by}",
                    )


def lookup_ids(
    session: Session, actor: Actor, table: Any, column: str, keys: set[str], source: str | None
) -> dict[str, uuid.UUID]:
    """Return the ids of live records of ``table`` whose ``column`` is one of ``keys``.

    Only records the actor may read count. The key of any other record then fails as an
    unknown key does, and the import's rejects never show that record's id.
    """
    if not keys:
        return {}
    model = _mapped_model(table)
    conditions: list[ColumnElement[bool]]
    if model is None:
        conditions = [table.c.tenant_id == actor.tenant_id]
        if "deleted_at" in table.c:
            conditions.append(table.c.deleted_at.is_(None))
    else:
        # The scope joins the lookup's own query, so a lookup costs no extra query.
        scoped = scope_select(actor, model, select(table.c.id)).whereclause
        assert scoped is not None
        conditions = [scoped]
    if column == "external_id" and "source" in table.c:
        conditions.append(table.c.source.is_(None) if source is None else table.c.source == source)
    found = existing_rows(session.connection(), table, column, keys, conditions, [column, "id"])
    return {str(key): record_id for key, record_id in found}


def _mapped_model(table: Any) -> type[Base] | None:
    """Return the model class mapped to ``table``, or None for a table without one."""
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            model: type[Base] = mapper.class_
            return model
    return None
