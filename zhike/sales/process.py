"""Sales processes: stage rules enforced on every write of an opportunity.

``enforce_stage_rules`` is one of the opportunity normalisers (``sales/objects.py``),
so it runs wherever an opportunity is written: the record API (the kanban board
drags through the same PATCH), the record service used by the CLI, jobs and
agents, and the bulk writer behind imports. It runs before ``normalize_stage``
so that a process's own stage probability can fill an empty probability.

Moving forward (to a later open stage, or to the won stage) needs the exit
criteria of the current stage, the entry and exit criteria of every open stage
passed over, and the entry criteria of the target. Moving back, or to a lost
stage, needs only the target's entry criteria. An approval is satisfied by an
approved request for that opportunity and target stage, which the move uses up.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhike.core.i18n import Localized, catalog_label, load_catalog, translate
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account
from zhike.platform.normalize import field_error
from zhike.sales.models import Activity, Opportunity, PipelineStage, Product
from zhike.sales.opportunities import _resolve_stage
from zhike.sales.process_models import ApprovalRequest, ProcessStage, SalesProcess
from zhike.sales.process_schemas import (
    ApprovalDecision,
    ApprovalRequestCreate,
    CriterionStatus,
    OpportunityProcessRead,
    ProcessStageRead,
    SalesProcessRead,
    SalesProcessWrite,
    StageCriteria,
    StageMove,
    UnmetCriterion,
)
from zhike.sales.scoping import audit, get_scoped, scoped
from zhike.security.admin import require_administrator
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

_CACHE_KEY = "zhike.sales.process_rules"
# Opportunity columns a process may require; the rest are managed by the system.
_MANAGED_FIELDS = frozenset(
    {"id", "tenant_id", "created_at", "updated_at", "version", "deleted_at", "custom", "stage_id"}
)


@dataclass(frozen=True)
class StageRules:
    stage_id: uuid.UUID
    probability: int | None
    entry: StageCriteria
    exit: StageCriteria
    guidance_zh: str | None
    guidance_en: str | None


@dataclass(frozen=True)
class ProcessRules:
    id: uuid.UUID
    key: str
    name_zh: str
    name_en: str
    product_series: str | None
    account_tier: str | None
    is_default: bool
    stages: dict[uuid.UUID, StageRules]


@dataclass(frozen=True)
class StageInfo:
    id: uuid.UUID
    key: str
    name_zh: str
    name_en: str
    position: int
    is_won: bool
    is_lost: bool

    @property
    def is_open(self) -> bool:
        return not self.is_won and not self.is_lost

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


@dataclass(frozen=True)
class _TenantRules:
    processes: tuple[ProcessRules, ...]
    stages: dict[uuid.UUID, StageInfo]


def forget_rules(session: Session) -> None:
    """Drop the rules cached on the session, after the processes or the pipeline changed."""
    session.info.pop(_CACHE_KEY, None)


def _tenant_rules(session: Session, tenant_id: uuid.UUID) -> _TenantRules:
    """Load the tenant's processes and stages once per session; imports call this per row."""
    cache: dict[uuid.UUID, _TenantRules] = session.info.setdefault(_CACHE_KEY, {})
    cached = cache.get(tenant_id)
    if cached is not None:
        return cached
    processes = list(
        session.scalars(
            select(SalesProcess).where(
                SalesProcess.tenant_id == tenant_id, SalesProcess.deleted_at.is_(None)
            )
        )
    )
    rules_by_process: dict[uuid.UUID, dict[uuid.UUID, StageRules]] = {
        process.id: {} for process in processes
    }
    if processes:
        for row in session.scalars(
            select(ProcessStage).where(
                ProcessStage.tenant_id == tenant_id,
                ProcessStage.deleted_at.is_(None),
                ProcessStage.process_id.in_(list(rules_by_process)),
            )
        ):
            rules_by_process[row.process_id][row.stage_id] = StageRules(
                stage_id=row.stage_id,
                probability=row.probability,
                entry=StageCriteria.model_validate(row.entry_criteria or {}),
                exit=StageCriteria.model_validate(row.exit_criteria or {}),
                guidance_zh=row.guidance_zh,
                guidance_en=row.guidance_en,
            )
    stages = {
        stage.id: StageInfo(
            stage.id,
            stage.key,
            stage.name_zh,
            stage.name_en,
            stage.position,
            stage.is_won,
            stage.is_lost,
        )
        for stage in session.scalars(
            select(PipelineStage).where(
                PipelineStage.tenant_id == tenant_id, PipelineStage.deleted_at.is_(None)
            )
        )
    }
    loaded = _TenantRules(
        tuple(
            ProcessRules(
                process.id,
                process.key,
                process.name_zh,
                process.name_en,
                process.product_series,
                process.account_tier,
                process.is_default,
                rules_by_process[process.id],
            )
            for process in sorted(processes, key=lambda item: item.key)
        ),
        stages,
    )
    cache[tenant_id] = loaded
    return loaded


def _current(values: dict[str, Any], record: Any, name: str) -> Any:
    """The value a field will have after this write: the written one, else the stored one."""
    if name.startswith("custom."):
        key = name.removeprefix("custom.")
        written = values.get("custom")
        if isinstance(written, dict) and key in written:
            return written[key]
        stored = getattr(record, "custom", None) if record is not None else None
        return stored.get(key) if isinstance(stored, dict) else None
    if name in values:
        return values[name]
    return getattr(record, name, None) if record is not None else None


def _choose_process(
    session: Session, tenant_id: uuid.UUID, rules: _TenantRules, values: dict[str, Any], record: Any
) -> ProcessRules | None:
    if not rules.processes:
        return None
    series = tier = None
    product_id = _current(values, record, "product_id")
    if product_id is not None and any(item.product_series for item in rules.processes):
        series = session.scalar(
            select(Product.series).where(Product.id == product_id, Product.tenant_id == tenant_id)
        )
    account_id = _current(values, record, "account_id")
    if account_id is not None and any(item.account_tier for item in rules.processes):
        tier = session.scalar(
            select(Account.tier).where(Account.id == account_id, Account.tenant_id == tenant_id)
        )

    def rank(process: ProcessRules) -> int:
        matches_series = process.product_series is not None and process.product_series == series
        matches_tier = process.account_tier is not None and process.account_tier == tier
        if process.product_series is not None and not matches_series:
            return 0
        if process.account_tier is not None and not matches_tier:
            return 0
        if matches_series and matches_tier:
            return 4
        if matches_series:
            return 3
        if matches_tier:
            return 2
        return 1 if process.is_default else 0

    best = max(rules.processes, key=rank)
    return best if rank(best) > 0 else None


def _criteria_on_path(
    process: ProcessRules,
    stages: dict[uuid.UUID, StageInfo],
    current: StageInfo | None,
    target: StageInfo,
) -> list[tuple[StageInfo, StageCriteria, str]]:
    """List the (stage, criteria, side) triples a move from ``current`` to ``target`` must meet."""
    empty = StageCriteria()

    def rules_of(stage: StageInfo) -> StageRules | None:
        return process.stages.get(stage.id)

    start = -1 if current is None else current.position
    forward = target.is_won or (target.is_open and (current is None or target.position > start))
    path: list[tuple[StageInfo, StageCriteria, str]] = []
    if forward:
        if current is not None and current.is_open:
            current_rules = rules_of(current)
            path.append((current, current_rules.exit if current_rules else empty, "exit"))
        passed = sorted(
            (
                stage
                for stage in stages.values()
                if stage.is_open
                and stage.position > start
                and (target.is_won or stage.position < target.position)
                and (current is None or stage.id != current.id)
            ),
            key=lambda stage: (stage.position, stage.key),
        )
        for stage in passed:
            stage_rules = rules_of(stage)
            if stage_rules is not None:
                path.append((stage, stage_rules.entry, "entry"))
                path.append((stage, stage_rules.exit, "exit"))
    target_rules = rules_of(target)
    entry = target_rules.entry if target_rules else empty
    if not forward:
        # Going back or losing the deal is never held up for a manager.
        entry = entry.model_copy(update={"approval": False})
    path.append((target, entry, "entry"))
    return path


def _done_activity_kinds(session: Session, tenant_id: uuid.UUID, opportunity_id: Any) -> set[str]:
    if opportunity_id is None:
        return set()
    return set(
        session.scalars(
            select(Activity.kind)
            .where(
                Activity.tenant_id == tenant_id,
                Activity.opportunity_id == opportunity_id,
                Activity.status == "done",
                Activity.deleted_at.is_(None),
            )
            .distinct()
        )
    )


def _approved_request(
    session: Session, tenant_id: uuid.UUID, opportunity_id: Any, stage_id: uuid.UUID
) -> ApprovalRequest | None:
    if opportunity_id is None:
        return None
    return session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.tenant_id == tenant_id,
            ApprovalRequest.kind == "stage_change",
            ApprovalRequest.subject_id == opportunity_id,
            ApprovalRequest.target == str(stage_id),
            ApprovalRequest.status == "approved",
            ApprovalRequest.deleted_at.is_(None),
        )
    ).first()


@dataclass(frozen=True)
class CriterionCheck:
    """One criterion of a move and whether the opportunity meets it now.

    ``error`` is the validation error the write would get while it is unmet,
    so the stage guidance and the enforced rule share one computation.
    """

    kind: str
    name: str
    stage: StageInfo
    met: bool
    error: dict[str, Any] | None


def check_criteria(
    session: Session,
    actor: Actor,
    process: ProcessRules,
    stages: dict[uuid.UUID, StageInfo],
    current: StageInfo | None,
    target: StageInfo,
    values: dict[str, Any],
    record: Any,
) -> tuple[list[CriterionCheck], ApprovalRequest | None]:
    """Check every criterion of a move once, met or not, and find its covering approval."""
    checks: list[CriterionCheck] = []
    path = _criteria_on_path(process, stages, current, target)
    opportunity_id = getattr(record, "id", None)
    needs_activities = any(criteria.activities for _, criteria, _ in path)
    done = (
        _done_activity_kinds(session, actor.tenant_id, opportunity_id)
        if needs_activities
        else set()
    )
    seen: set[tuple[str, str]] = set()
    for stage, criteria, _side in path:
        # Stage names stay Localized because an import keeps each row error in every locale.
        stage_name = Localized(stage.name)
        for name in criteria.fields:
            if ("field", name) in seen:
                continue
            seen.add(("field", name))
            value = _current(values, record, name)
            met = value is not None and value != ""
            error = (
                None
                if met
                else field_error(actor, name, value, "stage_field_required", stage=stage_name)
            )
            checks.append(CriterionCheck("field", name, stage, met, error))
        for kind in criteria.activities:
            if ("activity", kind) in seen:
                continue
            seen.add(("activity", kind))
            met = kind in done
            activity = Localized(partial(translate, f"activity_kind.{kind}"))
            error = (
                None
                if met
                else field_error(
                    actor,
                    "stage",
                    kind,
                    "stage_activity_required",
                    stage=stage_name,
                    activity=activity,
                )
            )
            checks.append(CriterionCheck("activity", kind, stage, met, error))
    approval = None
    if any(criteria.approval for _, criteria, _ in path):
        approval = _approved_request(session, actor.tenant_id, opportunity_id, target.id)
        error = (
            None
            if approval is not None
            else field_error(
                actor,
                "stage",
                target.key,
                "stage_approval_required",
                stage=Localized(target.name),
            )
        )
        checks.append(CriterionCheck("approval", target.key, target, approval is not None, error))
    return checks, approval


def _unmet(
    session: Session,
    actor: Actor,
    process: ProcessRules,
    stages: dict[uuid.UUID, StageInfo],
    current: StageInfo | None,
    target: StageInfo,
    values: dict[str, Any],
    record: Any,
) -> tuple[list[dict[str, Any]], ApprovalRequest | None, bool]:
    """Return the unmet criteria of a move, its covering approval, and whether one is needed."""
    checks, approval = check_criteria(
        session, actor, process, stages, current, target, values, record
    )
    errors = [check.error for check in checks if check.error is not None]
    needs_approval = any(check.kind == "approval" for check in checks)
    return errors, approval, needs_approval


def enforce_stage_rules(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Reject an opportunity write that breaks its sales process; fill the process probability."""
    return _enforce_stage_rules(session, actor, values, record, check_requirements=True)


def enforce_historical_stage_rules(
    session: Session, actor: Actor, values: dict[str, Any], record: Any
) -> dict[str, Any]:
    """Apply the sales process to a historical import row without its stage requirements.

    Deals that closed before the process existed cannot show the calls, fields or
    approvals it requires, and only an administrator may start such an import. The
    importer puts this normaliser in place of ``enforce_stage_rules`` for a
    historical import only.
    """
    return _enforce_stage_rules(session, actor, values, record, check_requirements=False)


def _enforce_stage_rules(
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    record: Any,
    *,
    check_requirements: bool,
) -> dict[str, Any]:
    rules = _tenant_rules(session, actor.tenant_id)
    if not rules.processes:
        return values
    process = _choose_process(session, actor.tenant_id, rules, values, record)
    if process is None:
        return values
    target_row = _resolve_stage(session, actor, values.get("stage"), values.get("stage_id"), record)
    current = rules.stages.get(record.stage_id) if record is not None else None
    if target_row is None or (current is not None and target_row.id == current.id):
        if check_requirements:
            _check_kept_fields(actor, process, current, values, record)
        return values
    target = rules.stages[target_row.id]
    errors, approval, _ = _unmet(
        session, actor, process, rules.stages, current, target, values, record
    )
    if not check_requirements:
        errors = []
    if errors:
        raise ValidationFailed(errors)
    if approval is not None:
        approval.status = "used"
    target_rules = process.stages.get(target.id)
    if values.get("probability") is None and target_rules and target_rules.probability is not None:
        values["probability"] = target_rules.probability
    return values


def _check_kept_fields(
    actor: Actor,
    process: ProcessRules,
    current: StageInfo | None,
    values: dict[str, Any],
    record: Any,
) -> None:
    """Keep the fields the current stage required on entry from being emptied."""
    if current is None:
        return
    current_rules = process.stages.get(current.id)
    if current_rules is None:
        return
    errors = []
    for name in current_rules.entry.fields:
        touched = name in values or (
            name.startswith("custom.")
            and name.removeprefix("custom.") in (values.get("custom") or {})
        )
        value = _current(values, record, name)
        if touched and (value is None or value == ""):
            errors.append(
                field_error(
                    actor, name, value, "stage_field_required", stage=Localized(current.name)
                )
            )
    if errors:
        raise ValidationFailed(errors)


# Configuration -----------------------------------------------------------------------------


def _present(
    process: SalesProcess, rows: list[ProcessStage], keys: dict[uuid.UUID, str]
) -> SalesProcessRead:
    return SalesProcessRead(
        id=process.id,
        key=process.key,
        name_zh=process.name_zh,
        name_en=process.name_en,
        product_series=process.product_series,
        account_tier=process.account_tier,
        is_default=process.is_default,
        version=process.version,
        stages=[
            ProcessStageRead(
                stage_id=row.stage_id,
                stage=keys.get(row.stage_id, "?"),
                probability=row.probability,
                entry=StageCriteria.model_validate(row.entry_criteria or {}),
                exit=StageCriteria.model_validate(row.exit_criteria or {}),
                guidance_zh=row.guidance_zh,
                guidance_en=row.guidance_en,
            )
            for row in rows
        ],
    )


def _stage_rows(
    session: Session, actor: Actor, process_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ProcessStage]]:
    grouped: dict[uuid.UUID, list[ProcessStage]] = {process_id: [] for process_id in process_ids}
    if not process_ids:
        return grouped
    statement = (
        select(ProcessStage)
        .join(PipelineStage, PipelineStage.id == ProcessStage.stage_id)
        .where(
            ProcessStage.tenant_id == actor.tenant_id,
            ProcessStage.deleted_at.is_(None),
            ProcessStage.process_id.in_(process_ids),
        )
        .order_by(PipelineStage.position, PipelineStage.key)
    )
    for row in session.scalars(statement):
        grouped[row.process_id].append(row)
    return grouped


def _stage_keys(session: Session, actor: Actor) -> dict[uuid.UUID, str]:
    return {
        stage.id: stage.key for stage in _tenant_rules(session, actor.tenant_id).stages.values()
    }


def list_processes(session: Session, actor: Actor) -> list[SalesProcessRead]:
    statement = scoped(actor, "sales_processes", SalesProcess, select(SalesProcess)).order_by(
        SalesProcess.key
    )
    processes = list(session.scalars(statement))
    rows = _stage_rows(session, actor, [process.id for process in processes])
    keys = _stage_keys(session, actor)
    return [_present(process, rows[process.id], keys) for process in processes]


def _check_fields(actor: Actor, body: SalesProcessWrite) -> list[dict[str, Any]]:
    known = {column.key for column in Opportunity.__table__.c} - _MANAGED_FIELDS
    errors = []
    for index, stage in enumerate(body.stages):
        for side, criteria in (("entry", stage.entry), ("exit", stage.exit)):
            for name in criteria.fields:
                if not name.startswith("custom.") and name not in known:
                    errors.append(
                        field_error(
                            actor,
                            f"stages.{index}.{side}.fields",
                            name,
                            "unknown_opportunity_field",
                            known=", ".join(sorted(known)),
                        )
                    )
    return errors


def save_process(session: Session, actor: Actor, body: SalesProcessWrite) -> SalesProcessRead:
    """Create or replace the process with ``body.key``, stage rules included (administrators)."""
    require_administrator(actor)
    stages = {stage.key: stage for stage in _tenant_rules(session, actor.tenant_id).stages.values()}
    errors = _check_fields(actor, body)
    seen: set[str] = set()
    for index, stage in enumerate(body.stages):
        if stage.stage not in stages:
            errors.append(field_error(actor, f"stages.{index}.stage", stage.stage, "invalid_stage"))
        if stage.stage in seen:
            errors.append(
                field_error(actor, f"stages.{index}.stage", stage.stage, "duplicate_stage_key")
            )
        seen.add(stage.stage)
    if errors:
        raise ValidationFailed(errors)
    if body.is_default:
        for other in session.scalars(
            select(SalesProcess).where(
                SalesProcess.tenant_id == actor.tenant_id,
                SalesProcess.is_default.is_(True),
                SalesProcess.key != body.key,
                SalesProcess.deleted_at.is_(None),
            )
        ):
            raise Conflict("default_process_exists", key=other.key)
    process = session.scalar(
        select(SalesProcess).where(
            SalesProcess.tenant_id == actor.tenant_id, SalesProcess.key == body.key
        )
    )
    before = None if process is None or process.deleted_at else _snapshot(session, actor, process)
    if process is None:
        process = SalesProcess(tenant_id=actor.tenant_id, key=body.key)
        session.add(process)
    process.name_zh = body.name_zh
    process.name_en = body.name_en
    process.product_series = body.product_series
    process.account_tier = body.account_tier
    process.is_default = body.is_default
    process.deleted_at = None
    session.flush()
    existing = {
        row.stage_id: row
        for row in session.scalars(
            select(ProcessStage).where(ProcessStage.process_id == process.id)
        )
    }
    wanted: set[uuid.UUID] = set()
    for stage in body.stages:
        stage_id = stages[stage.stage].id
        wanted.add(stage_id)
        row = existing.get(stage_id)
        if row is None:
            row = ProcessStage(tenant_id=actor.tenant_id, process_id=process.id, stage_id=stage_id)
            session.add(row)
        row.probability = stage.probability
        row.entry_criteria = stage.entry.model_dump()
        row.exit_criteria = stage.exit.model_dump()
        row.guidance_zh = stage.guidance_zh
        row.guidance_en = stage.guidance_en
        row.deleted_at = None
    for stage_id, row in existing.items():
        if stage_id not in wanted:
            session.delete(row)
    session.flush()
    forget_rules(session)
    after = _snapshot(session, actor, process)
    audit(
        session,
        actor,
        "sales_processes",
        process.id,
        "record.update" if before else "record.create",
        before,
        after,
    )
    logger.info(
        "sales process saved", extra={"process_key": process.key, "stage_count": len(wanted)}
    )
    return SalesProcessRead.model_validate(after)


def _snapshot(session: Session, actor: Actor, process: SalesProcess) -> dict[str, Any]:
    rows = _stage_rows(session, actor, [process.id])[process.id]
    return _present(process, rows, _stage_keys(session, actor)).model_dump(mode="json")


def delete_process(session: Session, actor: Actor, key: str) -> None:
    require_administrator(actor)
    process = session.scalar(
        select(SalesProcess).where(
            SalesProcess.tenant_id == actor.tenant_id,
            SalesProcess.key == key,
            SalesProcess.deleted_at.is_(None),
        )
    )
    if process is None:
        raise NotFound("record_not_found", object="sales_processes", id=key)
    before = _snapshot(session, actor, process)
    process.deleted_at = utc_now()
    session.flush()
    forget_rules(session)
    audit(session, actor, "sales_processes", process.id, "record.delete", before, None)


# Guidance and approvals --------------------------------------------------------------------


def opportunity_process(
    session: Session, actor: Actor, opportunity_id: uuid.UUID
) -> OpportunityProcessRead:
    """Describe the process of an opportunity: guidance now, and what each move still needs."""
    from zhike.platform.records import RecordService
    from zhike.sales.objects import OPPORTUNITIES

    record = RecordService(session, actor, OPPORTUNITIES).get(opportunity_id)
    rules = _tenant_rules(session, actor.tenant_id)
    process = _choose_process(session, actor.tenant_id, rules, {}, record)
    current = rules.stages[record.stage_id]
    guidance = None
    moves = []
    if process is not None:
        current_rules = process.stages.get(current.id)
        if current_rules is not None:
            guidance = (
                current_rules.guidance_en if actor.locale == "en" else current_rules.guidance_zh
            )
        for stage in sorted(rules.stages.values(), key=lambda item: (item.position, item.key)):
            if stage.id == current.id:
                continue
            checks, _ = check_criteria(
                session, actor, process, rules.stages, current, stage, {}, record
            )
            unmet = [
                UnmetCriterion(
                    kind=check.kind,
                    name=check.name,
                    code=check.error["code"],
                    field=check.error["field"],
                    stage=check.stage.key,
                    stage_name=check.stage.name(actor.locale),
                    message=check.error["message"],
                )
                for check in checks
                if check.error is not None
            ]
            moves.append(
                StageMove(stage=stage.key, stage_id=stage.id, allowed=not unmet, unmet=unmet)
            )
    following = next_stage(rules.stages, current)
    criteria: list[CriterionStatus] = []
    if process is not None and following is not None:
        checks, _ = check_criteria(
            session, actor, process, rules.stages, current, following, {}, record
        )
        criteria = [_criterion_status(actor, check) for check in checks]
    return OpportunityProcessRead(
        opportunity_id=record.id,
        process_key=process.key if process else None,
        process_name=(process.name_en if actor.locale == "en" else process.name_zh)
        if process
        else None,
        stage=current.key,
        stage_name=current.name(actor.locale),
        guidance=guidance,
        next_stage=following.key if following else None,
        next_stage_name=following.name(actor.locale) if following else None,
        next_stage_criteria=criteria,
        moves=moves,
    )


def next_stage(stages: dict[uuid.UUID, StageInfo], current: StageInfo) -> StageInfo | None:
    """Return the open stage after ``current``, else the won stage; None once the deal is closed."""
    if not current.is_open:
        return None
    later = sorted(
        (stage for stage in stages.values() if stage.is_open and stage.position > current.position),
        key=lambda stage: (stage.position, stage.key),
    )
    if later:
        return later[0]
    return next((stage for stage in stages.values() if stage.is_won), None)


def _criterion_status(actor: Actor, check: CriterionCheck) -> CriterionStatus:
    if check.kind == "field":
        label = load_catalog(actor.locale).get(f"field_label.{check.name}") or check.name
    elif check.kind == "activity":
        label = translate(f"activity_kind.{check.name}", actor.locale)
    else:
        label = translate("sales_process.criterion.approval", actor.locale)
    return CriterionStatus(
        kind=check.kind,
        name=check.name,
        label=label,
        stage=check.stage.key,
        stage_name=check.stage.name(actor.locale),
        met=check.met,
        message=check.error["message"] if check.error else None,
    )


def request_stage_approval(
    session: Session, actor: Actor, opportunity_id: uuid.UUID, body: ApprovalRequestCreate
) -> ApprovalRequest:
    """Ask a manager to approve moving an opportunity the actor may edit to ``body.stage``."""
    from zhike.platform.records import RecordService
    from zhike.sales.objects import OPPORTUNITIES

    record = RecordService(session, actor, OPPORTUNITIES).get(opportunity_id, "update")
    stages = {stage.key: stage for stage in _tenant_rules(session, actor.tenant_id).stages.values()}
    stage = stages.get(body.stage)
    if stage is None:
        raise ValidationFailed([field_error(actor, "stage", body.stage, "invalid_stage")])
    return open_approval(
        session, actor, "stage_change", record.id, str(stage.id), record.owner_id, body.reason
    )


def open_approval(
    session: Session,
    actor: Actor,
    kind: str,
    subject_id: uuid.UUID,
    target: str,
    owner_id: uuid.UUID | None,
    reason: str | None,
) -> ApprovalRequest:
    """Open a pending request, or return the one already pending for the same subject and target."""
    from zhike.security.access import require

    require(actor, "approval_requests", "create")
    pending = session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.tenant_id == actor.tenant_id,
            ApprovalRequest.kind == kind,
            ApprovalRequest.subject_id == subject_id,
            ApprovalRequest.target == target,
            ApprovalRequest.status.in_(("pending", "approved")),
            ApprovalRequest.deleted_at.is_(None),
        )
    ).first()
    if pending is not None:
        return pending
    request = ApprovalRequest(
        tenant_id=actor.tenant_id,
        kind=kind,
        subject_id=subject_id,
        target=target,
        status="pending",
        reason=reason,
        owner_id=owner_id,
        requested_by_id=actor.user_id,
    )
    session.add(request)
    session.flush()
    audit(
        session,
        actor,
        "approval_requests",
        request.id,
        "record.create",
        None,
        _approval_data(request),
    )
    _notify_approvers(session, actor, request)
    return request


def _approval_data(request: ApprovalRequest) -> dict[str, Any]:
    return {
        "kind": request.kind,
        "subject_id": str(request.subject_id),
        "target": request.target,
        "status": request.status,
        "decision_note": request.decision_note,
    }


def _notify_approvers(session: Session, actor: Actor, request: ApprovalRequest) -> None:
    """Notify the owner's manager of a waiting request; without a manager, no one is notified."""
    from zhike.sales.reminders import notify
    from zhike.security.models import User

    if request.owner_id is None:
        return
    manager_id = session.scalar(
        select(User.manager_id).where(
            User.id == request.owner_id, User.tenant_id == actor.tenant_id
        )
    )
    if manager_id is None:
        return
    notify(
        session,
        actor.tenant_id,
        manager_id,
        "approval_requested",
        {"kind": request.kind},
        "approval_requests",
        request.id,
        f"approval:{request.id}:requested",
    )


def list_approvals(session: Session, actor: Actor, status: str | None) -> list[ApprovalRequest]:
    statement = scoped(actor, "approval_requests", ApprovalRequest, select(ApprovalRequest))
    if status:
        statement = statement.where(ApprovalRequest.status == status)
    return list(session.scalars(statement.order_by(ApprovalRequest.created_at.desc()).limit(500)))


def decide_approval(
    session: Session, actor: Actor, request_id: uuid.UUID, body: ApprovalDecision
) -> ApprovalRequest:
    """Approve or reject a pending request; a request is never decided by the user who made it."""
    request: ApprovalRequest = get_scoped(
        session, actor, "approval_requests", ApprovalRequest, request_id, "update"
    )
    if request.status != "pending":
        raise Conflict(
            "approval_not_pending",
            status=catalog_label("sales_process.approval_status", request.status),
        )
    if request.requested_by_id is not None and request.requested_by_id == actor.user_id:
        raise Forbidden("approval_own_request")
    before = _approval_data(request)
    request.status = "approved" if body.approve else "rejected"
    request.decided_by_id = actor.user_id
    request.decided_at = utc_now()
    request.decision_note = body.note
    session.flush()
    if request.kind == "quote_discount":
        from zhike.sales.quotes import apply_discount_decision

        apply_discount_decision(session, actor, request)
    audit(
        session,
        actor,
        "approval_requests",
        request.id,
        "record.update",
        before,
        _approval_data(request),
    )
    if request.requested_by_id is not None:
        from zhike.sales.reminders import notify

        notify(
            session,
            actor.tenant_id,
            request.requested_by_id,
            "approval_decided",
            {"kind": request.kind, "status": request.status},
            "approval_requests",
            request.id,
            f"approval:{request.id}:decided",
        )
    return request
