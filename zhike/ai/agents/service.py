"""The agent service: start, read, approve, reject and cancel runs, and report people's results.

Runs are an owned object (``agent_runs``): the role's grant and data scope
decide who may start runs and whose runs they see, approve or cancel, exactly
as for leads or tickets. Every change here is audited and traced.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from zhike.ai.agents.domain import all_agents, get_agent
from zhike.ai.agents.executor import apply_person_result
from zhike.ai.agents.models import (
    FINISHED_RUN_STATUSES,
    FINISHED_STEP_STATUSES,
    AgentRun,
    AgentSetting,
    AgentStep,
)
from zhike.ai.agents.schemas import AgentInfo, PersonResult, RunCreate
from zhike.ai.agents.settings import (
    effective_settings,
    load_setting,
    parse_settings,
    seal_secrets,
    shown_config,
)
from zhike.ai.agents.steps import run_steps
from zhike.ai.agents.trace import add_event, mask_data
from zhike.audit.service import ActorKind, record_event
from zhike.core.errors import Conflict, Forbidden, NotFound
from zhike.core.i18n import translate
from zhike.core.timeutil import utc_now
from zhike.platform.objects import get_object
from zhike.platform.query import apply_sort_and_cursor, parse_sort
from zhike.platform.records import RecordService
from zhike.sales.objects import ACTIVITIES
from zhike.security.access import action_forbidden, record_condition, require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

OBJECT = "agent_runs"
SORT_FIELDS = ("created_at", "updated_at")
# Called with (tenant id, run id) once the transaction that made a run runnable commits.
Enqueue = Callable[[uuid.UUID, uuid.UUID], None]


def _default_enqueue(tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
    from zhike.ai.agents.jobs import enqueue_advance

    enqueue_advance(tenant_id, run_id)


class AgentService:
    def __init__(self, session: Session, actor: Actor, enqueue: Enqueue | None = None) -> None:
        self.session = session
        self.actor = actor
        self.enqueue = enqueue or _default_enqueue

    # -- agents and their settings ---------------------------------------------------

    def agents(self) -> list[AgentInfo]:
        require(self.actor, OBJECT, "read")
        result = []
        for definition in all_agents():
            enabled, settings = effective_settings(
                self.session, self.actor, definition.name, definition.settings_model
            )
            result.append(
                AgentInfo(
                    name=definition.name,
                    title=translate(f"agents.agent.{definition.name}.title", self.actor.locale),
                    description=translate(
                        f"agents.agent.{definition.name}.description", self.actor.locale
                    ),
                    needs_subject=definition.needs_subject,
                    subject_object=definition.subject_object,
                    is_enabled=enabled,
                    config=shown_config(settings),
                )
            )
        return result

    def update_setting(
        self, agent: str, is_enabled: bool | None, config: dict[str, Any] | None
    ) -> AgentInfo:
        """Change an agent's tenant configuration; administrators only."""
        if not self.actor.grants.is_administrator:
            raise action_forbidden("configure", "agents")
        definition = get_agent(agent)
        row = load_setting(self.session, self.actor, agent)
        before = None if row is None else {"is_enabled": row.is_enabled, "config": row.config}
        if row is None:
            row = AgentSetting(tenant_id=self.actor.tenant_id, agent=agent, config={})
            self.session.add(row)
        if config is not None:
            checked = parse_settings(definition.settings_model, config).model_dump(
                mode="json", exclude_none=True
            )
            row.config = seal_secrets(checked, dict(row.config or {}), self.actor.tenant_id)
        if is_enabled is not None:
            row.is_enabled = is_enabled
        self.session.flush()
        record_event(
            self.session,
            self.actor,
            "agent.settings.update",
            object_name="agent_settings",
            record_id=row.id,
            details={
                "agent": agent,
                "before": mask_data(before) if before else None,
                "after": mask_data({"is_enabled": row.is_enabled, "config": row.config}),
            },
        )
        return next(info for info in self.agents() if info.name == agent)

    # -- runs --------------------------------------------------------------------------

    def start(self, body: RunCreate, trigger: str = "manual") -> AgentRun:
        """Create a run for the actor; a worker plans and executes it after commit."""
        require(self.actor, OBJECT, "create")
        if self.actor.user_id is None:
            raise Forbidden("agent_run_needs_user")
        definition = get_agent(body.agent)
        enabled, _ = effective_settings(
            self.session, self.actor, definition.name, definition.settings_model
        )
        if not enabled:
            raise Conflict("agent_disabled", agent=definition.name)
        require(self.actor, definition.required_object, "read")
        if definition.subject_object is not None:
            if body.subject_id is None:
                from zhike.core.errors import InvalidInput

                raise InvalidInput(
                    "agent_subject_required",
                    agent=definition.name,
                    object=definition.subject_object,
                )
            RecordService(self.session, self.actor, get_object(definition.subject_object)).get(
                body.subject_id
            )
        run = AgentRun(
            tenant_id=self.actor.tenant_id,
            agent=definition.name,
            status="pending",
            is_dry_run=body.is_dry_run,
            trigger=trigger,
            subject_object=definition.subject_object,
            subject_id=body.subject_id if definition.subject_object else None,
            owner_id=self.actor.user_id,
            created_by_id=self.actor.user_id,
        )
        self.session.add(run)
        self.session.flush()
        add_event(
            self.session,
            run.tenant_id,
            run.id,
            "state",
            "run created" + (" (dry run)" if run.is_dry_run else ""),
            {"agent": run.agent, "trigger": trigger, "is_dry_run": run.is_dry_run},
        )
        self._audit("agent.run.create", run, {"agent": run.agent, "is_dry_run": run.is_dry_run})
        self._after_commit(run)
        logger.info("agent run created", extra={"run_id": str(run.id), "agent": run.agent})
        return run

    def _audit(self, action: str, run: AgentRun, details: dict[str, Any]) -> None:
        record_event(
            self.session,
            self.actor,
            action,
            object_name=OBJECT,
            record_id=run.id,
            details=details,
            actor_kind=ActorKind.USER if self.actor.user_id else ActorKind.SYSTEM,
        )

    def _after_commit(self, run: AgentRun) -> None:
        tenant_id, run_id, enqueue = run.tenant_id, run.id, self.enqueue

        def send(_session: Session) -> None:
            enqueue(tenant_id, run_id)

        event.listen(self.session, "after_commit", send, once=True)

    def _scoped(self, action: str) -> Any:
        grant = require(self.actor, OBJECT, action)
        return (
            select(AgentRun)
            .where(AgentRun.tenant_id == self.actor.tenant_id, AgentRun.deleted_at.is_(None))
            .where(record_condition(self.actor, OBJECT, AgentRun, grant, action))
        )

    def get(self, run_id: uuid.UUID, action: str = "read") -> AgentRun:
        run: AgentRun | None = self.session.scalar(
            self._scoped(action).where(AgentRun.id == run_id)
        )
        if run is None:
            raise NotFound("record_not_found", object=OBJECT, id=str(run_id))
        return run

    def list_runs(
        self,
        *,
        status: str | None = None,
        agent: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        sort: str | None = None,
    ) -> tuple[list[AgentRun], str | None]:
        from zhike.platform.query import encode_cursor

        statement = self._scoped("read")
        if status:
            statement = statement.where(AgentRun.status == status)
        if agent:
            statement = statement.where(AgentRun.agent == agent)
        field, descending = parse_sort(sort, SORT_FIELDS, "-created_at")
        statement = apply_sort_and_cursor(statement, AgentRun, field, descending, cursor)
        rows = list(self.session.scalars(statement.limit(limit + 1)))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor(getattr(rows[-1], field), rows[-1].id, field)
        return rows, next_cursor

    def steps(self, run: AgentRun) -> list[AgentStep]:
        return run_steps(self.session, run.id)

    def _step(self, run: AgentRun, step_id: uuid.UUID) -> AgentStep:
        step = self.session.get(AgentStep, step_id)
        if step is None or step.run_id != run.id:
            raise NotFound("record_not_found", object="agent_steps", id=str(step_id))
        return step

    def decide(
        self, run_id: uuid.UUID, step_id: uuid.UUID, approve: bool, note: str | None
    ) -> AgentRun:
        """Approve or reject a step that waits for approval; the run then goes on."""
        run = self.get(run_id, "update")
        step = self._step(run, step_id)
        if step.status != "waiting_approval":
            raise Conflict("agent_step_not_waiting", step=step.key, status=step.status)
        decision = "approved" if approve else "rejected"
        step.decision = decision
        step.decided_by_id = self.actor.user_id
        step.decided_at = utc_now()
        step.decision_note = note
        step.status = "pending"
        run.status = "running"
        add_event(
            self.session,
            run.tenant_id,
            run.id,
            "approval",
            f"{step.key}: {decision}",
            {"decision": decision, "note": note, "by": str(self.actor.user_id)},
            step.id,
        )
        action = "agent.step.approve" if approve else "agent.step.reject"
        self._audit(action, run, {"step": step.key, "tool": step.tool})
        self._after_commit(run)
        return run

    def report_result(
        self, run_id: uuid.UUID, step_id: uuid.UUID, result: PersonResult
    ) -> AgentRun:
        """Record a person's result for their task; the run continues with it.

        The assignee may report, and so may anyone who may update the run.
        """
        run = self._run_for_person(run_id, step_id)
        step = self._step(run, step_id)
        if step.status != "waiting_person":
            raise Conflict("agent_step_not_waiting", step=step.key, status=step.status)
        if step.activity_id is not None:
            activities = RecordService(self.session, self.actor, ACTIVITIES)
            try:
                activity = activities.get(step.activity_id, "update")
            except (NotFound, Forbidden):
                activity = None
            if activity is not None and activity.status == "open":
                activities.update(
                    activity.id,
                    {
                        "status": "done" if result.outcome == "done" else "cancelled",
                        "completed_at": utc_now(),
                    },
                    None,
                )
        apply_person_result(
            self.session,
            run,
            step,
            result.outcome,
            result.note,
            result.values,
            self.actor.user_id,
            utc_now(),
        )
        run.status = "running"
        self._audit("agent.step.result", run, {"step": step.key, "outcome": result.outcome})
        self._after_commit(run)
        return run

    def _run_for_person(self, run_id: uuid.UUID, step_id: uuid.UUID) -> AgentRun:
        try:
            return self.get(run_id, "update")
        except (NotFound, Forbidden):
            run = self.session.get(AgentRun, run_id)
            step = self.session.get(AgentStep, step_id)
            if (
                run is not None
                and run.tenant_id == self.actor.tenant_id
                and step is not None
                and step.run_id == run.id
                and self.actor.user_id is not None
                and step.assignee_id == self.actor.user_id
            ):
                return run
            raise

    def cancel(self, run_id: uuid.UUID, note: str | None) -> AgentRun:
        run = self.get(run_id, "update")
        if run.status in FINISHED_RUN_STATUSES:
            raise Conflict("agent_run_finished", status=run.status)
        now = utc_now()
        for step in run_steps(self.session, run.id):
            if step.status not in FINISHED_STEP_STATUSES:
                step.status = "cancelled"
                step.finished_at = now
        run.status = "cancelled"
        run.finished_at = now
        run.error = note
        add_event(self.session, run.tenant_id, run.id, "state", "run cancelled", {"note": note})
        self._audit("agent.run.cancel", run, {"note": note})
        return run

    def resume(self, run_id: uuid.UUID) -> AgentRun:
        """Queue a run again, for example after a worker was lost."""
        run = self.get(run_id, "update")
        if run.status in FINISHED_RUN_STATUSES:
            raise Conflict("agent_run_finished", status=run.status)
        self._after_commit(run)
        return run
