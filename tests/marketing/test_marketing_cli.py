"""The ``zhike marketing`` commands."""

from __future__ import annotations

import json

from testkit import TenantInfo
from typer.testing import CliRunner

from zhike.cli import app
from zhike.core.db import Database


def test_attribution_command_prints_json(database: Database, tenant: TenantInfo) -> None:
    result = CliRunner().invoke(
        app,
        [
            "marketing",
            "attribution",
            "--tenant",
            tenant.slug,
            "--user",
            tenant.admin_email,
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["conversions"] == 0
    assert body["models"] == [
        "first_touch",
        "last_touch",
        "linear",
        "time_decay",
        "position_based",
        "markov",
    ]


def test_attribution_command_unknown_tenant(database: Database) -> None:
    result = CliRunner().invoke(
        app, ["marketing", "attribution", "--tenant", "no-such-tenant", "--user", "a@b.example.com"]
    )

    assert result.exit_code == 1
    assert "tenant no-such-tenant does not exist" in result.output


def test_cycle_command_runs(database: Database, tenant: TenantInfo) -> None:
    result = CliRunner().invoke(app, ["marketing", "cycle"])

    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)) == {"changes", "ab_winners", "advanced", "dispatched"}
