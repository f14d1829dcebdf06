"""Deactivating a user hands their open records over at once, by the tenant's configured mode."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.audit.models import AuditEvent
from zhike.core.db import Database
from zhike.customers.models import Account
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales import pools
from zhike.sales.models import Lead
from zhike.sales.pool_models import PoolEntry, PoolEvent
from zhike.sales.pool_schemas import PoolWrite
from zhike.security.context import Actor
from zhike.security.models import User


def _setup(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> tuple[User, User, uuid.UUID, uuid.UUID, uuid.UUID]:
    """Create a departing rep with a manager, a claimed pool lead, a direct lead and an account."""
    admin = tenant.actor
    manager = make_user("sales_manager", f"manager-{uuid.uuid4().hex[:4]}")
    departing = make_user()
    with database.session() as session:
        stored = session.get(User, departing.id)
        assert stored is not None
        stored.manager_id = manager.id
    with database.session() as session:
        pool = pools.create_pool(
            session, admin, PoolWrite(name="华北公海", max_owned_per_user=10, is_default=True)
        )
        leads = RecordService(session, admin, get_object("leads"))
        pooled = leads.create({"name": "王磊", "mobile": "13800001111", "province": "北京"}).id
        direct = leads.create(
            {"name": "赵敏", "mobile": "13800002222", "owner_id": departing.id}
        ).id
        account = (
            RecordService(session, admin, get_object("accounts"))
            .create({"name": "北京华联科技有限公司", "owner_id": departing.id})
            .id
        )
        pools.move_to_pool(session, admin, pool.id, [pooled], "新线索入池")
    with database.session() as session:
        pools.claim(session, actor_of(departing), pool.id, pooled, "客户来电")
    return departing, manager, pooled, direct, account


def _deactivate(client: TestClient, user: User) -> None:
    response = client.patch(f"/api/v1/users/{user.id}", json={"is_active": False})
    assert response.status_code == 200, response.text


def _owner(database: Database, model: type[Lead] | type[Account], record_id: uuid.UUID) -> object:
    with database.session() as session:
        return session.scalar(select(model.owner_id).where(model.id == record_id))


def test_pool_mode_returns_claimed_lead_at_once(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    departing, manager, pooled, direct, account = _setup(database, tenant, make_user, actor_of)
    response = client.put("/api/v1/sales/settings/departure-handover", json={"mode": "pool"})
    assert response.status_code == 200, response.text
    assert response.json() == {"mode": "pool"}

    _deactivate(client, departing)

    assert _owner(database, Lead, pooled) is None
    assert _owner(database, Account, account) == manager.id
    with database.session() as session:
        entry_state = session.scalar(select(PoolEntry.state).where(PoolEntry.record_id == pooled))
        reasons = session.scalars(
            select(PoolEvent.reason).where(
                PoolEvent.record_id == pooled, PoolEvent.action == "return"
            )
        ).all()
        handover = session.scalars(
            select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.tenant.id,
                AuditEvent.action == "owner.handover",
                AuditEvent.record_id == str(departing.id),
            )
        ).all()
        direct_owner = session.scalar(select(Lead.owner_id).where(Lead.id == direct))
    assert entry_state == "pooled"
    assert reasons == ["owner_left"]
    assert len(handover) == 1
    details = handover[0].details
    assert details is not None
    assert details["mode"] == "pool"
    assert details["returned_to_pool"] == 1
    assert handover[0].actor_id == tenant.admin.id
    # Without an assignment rule the direct lead has no taker and lands in the default pool.
    assert direct_owner != departing.id


def test_rules_mode_hands_customers_to_manager(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    departing, manager, pooled, direct, account = _setup(database, tenant, make_user, actor_of)
    taker = make_user()
    response = client.post(
        "/api/v1/sales/assignment-rules",
        json={"name": "全部", "members": [{"user_id": str(taker.id)}]},
    )
    assert response.status_code == 201, response.text
    assert client.get("/api/v1/sales/settings/departure-handover").json() == {"mode": "rules"}

    _deactivate(client, departing)

    assert _owner(database, Lead, pooled) == taker.id
    assert _owner(database, Lead, direct) == taker.id
    assert _owner(database, Account, account) == manager.id
    with database.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.tenant_id == tenant.tenant.id,
                AuditEvent.record_id == str(departing.id),
                AuditEvent.action.in_(("owner.handover", "owner.reassign")),
            )
        ).all()
    assert sorted(actions) == ["owner.handover", "owner.reassign"]


def test_reactivation_and_other_edits_hand_nothing(
    client: TestClient,
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    actor_of: Callable[[User], Actor],
) -> None:
    departing, _manager, pooled, _direct, account = _setup(database, tenant, make_user, actor_of)

    response = client.patch(f"/api/v1/users/{departing.id}", json={"display_name": "改名"})
    assert response.status_code == 200, response.text

    assert _owner(database, Lead, pooled) == departing.id
    assert _owner(database, Account, account) == departing.id


def test_setting_needs_administrator(
    database: Database,
    tenant: TenantInfo,
    make_user: Callable[..., User],
    login: Callable[[User], TestClient],
) -> None:
    rep = login(make_user())

    response = rep.put("/api/v1/sales/settings/departure-handover", json={"mode": "pool"})

    assert response.status_code == 403
    assert rep.get("/api/v1/sales/settings/departure-handover").json() == {"mode": "rules"}


def test_setting_rejects_unknown_mode(client: TestClient) -> None:
    response = client.put("/api/v1/sales/settings/departure-handover", json={"mode": "manager"})

    assert response.status_code == 422
    assert client.get("/api/v1/sales/settings/departure-handover").json() == {"mode": "rules"}
