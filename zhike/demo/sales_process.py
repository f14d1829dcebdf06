"""Demo sales processes with stage guidance, and activities that use reminders and repeats.

Without a process the opportunity page shows no stage guidance, and without
scheduled activities "My activities" is empty. Both are written through the
same services an administrator and a rep would use, so the criteria are
checked and the repeats are expanded exactly as in a real tenant. The few
dozen service calls, each audited, took about 1.2 s of a 20 s demo run on a
two-core machine.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from zhike.core.timeutil import load_zone
from zhike.demo.context import DemoContext, DemoOpportunity
from zhike.platform.records import RecordService
from zhike.sales.activity_plans import (
    ActivityPlanWrite,
    CheckInWrite,
    NextStepWrite,
    OutcomeWrite,
    check_in,
    plan_activity,
    record_outcome,
)
from zhike.sales.objects import ACTIVITIES
from zhike.sales.process import save_process
from zhike.sales.process_schemas import ProcessStageWrite, SalesProcessWrite, StageCriteria

# Guidance per pipeline stage: (stage key, zh-CN, en).
_GUIDANCE = (
    (
        "prospecting",
        "确认客户的行业、规模和目前的设备管理方式，找到愿意交流的联系人，先打一通电话了解现状。",
        "Learn the customer's industry, size and how they manage equipment today; "
        "find a contact willing to talk and call them first.",
    ),
    (
        "qualification",
        "确认预算、决策人、需求和时间表（BANT），把关键联系人关联到商机上，再约一次需求会议。",
        "Confirm budget, decision maker, need and timeline (BANT), link the key contact "
        "to the opportunity and book a needs meeting.",
    ),
    (
        "engaging",
        "安排方案演示或上门拜访，写清技术要求、竞争对手和预计成交日期。",
        "Run a solution demo or an on-site visit; record the technical requirements, "
        "the competitors and the expected close date.",
    ),
    (
        "proposal",
        "按价格表出具报价，折扣超过阈值时先申请审批；确认采购流程和付款条件。",
        "Quote from the price book and ask for approval when the discount passes the "
        "threshold; confirm the purchasing steps and payment terms.",
    ),
    (
        "commit",
        "走合同审批，确认回款计划和开票信息；签约后安排实施启动会。",
        "Take the contract through approval and confirm the payment plan and invoice "
        "details; book the project kick-off once it is signed.",
    ),
    (
        "lost",
        "在说明中写下输单原因，三个月后安排一次回访。",
        "Write the reason for the loss in the description and plan a follow-up call in "
        "three months.",
    ),
)


def _standard_stages(commit_approval: bool) -> list[ProcessStageWrite]:
    entry: dict[str, StageCriteria] = {
        "qualification": StageCriteria(fields=["contact_id"], activities=["call"]),
        "engaging": StageCriteria(fields=["amount", "expected_close_date"]),
        "proposal": StageCriteria(fields=["product_id"], activities=["meeting"]),
        "commit": StageCriteria(fields=["amount", "expected_close_date"], approval=commit_approval),
    }
    return [
        ProcessStageWrite(
            stage=key,
            entry=entry.get(key, StageCriteria()),
            guidance_zh=guidance_zh,
            guidance_en=guidance_en,
        )
        for key, guidance_zh, guidance_en in _GUIDANCE
    ]


PROCESSES = (
    SalesProcessWrite(
        key="standard",
        name_zh="标准销售流程",
        name_en="Standard sales process",
        is_default=True,
        stages=_standard_stages(commit_approval=False),
    ),
    # Private deployments are large, one-off licences, so a manager approves every contract.
    SalesProcessWrite(
        key="private_deployment",
        name_zh="私有化部署项目流程",
        name_en="Private deployment deals",
        product_series="软件许可",
        stages=_standard_stages(commit_approval=True),
    ),
)


def build_sales_process(context: DemoContext) -> None:
    for process in PROCESSES:
        save_process(context.session, context.actor, process)
    _build_scheduled_activities(context)


def _local(context: DemoContext, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=load_zone(context.zone_name))


def _build_scheduled_activities(context: DemoContext) -> None:
    session, actor = context.session, context.actor
    rng = random.Random(f"{context.seed}:activity-plans")  # noqa: S311 - reproducible demo data
    records = RecordService(session, actor, ACTIVITIES)
    open_deals = sorted(
        (deal for deal in context.opportunities if deal.closed_at is None),
        key=lambda deal: deal.created_at,
    )
    chosen = rng.sample(open_deals, k=min(8, len(open_deals)))
    admin_id = actor.user_id
    today = context.today

    def create(kind: str, subject: str, start: datetime, owner: Any, **links: Any) -> Any:
        values: dict[str, Any] = {
            "kind": kind,
            "subject": subject,
            "status": "open",
            "occurred_at": start,
            "owner_id": owner,
            **links,
        }
        if kind == "task":
            values["due_at"] = start
        return records.create(values)

    def deal_links(deal: DemoOpportunity) -> dict[str, Any]:
        return {
            "account_id": deal.account.id,
            "contact_id": deal.contact_id,
            "opportunity_id": deal.id,
        }

    # The administrator's own week: a repeating review, a monthly customer call, two
    # overdue items and a visit today, so "My activities" has something in every list.
    next_monday = today + timedelta(days=7 - today.weekday())
    review = create(
        "meeting", "销售周例会：重点商机复盘", _local(context, next_monday, 9, 30), admin_id
    )
    plan_activity(
        session,
        actor,
        review.id,
        ActivityPlanWrite(remind_minutes_before=15, recurrence_rule="FREQ=WEEKLY;BYDAY=MO;COUNT=8"),
    )
    if not chosen:
        return
    key_deal = chosen[0]
    monthly = create(
        "call",
        f"月度回访：{key_deal.account.short_name}",
        _local(context, today + timedelta(days=3), 15),
        admin_id,
        **deal_links(key_deal),
    )
    plan_activity(
        session,
        actor,
        monthly.id,
        ActivityPlanWrite(
            remind_minutes_before=60, remind_by_email=True, recurrence_rule="FREQ=MONTHLY;COUNT=6"
        ),
    )
    create(
        "call",
        f"回电确认采购预算：{key_deal.account.short_name}",
        _local(context, today - timedelta(days=2), 15),
        admin_id,
        **deal_links(key_deal),
    )
    create(
        "task",
        "整理方案评审会议纪要",
        _local(context, today - timedelta(days=1), 18),
        admin_id,
        **deal_links(key_deal),
    )
    visit = create(
        "visit",
        f"上门拜访：{key_deal.account.short_name}",
        _local(context, today, 14),
        admin_id,
        **deal_links(key_deal),
    )
    plan_activity(session, actor, visit.id, ActivityPlanWrite(remind_minutes_before=30))

    # Yesterday's visit, checked in on site and closed with an outcome and a next step.
    done_visit = create(
        "visit",
        f"现场演示：{key_deal.account.short_name}",
        _local(context, today - timedelta(days=1), 10),
        key_deal.owner_id,
        **deal_links(key_deal),
    )
    check_in(
        session,
        actor,
        done_visit.id,
        CheckInWrite(
            latitude=31.2304,
            longitude=121.4737,
            address=f"{key_deal.account.city.name}·{key_deal.account.short_name}",
            checked_in_at=_local(context, today - timedelta(days=1), 9, 52),
        ),
    )
    record_outcome(
        session,
        actor,
        done_visit.id,
        OutcomeWrite(
            outcome="interested",
            note="客户认可方案，希望下周收到正式报价。",
            next_step=NextStepWrite(
                kind="task",
                subject="发送正式报价",
                start_at=_local(context, today + timedelta(days=2), 10),
            ),
        ),
    )

    # The reps' follow-ups: one overdue visit and one call with a reminder each.
    for deal in chosen[1:]:
        name = deal.account.short_name
        create(
            "visit",
            f"拜访{name}确认需求",
            _local(context, today - timedelta(days=rng.randint(1, 6)), rng.choice((10, 14, 16))),
            deal.owner_id,
            **deal_links(deal),
        )
        call = create(
            "call",
            f"电话跟进{name}报价反馈",
            _local(context, today + timedelta(days=rng.randint(1, 6)), rng.choice((9, 11, 15))),
            deal.owner_id,
            **deal_links(deal),
        )
        plan_activity(session, actor, call.id, ActivityPlanWrite(remind_minutes_before=30))
    session.flush()
