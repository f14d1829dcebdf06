"""A date on a time field of a list filter means that day in the tenant's zone (Asia/Shanghai)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

# Due times in UTC and the Shanghai day each falls on.
DUE = {
    "早会准备": "2026-12-04T17:00:00Z",  # 5 December, 01:00
    "晚间回访": "2026-12-05T15:30:00Z",  # 5 December, 23:30
    "次日拜访": "2026-12-05T16:30:00Z",  # 6 December, 00:30
}


@pytest.fixture
def tasks(client: TestClient) -> None:
    for subject, due_at in DUE.items():
        response = client.post(
            "/api/v1/activities", json={"kind": "task", "subject": subject, "due_at": due_at}
        )
        assert response.status_code == 201, response.text
    response = client.post("/api/v1/activities", json={"kind": "task", "subject": "无期限"})
    assert response.status_code == 201, response.text


def _subjects(client: TestClient, **filters: str) -> list[str]:
    response = client.get("/api/v1/activities", params={**filters, "sort": "subject"})
    assert response.status_code == 200, response.text
    return sorted(item["subject"] for item in response.json()["items"])


@pytest.mark.usefixtures("tasks")
@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        ("due_at", "2026-12-05", ["早会准备", "晚间回访"]),
        ("due_at__gte", "2026-12-05", ["早会准备", "晚间回访", "次日拜访"]),
        ("due_at__lte", "2026-12-05", ["早会准备", "晚间回访"]),
        ("due_at__gt", "2026-12-05", ["次日拜访"]),
        ("due_at__lt", "2026-12-06", ["早会准备", "晚间回访"]),
        ("due_at__in", "2026-12-04,2026-12-06", ["次日拜访"]),
        ("due_at__ne", "2026-12-05", ["无期限", "次日拜访"]),
        # A time without an offset is Shanghai time. A time with an offset keeps it.
        ("due_at__lt", "2026-12-05T09:00", ["早会准备"]),
        ("due_at__lt", "2026-12-05T09:00:00+00:00", ["早会准备"]),
        ("due_at__lt", "2026-12-05T16:00:00Z", ["早会准备", "晚间回访"]),
    ],
)
def test_time_filter_date_means_shanghai_day(
    client: TestClient, parameter: str, value: str, expected: list[str]
) -> None:
    assert _subjects(client, **{parameter: value}) == sorted(expected)


@pytest.mark.usefixtures("tasks")
def test_export_date_filter_matches_list(client: TestClient) -> None:
    response = client.get(
        "/api/v1/activities/export", params={"format": "csv", "due_at": "2026-12-05"}
    )

    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    subjects = sorted(row["subject"] for row in csv.DictReader(io.StringIO(text)))
    assert subjects == ["早会准备", "晚间回访"]


def test_time_filter_rejects_impossible_date(client: TestClient) -> None:
    response = client.get("/api/v1/activities", params={"due_at__gte": "2026-02-30"})

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_filter_value"
    assert "2026-02-30" in body["detail"]
