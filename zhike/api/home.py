"""The home page of the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter

from zhike.api.deps import ActorDep, SessionDep
from zhike.home.schemas import HomeSummary
from zhike.home.service import home_summary

router = APIRouter(tags=["home"])


@router.get("/home", response_model=HomeSummary)
def get_home(session: SessionDep, actor: ActorDep) -> HomeSummary:
    """Tasks, KPIs, funnel, forecast against target, at-risk accounts and stalled deals.

    Each figure covers the records the user may read (their own, their team's or
    the company's) and carries a ``drill`` with the list filters that show its records.
    """
    return home_summary(session, actor)
