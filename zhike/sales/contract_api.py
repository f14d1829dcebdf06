"""Contracts, payment plans, receipts, invoices, receivables ageing and collection forecasts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from zhike.api.deps import ActorDep, SessionDep
from zhike.sales import contracts, payments
from zhike.sales.quote_schemas import (
    AgeingReport,
    CollectionForecast,
    ContractList,
    ContractRead,
    ContractWrite,
    InvoiceWrite,
    PaymentPlanWrite,
    ReceiptWrite,
)

router = APIRouter(tags=["contracts"])


@router.get("/contracts", response_model=ContractList)
def list_contracts(
    session: SessionDep,
    actor: ActorDep,
    account_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ContractList:
    return ContractList(items=contracts.list_contracts(session, actor, account_id, limit))


@router.post("/contracts", response_model=ContractRead, status_code=status.HTTP_201_CREATED)
def create_contract(body: ContractWrite, session: SessionDep, actor: ActorDep) -> ContractRead:
    """A contract without a quote; instalments, when given, must add up to the amount exactly."""
    return contracts.create_contract(session, actor, body)


@router.get("/contracts/{contract_id}", response_model=ContractRead)
def get_contract(contract_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ContractRead:
    """The contract with its plan (paid and outstanding per instalment), receipts and invoices."""
    return contracts.contract_detail(session, actor, contract_id)


@router.put("/contracts/{contract_id}/payment-plan", response_model=ContractRead)
def put_payment_plan(
    contract_id: uuid.UUID, body: PaymentPlanWrite, session: SessionDep, actor: ActorDep
) -> ContractRead:
    """Replace the plan of a contract that has no receipts yet."""
    return contracts.set_payment_plan(session, actor, contract_id, body.instalments)


@router.post("/contracts/{contract_id}/receipts", response_model=ContractRead, status_code=201)
def create_receipt(
    contract_id: uuid.UUID, body: ReceiptWrite, session: SessionDep, actor: ActorDep
) -> ContractRead:
    """Record money received; it pays the oldest due instalments first, any excess is a credit."""
    return payments.record_receipt(session, actor, contract_id, body)


@router.post("/contracts/{contract_id}/invoices", response_model=ContractRead, status_code=201)
def create_invoice(
    contract_id: uuid.UUID, body: InvoiceWrite, session: SessionDep, actor: ActorDep
) -> ContractRead:
    return contracts.issue_invoice(session, actor, contract_id, body)


@router.post("/contracts/{contract_id}/invoices/{invoice_id}/void", response_model=ContractRead)
def void_invoice(
    contract_id: uuid.UUID, invoice_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> ContractRead:
    return contracts.void_invoice(session, actor, contract_id, invoice_id)


@router.get("/receivables/ageing", response_model=AgeingReport)
def receivables_ageing(
    session: SessionDep, actor: ActorDep, as_of: date | None = None
) -> AgeingReport:
    """Outstanding amounts by days past due, per owner and per customer, one row per currency."""
    return payments.receivables_ageing(session, actor, as_of)


@router.get("/receivables/forecast", response_model=CollectionForecast)
def collection_forecast(
    session: SessionDep,
    actor: ActorDep,
    months: Annotated[int, Query(ge=1, le=24)] = 6,
    as_of: date | None = None,
) -> CollectionForecast:
    """Scheduled collections per month and the amount expected at the historical collection rate."""
    return payments.collection_forecast(session, actor, months, as_of)
