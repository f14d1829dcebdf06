"""Contracts with their payment plan and invoices.

All amounts of a contract are Decimal in the contract's currency, rounded to
that currency's minor unit, so sums compare exactly: a plan must add up to the
contract amount to the cent, and a contract is paid in full when the receipts
applied to its plan equal its amount.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.core.errors import Conflict, ValidationFailed
from zhike.core.ids import new_id
from zhike.core.money import CURRENCY_EXPONENTS
from zhike.core.timeutil import load_zone, utc_now
from zhike.platform.normalize import field_error
from zhike.sales.contract_models import (
    Contract,
    Invoice,
    PaymentInstalment,
    PaymentReceipt,
    ReceiptAllocation,
)
from zhike.sales.quote_schemas import (
    ContractListItem,
    ContractRead,
    ContractSummary,
    ContractWrite,
    InstalmentRead,
    InstalmentWrite,
    InvoiceRead,
    InvoiceWrite,
    ReceiptRead,
)
from zhike.sales.quotes import _readable, quantize
from zhike.sales.scoping import audit, get_scoped, scoped
from zhike.security.access import require
from zhike.security.context import Actor


def local_today(actor: Actor) -> date:
    return utc_now().astimezone(load_zone(actor.timezone)).date()


def exact_amount(actor: Actor, field: str, amount: Decimal, currency: str) -> Decimal:
    """Reject an amount with more decimals than the currency has (JPY 100.5), never round it."""
    rounded = quantize(amount, currency)
    if rounded != amount:
        raise ValidationFailed(
            [
                field_error(
                    actor,
                    field,
                    str(amount),
                    "amount_precision",
                    currency=currency,
                    digits=CURRENCY_EXPONENTS.get(currency, 2),
                )
            ]
        )
    return rounded


def _check_plan(
    actor: Actor, instalments: list[InstalmentWrite], amount: Decimal, currency: str
) -> list[tuple[InstalmentWrite, Decimal]]:
    checked = [
        (item, exact_amount(actor, f"instalments.{index}.amount", item.amount, currency))
        for index, item in enumerate(instalments)
    ]
    total = sum((value for _, value in checked), Decimal(0))
    if checked and total != amount:
        raise ValidationFailed(
            [
                field_error(
                    actor,
                    "instalments",
                    str(total),
                    "plan_total_mismatch",
                    amount=str(amount),
                    difference=str(amount - total),
                )
            ]
        )
    return checked


def _write_plan(
    session: Session,
    actor: Actor,
    contract: Contract,
    checked: list[tuple[InstalmentWrite, Decimal]],
) -> None:
    ordered = sorted(checked, key=lambda item: item[0].due_on)
    for sequence, (item, value) in enumerate(ordered, start=1):
        session.add(
            PaymentInstalment(
                tenant_id=actor.tenant_id,
                contract_id=contract.id,
                sequence=sequence,
                due_on=item.due_on,
                amount=value,
                note=item.note,
            )
        )
    session.flush()


def create_contract_record(
    session: Session,
    actor: Actor,
    *,
    number: str | None,
    title: str,
    quote_id: uuid.UUID | None,
    opportunity_id: uuid.UUID | None,
    account_id: uuid.UUID | None,
    currency: str,
    amount: Decimal,
    signed_on: date,
    starts_on: date | None,
    ends_on: date | None,
    instalments: list[InstalmentWrite],
    owner_id: uuid.UUID | None,
) -> Contract:
    require(actor, "contracts", "create")
    currency = currency.upper()
    if currency not in CURRENCY_EXPONENTS:
        raise ValidationFailed([field_error(actor, "currency", currency, "invalid_currency")])
    amount = exact_amount(actor, "amount", amount, currency)
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValidationFailed([field_error(actor, "ends_on", str(ends_on), "end_before_start")])
    checked = _check_plan(actor, instalments, amount, currency)
    number = number or f"C{signed_on:%Y%m%d}-{new_id().hex[-6:].upper()}"
    clash = session.scalar(
        select(Contract.id).where(Contract.tenant_id == actor.tenant_id, Contract.number == number)
    )
    if clash is not None:
        raise Conflict("contract_number_exists", number=number)
    contract = Contract(
        tenant_id=actor.tenant_id,
        number=number,
        title=title,
        quote_id=quote_id,
        opportunity_id=opportunity_id,
        account_id=account_id,
        currency=currency,
        amount=amount,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        status="active",
        owner_id=owner_id or actor.user_id,
    )
    session.add(contract)
    session.flush()
    _write_plan(session, actor, contract, checked)
    audit(
        session,
        actor,
        "contracts",
        contract.id,
        "record.create",
        None,
        _snapshot(session, contract),
    )
    return contract


def create_contract(session: Session, actor: Actor, body: ContractWrite) -> ContractRead:
    errors = [
        field_error(actor, field, getattr(body, field), "reference_not_found")
        for field, object_name in (("opportunity_id", "opportunities"), ("account_id", "accounts"))
        if getattr(body, field) is not None
        and _readable(session, actor, object_name, getattr(body, field)) is None
    ]
    if errors:
        raise ValidationFailed(errors)
    contract = create_contract_record(
        session,
        actor,
        number=body.number,
        title=body.title,
        quote_id=None,
        opportunity_id=body.opportunity_id,
        account_id=body.account_id,
        currency=body.currency,
        amount=body.amount,
        signed_on=body.signed_on,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        instalments=body.instalments,
        owner_id=None,
    )
    return present_contract(session, contract, local_today(actor))


def get_contract(
    session: Session, actor: Actor, contract_id: uuid.UUID, action: str = "read"
) -> Contract:
    contract: Contract = get_scoped(session, actor, "contracts", Contract, contract_id, action)
    return contract


def list_contracts(
    session: Session, actor: Actor, account_id: uuid.UUID | None = None, limit: int = 100
) -> list[ContractListItem]:
    statement = scoped(actor, "contracts", Contract, select(Contract))
    if account_id is not None:
        statement = statement.where(Contract.account_id == account_id)
    statement = statement.order_by(Contract.signed_on.desc(), Contract.id.desc())
    return [
        ContractListItem.model_validate(contract)
        for contract in session.scalars(statement.limit(max(1, min(limit, 500))))
    ]


def instalments_with_paid(
    session: Session, contract_id: uuid.UUID
) -> list[tuple[PaymentInstalment, Decimal]]:
    paid = dict(
        session.execute(
            select(ReceiptAllocation.instalment_id, func.sum(ReceiptAllocation.amount))
            .join(PaymentInstalment, PaymentInstalment.id == ReceiptAllocation.instalment_id)
            .where(PaymentInstalment.contract_id == contract_id)
            .group_by(ReceiptAllocation.instalment_id)
        ).all()
    )
    rows = session.scalars(
        select(PaymentInstalment)
        .where(PaymentInstalment.contract_id == contract_id, PaymentInstalment.deleted_at.is_(None))
        .order_by(PaymentInstalment.sequence)
    )
    # SQLite sums the stored cents as integers; Decimal() keeps both backends exact.
    return [(row, Decimal(paid.get(row.id) or 0)) for row in rows]


def instalment_status(due_on: date, amount: Decimal, paid: Decimal, today: date) -> str:
    if paid >= amount:
        return "paid"
    if due_on < today:
        return "overdue"
    return "partial" if paid > 0 else "open"


def present_contract(session: Session, contract: Contract, today: date) -> ContractRead:
    instalments = instalments_with_paid(session, contract.id)
    receipts = list(
        session.scalars(
            select(PaymentReceipt)
            .where(PaymentReceipt.contract_id == contract.id, PaymentReceipt.deleted_at.is_(None))
            .order_by(PaymentReceipt.received_on, PaymentReceipt.id)
        )
    )
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.contract_id == contract.id, Invoice.deleted_at.is_(None))
            .order_by(Invoice.issued_on, Invoice.id)
        )
    )
    zero = quantize(Decimal(0), contract.currency)
    planned = sum((row.amount for row, _ in instalments), zero)
    applied = sum((paid for _, paid in instalments), zero)
    received = sum((receipt.amount for receipt in receipts), zero)
    credit = sum((receipt.unapplied_amount for receipt in receipts), zero)
    overdue = sum(
        (
            row.amount - paid
            for row, paid in instalments
            if row.due_on < today and paid < row.amount
        ),
        zero,
    )
    # Without a plan, receipts are credited to the contract as a whole.
    outstanding = contract.amount - (applied if instalments else received)
    outstanding = max(outstanding, zero)
    summary = ContractSummary(
        amount=contract.amount,
        planned=planned,
        received=received,
        applied=applied,
        credit=credit,
        outstanding=outstanding,
        overdue=overdue,
        invoiced=sum((invoice.amount for invoice in invoices if not invoice.is_void), zero),
        paid_in_full=outstanding == zero,
    )
    read = ContractRead(
        id=contract.id,
        number=contract.number,
        title=contract.title,
        version=contract.version,
        owner_id=contract.owner_id,
        quote_id=contract.quote_id,
        opportunity_id=contract.opportunity_id,
        account_id=contract.account_id,
        currency=contract.currency,
        amount=contract.amount,
        signed_on=contract.signed_on,
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        status=contract.status,
        created_at=contract.created_at,
        summary=summary,
        instalments=[
            InstalmentRead(
                id=row.id,
                sequence=row.sequence,
                due_on=row.due_on,
                amount=row.amount,
                paid=paid,
                outstanding=row.amount - paid if paid < row.amount else zero,
                status=instalment_status(row.due_on, row.amount, paid, today),
                note=row.note,
            )
            for row, paid in instalments
        ],
        receipts=[ReceiptRead.model_validate(receipt) for receipt in receipts],
        invoices=[InvoiceRead.model_validate(invoice) for invoice in invoices],
    )
    return _in_minor_units(read, contract.currency)


def _in_minor_units(read: ContractRead, currency: str) -> ContractRead:
    """Show every amount with the currency's decimals, the same on SQLite and PostgreSQL."""

    def fix(model: Any) -> None:
        for name, value in model:
            if isinstance(value, Decimal) and name != "tax_percent":
                setattr(model, name, quantize(value, currency))

    fix(read)
    fix(read.summary)
    for item in (*read.instalments, *read.receipts, *read.invoices):
        fix(item)
    return read


def _snapshot(session: Session, contract: Contract) -> dict[str, Any]:
    data = present_contract(session, contract, utc_now().date()).model_dump(mode="json")
    data.pop("summary", None)
    return data


def contract_detail(session: Session, actor: Actor, contract_id: uuid.UUID) -> ContractRead:
    return present_contract(session, get_contract(session, actor, contract_id), local_today(actor))


def set_payment_plan(
    session: Session, actor: Actor, contract_id: uuid.UUID, instalments: list[InstalmentWrite]
) -> ContractRead:
    """Replace the plan of a contract that has no receipts yet; it must add up to the amount."""
    contract = get_contract(session, actor, contract_id, "update")
    require(actor, "payments", "update")
    has_receipts = session.scalar(
        select(func.count())
        .select_from(PaymentReceipt)
        .where(PaymentReceipt.contract_id == contract.id, PaymentReceipt.deleted_at.is_(None))
    )
    if has_receipts:
        raise Conflict("payment_plan_has_receipts", number=contract.number)
    checked = _check_plan(actor, instalments, contract.amount, contract.currency)
    before = _snapshot(session, contract)
    for row in session.scalars(
        select(PaymentInstalment).where(PaymentInstalment.contract_id == contract.id)
    ):
        session.delete(row)
    session.flush()
    _write_plan(session, actor, contract, checked)
    audit(
        session,
        actor,
        "contracts",
        contract.id,
        "record.update",
        before,
        _snapshot(session, contract),
    )
    return present_contract(session, contract, local_today(actor))


def issue_invoice(
    session: Session, actor: Actor, contract_id: uuid.UUID, body: InvoiceWrite
) -> ContractRead:
    """Record an invoice; invoices of a contract never add up to more than its amount."""
    contract = get_contract(session, actor, contract_id)
    require(actor, "payments", "create")
    amount = exact_amount(actor, "amount", body.amount, contract.currency)
    invoiced = Decimal(
        session.scalar(
            select(func.coalesce(func.sum(Invoice.amount), 0)).where(
                Invoice.contract_id == contract.id,
                Invoice.is_void.is_(False),
                Invoice.deleted_at.is_(None),
            )
        )
        or 0
    )
    if invoiced + amount > contract.amount:
        raise Conflict(
            "invoice_exceeds_contract",
            amount=str(amount),
            remaining=str(contract.amount - invoiced),
            currency=contract.currency,
        )
    clash = session.scalar(
        select(Invoice.id).where(
            Invoice.tenant_id == actor.tenant_id, Invoice.number == body.number
        )
    )
    if clash is not None:
        raise Conflict("invoice_number_exists", number=body.number)
    invoice = Invoice(
        tenant_id=actor.tenant_id,
        contract_id=contract.id,
        number=body.number,
        kind=body.kind,
        issued_on=body.issued_on,
        amount=amount,
        tax_percent=body.tax_percent,
    )
    session.add(invoice)
    session.flush()
    audit(
        session,
        actor,
        "payments",
        invoice.id,
        "record.create",
        None,
        InvoiceRead.model_validate(invoice).model_dump(mode="json"),
    )
    return present_contract(session, contract, local_today(actor))


def void_invoice(
    session: Session, actor: Actor, contract_id: uuid.UUID, invoice_id: uuid.UUID
) -> ContractRead:
    contract = get_contract(session, actor, contract_id)
    require(actor, "payments", "update")
    invoice = session.scalar(
        select(Invoice).where(
            Invoice.id == invoice_id,
            Invoice.contract_id == contract.id,
            Invoice.tenant_id == actor.tenant_id,
            Invoice.deleted_at.is_(None),
        )
    )
    if invoice is None:
        from zhike.core.errors import NotFound

        raise NotFound("record_not_found", object="invoices", id=str(invoice_id))
    before = InvoiceRead.model_validate(invoice).model_dump(mode="json")
    invoice.is_void = True
    session.flush()
    audit(
        session,
        actor,
        "payments",
        invoice.id,
        "record.update",
        before,
        InvoiceRead.model_validate(invoice).model_dump(mode="json"),
    )
    return present_contract(session, contract, local_today(actor))
