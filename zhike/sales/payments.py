"""Payment collection (回款): receipts matched to plans, ageing, forecasts and overdue reminders.

A receipt is applied to the contract's instalments oldest due first (or to a
chosen instalment first); whatever is left after every instalment is paid stays
on the receipt as ``unapplied_amount``, a credit the customer holds. Nothing is
ever rounded here: amounts arrive exact to the currency's minor unit and are
only added and subtracted.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhike.analytics.periods import check_supported_day
from zhike.core.errors import ValidationFailed
from zhike.core.timeutil import load_zone
from zhike.platform.normalize import field_error
from zhike.sales.contract_models import (
    Contract,
    PaymentInstalment,
    PaymentReceipt,
    ReceiptAllocation,
)
from zhike.sales.contracts import (
    contract_detail,
    exact_amount,
    get_contract,
    instalments_with_paid,
    local_today,
)
from zhike.sales.quote_schemas import (
    AgeingReport,
    AgeingRow,
    CollectionForecast,
    ContractRead,
    ForecastRow,
    ReceiptRead,
    ReceiptWrite,
)
from zhike.sales.quotes import quantize
from zhike.sales.scoping import audit, scoped
from zhike.security.access import require
from zhike.security.context import Actor

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
AGEING_BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


def record_receipt(
    session: Session, actor: Actor, contract_id: uuid.UUID, body: ReceiptWrite
) -> ContractRead:
    """Store a receipt in the contract's currency and apply it to the open instalments."""
    contract = get_contract(session, actor, contract_id)
    require(actor, "payments", "create")
    currency = body.currency.upper()
    if currency != contract.currency:
        raise ValidationFailed(
            [
                field_error(
                    actor,
                    "currency",
                    body.currency,
                    "receipt_currency_mismatch",
                    expected=contract.currency,
                )
            ]
        )
    amount = exact_amount(actor, "amount", body.amount, currency)
    instalments = instalments_with_paid(session, contract.id)
    if body.instalment_id is not None and body.instalment_id not in {
        row.id for row, _ in instalments
    }:
        raise ValidationFailed(
            [field_error(actor, "instalment_id", body.instalment_id, "reference_not_found")]
        )
    receipt = PaymentReceipt(
        tenant_id=actor.tenant_id,
        contract_id=contract.id,
        received_on=body.received_on,
        amount=amount,
        currency=currency,
        method=body.method,
        reference=body.reference,
        recorded_by_id=actor.user_id,
    )
    session.add(receipt)
    session.flush()
    # The chosen instalment first, then the rest by due date.
    ordered = sorted(
        instalments,
        key=lambda item: (item[0].id != body.instalment_id, item[0].due_on, item[0].sequence),
    )
    remaining = amount
    for row, paid in ordered:
        if remaining == ZERO:
            break
        open_amount = row.amount - paid
        if open_amount <= ZERO:
            continue
        applied = min(open_amount, remaining)
        session.add(
            ReceiptAllocation(
                tenant_id=actor.tenant_id,
                receipt_id=receipt.id,
                instalment_id=row.id,
                amount=applied,
            )
        )
        remaining -= applied
    receipt.unapplied_amount = remaining if instalments else ZERO
    session.flush()
    detail = contract_detail(session, actor, contract.id)
    if detail.summary.paid_in_full and contract.status == "active":
        contract.status = "completed"
        session.flush()
    audit(
        session,
        actor,
        "payments",
        receipt.id,
        "record.create",
        None,
        ReceiptRead.model_validate(receipt).model_dump(mode="json"),
    )
    logger.info(
        "receipt recorded",
        extra={"contract_id": str(contract.id), "receipt_id": str(receipt.id)},
    )
    return contract_detail(session, actor, contract.id)


def _open_instalments(
    session: Session, actor: Actor
) -> list[tuple[Contract, PaymentInstalment, Decimal]]:
    """Instalments with money still owed on live contracts the actor may read."""
    require(actor, "payments", "read")
    paid = (
        select(ReceiptAllocation.instalment_id, func.sum(ReceiptAllocation.amount).label("paid"))
        .where(ReceiptAllocation.tenant_id == actor.tenant_id)
        .group_by(ReceiptAllocation.instalment_id)
        .subquery()
    )
    statement = scoped(
        actor,
        "contracts",
        Contract,
        select(Contract, PaymentInstalment, paid.c.paid)
        .join(PaymentInstalment, PaymentInstalment.contract_id == Contract.id)
        .outerjoin(paid, paid.c.instalment_id == PaymentInstalment.id),
    ).where(Contract.status == "active", PaymentInstalment.deleted_at.is_(None))
    rows = []
    for contract, instalment, paid_cents in session.execute(statement):
        paid_amount = Decimal(paid_cents or 0)
        if paid_amount < instalment.amount:
            rows.append((contract, instalment, instalment.amount - paid_amount))
    return rows


def _bucket(due_on: date, as_of: date) -> str:
    days = (as_of - due_on).days
    if days <= 0:
        return "not_due"
    if days <= 30:
        return "days_1_30"
    if days <= 60:
        return "days_31_60"
    if days <= 90:
        return "days_61_90"
    return "days_over_90"


def _reference_day(actor: Actor, as_of: date | None) -> date:
    # The forecast counts months past ``as_of``, which must stay inside the supported dates.
    return local_today(actor) if as_of is None else check_supported_day(as_of, "as_of")


def receivables_ageing(session: Session, actor: Actor, as_of: date | None = None) -> AgeingReport:
    """Outstanding amounts by days past due, per owner and per account, never mixing currencies."""
    from zhike.customers.models import Account
    from zhike.security.models import User

    day = _reference_day(actor, as_of)
    by_owner: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    by_account: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    owners: set[uuid.UUID] = set()
    accounts: set[uuid.UUID] = set()
    for contract, instalment, open_amount in _open_instalments(session, actor):
        bucket = _bucket(instalment.due_on, day)
        owner_key = str(contract.owner_id) if contract.owner_id else "-"
        account_key = str(contract.account_id) if contract.account_id else "-"
        by_owner[(owner_key, contract.currency)][bucket] += open_amount
        by_account[(account_key, contract.currency)][bucket] += open_amount
        if contract.owner_id:
            owners.add(contract.owner_id)
        if contract.account_id:
            accounts.add(contract.account_id)
    owner_names = (
        dict(
            session.execute(
                select(User.id, User.display_name).where(
                    User.tenant_id == actor.tenant_id, User.id.in_(owners)
                )
            ).all()
        )
        if owners
        else {}
    )
    account_names = (
        dict(
            session.execute(
                select(Account.id, Account.name).where(
                    Account.tenant_id == actor.tenant_id, Account.id.in_(accounts)
                )
            ).all()
        )
        if accounts
        else {}
    )

    def rows(
        grouped: dict[tuple[str, str], dict[str, Decimal]], names: dict[uuid.UUID, str]
    ) -> list[AgeingRow]:
        result = []
        for (key, currency), buckets in grouped.items():
            values = {name: quantize(buckets.get(name, ZERO), currency) for name in AGEING_BUCKETS}
            label = names.get(uuid.UUID(key), key) if key != "-" else "-"
            result.append(
                AgeingRow(
                    key=key,
                    label=label,
                    currency=currency,
                    total=sum(values.values(), ZERO),
                    **values,
                )
            )
        return sorted(result, key=lambda row: (-row.total, row.currency, row.label))

    return AgeingReport(
        as_of=day, by_owner=rows(by_owner, owner_names), by_account=rows(by_account, account_names)
    )


def collection_rate(session: Session, actor: Actor, as_of: date) -> Decimal | None:
    """Share of the amounts that fell due before ``as_of`` and have been paid, as a fraction.

    Computed over the contracts the actor may read. None when nothing has fallen due yet.
    """
    due = paid = ZERO
    statement = scoped(
        actor,
        "contracts",
        Contract,
        select(Contract.id).where(Contract.status != "cancelled"),
    )
    for contract_id in session.scalars(statement):
        for row, paid_amount in instalments_with_paid(session, contract_id):
            if row.due_on < as_of:
                due += row.amount
                paid += min(paid_amount, row.amount)
    if due == ZERO:
        return None
    return (paid / due).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)


def collection_forecast(
    session: Session, actor: Actor, months: int = 6, as_of: date | None = None
) -> CollectionForecast:
    """Return scheduled collections by month of due date and the amount history predicts.

    ``expected`` is the scheduled amount times the collection rate (the share of
    amounts already due that was paid), rounded to the cent; overdue amounts are
    listed apart, since their timing is no longer known.
    """
    day = _reference_day(actor, as_of)
    rate = collection_rate(session, actor, day)
    factor = rate if rate is not None else Decimal(1)
    last_month = _add_months(day.replace(day=1), months)
    overdue: dict[str, Decimal] = defaultdict(Decimal)
    scheduled: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for contract, instalment, open_amount in _open_instalments(session, actor):
        if instalment.due_on < day:
            overdue[contract.currency] += open_amount
        elif instalment.due_on < last_month:
            scheduled[(instalment.due_on.strftime("%Y-%m"), contract.currency)] += open_amount

    def row(month: str, currency: str, amount: Decimal) -> ForecastRow:
        scheduled_amount = quantize(amount, currency)
        return ForecastRow(
            month=month,
            currency=currency,
            scheduled=scheduled_amount,
            expected=quantize(amount * factor, currency),
        )

    return CollectionForecast(
        as_of=day,
        overdue=[row("overdue", currency, amount) for currency, amount in sorted(overdue.items())],
        months=[
            row(month, currency, amount) for (month, currency), amount in sorted(scheduled.items())
        ],
        collection_rate=rate,
    )


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    return date(day.year + month_index // 12, month_index % 12 + 1, 1)


def notify_overdue(session: Session, tenant_id: uuid.UUID, now: datetime) -> int:
    """Remind each contract owner of instalments past due, at most once per instalment and week."""
    from zhike.sales.reminders import notify
    from zhike.security.context import system_actor
    from zhike.security.models import Tenant

    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return 0
    actor = system_actor(tenant_id, timezone=tenant.timezone)
    today = now.astimezone(load_zone(tenant.timezone)).date()
    year, week, _ = today.isocalendar()
    created = 0
    for contract, instalment, open_amount in _open_instalments(session, actor):
        if instalment.due_on >= today or contract.owner_id is None:
            continue
        if notify(
            session,
            tenant_id,
            contract.owner_id,
            "payment_overdue",
            {
                "contract": contract.number,
                "sequence": instalment.sequence,
                "amount": str(open_amount),
                "currency": contract.currency,
                "days": (today - instalment.due_on).days,
            },
            "contracts",
            contract.id,
            f"overdue:{instalment.id}:{year}-W{week:02d}",
            email=True,
            now=now,
        ):
            created += 1
    return created
