"""Cause and effect between a customer's items, and their ranking by priority.

A link needs evidence in the data: the earlier item reads as a cause (a complaint,
a late delivery, a fault), the later one as its consequence (a refund or return
request, a cancellation, a lost deal, another complaint), both belong to the same
customer (the history holds one customer only), the gap is at most
``MAX_LINK_GAP`` and they share a topic word, or the earlier one is a complaint
ticket and the later one a refund or cancellation request.

Priority is a weight times a recency factor. Weights favour what is open, urgent,
a complaint, or part of a link; recency halves the weight every
``CLOSED_HALF_LIFE_DAYS`` for closed items and every ``OPEN_HALF_LIFE_DAYS`` for
open ones, so an open complaint outranks a months-old routine inquiry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import combinations

from zhike.ai.context.schemas import CausalLink, ContextItem

MAX_LINK_GAP = timedelta(days=14)
CLOSED_HALF_LIFE_DAYS = 14.0
OPEN_HALF_LIFE_DAYS = 90.0

CAUSE_WORDS = (
    "投诉",
    "不满",
    "延迟",
    "延误",
    "迟到",
    "晚到",
    "没到",
    "未到",
    "质量",
    "故障",
    "损坏",
    "破损",
    "坏了",
    "错发",
    "漏发",
    "问题",
    "complaint",
    "complain",
    "late",
    "delay",
    "delayed",
    "broken",
    "damaged",
    "defect",
    "defective",
    "fault",
    "outage",
    "wrong",
    "missing",
)
EFFECT_WORDS = (
    "退款",
    "退货",
    "退钱",
    "赔偿",
    "补偿",
    "取消",
    "解约",
    "流失",
    "换货",
    "refund",
    "return",
    "cancel",
    "cancellation",
    "compensation",
    "churn",
    "chargeback",
    "replacement",
)
COMPLAINT_CATEGORIES = ("complaint", "投诉")
PRIORITY_WEIGHTS = {"urgent": 3.0, "high": 2.0, "normal": 0.5, "low": 0.0}


def _text(item: ContextItem) -> str:
    return " ".join([item.title, item.category or "", *item.topics]).lower()


def _has(item: ContextItem, vocabulary: tuple[str, ...]) -> bool:
    text = _text(item)
    return any(word in text for word in vocabulary)


def is_complaint(item: ContextItem) -> bool:
    category = (item.category or "").lower()
    return item.kind == "ticket" and (category in COMPLAINT_CATEGORIES or _has(item, CAUSE_WORDS))


def _effect_like(item: ContextItem) -> bool:
    lost_deal = item.kind == "deal" and item.status == "lost"
    return lost_deal or _has(item, EFFECT_WORDS) or is_complaint(item)


def find_links(items: list[ContextItem]) -> list[CausalLink]:
    """Links between items in time order; ``items`` must be sorted oldest first."""
    links = []
    for earlier, later in combinations(items, 2):
        gap = later.occurred_at - earlier.occurred_at
        if gap < timedelta(0) or gap > MAX_LINK_GAP or earlier.kind == "deal":
            continue
        if not (_has(earlier, CAUSE_WORDS) or is_complaint(earlier)) or not _effect_like(later):
            continue
        shared = [topic for topic in earlier.topics if topic in later.topics]
        complaint_then_remedy = is_complaint(earlier) and _has(later, EFFECT_WORDS)
        if not shared and not complaint_then_remedy:
            continue
        if later.kind == "activity" and later.id and later.title in earlier.progress:
            # Work logged on the ticket is its progress, not a new consequence.
            continue
        reason = "complaint_then_remedy" if complaint_then_remedy else "same_topic_escalation"
        links.append(
            CausalLink(
                cause_id=earlier.id,
                effect_id=later.id,
                reason=reason,
                gap_hours=round(gap.total_seconds() / 3600, 1),
                shared_topics=shared,
            )
        )
    return links


def rank_items(items: list[ContextItem], links: list[CausalLink], now: datetime) -> None:
    """Set ``score``, ``reasons`` and ``rank`` (1 is the most pressing) of every item."""
    linked = {link.cause_id for link in links} | {link.effect_id for link in links}
    for item in items:
        weight = {"ticket": 2.0, "deal": 1.5, "activity": 1.0}[item.kind]
        reasons = []
        if item.is_open:
            weight += 3.0 if item.kind == "ticket" else 1.5
            reasons.append("open")
        if item.kind == "ticket":
            bonus = PRIORITY_WEIGHTS.get(item.priority or "normal", 0.5)
            weight += bonus
            if bonus >= 2.0:
                reasons.append(f"priority_{item.priority}")
        if is_complaint(item):
            weight += 2.0
            reasons.append("complaint")
        if _has(item, EFFECT_WORDS):
            weight += 1.5
            reasons.append("remedy_requested")
        if item.id in linked:
            weight += 1.5
            reasons.append("linked")
        age_days = max((now - item.occurred_at).total_seconds() / 86400, 0.0)
        half_life = OPEN_HALF_LIFE_DAYS if item.is_open else CLOSED_HALF_LIFE_DAYS
        recency = 0.5 ** (age_days / half_life)
        if age_days <= 1:
            reasons.append("today")
        item.score = round(weight * recency, 4)
        item.reasons = reasons
    ordered = sorted(items, key=lambda item: (-item.score, -item.occurred_at.timestamp()))
    for position, item in enumerate(ordered, 1):
        item.rank = position
