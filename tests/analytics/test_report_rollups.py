"""Reports answered from the opportunity rollup give exactly the base tables' rows.

Every scenario runs each query twice per viewer, once free to use the rollup and
once forced onto the base tables, and compares the rows; it also checks which
source the engine chose and that the rollup equals a fresh grouping.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest
from analytics_support import add_opportunity, add_team, add_user, log_in_user, stage_ids
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from testkit import TenantInfo
from typer.testing import CliRunner

from zhike.analytics.compile import compile_report
from zhike.analytics.query import ReportExplanation, ReportQuery, ReportResult
from zhike.analytics.rollup_models import OpportunityRollup
from zhike.analytics.rollups import check_rollups, rebuild_rollups, repair_rollups
from zhike.analytics.service import explain_report, report_context, run_report
from zhike.cli import app
from zhike.core import db as core_db
from zhike.core.db import Database, set_database
from zhike.core.errors import Forbidden
from zhike.core.timeutil import utc_now
from zhike.customers.merge import merge_records
from zhike.customers.merge_schemas import MergeOptions
from zhike.customers.models import Account
from zhike.ingestion.importer import import_for_actor
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales.models import Opportunity
from zhike.security.actors import actor_for
from zhike.security.context import Actor
from zhike.security.models import RecordShare, Role, SharingRule, Tenant, User
from zhike.security.roles import ObjectGrant, RoleDefinition

runner = CliRunner()
WON_BY_OWNER_AND_MONTH = {
    "object": "opportunities",
    "filters": [{"field": "stage.key", "op": "eq", "value": "won"}],
    "group_by": [
        {"field": "owner_id", "alias": "owner"},
        {"field": "closed_on", "bucket": "month", "alias": "month"},
    ],
    "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount", "alias": "won"}],
}
QUERIES: list[dict[str, Any]] = [
    WON_BY_OWNER_AND_MONTH,
    {
        "object": "opportunities",
        "group_by": [{"field": "stage.key"}, {"field": "currency"}],
        "measures": [
            {"aggregate": "count"},
            {"aggregate": "count", "field": "amount"},
            {"aggregate": "count", "field": "closed_on"},
            {"aggregate": "sum", "field": "amount"},
            {"aggregate": "avg", "field": "amount"},
        ],
    },
    {
        "object": "opportunities",
        "filters": [{"field": "closed_on", "op": "relative", "value": "last_quarter"}],
        "group_by": [{"field": "closed_on", "bucket": "month"}],
        "measures": [
            {"aggregate": "count"},
            {"aggregate": "sum", "field": "amount"},
            {
                "aggregate": "share",
                "alias": "win_rate",
                "where": [{"field": "stage.is_won", "op": "eq", "value": True}],
            },
        ],
        "compare_previous": True,
        "as_of": "2025-04-15",
    },
    {
        "object": "opportunities",
        "filters": [{"field": "closed_on", "op": "between", "value": ["2024-12-01", "2025-06-30"]}],
        "group_by": [{"field": "closed_on", "bucket": "quarter"}, {"field": "stage_id"}],
        "measures": [{"aggregate": "count"}, {"aggregate": "avg", "field": "amount"}],
    },
    {
        "object": "opportunities",
        "filters": [{"field": "closed_on", "op": "is_empty"}],
        "measures": [{"aggregate": "count"}, {"aggregate": "sum", "field": "amount"}],
    },
    {
        "object": "opportunities",
        "filters": [
            {"field": "closed_on", "op": "is_not_empty"},
            {"field": "currency", "op": "in", "value": ["CNY", "USD"]},
        ],
        "group_by": [
            {"field": "owner.team_id", "alias": "team"},
            {"field": "closed_on", "bucket": "year"},
        ],
        "measures": [{"aggregate": "count"}, {"aggregate": "avg", "field": "amount"}],
    },
    {
        "object": "opportunities",
        "filters": [{"field": "stage.is_lost", "op": "eq", "value": False}],
        "group_by": [{"field": "closed_on", "bucket": "fiscal_year"}],
        "measures": [{"aggregate": "count", "field": "owner.display_name"}],
    },
]


class World:
    """A tenant with a small sales organisation and viewers of every data scope."""

    def __init__(self, database: Database, tenant: TenantInfo) -> None:
        self.database = database
        self.tenant = tenant
        self.stages = stage_ids(database, tenant)
        north = add_team(database, tenant, "华北")
        beijing = add_team(database, tenant, "北京", parent_id=north)
        south = add_team(database, tenant, "华南")
        self.manager = _user(database, tenant, "manager", "sales_manager", north)
        self.rep_beijing = _user(database, tenant, "rep-bj", "sales_rep", beijing)
        self.rep_north = _user(database, tenant, "rep-hb", "sales_rep", north)
        self.rep_south = _user(database, tenant, "rep-hn", "sales_rep", south)
        self.director = add_user(database, tenant, "director", "sales_director")
        _add_role(
            database,
            tenant,
            "north_analyst",
            ObjectGrant(actions=frozenset({"read"}), scope="department"),
        )
        self.analyst = _user(database, tenant, "analyst", "north_analyst", north)
        self.owners = [self.rep_beijing, self.rep_north, self.rep_south, self.manager]
        # Viewers whose rows the rollup can express: company, department tree, department, own.
        self.viewers = [
            None,
            self.director,
            self.manager,
            self.analyst,
            self.rep_beijing,
            self.rep_south,
        ]

    def actor(self, user_id: uuid.UUID | None) -> Actor:
        with self.database.session() as session:
            found = session.get(Tenant, self.tenant.tenant.id)
            user = session.get(User, user_id or self.tenant.admin.id)
            assert found is not None
            assert user is not None
            return actor_for(found, user, session)

    def fill(self, count: int, start: int = 0) -> list[uuid.UUID]:
        """Add ``count`` opportunities spread over owners, stages, currencies and days."""
        keys = ["prospecting", "proposal", "won", "won", "lost"]
        created = []
        for number in range(start, start + count):
            key = keys[number % len(keys)]
            closed = (
                date(2024, 11, 1) + timedelta(days=number * 7) if key in ("won", "lost") else None
            )
            amount = None if number % 11 == 0 else f"{1000 + number * 37}.{number % 100:02d}"
            created.append(
                add_opportunity(
                    self.database,
                    self.tenant,
                    self.owners[number % len(self.owners)],
                    self.stages[key],
                    amount,
                    closed,
                    currency="USD" if number % 6 == 0 else "CNY",
                )
            )
        return created


def _user(
    database: Database, tenant: TenantInfo, name: str, role: str, team_id: uuid.UUID
) -> uuid.UUID:
    with database.session() as session:
        user = User(
            tenant_id=tenant.tenant.id,
            email=f"{name}@{tenant.slug}.example.com",
            display_name=name,
            role=role,
            team_id=team_id,
        )
        session.add(user)
        session.flush()
        return user.id


def _add_role(database: Database, tenant: TenantInfo, key: str, grant: ObjectGrant) -> None:
    definition = RoleDefinition(key=key, name_zh=key, name_en=key, objects={"opportunities": grant})
    with database.session() as session:
        session.add(
            Role(
                tenant_id=tenant.tenant.id,
                key=key,
                name_zh=key,
                name_en=key,
                definition=definition.model_dump(mode="json"),
            )
        )


def _run(
    world: World, user_id: uuid.UUID | None, query: dict[str, Any], rollups: bool
) -> ReportResult:
    actor = world.actor(user_id)
    with world.database.session() as session:
        return run_report(session, actor, ReportQuery.model_validate(query), use_rollups=rollups)


def _explain(world: World, user_id: uuid.UUID | None, query: dict[str, Any]) -> ReportExplanation:
    actor = world.actor(user_id)
    with world.database.session() as session:
        return explain_report(session, actor, ReportQuery.model_validate(query))


def assert_rollup_matches_base(world: World, expect_rollup: bool = True) -> None:
    for user_id in world.viewers:
        for query in QUERIES:
            with_rollup = _run(world, user_id, query, rollups=True)
            without = _run(world, user_id, query, rollups=False)
            assert with_rollup.rows == without.rows, (user_id, query)
            assert with_rollup.columns == without.columns
            if expect_rollup:
                assert _explain(world, user_id, query).source == "rollup", (user_id, query)
    with world.database.session() as session:
        check = check_rollups(session, world.tenant.tenant.id)
    assert check.differing_rows == 0, check.examples
    assert check.actual_rows == check.expected_rows


def test_rollup_matches_base_for_each_scope(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    world.fill(60)

    assert_rollup_matches_base(world)

    manager_rows = _run(world, world.manager, WON_BY_OWNER_AND_MONTH, rollups=True).rows
    assert {row[0] for row in manager_rows} == {world.manager, world.rep_beijing, world.rep_north}
    rep_rows = _run(world, world.rep_south, WON_BY_OWNER_AND_MONTH, rollups=True).rows
    assert {row[0] for row in rep_rows} == {world.rep_south}


def test_rollup_follows_service_changes(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    created = world.fill(40)
    actor = world.actor(None)
    with database.session() as session:
        service = RecordService(session, actor, get_object("opportunities"))
        # Owner change, stage change, amount change, close date change, amount cleared.
        service.update(created[0], {"owner_id": world.rep_south}, None)
        service.update(
            created[1], {"stage_id": world.stages["won"], "closed_on": date(2025, 3, 3)}, None
        )
        service.update(created[2], {"amount": Decimal("99999.99")}, None)
        service.update(created[3], {"closed_on": date(2025, 5, 20)}, None)
        service.update(created[4], {"amount": None}, None)
        service.update(created[5], {"currency": "USD", "name": "改名"}, None)
        service.delete(created[6], None)
        service.create(
            {
                "name": "新商机",
                "owner_id": world.rep_beijing,
                "stage_id": world.stages["won"],
                "amount": "123.45",
                "closed_on": date(2025, 2, 14),
            }
        )

    assert_rollup_matches_base(world)


def test_rollup_follows_bulk_and_hard_deletes(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    created = world.fill(50)
    with database.session() as session:
        session.execute(
            update(Opportunity)
            .where(Opportunity.id.in_(created[:20]))
            .values(owner_id=world.rep_north, amount=Decimal("10.00"))
        )
        session.execute(delete(Opportunity).where(Opportunity.id.in_(created[20:25])))
        # A soft-deleted row leaves the rollup, and restoring it brings it back.
        session.execute(
            update(Opportunity)
            .where(Opportunity.id.in_(created[25:30]))
            .values(deleted_at=utc_now())
        )
        session.execute(
            update(Opportunity).where(Opportunity.id == created[25]).values(deleted_at=None)
        )

    assert_rollup_matches_base(world)


def test_rollup_follows_merges(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    with database.session() as session:
        survivor = Account(tenant_id=tenant.tenant.id, name="华为技术")
        merged = Account(tenant_id=tenant.tenant.id, name="华为技术有限公司")
        session.add_all([survivor, merged])
        session.flush()
        survivor_id, merged_id = survivor.id, merged.id
    for number, account in enumerate([survivor_id, merged_id, merged_id]):
        add_opportunity(
            database,
            tenant,
            world.owners[number],
            world.stages["won"],
            "500.00",
            date(2025, 1, 10 + number),
            account_id=account,
        )
    actor = world.actor(None)
    with database.session() as session:
        merge_records(session, actor, "accounts", survivor_id, merged_id, MergeOptions())
    with database.session() as session:
        moved = session.scalars(
            select(Opportunity.account_id).where(Opportunity.tenant_id == tenant.tenant.id)
        ).all()
    assert set(moved) == {survivor_id}

    assert_rollup_matches_base(world)


IMPORT_PROFILE = """\
name: rollup-test-opportunities
source: rollup-test
steps:
  - name: opportunities
    target: opportunities
    file: opportunities.csv
    fields:
      external_id: code
      name: name
      owner_id: {column: owner, lookup: {object: users, by: email}}
      stage_id: {column: stage, required: true, lookup: {object: pipeline_stages, by: key}}
      closed_on: {column: closed_on, type: date}
      amount: {column: amount, type: decimal}
      currency: currency
"""


def _import(world: World, folder: Path, rows: Sequence[tuple[str, ...]]) -> None:
    header = "code,name,owner,stage,closed_on,amount,currency\n"
    (folder / "opportunities.csv").write_text(
        header + "".join(",".join(row) + "\n" for row in rows), encoding="utf-8"
    )
    profile = folder / "profile.yaml"
    profile.write_text(IMPORT_PROFILE, encoding="utf-8")
    result = import_for_actor(world.database, world.actor(None), profile, folder)
    assert result.status == "succeeded", result.error
    assert result.rows_rejected == 0


def test_rollup_follows_imports(database: Database, tenant: TenantInfo, tmp_path: Path) -> None:
    world = World(database, tenant)
    world.fill(10)
    emails = {
        owner: f"{name}@{tenant.slug}.example.com"
        for owner, name in zip(world.owners, ["rep-bj", "rep-hb", "rep-hn", "manager"], strict=True)
    }
    owners = list(emails.values())
    first = [
        (
            f"D{number}",
            f"导入{number}",
            owners[number % 4],
            "won" if number % 3 else "lost",
            f"2025-0{number % 9 + 1}-1{number % 9}",
            f"{number * 100}.50",
            "CNY",
        )
        for number in range(30)
    ]
    _import(world, tmp_path, first)
    assert_rollup_matches_base(world)

    # The second file updates every row: other owners, stages, days and amounts.
    second = [
        (
            code,
            name,
            owners[(index + 1) % 4],
            "won",
            f"2024-12-{index % 28 + 1:02d}",
            f"{index * 7}.25" if index % 5 else "",
            "USD" if index % 2 else "CNY",
        )
        for index, (code, name, *_rest) in enumerate(first)
    ]
    _import(world, tmp_path, second)
    assert_rollup_matches_base(world)


def test_shares_rules_and_hidden_amounts_fall_back(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    created = world.fill(30)
    with database.session() as session:
        session.add(
            RecordShare(
                tenant_id=tenant.tenant.id,
                object_name="opportunities",
                record_id=created[3],
                user_id=world.rep_south,
            )
        )
        session.add(
            SharingRule(
                tenant_id=tenant.tenant.id,
                object_name="opportunities",
                name="美元商机",
                filters={"currency": "USD"},
                team_id=None,
                role_key="sales_manager",
            )
        )
    hidden = ObjectGrant(actions=frozenset({"read"}), scope="company", fields={"amount": "hidden"})
    _add_role(database, tenant, "no_amounts", hidden)
    no_amounts = _user(
        database, tenant, "no-amounts", "no_amounts", add_team(database, tenant, "财务")
    )
    count_only = {**WON_BY_OWNER_AND_MONTH, "measures": [{"aggregate": "count"}]}

    for viewer, reason in (
        (world.rep_south, "record_shares_or_sharing_rules"),
        (world.manager, "record_shares_or_sharing_rules"),
        (no_amounts, "field_hidden"),
    ):
        explanation = _explain(world, viewer, count_only)
        assert explanation.source == "base_tables"
        assert explanation.table == "opportunities"
        assert explanation.fallback_reason == reason
        assert (
            _run(world, viewer, count_only, True).rows
            == _run(world, viewer, count_only, False).rows
        )

    # The shared deal is won and owned by the manager, so the rep sees one row more.
    own = {
        **count_only,
        "filters": [
            *count_only["filters"],
            {"field": "owner_id", "op": "eq", "value": str(world.rep_south)},
        ],
    }
    own_count = sum(row[2] for row in _run(world, None, own, True).rows)
    shared_count = sum(row[2] for row in _run(world, world.rep_south, count_only, True).rows)
    assert shared_count == own_count + 1
    with pytest.raises(Forbidden):
        _run(world, no_amounts, WON_BY_OWNER_AND_MONTH, True)
    # The administrator and the director see every row whatever the shares say.
    assert _explain(world, None, count_only).source == "rollup"
    assert _explain(world, world.director, count_only).source == "rollup"


def test_compiled_queries_follow_permission_changes(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    world.fill(30)
    company = ObjectGrant(actions=frozenset({"read"}), scope="company")
    _add_role(database, tenant, "reviewer", company)
    reviewer = _user(database, tenant, "reviewer", "reviewer", add_team(database, tenant, "审计"))
    everything = _run(world, reviewer, WON_BY_OWNER_AND_MONTH, True).rows
    assert everything == _run(world, reviewer, WON_BY_OWNER_AND_MONTH, False).rows
    assert {row[0] for row in everything} == set(world.owners)

    def change_grant(grant: ObjectGrant) -> None:
        definition = RoleDefinition(
            key="reviewer", name_zh="reviewer", name_en="reviewer", objects={"opportunities": grant}
        )
        with database.session() as session:
            session.execute(
                update(Role)
                .where(Role.tenant_id == tenant.tenant.id, Role.key == "reviewer")
                .values(definition=definition.model_dump(mode="json"))
            )

    # The same query again, after the role lost the amount: the compiled form is not reused.
    change_grant(company.model_copy(update={"fields": {"amount": "hidden"}}))
    count_only = {**WON_BY_OWNER_AND_MONTH, "measures": [{"aggregate": "count"}]}
    assert _explain(world, reviewer, count_only).fallback_reason == "field_hidden"
    with pytest.raises(Forbidden):
        _run(world, reviewer, WON_BY_OWNER_AND_MONTH, True)

    # Narrowed to the viewer's own deals, of which there are none.
    change_grant(company.model_copy(update={"scope": "own"}))
    assert _explain(world, reviewer, WON_BY_OWNER_AND_MONTH).source == "rollup"
    assert _run(world, reviewer, WON_BY_OWNER_AND_MONTH, True).rows == []

    # The administrator reads the whole tenant, as the reviewer did at first.
    assert _run(world, None, WON_BY_OWNER_AND_MONTH, True).rows == everything


def test_unsupported_queries_fall_back(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    world.fill(20)
    cases = {
        "field_not_in_rollup": {
            "object": "opportunities",
            "group_by": [{"field": "account.industry"}],
        },
        "measure_not_in_rollup": {
            "object": "opportunities",
            "measures": [{"aggregate": "max", "field": "amount"}],
        },
    }
    for reason, query in cases.items():
        explanation = _explain(world, None, query)
        assert explanation.source == "base_tables"
        assert explanation.fallback_reason == reason
    for needs_days in (
        {"object": "opportunities", "group_by": [{"field": "closed_on", "bucket": "week"}]},
        {"object": "opportunities", "group_by": [{"field": "closed_on"}]},
        {
            "object": "opportunities",
            "filters": [
                {"field": "closed_on", "op": "between", "value": ["2025-01-02", "2025-03-31"]}
            ],
        },
        {
            "object": "opportunities",
            "filters": [{"field": "closed_on", "op": "relative", "value": "last_30_days"}],
            "as_of": "2025-04-15",
        },
        {
            "object": "opportunities",
            "filters": [{"field": "closed_on", "op": "gte", "value": "2025-01-01"}],
        },
        {
            # Whole months, but the previous period of 59 days starts mid-month.
            "object": "opportunities",
            "filters": [
                {"field": "closed_on", "op": "between", "value": ["2025-01-01", "2025-02-28"]}
            ],
            "compare_previous": True,
        },
    ):
        explanation = _explain(world, None, needs_days)
        assert explanation.source == "base_tables", needs_days
        assert explanation.fallback_reason == "closed_on_finer_than_month"
        assert _run(world, None, needs_days, True).rows == _run(world, None, needs_days, False).rows
    filtered_on_amount = {
        **WON_BY_OWNER_AND_MONTH,
        "filters": [{"field": "amount", "op": "gt", "value": 2000}],
    }
    assert _explain(world, None, filtered_on_amount).fallback_reason == "field_not_in_rollup"
    clipped = {
        "object": "opportunities",
        "measures": [{"aggregate": "sum", "field": "amount", "clip": "5000"}],
    }
    assert _explain(world, None, clipped).fallback_reason == "measure_not_in_rollup"
    accounts = _explain(world, None, {"object": "accounts"})
    assert accounts.source == "base_tables"
    assert accounts.fallback_reason is None
    for query in [*cases.values(), filtered_on_amount, clipped]:
        assert _run(world, None, query, True).rows == _run(world, None, query, False).rows


def _reachable(root: object) -> Iterator[object]:
    """Yield the objects reachable from ``root``.

    Classes, modules and the globals of functions are not followed, because they lead
    to every object of the process; the cells of closures are.
    """
    seen: set[int] = set()
    pending = [root]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, type | ModuleType):
            continue
        if isinstance(item, FunctionType):
            pending.extend(cell.cell_contents for cell in item.__closure__ or ())
            pending.extend(item.__defaults__ or ())
            continue
        pending.extend(gc.get_referents(item))


def _compile(world: World, user_id: uuid.UUID | None, query: ReportQuery) -> object:
    actor = world.actor(user_id)
    with world.database.session() as session:
        return compile_report(session, actor, query, report_context(session, actor, query.as_of))


def test_compiled_query_shared_without_session(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    world.fill(20)
    compared = ReportQuery.model_validate(QUERIES[2])

    # The administrator and the director both read the whole tenant: one key, one entry.
    first = _compile(world, None, compared)
    second = _compile(world, world.director, compared)
    assert second is first
    leaked = [item for item in _reachable(first) if isinstance(item, Session | Actor)]
    assert leaked == []

    # A narrower scope is part of the key, so the manager's query is compiled on its own.
    assert _compile(world, world.manager, compared) is not first
    with_rollup = _run(world, world.director, QUERIES[2], rollups=True)
    assert with_rollup.rows == _run(world, world.director, QUERIES[2], rollups=False).rows
    assert len(with_rollup.columns) == 1 + 3 * 3


def test_explanation_names_the_rollup(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)

    explanation = _explain(world, world.rep_beijing, WON_BY_OWNER_AND_MONTH)

    assert explanation.source == "rollup"
    assert explanation.table == "opportunity_rollups"
    assert explanation.fallback_reason is None
    assert "FROM opportunity_rollups" in explanation.statement
    assert "opportunity_rollups.owner_id IN" in explanation.statement


def test_rebuild_and_check_repair_drift(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    world.fill(25)
    with database.session() as session:
        session.execute(
            update(OpportunityRollup)
            .where(OpportunityRollup.tenant_id == tenant.tenant.id)
            .values(record_count=OpportunityRollup.record_count + 1)
        )
    with database.session() as session:
        drifted = check_rollups(session, tenant.tenant.id)
    assert drifted.differing_rows == drifted.expected_rows
    assert drifted.differing_rows > 0

    with database.session() as session:
        rebuilt = rebuild_rollups(session, tenant.tenant.id)
    with database.session() as session:
        repaired = check_rollups(session, tenant.tenant.id)

    assert rebuilt == drifted.expected_rows
    assert repaired.differing_rows == 0
    assert_rollup_matches_base(world)


def test_concurrent_writers_add_up(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    writers, per_writer = 4, 15
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for _ in range(per_writer):
                # Every writer adds to the same rollup row, each in its own transaction.
                add_opportunity(
                    database, tenant, world.rep_north, world.stages["won"], "1.01", date(2025, 4, 1)
                )
        except BaseException as error:  # handed to the test thread below
            failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with database.session() as session:
        row = session.scalars(
            select(OpportunityRollup).where(
                OpportunityRollup.tenant_id == tenant.tenant.id,
                OpportunityRollup.closed_month == date(2025, 4, 1),
            )
        ).one()
        assert row.record_count == writers * per_writer
        assert row.amount_sum == Decimal("1.01") * writers * per_writer
    assert_rollup_matches_base(world)


def test_repair_job_rebuilds_drifted_tenants(database: Database, tenant: TenantInfo) -> None:
    world = World(database, tenant)
    world.fill(15)
    with database.session() as session:
        session.execute(
            delete(OpportunityRollup).where(OpportunityRollup.tenant_id == tenant.tenant.id)
        )

    outcome = repair_rollups(database)

    assert outcome["tenants_rebuilt"] >= 1
    assert outcome["tenants_checked"] >= 1
    assert_rollup_matches_base(world)


@pytest.fixture
def cli_database(database: Database) -> Iterator[Database]:
    """The test database for the CLI, which opens its own; the fixture's is restored after."""
    handlers = logging.getLogger().handlers[:]
    level = logging.getLogger().level
    yield database
    opened = core_db._database
    if opened is not None and opened is not database:
        opened.dispose()
    set_database(database)
    logging.getLogger().handlers[:] = handlers
    logging.getLogger().setLevel(level)


def test_cli_checks_repairs_and_explains(
    cli_database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    world = World(cli_database, tenant)
    world.fill(12)
    with cli_database.session() as session:
        session.execute(
            update(OpportunityRollup)
            .where(OpportunityRollup.tenant_id == tenant.tenant.id)
            .values(amount_sum=0)
        )
    slug = ["--tenant", tenant.slug]

    drifted = runner.invoke(app, ["report", "check-rollups", *slug])
    repaired = runner.invoke(app, ["report", "check-rollups", *slug, "--repair"])
    clean = runner.invoke(app, ["report", "check-rollups", *slug])
    rebuilt = runner.invoke(app, ["report", "rebuild-rollups", *slug])
    unknown = runner.invoke(app, ["report", "check-rollups", "--tenant", "no-such-tenant"])
    query = tmp_path / "query.json"
    query.write_text(json.dumps(WON_BY_OWNER_AND_MONTH), encoding="utf-8")
    explained = runner.invoke(
        app, ["report", "explain", *slug, "--user", tenant.admin_email, "--query", str(query)]
    )

    assert drifted.exit_code == 1, drifted.output
    assert "--repair" in drifted.output
    assert repaired.exit_code == 0, repaired.output
    assert "rebuilt from the opportunities" in repaired.output
    assert clean.exit_code == 0, clean.output
    assert " 0 differ" in clean.output
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "opportunity rollup rebuilt" in rebuilt.output
    assert unknown.exit_code == 1
    assert "tenant no-such-tenant does not exist" in unknown.output
    assert explained.exit_code == 0, explained.output
    assert json.loads(explained.stdout)["source"] == "rollup"


def test_explain_endpoint_permissions(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    rep_id, rep_headers = log_in_user(client, database, tenant, "rep", "sales_rep")
    _, marketer_headers = log_in_user(client, database, tenant, "marketer", "marketer")
    add_opportunity(database, tenant, rep_id, stage_ids(database, tenant)["won"], "10.00")

    anonymous = client.post(
        "/api/v1/reports/explain", json=WON_BY_OWNER_AND_MONTH, headers={"Authorization": ""}
    )
    rep = client.post("/api/v1/reports/explain", json=WON_BY_OWNER_AND_MONTH, headers=rep_headers)
    marketer = client.post(
        "/api/v1/reports/explain", json=WON_BY_OWNER_AND_MONTH, headers=marketer_headers
    )
    invalid = client.post("/api/v1/reports/explain", json={"object": "opportunities", "limit": 0})

    assert anonymous.status_code == 401
    assert rep.status_code == 200, rep.text
    assert rep.json()["source"] == "rollup"
    assert rep.json()["table"] == "opportunity_rollups"
    assert "opportunity_rollups.owner_id IN" in rep.json()["statement"]
    assert marketer.status_code == 403
    assert marketer.json()["code"] == "action_forbidden"
    assert invalid.status_code == 422
