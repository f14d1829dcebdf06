"""Customer value and product suggestions for the accounts an actor may see.

Won opportunities are the purchases: the account is the customer, the close
date the day and the amount the value. Only deals the actor can read count, so
a rep's figures cover their own accounts and a director's the whole company.
Amounts in other currencies than the tenant's are left out rather than mixed,
and the result counts them.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from datetime import date
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.analytics import clv
from zhike.analytics.compile import CENT
from zhike.analytics.recommend import ItemRecommender
from zhike.core.errors import Conflict, Forbidden, NotFound
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account
from zhike.sales.models import Opportunity, PipelineStage, Product
from zhike.security.access import require, scope_select
from zhike.security.context import Actor
from zhike.security.fields import hidden_fields
from zhike.security.models import Tenant


class ModelParameters(BaseModel):
    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float] | None = Field(
        description="absent when too few customers bought twice; then each customer's own mean"
    )


class CustomerValue(BaseModel):
    account_id: uuid.UUID
    account_name: str
    segment: str = Field(description="RFM segment key, e.g. champions, at_risk, hibernating")
    recency_score: int
    frequency_score: int
    monetary_score: int
    purchases: int
    last_purchase: date
    total_spent: Decimal
    probability_alive: float
    expected_purchases: float
    expected_value_per_purchase: Decimal
    lifetime_value: Decimal = Field(description="discounted value of the next horizon_weeks")


class CustomerValueReport(BaseModel):
    currency: str
    as_of: date
    horizon_weeks: int
    customers: int
    deals_used: int
    deals_other_currency: int
    parameters: ModelParameters
    items: list[CustomerValue]


def _won_deals(session: Session, actor: Actor) -> list[Any]:
    require(actor, "opportunities", "read")
    hidden = hidden_fields(actor, "opportunities") & {"amount", "closed_on", "account_id"}
    if hidden:
        raise Forbidden("report_field_hidden", field=", ".join(sorted(hidden)))
    statement = (
        select(
            Opportunity.account_id,
            Opportunity.product_id,
            Opportunity.closed_on,
            Opportunity.amount,
            Opportunity.currency,
        )
        .join(PipelineStage, PipelineStage.id == Opportunity.stage_id)
        .where(
            PipelineStage.is_won.is_(True),
            Opportunity.account_id.is_not(None),
            Opportunity.closed_on.is_not(None),
        )
    )
    return list(session.execute(scope_select(actor, Opportunity, statement)))


def customer_value(
    session: Session,
    actor: Actor,
    *,
    horizon_weeks: int = 52,
    annual_discount_rate: float = 0.1,
    as_of: date | None = None,
    limit: int = 100,
) -> CustomerValueReport:
    """RFM segments and BG/NBD + Gamma-Gamma lifetime value per account, highest first."""
    tenant = session.get(Tenant, actor.tenant_id)
    assert tenant is not None
    deals = _won_deals(session, actor)
    as_of = as_of or utc_now().date()

    purchases = [
        clv.Purchase(str(deal.account_id), deal.closed_on, deal.amount or Decimal(0))
        for deal in deals
        if deal.currency == tenant.currency and deal.closed_on <= as_of
    ]
    other_currency = sum(1 for deal in deals if deal.currency != tenant.currency)
    summary = clv.summarize(purchases, as_of)
    try:
        bgnbd = clv.fit_bgnbd(summary)
    except ValueError as error:
        raise Conflict("customer_value_too_few", customers=len(summary.customers)) from error
    try:
        spend: clv.GammaGamma | None = clv.fit_gamma_gamma(summary)
    except ValueError:
        spend = None

    alive = bgnbd.probability_alive(summary.frequency, summary.recency, summary.age)
    expected = bgnbd.expected_purchases(
        horizon_weeks, summary.frequency, summary.recency, summary.age
    )
    per_purchase = clv.value_per_purchase(spend, summary)
    values = clv.lifetime_value(bgnbd, spend, summary, horizon_weeks, annual_discount_rate)
    recency, frequency, monetary, segments = clv.rfm_segments(summary, as_of)

    order = sorted(range(len(summary.customers)), key=lambda i: -values[i])[:limit]
    ids = [uuid.UUID(summary.customers[i]) for i in order]
    names = dict(session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all())
    items = [
        CustomerValue(
            account_id=ids[position],
            account_name=names.get(ids[position], ""),
            segment=segments[i],
            recency_score=int(recency[i]),
            frequency_score=int(frequency[i]),
            monetary_score=int(monetary[i]),
            purchases=int(summary.frequency[i]) + 1,
            last_purchase=summary.last_day[i],
            total_spent=_money(summary.total[i]),
            probability_alive=round(float(alive[i]), 4),
            expected_purchases=round(float(expected[i]), 4),
            expected_value_per_purchase=_money(per_purchase[i]),
            lifetime_value=_money(values[i]),
        )
        for position, i in enumerate(order)
    ]
    return CustomerValueReport(
        currency=tenant.currency,
        as_of=as_of,
        horizon_weeks=horizon_weeks,
        customers=len(summary.customers),
        deals_used=len(purchases),
        deals_other_currency=other_currency,
        parameters=ModelParameters(
            bgnbd={"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b},
            gamma_gamma=None if spend is None else {"p": spend.p, "q": spend.q, "v": spend.v},
        ),
        items=items,
    )


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(CENT)


class SuggestionReason(BaseModel):
    product_id: uuid.UUID
    product_name: str
    shared_buyers: int = Field(description="accounts that bought both products")
    similarity: float


class ProductSuggestion(BaseModel):
    product_id: uuid.UUID
    product_name: str
    score: float
    popular: bool = Field(description="from overall popularity: no product of the account led here")
    reasons: list[SuggestionReason]


class ProductSuggestions(BaseModel):
    account_id: uuid.UUID
    bought: list[uuid.UUID]
    items: list[ProductSuggestion]


def suggest_products(
    session: Session, actor: Actor, account_id: uuid.UUID, k: int = 3
) -> ProductSuggestions:
    """Products the account has not bought that accounts like it did, with the reasons."""
    require(actor, "accounts", "read")
    visible = session.scalar(
        scope_select(actor, Account, select(Account.id).where(Account.id == account_id))
    )
    if visible is None:
        raise NotFound("record_not_found", object="accounts", id=str(account_id))
    # NOTE: the model is fitted on every request from all won deals the actor can read:
    # about 2 s at a million deals, so large tenants will want a cached model.
    deals = [deal for deal in _won_deals(session, actor) if deal.product_id is not None]
    model = ItemRecommender(
        [deal.account_id for deal in deals], [deal.product_id for deal in deals]
    )
    bought = [deal.product_id for deal in deals if deal.account_id == account_id]
    suggestions = model.recommend(bought, k) if model.products else []
    named = {s.product for s in suggestions} | {r.product for s in suggestions for r in s.reasons}
    names: dict[Hashable, str] = dict(
        session.execute(select(Product.id, Product.name).where(Product.id.in_(named))).all()
    )
    return ProductSuggestions(
        account_id=account_id,
        bought=sorted(set(bought), key=str),
        items=[
            ProductSuggestion(
                product_id=cast(uuid.UUID, suggestion.product),
                product_name=names.get(suggestion.product, ""),
                score=suggestion.score,
                popular=suggestion.popular,
                reasons=[
                    SuggestionReason(
                        product_id=cast(uuid.UUID, reason.product),
                        product_name=names.get(reason.product, ""),
                        shared_buyers=reason.shared_buyers,
                        similarity=reason.similarity,
                    )
                    for reason in suggestion.reasons
                ],
            )
            for suggestion in suggestions
        ],
    )
