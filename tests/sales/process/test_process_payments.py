"""Contracts and payment collection: exact plans, partial and over-payments, currencies, ageing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.sales.reminders import scan_reminders


def _contract(
    client: TestClient, amount: str, currency: str = "CNY", **extra: Any
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/contracts",
        json={
            "title": "年度服务合同",
            "amount": amount,
            "currency": currency,
            "signed_on": "2026-01-05",
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _receive(
    client: TestClient, contract_id: str, amount: str, currency: str = "CNY", **extra: Any
) -> Any:
    return client.post(
        f"/api/v1/contracts/{contract_id}/receipts",
        json={"received_on": "2026-03-01", "amount": amount, "currency": currency, **extra},
    )


THIRDS = [
    {"due_on": "2026-02-01", "amount": "3333.33"},
    {"due_on": "2026-05-01", "amount": "3333.33"},
    {"due_on": "2026-08-01", "amount": "3333.34"},
]


def test_plan_must_match_amount_exactly(client: TestClient) -> None:
    response = client.post(
        "/api/v1/contracts",
        json={
            "title": "合同",
            "amount": "10000.00",
            "signed_on": "2026-01-05",
            "instalments": [*THIRDS[:2], {"due_on": "2026-08-01", "amount": "3333.33"}],
        },
    )

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("instalments", "plan_total_mismatch")
    assert error["message"] == (
        "回款计划合计 9999.99，与合同金额 10000.00 不符（差额 0.01），请调整至完全一致。"
    )
    assert client.get("/api/v1/contracts").json()["items"] == []


def test_partial_then_over_payment_is_exact(client: TestClient) -> None:
    contract = _contract(client, "10000.00", instalments=THIRDS)
    path = contract["id"]

    first = _receive(client, path, "3000.00").json()
    second = _receive(client, path, "3666.66").json()
    third = _receive(client, path, "4000.00", reference="BANK-778").json()

    assert [item["paid"] for item in first["instalments"]] == ["3000.00", "0.00", "0.00"]
    assert [item["outstanding"] for item in first["instalments"]] == [
        "333.33",
        "3333.33",
        "3333.34",
    ]
    assert [item["paid"] for item in second["instalments"]][:2] == ["3333.33", "3333.33"]
    assert second["summary"]["outstanding"] == "3333.34"
    assert second["summary"]["paid_in_full"] is False
    summary = third["summary"]
    assert summary["received"] == "10666.66"
    assert summary["applied"] == "10000.00"
    assert summary["credit"] == "666.66"
    assert summary["outstanding"] == "0.00"
    assert summary["paid_in_full"] is True
    assert third["status"] == "completed"
    assert [receipt["unapplied_amount"] for receipt in third["receipts"]] == [
        "0.00",
        "0.00",
        "666.66",
    ]
    assert [item["status"] for item in third["instalments"]] == ["paid", "paid", "paid"]


def test_cents_add_up_without_float_error(client: TestClient) -> None:
    contract = _contract(
        client,
        "0.30",
        instalments=[
            {"due_on": "2026-02-01", "amount": "0.10"},
            {"due_on": "2026-03-01", "amount": "0.20"},
        ],
    )

    _receive(client, contract["id"], "0.10")
    done = _receive(client, contract["id"], "0.20").json()

    assert done["summary"]["paid_in_full"] is True
    assert done["summary"]["outstanding"] == "0.00"
    assert done["summary"]["credit"] == "0.00"


def test_chosen_instalment_paid_first(client: TestClient) -> None:
    contract = _contract(client, "10000.00", instalments=THIRDS)
    last = contract["instalments"][2]["id"]

    paid = _receive(client, contract["id"], "3333.34", instalment_id=last).json()

    assert [item["paid"] for item in paid["instalments"]] == ["0.00", "0.00", "3333.34"]
    assert paid["instalments"][2]["status"] == "paid"


def test_currencies_kept_apart_and_exact(client: TestClient) -> None:
    yen = _contract(
        client,
        "1000000",
        currency="JPY",
        instalments=[
            {"due_on": "2026-02-01", "amount": "400000"},
            {"due_on": "2026-04-01", "amount": "600000"},
        ],
    )
    usd = _contract(client, "1234.56", currency="USD")

    fractional_yen = _receive(client, yen["id"], "100.5", currency="JPY")
    wrong_currency = _receive(client, yen["id"], "100", currency="USD")
    paid_yen = _receive(client, yen["id"], "1000000", currency="JPY").json()
    paid_usd = _receive(client, usd["id"], "1234.56", currency="USD").json()
    ageing = client.get("/api/v1/receivables/ageing", params={"as_of": "2026-03-01"}).json()

    assert fractional_yen.status_code == 422
    assert fractional_yen.json()["errors"][0]["code"] == "amount_precision"
    assert wrong_currency.status_code == 422
    assert wrong_currency.json()["errors"][0]["message"] == (
        "回款币种为 USD，而合同币种为 JPY；请按 JPY 登记。"
    )
    assert paid_yen["summary"]["paid_in_full"] is True
    assert paid_yen["summary"]["received"] == "1000000"
    assert [item["amount"] for item in paid_yen["instalments"]] == ["400000", "600000"]
    assert paid_usd["summary"]["paid_in_full"] is True
    assert ageing["by_owner"] == []


def test_invoices_capped_by_contract(client: TestClient) -> None:
    contract = _contract(client, "1000.00")
    path = f"/api/v1/contracts/{contract['id']}/invoices"

    first = client.post(
        path,
        json={
            "number": "FP-001",
            "issued_on": "2026-02-01",
            "amount": "600.00",
            "tax_percent": "13",
        },
    )
    too_much = client.post(
        path, json={"number": "FP-002", "issued_on": "2026-02-02", "amount": "400.01"}
    )
    voided = client.post(f"{path}/{first.json()['invoices'][0]['id']}/void")
    reissued = client.post(
        path, json={"number": "FP-003", "issued_on": "2026-02-03", "amount": "1000.00"}
    )

    assert first.status_code == 201, first.text
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "invoice_exceeds_contract"
    assert voided.json()["summary"]["invoiced"] == "0.00"
    assert reissued.json()["summary"]["invoiced"] == "1000.00"


def test_ageing_and_forecast(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]]
) -> None:
    account = client.post("/api/v1/accounts", json={"name": "宁波港务集团"}).json()
    contract = _contract(
        client,
        "10000.00",
        account_id=account["id"],
        instalments=[
            {"due_on": "2026-01-20", "amount": "1000.00"},
            {"due_on": "2026-02-20", "amount": "2000.00"},
            {"due_on": "2026-04-10", "amount": "3000.00"},
            {"due_on": "2026-05-15", "amount": "4000.00"},
        ],
    )
    _receive(client, contract["id"], "1500.00")

    ageing = client.get("/api/v1/receivables/ageing", params={"as_of": "2026-04-20"}).json()
    forecast = client.get(
        "/api/v1/receivables/forecast", params={"as_of": "2026-04-20", "months": 3}
    ).json()

    owner = ageing["by_owner"][0]
    assert (owner["currency"], owner["total"]) == ("CNY", "8500.00")
    assert owner["not_due"] == "4000.00"
    assert owner["days_1_30"] == "3000.00"
    assert owner["days_31_60"] == "1500.00"
    assert owner["days_61_90"] == "0.00"
    assert ageing["by_account"][0]["label"] == "宁波港务集团"
    # 1500 of the 6000 that fell due before 20 April was paid: a rate of 0.25.
    assert forecast["collection_rate"] == "0.2500"
    assert forecast["overdue"] == [
        {"month": "overdue", "currency": "CNY", "scheduled": "4500.00", "expected": "1125.00"}
    ]
    assert forecast["months"] == [
        {"month": "2026-05", "currency": "CNY", "scheduled": "4000.00", "expected": "1000.00"}
    ]


def test_overdue_reminder_once_per_week(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    contract = _contract(
        client, "500.00", instalments=[{"due_on": "2026-01-10", "amount": "500.00"}]
    )
    now = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)

    with database.session() as session:
        first = scan_reminders(session, tenant.tenant.id, now)
    with database.session() as session:
        again = scan_reminders(session, tenant.tenant.id, now)

    assert first["overdue_payments"] == 1
    assert again["overdue_payments"] == 0
    notices = client.get("/api/v1/notifications").json()["items"]
    overdue = [notice for notice in notices if notice["kind"] == "payment_overdue"]
    assert [notice["message"] for notice in overdue] == [
        f"合同 {contract['number']} 第 1 期回款 500.00 CNY 已逾期 10 天。"
    ]


def test_rep_reads_own_contract_only(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]]
) -> None:
    rep, _ = make_user("sales_rep", "孙销售")
    other, _ = make_user("sales_rep", "周销售")
    contract = _contract(rep, "100.00")

    receipt = _receive(rep, contract["id"], "100.00")
    other_read = other.get(f"/api/v1/contracts/{contract['id']}")
    booked = _receive(client, contract["id"], "100.00")

    assert receipt.status_code == 403
    assert other_read.status_code == 404
    assert booked.status_code == 201
    assert rep.get(f"/api/v1/contracts/{contract['id']}").json()["summary"]["paid_in_full"] is True
    assert date.fromisoformat(contract["signed_on"]) == date(2026, 1, 5)
