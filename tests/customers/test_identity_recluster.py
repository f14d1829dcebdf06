"""Batch re-clustering: backfill of unlinked records, stable ids, thresholds, the queued job."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.customers.identity_models import CustomerIdentity, CustomerLink, GlobalCustomer
from zhike.customers.jobs import recluster_task, run_recluster
from zhike.customers.merge_models import DuplicateCandidate
from zhike.customers.models import Account, Contact
from zhike.jobs.queue import get_queue
from zhike.sales.models import Lead
from zhike.security.auth import hash_password
from zhike.security.models import User

# A generous wait: on a loaded machine the embedded worker takes a while to pick a task up.
WAIT_SECONDS = 120


def insert_unlinked(
    database: Database, tenant: TenantInfo, model: Any, rows: list[dict[str, Any]]
) -> list[uuid.UUID]:
    """Store rows straight into the table, as data from before identity resolution."""
    now = utc_now()
    ids = [new_id() for _ in rows]
    values = [
        {
            "id": row_id,
            "tenant_id": tenant.tenant.id,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "custom": {},
            **row,
        }
        for row_id, row in zip(ids, rows, strict=True)
    ]
    with database.session() as session:
        session.execute(insert(model), values)
    return ids


def customers_of(database: Database, model: Any, ids: list[uuid.UUID]) -> list[uuid.UUID | None]:
    with database.session() as session:
        found: dict[uuid.UUID, uuid.UUID | None] = dict(
            session.execute(select(model.id, model.global_customer_id).where(model.id.in_(ids)))
            .tuples()
            .all()
        )
    return [found[row_id] for row_id in ids]


def test_backfill_links_existing_rows(database: Database, tenant: TenantInfo) -> None:
    contacts = insert_unlinked(
        database,
        tenant,
        Contact,
        [
            {"name": "方圆", "email": "fang.yuan@example.cn", "mobile": "+8613800000001"},
            {"name": "方圆", "email": "fang.yuan@example.cn"},
            {"name": "白雪", "mobile": "+8613800000002", "source": "erp", "external_id": "E1"},
            {"name": "马超", "city": "西安"},
        ],
    )
    leads = insert_unlinked(
        database,
        tenant,
        Lead,
        [
            {"name": "Bai Xue", "mobile": "+8613800000002", "status": "new"},
            {"name": "牛犇", "status": "new"},
        ],
    )
    accounts = insert_unlinked(
        database,
        tenant,
        Account,
        [
            {
                "name": "深圳前海科技有限公司",
                "unified_social_credit_code": "91440300MA5DC6QX4R",
                "currency": "CNY",
            },
            {
                "name": "前海科技",
                "unified_social_credit_code": "91440300MA5DC6QX4R",
                "currency": "CNY",
            },
        ],
    )

    result = run_recluster(database, tenant.tenant.id)

    assert result["records"] == 8
    assert result["linked_records"] == 8
    assert result["customers"] == 5
    assert result["customers_created"] == 5
    assert result["records_moved"] == 0
    fang, fang_again, bai, ma = customers_of(database, Contact, contacts)
    bai_lead, niu = customers_of(database, Lead, leads)
    first_account, second_account = customers_of(database, Account, accounts)
    assert fang is not None
    assert fang == fang_again
    assert bai is not None
    assert bai == bai_lead
    assert len({fang, bai, ma, niu, first_account}) == 5
    assert first_account == second_account
    with database.session() as session:
        link = session.scalars(select(CustomerLink).where(CustomerLink.record_id == leads[0])).one()
        external = session.scalars(
            select(CustomerIdentity).where(
                CustomerIdentity.record_id == contacts[2], CustomerIdentity.kind == "external_id"
            )
        ).one()
        kinds = session.scalars(
            select(GlobalCustomer.kind).where(GlobalCustomer.id == first_account)
        ).one()
    assert (link.method, link.score, link.reasons[0]) == ("recluster", 1.0, "strong_identifier")
    assert (external.value, external.external_source, external.source) == ("erp:E1", "erp", "erp")
    assert kinds == "company"

    again = run_recluster(database, tenant.tenant.id)

    assert (again["linked_records"], again["customers_created"], again["records_moved"]) == (
        0,
        0,
        0,
    )
    assert again["customers"] == 5
    assert customers_of(database, Contact, contacts) == [fang, fang_again, bai, ma]


def test_lower_threshold_joins_customers(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    first = client.post("/api/v1/contacts", json={"name": "罗兰", "city": "苏州"}).json()
    second = client.post("/api/v1/contacts", json={"name": "罗兰", "city": "苏州"}).json()
    assert first["global_customer_id"] != second["global_customer_id"]
    with database.session() as session:
        queued = session.scalars(
            select(DuplicateCandidate.id).where(DuplicateCandidate.tenant_id == tenant.tenant.id)
        ).all()
    assert len(queued) == 1

    settings = client.put(
        "/api/v1/customers/identity-settings",
        json={"auto_link_threshold": 0.9, "review_threshold": 0.5},
    )
    assert settings.status_code == 200
    result = run_recluster(database, tenant.tenant.id)

    assert (result["records_moved"], result["customers_retired"]) == (1, 1)
    ids = [uuid.UUID(first["id"]), uuid.UUID(second["id"])]
    kept, moved = customers_of(database, Contact, ids)
    assert kept == moved == uuid.UUID(first["global_customer_id"])
    retired = client.get(f"/api/v1/customers/{second['global_customer_id']}").json()
    assert (retired["status"], retired["merged_into_id"]) == ("merged", first["global_customer_id"])
    profile = client.get(f"/api/v1/customers/{first['global_customer_id']}").json()
    # The record that kept its customer keeps the history of how it was first linked.
    assert [item["link_method"] for item in profile["records"]] == ["new", "recluster"]


def test_recluster_endpoint_queues_job(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    email = f"rep-{uuid.uuid4().hex[:6]}@{tenant.slug}.example.com"
    with database.session() as session:
        session.add(
            User(
                tenant_id=tenant.tenant.id,
                email=email,
                display_name="rep",
                password_hash=hash_password("Recluster-password-2026"),
                role="sales_rep",
            )
        )
    login = client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": email, "password": "Recluster-password-2026"},
        headers={"Authorization": ""},
    )
    rep = {"Authorization": f"Bearer {login.json()['access_token']}"}
    [contact_id] = insert_unlinked(database, tenant, Contact, [{"name": "韩梅"}])

    denied = client.post("/api/v1/customers/identity/recluster", headers=rep)
    settings_denied = client.get("/api/v1/customers/identity-settings", headers=rep)
    accepted = client.post("/api/v1/customers/identity/recluster")

    assert denied.status_code == 403
    assert settings_denied.status_code == 403
    assert accepted.status_code == 202
    assert accepted.json() == {"job": "queued"}
    # The server's embedded worker may run the job; otherwise run it from the queue here.
    queue = get_queue()
    deadline = time.monotonic() + WAIT_SECONDS
    while customers_of(database, Contact, [contact_id])[0] is None:
        assert time.monotonic() < deadline, "the re-clustering job did not run"
        for task in queue.pending():
            if task.name == recluster_task.task_class.__name__ and task.args == (
                str(tenant.tenant.id),
            ):
                outcome = queue.execute(task)
                assert outcome["linked_records"] == 1
        time.sleep(0.2)
