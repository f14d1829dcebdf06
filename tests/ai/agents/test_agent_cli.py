"""``zhike agent``: a dry run and a real run with an approval, as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from agents_support import DemoTenant, actor_of, new_lead, user_with_role
from typer.testing import CliRunner

from zhike.cli import app
from zhike.core.db import Database, set_database


@pytest.fixture
def runner(database: Database) -> Iterator[CliRunner]:
    yield CliRunner()
    # The command opens a database of its own; the other tests keep using the fixture's.
    set_database(database)


def test_cli_runs_decides_and_shows(
    database: Database, demo: DemoTenant, runner: CliRunner
) -> None:
    rep = user_with_role(database, demo.tenant_id, "sales_rep", 12)
    actor = actor_of(database, demo.tenant_id, rep.email)
    lead_id = new_lead(database, actor, name="何静", email="he.jing@example.com")
    common = ["--tenant", demo.slug, "--user", rep.email]

    dry = runner.invoke(
        app,
        [
            "agent",
            "run",
            *common,
            "--agent",
            "lead_conversion",
            "--subject",
            str(lead_id),
            "--dry-run",
            "--json",
        ],
    )
    assert dry.exit_code == 0, dry.output
    dry_run = json.loads(dry.stdout)
    assert dry_run["status"] == "done"
    assert dry_run["is_dry_run"] is True
    assert dry_run["plan"]["chosen"] == "email_and_call"

    real = runner.invoke(
        app,
        [
            "agent",
            "run",
            *common,
            "--agent",
            "lead_conversion",
            "--subject",
            str(lead_id),
            "--json",
        ],
    )
    assert real.exit_code == 0, real.output
    run = json.loads(real.stdout)
    assert run["status"] == "waiting_person"
    send = next(step for step in run["steps"] if step["key"] == "send")
    assert send["executor"] == "person"

    shown = runner.invoke(app, ["agent", "show", run["id"], *common, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["id"] == run["id"]

    wrong = runner.invoke(app, ["agent", "decide", run["id"], "send", *common])
    assert wrong.exit_code == 1
    assert "waiting" in wrong.output

    missing = runner.invoke(
        app, ["agent", "run", *common, "--agent", "lead_conversion", "--subject", "x"]
    )
    assert missing.exit_code == 1
    assert "--subject x is not an id" in missing.output
