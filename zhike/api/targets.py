"""Sales targets per fiscal quarter for users, teams and the company."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from zhike.api.deps import ActorDep, SessionDep
from zhike.sales import quotas
from zhike.sales.quotas import TargetRead, TargetWrite

router = APIRouter(prefix="/sales/targets", tags=["sales"])


class TargetList(BaseModel):
    items: list[TargetRead]


@router.get("", response_model=TargetList)
def list_targets(
    session: SessionDep,
    actor: ActorDep,
    period_start: Annotated[date | None, Query(description="first day of a quarter")] = None,
) -> TargetList:
    targets = quotas.list_targets(session, actor, period_start)
    return TargetList(items=[TargetRead.model_validate(target) for target in targets])


@router.put("", response_model=TargetRead)
def save_target(body: TargetWrite, session: SessionDep, actor: ActorDep) -> TargetRead:
    """Set the target of a quarter for a user, a team or (neither) the company (administrators)."""
    return TargetRead.model_validate(quotas.save_target(session, actor, body))


@router.delete("/{target_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_target(target_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> None:
    quotas.delete_target(session, actor, target_id)
