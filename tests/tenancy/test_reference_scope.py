"""Links to other records: an id the user may not read fails exactly as an unknown id does."""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from zhike.core.db import Database
from zhike.ingestion.importer import run_import

DUE_AT = "2026-03-02T09:00:00+08:00"


def _create(client: TestClient, path: str, body: dict[str, Any]) -> str:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _deal(org: Any, owner: str, name: str, **fields: Any) -> str:
    body = {"name": name, "owner_id": org.users[owner], **fields}
    return _create(org.admin, "/api/v1/opportunities", body)


def _account(org: Any, owner: str, name: str) -> str:
    body = {"name": name, "owner_id": org.users[owner]}
    return _create(org.admin, "/api/v1/accounts", body)


def _task(client: TestClient, opportunity_id: str) -> Any:
    body = {"kind": "task", "subject": "回访", "opportunity_id": opportunity_id, "due_at": DUE_AT}
    return client.post("/api/v1/activities", json=body)


def _without_id(body: dict[str, Any], record_id: str) -> Any:
    """Return the problem body with ``record_id`` replaced, so two bodies compare exactly.

    ``instance`` is left out because it names the request path, which differs between a
    create and an update.
    """
    text = json.dumps(body, ensure_ascii=False).replace(record_id, "<id>")
    return {key: value for key, value in json.loads(text).items() if key != "instance"}


def _subjects(client: TestClient, opportunity_id: str) -> list[str]:
    response = client.get(f"/api/v1/opportunities/{opportunity_id}/activities")
    assert response.status_code == 200, response.text
    return [item["activity"]["subject"] for item in response.json()["items"]]


def test_unreadable_deal_link_is_not_found(org: Any) -> None:
    hidden = _deal(org, "north_rep", "华北年度框架")
    unknown = str(uuid.uuid4())
    rep = org.clients["east_rep"]

    denied = _task(rep, hidden)
    missing = _task(rep, unknown)

    assert rep.get(f"/api/v1/opportunities/{hidden}").status_code == 404
    assert denied.status_code == 422, denied.text
    assert missing.status_code == 422, missing.text
    assert denied.json()["errors"][0]["code"] == "reference_not_found"
    assert denied.json()["errors"][0]["field"] == "opportunity_id"
    assert _without_id(denied.json(), hidden) == _without_id(missing.json(), unknown)
    assert _subjects(org.admin, hidden) == []


def test_activity_on_shared_deal_is_created(org: Any) -> None:
    shared = _deal(org, "north_rep", "华北共享商机")
    share = org.clients["north_rep"].post(
        f"/api/v1/opportunities/{shared}/shares", json={"user_id": org.users["east_rep"]}
    )

    created = _task(org.clients["east_rep"], shared)

    assert share.status_code == 201, share.text
    assert created.status_code == 201, created.text
    assert _subjects(org.admin, shared) == ["回访"]


def test_deal_on_unreadable_account_is_rejected(org: Any) -> None:
    hidden = _account(org, "north_rep", "北京远航贸易有限公司")
    unknown = str(uuid.uuid4())
    own = _deal(org, "east_rep", "华东续约")
    rep = org.clients["east_rep"]

    created = rep.post("/api/v1/opportunities", json={"name": "新商机", "account_id": hidden})
    missing = rep.post("/api/v1/opportunities", json={"name": "新商机", "account_id": unknown})
    updated = rep.patch(f"/api/v1/opportunities/{own}", json={"account_id": hidden})

    assert created.status_code == 422, created.text
    assert updated.status_code == 422, updated.text
    assert created.json()["errors"][0]["code"] == "reference_not_found"
    assert created.json()["errors"][0]["field"] == "account_id"
    assert _without_id(created.json(), hidden) == _without_id(missing.json(), unknown)
    assert _without_id(updated.json(), hidden) == _without_id(missing.json(), unknown)
    names = [item["name"] for item in rep.get("/api/v1/opportunities").json()["items"]]
    assert names == ["华东续约"]
    assert org.admin.get(f"/api/v1/opportunities/{own}").json()["account_id"] is None


def test_kept_link_to_unreadable_account_stays_editable(org: Any) -> None:
    hidden = _account(org, "north_rep", "天津海港物流有限公司")
    reassigned = _deal(org, "east_rep", "转交商机", account_id=hidden)

    response = org.clients["east_rep"].patch(
        f"/api/v1/opportunities/{reassigned}",
        json={"name": "转交商机 第二期", "account_id": hidden},
    )

    assert response.status_code == 200, response.text
    assert response.json()["account_id"] == hidden
    assert response.json()["name"] == "转交商机 第二期"


def test_administrator_links_any_record(org: Any) -> None:
    deal = _deal(org, "north_rep", "华北大客户")
    unknown = str(uuid.uuid4())

    created = _task(org.admin, deal)
    missing = _task(org.admin, unknown)

    assert created.status_code == 201, created.text
    assert missing.status_code == 422, missing.text
    assert missing.json()["errors"][0]["code"] == "reference_not_found"
    assert _subjects(org.admin, deal) == ["回访"]


def test_import_rejects_unreadable_account(
    org: Any, tenant: Any, database: Database, tmp_path: Path
) -> None:
    hidden = _account(org, "north_rep", "河北钢构有限公司")
    team_account = _account(org, "shanghai_rep", "上海精工有限公司")
    unknown = str(uuid.uuid4())
    (tmp_path / "profile.yaml").write_text(
        "name: scoped-deals\nsource: test\nsteps:\n  - name: deals\n    target: opportunities\n"
        "    file: deals.csv\n    fields:\n      external_id: external_id\n"
        "      name: {column: name, required: true}\n      account_id: account_id\n",
        encoding="utf-8",
    )
    (tmp_path / "deals.csv").write_text(
        f"external_id,name,account_id\nd1,团队商机,{team_account}\n"
        f"d2,越权商机,{hidden}\nd3,未知客户商机,{unknown}\n",
        encoding="utf-8",
    )

    result = run_import(
        database,
        tenant.slug,
        tmp_path / "profile.yaml",
        tmp_path / "deals.csv",
        mode="skip-invalid",
        user_email=f"east_manager@{tenant.slug}.example.com",
    )

    assert (result.rows_created, result.rows_rejected) == (1, 2)
    assert result.rejects_file is not None
    with open(result.rejects_file, encoding="utf-8-sig", newline="") as handle:
        rejects = list(csv.reader(handle))[1:]
    denied, missing = rejects
    assert [cell.replace(hidden, "<id>") for cell in denied[3:]] == [
        cell.replace(unknown, "<id>") for cell in missing[3:]
    ]
    assert denied[3] == "account_id"
    names = [item["name"] for item in org.admin.get("/api/v1/opportunities").json()["items"]]
    assert names == ["团队商机"]


def test_unknown_ticket_assignee_names_assignee_field(client: TestClient) -> None:
    unknown = str(uuid.uuid4())

    response = client.post("/api/v1/tickets", json={"subject": "无法登录", "assignee_id": unknown})

    assert response.status_code == 422, response.text
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
        ("assignee_id", "reference_not_found")
    ]
    assert client.get("/api/v1/tickets").json()["items"] == []
