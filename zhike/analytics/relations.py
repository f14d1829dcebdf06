"""The tables a report can reach: CRM objects, a few configuration tables, and their relations.

Relations are declared here rather than inferred from foreign keys, so a report
reaches only what is meant to be reported on (never ``users.password_hash``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, select
from sqlalchemy.sql.elements import ColumnElement

from zhike.core.db import Base

# A field computed from other tables for one row of the source: (its kind, a
# function from the source table or its joined alias to a scalar expression).
Computed = tuple[str, Callable[[Any], ColumnElement[Any]]]


@dataclass(frozen=True)
class Relation:
    """A many-to-one link: ``column`` of the source holds the id of a ``target`` row."""

    target: str
    column: str


@dataclass(frozen=True)
class Source:
    """A table a report reads. ``crm_object`` names it for permissions; None for configuration."""

    name: str
    model: type[Base]
    crm_object: str | None
    relations: dict[str, Relation] = field(default_factory=dict)
    # None: every column except the custom JSON column and encrypted ones.
    fields: frozenset[str] | None = None
    computed: dict[str, Computed] = field(default_factory=dict)


_OWNER = {"owner": Relation("users", "owner_id")}
_RELATIONS: dict[str, dict[str, Relation]] = {
    "opportunities": {
        **_OWNER,
        "account": Relation("accounts", "account_id"),
        "contact": Relation("contacts", "contact_id"),
        "product": Relation("products", "product_id"),
        "stage": Relation("pipeline_stages", "stage_id"),
        "lead": Relation("leads", "lead_id"),
    },
    "accounts": {**_OWNER, "parent": Relation("accounts", "parent_account_id")},
    "contacts": {**_OWNER, "account": Relation("accounts", "account_id")},
    "leads": {**_OWNER},
    "activities": {
        **_OWNER,
        "account": Relation("accounts", "account_id"),
        "contact": Relation("contacts", "contact_id"),
        "opportunity": Relation("opportunities", "opportunity_id"),
        "lead": Relation("leads", "lead_id"),
    },
    "tickets": {
        **_OWNER,
        "account": Relation("accounts", "account_id"),
        "contact": Relation("contacts", "contact_id"),
        "product": Relation("products", "product_id"),
    },
    "campaigns": {**_OWNER},
    "campaign_members": {
        "campaign": Relation("campaigns", "campaign_id"),
        "contact": Relation("contacts", "contact_id"),
        "lead": Relation("leads", "lead_id"),
    },
    "users": {"team": Relation("teams", "team_id"), "manager": Relation("users", "manager_id")},
    "teams": {"parent": Relation("teams", "parent_id"), "manager": Relation("users", "manager_id")},
}


def _csat_rating(tickets: Any) -> ColumnElement[Any]:
    """The rating of the ticket's latest answered satisfaction survey (1 to 5)."""
    from zhike.service.models import CsatSurvey

    return (
        select(CsatSurvey.rating)
        .where(CsatSurvey.ticket_id == tickets.c.id, CsatSurvey.rating.is_not(None))
        .order_by(CsatSurvey.responded_at.desc(), CsatSurvey.id.desc())
        .limit(1)
        .correlate(tickets)
        .scalar_subquery()
        .cast(Integer)
    )


# The scalar subqueries run only for rows the report already scoped, so a
# computed field shows nothing of a record the actor may not read.
_COMPUTED: dict[str, dict[str, Computed]] = {
    "tickets": {"csat_rating": ("integer", _csat_rating)},
}


@lru_cache(maxsize=1)
def sources() -> dict[str, Source]:
    from zhike.platform.objects import all_objects
    from zhike.sales.models import PipelineStage
    from zhike.security.models import Team, User

    found = {
        spec.name: Source(
            spec.name,
            spec.model,
            spec.name,
            _RELATIONS.get(spec.name, {}),
            computed=_COMPUTED.get(spec.name, {}),
        )
        for spec in all_objects()
    }
    found["users"] = Source(
        "users",
        User,
        None,
        _RELATIONS["users"],
        frozenset({"id", "display_name", "role", "team_id", "manager_id", "is_active"}),
    )
    found["teams"] = Source(
        "teams",
        Team,
        None,
        _RELATIONS["teams"],
        frozenset({"id", "name", "region", "parent_id", "manager_id"}),
    )
    found["pipeline_stages"] = Source(
        "pipeline_stages",
        PipelineStage,
        None,
        {},
        frozenset(
            {"id", "key", "name_zh", "name_en", "position", "probability", "is_won", "is_lost"}
        ),
    )
    return found


def field_allowed(source: Source, name: str) -> bool:
    columns = source.model.__table__.c
    if name not in columns or name == "custom":
        return False
    if source.fields is not None:
        return name in source.fields
    # Encrypted values cannot be compared or grouped in SQL.
    return type(columns[name].type).__name__ != "EncryptedString"
