"""The question endpoint, its event stream and ``zhike ask`` on the command line."""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi.testclient import TestClient
from small_tenant import seed_small_tenant
from testkit import TenantInfo
from typer.testing import CliRunner

from zhike.cli import app
from zhike.core.db import Database

QUESTION = "每个销售的赢单金额"


def _events(text: str) -> list[tuple[str, dict[str, object]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_api_answers_with_query_rows_and_chart(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))

    response = client.post("/api/v1/assistant/ask", json={"question": QUESTION})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"] == "query_data"
    assert body["source"] == "offline"
    assert body["query"]["object"] == "opportunities"
    assert [column["name"] for column in body["columns"]] == ["owner.display_name", "sum:amount"]
    assert body["rows"] == [["赵磊", "200000.00"], ["钱敏", "230000.00"]]
    assert body["chart"] == {
        "type": "bar",
        "x": "owner.display_name",
        "y": ["sum:amount"],
        "series": None,
    }


def test_api_rejects_an_empty_question(client: TestClient) -> None:
    response = client.post("/api/v1/assistant/ask", json={"question": ""})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "question"


def test_api_requires_login(database: Database, tenant: TenantInfo, client: TestClient) -> None:
    response = client.post(
        "/api/v1/assistant/ask", json={"question": QUESTION}, headers={"Authorization": ""}
    )

    assert response.status_code == 401


def test_stream_sends_intent_query_result_done(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))

    response = client.post("/api/v1/assistant/ask/stream", json={"question": QUESTION})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    assert [name for name, _ in events] == ["intent", "query", "result", "done"]
    assert events[0][1]["intent"] == "query_data"
    assert events[2][1]["rows"] == [["赵磊", "200000.00"], ["钱敏", "230000.00"]]


def test_stream_sends_clarification(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    seed_small_tenant(database, tenant, ("华北", "华南"))

    response = client.post(
        "/api/v1/assistant/ask/stream",
        json={"question": "上季度华东区赢单金额最高的三个销售是谁？"},
        headers={"Accept-Language": "en"},
    )

    events = _events(response.text)
    assert [name for name, _ in events] == ["intent", "clarification", "done"]
    assert events[1][1]["code"] == "assistant_region_unknown"
    assert events[1][1]["options"] == ["华北", "华南"]


def test_cli_prints_answer_as_json_for_each_user(database: Database, tenant: TenantInfo) -> None:
    small = seed_small_tenant(database, tenant, ("华北", "华南"))

    def run(email: str) -> dict[str, object]:
        result = CliRunner().invoke(
            app,
            [
                "ask",
                "--tenant",
                tenant.slug,
                "--user",
                email,
                "--as-of",
                "2017-11-15",
                QUESTION,
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
        parsed: dict[str, object] = json.loads(result.stdout)
        return parsed

    director = run(small.director_email)
    rep = run(small.north_rep_email)

    assert director["intent"] == "query_data"
    assert director["rows"] == [["赵磊", "200000.00"], ["钱敏", "230000.00"]]
    assert rep["rows"] == [["赵磊", "200000.00"]]
    assert Decimal(str(rep["rows"][0][1])) == Decimal("200000")  # type: ignore[index]


def test_cli_rejects_unknown_user(database: Database, tenant: TenantInfo) -> None:
    result = CliRunner().invoke(
        app, ["ask", "--tenant", tenant.slug, "--user", "nobody@example.com", QUESTION, "--json"]
    )

    assert result.exit_code == 1
    assert "no active user nobody@example.com" in result.output
