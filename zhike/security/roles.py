"""Roles: which actions a role may take on each object, over which records and fields.

Built-in roles cover the usual org chart of a Chinese sales and service team;
a tenant adds custom roles as rows in ``roles``. A role key that resolves to
neither grants nothing, so every check fails closed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ACTIONS = ("create", "read", "update", "delete", "export", "import")
SCOPES = ("own", "department", "department_tree", "company")
Scope = Literal["own", "department", "department_tree", "company"]
FieldAccess = Literal["hidden", "read_only", "editable"]

# Objects whose rows carry owner_id, so data scopes narrow them; the others are
# reference data that a role reads either wholly or not at all.
OWNED_OBJECTS = (
    "accounts",
    "contacts",
    "leads",
    "opportunities",
    "activities",
    "tickets",
    "campaigns",
    "quotes",
    "contracts",
    "approval_requests",
    # Agent runs belong to the user the agent works for; approving a step is an update.
    "agent_runs",
)
# Marketing automation objects: segments and lists, journeys (with templates), the
# consent ledger and suppression list, and outbound marketing messages. Read on
# marketing_metrics opens campaign, journey and attribution metrics: their
# conversions and revenue count every won opportunity of the tenant, as counts and
# per-currency sums only, so a role without read on opportunities still sees them.
MARKETING_OBJECTS = ("segments", "journeys", "consents", "marketing_messages", "marketing_metrics")
# Configuration of the lead lifecycle: public pools, assignment rules and web capture forms.
# Claiming and releasing need read on sales_pools plus update on the pooled object.
SALES_POOL_OBJECTS = ("sales_pools", "assignment_rules", "lead_forms")
# The sales process: process and stage rules, price books, payment collection
# (plans, receipts, invoices; read through the contract) and the rep insight
# dashboard, whose data scope decides whose profiles a user sees.
SALES_PROCESS_OBJECTS = ("sales_processes", "price_books", "payments", "rep_insight")
# The duplicate review queue and merges: create is a scan, read lists the queue and
# merge records, update decides a pair, merges and unmerges. Each decision also
# needs update on both records involved.
CUSTOMER_DATA_OBJECTS = ("duplicate_candidates",)
ALL_OBJECTS = (
    *OWNED_OBJECTS,
    "products",
    "campaign_members",
    "kb_articles",
    *MARKETING_OBJECTS,
    *SALES_POOL_OBJECTS,
    *SALES_PROCESS_OBJECTS,
    *CUSTOMER_DATA_OBJECTS,
)


class ObjectGrant(BaseModel):
    """Grant of one role on one object: actions, data scope, field access and reveal right."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actions: frozenset[str] = frozenset()
    scope: Scope = "own"
    fields: dict[str, FieldAccess] = Field(default_factory=dict)
    can_reveal: bool = Field(
        default=False, description="may see sensitive values in clear, each reveal audited"
    )

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = value - set(ACTIONS)
        if unknown:
            raise ValueError(f"unknown actions {sorted(unknown)}; use {', '.join(ACTIONS)}")
        return value


class RoleDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    name_zh: str
    name_en: str
    objects: dict[str, ObjectGrant] = Field(default_factory=dict)
    is_administrator: bool = False
    can_read_audit: bool = False
    is_builtin: bool = False

    def grant(self, object_name: str) -> ObjectGrant | None:
        return self.objects.get(object_name)


def _grant(actions: str, scope: Scope, reveal: bool = False, **fields: FieldAccess) -> ObjectGrant:
    return ObjectGrant(
        actions=frozenset(actions.split()), scope=scope, can_reveal=reveal, fields=fields
    )


_FULL = "create read update delete export import"
_WORK = "create read update"

BUILTIN_ROLES: dict[str, RoleDefinition] = {
    role.key: role
    for role in (
        RoleDefinition(
            key="administrator",
            name_zh="系统管理员",
            name_en="Administrator",
            is_builtin=True,
            is_administrator=True,
            can_read_audit=True,
            objects={name: _grant(_FULL, "company", reveal=True) for name in ALL_OBJECTS},
        ),
        RoleDefinition(
            key="sales_director",
            name_zh="销售总监",
            name_en="Sales director",
            is_builtin=True,
            objects={
                **{
                    name: _grant(_FULL, "company", reveal=True)
                    for name in ("accounts", "contacts", "leads", "opportunities", "activities")
                },
                "products": _grant("read export", "company"),
                "campaigns": _grant("read", "company"),
                "campaign_members": _grant("read", "company"),
                "tickets": _grant("read export", "company"),
                "kb_articles": _grant("read", "company"),
                "segments": _grant("read", "company"),
                "consents": _grant("create read", "company"),
                # The director reads every opportunity, so tenant-wide totals widen nothing.
                "marketing_metrics": _grant("read", "company"),
                **{name: _grant(_FULL, "company") for name in SALES_POOL_OBJECTS},
                # The director approves deals and discounts and oversees collection.
                **{name: _grant(_FULL, "company") for name in ("quotes", "contracts", "payments")},
                "approval_requests": _grant("create read update export", "company"),
                "sales_processes": _grant("read", "company"),
                "price_books": _grant("read export", "company"),
                "rep_insight": _grant("read export", "company"),
                "agent_runs": _grant(_WORK, "company"),
                "duplicate_candidates": _grant(_WORK, "company"),
            },
        ),
        RoleDefinition(
            key="sales_manager",
            name_zh="销售经理",
            name_en="Sales manager",
            is_builtin=True,
            objects={
                **{
                    name: _grant(_FULL, "department_tree", reveal=True)
                    for name in ("accounts", "contacts", "leads", "opportunities", "activities")
                },
                "products": _grant("read", "company"),
                "campaigns": _grant("read", "company"),
                "campaign_members": _grant("read", "company"),
                "tickets": _grant("read", "department_tree"),
                "kb_articles": _grant("read", "company"),
                "segments": _grant("read", "company"),
                "consents": _grant("create read", "company"),
                "sales_pools": _grant("create read update", "company"),
                "assignment_rules": _grant(_WORK + " delete", "company"),
                "lead_forms": _grant("read", "company"),
                # A manager decides the approvals of their team and records receipts.
                "quotes": _grant(_FULL, "department_tree"),
                "contracts": _grant(_FULL, "department_tree"),
                "payments": _grant(_WORK, "company"),
                "approval_requests": _grant("create read update", "department_tree"),
                "sales_processes": _grant("read", "company"),
                "price_books": _grant("read", "company"),
                "rep_insight": _grant("read", "department_tree"),
                "agent_runs": _grant(_WORK, "department_tree"),
                "duplicate_candidates": _grant(_WORK, "company"),
            },
        ),
        RoleDefinition(
            key="sales_rep",
            name_zh="销售代表",
            name_en="Sales rep",
            is_builtin=True,
            objects={
                # Reps call and email their own customers, so they may reveal (audited).
                "accounts": _grant(_WORK, "own", True, unified_social_credit_code="read_only"),
                "contacts": _grant(_WORK, "own", True, id_number="hidden"),
                "leads": _grant(_WORK, "own", True),
                "opportunities": _grant(_WORK, "own"),
                "activities": _grant(_WORK + " delete", "own"),
                "products": _grant("read", "company"),
                "campaigns": _grant("read", "company"),
                "tickets": _grant("read", "own"),
                "kb_articles": _grant("read", "company"),
                # A rep records the consent a customer gives in a call; sending is marketing's.
                "consents": _grant("create read", "company"),
                "sales_pools": _grant("read", "company"),
                # Reps quote and sign their own deals; approving and booking receipts is not theirs.
                "quotes": _grant(_WORK, "own"),
                "contracts": _grant(_WORK, "own"),
                "payments": _grant("read", "company"),
                "approval_requests": _grant("create read", "own"),
                "sales_processes": _grant("read", "company"),
                "price_books": _grant("read", "company"),
                "rep_insight": _grant("read", "own"),
                "agent_runs": _grant(_WORK, "own"),
                # A rep may clean up duplicates among the records they may edit.
                "duplicate_candidates": _grant("read update", "company"),
            },
        ),
        RoleDefinition(
            key="marketer",
            name_zh="市场专员",
            name_en="Marketer",
            is_builtin=True,
            objects={
                "campaigns": _grant(_FULL, "company"),
                "campaign_members": _grant(_FULL, "company"),
                "leads": _grant("create read update export import", "company"),
                "contacts": _grant("read", "company", id_number="hidden"),
                "accounts": _grant("read", "company"),
                "products": _grant("read", "company"),
                "activities": _grant(_WORK, "own"),
                "kb_articles": _grant("read", "company"),
                "segments": _grant(_FULL, "company"),
                "journeys": _grant(_FULL, "company"),
                "consents": _grant("create read update export import", "company"),
                "marketing_messages": _grant("create read export", "company"),
                "marketing_metrics": _grant("read export", "company"),
                "lead_forms": _grant(_FULL, "company"),
            },
        ),
        RoleDefinition(
            key="service_agent",
            name_zh="客服专员",
            name_en="Service agent",
            is_builtin=True,
            objects={
                "tickets": _grant(_WORK, "company"),
                "accounts": _grant("read", "company"),
                "contacts": _grant("read update", "company", True, id_number="hidden"),
                "activities": _grant(_WORK, "own"),
                "products": _grant("read", "company"),
                "kb_articles": _grant(_FULL, "company"),
                "consents": _grant("create read", "company"),
                "agent_runs": _grant(_WORK, "own"),
            },
        ),
        RoleDefinition(
            key="analyst",
            name_zh="数据分析师",
            name_en="Analyst",
            is_builtin=True,
            objects={name: _grant("read export", "company") for name in ALL_OBJECTS},
        ),
        RoleDefinition(
            key="auditor",
            name_zh="审计员",
            name_en="Auditor",
            is_builtin=True,
            can_read_audit=True,
        ),
    )
}

SYSTEM_ROLE = RoleDefinition(
    key="system",
    name_zh="系统",
    name_en="System",
    is_builtin=True,
    is_administrator=True,
    objects={name: _grant(_FULL, "company", reveal=True) for name in ALL_OBJECTS},
)

NO_ACCESS = RoleDefinition(key="none", name_zh="无权限", name_en="No access")
