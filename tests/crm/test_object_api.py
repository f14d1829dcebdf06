"""Every CRM object through the generic record API: CRUD, lists, ETags, errors, tenancy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

Payload = dict[str, Any]
Context = dict[str, str]


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Context, int], Payload]
    update: Payload
    sort: str
    filter: tuple[str, str, int]
    search: tuple[str, int]
    invalid: Callable[[Context], Payload]
    invalid_field: str
    invalid_code: str
    setup: Callable[[TestClient], Context] = field(default=lambda client: {})


def _account(client: TestClient) -> Context:
    return {
        "account_id": client.post("/api/v1/accounts", json={"name": "杭州云栖科技"}).json()["id"]
    }


def _campaign_and_contact(client: TestClient) -> Context:
    campaign = client.post("/api/v1/campaigns", json={"name": "春季发布会"}).json()
    contact = client.post("/api/v1/contacts", json={"name": "李娜"}).json()
    return {"campaign_id": campaign["id"], "contact_id": contact["id"]}


CASES = [
    Case(
        name="products",
        make=lambda ctx, i: {
            "name": f"产品{i}",
            "code": f"P-{i}",
            "list_price": "100.00" if i < 3 else "250.00",
        },
        update={"series": "X1"},
        sort="list_price",
        filter=("list_price", "100.00", 3),
        search=("P-3", 1),
        invalid=lambda ctx: {"name": "日元产品", "list_price": "10.5", "currency": "JPY"},
        invalid_field="list_price",
        invalid_code="invalid_amount",
    ),
    Case(
        name="leads",
        make=lambda ctx, i: {
            "name": f"线索{i}",
            "company": "杭州云栖" if i % 2 == 0 else "深圳前海",
            "status": "new" if i < 2 else "working",
            "mobile": f"1380013800{i}",
        },
        update={"status": "qualified"},
        sort="company",
        filter=("status", "working", 3),
        search=("前海", 2),
        invalid=lambda ctx: {"name": "坏线索", "status": "bogus"},
        invalid_field="status",
        invalid_code="invalid_choice",
    ),
    Case(
        name="opportunities",
        setup=_account,
        make=lambda ctx, i: {
            "name": f"商机{i}",
            "account_id": ctx["account_id"],
            "stage": "proposal",
            "amount": "1000.00" if i < 3 else "5000.00",
        },
        update={"probability": 75},
        sort="amount",
        filter=("amount__gte", "5000", 2),
        search=("商机4", 1),
        invalid=lambda ctx: {"name": "坏商机", "stage": "nope"},
        invalid_field="stage",
        invalid_code="invalid_stage",
    ),
    Case(
        name="activities",
        make=lambda ctx, i: {
            "kind": "call" if i % 2 else "meeting",
            "subject": f"拜访{i}",
            "occurred_at": "2026-03-01T09:00:00+08:00" if i < 3 else "2026-03-02T09:00:00+08:00",
        },
        update={"subject": "改期拜访"},
        sort="occurred_at",
        filter=("kind", "meeting", 3),
        search=("拜访4", 1),
        invalid=lambda ctx: {"kind": "fax", "subject": "传真"},
        invalid_field="kind",
        invalid_code="invalid_choice",
    ),
    Case(
        name="tickets",
        make=lambda ctx, i: {
            "subject": f"故障{i}",
            "priority": "high" if i < 2 else "normal",
            "opened_at": "2026-03-01T08:00:00Z" if i < 3 else "2026-03-05T08:00:00Z",
        },
        update={"status": "open"},
        sort="opened_at",
        filter=("priority", "high", 2),
        search=("故障1", 1),
        invalid=lambda ctx: {"subject": "坏工单", "priority": "critical"},
        invalid_field="priority",
        invalid_code="invalid_choice",
    ),
    Case(
        name="campaigns",
        make=lambda ctx, i: {
            "name": f"活动{i}",
            "channel": "email" if i % 2 else "wechat",
            "budget": "5000.00",
            "starts_on": "2026-04-01" if i < 3 else "2026-05-01",
        },
        update={"status": "active"},
        sort="starts_on",
        filter=("channel", "email", 2),
        search=("活动2", 1),
        invalid=lambda ctx: {
            "name": "倒序活动",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
        },
        invalid_field="ends_on",
        invalid_code="end_before_start",
    ),
    Case(
        name="campaign_members",
        setup=_campaign_and_contact,
        make=lambda ctx, i: {
            "campaign_id": ctx["campaign_id"],
            "contact_id": ctx["contact_id"],
            "status": "sent" if i < 3 else "responded",
            "touched_at": "2026-04-02T10:00:00Z" if i < 2 else "2026-04-03T10:00:00Z",
        },
        update={"status": "converted"},
        sort="touched_at",
        filter=("has_responded", "true", 2),
        search=("responded", 2),
        invalid=lambda ctx: {"campaign_id": ctx["campaign_id"], "status": "sent"},
        invalid_field="contact_id",
        invalid_code="member_needs_person",
    ),
]


def _create_all(client: TestClient, case: Case) -> tuple[Context, list[Payload]]:
    context = case.setup(client)
    created = []
    for index in range(5):
        response = client.post(f"/api/v1/{case.name}", json=case.make(context, index))
        assert response.status_code == 201, response.text
        created.append(response.json())
    return context, created


def _ids(client: TestClient, path: str) -> list[str]:
    return [item["id"] for item in client.get(path).json()["items"]]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_object_crud_and_soft_delete(client: TestClient, case: Case) -> None:
    context = case.setup(client)
    created = client.post(f"/api/v1/{case.name}", json=case.make(context, 0))
    assert created.status_code == 201, created.text
    record = created.json()
    path = f"/api/v1/{case.name}/{record['id']}"
    assert created.headers["Location"] == path
    assert client.get(path).json() == record

    updated = client.patch(path, json=case.update, headers={"If-Match": created.headers["ETag"]})

    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    for name, value in case.update.items():
        assert updated.json()[name] == value
    deleted = client.delete(path, headers={"If-Match": updated.headers["ETag"]})
    assert deleted.status_code == 204
    missing = client.get(path)
    assert missing.status_code == 404
    assert missing.json()["code"] == "record_not_found"
    assert _ids(client, f"/api/v1/{case.name}") == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_object_list_filter_search_pages(client: TestClient, case: Case) -> None:
    _, created = _create_all(client, case)
    parameter, value, expected = case.filter
    term, found = case.search

    filtered = client.get(f"/api/v1/{case.name}", params={parameter: value, "with_total": "true"})
    searched = client.get(f"/api/v1/{case.name}", params={"q": term})

    assert filtered.status_code == 200, filtered.text
    assert filtered.json()["total"] == expected
    assert len(filtered.json()["items"]) == expected
    assert len(searched.json()["items"]) == found
    for descending in (False, True):
        sort = f"-{case.sort}" if descending else case.sort
        seen: list[Payload] = []
        cursor = None
        for _ in range(10):
            params: dict[str, Any] = {"sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = client.get(f"/api/v1/{case.name}", params=params).json()
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(item["id"] for item in seen) == sorted(item["id"] for item in created)
        values = [item[case.sort] for item in seen]
        assert values == sorted(values, reverse=descending)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_object_stale_if_match(client: TestClient, case: Case) -> None:
    context = case.setup(client)
    created = client.post(f"/api/v1/{case.name}", json=case.make(context, 1))
    path = f"/api/v1/{case.name}/{created.json()['id']}"
    first = client.patch(path, json=case.update, headers={"If-Match": created.headers["ETag"]})
    assert first.status_code == 200

    stale = client.patch(
        path, json=case.make(context, 4), headers={"If-Match": created.headers["ETag"]}
    )
    stale_delete = client.delete(path, headers={"If-Match": created.headers["ETag"]})

    assert stale.status_code == 412
    assert stale.json()["code"] == "version_mismatch"
    assert stale_delete.status_code == 412
    assert client.get(path).json() == first.json()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_object_invalid_input(client: TestClient, case: Case) -> None:
    context = case.setup(client)

    response = client.post(f"/api/v1/{case.name}", json=case.invalid(context))

    assert response.status_code == 422, response.text
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["code"] == "validation_failed"
    assert [(error["field"], error["code"]) for error in body["errors"]] == [
        (case.invalid_field, case.invalid_code)
    ]
    assert _ids(client, f"/api/v1/{case.name}") == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_object_other_tenant_not_found(
    client: TestClient, other_client: TestClient, case: Case
) -> None:
    context = case.setup(client)
    created = client.post(f"/api/v1/{case.name}", json=case.make(context, 2))
    path = f"/api/v1/{case.name}/{created.json()['id']}"

    read = other_client.get(path)
    patched = other_client.patch(path, json=case.update)
    deleted = other_client.delete(path)

    assert [read.status_code, patched.status_code, deleted.status_code] == [404, 404, 404]
    assert read.json()["code"] == "record_not_found"
    assert _ids(other_client, f"/api/v1/{case.name}") == []
    assert client.get(path).json() == created.json()


def test_error_detail_localized(client: TestClient) -> None:
    body = {"name": "坏线索", "status": "bogus"}

    chinese = client.post("/api/v1/leads", json=body, headers={"Accept-Language": "zh-CN"}).json()
    english = client.post("/api/v1/leads", json=body, headers={"Accept-Language": "en"}).json()

    assert chinese["detail"] == "有 1 个字段无效，请按各字段的说明修改后重试。"
    assert chinese["errors"][0]["message"] == (
        "字段“状态”的值 bogus 不在可选范围内：new, working, qualified, converted, disqualified。"
    )
    assert english["detail"] == "1 field(s) are invalid; fix each one as described and try again."
    assert english["errors"][0]["message"] == (
        "Value bogus of field Status is not one of: "
        "new, working, qualified, converted, disqualified."
    )


def test_openapi_lists_object_paths(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    for name in (
        "accounts",
        "contacts",
        "products",
        "leads",
        "opportunities",
        "activities",
        "tickets",
        "campaigns",
        "campaign_members",
    ):
        assert set(paths[f"/api/v1/{name}"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{name}/{{record_id}}"]) == {"get", "patch", "delete"}
    for extra in (
        "/api/v1/accounts/{account_id}/timeline",
        "/api/v1/contacts/{contact_id}/timeline",
        "/api/v1/opportunities/{opportunity_id}/stage-history",
        "/api/v1/pipeline/stages",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/fields",
        "/api/v1/tenant",
    ):
        assert extra in paths


def test_contact_filters_standardize_their_values_like_writes_do(client: TestClient) -> None:
    created = client.post(
        "/api/v1/contacts",
        json={"name": "王芳", "mobile": "13800138000", "email": "Wang.Fang@Example.com"},
    )
    assert created.status_code == 201, created.text
    spellings = {
        "mobile": "+86 138 0013 8000",
        "mobile__in": "138-0013-8000,13900139000",
        "email": "WANG.FANG@example.com",
    }
    for parameter, value in spellings.items():
        page = client.get("/api/v1/contacts", params={parameter: value}).json()
        assert [item["id"] for item in page["items"]] == [created.json()["id"]], parameter
    unmatched = client.get("/api/v1/contacts", params={"mobile": "not a number"})
    assert (unmatched.status_code, unmatched.json()["items"]) == (200, [])
