"""Price books, quote totals, discount approval, versions, the PDF and conversion to a contract."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader


def _product(client: TestClient, name: str, series: str = "ERP") -> str:
    response = client.post("/api/v1/products", json={"name": name, "series": series})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _book(
    client: TestClient, name: str, currency: str, prices: dict[str, str], threshold: str = "10"
) -> dict[str, Any]:
    created = client.post(
        "/api/v1/price-books",
        json={
            "name": name,
            "currency": currency,
            "is_default": currency == "CNY",
            "approval_threshold_percent": threshold,
        },
    )
    assert created.status_code == 201, created.text
    entries = [{"product_id": product, "unit_price": price} for product, price in prices.items()]
    filled = client.put(f"/api/v1/price-books/{created.json()['id']}/entries", json=entries)
    assert filled.status_code == 200, filled.text
    return dict(filled.json())


def _quote(client: TestClient, lines: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/quotes", json={"title": "ERP 实施报价", "lines": lines, **header}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_totals_exact_from_price_book(client: TestClient) -> None:
    erp = _product(client, "知客 ERP 许可")
    service = _product(client, "实施服务")
    _book(client, "标准价 CNY", "CNY", {erp: "1999.99", service: "800.00"})

    quote = _quote(
        client,
        [
            {"product_id": erp, "quantity": "3"},
            {"product_id": service, "quantity": "2.5", "discount_percent": "10"},
        ],
        discount_percent="2",
        tax_percent="13",
    )

    assert quote["currency"] == "CNY"
    assert [line["amount"] for line in quote["lines"]] == ["5999.97", "1800.00"]
    assert quote["list_total"] == "7999.97"
    assert quote["subtotal"] == "7799.97"
    assert quote["discount_amount"] == "156.00"
    assert quote["tax_amount"] == "993.72"
    assert quote["total"] == "8637.69"
    assert quote["effective_discount_percent"] == "4.45"
    assert quote["requires_approval"] is False
    assert quote["status"] == "draft"
    assert quote["version_number"] == 1


def test_usd_book_and_currency_mismatch(client: TestClient) -> None:
    erp = _product(client, "ERP Licence")
    book = _book(client, "List USD", "USD", {erp: "300.00"})

    quote = _quote(client, [{"product_id": erp, "quantity": "2"}], price_book_id=book["id"])
    mismatch = client.post(
        "/api/v1/quotes",
        json={
            "title": "Mixed",
            "price_book_id": book["id"],
            "currency": "CNY",
            "lines": [{"product_id": erp, "quantity": "1"}],
        },
    )
    no_price = client.post(
        "/api/v1/quotes",
        json={"title": "No price", "lines": [{"name": "Custom work", "quantity": "1"}]},
    )

    assert (quote["currency"], quote["total"]) == ("USD", "600.00")
    assert mismatch.status_code == 422
    assert [error["code"] for error in mismatch.json()["errors"]] == ["quote_currency_mismatch"]
    assert no_price.status_code == 422
    assert [error["field"] for error in no_price.json()["errors"]] == ["lines.0.unit_price"]


def test_discount_over_threshold_needs_approval(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]], team_id: str
) -> None:
    erp = _product(client, "ERP")
    _book(client, "标准价", "CNY", {erp: "10000.00"}, threshold="15")
    manager, manager_id = make_user("sales_manager", "赵经理", team_id=team_id)
    rep, _ = make_user("sales_rep", "钱销售", manager_id=manager_id, team_id=team_id)
    quote = _quote(rep, [{"product_id": erp, "quantity": "1", "discount_percent": "20"}])
    path = f"/api/v1/quotes/{quote['id']}"

    submitted = rep.post(f"{path}/submit")
    early_send = rep.post(f"{path}/send")
    edit = rep.put(path, json={"title": "改", "lines": [{"product_id": erp, "quantity": "1"}]})
    pending = manager.get("/api/v1/approvals", params={"status": "pending"}).json()["items"]
    decided = manager.post(f"/api/v1/approvals/{pending[0]['id']}/decision", json={"approve": True})
    sent = rep.post(f"{path}/send")

    assert quote["requires_approval"] is True
    assert submitted.json()["status"] == "pending_approval"
    assert early_send.status_code == 409
    assert early_send.json()["code"] == "quote_not_approved"
    assert edit.status_code == 409
    assert edit.json()["code"] == "quote_not_editable"
    assert [(item["kind"], item["target"]) for item in pending] == [
        ("quote_discount", f"{quote['number']}#v1")
    ]
    # The approval names the quote, the requester, the total and the discount.
    assert pending[0]["subject_name"] == f"{quote['number']} {quote['title']}"
    assert pending[0]["requested_by_name"] == "钱销售"
    assert (pending[0]["amount"], pending[0]["currency"]) == (quote["total"], "CNY")
    assert pending[0]["discount_percent"] == "20.00"
    assert decided.status_code == 200, decided.text
    assert decided.json()["decided_by_name"] == "赵经理"
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"


def test_lower_typed_price_counts_as_discount(client: TestClient) -> None:
    licence = _product(client, "ERP 许可")
    service = _product(client, "实施服务")
    _book(client, "标准价", "CNY", {licence: "380000.00", service: "20000.00"})

    quote = _quote(
        client,
        [
            {"product_id": licence, "quantity": "1", "unit_price": "350000.00"},
            {"product_id": service, "quantity": "1"},
            {"name": "定制开发", "quantity": "1", "unit_price": "5000.00"},
        ],
    )

    # 380,000 + 20,000 at book prices and the custom line at its own price.
    assert quote["list_total"] == "405000.00"
    assert quote["subtotal"] == "375000.00"
    assert quote["effective_discount_percent"] == "7.41"
    assert quote["requires_approval"] is False
    repriced = _quote(client, [{"product_id": licence, "quantity": "1", "unit_price": "330000.00"}])
    assert repriced["effective_discount_percent"] == "13.16"
    assert repriced["requires_approval"] is True


def test_rejected_discount_returns_to_draft(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]]
) -> None:
    erp = _product(client, "ERP")
    _book(client, "标准价", "CNY", {erp: "100.00"})
    rep, _ = make_user("sales_rep")
    quote = _quote(rep, [{"product_id": erp, "quantity": "1"}], discount_percent="30")
    rep.post(f"/api/v1/quotes/{quote['id']}/submit")
    request = client.get("/api/v1/approvals", params={"status": "pending"}).json()["items"][0]

    client.post(f"/api/v1/approvals/{request['id']}/decision", json={"approve": False})
    after = rep.get(f"/api/v1/quotes/{quote['id']}").json()
    redecided = client.post(f"/api/v1/approvals/{request['id']}/decision", json={"approve": True})

    assert after["status"] == "draft"
    assert redecided.status_code == 409
    assert redecided.json()["code"] == "approval_not_pending"
    assert "“已驳回”" in redecided.json()["detail"]


def test_versions_supersede_and_accept_creates_contract(client: TestClient) -> None:
    erp = _product(client, "ERP")
    _book(client, "标准价", "CNY", {erp: "5000.00"})
    first = _quote(client, [{"product_id": erp, "quantity": "2"}])
    client.post(f"/api/v1/quotes/{first['id']}/submit")
    client.post(f"/api/v1/quotes/{first['id']}/send")

    second = client.post(f"/api/v1/quotes/{first['id']}/versions").json()
    etag = client.get(f"/api/v1/quotes/{second['id']}").headers["ETag"]
    stale = client.put(
        f"/api/v1/quotes/{second['id']}",
        json={"title": "二版", "lines": [{"product_id": erp, "quantity": "3"}]},
        headers={"If-Match": f'"{second["id"]}.99"'},
    )
    edited = client.put(
        f"/api/v1/quotes/{second['id']}",
        json={"title": "二版", "lines": [{"product_id": erp, "quantity": "3"}]},
        headers={"If-Match": etag},
    )
    old_accept = client.post(
        f"/api/v1/quotes/{first['id']}/accept", json={"signed_on": "2026-12-01"}
    )
    client.post(f"/api/v1/quotes/{second['id']}/submit")
    accepted = client.post(
        f"/api/v1/quotes/{second['id']}/accept",
        json={
            "signed_on": "2026-12-01",
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
            "instalments": [
                {"due_on": "2026-12-15", "amount": "4500.00"},
                {"due_on": "2027-03-15", "amount": "10500.00"},
            ],
        },
    )

    assert second["version_number"] == 2
    assert second["number"] == first["number"]
    assert client.get(f"/api/v1/quotes/{first['id']}").json()["status"] == "superseded"
    assert stale.status_code == 412
    assert edited.json()["total"] == "15000.00"
    assert old_accept.status_code == 409
    assert old_accept.json()["code"] == "quote_final"
    assert "已被新版本取代" in old_accept.json()["detail"]
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    again = client.post(f"/api/v1/quotes/{second['id']}/accept", json={"signed_on": "2026-12-01"})
    assert again.status_code == 409
    assert again.json()["code"] == "quote_final"
    assert "“已接受”" in again.json()["detail"]
    assert "accepted" not in again.json()["detail"]
    contract = client.get(f"/api/v1/contracts/{accepted.json()['contract_id']}").json()
    assert (contract["amount"], contract["currency"]) == ("15000.00", "CNY")
    assert (contract["signed_on"], contract["starts_on"], contract["ends_on"]) == (
        "2026-12-01",
        "2027-01-01",
        "2027-12-31",
    )
    assert [item["amount"] for item in contract["instalments"]] == ["4500.00", "10500.00"]
    assert contract["quote_id"] == second["id"]


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_in_chinese_and_english(client: TestClient) -> None:
    erp = _product(client, "知客 ERP 许可")
    _book(client, "标准价", "CNY", {erp: "1999.99"})
    account = client.post("/api/v1/accounts", json={"name": "杭州云端科技有限公司"}).json()
    quote = _quote(
        client,
        [{"product_id": erp, "quantity": "3"}],
        account_id=account["id"],
        tax_percent="13",
        terms="付款方式：合同签订后 30 天内支付。",
    )

    chinese = client.get(f"/api/v1/quotes/{quote['id']}/pdf")
    english = client.get(f"/api/v1/quotes/{quote['id']}/pdf", params={"lang": "en"})

    assert chinese.status_code == 200
    assert chinese.headers["content-type"] == "application/pdf"
    assert chinese.content.startswith(b"%PDF")
    chinese_text = _pdf_text(chinese.content)
    for expected in ("报价单", "杭州云端科技有限公司", "知客 ERP 许可", "合计", "CNY 6,779.97"):
        assert expected in chinese_text
    english_text = _pdf_text(english.content)
    for expected in ("Quotation", "Total", "CNY 6,779.97", "Unit price"):
        assert expected in english_text
    assert b"STSong-Light" in chinese.content
    # A draft says plainly that it is not yet an offer.
    assert "非正式报价" in chinese_text
    assert "NOT AN OFFER" in english_text


def test_rep_sees_only_own_quotes(
    client: TestClient, make_user: Callable[..., tuple[TestClient, str]]
) -> None:
    erp = _product(client, "ERP")
    _book(client, "标准价", "CNY", {erp: "100.00"})
    first, _ = make_user("sales_rep", "甲")
    second, _ = make_user("sales_rep", "乙")
    quote = _quote(first, [{"product_id": erp, "quantity": "1"}])

    other_read = second.get(f"/api/v1/quotes/{quote['id']}")
    other_pdf = second.get(f"/api/v1/quotes/{quote['id']}/pdf")
    other_list = second.get("/api/v1/quotes").json()["items"]
    anonymous = TestClient(client.app).get(f"/api/v1/quotes/{quote['id']}")

    assert other_read.status_code == 404
    assert other_pdf.status_code == 404
    assert other_list == []
    assert anonymous.status_code == 401
    assert first.get(f"/api/v1/quotes/{quote['id']}").status_code == 200


def test_quote_for_a_deal_addresses_its_customer(client: TestClient) -> None:
    account = client.post("/api/v1/accounts", json={"name": "杭州云栖科技有限公司"}).json()["id"]
    contact = client.post("/api/v1/contacts", json={"name": "王芳", "account_id": account})
    deal = client.post(
        "/api/v1/opportunities",
        json={"name": "ERP 升级", "account_id": account, "contact_id": contact.json()["id"]},
    ).json()["id"]

    quote = _quote(
        client, [{"name": "定制服务", "quantity": "1", "unit_price": "100.00"}], opportunity_id=deal
    )

    assert (quote["account_id"], quote["contact_id"]) == (account, contact.json()["id"])


def test_price_book_update_keeps_priced_currency(client: TestClient) -> None:
    product = _product(client, "云 ERP 标准版")
    empty = client.post("/api/v1/price-books", json={"name": "海外价目", "currency": "CNY"})
    assert empty.status_code == 201, empty.text
    priced = _book(client, "国内价目", "CNY", {product: "1000.00"})

    renamed = client.put(
        f"/api/v1/price-books/{empty.json()['id']}",
        json={"name": "海外美元价目", "currency": "usd", "approval_threshold_percent": "15"},
    )
    locked = client.put(
        f"/api/v1/price-books/{priced['id']}", json={"name": "国内价目", "currency": "EUR"}
    )

    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "海外美元价目"
    assert renamed.json()["currency"] == "USD"
    assert Decimal(renamed.json()["approval_threshold_percent"]) == Decimal("15")
    assert renamed.json()["version"] == empty.json()["version"] + 1
    assert locked.status_code == 409
    assert locked.json()["code"] == "price_book_currency_locked"
    books = {book["id"]: book for book in client.get("/api/v1/price-books").json()["items"]}
    assert books[priced["id"]]["currency"] == "CNY"
    assert books[priced["id"]]["entries"] == priced["entries"]


def test_price_book_update_rejects_taken_name(client: TestClient) -> None:
    first = client.post("/api/v1/price-books", json={"name": "华东价目", "currency": "CNY"})
    second = client.post("/api/v1/price-books", json={"name": "华南价目", "currency": "CNY"})

    response = client.put(
        f"/api/v1/price-books/{second.json()['id']}", json={"name": "华东价目", "currency": "CNY"}
    )

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["code"] == "price_book_exists"
    names = sorted(book["name"] for book in client.get("/api/v1/price-books").json()["items"])
    assert names == ["华东价目", "华南价目"]
