"""The ``zhike sales`` commands against the test database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from testkit import TenantInfo
from typer.testing import CliRunner

from zhike.cli import app
from zhike.core.db import Database, set_database

runner = CliRunner()


@pytest.fixture
def restore_database(database: Database) -> Iterator[None]:
    # The commands open their own Database and make it the process default.
    yield
    set_database(database)


def test_ageing_and_reminders_commands(
    client: TestClient, tenant: TenantInfo, restore_database: None
) -> None:
    created = client.post(
        "/api/v1/contracts",
        json={
            "title": "维保合同",
            "amount": "800.00",
            "signed_on": "2026-01-05",
            "instalments": [{"due_on": "2026-02-01", "amount": "800.00"}],
        },
    )
    assert created.status_code == 201, created.text

    ageing = runner.invoke(
        app, ["sales", "ageing", "--tenant", tenant.slug, "--as-of", "2026-03-01"]
    )
    reminders = runner.invoke(
        app, ["sales", "reminders", "--tenant", tenant.slug, "--now", "2026-03-01T09:00:00+08:00"]
    )
    bad_date = runner.invoke(app, ["sales", "ageing", "--tenant", tenant.slug, "--as-of", "3月1日"])

    assert ageing.exit_code == 0, ageing.output
    report = json.loads(ageing.stdout)
    assert report["by_owner"][0]["days_1_30"] == "800.00"
    assert reminders.exit_code == 0, reminders.output
    assert json.loads(reminders.stdout)["overdue_payments"] == 1
    assert bad_date.exit_code == 2
    assert "invalid date" in bad_date.output
