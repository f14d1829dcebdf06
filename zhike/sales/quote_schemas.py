"""API bodies for price books, quotes, contracts and payment collection."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhike.platform.schemas import CurrencyCode

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Number = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-/]{0,39}$")
]
PositiveAmount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
DiscountPercent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
TaxPercent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class PriceBookWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Title
    currency: CurrencyCode = "CNY"
    is_default: bool = False
    is_active: bool = True
    approval_threshold_percent: DiscountPercent = Field(
        default=Decimal("10.00"),
        description="a quote discounted by more than this percentage needs approval",
    )


class PriceBookEntryWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: uuid.UUID
    unit_price: Amount


class PriceBookEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: uuid.UUID
    unit_price: Decimal


class PriceBookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    currency: str
    is_default: bool
    is_active: bool
    approval_threshold_percent: Decimal
    version: int
    entries: list[PriceBookEntryRead] = Field(default_factory=list)


class PriceBookList(BaseModel):
    items: list[PriceBookRead]


class QuoteLineWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: uuid.UUID | None = None
    name: Title | None = Field(default=None, description="the product's name when empty")
    description: Text | None = None
    quantity: Quantity
    unit_price: Amount | None = Field(
        default=None, description="the price book's price of the product when empty"
    )
    discount_percent: DiscountPercent = Decimal("0")


class QuoteWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    opportunity_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    price_book_id: uuid.UUID | None = Field(
        default=None, description="the tenant's default price book when empty"
    )
    currency: CurrencyCode | None = Field(
        default=None, description="the price book's currency when empty"
    )
    valid_until: date | None = None
    discount_percent: DiscountPercent = Decimal("0")
    tax_percent: TaxPercent = Decimal("0")
    terms: Text | None = None
    requested_at: datetime | None = Field(
        default=None, description="when the customer asked for this quote"
    )
    lines: list[QuoteLineWrite] = Field(min_length=1, max_length=200)


class QuoteLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int
    product_id: uuid.UUID | None
    name: str
    description: str | None
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    amount: Decimal


class QuoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    version_number: int
    version: int
    title: str
    owner_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    price_book_id: uuid.UUID | None
    currency: str
    status: str
    valid_until: date | None
    discount_percent: Decimal
    tax_percent: Decimal
    list_total: Decimal
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total: Decimal
    effective_discount_percent: Decimal
    requires_approval: bool
    terms: str | None
    requested_at: datetime | None
    sent_at: datetime | None
    accepted_at: datetime | None
    created_at: datetime
    lines: list[QuoteLineRead] = Field(default_factory=list)
    contract_id: uuid.UUID | None = None


class QuoteList(BaseModel):
    items: list[QuoteRead]


class InstalmentWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_on: date
    amount: PositiveAmount
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class QuoteAcceptance(BaseModel):
    """Terms of the contract that an accepted quote becomes."""

    model_config = ConfigDict(extra="forbid")

    contract_number: Number | None = Field(default=None, description="generated when empty")
    signed_on: date
    starts_on: date | None = None
    ends_on: date | None = None
    instalments: list[InstalmentWrite] = Field(default_factory=list, max_length=120)


class ContractWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Number | None = Field(default=None, description="generated when empty")
    title: Title
    opportunity_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    currency: CurrencyCode = "CNY"
    amount: PositiveAmount
    signed_on: date
    starts_on: date | None = None
    ends_on: date | None = None
    instalments: list[InstalmentWrite] = Field(default_factory=list, max_length=120)


class PaymentPlanWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instalments: list[InstalmentWrite] = Field(min_length=1, max_length=120)


class ReceiptWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    received_on: date
    amount: PositiveAmount
    currency: CurrencyCode
    method: Literal["bank_transfer", "acceptance_bill", "cash", "alipay", "wechat_pay", "other"] = (
        "bank_transfer"
    )
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = (
        None
    )
    instalment_id: uuid.UUID | None = Field(
        default=None, description="apply to this instalment first; the oldest due ones otherwise"
    )


class InvoiceWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Number
    kind: Literal["vat_special", "vat_normal", "other"] = "vat_special"
    issued_on: date
    amount: PositiveAmount
    tax_percent: TaxPercent = Decimal("0")


class InstalmentRead(BaseModel):
    id: uuid.UUID
    sequence: int
    due_on: date
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str
    note: str | None


class ReceiptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    received_on: date
    amount: Decimal
    currency: str
    method: str
    reference: str | None
    unapplied_amount: Decimal
    created_at: datetime


class InvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    kind: str
    issued_on: date
    amount: Decimal
    tax_percent: Decimal
    is_void: bool


class ContractSummary(BaseModel):
    amount: Decimal
    planned: Decimal
    received: Decimal
    applied: Decimal
    credit: Decimal
    outstanding: Decimal
    overdue: Decimal
    invoiced: Decimal
    paid_in_full: bool


class ContractRead(BaseModel):
    id: uuid.UUID
    number: str
    title: str
    version: int
    owner_id: uuid.UUID | None
    quote_id: uuid.UUID | None
    opportunity_id: uuid.UUID | None
    account_id: uuid.UUID | None
    currency: str
    amount: Decimal
    signed_on: date
    starts_on: date | None
    ends_on: date | None
    status: str
    created_at: datetime
    summary: ContractSummary
    instalments: list[InstalmentRead]
    receipts: list[ReceiptRead]
    invoices: list[InvoiceRead]


class ContractListItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    title: str
    owner_id: uuid.UUID | None
    account_id: uuid.UUID | None
    currency: str
    amount: Decimal
    signed_on: date
    status: str


class ContractList(BaseModel):
    items: list[ContractListItem]


class AgeingRow(BaseModel):
    """Outstanding amounts of one owner or account in one currency, by days past due."""

    key: str
    label: str
    currency: str
    not_due: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_over_90: Decimal
    total: Decimal


class AgeingReport(BaseModel):
    as_of: date
    by_owner: list[AgeingRow]
    by_account: list[AgeingRow]


class ForecastRow(BaseModel):
    month: str
    currency: str
    scheduled: Decimal
    expected: Decimal


class CollectionForecast(BaseModel):
    as_of: date
    overdue: list[ForecastRow]
    months: list[ForecastRow]
    collection_rate: Decimal | None
