"""The import wizard: upload, detection, preview, suggestions, validation, run and progress."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from zhike.api.app import create_app

PASSWORD = "Zhike-wizard-2026"
CONTACTS_CSV = (
    "姓名,手机号码,E-mail,所在城市,备注\n"
    "张伟,13812345678,zhang.wei@example.com,杭州,老客户\n"
    "李娜,13987654321,li.na@example.com,上海,\n"
)


def _upload(client: TestClient, name: str, content: bytes) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/imports/uploads", files={"file": (name, content)})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _logged_in(slug: str, email: str) -> TestClient:
    test_client = TestClient(create_app())
    response = test_client.post(
        "/api/v1/auth/login", json={"tenant": slug, "email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    test_client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return test_client


@pytest.fixture
def service_client(client: TestClient, tenant: object) -> Iterator[TestClient]:
    """A service agent: may read contacts but not import them."""
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
    with _logged_in(tenant.slug, email) as test_client:  # type: ignore[attr-defined]
        yield test_client


def test_upload_detects_gb18030_and_previews(client: TestClient) -> None:
    body = _upload(client, "客户.csv", CONTACTS_CSV.encode("gb18030"))

    assert body["kind"] == "csv"
    assert body["encoding"] == "gb18030"
    assert body["delimiter"] == ","
    assert body["sheets"] == [{"name": None, "rows": 2}]
    assert body["preview"]["header"] == ["姓名", "手机号码", "E-mail", "所在城市", "备注"]
    assert body["preview"]["rows"][0] == [
        "张伟",
        "13812345678",
        "zhang.wei@example.com",
        "杭州",
        "老客户",
    ]


def test_preview_with_other_encoding_and_limit(client: TestClient) -> None:
    upload = _upload(client, "contacts.csv", CONTACTS_CSV.encode("utf-8"))

    preview = client.get(f"/api/v1/imports/uploads/{upload['id']}/preview", params={"limit": 1})
    wrong = client.get(
        f"/api/v1/imports/uploads/{upload['id']}/preview", params={"encoding": "no-such-codec"}
    )

    assert preview.status_code == 200
    assert preview.json()["encoding"] == "utf-8"
    assert len(preview.json()["rows"]) == 1
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "import_unknown_encoding_name"


def test_xlsx_sheets_are_listed(client: TestClient) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["这张表不导入"])
    second = workbook.create_sheet("联系人")
    second.append(["姓名", "手机"])
    second.append(["王芳", "13700001111"])
    second.append(["赵磊", "13700002222"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    upload = _upload(client, "contacts.xlsx", buffer.getvalue())
    preview = client.get(
        f"/api/v1/imports/uploads/{upload['id']}/preview", params={"sheet": "联系人"}
    )
    missing = client.get(
        f"/api/v1/imports/uploads/{upload['id']}/preview", params={"sheet": "没有"}
    )

    assert upload["kind"] == "xlsx"
    assert upload["sheets"] == [{"name": "说明", "rows": 0}, {"name": "联系人", "rows": 2}]
    assert preview.json()["header"] == ["姓名", "手机"]
    assert preview.json()["rows"] == [["王芳", "13700001111"], ["赵磊", "13700002222"]]
    assert missing.status_code == 400
    assert missing.json()["code"] == "import_unknown_sheet"


def test_upload_rejects_unknown_type(client: TestClient) -> None:
    response = client.post("/api/v1/imports/uploads", files={"file": ("notes.pdf", b"%PDF-1.7")})

    assert response.status_code == 400
    assert response.json()["code"] == "import_upload_type"


def test_suggestions_match_labels_and_custom_fields(client: TestClient) -> None:
    field = client.post(
        "/api/v1/fields",
        json={"object": "contacts", "name": "wechat", "label_zh": "微信号", "label_en": "WeChat"},
    )
    assert field.status_code == 201, field.text
    csv_text = (
        "客户姓名,手机号码,E-mail,所在城市,微信号,备注,无关列\n"
        "张伟,13812345678,a@example.com,杭州,zw01,x,y\n"
    )
    upload = _upload(client, "contacts.csv", csv_text.encode("utf-8"))

    response = client.get(
        f"/api/v1/imports/uploads/{upload['id']}/suggestions", params={"object": "contacts"}
    )

    assert response.status_code == 200, response.text
    chosen = {item["column"]: item["field"] for item in response.json()["columns"]}
    assert chosen == {
        "客户姓名": "name",
        "手机号码": "mobile",
        "E-mail": "email",
        "所在城市": "city",
        "微信号": "custom.wechat",
        "备注": "description",
        "无关列": None,
    }
    names = [item["name"] for item in response.json()["fields"]]
    assert "owner_id" in names
    assert "source" not in names


def test_validate_then_run_imports_contacts(client: TestClient) -> None:
    csv_text = CONTACTS_CSV + "坏号码,12345,not-an-email,北京,\n"
    upload = _upload(client, "contacts.csv", csv_text.encode("utf-8"))
    plan = {
        "object": "contacts",
        "mapping": {"姓名": "name", "手机号码": "mobile", "E-mail": "email", "所在城市": "city"},
        "mode": "skip-invalid",
    }

    report = client.post(f"/api/v1/imports/uploads/{upload['id']}/validate", json=plan)
    after_validation = client.get("/api/v1/contacts").json()["items"]
    started = client.post(f"/api/v1/imports/uploads/{upload['id']}/runs", json=plan)
    progress = client.get(f"/api/v1/imports/{started.json()['id']}/progress")
    contacts = client.get("/api/v1/contacts", params={"city": "杭州"}).json()["items"]

    assert report.status_code == 200, report.text
    validation = report.json()
    assert validation["run"]["status"] == "validated"
    assert (validation["run"]["rows_read"], validation["run"]["rows_created"]) == (3, 2)
    assert validation["run"]["rows_rejected"] == 1
    assert [line[2] for line in validation["rejects"]] == ["4", "4"]
    assert {line[3] for line in validation["rejects"]} == {"手机号码", "E-mail"}
    assert after_validation == []
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    assert started.json()["rows_total"] == 3
    assert progress.json()["status"] == "succeeded"
    assert progress.json()["percent"] == 100.0
    assert (progress.json()["rows_created"], progress.json()["rows_rejected"]) == (2, 1)
    assert progress.json()["has_rejects"] is True
    assert [contact["name"] for contact in contacts] == ["张伟"]
    rejects = client.get(f"/api/v1/imports/{started.json()['id']}/rejects")
    assert rejects.status_code == 200
    assert "坏号码" not in rejects.text
    assert rejects.text.count("\n") == 3


def test_plan_errors_name_column_and_field(client: TestClient) -> None:
    upload = _upload(client, "contacts.csv", CONTACTS_CSV.encode("utf-8"))
    plan = {
        "object": "contacts",
        "mapping": {"手机号码": "mobile", "E-mail": "mobile", "没有这列": "city", "备注": "salary"},
    }

    response = client.post(f"/api/v1/imports/uploads/{upload['id']}/validate", json=plan)

    assert response.status_code == 422
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
        ("mapping.E-mail", "import_field_twice"),
        ("mapping.没有这列", "import_column_missing"),
        ("mapping.备注", "import_field_unknown"),
        ("mapping", "import_field_unmapped"),
    ]
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_wizard_needs_import_right(client: TestClient, service_client: TestClient) -> None:
    upload = _upload(service_client, "contacts.csv", CONTACTS_CSV.encode("utf-8"))
    plan = {"object": "contacts", "mapping": {"姓名": "name"}}

    objects = service_client.get("/api/v1/imports/objects")
    denied = service_client.post(f"/api/v1/imports/uploads/{upload['id']}/runs", json=plan)
    other = client.get(f"/api/v1/imports/uploads/{upload['id']}/preview")

    assert objects.json() == []
    assert denied.status_code == 403
    assert other.status_code == 200
    assert client.get("/api/v1/contacts").json()["items"] == []


def test_upload_of_another_tenant_is_not_found(client: TestClient, database: object) -> None:
    from zhike.core.db import Database
    from zhike.security.tenants import create_tenant

    assert isinstance(database, Database)
    slug = f"w-{secrets.token_hex(4)}"
    with database.session() as session:
        create_tenant(session, slug, "其他公司", f"admin@{slug}.example.com", PASSWORD)
    upload = _upload(client, "contacts.csv", CONTACTS_CSV.encode("utf-8"))

    with _logged_in(slug, f"admin@{slug}.example.com") as other:
        response = other.get(f"/api/v1/imports/uploads/{upload['id']}/preview")

    assert response.status_code == 404
    assert response.json()["code"] == "import_upload_not_found"


def test_importing_the_same_file_again_updates_instead_of_adding(client: TestClient) -> None:
    plan = {
        "object": "contacts",
        "mapping": {"姓名": "name", "手机号码": "mobile", "E-mail": "email", "所在城市": "city"},
        "mode": "skip-invalid",
    }
    for _ in range(2):
        upload = _upload(client, "contacts.csv", CONTACTS_CSV.encode("utf-8"))
        started = client.post(f"/api/v1/imports/uploads/{upload['id']}/runs", json=plan)
        assert started.status_code == 202, started.text
        progress = client.get(f"/api/v1/imports/{started.json()['id']}/progress").json()
        assert progress["status"] == "succeeded", progress

    assert progress["rows_created"] == 0
    names = [contact["name"] for contact in client.get("/api/v1/contacts").json()["items"]]
    assert sorted(names) == sorted(set(names))
    assert len(names) == 2


def _suggested(client: TestClient, upload_id: str, object_name: str) -> dict[str, str | None]:
    response = client.get(
        f"/api/v1/imports/uploads/{upload_id}/suggestions", params={"object": object_name}
    )
    assert response.status_code == 200, response.text
    return {item["column"]: item["field"] for item in response.json()["columns"]}


def test_company_name_column_maps_to_account_name(client: TestClient) -> None:
    accounts_csv = (
        "Account,所在城市,上级公司\n"
        "杭州云帆科技有限公司,杭州,云帆集团有限公司\n"
        "上海星河贸易有限公司,上海,\n"
    )
    upload = _upload(client, "accounts.csv", accounts_csv.encode("utf-8"))

    chosen = _suggested(client, upload["id"], "accounts")
    started = client.post(
        f"/api/v1/imports/uploads/{upload['id']}/runs",
        json={"object": "accounts", "mapping": {"Account": "name", "所在城市": "city"}},
    )
    accounts = client.get("/api/v1/accounts", params={"city": "杭州"}).json()["items"]

    assert chosen == {"Account": "name", "所在城市": "city", "上级公司": "parent_account_id"}
    assert started.status_code == 202, started.text
    assert [account["name"] for account in accounts] == ["杭州云帆科技有限公司"]


def test_company_column_of_contacts_maps_to_account(client: TestClient) -> None:
    contacts_csv = (
        "姓名,公司名称,手机号码\n"
        "张伟,杭州云帆科技有限公司,13812345678\n"
        "李娜,上海星河贸易有限公司,13987654321\n"
    )
    upload = _upload(client, "contacts.csv", contacts_csv.encode("utf-8"))

    chosen = _suggested(client, upload["id"], "contacts")

    assert chosen == {"姓名": "name", "公司名称": "account_id", "手机号码": "mobile"}


def test_values_rule_out_id_and_name_fields(client: TestClient) -> None:
    accounts_csv = (
        "编号,客户,parent_account_id\n"
        "杭州云帆,C-0001,0190a8c2-1234-7abc-8def-0123456789ab\n"
        "上海星河,C-0002,0190a8c2-1234-7abc-8def-0123456789ac\n"
    )
    upload = _upload(client, "accounts.csv", accounts_csv.encode("utf-8"))

    response = client.get(
        f"/api/v1/imports/uploads/{upload['id']}/suggestions", params={"object": "accounts"}
    )
    columns = {item["column"]: item for item in response.json()["columns"]}

    # Names under an id header are not an external id, and codes under a name header are no name.
    assert columns["编号"]["field"] is None
    assert "external_id" not in [item["field"] for item in columns["编号"]["alternatives"]]
    assert columns["客户"]["field"] != "name"
    assert "name" not in [item["field"] for item in columns["客户"]["alternatives"]]
    # A header that spells the reference field out, over id-like values, keeps that field.
    assert columns["parent_account_id"]["field"] == "parent_account_id"
