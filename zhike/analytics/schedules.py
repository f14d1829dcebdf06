"""Scheduled delivery of saved reports: daily, weekly or monthly, by e-mail or in the app.

A schedule names a recipient, and each delivery runs the report as that
recipient, so the file or notification holds only what the recipient may read.
Periods are computed in the tenant's time zone. A delivery row per schedule and
period (unique) makes a second run for the same period a no-op, however many
workers run the job. A failed e-mail stays ``failed`` and is tried again on the
next run of the job within the same period.
"""

from __future__ import annotations

import io
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhike.analytics.column_labels import column_labels
from zhike.analytics.export import MEDIA_TYPES, check_export, write_result
from zhike.analytics.query import ReportQuery
from zhike.analytics.saved import can_edit, can_read, get_report, run_saved_report
from zhike.analytics.saved_models import ReportDelivery, ReportSchedule, SavedReport
from zhike.analytics.saved_schemas import ScheduleRead, ScheduleWrite
from zhike.audit.service import AuditAction, record_event
from zhike.core.db import Database
from zhike.core.errors import Forbidden, InvalidInput, NotFound, ZhikeError
from zhike.core.i18n import translate
from zhike.core.settings import Settings, get_settings
from zhike.core.timeutil import load_zone, utc_now
from zhike.security.actors import actor_for
from zhike.security.context import Actor
from zhike.security.models import Tenant, User
from zhike.security.tenancy import bind_tenant

logger = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10.0
# A delivered file contains at most this many rows, the largest limit a report query takes.
DELIVERY_ROW_LIMIT = 10_000


def _present(session: Session, schedule: ReportSchedule) -> ScheduleRead:
    delivered = session.scalar(
        select(ReportDelivery.delivered_at)
        .where(ReportDelivery.schedule_id == schedule.id, ReportDelivery.status == "sent")
        .order_by(ReportDelivery.delivered_at.desc())
        .limit(1)
    )
    return ScheduleRead(
        id=schedule.id,
        report_id=schedule.report_id,
        recipient_id=schedule.recipient_id,
        frequency=schedule.frequency,
        hour=schedule.hour,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
        channel=schedule.channel,
        file_format=schedule.file_format,
        is_active=schedule.is_active,
        last_delivered_at=delivered,
    )


def _recipient_actor(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Actor | None:
    tenant = session.get(Tenant, tenant_id)
    user = session.get(User, user_id)
    if tenant is None or user is None or user.tenant_id != tenant_id or not user.is_active:
        return None
    return actor_for(tenant, user, session)


def create_schedule(
    session: Session, actor: Actor, report_id: uuid.UUID, body: ScheduleWrite
) -> ScheduleRead:
    """Schedule a report for yourself, or, as its owner, for someone it is shared with."""
    report = get_report(session, actor, report_id)
    recipient_id = body.recipient_id or actor.user_id
    if recipient_id is None:
        raise Forbidden("saved_report_needs_user")
    if recipient_id != actor.user_id:
        if not can_edit(actor, report):
            raise Forbidden("saved_report_read_only", report=report.name)
        recipient = _recipient_actor(session, actor.tenant_id, recipient_id)
        if recipient is None:
            raise InvalidInput("report_unknown_recipient", user=str(recipient_id))
        if not can_read(recipient, report):
            raise InvalidInput("report_not_shared_with_recipient", user=str(recipient_id))
    if body.channel == "email":
        # A file sent by e-mail leaves the system like an export, so the recipient needs that right.
        recipient = _recipient_actor(session, actor.tenant_id, recipient_id)
        if recipient is None:
            raise InvalidInput("report_unknown_recipient", user=str(recipient_id))
        stored = ReportQuery.model_validate(report.query)
        check_export(recipient, stored, body.file_format)
        if not get_settings().smtp_host:
            # Accepted without a server, every delivery would fail later in a background job.
            raise InvalidInput("report_schedule_needs_smtp")
    schedule = ReportSchedule(
        tenant_id=actor.tenant_id,
        report_id=report.id,
        created_by_id=actor.user_id,
        recipient_id=recipient_id,
        frequency=body.frequency,
        hour=body.hour,
        weekday=body.weekday,
        day_of_month=body.day_of_month,
        channel=body.channel,
        file_format=body.file_format,
        is_active=body.is_active,
    )
    session.add(schedule)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.RECORD_CREATE,
        object_name="report_schedules",
        record_id=schedule.id,
        details={"report_id": str(report.id), "recipient_id": str(recipient_id)},
    )
    return _present(session, schedule)


def list_schedules(session: Session, actor: Actor, report_id: uuid.UUID) -> list[ScheduleRead]:
    """List every schedule of the report for its owner, and only their own for anyone else."""
    report = get_report(session, actor, report_id)
    statement = select(ReportSchedule).where(
        ReportSchedule.tenant_id == actor.tenant_id, ReportSchedule.report_id == report.id
    )
    if not can_edit(actor, report):
        statement = statement.where(ReportSchedule.recipient_id == actor.user_id)
    rows = session.scalars(statement.order_by(ReportSchedule.created_at, ReportSchedule.id))
    return [_present(session, row) for row in rows]


def delete_schedule(
    session: Session, actor: Actor, report_id: uuid.UUID, schedule_id: uuid.UUID
) -> None:
    report = get_report(session, actor, report_id)
    schedule = session.scalar(
        select(ReportSchedule).where(
            ReportSchedule.id == schedule_id,
            ReportSchedule.report_id == report.id,
            ReportSchedule.tenant_id == actor.tenant_id,
        )
    )
    if schedule is None or not (can_edit(actor, report) or schedule.recipient_id == actor.user_id):
        raise NotFound("record_not_found", object="report_schedules", id=str(schedule_id))
    session.delete(schedule)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.RECORD_DELETE,
        object_name="report_schedules",
        record_id=schedule_id,
    )


@dataclass(frozen=True)
class DuePeriod:
    key: str
    label: str


def due_period(schedule: ReportSchedule, now: datetime, timezone: str) -> DuePeriod | None:
    """Return the current period if its delivery time has passed since the schedule began.

    A schedule created at 10:00 for 08:00 daily first delivers the next day,
    rather than at once for a time that was already over.
    """
    zone = load_zone(timezone)
    local = now.astimezone(zone)
    today = local.date()
    if schedule.frequency == "daily":
        day = today
        key = day.isoformat()
    elif schedule.frequency == "weekly":
        day = today - timedelta(days=today.weekday()) + timedelta(days=schedule.weekday)
        year, week, _ = today.isocalendar()
        key = f"{year}-W{week:02d}"
    else:
        day = today.replace(day=schedule.day_of_month)
        key = f"{today.year}-{today.month:02d}"
    due = datetime(day.year, day.month, day.day, schedule.hour, tzinfo=zone)
    created = schedule.created_at.astimezone(zone)
    if local < due or due < created:
        return None
    return DuePeriod(key=key, label=key)


def _claim(session: Session, schedule: ReportSchedule, key: str) -> ReportDelivery | None:
    """Insert this period's delivery row, or take a failed one; None when another run has it."""
    existing = session.scalar(
        select(ReportDelivery).where(
            ReportDelivery.schedule_id == schedule.id, ReportDelivery.period_key == key
        )
    )
    if existing is not None:
        if existing.status != "failed":
            return None
        # Only one of several workers turns a failed row back to pending, so one retries.
        taken = session.execute(
            update(ReportDelivery)
            .where(ReportDelivery.id == existing.id, ReportDelivery.status == "failed")
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            return None
        session.refresh(existing)
        return existing
    delivery = ReportDelivery(tenant_id=schedule.tenant_id, schedule_id=schedule.id, period_key=key)
    try:
        with session.begin_nested():
            session.add(delivery)
            session.flush()
    except IntegrityError:
        return None
    return delivery


def send_report_mail(
    settings: Settings,
    to_address: str,
    subject: str,
    text: str,
    attachment: tuple[str, str, bytes],
) -> None:
    """Send one message with a file attached over the configured SMTP server."""
    if not settings.smtp_host:
        raise OSError("no SMTP server is configured (ZHIKE_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to_address
    message["Subject"] = subject
    message.set_content(text)
    filename, media_type, content = attachment
    main_type, _, sub_type = media_type.split(";")[0].partition("/")
    message.add_attachment(content, maintype=main_type, subtype=sub_type, filename=filename)
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS
    ) as client:
        if settings.smtp_starttls:
            client.starttls()
        if settings.smtp_username and settings.smtp_password:
            client.login(settings.smtp_username, settings.smtp_password)
        client.send_message(message)


def _deliver(
    session: Session,
    schedule: ReportSchedule,
    delivery: ReportDelivery,
    period: DuePeriod,
    settings: Settings,
    now: datetime,
) -> None:
    from zhike.sales.reminders import notify

    recipient = _recipient_actor(session, schedule.tenant_id, schedule.recipient_id)
    report = session.get(SavedReport, schedule.report_id)
    if recipient is None or report is None or report.deleted_at is not None:
        delivery.status, delivery.error = "failed", "recipient inactive or report deleted"
        return
    if not can_read(recipient, report):
        # The share was withdrawn after the schedule was made: deliver nothing.
        delivery.status, delivery.error = "failed", "report no longer shared with the recipient"
        return
    _, result = run_saved_report(session, recipient, report.id, limit=DELIVERY_ROW_LIMIT)
    delivery.rows = len(result.rows)
    params = {"report": report.name, "period": period.label, "rows": len(result.rows)}
    if schedule.channel == "in_app":
        notify(
            session,
            schedule.tenant_id,
            schedule.recipient_id,
            "report_ready",
            params,
            "saved_reports",
            report.id,
            f"report:{schedule.id}:{period.key}",
            now=now,
        )
    else:
        check_export(recipient, ReportQuery.model_validate(report.query), schedule.file_format)
        user = session.get(User, schedule.recipient_id)
        assert user is not None
        locale = user.locale or "zh-CN"
        buffer = io.BytesIO()
        labels = column_labels(
            session, recipient.with_locale(locale), ReportQuery.model_validate(report.query)
        )
        write_result(result, schedule.file_format, recipient.timezone, report.name, buffer, labels)
        filename = f"{report.name}-{period.key}.{schedule.file_format}"
        send_report_mail(
            settings,
            user.email,
            translate("report_delivery.subject", locale, **params),
            translate("report_delivery.body", locale, **params),
            (filename, MEDIA_TYPES[schedule.file_format], buffer.getvalue()),
        )
    delivery.status, delivery.error, delivery.delivered_at = "sent", None, now
    record_event(
        session,
        recipient,
        AuditAction.EXPORT,
        object_name=report.query.get("object"),
        details={
            "report_id": str(report.id),
            "schedule_id": str(schedule.id),
            "period": period.key,
            "channel": schedule.channel,
            "format": schedule.file_format,
            "rows": len(result.rows),
        },
    )


def deliver_due_reports(
    database: Database,
    now: datetime | None = None,
    settings: Settings | None = None,
    tenant_ids: list[uuid.UUID] | None = None,
) -> dict[str, int]:
    """Deliver every due schedule of ``tenant_ids`` (default: all); one transaction each."""
    moment = now or utc_now()
    mail_settings = settings or database.settings
    totals = {"sent": 0, "failed": 0, "skipped": 0}
    with database.session() as session:
        statement = select(Tenant.id, Tenant.timezone)
        if tenant_ids is not None:
            statement = statement.where(Tenant.id.in_(tenant_ids))
        tenants = session.execute(statement).all()
    for tenant_id, timezone in tenants:
        with database.session() as session:
            bind_tenant(session, tenant_id)
            schedules = list(
                session.scalars(
                    select(ReportSchedule.id).where(
                        ReportSchedule.tenant_id == tenant_id, ReportSchedule.is_active.is_(True)
                    )
                )
            )
        for schedule_id in schedules:
            with database.session() as session:
                bind_tenant(session, tenant_id)
                schedule = session.get(ReportSchedule, schedule_id)
                if schedule is None:
                    continue
                period = due_period(schedule, moment, timezone)
                if period is None:
                    continue
                delivery = _claim(session, schedule, period.key)
                if delivery is None:
                    totals["skipped"] += 1
                    continue
                try:
                    with session.begin_nested():
                        _deliver(session, schedule, delivery, period, mail_settings, moment)
                except ZhikeError as error:
                    # A report that no longer runs for the recipient, e.g. a field now hidden.
                    delivery.status, delivery.error = "failed", error.code
                    logger.warning(
                        "report delivery failed",
                        extra={"schedule_id": str(schedule_id), "error": error.code},
                    )
                except (smtplib.SMTPException, OSError) as error:
                    delivery.status, delivery.error = "failed", str(error)[:500]
                    logger.warning(
                        "report delivery failed",
                        extra={"schedule_id": str(schedule_id), "error": str(error)[:200]},
                    )
                session.flush()
                totals["sent" if delivery.status == "sent" else "failed"] += 1
    logger.info("report deliveries", extra=totals)
    return totals
