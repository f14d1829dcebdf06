"""Questions about activities: overdue tasks, the asker's own ones, and lists of activities."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from ask_support import ask_as
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.sales.models import Activity
from zhike.security.models import User

AS_OF = date(2026, 6, 15)


def _seed_tasks(database: Database, tenant: TenantInfo) -> None:
    """Store two overdue tasks, one done, one due later and one without a due date."""
    noon = datetime(2026, 6, 15, 4, tzinfo=UTC)
    tasks = [
        ("催回款", "open", noon - timedelta(days=3)),
        ("寄样品", "open", noon - timedelta(days=20)),
        ("发报价", "done", noon - timedelta(days=5)),
        ("回访", "open", noon + timedelta(days=2)),
        ("整理名片", "open", None),
    ]
    with database.session() as session:
        for subject, status, due_at in tasks:
            session.add(
                Activity(
                    tenant_id=tenant.tenant.id,
                    kind="task",
                    subject=subject,
                    status=status,
                    due_at=due_at,
                    owner_id=tenant.admin.id,
                )
            )


@pytest.mark.parametrize(
    "question",
    [
        "逾期未完成的活动有多少",
        "有几个逾期的任务",
        "How many overdue activities are there?",
        "how many tasks are overdue",
    ],
)
def test_overdue_activities_counted(database: Database, tenant: TenantInfo, question: str) -> None:
    _seed_tasks(database, tenant)

    answer = ask_as(database, tenant, question, as_of=AS_OF)

    assert answer.query is not None, answer.clarification
    assert answer.query.object == "activities"
    assert answer.rows == [[2]]


@pytest.mark.parametrize(
    "question", ["我逾期的待办", "我有几个逾期的任务", "how many overdue tasks do I have"]
)
def test_own_overdue_tasks(database: Database, tenant: TenantInfo, question: str) -> None:
    _seed_tasks(database, tenant)
    with database.session() as session:
        colleague = User(
            tenant_id=tenant.tenant.id,
            email=f"colleague@{tenant.slug}.example.com",
            display_name="同事",
            password_hash="-",
        )
        session.add(colleague)
        session.flush()
        session.add(
            Activity(
                tenant_id=tenant.tenant.id,
                kind="task",
                subject="同事的逾期任务",
                status="open",
                due_at=datetime(2026, 6, 1, tzinfo=UTC),
                owner_id=colleague.id,
            )
        )

    answer = ask_as(database, tenant, question, as_of=AS_OF)

    assert answer.query is not None, answer.clarification
    assert answer.rows == [[2]]


def test_activities_listed_by_subject(database: Database, tenant: TenantInfo) -> None:
    with database.session() as session:
        session.add(
            Activity(
                tenant_id=tenant.tenant.id,
                kind="visit",
                subject="拜访华为",
                occurred_at=datetime(2026, 6, 15, 2, tzinfo=UTC),
                owner_id=tenant.admin.id,
            )
        )
        session.add(
            Activity(
                tenant_id=tenant.tenant.id,
                kind="visit",
                subject="拜访华为",
                occurred_at=datetime(2026, 6, 16, 2, tzinfo=UTC),
                owner_id=tenant.admin.id,
            )
        )

    answer = ask_as(database, tenant, "本周有哪些拜访", as_of=AS_OF)

    assert answer.query is not None, answer.clarification
    assert [group.field for group in answer.query.group_by] == ["subject", "id"]
    assert [row[0] for row in answer.rows] == ["拜访华为", "拜访华为"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("明天到期的任务有几个", 0),
        ("这周到期的任务", 1),
        ("本周的任务有几个", 1),
        ("how many tasks are due this week", 1),
        ("有多少个未完成的任务", 4),
        ("已完成的任务有几个", 1),
        ("how many open tasks", 4),
    ],
)
def test_tasks_read_by_due_date_and_status(
    database: Database, tenant: TenantInfo, question: str, expected: int
) -> None:
    _seed_tasks(database, tenant)

    answer = ask_as(database, tenant, question, as_of=AS_OF)

    assert answer.query is not None, answer.clarification
    assert answer.rows == [[expected]], answer.query


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("list my open tasks", ["催回款", "回访", "寄样品", "整理名片"]),
        ("which tasks are due this week", ["回访"]),
        ("本周到期的任务有哪些", ["回访"]),
        ("列出逾期的任务", ["催回款", "寄样品"]),
    ],
)
def test_task_list_names_each_task(
    database: Database, tenant: TenantInfo, question: str, expected: list[str]
) -> None:
    _seed_tasks(database, tenant)

    answer = ask_as(database, tenant, question, as_of=AS_OF)

    assert answer.query is not None, answer.clarification
    assert [group.field for group in answer.query.group_by] == ["subject", "id"]
    assert sorted(row[0] for row in answer.rows) == sorted(expected)
    # The headings are the fields' labels in the asker's language, not column names.
    assert answer.column_labels["subject"] != "subject"
    assert answer.column_labels["id"] != "id"
    # Each row is one task, so there is nothing to chart.
    assert answer.chart is not None
    assert answer.chart.type == "table"
