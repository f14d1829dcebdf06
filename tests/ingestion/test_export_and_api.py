"""Export (formula neutralisation, filters, tenant) and the import and export API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from ingestion_helpers import count
from openpyxl import load_workbook
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.customers.models import Contact
from zhike.ingestion.export import export_to_file
from zhike.platform.objects import get_object
from zhike.platform.query import ListParams

CONTACTS = (
    "external_id,name,mobile,email,city,company\n"
    'e1,=HYPERLINK("http://x"),13812345678,a@example.com,北京,+公司\n'
    "e2,@SUM(1),13912345678,b@example.com,上海,-5\n"
    "e3,普通客户,13712345678,c@example.com,北京,正常\n"
)


def _import(
    client: TestClient, body: str, name: str = "contacts.csv", mode: str = "all-or-nothing"
) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/imports",
        data={"profile": "contacts-csv", "mode": mode},
        files={"files": (name, body.encode("utf-8"), "text/csv")},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _csv(response_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response_text.lstrip("\ufeff"))))


def test_import_api_and_export_neutralises_formulas(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    run = _import(client, CONTACTS)
    assert (run["status"], run["rows_created"], run["has_rejects"]) == ("succeeded", 3, False)
    assert client.get(f"/api/v1/imports/{run['id']}").json()["rows_read"] == 3
    listed = client.get("/api/v1/imports")
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()] == [run["id"]]

    response = client.get("/api/v1/contacts/export", params={"format": "csv", "city": "北京"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = {row["external_id"]: row for row in _csv(response.text)}
    assert set(rows) == {"e1", "e3"}
    assert rows["e1"]["name"] == '\'=HYPERLINK("http://x")'
    assert rows["e1"]["custom.company"] == "'+公司"

    response = client.get("/api/v1/contacts/export", params={"format": "xlsx", "external_id": "e2"})
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 1
    record = dict(zip(header, values[0], strict=False))
    # A plain signed number cannot call a function, so it is exported unchanged.
    assert (record["name"], record["custom.company"], record["version"]) == ("'@SUM(1)", "-5", 1)


def test_rejects_download_and_other_tenant(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    run = _import(client, CONTACTS + "e4,坏号码,12345,d@example.com,北京,x\n", mode="skip-invalid")
    assert (run["status"], run["rows_created"], run["rows_rejected"]) == ("succeeded", 3, 1)
    response = client.get(f"/api/v1/imports/{run['id']}/rejects")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    (line,) = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))[1:]
    # The shipped profile names its step in the reader's language.
    assert line[:5] == ["联系人", "contacts.csv", "5", "mobile", "12345"]

    from zhike.security.tenants import create_tenant

    with database.session() as session:
        create_tenant(
            session,
            tenant.slug + "-b",
            "其他公司",
            f"admin@b.{tenant.slug}.example.com",
            "Zhike-test-2026",
        )
    with TestClient(client.app) as other:
        login = other.post(
            "/api/v1/auth/login",
            json={
                "tenant": tenant.slug + "-b",
                "email": f"admin@b.{tenant.slug}.example.com",
                "password": "Zhike-test-2026",
            },
        )
        other.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        assert other.get(f"/api/v1/imports/{run['id']}").status_code == 404
        assert other.get(f"/api/v1/imports/{run['id']}/rejects").status_code == 404
        exported = other.get("/api/v1/contacts/export", params={"format": "csv"})
        assert _csv(exported.text) == []


def test_api_rejects_unknown_profile_and_paths(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    before = count(database, Contact, tenant.tenant.id)
    response = client.post(
        "/api/v1/imports",
        data={"profile": "/etc/passwd.yaml"},
        files={"files": ("contacts.csv", CONTACTS.encode(), "text/csv")},
    )
    assert (response.status_code, response.json()["code"]) == (400, "import_unknown_profile")
    assert count(database, Contact, tenant.tenant.id) == before
    bad = client.get("/api/v1/contacts/export", params={"format": "pdf"})
    assert (bad.status_code, bad.json()["code"]) == (400, "export_unknown_format")


def test_export_to_file_keeps_negative_numbers(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    from zhike.customers.models import Account

    with database.session() as session:
        session.add(
            Account(
                tenant_id=tenant.tenant.id,
                name="-负数公司",
                annual_revenue=-1250,
                employee_count=-3,
            )
        )
    path = tmp_path / "accounts.xlsx"
    with database.session() as session:
        written = export_to_file(
            session, tenant.actor, get_object("accounts"), ListParams(filters={}), "xlsx", path
        )
    assert written == 1
    sheet = load_workbook(path, read_only=True).worksheets[0]
    header, values = [list(row) for row in sheet.iter_rows(values_only=True)]
    record = dict(zip(header, values, strict=False))
    assert record["name"] == "'-负数公司"
    assert record["employee_count"] == -3
    assert record["annual_revenue"] == -1250


def test_import_and_export_are_audited(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    run = _import(client, CONTACTS)
    client.get("/api/v1/contacts/export", params={"format": "csv", "city": "北京"})

    imports = client.get("/api/v1/audit/events", params={"action": "import"}).json()["items"]
    exports = client.get("/api/v1/audit/events", params={"action": "export"}).json()["items"]

    assert [event["record_id"] for event in imports] == [run["id"]]
    assert imports[0]["details"]["rows_created"] == 3
    assert len(exports) == 1
    assert exports[0]["object_name"] == "contacts"
    assert exports[0]["details"]["rows"] == 2
    assert exports[0]["details"]["filters"] == {"city": "北京"}


def test_export_times_carry_the_offset_in_csv(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    _import(client, CONTACTS)
    with database.session() as session:
        stored = (
            session.query(Contact)
            .filter(Contact.tenant_id == tenant.tenant.id, Contact.external_id == "e3")
            .one()
        )
        created = stored.created_at
    response = client.get("/api/v1/contacts/export", params={"format": "csv", "external_id": "e3"})
    (row,) = _csv(response.text)
    exported = datetime.fromisoformat(row["created_at"])
    # The same instant whatever zone the reader is in, with the user's offset written out.
    assert exported.utcoffset() is not None
    assert exported == created.replace(tzinfo=created.tzinfo or UTC)

    response = client.get("/api/v1/contacts/export", params={"format": "xlsx", "external_id": "e3"})
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, values = [list(row) for row in sheet.iter_rows(values_only=True)]
    cell = dict(zip(header, values, strict=True))["created_at"]
    # Excel keeps milliseconds, so the wall-clock time matches to the millisecond.
    assert abs(cell - exported.replace(tzinfo=None)) < timedelta(milliseconds=1)


def test_rejects_follow_request_language(client: TestClient) -> None:
    body = CONTACTS + "e4,坏号码,12345,d@example.com,北京,x\ne5,,13612345678,e@example.com,北京,x\n"
    run = _import(client, body, mode="skip-invalid")
    assert run["rows_rejected"] == 2

    lines = {}
    for locale in ("zh-CN", "en"):
        response = client.get(
            f"/api/v1/imports/{run['id']}/rejects", headers={"Accept-Language": locale}
        )
        assert response.status_code == 200, response.text
        lines[locale] = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))

    assert lines["zh-CN"] == [
        ["步骤", "文件", "行号", "列", "值", "原因"],
        [
            "联系人",
            "contacts.csv",
            "5",
            "mobile",
            "12345",
            "字段“手机”的电话号码 12345 无效，"
            "请填写 11 位手机号或带区号的座机号，如 010-62345678。",
        ],
        ["联系人", "contacts.csv", "6", "name", "", "列 name 为空，但字段“姓名”是必填项。"],
    ]
    assert lines["en"] == [
        ["step", "file", "row", "column", "value", "reason"],
        [
            "Contacts",
            "contacts.csv",
            "5",
            "mobile",
            "12345",
            "Phone number 12345 in field Mobile is invalid; write an 11-digit mobile number "
            "or a landline with its area code, such as 010-62345678.",
        ],
        [
            "Contacts",
            "contacts.csv",
            "6",
            "name",
            "",
            "Column name is empty, but field Name is required.",
        ],
    ]


def test_reimport_counts_unchanged_rows(client: TestClient) -> None:
    first = _import(client, CONTACTS)
    assert (first["rows_created"], first["rows_unchanged"]) == (3, 0)

    again = _import(client, CONTACTS)
    stored = client.get(f"/api/v1/imports/{again['id']}").json()

    assert stored["rows_read"] == 3
    assert stored["rows_created"] == 0
    assert stored["rows_updated"] == 0
    assert stored["rows_unchanged"] == 3
    assert stored["rows_rejected"] == 0
