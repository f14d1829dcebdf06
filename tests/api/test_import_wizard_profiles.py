"""Built-in mapping profiles in the import wizard: listed, applied, and refused when unknown."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient

from zhike.api.app import create_app

PASSWORD = "Zhike-profiles-2026"
# The first rows of the public MavenTech sales_pipeline.csv, with its "GTXPro" spelling.
PIPELINE_CSV = (
    "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    "1C1I7A6R,Moses Frase,GTXPro,,Won,2016-10-20,2017-03-01,1054\n"
    "Z063OYW0,Darcel Schlecht,GTX Plus Basic,,Engaging,2016-10-25,,\n"
)
PIPELINE_MAPPING = {
    "opportunity_id": "external_id",
    "sales_agent": "owner_id",
    "product": "product_id",
    "deal_stage": "stage_id",
    "engage_date": "engaged_on",
    "close_date": "closed_on",
    "close_value": "amount",
}


def _profiles(client: TestClient, locale: str = "zh-CN") -> list[dict[str, Any]]:
    response = client.get("/api/v1/imports/profiles", headers={"Accept-Language": locale})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _upload(client: TestClient) -> str:
    response = client.post(
        "/api/v1/imports/uploads",
        files={"file": ("sales_pipeline.csv", PIPELINE_CSV.encode("utf-8"))},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _seed_people_and_products(client: TestClient) -> dict[str, str]:
    owners = {}
    for email, name in (
        ("moses@example.com", "Moses Frase"),
        ("darcel@example.com", "Darcel Schlecht"),
    ):
        created = client.post(
            "/api/v1/users",
            json={"email": email, "display_name": name, "password": PASSWORD},
        )
        assert created.status_code == 201, created.text
        owners[name] = created.json()["id"]
    for product in ("GTX Pro", "GTX Plus Basic"):
        created = client.post("/api/v1/products", json={"name": product, "currency": "USD"})
        assert created.status_code == 201, created.text
    return owners


def test_pipeline_profile_is_listed_as_built_in(client: TestClient) -> None:
    chinese = _profiles(client)
    english = _profiles(client, locale="en")

    entry = next(
        item
        for item in chinese
        if (item["profile"], item["step"]) == ("crm-pipeline", "opportunities")
    )
    assert entry["is_built_in"] is True
    assert entry["object"] == "opportunities"
    assert entry["file"] == "sales_pipeline.csv"
    assert entry["label"] == "销售管道（MavenTech 示例数据）"
    assert entry["mapping"] == {**PIPELINE_MAPPING, "account": "account_id"}
    assert entry["fixed_fields"] == ["currency", "name"]
    # Only the pipeline's closed deals predate any sales process, so only it is historical.
    assert entry["historical"] is True
    assert {item["profile"] for item in chinese if item["historical"]} == {"crm-pipeline"}
    labels = {(item["profile"], item["step"]): item["label"] for item in english}
    assert labels[("crm-pipeline", "opportunities")] == "Sales pipeline (MavenTech sample)"
    assert {item["object"] for item in chinese} <= {
        "accounts",
        "contacts",
        "leads",
        "opportunities",
        "products",
        "activities",
    }


def test_profile_labels_are_distinct(client: TestClient) -> None:
    for locale, accounts, parents in (
        (
            "zh-CN",
            "销售管道（MavenTech 示例数据） · 客户信息",
            "销售管道（MavenTech 示例数据） · 上级客户",
        ),
        (
            "en",
            "Sales pipeline (MavenTech sample) · Account details",
            "Sales pipeline (MavenTech sample) · Parent accounts",
        ),
    ):
        entries = _profiles(client, locale)
        labels = {(item["profile"], item["step"]): item["label"] for item in entries}
        assert labels[("crm-pipeline", "accounts")] == accounts
        assert labels[("crm-pipeline", "account-parents")] == parents
        # The picker shows label, object and file, so those three name one entry.
        shown = [(item["label"], item["object"], item["file"]) for item in entries]
        assert len(shown) == len(set(shown)), shown


def test_applied_profile_imports_the_public_file(client: TestClient) -> None:
    owners = _seed_people_and_products(client)
    upload_id = _upload(client)
    plan = {
        "object": "opportunities",
        "mapping": PIPELINE_MAPPING,
        "profile": "crm-pipeline",
        "profile_step": "opportunities",
    }

    without_profile = client.post(
        f"/api/v1/imports/uploads/{upload_id}/validate",
        json={"object": "opportunities", "mapping": PIPELINE_MAPPING},
    )
    started = client.post(f"/api/v1/imports/uploads/{upload_id}/runs", json=plan)
    progress = client.get(f"/api/v1/imports/{started.json()['id']}/progress").json()
    items = client.get("/api/v1/opportunities", params={"sort": "name"}).json()["items"]

    # Without the profile nothing fills the required name, and the person is told so.
    assert without_profile.status_code == 422
    assert [error["code"] for error in without_profile.json()["errors"]] == [
        "import_field_unmapped"
    ]
    assert started.status_code == 202, started.text
    assert progress["status"] == "succeeded", progress
    assert (progress["rows_created"], progress["rows_rejected"]) == (2, 0)
    assert [
        (item["name"], item["owner_id"], item["currency"], item["amount"]) for item in items
    ] == [
        ("GTX Plus Basic · Z063OYW0", owners["Darcel Schlecht"], "USD", None),
        ("GTXPro · 1C1I7A6R", owners["Moses Frase"], "USD", "1054.00"),
    ]


def test_unknown_profile_step_is_rejected(client: TestClient) -> None:
    upload_id = _upload(client)
    plans = [
        {"profile": "crm-pipeline", "profile_step": "no-such-step"},
        {"profile": "crm-pipeline", "profile_step": "accounts"},
        {"profile": "/etc/passwd", "profile_step": "opportunities"},
    ]

    responses = [
        client.post(
            f"/api/v1/imports/uploads/{upload_id}/validate",
            json={"object": "opportunities", "mapping": PIPELINE_MAPPING, **plan},
        )
        for plan in plans
    ]

    assert [response.status_code for response in responses] == [422, 422, 422]
    errors = [response.json()["errors"][0] for response in responses]
    assert [error["code"] for error in errors] == ["import_profile_step_unknown"] * 3
    assert errors[0]["message"] == (
        "没有可导入商机的内置映射方案 crm-pipeline/no-such-step；"
        "请重新选择映射方案，或手动选择字段。"
    )
    assert client.get("/api/v1/opportunities").json()["items"] == []


def test_profiles_follow_import_rights(client: TestClient, tenant: object) -> None:
    email = f"agent-{secrets.token_hex(3)}@example.com"
    created = client.post(
        "/api/v1/users",
        json={
            "email": email,
            "display_name": "客服",
            "password": PASSWORD,
            "role": "service_agent",
        },
    )
    assert created.status_code == 201, created.text
    with TestClient(create_app()) as agent:
        login = agent.post(
            "/api/v1/auth/login",
            json={"tenant": tenant.slug, "email": email, "password": PASSWORD},  # type: ignore[attr-defined]
        )
        assert login.status_code == 200, login.text
        agent.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        assert _profiles(agent) == []
    anonymous = TestClient(create_app()).get("/api/v1/imports/profiles")
    assert anonymous.status_code == 401
