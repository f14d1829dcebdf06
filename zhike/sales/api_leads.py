"""HTTP routes for pools, assignment rules, lead capture (with the public form) and conversion.

Routers only translate: every rule lives in the services they call.
"""

from __future__ import annotations

import uuid
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse

from zhike.api.deps import ActorDep, SessionDep, request_clock, request_ip
from zhike.api.records import parse_if_match
from zhike.core.errors import InvalidInput
from zhike.core.i18n import negotiate_locale, translate
from zhike.sales import assignment, capture, conversion, handover, pool_recycling, pools
from zhike.sales.pool_schemas import (
    AssignmentReport,
    AssignmentRuleList,
    AssignmentRuleRead,
    AssignmentRuleWrite,
    AssignRequest,
    CaptureFormList,
    CaptureFormRead,
    CaptureFormWrite,
    CaptureRequest,
    CaptureResult,
    ClaimRequest,
    ClaimResult,
    ConvertRequest,
    ConvertResult,
    DepartureHandover,
    DuplicateList,
    DuplicateRead,
    MoveToPoolRequest,
    PoolEventList,
    PoolEventRead,
    PoolItems,
    PoolList,
    PoolRead,
    PoolWrite,
    ReassignRequest,
    RecycleReport,
    ReleaseRequest,
)

router = APIRouter(tags=["leads and pools"])
public_router = APIRouter(prefix="/public/forms", tags=["public lead forms"])


def _pool_read(pool: Any, pooled: int = 0, claimed: int = 0) -> PoolRead:
    read = PoolRead.model_validate(pool)
    read.pooled_count, read.claimed_count = pooled, claimed
    return read


def _claim_result(entry: Any, pool: Any) -> ClaimResult:
    return ClaimResult(
        object_name=entry.object_name,
        record_id=entry.record_id,
        owner_id=entry.owner_id,
        pool_id=pool.id,
        state=entry.state,
        return_due_at=pools.return_due_at(pool, entry) if entry.state == "claimed" else None,
    )


# --- pools -------------------------------------------------------------------------------


@router.get("/sales/pools", response_model=PoolList)
def list_pools(session: SessionDep, actor: ActorDep) -> PoolList:
    """Pools of the tenant with how many records wait in each and how many are claimed."""
    return PoolList(items=[_pool_read(*row) for row in pools.list_pools(session, actor)])


@router.post("/sales/pools", response_model=PoolRead, status_code=status.HTTP_201_CREATED)
def create_pool(body: PoolWrite, session: SessionDep, actor: ActorDep) -> PoolRead:
    return _pool_read(pools.create_pool(session, actor, body))


@router.put("/sales/pools/{pool_id}", response_model=PoolRead)
def update_pool(
    pool_id: uuid.UUID,
    body: PoolWrite,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> PoolRead:
    """Replace a pool's settings; send If-Match with the version read to avoid lost updates."""
    expected = int(if_match.strip('"')) if if_match and if_match.strip('"').isdigit() else None
    return _pool_read(pools.update_pool(session, actor, pool_id, body, expected))


@router.get("/sales/pools/{pool_id}/items", response_model=PoolItems)
def pool_items(
    pool_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=pools.MAX_PAGE)] = 50,
    cursor: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> PoolItems:
    """Unclaimed records of the pool, longest waiting first; contact details are masked."""
    items, next_cursor = pools.pool_items(session, actor, pool_id, limit, cursor, q)
    return PoolItems(items=items, next_cursor=next_cursor)


@router.post("/sales/pools/{pool_id}/items/{record_id}/claim", response_model=ClaimResult)
def claim(
    pool_id: uuid.UUID,
    record_id: uuid.UUID,
    body: ClaimRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
) -> ClaimResult:
    """Claim a pooled record: 409 past the pool's limits or when someone claimed it first."""
    entry, pool = pools.claim(
        session, actor, pool_id, record_id, body.reason, body.note, request_clock(request)
    )
    return _claim_result(entry, pool)


@router.post("/sales/pools/{pool_id}/move", response_model=dict[str, int])
def move_to_pool(
    pool_id: uuid.UUID,
    body: MoveToPoolRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
) -> dict[str, int]:
    """Put records into the pool, giving up their owners (a reason is required)."""
    moved = pools.move_to_pool(
        session, actor, pool_id, body.record_ids, body.reason, body.note, request_clock(request)
    )
    return {"moved": moved}


@router.post("/sales/pools/recycle", response_model=RecycleReport)
def recycle(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    pool_id: uuid.UUID | None = None,
) -> RecycleReport:
    """Run the return rules now (the periodic job does the same); needs pool update rights."""
    from zhike.security.access import require

    require(actor, pools.POOL_OBJECT, "update")
    return pool_recycling.recycle(session, actor, request_clock(request), pool_id)


@router.post("/{object_name}/{record_id}/release", response_model=ClaimResult)
def release(
    object_name: str,
    record_id: uuid.UUID,
    body: ReleaseRequest,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
) -> ClaimResult:
    """Give a lead or account back to its pool (or ``pool_id``), with a reason."""
    if object_name not in pools.POOLED_OBJECTS:
        raise InvalidInput("pool_unknown_object", object=object_name)
    entry, pool = pools.release(
        session,
        actor,
        object_name,
        record_id,
        body.reason,
        body.note,
        body.pool_id,
        request_clock(request),
    )
    return _claim_result(entry, pool)


@router.get("/{object_name}/{record_id}/pool-history", response_model=PoolEventList)
def pool_history(
    object_name: str, record_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> PoolEventList:
    """Every claim, release, assignment and return of the record, with reasons."""
    if object_name not in pools.POOLED_OBJECTS:
        raise InvalidInput("pool_unknown_object", object=object_name)
    events = pools.pool_events(session, actor, object_name, record_id)
    return PoolEventList(items=[PoolEventRead.model_validate(event) for event in events])


# --- assignment --------------------------------------------------------------------------


@router.get("/sales/assignment-rules", response_model=AssignmentRuleList)
def list_rules(session: SessionDep, actor: ActorDep) -> AssignmentRuleList:
    rules = assignment.list_rules(session, actor)
    return AssignmentRuleList(items=[AssignmentRuleRead.model_validate(rule) for rule in rules])


@router.post(
    "/sales/assignment-rules",
    response_model=AssignmentRuleRead,
    status_code=status.HTTP_201_CREATED,
)
def create_rule(
    body: AssignmentRuleWrite, session: SessionDep, actor: ActorDep
) -> AssignmentRuleRead:
    return AssignmentRuleRead.model_validate(assignment.create_rule(session, actor, body))


@router.put("/sales/assignment-rules/{rule_id}", response_model=AssignmentRuleRead)
def update_rule(
    rule_id: uuid.UUID,
    body: AssignmentRuleWrite,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> AssignmentRuleRead:
    expected = parse_if_match(if_match, rule_id)
    return AssignmentRuleRead.model_validate(
        assignment.update_rule(session, actor, rule_id, body, expected)
    )


@router.delete("/sales/assignment-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> None:
    assignment.delete_rule(session, actor, rule_id)


@router.post("/sales/assignment/run", response_model=AssignmentReport)
def run_assignment(
    body: AssignRequest, request: Request, session: SessionDep, actor: ActorDep
) -> AssignmentReport:
    """Assign unowned open leads by the rules; ``dry_run`` reports without writing."""
    return assignment.assign_leads(
        session, actor, body.lead_ids, request_clock(request), body.dry_run
    )


@router.post("/sales/assignment/reassign-owner", response_model=dict[str, int])
def reassign_owner(
    body: ReassignRequest, request: Request, session: SessionDep, actor: ActorDep
) -> dict[str, int]:
    """Hand a departing owner's open records to a colleague, or back through the rules."""
    return assignment.reassign_owner(
        session, actor, body.from_user_id, body.to_user_id, request_clock(request)
    )


@router.get("/sales/settings/departure-handover", response_model=DepartureHandover)
def get_departure_handover(session: SessionDep, actor: ActorDep) -> DepartureHandover:
    """Return how a deactivated user's open records are handed on."""
    return DepartureHandover(mode=handover.handover_mode(session, actor.tenant_id))


@router.put("/sales/settings/departure-handover", response_model=DepartureHandover)
def put_departure_handover(
    body: DepartureHandover, session: SessionDep, actor: ActorDep
) -> DepartureHandover:
    """Choose the hand-over mode (administrators only); deactivation applies it at once."""
    return DepartureHandover(mode=handover.set_handover_mode(session, actor, body.mode))


# --- capture, duplicates, conversion ---------------------------------------------------------


def _capture_result(captured: capture.Captured) -> CaptureResult:
    return CaptureResult(
        lead_id=captured.lead.id,
        owner_id=captured.lead.owner_id,
        pool_id=captured.pool.id if captured.pool else None,
        duplicates=[DuplicateRead.model_validate(item) for item in captured.duplicates],
    )


@router.post("/leads/capture", response_model=CaptureResult, status_code=status.HTTP_201_CREATED)
def capture_lead(
    body: CaptureRequest, request: Request, session: SessionDep, actor: ActorDep
) -> CaptureResult:
    """Create a lead from an API client or channel; it is checked for duplicates and routed."""
    captured = capture.capture_lead(
        session, actor, body, body.channel, body.assign, None, request_clock(request)
    )
    return _capture_result(captured)


@router.get("/leads/{lead_id}/duplicates", response_model=DuplicateList)
def lead_duplicates(lead_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DuplicateList:
    items = capture.lead_duplicates(session, actor, lead_id)
    return DuplicateList(items=[DuplicateRead.model_validate(item) for item in items])


@router.post("/leads/{lead_id}/convert", response_model=ConvertResult)
def convert_lead(
    lead_id: uuid.UUID, body: ConvertRequest, request: Request, session: SessionDep, actor: ActorDep
) -> ConvertResult:
    """Create or link account, contact and opportunity, and close the lead (409 if converted)."""
    return conversion.convert_lead(session, actor, lead_id, body, request_clock(request))


@router.get("/sales/lead-forms", response_model=CaptureFormList)
def list_forms(session: SessionDep, actor: ActorDep) -> CaptureFormList:
    forms = capture.list_forms(session, actor)
    return CaptureFormList(items=[CaptureFormRead.model_validate(form) for form in forms])


@router.post(
    "/sales/lead-forms", response_model=CaptureFormRead, status_code=status.HTTP_201_CREATED
)
def create_form(body: CaptureFormWrite, session: SessionDep, actor: ActorDep) -> CaptureFormRead:
    return CaptureFormRead.model_validate(capture.create_form(session, actor, body))


@router.put("/sales/lead-forms/{form_id}", response_model=CaptureFormRead)
def update_form(
    form_id: uuid.UUID, body: CaptureFormWrite, session: SessionDep, actor: ActorDep
) -> CaptureFormRead:
    return CaptureFormRead.model_validate(capture.update_form(session, actor, form_id, body))


# --- the public form ---------------------------------------------------------------------


@public_router.get("/{form_key}")
def form_definition(form_key: str, request: Request, session: SessionDep) -> dict[str, Any]:
    """Return the fields of a form and a fresh token to send back with the submission."""
    form, _tenant = capture.load_public_form(session, form_key)
    return {
        "fields": form.fields,
        "honeypot_field": capture.HONEYPOT_FIELD,
        "token_field": capture.TOKEN_FIELD,
        "form_token": capture.issue_form_token(form.form_key, request_clock(request)),
    }


@public_router.get("/{form_key}/embed", response_class=HTMLResponse)
def embed_form(form_key: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Render a self-contained HTML form for an iframe on the company's own site."""
    form, tenant = capture.load_public_form(session, form_key)
    locale = negotiate_locale(request.headers.get("accept-language"), tenant.locale)
    token = capture.issue_form_token(form.form_key, request_clock(request))
    inputs = "\n".join(
        f"<label>{escape(translate(f'lead_capture.field.{name}', locale))}"
        f'<input name="{name}"{" required" if name == "name" else ""}></label>'
        for name in form.fields
    )
    page = f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(form.name)}</title>
<style>label{{display:block;margin:.5em 0}}input{{display:block;width:100%}}
.trap{{position:absolute;left:-10000px}}</style></head>
<body><form method="post" action="{escape(str(request.url.path).removesuffix("/embed"))}">
{inputs}
<label class="trap" aria-hidden="true">{capture.HONEYPOT_FIELD}
<input name="{capture.HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"></label>
<input type="hidden" name="{capture.TOKEN_FIELD}" value="{escape(token)}">
<button type="submit">{escape(translate("lead_capture.submit", locale))}</button>
</form></body></html>"""
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
            )
        },
    )


@public_router.post("/{form_key}", status_code=status.HTTP_202_ACCEPTED)
async def submit_form(form_key: str, request: Request) -> JSONResponse:
    """Store a submission sent as JSON or as an HTML form post.

    Spam gets the same 202 response as a real submission but is not stored.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError as error:
            raise InvalidInput("capture_body_invalid") from error
        if not isinstance(body, dict):
            raise InvalidInput("capture_body_invalid")
    else:
        body = {
            key: value for key, value in (await request.form()).items() if isinstance(value, str)
        }
    locale = negotiate_locale(request.headers.get("accept-language"))
    return await _store_submission(request, form_key, body, locale)


async def _store_submission(
    request: Request, form_key: str, body: dict[str, Any], locale: str
) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    from zhike.core.db import get_database

    def store() -> None:
        with get_database().session() as session:
            capture.submit_form(
                session, form_key, body, request_ip(request), request_clock(request)
            )

    await run_in_threadpool(store)
    return JSONResponse(
        {"status": "received", "message": translate("lead_capture.thanks", locale)},
        status_code=status.HTTP_202_ACCEPTED,
    )
