"""Running journeys: moving each enrolled contact through its steps, durably.

The position of every contact (step, wake time, chosen A/B branches) lives in
``journey_enrollments``. ``run_due`` takes a batch of contacts that are due,
moves each until it must wait or finishes, and commits the batch: the new
positions and the send requests of the steps passed are written in the same
transaction. A worker killed mid-batch therefore loses the whole batch, and
the next run redoes it from the old positions; the send key of each request
(journey, contact, step and step count) makes the redo request nothing twice.
Delivery happens afterwards in ``sending.dispatch_due``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhike.core.db import Database
from zhike.core.errors import ZhikeError
from zhike.core.timeutil import load_zone, utc_now
from zhike.customers.models import Contact
from zhike.marketing.automation_models import (
    EngagementEvent,
    Journey,
    JourneyEnrollment,
    MessageSend,
)
from zhike.marketing.consent import tenant_settings
from zhike.marketing.gate import contact_zone
from zhike.marketing.journey_graph import (
    AddToListStep,
    ConditionStep,
    ExitStep,
    JourneyGraph,
    Rule,
    ScoreStep,
    SendStep,
    SplitStep,
    TaskStep,
    UpdateFieldStep,
    WaitStep,
    WebhookStep,
)
from zhike.marketing.sending import SendRequest, request_send
from zhike.security.context import Actor, system_actor

logger = logging.getLogger(__name__)

# Steps one contact may take in one run; a graph that loops without a wait stops here.
MAX_STEPS_PER_RUN = 50
HISTORY_KEPT = 30
FINISHED = ("completed", "exited", "goal")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _count_events(
    session: Session, enrollment: JourneyEnrollment, kinds: list[str], since: datetime
) -> int:
    return int(
        session.scalar(
            select(func.count(EngagementEvent.id)).where(
                EngagementEvent.tenant_id == enrollment.tenant_id,
                EngagementEvent.contact_id == enrollment.contact_id,
                EngagementEvent.kind.in_(kinds),
                EngagementEvent.occurred_at >= since,
            )
        )
        or 0
    )


def choose_branch(journey: Journey, step: SplitStep, enrollment: JourneyEnrollment) -> str:
    """Pick a branch by weight from a hash of contact and step, so a replay picks the same one."""
    winner = (journey.winners or {}).get(step.id)
    if winner:
        return str(winner)
    total = sum(branch.weight for branch in step.branches)
    digest = hashlib.sha256(f"{enrollment.id}:{step.id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % max(total, 1)
    for branch in step.branches:
        if point < branch.weight:
            return branch.name
        point -= branch.weight
    return step.branches[-1].name


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("is_empty", "is_not_empty"):
        empty = left is None or left == ""
        return empty if op == "is_empty" else not empty
    if left is None:
        return op == "ne"
    try:
        if isinstance(right, int | float) and not isinstance(right, bool):
            left = float(left)
        checks: dict[str, Callable[[], Any]] = {
            "eq": lambda: left == right,
            "ne": lambda: left != right,
            "gt": lambda: left > right,
            "gte": lambda: left >= right,
            "lt": lambda: left < right,
            "lte": lambda: left <= right,
            "contains": lambda: str(right) in str(left),
            "in": lambda: left in (right if isinstance(right, list) else [right]),
        }
        check = checks.get(op)
        return bool(check()) if check is not None else False
    except (TypeError, ValueError):
        return False


def _rule_holds(
    session: Session, rule: Rule, enrollment: JourneyEnrollment, contact: Contact
) -> bool:
    if rule.kind == "field":
        name = rule.field or ""
        value = (
            (contact.custom or {}).get(name[7:])
            if name.startswith("custom.")
            else getattr(contact, name, None)
        )
        return _compare(rule.op, value, rule.value)
    if rule.kind == "engagement":
        since = enrollment.created_at if rule.since_entry else _EPOCH
        count = _count_events(session, enrollment, [rule.event or "opened"], since)
        return count > 0 if rule.value is None else _compare(rule.op, count, rule.value)
    from zhike.ai.models.models import ModelScore

    score = session.scalar(
        select(ModelScore.score).where(
            ModelScore.tenant_id == enrollment.tenant_id,
            ModelScore.record_id == contact.id,
            ModelScore.template == rule.template,
        )
    )
    return _compare(rule.op, score, rule.value)


def _local_time_after(zone: str, now: datetime, at: str) -> datetime:
    local = now.astimezone(load_zone(zone))
    moment = datetime.combine(local.date(), time.fromisoformat(at), tzinfo=local.tzinfo)
    if moment <= local:
        moment += timedelta(days=1)
    return moment.astimezone(now.tzinfo)


class StepRunner:
    """Executes the steps of one journey for contacts of one tenant, as the system actor."""

    def __init__(self, session: Session, journey: Journey, actor: Actor, now: datetime) -> None:
        self.session = session
        self.journey = journey
        self.graph = JourneyGraph.model_validate(journey.graph)
        self.actor = actor
        self.now = now
        # Contacts of the current batch with a goal or exit event; None: not prefetched.
        self.with_end_events: set[uuid.UUID] | None = None
        # Send keys already stored for the batch's contacts, or None until prefetched.
        self.stored_send_keys: set[str] | None = None

    def advance(self, enrollment: JourneyEnrollment, contact: Contact | None) -> None:
        if contact is None or contact.deleted_at is not None:
            self._finish(enrollment, "exited", "contact_missing")
            return
        if self._ended_by_event(enrollment):
            return
        # A waiting contact is due: its wait step runs again and decides whether it is over.
        enrollment.state = "active"
        for _ in range(MAX_STEPS_PER_RUN):
            if enrollment.state in FINISHED:
                return
            if enrollment.step_id is None:
                self._finish(enrollment, "completed", None)
                return
            step = self.graph.step(enrollment.step_id)
            following = self._run(step, enrollment, contact)
            if enrollment.state == "waiting":
                return
            self._move(enrollment, step.id, following)
        # Not finished within the limit: continue on the next run rather than spin.
        enrollment.wake_at = self.now + timedelta(minutes=1)

    def prefetch(self, contact_ids: set[uuid.UUID]) -> None:
        """Read the batch's stored send keys, and which contacts have a goal or exit event."""
        self.stored_send_keys = set(
            self.session.scalars(
                select(MessageSend.send_key).where(
                    MessageSend.tenant_id == self.journey.tenant_id,
                    MessageSend.contact_id.in_(contact_ids),
                    MessageSend.journey_id == self.journey.id,
                )
            )
        )
        kinds = [
            *self.graph.exit_events,
            *([self.graph.goal_event] if self.graph.goal_event else []),
        ]
        self.with_end_events = (
            set(
                self.session.scalars(
                    select(EngagementEvent.contact_id)
                    .where(
                        EngagementEvent.tenant_id == self.journey.tenant_id,
                        EngagementEvent.contact_id.in_(contact_ids),
                        EngagementEvent.kind.in_(kinds),
                    )
                    .distinct()
                )
            )
            if kinds
            else set()
        )

    def _ended_by_event(self, enrollment: JourneyEnrollment) -> bool:
        graph = self.graph
        if self.with_end_events is not None and enrollment.contact_id not in self.with_end_events:
            return False
        if graph.goal_event and _count_events(
            self.session, enrollment, [graph.goal_event], enrollment.created_at
        ):
            self._finish(enrollment, "goal", graph.goal_event)
            return True
        if graph.exit_events and _count_events(
            self.session, enrollment, graph.exit_events, enrollment.created_at
        ):
            self._finish(enrollment, "exited", "exit_event")
            return True
        return False

    def _finish(self, enrollment: JourneyEnrollment, state: str, reason: str | None) -> None:
        enrollment.state = state
        enrollment.wake_at = None
        enrollment.finished_at = self.now
        self._log(enrollment, enrollment.step_id, state if reason is None else f"{state}:{reason}")

    def _log(self, enrollment: JourneyEnrollment, step_id: str | None, what: str) -> None:
        entry = {"step": step_id, "at": self.now.isoformat(), "what": what}
        enrollment.history = [*(enrollment.history or [])[-(HISTORY_KEPT - 1) :], entry]

    def _move(self, enrollment: JourneyEnrollment, step_id: str, following: str | None) -> None:
        enrollment.step_id = following
        enrollment.step_count += 1
        enrollment.state = "active"
        enrollment.waiting_since = None
        enrollment.wake_at = self.now
        if following is None:
            self._finish(enrollment, "completed", None)

    def _wait(self, enrollment: JourneyEnrollment, until: datetime) -> None:
        enrollment.state = "waiting"
        enrollment.wake_at = until
        if enrollment.waiting_since is None:
            enrollment.waiting_since = self.now

    def _run(self, step: Any, enrollment: JourneyEnrollment, contact: Contact) -> str | None:
        if isinstance(step, WaitStep):
            return self._run_wait(step, enrollment, contact)
        if isinstance(step, SendStep):
            self._send(step, enrollment)
        elif isinstance(step, ConditionStep):
            results = [_rule_holds(self.session, rule, enrollment, contact) for rule in step.rules]
            holds = all(results) if step.match == "all" else any(results)
            self._log(enrollment, step.id, "then" if holds else "otherwise")
            return step.then if holds else step.otherwise
        elif isinstance(step, SplitStep):
            name = choose_branch(self.journey, step, enrollment)
            enrollment.variants = {**(enrollment.variants or {}), step.id: name}
            self._log(enrollment, step.id, f"branch:{name}")
            return next(branch.next for branch in step.branches if branch.name == name)
        elif isinstance(step, ExitStep):
            self._finish(enrollment, "exited", "exit_step")
            return None
        else:
            self._act(step, enrollment, contact)
        return getattr(step, "next", None)

    def _run_wait(
        self, step: WaitStep, enrollment: JourneyEnrollment, contact: Contact
    ) -> str | None:
        started = enrollment.waiting_since or self.now
        if step.mode == "fixed":
            until = started + timedelta(minutes=step.minutes)
            if self.now < until:
                self._wait(enrollment, until)
            return step.next
        if step.mode == "until_time":
            # Derived from when the wait began, so an early wake-up cannot shorten it.
            zone = contact_zone(self.session, contact)
            until = _local_time_after(zone, started, str(step.at))
            if self.now < until:
                self._wait(enrollment, until)
            return step.next
        # until_event: the event after the wait began moves on; the timeout takes on_timeout.
        if _count_events(self.session, enrollment, [str(step.event)], started):
            self._log(enrollment, step.id, f"event:{step.event}")
            return step.next
        timeout = started + timedelta(minutes=step.minutes)
        if self.now < timeout:
            self._wait(enrollment, timeout)
            return step.next
        self._log(enrollment, step.id, "timeout")
        return step.on_timeout or step.next

    def _send(self, step: SendStep, enrollment: JourneyEnrollment) -> None:
        variants = enrollment.variants or {}
        variant = "/".join(f"{key}={value}" for key, value in sorted(variants.items())) or None
        key = (
            f"j:{self.journey.id.hex}:{enrollment.contact_id.hex}:{step.id}:{enrollment.step_count}"
        )
        if self.stored_send_keys is not None and key in self.stored_send_keys:
            # A replayed step whose request is stored already keeps that request.
            self._log(enrollment, step.id, "send_requested")
            return
        request_send(
            self.session,
            self.actor,
            SendRequest(
                contact_id=enrollment.contact_id,
                channel=step.channel,
                purpose=step.purpose,
                send_key=key,
                path="journey",
                subject=step.subject,
                body=step.body,
                template_id=uuid.UUID(step.template_id) if step.template_id else None,
                campaign_id=self.journey.campaign_id,
                journey_id=self.journey.id,
                step_id=step.id,
                variant=variant,
                scheduled_at=self.now,
            ),
            key_checked=self.stored_send_keys is not None,
        )
        if self.stored_send_keys is not None:
            self.stored_send_keys.add(key)
        self._log(enrollment, step.id, "send_requested")

    def _act(self, step: Any, enrollment: JourneyEnrollment, contact: Contact) -> None:
        from zhike.platform.objects import get_object
        from zhike.platform.records import RecordService

        try:
            if isinstance(step, TaskStep):
                RecordService(self.session, self.actor, get_object("activities")).create(
                    {
                        "kind": "task",
                        "subject": step.subject,
                        "contact_id": contact.id,
                        "account_id": contact.account_id,
                        "owner_id": contact.owner_id,
                        "due_at": self.now + timedelta(hours=step.due_in_hours),
                    }
                )
            elif isinstance(step, UpdateFieldStep):
                if step.field.startswith("custom."):
                    values: dict[str, Any] = {
                        "custom": {**(contact.custom or {}), step.field[7:]: step.value}
                    }
                else:
                    values = {step.field: step.value}
                RecordService(self.session, self.actor, get_object("contacts")).update(
                    contact.id, values, None
                )
            elif isinstance(step, AddToListStep):
                from zhike.marketing.segments import add_static_members

                add_static_members(
                    self.session, self.actor, uuid.UUID(step.segment_id), [contact.id]
                )
            elif isinstance(step, WebhookStep):
                self._webhook(step, enrollment)
            elif isinstance(step, ScoreStep):
                from zhike.ai.models.realtime import score_one

                scores = score_one(self.session, self.actor, "contacts", contact.id, contact)
                self._log(enrollment, step.id, f"scored:{len(scores)}")
                return
        except ZhikeError as error:
            # A failing action must not stall the contact: record it and go on.
            logger.warning(
                "journey action failed",
                extra={"journey_id": str(self.journey.id), "step": step.id, "code": error.code},
            )
            self._log(enrollment, step.id, f"failed:{error.code}")
            return
        self._log(enrollment, step.id, "done")

    def _webhook(self, step: WebhookStep, enrollment: JourneyEnrollment) -> None:
        """POST the event, signed with the tenant key; the idempotency key repeats on a replay."""
        body = json.dumps(
            {
                "journey_id": str(self.journey.id),
                "step_id": step.id,
                "contact_id": str(enrollment.contact_id),
                "variants": enrollment.variants or {},
            }
        ).encode()
        key = tenant_settings(self.session, self.journey.tenant_id).signing_key
        signature = hmac.new(bytes.fromhex(key), body, hashlib.sha256).hexdigest()
        try:
            response = httpx.post(
                step.url,
                content=body,
                timeout=10.0,
                headers={
                    "Content-Type": "application/json",
                    "X-Zhike-Signature": f"sha256={signature}",
                    "Idempotency-Key": f"{enrollment.id}:{step.id}:{enrollment.step_count}",
                },
            )
            outcome = f"http:{response.status_code}"
        except httpx.HTTPError as error:
            outcome = f"failed:{type(error).__name__}"
            logger.warning("journey webhook failed", extra={"step": step.id, "error": str(error)})
        self._log(enrollment, step.id, outcome)


def due_statement(now: datetime, limit: int) -> Any:
    return (
        select(JourneyEnrollment)
        .join(Journey, Journey.id == JourneyEnrollment.journey_id)
        .where(
            Journey.status == "active",
            JourneyEnrollment.state.in_(("active", "waiting")),
            or_(JourneyEnrollment.wake_at.is_(None), JourneyEnrollment.wake_at <= now),
        )
        .order_by(JourneyEnrollment.wake_at, JourneyEnrollment.id)
        .limit(limit)
    )


def run_due_batch(session: Session, now: datetime, limit: int = 500) -> int:
    """Advance up to ``limit`` due contacts in the caller's transaction; return how many."""
    enrollments = list(session.scalars(due_statement(now, limit)))
    if not enrollments:
        return 0
    contacts = {
        contact.id: contact
        for contact in session.scalars(
            select(Contact).where(Contact.id.in_({row.contact_id for row in enrollments}))
        )
    }
    runners: dict[uuid.UUID, StepRunner] = {}
    # Flushing before every query of every step would dominate the batch; each contact's
    # send keys differ, so nothing queried here depends on this batch's unflushed rows.
    with session.no_autoflush:
        for enrollment in enrollments:
            runner = runners.get(enrollment.journey_id)
            if runner is None:
                journey = session.get(Journey, enrollment.journey_id)
                assert journey is not None
                runner = runners[journey.id] = StepRunner(
                    session, journey, system_actor(journey.tenant_id), now
                )
                runner.prefetch(
                    {row.contact_id for row in enrollments if row.journey_id == journey.id}
                )
            runner.advance(enrollment, contacts.get(enrollment.contact_id))
    session.flush()
    return len(enrollments)


def run_due(database: Database, now: datetime | None = None, limit: int = 500) -> int:
    """Advance one committed batch of due contacts; return how many were advanced."""
    with database.session() as session:
        return run_due_batch(session, now or utc_now(), limit)
