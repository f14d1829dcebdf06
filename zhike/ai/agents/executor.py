"""The durable executor: advances a run step by step, each step in its own transactions.

A run is advanced by whichever worker holds its lease. For every step the
executor commits "running" first, then performs the tool call and commits its
effect, its result, the tool-effect ledger entry and the trace together. A
worker killed in between leaves the step "running" with no effect stored, so
the next worker that takes over the lease runs it again under the same
idempotency key. Tools whose effect leaves the database (an email) write a
``started`` ledger entry before the call. Finding one after a crash means the
effect may have happened, so the step goes to a person instead of being
repeated.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from zhike.ai.agents.connectors import Connectors, connectors_from_config
from zhike.ai.agents.definition import AgentDefinition, PlanningContext
from zhike.ai.agents.domain import get_agent
from zhike.ai.agents.models import (
    FINISHED_RUN_STATUSES,
    FINISHED_STEP_STATUSES,
    AgentRun,
    AgentStep,
    AgentToolEffect,
)
from zhike.ai.agents.planner import make_plan
from zhike.ai.agents.schemas import Condition, Goal, PlanDocument
from zhike.ai.agents.settings import BaseAgentSettings, effective_settings, open_secrets
from zhike.ai.agents.steps import (
    approval_rule,
    chosen_plan,
    condition_holds,
    evaluate_outcome,
    materialize,
    resolve,
    resolve_assignee,
    run_steps,
)
from zhike.ai.agents.tools.registry import Tool, ToolContext, ToolFailed, get_tool
from zhike.ai.agents.trace import add_event
from zhike.core.db import Database
from zhike.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed, ZhikeError
from zhike.core.timeutil import utc_now
from zhike.security.actors import actor_for
from zhike.security.context import Actor
from zhike.security.models import Tenant, User
from zhike.security.tenancy import bind_tenant

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 3600
MAX_STEPS_PER_CALL = 200
RETRYABLE_ERRORS = (Conflict, PreconditionFailed)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Advanced:
    """The state a call to ``advance_run`` left the run in, and when to wake it next."""

    status: str
    wake_at: datetime | None = None
    steps_run: int = 0
    is_claimed: bool = True


def backoff(attempt: int, base_seconds: int) -> timedelta:
    """Wait before retry ``attempt`` (1-based): base, 2×base, 4×base…, at most an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempt - 1, 0), MAX_BACKOFF_SECONDS))


class RunExecutor:
    def __init__(
        self,
        database: Database,
        tenant_id: uuid.UUID,
        run_id: uuid.UUID,
        *,
        now: datetime | None = None,
        connectors: Connectors | None = None,
        worker: str | None = None,
    ) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self.run_id = run_id
        self.fixed_now = now
        self.given_connectors = connectors
        self.worker = worker or worker_name()
        self.actor: Actor | None = None
        self.definition: AgentDefinition | None = None
        self.settings: BaseAgentSettings | None = None
        self.connectors: Connectors | None = None

    def now(self) -> datetime:
        return self.fixed_now or utc_now()

    # -- lease -----------------------------------------------------------------------

    def claim(self) -> bool:
        """Take the run's lease unless another live worker holds it."""
        now = self.now()
        with self.database.session() as session:
            bind_tenant(session, self.tenant_id)
            result = session.execute(
                update(AgentRun)
                .where(
                    AgentRun.id == self.run_id,
                    AgentRun.tenant_id == self.tenant_id,
                    AgentRun.status.not_in(FINISHED_RUN_STATUSES),
                    or_(
                        AgentRun.lease_until.is_(None),
                        AgentRun.lease_until < now,
                        AgentRun.lease_holder == self.worker,
                    ),
                )
                .values(
                    lease_holder=self.worker,
                    lease_until=now + LEASE,
                    version=AgentRun.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def release(self) -> None:
        with self.database.session() as session:
            bind_tenant(session, self.tenant_id)
            session.execute(
                update(AgentRun)
                .where(AgentRun.id == self.run_id, AgentRun.lease_holder == self.worker)
                .values(lease_holder=None, lease_until=None, version=AgentRun.version + 1)
                .execution_options(synchronize_session=False)
            )

    # -- loading ---------------------------------------------------------------------

    def _load(self, session: Session) -> AgentRun:
        bind_tenant(session, self.tenant_id)
        run = session.get(AgentRun, self.run_id)
        if run is None or run.tenant_id != self.tenant_id:
            raise NotFound("agent_run_not_found", id=str(self.run_id))
        if self.actor is None:
            self._prepare(session, run)
        return run

    def _prepare(self, session: Session, run: AgentRun) -> None:
        tenant = session.get(Tenant, run.tenant_id)
        user = session.get(User, run.owner_id) if run.owner_id else None
        if tenant is None or user is None or not user.is_active or user.deleted_at is not None:
            raise NotFound("agent_run_owner_missing", id=str(run.id))
        self.actor = actor_for(tenant, user, session)
        self.definition = get_agent(run.agent)
        _, self.settings = effective_settings(
            session, self.actor, run.agent, self.definition.settings_model
        )
        self.connectors = self.given_connectors or connectors_from_config(
            open_secrets(self.settings.model_dump(mode="json"), run.tenant_id)
        )

    @property
    def _actor(self) -> Actor:
        assert self.actor is not None
        return self.actor

    @property
    def _settings(self) -> BaseAgentSettings:
        assert self.settings is not None
        return self.settings

    # -- the loop --------------------------------------------------------------------

    def advance(self) -> Advanced:
        """Run every step that can run now; return the run's status and next wake-up."""
        if not self.claim():
            with self.database.session() as session:
                bind_tenant(session, self.tenant_id)
                run = session.get(AgentRun, self.run_id)
                status = run.status if run is not None else "missing"
            return Advanced(status=status, is_claimed=False)
        steps_run = 0
        try:
            while steps_run < MAX_STEPS_PER_CALL:
                try:
                    action, step_id, wake_at, status = self._next_action()
                except ZhikeError as error:
                    if error.code == "agent_run_owner_missing":
                        raise
                    # Planning itself failed (no valid plan, the subject is gone or hidden).
                    fail_run(
                        self.database, self.tenant_id, self.run_id, error.message("en"), self.now()
                    )
                    return Advanced(status="failed", steps_run=steps_run)
                if action == "stop":
                    return Advanced(status=status, wake_at=wake_at, steps_run=steps_run)
                assert step_id is not None
                self._run_step(step_id)
                steps_run += 1
            return Advanced(status="running", wake_at=self.now(), steps_run=steps_run)
        finally:
            self.release()

    def _next_action(self) -> tuple[str, uuid.UUID | None, datetime | None, str]:
        """Decide, in one transaction, the next step to run or the state to rest in."""
        with self.database.session() as session:
            run = self._load(session)
            if run.status in FINISHED_RUN_STATUSES:
                return "stop", None, None, run.status
            if not run.plan:
                self._plan(session, run)
            self._renew(run)
            steps = run_steps(session, run.id)
            by_key = {step.key: step for step in steps}
            facts = run.plan.get("facts", {})
            self._collect_person_results(session, run, steps)
            for step in steps:
                if step.status == "running":
                    # The worker that started it died: nothing of its effect is stored.
                    add_event(
                        session,
                        run.tenant_id,
                        run.id,
                        "recovered",
                        f"resuming step {step.key} after an interrupted attempt",
                        {"attempts": step.attempts},
                        step.id,
                    )
                    return "run", step.id, None, run.status
            wake_at: datetime | None = None
            for step in steps:
                if step.status != "pending":
                    continue
                dependencies = [by_key.get(key) for key in step.depends_on]
                if any(
                    item is None or item.status not in FINISHED_STEP_STATUSES
                    for item in dependencies
                ):
                    continue
                unfinished = [item.key for item in dependencies if item and item.status != "done"]
                if unfinished:
                    self._skip(
                        session, run, step, f"dependencies not done: {', '.join(unfinished)}"
                    )
                    continue
                if step.next_attempt_at is not None and step.next_attempt_at > self.now():
                    wake_at = min(wake_at or step.next_attempt_at, step.next_attempt_at)
                    continue
                condition = Condition.model_validate(step.trigger or {})
                if not condition_holds(condition, run, by_key, facts):
                    self._skip(session, run, step, "trigger condition not met", condition)
                    continue
                if step.decision == "rejected":
                    self._skip(session, run, step, "rejected by a person")
                    continue
                if self._needs_approval(step) and step.decision is None and not run.is_dry_run:
                    step.status = "waiting_approval"
                    add_event(
                        session,
                        run.tenant_id,
                        run.id,
                        "approval_requested",
                        f"step {step.key} waits for approval ({step.approval_reason})",
                        {"tool": step.tool, "inputs": resolve(step.inputs, run, by_key, facts)},
                        step.id,
                    )
                    continue
                return "run", step.id, None, run.status
            status = self._settle(session, run, steps, wake_at)
            return "stop", None, wake_at, status

    def _needs_approval(self, step: AgentStep) -> bool:
        """Apply the approval rule of the current settings as well as the one stored at planning.

        A fallback can switch a step to a sending tool, and an administrator can turn
        automatic approval off while a run waits, so the stored flag alone is not enough.
        """
        if not step.needs_approval:
            step.needs_approval, reason = approval_rule(step.tool, self._settings)
            step.approval_reason = step.approval_reason or reason
        return step.needs_approval

    def _renew(self, run: AgentRun) -> None:
        run.lease_until = self.now() + LEASE
        run.lease_holder = self.worker
        if run.status == "pending":
            run.status = "running"
            run.started_at = run.started_at or self.now()

    def _plan(self, session: Session, run: AgentRun, exclude: frozenset[str] = frozenset()) -> None:
        assert self.definition is not None
        context = PlanningContext(
            session=session,
            actor=self._actor,
            settings=self._settings,
            connectors=self.connectors or Connectors(),
            now=self.now(),
            subject_id=run.subject_id,
            run_id=run.id,
            facts=dict(run.plan.get("facts", {})) if run.plan else {},
        )
        goal, document = make_plan(context, self.definition, exclude_tools=exclude)
        previous = PlanDocument.model_validate(run.plan) if run.plan else None
        history = list(run.plan.get("history", [])) if run.plan else []
        if previous is not None:
            history.append({"chosen": previous.chosen, "replaced_at": self.now().isoformat()})
        plan = chosen_plan(document)
        _, replaced = materialize(session, run, plan, self._settings, run_steps(session, run.id))
        run.goal = goal.model_dump(mode="json")
        run.plan = {
            **document.model_dump(mode="json"),
            "failed_tools": sorted(exclude),
            "history": history,
        }
        add_event(
            session,
            run.tenant_id,
            run.id,
            "plan",
            f"chose plan {plan.key} of {len(document.candidates)} candidates",
            {
                "chosen": plan.key,
                "ranking": [
                    {"key": item.key, "score": item.score, "explanation": item.explanation}
                    for item in document.candidates
                ],
                "rejected": document.rejected,
                "replaced_steps": [step.key for step in replaced],
            },
        )

    def _skip(
        self,
        session: Session,
        run: AgentRun,
        step: AgentStep,
        reason: str,
        condition: Condition | None = None,
    ) -> None:
        step.status = "skipped"
        step.finished_at = self.now()
        step.error = reason
        data: dict[str, Any] = {"reason": reason}
        if condition is not None:
            data["condition"] = condition.model_dump(mode="json")
        add_event(session, run.tenant_id, run.id, "decision", f"skipped {step.key}", data, step.id)

    def _settle(
        self, session: Session, run: AgentRun, steps: list[AgentStep], wake_at: datetime | None
    ) -> str:
        """Set the run's status from its steps when no step can run now."""
        statuses = {step.status for step in steps}
        if "waiting_approval" in statuses:
            status = "waiting_approval"
        elif "waiting_person" in statuses:
            status = "waiting_person"
        elif "pending" in statuses and wake_at is not None:
            status = "running"
        elif statuses <= set(FINISHED_STEP_STATUSES):
            status = "failed" if "failed" in statuses else "done"
            goal = Goal.model_validate(run.goal)
            outcome = evaluate_outcome(goal, {step.key: step for step in steps})
            run.outcome = outcome | {
                "is_dry_run": run.is_dry_run,
                "blocked_messages": blocked_messages(steps),
            }
            run.finished_at = self.now()
            add_event(
                session,
                run.tenant_id,
                run.id,
                "outcome",
                f"run {status}: {outcome['criteria_met']} of "
                f"{outcome['criteria_total']} criteria met",
                run.outcome,
            )
        else:
            status = "running"
        if status != run.status:
            add_event(session, run.tenant_id, run.id, "state", f"run {status}", {"status": status})
        run.status = status
        return status

    # -- one step --------------------------------------------------------------------

    def _run_step(self, step_id: uuid.UUID) -> None:
        started = self._begin_step(step_id)
        if started is None:
            return
        tool, inputs = started
        try:
            self._finish_step(step_id, tool, inputs)
        except Exception as error:
            self._fail_step(step_id, tool, error)

    def _begin_step(self, step_id: uuid.UUID) -> tuple[Tool, dict[str, Any]] | None:
        """Mark the step running (committed) and return its tool and resolved inputs."""
        with self.database.session() as session:
            run = self._load(session)
            step = session.get(AgentStep, step_id)
            assert step is not None
            steps = {item.key: item for item in run_steps(session, run.id)}
            facts = run.plan.get("facts", {})
            tool = get_tool(step.tool)
            inputs = resolve(
                {k: v for k, v in step.inputs.items() if k != "assignee"}, run, steps, facts
            )
            if step.executor == "person":
                step.assignee_id = resolve_assignee(
                    session, step.inputs.get("assignee"), run, steps, facts
                )
                inputs["assignee_id"] = str(step.assignee_id) if step.assignee_id else None
            ledger = self._ledger(session, step.idempotency_key)
            if ledger is not None and ledger.state == "done":
                self._complete(session, run, step, dict(ledger.result), reused=True)
                return None
            if ledger is not None and not tool.is_repeatable:
                self._escalate_uncertain(session, run, step)
                return None
            step.status = "running"
            step.attempts += 1
            step.started_at = self.now()
            step.next_attempt_at = None
            if not tool.is_transactional and not run.is_dry_run and ledger is None:
                session.add(
                    AgentToolEffect(
                        tenant_id=run.tenant_id,
                        idempotency_key=step.idempotency_key,
                        tool=tool.name,
                        state="started",
                    )
                )
            add_event(
                session,
                run.tenant_id,
                run.id,
                "tool_call",
                f"{step.key}: calling {tool.name} (attempt {step.attempts})",
                {"tool": tool.name, "executor": step.executor, "inputs": inputs},
                step.id,
            )
            return tool, inputs

    def _finish_step(self, step_id: uuid.UUID, tool: Tool, inputs: dict[str, Any]) -> None:
        with self.database.session() as session:
            run = self._load(session)
            step = session.get(AgentStep, step_id)
            assert step is not None
            if run.is_dry_run and tool.effect != "read":
                output = self._simulate(tool, inputs)
            else:
                context = ToolContext(
                    session=session,
                    actor=self._actor,
                    run_id=run.id,
                    step_key=step.key,
                    idempotency_key=step.idempotency_key,
                    now=self.now(),
                    config=self._settings.model_dump(mode="json"),
                    connectors=self.connectors or Connectors(),
                    facts=run.plan.get("facts", {}),
                )
                arguments = tool.parse_input(inputs)
                result: BaseModel = tool.handler(context, arguments)
                output = tool.output_model.model_validate(result).model_dump(mode="json")
                if not run.is_dry_run:
                    self._store_effect(session, run, step, tool, output)
            if step.executor == "person" and not run.is_dry_run:
                step.output = output
                step.status = "waiting_person"
                activity = output.get("activity_id")
                step.activity_id = uuid.UUID(activity) if activity else None
                add_event(
                    session,
                    run.tenant_id,
                    run.id,
                    "person_task",
                    f"{step.key}: task given to a person, waiting for the result",
                    {"assignee_id": str(step.assignee_id), "output": output},
                    step.id,
                )
                return
            self._complete(session, run, step, output)

    def _simulate(self, tool: Tool, inputs: dict[str, Any]) -> dict[str, Any]:
        """Describe the call a dry run makes in place of a tool that would change something."""
        try:
            tool.parse_input(inputs)
            problem = None
        except ZhikeError as error:
            problem = error.message("en")
        return {
            "is_simulated": True,
            "would_call": tool.name,
            "effect": tool.effect,
            "problem": problem,
        }

    def _store_effect(
        self, session: Session, run: AgentRun, step: AgentStep, tool: Tool, output: dict[str, Any]
    ) -> None:
        ledger = self._ledger(session, step.idempotency_key)
        if ledger is None:
            session.add(
                AgentToolEffect(
                    tenant_id=run.tenant_id,
                    idempotency_key=step.idempotency_key,
                    tool=tool.name,
                    state="done",
                    result=output,
                )
            )
        else:
            ledger.state = "done"
            ledger.result = output

    def _ledger(self, session: Session, key: str) -> AgentToolEffect | None:
        return session.scalar(
            select(AgentToolEffect).where(
                AgentToolEffect.tenant_id == self.tenant_id,
                AgentToolEffect.idempotency_key == key,
            )
        )

    def _complete(
        self,
        session: Session,
        run: AgentRun,
        step: AgentStep,
        output: dict[str, Any],
        reused: bool = False,
    ) -> None:
        step.output = output
        step.status = "done"
        step.error = None
        step.finished_at = self.now()
        message = f"{step.key}: done" + (" (stored result reused, not repeated)" if reused else "")
        add_event(
            session, run.tenant_id, run.id, "tool_result", message, {"output": output}, step.id
        )

    def _escalate_uncertain(self, session: Session, run: AgentRun, step: AgentStep) -> None:
        """Give an interrupted call with an outside effect to a person instead of repeating it."""
        add_event(
            session,
            run.tenant_id,
            run.id,
            "escalation",
            f"{step.key}: an interrupted {step.tool} call may have taken effect; not repeating it",
            {"tool": step.tool},
            step.id,
        )
        self._turn_into_person_task(
            session, run, step, "agents.escalation.uncertain", reason="interrupted outside call"
        )

    def _turn_into_person_task(
        self, session: Session, run: AgentRun, step: AgentStep, message_key: str, reason: str
    ) -> None:
        from zhike.core.i18n import translate

        locale = self._actor.locale
        # The person's task stays linked to the records the failed step was about.
        related = {
            key: value
            for key, value in step.inputs.items()
            if key in ("lead_id", "account_id", "contact_id", "opportunity_id", "ticket_id")
        }
        step.inputs = {
            **related,
            "assignee": "$manager" if message_key == "agents.escalation.failed" else "$run_owner",
            "title": translate("agents.escalation.title", locale, step=step.title)[:300],
            "instructions": translate(message_key, locale, step=step.title, tool=step.tool),
            "background": {"reason": reason, "tool": step.tool, "original_inputs": step.inputs},
        }
        step.tool = "person_task"
        step.executor = "person"
        step.fallback_tools = []
        step.status = "pending"
        step.attempts = 0
        step.next_attempt_at = None
        step.needs_approval = False
        # A fresh key: the person's task is a new effect, not the interrupted one.
        step.idempotency_key = f"{step.idempotency_key}:person"[:200]

    def _fail_step(self, step_id: uuid.UUID, tool: Tool, error: Exception) -> None:
        retryable, reason = _classify(error)
        if not isinstance(error, ToolFailed | ZhikeError):
            logger.exception(
                "agent tool raised", extra={"tool": tool.name, "run_id": str(self.run_id)}
            )
        else:
            logger.info(
                "agent tool failed",
                extra={"tool": tool.name, "run_id": str(self.run_id), "reason": reason},
            )
        with self.database.session() as session:
            run = self._load(session)
            step = session.get(AgentStep, step_id)
            assert step is not None
            ledger = self._ledger(session, step.idempotency_key)
            if ledger is not None and ledger.state == "started":
                # The call failed where we could see it, so its effect did not happen.
                session.delete(ledger)
            step.error = reason[:2000]
            add_event(
                session,
                run.tenant_id,
                run.id,
                "error",
                f"{step.key}: {tool.name} failed",
                {"reason": reason, "is_retryable": retryable, "attempt": step.attempts},
                step.id,
            )
            if retryable and step.attempts < step.max_attempts:
                delay = backoff(step.attempts, self._settings.retry_base_seconds)
                step.status = "pending"
                step.next_attempt_at = self.now() + delay
                add_event(
                    session,
                    run.tenant_id,
                    run.id,
                    "retry",
                    f"{step.key}: retry in {int(delay.total_seconds())} s",
                    {"next_attempt_at": step.next_attempt_at.isoformat()},
                    step.id,
                )
                return
            if step.fallback_tools:
                fallback = step.fallback_tools[0]
                add_event(
                    session,
                    run.tenant_id,
                    run.id,
                    "fallback",
                    f"{step.key}: switching from {step.tool} to {fallback}",
                    {"from": step.tool, "to": fallback},
                    step.id,
                )
                step.tool = fallback
                step.fallback_tools = step.fallback_tools[1:]
                step.status = "pending"
                step.attempts = 0
                step.next_attempt_at = None
                step.idempotency_key = f"{step.idempotency_key}:{fallback}"[:200]
                return
            if self._replan(session, run, step):
                return
            if step.executor != "person":
                add_event(
                    session,
                    run.tenant_id,
                    run.id,
                    "escalation",
                    f"{step.key}: escalated to a person after {step.attempts} attempts",
                    {"reason": reason},
                    step.id,
                )
                self._turn_into_person_task(
                    session, run, step, "agents.escalation.failed", reason=reason
                )
                return
            step.status = "failed"
            step.finished_at = self.now()

    def _replan(self, session: Session, run: AgentRun, step: AgentStep) -> bool:
        """Choose another plan that avoids the failed tool; False when none is allowed or left."""
        if run.replan_count >= self._settings.max_replans or run.is_dry_run:
            return False
        failed = frozenset(run.plan.get("failed_tools", [])) | {step.tool}
        step.status = "failed"
        step.finished_at = self.now()
        run.replan_count += 1
        try:
            self._plan(session, run, exclude=failed)
        except NotFound:
            run.replan_count -= 1
            step.status = "running"
            step.finished_at = None
            add_event(
                session, run.tenant_id, run.id, "decision", "no other plan avoids the failed tool"
            )
            return False
        if step.status == "failed":
            # The new plan does not contain this step, so its failure no longer decides the run.
            step.status = "skipped"
            step.error = f"failed, replaced by re-planning: {step.error}"[:2000]
        add_event(
            session,
            run.tenant_id,
            run.id,
            "replan",
            f"re-planned after {step.key} failed",
            {"failed_tools": sorted(failed), "chosen": run.plan.get("chosen")},
            step.id,
        )
        return True

    # -- people ----------------------------------------------------------------------

    def _collect_person_results(
        self, session: Session, run: AgentRun, steps: list[AgentStep]
    ) -> None:
        """Finish person steps whose CRM task was marked done or cancelled in the meantime."""
        from zhike.sales.models import Activity

        for step in steps:
            if step.status != "waiting_person" or step.activity_id is None:
                continue
            activity = session.get(Activity, step.activity_id)
            if activity is None or activity.status == "open":
                continue
            outcome = "done" if activity.status == "done" else "declined"
            apply_person_result(session, run, step, outcome, None, {}, None, self.now())


def apply_person_result(
    session: Session,
    run: AgentRun,
    step: AgentStep,
    outcome: str,
    note: str | None,
    values: dict[str, Any],
    person_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Let a person's result flow into the run as the output of their step."""
    step.output = {
        **step.output,
        "outcome": outcome,
        "note": note,
        "values": values,
        "completed_by": str(person_id) if person_id else None,
        **values,
    }
    step.status = "done" if outcome == "done" else "skipped"
    if outcome != "done":
        step.error = "declined by the person"
    step.finished_at = now
    add_event(
        session,
        run.tenant_id,
        run.id,
        "person_result",
        f"{step.key}: person reported {outcome}",
        {"outcome": outcome, "note": note, "values": values},
        step.id,
    )


def _classify(error: Exception) -> tuple[bool, str]:
    if isinstance(error, ToolFailed):
        return error.is_retryable, error.reason
    if isinstance(error, RETRYABLE_ERRORS):
        return True, f"{error.code}: {error.message('en')}"
    if isinstance(error, ValidationFailed):
        fields = "; ".join(
            f"{item.get('field')}: {item.get('message') or item.get('code')}"
            for item in error.errors
        )
        return False, f"{error.code}: {fields}"
    if isinstance(error, ZhikeError):
        return False, f"{error.code}: {error.message('en')}"
    return True, f"{type(error).__name__}: {error}"


def advance_run(
    database: Database,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    *,
    now: datetime | None = None,
    connectors: Connectors | None = None,
    worker: str | None = None,
) -> Advanced:
    """Advance one run as far as it can go now (see ``RunExecutor``)."""
    executor = RunExecutor(
        database, tenant_id, run_id, now=now, connectors=connectors, worker=worker
    )
    try:
        return executor.advance()
    except NotFound as error:
        if error.code != "agent_run_owner_missing":
            raise
        fail_run(database, tenant_id, run_id, error.message("en"), now or utc_now())
        return Advanced(status="failed")


def blocked_messages(steps: list[AgentStep]) -> list[dict[str, Any]]:
    """List the messages the send gate stopped, with the contact and the gate's reason."""
    blocked = []
    for step in steps:
        output = step.output or {}
        if step.status == "done" and output.get("status") == "blocked":
            blocked.append(
                {
                    "step": step.key,
                    "tool": step.tool,
                    "contact_id": output.get("contact_id"),
                    "reason": output.get("reason"),
                }
            )
    return blocked


def fail_run(
    database: Database, tenant_id: uuid.UUID, run_id: uuid.UUID, reason: str, now: datetime
) -> None:
    with database.session() as session:
        bind_tenant(session, tenant_id)
        run = session.get(AgentRun, run_id)
        if run is None or run.status in FINISHED_RUN_STATUSES:
            return
        run.status = "failed"
        run.error = reason[:2000]
        run.finished_at = now
        run.lease_holder = None
        run.lease_until = None
        add_event(session, tenant_id, run_id, "state", "run failed", {"reason": reason})
