"""Marketing automation endpoints: consent, suppression, segments, templates, journeys, sends.

Routers only translate HTTP to the marketing services, which check the
caller's grants. The unsubscribe, double opt-in, tracking and provider
feedback endpoints are public: a signed token or body signature replaces
a login and names the tenant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from zhike.api.deps import ActorDep, SessionDep, get_locale
from zhike.api.records import parse_if_match
from zhike.core.errors import Forbidden, ValidationFailed
from zhike.core.i18n import translate
from zhike.customers.models import Contact
from zhike.marketing import attribution, consent, measurement, segments, step_costs, templates
from zhike.marketing import settings as marketing_settings
from zhike.marketing.automation_models import MarketingSettings
from zhike.marketing.automation_schemas import (
    ConsentBody,
    ConsentCreated,
    ConsentRead,
    EventBody,
    FeedbackBody,
    IdList,
    JourneyRead,
    MessageBody,
    MessageRead,
    PreviewBody,
    RenderBody,
    SegmentRead,
    SettingsBody,
    SettingsPatch,
    SettingsRead,
    SuppressionBody,
    SuppressionRead,
    TemplateRead,
)
from zhike.marketing.campaign_send import CampaignSendBody, send_campaign
from zhike.marketing.engagement import record_event_for
from zhike.marketing.journey_metrics import (
    AttributionModel,
    JourneyStepMetrics,
    journey_step_metrics,
)
from zhike.marketing.journeys import (
    JourneyBody,
    enroll_manually,
    get_journey,
    list_journeys,
    save_journey,
    set_status,
)
from zhike.marketing.sending import (
    SendRequest,
    get_send,
    record_feedback,
    send_now,
    track_click,
    track_open,
)
from zhike.security.context import Actor
from zhike.security.tenancy import bind_tenant

router = APIRouter(prefix="/marketing", tags=["marketing"])
public_router = APIRouter(prefix="/marketing", tags=["marketing (public links)"])

# A 1x1 transparent GIF for the open-tracking pixel.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


# -- settings ------------------------------------------------------------------------


def _settings_etag(actor: Actor, settings: SettingsRead) -> str:
    return f'"{actor.tenant_id}.{settings.version}"'


@router.get("/settings", response_model=SettingsRead)
def read_settings(session: SessionDep, actor: ActorDep, response: Response) -> SettingsRead:
    """Marketing rules of the tenant: double opt-in, quiet hours, frequency cap, channels, costs."""
    settings = marketing_settings.read_settings(session, actor)
    response.headers["ETag"] = _settings_etag(actor, settings)
    return settings


@router.put("/settings", response_model=SettingsRead)
def write_settings(
    body: SettingsBody,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> SettingsRead:
    """Replace the whole settings object; every field is required, use PATCH to change some.

    Channel secrets are stored encrypted and kept when omitted or sent back masked.
    Send the ETag you read as If-Match; a stale version returns 412.
    """
    settings = marketing_settings.replace_settings(
        session, actor, body, parse_if_match(if_match, actor.tenant_id)
    )
    response.headers["ETag"] = _settings_etag(actor, settings)
    return settings


@router.patch("/settings", response_model=SettingsRead)
def patch_settings(
    body: SettingsPatch,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> SettingsRead:
    """Change only the fields in the body (JSON merge patch, RFC 7396).

    In ``channels`` and ``send_costs`` a channel set to null is removed; inside a
    channel's configuration a key set to null is removed. Send the ETag you read
    as If-Match; a stale version returns 412.
    """
    settings = marketing_settings.patch_settings(
        session, actor, body, parse_if_match(if_match, actor.tenant_id)
    )
    response.headers["ETag"] = _settings_etag(actor, settings)
    return settings


# -- consent and suppression ------------------------------------------------------------


@router.post("/consents", response_model=ConsentCreated, status_code=status.HTTP_201_CREATED)
def add_consent(body: ConsentBody, session: SessionDep, actor: ActorDep) -> ConsentCreated:
    """Add a line to a contact's consent ledger.

    On a channel where the tenant requires double opt-in, a grant is stored as
    ``pending`` and ``confirmation_url`` is the link to send to the contact.
    """
    line, token = consent.record_consent(session, actor, consent.ConsentInput(**body.model_dump()))
    url = None
    if token is not None:
        base = consent.tenant_settings(session, actor.tenant_id).public_base_url.rstrip("/")
        url = f"{base}/api/v1/marketing/consents/confirm/{token}"
    return ConsentCreated(**ConsentRead.model_validate(line).model_dump(), confirmation_url=url)


@router.get("/contacts/{contact_id}/consents", response_model=list[ConsentRead])
def contact_consents(contact_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> list[Any]:
    """Return a contact's consent ledger, oldest first; the newest line per key is in force."""
    return list(consent.consent_ledger(session, actor, contact_id))


@router.get("/suppressions", response_model=list[SuppressionRead])
def suppressions(session: SessionDep, actor: ActorDep) -> list[Any]:
    return list(consent.list_suppressions(session, actor))


@router.post("/suppressions", response_model=SuppressionRead, status_code=status.HTTP_201_CREATED)
def add_suppression(body: SuppressionBody, session: SessionDep, actor: ActorDep) -> Any:
    return consent.suppress_manually(session, actor, body.channel, body.address, body.note)


@router.delete("/suppressions/{suppression_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_suppression(suppression_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    consent.remove_suppression(session, actor, suppression_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- segments ------------------------------------------------------------------------------


@router.get("/segments", response_model=list[SegmentRead])
def list_segments(session: SessionDep, actor: ActorDep) -> list[Any]:
    return list(segments.list_segments(session, actor))


@router.post("/segments", response_model=SegmentRead, status_code=status.HTTP_201_CREATED)
def create_segment(body: segments.SegmentBody, session: SessionDep, actor: ActorDep) -> Any:
    """Create a static list or a dynamic segment (report filters, behaviour, model scores)."""
    return segments.save_segment(session, actor, body)


@router.post("/segments/preview")
def preview_segment(body: PreviewBody, session: SessionDep, actor: ActorDep) -> dict[str, int]:
    """Count the records a definition would hold now, while it is being edited."""
    return {"size": segments.preview_size(session, actor, body.object_name, body.definition)}


@router.get("/segments/{segment_id}", response_model=SegmentRead)
def read_segment(segment_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return segments.get_segment(session, actor, segment_id)


@router.put("/segments/{segment_id}", response_model=SegmentRead)
def update_segment(
    segment_id: uuid.UUID, body: segments.SegmentBody, session: SessionDep, actor: ActorDep
) -> Any:
    return segments.save_segment(session, actor, body, segment_id)


@router.delete("/segments/{segment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_segment(segment_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    segments.delete_segment(session, actor, segment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/segments/{segment_id}/refresh", response_model=SegmentRead)
def refresh_segment(segment_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    """Re-evaluate every record of a dynamic segment (after a bulk import, for example)."""
    segment = segments.get_segment(session, actor, segment_id, "update")
    segments.refresh_segment(session, actor, segment)
    return segment


@router.get("/segments/{segment_id}/members")
def segment_members(
    segment_id: uuid.UUID, session: SessionDep, actor: ActorDep, limit: int = 100
) -> dict[str, Any]:
    segment = segments.get_segment(session, actor, segment_id)
    ids = segments.segment_member_ids(session, segment, max(1, min(limit, 1000)))
    return {"total": segment.member_count, "ids": [str(record_id) for record_id in ids]}


@router.post("/segments/{segment_id}/members")
def add_members(
    segment_id: uuid.UUID, body: IdList, session: SessionDep, actor: ActorDep
) -> dict[str, int]:
    """Add records to a static list; returns how many were not members yet."""
    return {"added": segments.add_static_members(session, actor, segment_id, body.ids)}


@router.post("/segments/{segment_id}/members/remove")
def remove_members(
    segment_id: uuid.UUID, body: IdList, session: SessionDep, actor: ActorDep
) -> dict[str, int]:
    return {"removed": segments.remove_static_members(session, actor, segment_id, body.ids)}


@router.post("/events", status_code=status.HTTP_201_CREATED)
def add_event(body: EventBody, session: SessionDep, actor: ActorDep) -> dict[str, str]:
    """Record a behaviour (visited, bought, form_submitted, ticket_opened ...) of a person."""
    row = record_event_for(
        session,
        actor,
        body.kind,
        body.contact_id,
        body.lead_id,
        body.value,
        body.details,
        body.occurred_at,
    )
    if body.kind == "form_submitted" and body.contact_id is not None:
        from zhike.marketing.journeys import enroll_on_trigger

        enroll_on_trigger(
            session,
            actor.tenant_id,
            "form_submitted",
            [body.contact_id],
            {"form": body.details.get("form")},
        )
    return {"id": str(row.id)}


# -- templates -----------------------------------------------------------------------------


@router.get("/templates", response_model=list[TemplateRead])
def list_templates(session: SessionDep, actor: ActorDep) -> list[Any]:
    return list(templates.list_templates(session, actor))


@router.post("/templates", response_model=TemplateRead, status_code=status.HTTP_201_CREATED)
def create_template(body: templates.TemplateBody, session: SessionDep, actor: ActorDep) -> Any:
    """Save a template; merge fields ({{ contact.name }}) and blocks ({% if %}) are checked now."""
    return templates.save_template(session, actor, body)


@router.put("/templates/{template_id}", response_model=TemplateRead)
def update_template(
    template_id: uuid.UUID, body: templates.TemplateBody, session: SessionDep, actor: ActorDep
) -> Any:
    return templates.save_template(session, actor, body, template_id)


@router.post("/templates/{template_id}/render")
def render_template(
    template_id: uuid.UUID, body: RenderBody, session: SessionDep, actor: ActorDep
) -> dict[str, str | None]:
    """Preview a template for one contact the caller may read."""
    from zhike.platform.objects import get_object
    from zhike.platform.records import RecordService

    row = templates.get_template(session, actor, template_id)
    contact: Contact = RecordService(session, actor, get_object("contacts")).get(body.contact_id)
    data = templates.merge_data(session, contact, {"unsubscribe_url": "#"})
    return {
        "subject": templates.render(row.subject, data, html=False) if row.subject else None,
        "body": templates.render(row.body, data, html=row.channel == "email"),
    }


@router.post("/templates/{template_id}/variants")
def template_variants(
    template_id: uuid.UUID, session: SessionDep, actor: ActorDep, count: int = 2
) -> dict[str, Any]:
    """Propose variants for an A/B test: via the LLM gateway, or offline rewrites."""
    variants, source = templates.generate_variants(session, actor, template_id, count)
    return {"source": source, "variants": [variant.model_dump() for variant in variants]}


# -- journeys ------------------------------------------------------------------------------


@router.get("/journeys", response_model=list[JourneyRead])
def journeys(session: SessionDep, actor: ActorDep) -> list[Any]:
    return list(list_journeys(session, actor))


@router.post("/journeys", response_model=JourneyRead, status_code=status.HTTP_201_CREATED)
def create_journey(body: JourneyBody, session: SessionDep, actor: ActorDep) -> Any:
    """Create a journey from its graph; every problem of the graph is reported at once."""
    return save_journey(session, actor, body)


@router.get("/journeys/{journey_id}", response_model=JourneyRead)
def read_journey(journey_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return get_journey(session, actor, journey_id)


@router.put("/journeys/{journey_id}", response_model=JourneyRead)
def update_journey(
    journey_id: uuid.UUID, body: JourneyBody, session: SessionDep, actor: ActorDep
) -> Any:
    return save_journey(session, actor, body, journey_id)


@router.post("/journeys/{journey_id}/enrollments")
def enroll(
    journey_id: uuid.UUID, body: IdList, session: SessionDep, actor: ActorDep
) -> dict[str, int]:
    return {"enrolled": enroll_manually(session, actor, journey_id, body.ids)}


@router.post("/journeys/{journey_id}/{action}", response_model=JourneyRead)
def change_journey_status(
    journey_id: uuid.UUID, action: str, session: SessionDep, actor: ActorDep
) -> Any:
    """``activate``, ``pause`` or ``archive`` a journey."""
    targets = {"activate": "active", "pause": "paused", "archive": "archived"}
    return set_status(session, actor, journey_id, targets.get(action, action))


@router.get("/journeys/{journey_id}/metrics")
def journey_metrics(journey_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    return measurement.journey_metrics(session, actor, journey_id)


@router.get("/journeys/{journey_id}/step-metrics", response_model=JourneyStepMetrics)
def journey_step_results(
    journey_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    period: Annotated[
        str | None,
        Query(description="named period in the tenant's calendar, e.g. this_month, last_30_days"),
    ] = None,
    start: Annotated[
        date | None, Query(description="first local day of the period; not with period")
    ] = None,
    end: Annotated[
        date | None, Query(description="last local day of the period, inclusive; not with period")
    ] = None,
    model: Annotated[
        AttributionModel, Query(description="attribution model that credits conversions")
    ] = "last_touch",
) -> JourneyStepMetrics:
    """Per step and per A/B branch: delivered, opened, clicked, converted, revenue, cost and ROI.

    Revenue and cost are lists with one amount per currency; ROI is null with a reason
    when there is no cost or when the currencies differ.
    """
    return journey_step_metrics(
        session, actor, journey_id, period=period, starts_on=start, ends_on=end, model=model
    )


@router.get("/journeys/{journey_id}/step-costs", response_model=list[step_costs.StepCostRead])
def journey_step_costs(journey_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> list[Any]:
    """Fixed costs entered for the journey's steps."""
    return step_costs.list_step_costs(session, actor, journey_id)


@router.put("/journeys/{journey_id}/step-costs/{step_id}", response_model=step_costs.StepCostRead)
def put_journey_step_cost(
    journey_id: uuid.UUID,
    step_id: str,
    body: step_costs.StepCostBody,
    session: SessionDep,
    actor: ActorDep,
) -> Any:
    """Set the fixed cost of one step. Costs may change while the journey runs."""
    return step_costs.set_step_cost(session, actor, journey_id, step_id, body)


@router.delete(
    "/journeys/{journey_id}/step-costs/{step_id}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_journey_step_cost(
    journey_id: uuid.UUID, step_id: str, session: SessionDep, actor: ActorDep
) -> Response:
    step_costs.delete_step_cost(session, actor, journey_id, step_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/journeys/{journey_id}/ab-tests")
def journey_ab_tests(
    journey_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[dict[str, Any]]:
    """Evaluate the journey's A/B splits; a significant, large enough test fixes its winner."""
    return measurement.ab_tests(session, actor, journey_id)


# -- sends, campaigns, attribution --------------------------------------------------------


@router.post("/messages", response_model=MessageRead, status_code=status.HTTP_201_CREATED)
def send_message(body: MessageBody, session: SessionDep, actor: ActorDep) -> Any:
    """Send one message now, through the consent gate; a blocked send is stored with its reason."""
    key = f"api:{body.idempotency_key}" if body.idempotency_key else f"api:{uuid.uuid4().hex}"
    return send_now(
        session,
        actor,
        SendRequest(
            contact_id=body.contact_id,
            channel=body.channel,
            purpose=body.purpose,
            send_key=key,
            path="api",
            subject=body.subject,
            body=body.body,
            template_id=body.template_id,
        ),
    )


@router.get("/messages/{send_id}", response_model=MessageRead)
def read_message(send_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return get_send(session, actor, send_id)


@router.post("/campaigns/{campaign_id}/send", status_code=status.HTTP_202_ACCEPTED)
def campaign_send(
    campaign_id: uuid.UUID, body: CampaignSendBody, session: SessionDep, actor: ActorDep
) -> dict[str, int]:
    """Request a message to every contact of a segment; delivery runs in the background."""
    return {"requested": send_campaign(session, actor, campaign_id, body)}


@router.get("/campaigns/{campaign_id}/metrics", response_model=measurement.CampaignMetrics)
def campaign_metrics(
    campaign_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> measurement.CampaignMetrics:
    """Delivered, opened, clicked, converted, unsubscribed, revenue influenced, cost and ROI.

    Revenue influenced has one amount per currency. ROI is in the budget's currency and
    null with ``roi_unavailable_reason`` when there is no budget or the currencies differ.
    Conversions count every won opportunity of the tenant; the caller needs ``read`` on
    ``marketing_metrics``, not on opportunities.
    """
    return measurement.campaign_metrics(session, actor, campaign_id)


@router.get("/attribution", response_model=attribution.AttributionComparison)
def attribution_comparison(
    session: SessionDep, actor: ActorDep, lookback_days: int = 365
) -> attribution.AttributionComparison:
    """Won revenue credited to campaigns by six attribution models, one row per currency."""
    return attribution.compare_models(session, actor, max(1, min(lookback_days, 3650)))


# -- public links -------------------------------------------------------------------------


def _page(
    title: str, text: str, form_action: str | None = None, button: str | None = None
) -> HTMLResponse:
    form = (
        f'<form method="post" action="{form_action}"><button type="submit">{button}</button></form>'
        if form_action
        else ""
    )
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{text}</p>{form}</body></html>"
    )
    return HTMLResponse(html)


@public_router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Show the unsubscribe button; a GET changes nothing, since mail scanners follow links."""
    bind_tenant(session, consent.token_tenant(token))
    consent.verify_token(session, token, "unsubscribe")
    locale = get_locale(request)
    return _page(
        translate("marketing.unsubscribe.title", locale),
        translate("marketing.unsubscribe.question", locale),
        str(request.url),
        translate("marketing.unsubscribe.button", locale),
    )


@public_router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058): takes effect when the request's transaction commits."""
    bind_tenant(session, consent.token_tenant(token))
    consent.withdraw_by_link(session, token)
    locale = get_locale(request)
    return _page(
        translate("marketing.unsubscribe.title", locale),
        translate("marketing.unsubscribe.done", locale),
    )


@public_router.get("/consents/confirm/{token}", response_class=HTMLResponse)
def confirm(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    """Confirm a pending grant: the double opt-in link."""
    bind_tenant(session, consent.token_tenant(token))
    consent.confirm_consent(session, token)
    locale = get_locale(request)
    return _page(
        translate("marketing.unsubscribe.title", locale),
        translate("marketing.consent.confirmed", locale),
    )


@public_router.get("/t/o/{token}")
def open_pixel(token: str, session: SessionDep) -> Response:
    bind_tenant(session, consent.token_tenant(token))
    track_open(session, token)
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@public_router.get("/t/c/{token}")
def click(token: str, session: SessionDep) -> RedirectResponse:
    """Record a click and redirect to the signed target; an altered target fails the signature."""
    bind_tenant(session, consent.token_tenant(token))
    return RedirectResponse(track_click(session, token), status_code=status.HTTP_302_FOUND)


@public_router.post("/webhooks/email-feedback/{tenant_id}", status_code=status.HTTP_204_NO_CONTENT)
async def email_feedback(
    tenant_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    x_zhike_signature: str = Header(default=""),
) -> Response:
    """Bounces and complaints from the mail provider, signed with the tenant's marketing key."""
    raw = await request.body()
    bind_tenant(session, tenant_id)
    settings = session.get(MarketingSettings, tenant_id)
    expected = (
        "sha256=" + hmac.new(bytes.fromhex(settings.signing_key), raw, hashlib.sha256).hexdigest()
        if settings is not None
        else ""
    )
    if not expected or not hmac.compare_digest(expected, x_zhike_signature):
        raise Forbidden("marketing_bad_signature")
    try:
        body = FeedbackBody.model_validate_json(raw)
    except ValidationError as error:
        raise ValidationFailed(
            [
                {
                    "field": ".".join(map(str, item["loc"])) or "body",
                    "code": item["type"],
                    "message": item["msg"],
                }
                for item in error.errors()
            ]
        ) from None
    record_feedback(session, tenant_id, body.type, body.address, body.send_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
