"""What the bot did, for knowledge-base owners: resolved, handed off, and could not answer."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.security.access import require
from zhike.security.context import Actor
from zhike.service.models import BotConversation, BotTurn

MAX_UNANSWERED = 50


def bot_report(session: Session, actor: Actor, since: datetime | None = None) -> dict[str, Any]:
    """Share resolved without a person, hand-off reasons, unanswered and cited questions."""
    require(actor, "kb_articles", "update")
    conversations_query = select(BotConversation).where(
        BotConversation.tenant_id == actor.tenant_id
    )
    turns_query = select(BotTurn).where(BotTurn.tenant_id == actor.tenant_id, BotTurn.role == "bot")
    if since is not None:
        conversations_query = conversations_query.where(BotConversation.created_at >= since)
        turns_query = turns_query.where(BotTurn.created_at >= since)
    conversations = session.scalars(conversations_query).all()
    turns = session.scalars(turns_query).all()
    answered = {turn.conversation_id for turn in turns if turn.action == "answer"}
    engaged = [
        conversation
        for conversation in conversations
        if conversation.status == "handed_off"
        or conversation.id in answered
        or any(
            turn.conversation_id == conversation.id and turn.action != "greeting" for turn in turns
        )
    ]
    without_human = [
        conversation
        for conversation in engaged
        if conversation.status != "handed_off" and conversation.id in answered
    ]
    reasons = Counter(
        conversation.handoff_reason or "unknown"
        for conversation in conversations
        if conversation.status == "handed_off"
    )
    unanswered = Counter(
        turn.question.strip() for turn in turns if turn.action == "refuse" and turn.question
    )
    cited: Counter[tuple[str, str]] = Counter(
        (citation["article_id"], citation["title"])
        for turn in turns
        if turn.action == "answer"
        for citation in turn.citations or []
    )
    return {
        "conversations": len(conversations),
        "engaged": len(engaged),
        "resolved_without_human": len(without_human),
        "resolved_without_human_share": round(len(without_human) / len(engaged), 3)
        if engaged
        else 0.0,
        "handed_off": sum(reasons.values()),
        "handoff_reasons": dict(reasons.most_common()),
        "unanswered_questions": [
            {"question": question, "count": count}
            for question, count in unanswered.most_common(MAX_UNANSWERED)
        ],
        "cited_articles": [
            {"article_id": article_id, "title": title, "count": count}
            for (article_id, title), count in cited.most_common(20)
        ],
    }
