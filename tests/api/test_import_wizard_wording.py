"""What a person reads in the import wizard: field and object labels, reasons in their language."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from zhike.ingestion.mapping import RowMapper
from zhike.ingestion.profile import FieldMapping, Step
from zhike.security.context import Actor


def _upload(client: TestClient, name: str, content: bytes) -> str:
    response = client.post("/api/v1/imports/uploads", files={"file": (name, content)})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _rejects(client: TestClient, upload_id: str, plan: dict[str, object]) -> list[dict[str, str]]:
    response = client.post(f"/api/v1/imports/uploads/{upload_id}/validate", json=plan)
    assert response.status_code == 200, response.text
    report = response.json()
    return [dict(zip(report["rejects_header"], line, strict=True)) for line in report["rejects"]]


def test_rejects_use_labels_in_chinese(client: TestClient) -> None:
    accounts = "公司,年营业额\n杭州云帆科技有限公司,-5\n"
    contacts = "姓名,公司\n张伟,Acme Corporation\n"

    revenue = _rejects(
        client,
        _upload(client, "accounts.csv", accounts.encode("utf-8")),
        {"object": "accounts", "mapping": {"公司": "name", "年营业额": "annual_revenue"}},
    )
    lookup = _rejects(
        client,
        _upload(client, "contacts.csv", contacts.encode("utf-8")),
        {"object": "contacts", "mapping": {"姓名": "name", "公司": "account_id"}},
    )

    assert [line["步骤"] for line in revenue] == ["客户"]
    assert revenue[0]["原因"] == "字段“年营业额”无效：应不小于 0"
    assert [line["步骤"] for line in lookup] == ["联系人"]
    assert lookup[0]["原因"].startswith("找不到客户名称为 Acme Corporation 的客户（列 公司）")
    for text in (revenue[0]["原因"], lookup[0]["原因"]):
        assert "Input should" not in text
        assert "accounts" not in text


def test_unmapped_field_message_uses_label(client: TestClient) -> None:
    upload_id = _upload(client, "contacts.csv", "手机号码\n13812345678\n".encode())

    response = client.post(
        f"/api/v1/imports/uploads/{upload_id}/validate",
        json={"object": "contacts", "mapping": {"手机号码": "mobile"}},
    )

    assert response.status_code == 422
    messages = [error["message"] for error in response.json()["errors"]]
    assert "必填字段“姓名”没有对应的列；请为它选择一列。" in messages


def test_target_form_error_uses_label(client: TestClient) -> None:
    response = client.put(
        "/api/v1/sales/targets", json={"period_start": "2026-10-01", "amount": "-1"}
    )

    assert response.status_code == 422, response.text
    messages = [error["message"] for error in response.json()["errors"]]
    assert messages == ["字段“金额”无效：应不小于 0"]


def test_huge_cell_message_in_kilobytes() -> None:
    step = Step(
        name="contacts",
        target="contacts",
        fields={"name": FieldMapping(column="姓名")},
    )
    for locale, expected in (
        ("zh-CN", "列 姓名 的单元格太大（2.5 KB，"),
        ("en", "The cell in column 姓名 is too large (2.5 KB,"),
    ):
        actor = Actor(tenant_id=uuid.uuid4(), user_id=None, role="system", locale=locale)
        mapper = RowMapper(step, ["姓名"], actor, max_cell_bytes=1024, file_name="contacts.csv")

        row = mapper.map_row(2, ["长" * 850])

        message = row.errors[0]["message"]
        assert message.startswith(expected), message
        assert "1 KB" in message
        assert "ZHIKE_MAX_CELL_BYTES" not in message
        assert "管理员" in message if locale == "zh-CN" else "administrator" in message
