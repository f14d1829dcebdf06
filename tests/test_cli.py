"""The zhike command: db upgrade backups and refusals, tenant errors, and the demo."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from typer.testing import CliRunner

from zhike.cli import app
from zhike.core import db as core_db
from zhike.core.inuse import in_use_elsewhere
from zhike.core.migrate import alembic_config
from zhike.core.settings import reset_settings_cache

runner = CliRunner()


@pytest.fixture
def cli_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Run the CLI in an empty folder with no ZHIKE_* settings; restore process state after."""
    for name in list(os.environ):
        if name.startswith("ZHIKE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    previous_database = core_db._database
    previous_handlers = logging.getLogger().handlers[:]
    previous_level = logging.getLogger().level
    reset_settings_cache()
    yield tmp_path
    opened = core_db._database
    if opened is not None and opened is not previous_database:
        opened.dispose()
    core_db.set_database(previous_database)
    logging.getLogger().handlers[:] = previous_handlers
    logging.getLogger().setLevel(previous_level)
    reset_settings_cache()


def use_database(monkeypatch: pytest.MonkeyPatch, path: Path) -> str:
    url = f"sqlite:///{path}"
    monkeypatch.setenv("ZHIKE_DATABASE_URL", url)
    reset_settings_cache()
    return url


def table_rows(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def flatten(options: dict[str, str]) -> list[str]:
    return [part for pair in options.items() for part in pair]


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak"))


def test_db_upgrade_of_a_new_database_writes_no_backup(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(monkeypatch, cli_folder / "new.db")

    result = runner.invoke(app, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert "(was empty)" in result.output
    assert backups(cli_folder) == []


def test_db_upgrade_backs_up_a_database_with_data(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cli_folder / "old.db"
    url = use_database(monkeypatch, path)
    command.upgrade(alembic_config(url), "0001")
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "INSERT INTO tenants (id, slug, name, timezone, currency, locale, region, created_at, "
            "settings) VALUES ('00000000000000000000000000000001', 'old', '旧公司', "
            "'Asia/Shanghai', 'CNY', 'zh-CN', 'CN', '2025-01-01 00:00:00', '{}')"
        )

    result = runner.invoke(app, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    (backup,) = backups(cli_folder)
    assert f"backup written to {backup}" in result.output.replace("\n", "")
    assert table_rows(backup, "tenants") == 1
    assert table_rows(path, "tenants") == 1


def test_db_upgrade_refuses_a_database_from_a_newer_version(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cli_folder / "newer.db"
    use_database(monkeypatch, path)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")

    result = runner.invoke(app, ["db", "upgrade"])

    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "the database is at revision 9999_future" in output
    assert "Upgrade Zhike instead of the database" in output
    assert backups(cli_folder) == []
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "9999_future",
        )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["Bad_Slug"], "Tenant slug Bad_Slug is invalid"),
        (["acme", "--admin-email", "not-an-email"], "Administrator email not-an-email is invalid"),
        (["acme", "--admin-password", "short"], "The password is too short; use at least 10"),
        (["acme", "--admin-password", "alllowercase"], "The password must mix at least 3"),
        (["acme", "--admin-password", "Zhike-2026!"], "The password is easy to guess"),
        (["acme", "--admin-password", "P@ssword2026"], "The password is easy to guess"),
        (["acme", "--name", "  "], "The company name is empty"),
        (["acme", "--timezone", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (["existing"], "Tenant existing already exists; choose another slug."),
    ],
)
def test_tenants_create_errors_exit_non_zero_with_a_clear_message(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    path = cli_folder / "tenants.db"
    use_database(monkeypatch, path)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    base = {
        "--name": "测试公司",
        "--admin-email": "admin@example.com",
        "--admin-password": "Blue-river-2026",
    }
    created = runner.invoke(app, ["tenants", "create", "existing", *flatten(base)])
    assert created.exit_code == 0, created.output
    options = dict(base)
    options.update(dict(zip(arguments[1::2], arguments[2::2], strict=True)))

    result = runner.invoke(app, ["tenants", "create", arguments[0], *flatten(options)])

    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert table_rows(path, "tenants") == 1


EXPECTED_DEMO_COUNTS = {
    "accounts": 300,
    # 8000 generated rows and 33 scheduled through the services: series, overdue and next steps.
    "activities": 8033,
    "campaigns": 10,
    "contacts": 900,
    "leads": 500,
    "opportunities": 1500,
    "products": 12,
    # The current and previous quarter: company, sales centre, four regions and 16 reps.
    "sales_targets": 44,
    "teams": 7,
    "tickets": 600,
    "users": 27,  # 26 demo users and the administrator
}


def demo_snapshot(path: Path) -> tuple[dict[str, int], list[tuple[object, ...]]]:
    with closing(sqlite3.connect(path)) as connection:
        counts = {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in (*EXPECTED_DEMO_COUNTS, "campaign_members", "opportunity_stage_changes")
        }
        first = [
            *connection.execute(
                "SELECT name, unified_social_credit_code FROM accounts ORDER BY id LIMIT 3"
            ),
            *connection.execute("SELECT name, mobile, email FROM contacts ORDER BY id LIMIT 3"),
            *connection.execute("SELECT name, amount FROM opportunities ORDER BY id LIMIT 3"),
            # The open deals that entered their stage longest ago: the stalled ones.
            *connection.execute(
                "SELECT o.name, s.key FROM opportunities o"
                " JOIN pipeline_stages s ON s.id = o.stage_id WHERE o.closed_on IS NULL"
                " ORDER BY (SELECT max(h.changed_at) FROM opportunity_stage_changes h"
                " WHERE h.opportunity_id = o.id), o.id LIMIT 5"
            ),
        ]
    return counts, first


def test_demo_builds_the_same_data_set_every_run(cli_folder: Path) -> None:
    path = cli_folder / "var" / "demo.db"

    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "销售经理（密码相同）：" in first.output
    assert "销售代表（密码相同）：" in first.output
    first_snapshot = demo_snapshot(path)
    second = runner.invoke(app, ["demo", "--no-serve"])
    assert second.exit_code == 0, second.output
    second_snapshot = demo_snapshot(path)

    counts, records = first_snapshot
    assert {table: counts[table] for table in EXPECTED_DEMO_COUNTS} == EXPECTED_DEMO_COUNTS
    assert counts["campaign_members"] == 2087
    assert counts["opportunity_stage_changes"] > 1500
    assert second_snapshot == first_snapshot
    assert len(records) == 14
    with closing(sqlite3.connect(path)) as connection:
        processes = connection.execute(
            "SELECT key, is_default, product_series FROM sales_processes ORDER BY key"
        ).fetchall()
        guided = connection.execute(
            "SELECT count(*) FROM sales_process_stages"
            " WHERE guidance_zh IS NOT NULL AND guidance_en IS NOT NULL"
        ).fetchone()[0]
        rules = connection.execute(
            "SELECT recurrence_rule FROM activity_plans"
            " WHERE recurrence_rule IS NOT NULL ORDER BY recurrence_rule"
        ).fetchall()
        outcomes = connection.execute(
            "SELECT outcome FROM activity_plans WHERE check_in_at IS NOT NULL"
        ).fetchall()
        # Reps add up to their team, teams to their parent, top teams to the company.
        unbalanced = connection.execute(
            "SELECT t.name, s.period_start FROM sales_targets s JOIN teams t ON t.id = s.team_id"
            " WHERE s.amount != coalesce((SELECT sum(r.amount) FROM sales_targets r"
            " JOIN users u ON u.id = r.user_id WHERE u.team_id = t.id"
            " AND r.period_start = s.period_start), 0)"
            " + coalesce((SELECT sum(c.amount) FROM sales_targets c JOIN teams ct"
            " ON ct.id = c.team_id WHERE ct.parent_id = t.id"
            " AND c.period_start = s.period_start), 0)"
            " UNION ALL SELECT 'company', s.period_start FROM sales_targets s"
            " WHERE s.user_id IS NULL AND s.team_id IS NULL AND s.amount !="
            " (SELECT sum(c.amount) FROM sales_targets c JOIN teams ct ON ct.id = c.team_id"
            " WHERE ct.parent_id IS NULL AND c.period_start = s.period_start)"
        ).fetchall()
        quarters = connection.execute(
            "SELECT count(DISTINCT period_start) FROM sales_targets"
        ).fetchone()[0]
        # The demo scores every record last, so the quality summary matches record pages.
        scored = connection.execute(
            "SELECT object_name FROM quality_score_states ORDER BY object_name"
        ).fetchall()
    assert processes == [("private_deployment", 0, "软件许可"), ("standard", 1, None)]
    assert guided == 12
    assert rules == [("FREQ=MONTHLY;COUNT=6",), ("FREQ=WEEKLY;BYDAY=MO;COUNT=8",)]
    assert outcomes == [("interested",)]
    assert unbalanced == []
    assert quarters == 2
    assert scored == [("accounts",), ("contacts",), ("leads",)]
    assert "demo" in first.output
    assert "admin@demo.zhike.dev" in first.output
    assert "zhike-demo-2026" in first.output
    assert "var/demo.db" in second.output


def test_demo_refuses_an_explicit_database_that_already_has_the_demo_tenant(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cli_folder / "shared.db"
    use_database(monkeypatch, path)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    existing = ["tenants", "create", "demo", "--name", "已有", "--admin-email", "a@example.com"]
    assert runner.invoke(app, [*existing, "--admin-password", "Blue-river-2026"]).exit_code == 0

    result = runner.invoke(app, ["demo", "--no-serve"])

    assert result.exit_code == 1
    assert "数据库中已有租户 demo" in result.output
    assert table_rows(path, "accounts") == 0
    assert not (cli_folder / "var" / "demo.db").exists()


def test_demo_keeps_a_served_database(cli_folder: Path) -> None:
    path = cli_folder / "var" / "demo.db"
    path.parent.mkdir()
    path.write_bytes(b"stands in for the served demo")
    # Another process keeps the shared lock while it runs, as `zhike serve` does.
    server = subprocess.Popen(  # noqa: S603 - this interpreter and a fixed script
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from zhike.core.inuse import hold_shared;"
            "hold_shared(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "held"
        rejected = runner.invoke(app, ["demo", "--no-serve"])
        assert rejected.exit_code == 1
        assert "正被运行中的知客服务使用" in rejected.output
        assert path.read_bytes() == b"stands in for the served demo"
    finally:
        server.kill()
        server.wait()
    assert not in_use_elsewhere(path)


def test_import_summary_in_importer_language(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cli_folder / "import.db"
    use_database(monkeypatch, path)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    options = {
        "--name": "测试公司",
        "--admin-email": "admin@example.com",
        "--admin-password": "Blue-river-2026",
    }
    assert runner.invoke(app, ["tenants", "create", "acme", *flatten(options)]).exit_code == 0
    source = cli_folder / "contacts.csv"
    source.write_text(
        "external_id,name,mobile,email,city,company\n"
        "c1,张三,13812345678,,杭州,\n"
        "c2,李四,13812345679,,上海,\n"
        "c3,王五,12345,,北京,\n",
        encoding="utf-8",
    )
    arguments = ["import", "--tenant", "acme", "--profile", "contacts-csv"]
    arguments += ["--source", str(source), "--mode", "skip-invalid"]

    chinese = runner.invoke(app, arguments)
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE tenants SET locale = 'en'")
    english = runner.invoke(app, arguments)

    assert chinese.exit_code == 0, chinese.output
    assert "导入成功：读取 3 行，新建 2 条" in chinese.output.replace("\n", "")
    assert "被拒绝的行：" in chinese.output
    assert english.exit_code == 0, english.output
    assert "Import succeeded: 3 rows read, 0 created" in " ".join(english.output.split())
    assert table_rows(path, "contacts") == 2
