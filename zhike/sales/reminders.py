"""Notifications and reminders: in-app rows, optional e-mail, and the scan that creates them.

``scan_reminders`` is idempotent: each notification carries a ``dedup_key``
(the activity, instalment or account it is about, and the period), and a key
already stored is skipped. E-mail goes out afterwards in ``send_pending_emails``,
which marks each notification it delivered, so a failed SMTP server only
delays mail and never duplicates it.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhike.core.errors import NotFound
from zhike.core.i18n import translate
from zhike.core.ids import new_id
from zhike.core.settings import Settings
from zhike.core.timeutil import load_zone, utc_now
from zhike.sales.models import Activity
from zhike.sales.process_models import ActivityPlan, Notification
from zhike.security.context import Actor
from zhike.security.models import Tenant, User

logger = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10.0
# Parameters holding a code that is itself translated before the message is rendered.
_TRANSLATED_PARAMETERS = {
    "kind": "sales_process.approval_kind",
    "status": "sales_process.approval_status",
}


def notify(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    params: dict[str, Any],
    object_name: str | None,
    record_id: uuid.UUID | None,
    dedup_key: str,
    *,
    email: bool = False,
    now: datetime | None = None,
) -> Notification | None:
    """Store a notification unless one with ``dedup_key`` exists; return the new row or None."""
    found = session.scalar(
        select(Notification.id).where(
            Notification.tenant_id == tenant_id, Notification.dedup_key == dedup_key
        )
    )
    if found is not None:
        return None
    notification = Notification(
        id=new_id(),
        tenant_id=tenant_id,
        user_id=user_id,
        kind=kind,
        params=params,
        object_name=object_name,
        record_id=record_id,
        dedup_key=dedup_key[:200],
        created_at=now or utc_now(),
        email_requested=email,
    )
    session.add(notification)
    session.flush()
    return notification


def render(notification: Notification, locale: str) -> str:
    params = dict(notification.params or {})
    for name, prefix in _TRANSLATED_PARAMETERS.items():
        if name in params:
            params[name] = translate(f"{prefix}.{params[name]}", locale)
    return translate(f"sales_process.notice.{notification.kind}", locale, **params)


@dataclass(frozen=True)
class NotificationView:
    id: uuid.UUID
    kind: str
    message: str
    object_name: str | None
    record_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


def list_notifications(
    session: Session, actor: Actor, unread_only: bool = False, limit: int = 100
) -> list[NotificationView]:
    """Return the actor's own notifications, newest first; another user's inbox is never listed."""
    if actor.user_id is None:
        return []
    statement = select(Notification).where(
        Notification.tenant_id == actor.tenant_id, Notification.user_id == actor.user_id
    )
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    statement = statement.order_by(Notification.created_at.desc(), Notification.id.desc())
    return [
        NotificationView(
            row.id,
            row.kind,
            render(row, actor.locale),
            row.object_name,
            row.record_id,
            row.created_at,
            row.read_at,
        )
        for row in session.scalars(statement.limit(max(1, min(limit, 500))))
    ]


def mark_read(session: Session, actor: Actor, notification_id: uuid.UUID) -> None:
    row = session.scalar(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.tenant_id == actor.tenant_id,
            Notification.user_id == actor.user_id,
        )
    )
    if row is None:
        raise NotFound("record_not_found", object="notifications", id=str(notification_id))
    if row.read_at is None:
        row.read_at = utc_now()
        session.flush()


def _due_activity_reminders(session: Session, tenant_id: uuid.UUID, now: datetime) -> int:
    rows = session.execute(
        select(ActivityPlan, Activity)
        .join(Activity, Activity.id == ActivityPlan.activity_id)
        .where(
            ActivityPlan.tenant_id == tenant_id,
            ActivityPlan.remind_at.is_not(None),
            ActivityPlan.remind_at <= now,
            ActivityPlan.reminded_at.is_(None),
            Activity.deleted_at.is_(None),
            Activity.status == "open",
            Activity.owner_id.is_not(None),
        )
    ).all()
    created = 0
    zone = load_zone(
        session.scalar(select(Tenant.timezone).where(Tenant.id == tenant_id)) or "Asia/Shanghai"
    )
    for plan, activity in rows:
        if activity.owner_id is None:
            continue
        start = activity.due_at or activity.occurred_at
        local = start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if notify(
            session,
            tenant_id,
            activity.owner_id,
            "activity_due",
            {"subject": activity.subject, "time": local},
            "activities",
            activity.id,
            f"activity:{activity.id}:{plan.remind_at.isoformat() if plan.remind_at else ''}",
            email=plan.remind_by_email,
            now=now,
        ):
            created += 1
        plan.reminded_at = now
    session.flush()
    return created


def scan_reminders(
    session: Session, tenant_id: uuid.UUID, now: datetime | None = None
) -> dict[str, int]:
    """Create the notifications that are due: activity reminders, overdue payments, nudges."""
    from zhike.sales.insight import create_nudges
    from zhike.sales.payments import notify_overdue

    moment = now or utc_now()
    return {
        "activity_reminders": _due_activity_reminders(session, tenant_id, moment),
        "overdue_payments": notify_overdue(session, tenant_id, moment),
        "nudges": create_nudges(session, tenant_id, moment),
    }


def _smtp_message(
    settings: Settings, to_address: str, subject: str, text: str, key: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to_address
    message["Subject"] = subject
    message["Message-ID"] = f"<{key}@zhike.invalid>"
    message.set_content(text)
    return message


def send_pending_emails(session: Session, tenant_id: uuid.UUID, settings: Settings) -> int:
    """Mail every notification that asked for e-mail and has not been mailed; return the count."""
    if not settings.smtp_host:
        return 0
    rows = session.execute(
        select(Notification, User.email, User.locale)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.tenant_id == tenant_id,
            Notification.email_requested.is_(True),
            Notification.emailed_at.is_(None),
            User.is_active.is_(True),
        )
        .order_by(Notification.created_at)
        .limit(500)
    ).all()
    if not rows:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS
        ) as client:
            if settings.smtp_starttls:
                client.starttls()
            if settings.smtp_username and settings.smtp_password:
                client.login(settings.smtp_username, settings.smtp_password)
            for notification, address, locale in rows:
                text = render(notification, locale or "zh-CN")
                subject = translate(
                    "sales_process.email_subject", locale or "zh-CN", text=text[:60]
                )
                client.send_message(
                    _smtp_message(settings, address, subject, text, notification.id.hex)
                )
                session.execute(
                    update(Notification)
                    .where(Notification.id == notification.id)
                    .values(emailed_at=utc_now())
                )
                sent += 1
    except (smtplib.SMTPException, OSError) as error:
        # What was sent stays marked; the rest is tried again on the next run.
        logger.warning(
            "reminder e-mail failed",
            extra={"tenant_id": str(tenant_id), "sent": sent, "error": str(error)[:200]},
        )
    session.flush()
    return sent
