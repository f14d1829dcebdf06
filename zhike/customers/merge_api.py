"""Duplicate review queue, merge, merge preview and unmerge."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import event
from sqlalchemy.orm import Session

from zhike.api.deps import ActorDep, SessionDep
from zhike.core.errors import Forbidden
from zhike.customers import duplicates, merge
from zhike.customers.merge_schemas import (
    AcceptRequest,
    CandidatePage,
    CandidateRead,
    CandidateStatus,
    MergeableObject,
    MergePreview,
    MergeRead,
    MergeRequest,
    ScanRequest,
    ScanResult,
    UnmergeResult,
)
from zhike.security.access import require

router = APIRouter(prefix="/customers", tags=["duplicates and merge"])


@router.post("/duplicates/scan", response_model=ScanResult)
def scan(body: ScanRequest, session: SessionDep, actor: ActorDep) -> ScanResult:
    """Compare the records you may read and queue the likely duplicate pairs for review."""
    return duplicates.scan_duplicates(session, actor, body.object_name, body.min_score)


@router.post("/duplicates/scan-jobs", status_code=status.HTTP_202_ACCEPTED)
def scan_in_background(body: ScanRequest, session: SessionDep, actor: ActorDep) -> Any:
    """Queue a scan of the whole tenant on the job queue; it runs after this request commits.

    The job reads every record of the tenant, so it needs company-wide read on the object.
    """
    require(actor, duplicates.QUEUE_OBJECT, "create")
    if require(actor, body.object_name, "read").scope != "company":
        raise Forbidden("merge_scan_needs_company_scope", object=body.object_name)
    tenant_id, object_name, min_score = actor.tenant_id, body.object_name, body.min_score

    def send(_session: Session) -> None:
        from zhike.customers.jobs import enqueue_duplicate_scan

        enqueue_duplicate_scan(tenant_id, object_name, min_score)

    event.listen(session, "after_commit", send, once=True)
    return JSONResponse(
        {"queued": True, "object_name": object_name, "min_score": min_score},
        status_code=status.HTTP_202_ACCEPTED,
    )


@router.get("/duplicates", response_model=CandidatePage)
def list_duplicates(
    session: SessionDep,
    actor: ActorDep,
    object_name: MergeableObject = "contacts",
    status_filter: Annotated[CandidateStatus | None, Query(alias="status")] = "open",
    min_score: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    limit: Annotated[int, Query(ge=1, le=duplicates.MAX_LIST)] = 100,
) -> CandidatePage:
    """Candidate pairs of which you may read both records, best score first."""
    rows = duplicates.list_candidates(session, actor, object_name, status_filter, min_score, limit)
    return CandidatePage(items=[CandidateRead.model_validate(row) for row in rows])


@router.post("/duplicates/{candidate_id}/accept", response_model=MergeRead)
def accept(
    candidate_id: uuid.UUID, body: AcceptRequest, session: SessionDep, actor: ActorDep
) -> MergeRead:
    """Merge the pair; the older record survives unless `survivor_id` names the other."""
    done = merge.accept_candidate(session, actor, candidate_id, body.survivor_id, body)
    return MergeRead.model_validate(done)


@router.post("/duplicates/{candidate_id}/reject", response_model=CandidateRead)
def reject(candidate_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> CandidateRead:
    """Mark the pair as two different customers; later scans never suggest it again."""
    return CandidateRead.model_validate(duplicates.reject_candidate(session, actor, candidate_id))


@router.post("/merges/preview", response_model=MergePreview)
def preview(body: MergeRequest, session: SessionDep, actor: ActorDep) -> MergePreview:
    """Show each field's surviving value and why, and count the related rows that would move."""
    return merge.preview_merge(
        session, actor, body.object_name, body.survivor_id, body.merged_id, body
    )


@router.post("/merges", response_model=MergeRead, status_code=status.HTTP_201_CREATED)
def create_merge(body: MergeRequest, session: SessionDep, actor: ActorDep) -> MergeRead:
    """Merge `merged_id` into `survivor_id`; the merge record allows an exact unmerge."""
    done = merge.merge_records(
        session, actor, body.object_name, body.survivor_id, body.merged_id, body
    )
    return MergeRead.model_validate(done)


@router.get("/merges/{merge_id}", response_model=MergeRead)
def get_merge(merge_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> MergeRead:
    return MergeRead.model_validate(merge.get_merge(session, actor, merge_id))


@router.post("/merges/{merge_id}/unmerge", response_model=UnmergeResult)
def unmerge(merge_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> UnmergeResult:
    """Restore the merged-away record and its related rows, and undo the survivor's changes."""
    done, restored, kept_edits, rows = merge.unmerge(session, actor, merge_id)
    return UnmergeResult(
        merge=MergeRead.model_validate(done),
        restored_fields=restored,
        kept_later_edits=kept_edits,
        restored_rows=rows,
    )
