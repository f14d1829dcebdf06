"""The rejects file of a wizard import downloads in the language of the request."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from testkit import TenantInfo

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.ingestion.models import ImportRun

PASSWORD = "Zhike-rejects-2026"
PLAN = {
    "object": "opportunities",
    "mapping": {
        "opportunity_id": "external_id",
        "title": "name",
        "account": "account_id",
        "sales_agent": "owner_id",
        "deal_stage": "stage_id",
    },
    "mode": "skip-invalid",
}
CONTENT = (
    "opportunity_id,title,account,sales_agent,deal_stage\n"
    "OPP-1,no account,不存在的公司,,Won\n"
    "OPP-2,two owners,,李娜,Won\n"
).encode()


def _add_user(client: TestClient, email: str, name: str) -> None:
    created = client.post(
        "/api/v1/users",
        json={"email": email, "display_name": name, "password": PASSWORD, "role": "sales_rep"},
    )
    assert created.status_code == 201, created.text


def _run_in_chinese(client: TestClient) -> str:
    upload = client.post("/api/v1/imports/uploads", files={"file": ("pipeline.csv", CONTENT)})
    assert upload.status_code == 201, upload.text
    started = client.post(
        f"/api/v1/imports/uploads/{upload.json()['id']}/runs",
        json=PLAN,
        headers={"Accept-Language": "zh-CN"},
    )
    assert started.status_code == 202, started.text
    run_id = str(started.json()["id"])
    progress = client.get(f"/api/v1/imports/{run_id}/progress").json()
    assert (progress["rows_created"], progress["rows_rejected"]) == (0, 2), progress
    return run_id


def _rejects(client: TestClient, run_id: str, locale: str) -> list[list[str]]:
    response = client.get(f"/api/v1/imports/{run_id}/rejects", headers={"Accept-Language": locale})
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def _prepare(client: TestClient) -> None:
    _add_user(client, "li.na.east@example.com", "李娜")
    _add_user(client, "li.na.west@example.com", "李娜")


def test_chinese_run_downloads_in_english(client: TestClient) -> None:
    _prepare(client)
    run_id = _run_in_chinese(client)

    english = _rejects(client, run_id, "en")

    assert english == [
        ["step", "file", "row", "column", "value", "reason"],
        [
            "Opportunities",
            "pipeline.csv",
            "2",
            "account",
            "不存在的公司",
            "No Accounts record has Account name = 不存在的公司 (column account); "
            "import it first or correct the value.",
        ],
        [
            "Opportunities",
            "pipeline.csv",
            "3",
            "sales_agent",
            "李娜",
            "2 users have the name 李娜 (column sales_agent): "
            "li.na.east@example.com, li.na.west@example.com; "
            "enter the e-mail of the user you mean instead.",
        ],
    ]


def test_chinese_run_downloads_in_chinese(client: TestClient) -> None:
    _prepare(client)
    run_id = _run_in_chinese(client)

    chinese = _rejects(client, run_id, "zh-CN")

    assert chinese == [
        ["步骤", "文件", "行号", "列", "值", "原因"],
        [
            "商机",
            "pipeline.csv",
            "2",
            "account",
            "不存在的公司",
            "找不到客户名称为 不存在的公司 的客户（列 account）；请先导入该客户或更正取值。",
        ],
        [
            "商机",
            "pipeline.csv",
            "3",
            "sales_agent",
            "李娜",
            "有 2 位用户的姓名是 李娜（列 sales_agent）："
            "li.na.east@example.com, li.na.west@example.com；请改填其中那位用户的邮箱。",
        ],
    ]


def test_run_stored_with_one_file_downloads_it(client: TestClient, database: Database) -> None:
    # Runs stored before reports came in every locale have only the file of the run's locale.
    _prepare(client)
    run_id = _run_in_chinese(client)
    with database.session() as session:
        run = session.get(ImportRun, uuid.UUID(run_id))
        assert run is not None
        assert run.rejects_file is not None
        stored = Path(run.rejects_file)
    stored.with_name(f"{stored.stem}.en{stored.suffix}").unlink()

    english = _rejects(client, run_id, "en")

    assert english[0] == ["步骤", "文件", "行号", "列", "值", "原因"]
    assert [line[0] for line in english[1:]] == ["商机", "商机"]


def test_only_the_importer_and_administrators_read_a_run(
    client: TestClient, tenant: TenantInfo
) -> None:
    # The rejects file repeats every rejected cell and lists colleagues' full e-mails.
    _prepare(client)
    run_id = _run_in_chinese(client)
    with TestClient(create_app()) as rep:
        login = rep.post(
            "/api/v1/auth/login",
            json={"tenant": tenant.slug, "email": "li.na.east@example.com", "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        rep.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        for path in ("", "/progress", "/rejects"):
            response = rep.get(f"/api/v1/imports/{run_id}{path}")
            assert response.status_code == 404, (path, response.text)
            assert response.json()["code"] == "import_not_found"

    assert client.get(f"/api/v1/imports/{run_id}/rejects").status_code == 200
