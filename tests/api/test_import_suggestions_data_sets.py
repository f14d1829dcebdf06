"""Column suggestions on the public CRM exports: what a new user sees on real files."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient


def _suggestions(client: TestClient, path: Path, object_name: str) -> dict[str, dict]:  # type: ignore[type-arg]
    uploaded = client.post(
        "/api/v1/imports/uploads", files={"file": (path.name, path.read_bytes())}
    )
    assert uploaded.status_code == 201, uploaded.text
    response = client.get(
        f"/api/v1/imports/uploads/{uploaded.json()['id']}/suggestions",
        params={"object": object_name},
    )
    assert response.status_code == 200, response.text
    return {item["column"]: item for item in response.json()["columns"]}


def test_pipeline_close_date_is_actual(client: TestClient, data_dir: Path) -> None:
    columns = _suggestions(
        client, data_dir / "crm_sales_opportunities" / "sales_pipeline.csv", "opportunities"
    )

    close = columns["close_date"]
    # The file fills close_date only on won and lost deals: it is when they closed.
    assert close["field"] == "closed_on"
    assert 0.75 <= close["score"] < 1
    assert "expected_close_date" in [item["field"] for item in close["alternatives"]]
    assert columns["deal_stage"]["field"] == "stage_id"
    assert columns["sales_agent"]["field"] == "owner_id"
    assert columns["engage_date"]["field"] == "engaged_on"


def test_telco_yes_no_column_not_phone(client: TestClient, data_dir: Path) -> None:
    path = data_dir / "telco_customer_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"

    columns = _suggestions(client, path, "contacts")

    assert columns["PhoneService"]["field"] is None
    assert "phone" not in [item["field"] for item in columns["PhoneService"]["alternatives"]]
    assert "mobile" not in [item["field"] for item in columns["PhoneService"]["alternatives"]]


def test_pipeline_stages_import_by_name(client: TestClient, data_dir: Path) -> None:
    lines = (data_dir / "crm_sales_opportunities" / "sales_pipeline.csv").read_text("utf-8")
    # Every stage of the file, and the Chinese name of one, in a few rows.
    head = [*lines.splitlines()[:60], "ZH000001,,GTX Basic,Cancity,赢单,2017-01-02,2017-02-03,100"]
    uploaded = client.post(
        "/api/v1/imports/uploads",
        files={"file": ("sales_pipeline.csv", ("\n".join(head) + "\n").encode("utf-8"))},
    )
    assert uploaded.status_code == 201, uploaded.text
    plan = {
        "object": "opportunities",
        "mapping": {
            "opportunity_id": "name",
            "deal_stage": "stage_id",
            "engage_date": "engaged_on",
            "close_date": "closed_on",
            "close_value": "amount",
        },
    }

    response = client.post(f"/api/v1/imports/uploads/{uploaded.json()['id']}/validate", json=plan)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rejects"] == []
    assert report["run"]["rows_created"] == len(head) - 1
    assert {line.split(",")[4] for line in head[1:]} >= {"Won", "Lost", "Engaging", "赢单"}
