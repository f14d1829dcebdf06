"""Demo activities, service tickets and marketing campaigns with their members."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from zhike.demo.context import DemoContext, DemoOpportunity
from zhike.demo.vocabulary import (
    CALL_TOPICS,
    CAMPAIGNS,
    EMAIL_TOPICS,
    MEETING_TOPICS,
    TASK_TOPICS,
    TICKET_CATEGORIES,
    TICKET_CHANNELS,
)
from zhike.marketing.models import Campaign, CampaignMember
from zhike.sales.models import Activity
from zhike.service.models import Ticket

OPPORTUNITY_ACTIVITIES = 5200
LEAD_ACTIVITIES = 1000
ACCOUNT_ACTIVITIES = 600
TASKS_DONE = 750
TASKS_OPEN = 300
TASKS_OVERDUE = 150
TICKET_COUNT = 600
MEMBERS_PER_CAMPAIGN = (150, 350)

_OPPORTUNITY_KINDS = ("call", "meeting", "visit", "email", "note")
_OPPORTUNITY_KIND_WEIGHTS = (35, 20, 15, 25, 5)


def _subject(rng: random.Random, kind: str, account_name: str) -> str:
    if kind == "call":
        return f"电话沟通：{rng.choice(CALL_TOPICS)}"
    if kind == "meeting":
        return f"{rng.choice(MEETING_TOPICS)}（{account_name}）"
    if kind == "visit":
        return f"上门拜访{account_name}"
    if kind == "email":
        return f"邮件：{rng.choice(EMAIL_TOPICS)}"
    return f"跟进备注：{rng.choice(CALL_TOPICS)}"


def build_activities(context: DemoContext) -> None:
    rng = context.rng("activities")

    def add(kind: str, subject: str, at: datetime, owner: uuid.UUID, **links: object) -> None:
        context.add(
            Activity,
            {
                "id": context.new_id(rng, at),
                "kind": kind,
                "subject": subject,
                "status": "done",
                "occurred_at": at,
                "completed_at": at,
                "owner_id": owner,
                **links,
            },
            at,
        )

    for _ in range(OPPORTUNITY_ACTIVITIES):
        opportunity = rng.choice(context.opportunities)
        kind = rng.choices(_OPPORTUNITY_KINDS, weights=_OPPORTUNITY_KIND_WEIGHTS)[0]
        at = context.moment(rng, opportunity.created_at, opportunity.closed_at or context.end)
        add(
            kind,
            _subject(rng, kind, opportunity.account.short_name),
            at,
            opportunity.owner_id,
            account_id=opportunity.account.id,
            contact_id=opportunity.contact_id,
            opportunity_id=opportunity.id,
        )
    worked_leads = [lead for lead in context.leads if lead.status != "new"]
    for _ in range(LEAD_ACTIVITIES):
        lead = rng.choice(worked_leads)
        kind = rng.choices(("call", "email"), weights=(70, 30))[0]
        at = context.moment(rng, lead.created_at, lead.until)
        add(kind, _subject(rng, kind, ""), at, lead.owner_id, lead_id=lead.id)
    for _ in range(ACCOUNT_ACTIVITIES):
        account = rng.choice(context.accounts)
        kind = rng.choices(("visit", "note", "call"), weights=(40, 40, 20))[0]
        at = context.moment(rng, max(account.created_at, context.start), context.end)
        add(
            kind,
            _subject(rng, kind, account.short_name),
            at,
            account.owner_id,
            account_id=account.id,
        )
    _build_tasks(context, rng)
    context.writer.flush()


def _build_tasks(context: DemoContext, rng: random.Random) -> None:
    open_deals = [deal for deal in context.opportunities if deal.closed_at is None]
    plans = (("done", TASKS_DONE), ("open", TASKS_OPEN), ("overdue", TASKS_OVERDUE))
    for plan, count in plans:
        for _ in range(count):
            deal: DemoOpportunity = rng.choice(
                open_deals if plan != "done" and open_deals else context.opportunities
            )
            if plan == "open":
                created = context.moment(rng, context.end - timedelta(days=5), context.end)
                due = context.end + timedelta(days=rng.randint(1, 21), hours=rng.randint(1, 9))
            elif plan == "overdue":
                due = context.end - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 12))
                created = due - timedelta(days=rng.randint(1, 7))
            else:
                latest = (deal.closed_at or context.end) - timedelta(hours=1)
                due = context.moment(rng, deal.created_at, max(latest, deal.created_at))
                created = due - timedelta(days=rng.randint(1, 7))
            context.add(
                Activity,
                {
                    "id": context.new_id(rng, created),
                    "kind": "task",
                    "subject": rng.choice(TASK_TOPICS),
                    "status": "done" if plan == "done" else "open",
                    "occurred_at": created,
                    "due_at": due,
                    "completed_at": due - timedelta(hours=rng.randint(0, 30))
                    if plan == "done"
                    else None,
                    "owner_id": deal.owner_id,
                    "account_id": deal.account.id,
                    "opportunity_id": deal.id,
                },
                created,
            )


def build_tickets(context: DemoContext) -> None:
    rng = context.rng("tickets")
    customers = [deal.account for deal in context.opportunities if deal.is_won] or context.accounts
    for _ in range(TICKET_COUNT):
        account = rng.choice(customers) if rng.random() < 0.8 else rng.choice(context.accounts)
        contacts = context.contacts_by_account.get(account.id) or []
        category, subjects = rng.choice(TICKET_CATEGORIES)
        subject = rng.choice(subjects)
        opened = context.moment(rng, context.start, context.end - timedelta(minutes=30))
        age = context.end - opened
        if age > timedelta(days=14):
            status = rng.choices(("closed", "resolved"), weights=(75, 25))[0]
        else:
            status = rng.choices(("new", "open", "pending", "resolved"), weights=(20, 40, 20, 20))[
                0
            ]
        resolved = None
        if status in ("closed", "resolved"):
            resolved = min(
                opened + timedelta(hours=rng.randint(1, 240)), context.end - timedelta(minutes=1)
            )
        values = {
            "id": context.new_id(rng, opened),
            "subject": subject,
            "description": f"客户反馈：{subject}。请尽快处理并回复客户。",
            "status": status,
            "priority": rng.choices(("low", "normal", "high", "urgent"), weights=(20, 55, 20, 5))[
                0
            ],
            "category": category,
            "channel": rng.choice(TICKET_CHANNELS),
            "account_id": account.id,
            "contact_id": rng.choice(contacts).id if contacts else None,
            "product_id": rng.choice(context.products)[0],
            "opened_at": opened,
            "resolved_at": resolved,
            "owner_id": rng.choice(context.service_agents),
            "updated_at": resolved or opened,
        }
        # A new ticket still waits in the queue, and every other one has been taken.
        values["assignee_id"] = None if status == "new" else values["owner_id"]
        context.add(Ticket, values, opened)
    context.writer.flush()


def build_campaigns(context: DemoContext) -> None:
    rng = context.rng("campaigns")
    member_rng = context.rng("campaign-members")
    sizes = [rng.randint(*MEMBERS_PER_CAMPAIGN) for _ in CAMPAIGNS]
    for (name, channel, days_ago, length, budget), size in zip(CAMPAIGNS, sizes, strict=True):
        starts = context.today - timedelta(days=days_ago)
        ends = starts + timedelta(days=length)
        if ends < context.today:
            status = "completed"
        else:
            status = "planned" if starts > context.today else "active"
        created = min(context.end - timedelta(days=1), context.end - timedelta(days=days_ago + 30))
        campaign_id = context.add(
            Campaign,
            {
                "id": context.new_id(rng, created),
                "name": name,
                "channel": channel,
                "status": status,
                "starts_on": starts,
                "ends_on": ends,
                "budget": budget,
                "currency": "CNY",
                "owner_id": context.marketers[0],
            },
            created,
        )
        context.writer.flush()
        if status == "planned":
            continue  # a planned campaign has not reached anyone yet
        start_instant = context.end - timedelta(days=days_ago)
        contact_count = size * 7 // 10
        contacts = member_rng.sample(context.contacts, contact_count)
        leads = member_rng.sample(context.leads, size - contact_count)
        people: list[tuple[str, uuid.UUID]] = [("contact_id", contact.id) for contact in contacts]
        people += [("lead_id", lead.id) for lead in leads]
        for column, person_id in people:
            responded: datetime | None = None
            member_status = member_rng.choices(
                ("sent", "responded", "converted", "unsubscribed"), weights=(80, 15, 3, 2)
            )[0]
            touched = min(
                start_instant
                + timedelta(days=member_rng.randint(0, length), hours=member_rng.randint(1, 9)),
                context.end - timedelta(hours=1),
            )
            if member_status in ("responded", "converted"):
                responded = min(
                    touched + timedelta(days=member_rng.randint(0, 5)),
                    context.end - timedelta(minutes=1),
                )
            context.add(
                CampaignMember,
                {
                    "id": context.new_id(member_rng, touched),
                    "campaign_id": campaign_id,
                    column: person_id,
                    "status": member_status,
                    "touched_at": touched,
                    "responded_at": responded,
                    "has_responded": responded is not None,
                },
                touched,
            )
    context.writer.flush()
