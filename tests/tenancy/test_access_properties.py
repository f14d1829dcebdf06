"""Property-based access test: random org charts, roles, shares and records.

For every generated tenant, each user calls every list, get, search, export and
timeline endpoint, and the test checks the answers against an independent
model of the rules: nothing outside the user's rights comes back, and no
sensitive value appears in clear.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.customers.models import Account, Contact
from zhike.ingestion.standardize import id_number_check_character
from zhike.sales.models import Activity
from zhike.security.models import AuthSession, RecordShare, SharingRule, Team, User
from zhike.security.roles import BUILTIN_ROLES
from zhike.security.tenants import create_tenant

ROLES = (
    "sales_director",
    "sales_manager",
    "sales_rep",
    "marketer",
    "service_agent",
    "analyst",
    "auditor",
)
CITIES = ("北京", "上海", "杭州")
OBJECTS = ("accounts", "contacts", "activities")


@dataclass
class World:
    """What the test generated, with the facts the oracle needs."""

    tenant_id: uuid.UUID
    parents: dict[int, int | None]
    users: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] = field(default_factory=list)
    team_ids: dict[int, uuid.UUID] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)


def _subtree(parents: dict[int, int | None], root: int) -> set[int]:
    found = {root}
    changed = True
    while changed:
        changed = False
        for team, parent in parents.items():
            if parent in found and team not in found:
                found.add(team)
                changed = True
    return found


def _path(parents: dict[int, int | None], team: int | None) -> list[int]:
    path: list[int] = []
    while team is not None and team not in path:
        path.append(team)
        team = parents[team]
    return path


def visible(
    world: World,
    user: dict[str, Any],
    object_name: str,
    record: dict[str, Any],
    action: str = "read",
) -> bool:
    """The rules, written independently of the service: role, data scope, shares."""
    grant = BUILTIN_ROLES[user["role"]].objects.get(object_name)
    if grant is None or action not in grant.actions:
        return False
    if grant.scope == "company":
        return True
    owner = record["owner"]
    if owner == user["index"]:
        return True
    owner_team = world.users[owner]["team"] if owner is not None else None
    if user["team"] is not None and owner_team is not None:
        if grant.scope == "department" and owner_team == user["team"]:
            return True
        if grant.scope == "department_tree" and owner_team in _subtree(world.parents, user["team"]):
            return True
    path = _path(world.parents, user["team"])
    for share in world.shares:
        if share["object"] != object_name or share["record"] != record["index"]:
            continue
        if share["user"] == user["index"] or share["team"] in path or share["role"] == user["role"]:
            return True
    for rule in world.rules:
        if rule["object"] != object_name or record.get("city") != rule["city"]:
            continue
        if rule["role"] == user["role"] or rule["team"] in path:
            return True
    return False


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    team_count = draw(st.integers(1, 4))
    parents = {0: None}
    for team in range(1, team_count):
        parents[team] = draw(st.sampled_from([None, *range(team)]))
    users = [
        {
            "role": draw(st.sampled_from(ROLES)),
            "team": draw(st.sampled_from([None, *range(team_count)])),
        }
        for _ in range(draw(st.integers(2, 5)))
    ]
    owners = st.sampled_from([None, *range(len(users))])
    records = {
        name: [
            {"owner": draw(owners), "city": draw(st.sampled_from(CITIES))}
            for _ in range(draw(st.integers(1, 4)))
        ]
        for name in OBJECTS
    }
    rules = [
        {
            "object": draw(st.sampled_from(OBJECTS[:2])),
            "city": draw(st.sampled_from(CITIES)),
            **draw(
                st.one_of(
                    st.fixed_dictionaries({"role": st.sampled_from(ROLES), "team": st.none()}),
                    st.fixed_dictionaries(
                        {"role": st.none(), "team": st.integers(0, team_count - 1)}
                    ),
                )
            ),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    shares = []
    for _ in range(draw(st.integers(0, 3))):
        object_name = draw(st.sampled_from(OBJECTS[:2]))
        target = draw(st.sampled_from(["user", "team", "role"]))
        shares.append(
            {
                "object": object_name,
                "record": draw(st.integers(0, len(records[object_name]) - 1)),
                "user": draw(st.integers(0, len(users) - 1)) if target == "user" else None,
                "team": draw(st.integers(0, team_count - 1)) if target == "team" else None,
                "role": draw(st.sampled_from(ROLES)) if target == "role" else None,
            }
        )
    return {
        "parents": parents,
        "users": users,
        "records": records,
        "rules": rules,
        "shares": shares,
    }


def _mobile(number: int) -> str:
    return f"+86139{number:08d}"


def build(database: Database, plan: dict[str, Any]) -> tuple[World, dict[int, str]]:
    """Write the plan straight to the database and issue a login token per user."""
    tokens: dict[int, str] = {}
    with database.session() as session:
        tenant, _admin = create_tenant(
            session,
            f"p-{secrets.token_hex(5)}",
            "属性测试公司",
            "admin@prop.example.com",
            "Prop-test-2026",
        )
        world = World(tenant_id=tenant.id, parents=plan["parents"])
        for team in sorted(plan["parents"]):
            row = Team(tenant_id=tenant.id, name=f"部门{team}")
            session.add(row)
            session.flush()
            world.team_ids[team] = row.id
        for team, parent in plan["parents"].items():
            if parent is not None:
                session.get(Team, world.team_ids[team]).parent_id = world.team_ids[parent]  # type: ignore[union-attr]
        user_ids: dict[int, uuid.UUID] = {}
        for index, spec in enumerate(plan["users"]):
            user = User(
                tenant_id=tenant.id,
                email=f"u{index}@prop.example.com",
                display_name=f"用户{index}",
                role=spec["role"],
                team_id=world.team_ids.get(spec["team"]) if spec["team"] is not None else None,
            )
            session.add(user)
            session.flush()
            user_ids[index] = user.id
            world.users.append({"index": index, **spec, "id": user.id})
            token = secrets.token_urlsafe(24)
            tokens[index] = token
            session.add(
                AuthSession(
                    tenant_id=tenant.id,
                    user_id=user.id,
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    expires_at=utc_now() + timedelta(hours=1),
                )
            )
        counter = 0
        first_account: uuid.UUID | None = None
        for object_name in OBJECTS:
            world.records[object_name] = []
            for index, spec in enumerate(plan["records"][object_name]):
                counter += 1
                owner = user_ids.get(spec["owner"]) if spec["owner"] is not None else None
                if object_name == "accounts":
                    row: Any = Account(
                        tenant_id=tenant.id,
                        name=f"公司{counter}",
                        city=spec["city"],
                        owner_id=owner,
                        phone=_mobile(counter),
                        email=f"acct{counter}@corp.example.com",
                    )
                    world.secrets |= {_mobile(counter), f"acct{counter}@corp.example.com"}
                elif object_name == "contacts":
                    body = f"{110101199001010000 + counter}"[:17]
                    id_number = body + id_number_check_character(body)
                    row = Contact(
                        tenant_id=tenant.id,
                        name=f"联系人{counter}",
                        city=spec["city"],
                        owner_id=owner,
                        mobile=_mobile(counter),
                        email=f"person{counter}@mail.example.com",
                        id_number=id_number,
                        account_id=first_account,
                    )
                    world.secrets |= {
                        _mobile(counter),
                        f"person{counter}@mail.example.com",
                        id_number,
                    }
                else:
                    row = Activity(
                        tenant_id=tenant.id,
                        kind="call",
                        subject=f"电话{counter}",
                        owner_id=owner,
                        account_id=first_account,
                        occurred_at=utc_now() - timedelta(minutes=counter),
                    )
                session.add(row)
                session.flush()
                if object_name == "accounts" and first_account is None:
                    first_account = row.id
                world.records[object_name].append({"index": index, "id": row.id, **spec})
        for rule in plan["rules"]:
            session.add(
                SharingRule(
                    tenant_id=tenant.id,
                    object_name=rule["object"],
                    name="规则",
                    filters={"city": rule["city"]},
                    role_key=rule["role"],
                    team_id=world.team_ids[rule["team"]] if rule["team"] is not None else None,
                )
            )
            world.rules.append(rule)
        for share in plan["shares"]:
            session.add(
                RecordShare(
                    tenant_id=tenant.id,
                    object_name=share["object"],
                    record_id=world.records[share["object"]][share["record"]]["id"],
                    user_id=user_ids[share["user"]] if share["user"] is not None else None,
                    team_id=world.team_ids[share["team"]] if share["team"] is not None else None,
                    role_key=share["role"],
                )
            )
            world.shares.append(share)
    return world, tokens


def _assert_no_secret(world: World, text: str, where: str) -> None:
    leaked = [
        value for value in world.secrets if value in text or value.removeprefix("+86") in text
    ]
    assert leaked == [], f"{where} shows sensitive values in clear: {leaked}"


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=worlds())
def test_no_path_returns_more_than_the_rules_allow(
    database: Database, plan: dict[str, Any]
) -> None:
    world, tokens = build(database, plan)
    app = create_app()
    with TestClient(app) as client:
        for user in world.users:
            headers = {"Authorization": f"Bearer {tokens[user['index']]}"}
            for object_name in OBJECTS:
                records = world.records[object_name]
                expected = {str(r["id"]) for r in records if visible(world, user, object_name, r)}
                can_read = (
                    "read"
                    in (BUILTIN_ROLES[user["role"]].objects.get(object_name) or _NONE).actions
                )
                listed = client.get(
                    f"/api/v1/{object_name}", params={"limit": 500}, headers=headers
                )
                searched = client.get(f"/api/v1/{object_name}", params={"q": "1"}, headers=headers)
                if not can_read:
                    assert listed.status_code == 403
                    assert searched.status_code == 403
                    continue
                assert listed.status_code == 200, listed.text
                assert {item["id"] for item in listed.json()["items"]} == expected, (
                    user,
                    object_name,
                )
                assert {item["id"] for item in searched.json()["items"]} <= expected
                _assert_no_secret(world, listed.text, f"{object_name} list for {user['role']}")
                for record in records:
                    got = client.get(f"/api/v1/{object_name}/{record['id']}", headers=headers)
                    assert got.status_code == (200 if str(record["id"]) in expected else 404), (
                        got.text
                    )
                    _assert_no_secret(world, got.text, f"{object_name} record for {user['role']}")
                exported = client.get(
                    f"/api/v1/{object_name}/export", params={"format": "csv"}, headers=headers
                )
                if "export" in BUILTIN_ROLES[user["role"]].objects[object_name].actions:
                    assert exported.status_code == 200, exported.text
                    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
                    assert {row["id"] for row in rows} <= expected
                    assert len(rows) == len(expected)
                    _assert_no_secret(
                        world, exported.text, f"{object_name} export for {user['role']}"
                    )
                else:
                    assert exported.status_code == 403
            for account in world.records["accounts"]:
                timeline = client.get(f"/api/v1/accounts/{account['id']}/timeline", headers=headers)
                if not visible(world, user, "accounts", account):
                    assert timeline.status_code in (403, 404)
                    continue
                assert timeline.status_code == 200, timeline.text
                activity_ids = {
                    str(r["id"])
                    for r in world.records["activities"]
                    if visible(world, user, "activities", r)
                }
                for item in timeline.json()["items"]:
                    if item["record"]["object"] == "activities":
                        assert item["record"]["id"] in activity_ids
                _assert_no_secret(world, timeline.text, f"timeline for {user['role']}")


class _NoGrant:
    actions: frozenset[str] = frozenset()


_NONE = _NoGrant()
