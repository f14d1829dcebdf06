"""Global customer ids: linking on every write path, thresholds and the review queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.customers.identity_models import CustomerIdentity, CustomerLink, GlobalCustomer
from zhike.customers.merge_models import DuplicateCandidate
from zhike.ingestion.targets import resolve_target
from zhike.platform.bulk import BulkRow, BulkWriter
from zhike.security.context import system_actor

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def create(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def link_of(database: Database, tenant: TenantInfo, record_id: str) -> CustomerLink:
    with database.session() as session:
        link = session.scalars(
            select(CustomerLink).where(
                CustomerLink.tenant_id == tenant.tenant.id,
                CustomerLink.record_id == uuid.UUID(record_id),
            )
        ).one()
        session.expunge(link)
        return link


def candidates(database: Database, tenant: TenantInfo) -> list[tuple[str, str, str]]:
    with database.session() as session:
        rows = session.scalars(
            select(DuplicateCandidate).where(DuplicateCandidate.tenant_id == tenant.tenant.id)
        ).all()
        return sorted((row.object_name, str(row.first_id), str(row.second_id)) for row in rows)


def set_thresholds(client: TestClient, auto: float, review: float) -> None:
    response = client.put(
        "/api/v1/customers/identity-settings",
        json={"auto_link_threshold": auto, "review_threshold": review},
    )
    assert response.status_code == 200, response.text


def test_create_links_same_email(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    first = create(client, "contacts", {"name": "张伟", "email": "Zhang.Wei@Example.cn"})
    second = create(client, "contacts", {"name": "张 伟", "email": "zhang.wei@example.cn"})

    assert first["global_customer_id"] is not None
    assert second["global_customer_id"] == first["global_customer_id"]
    assert second["version"] == 1
    link = link_of(database, tenant, second["id"])
    assert link.method == "deterministic"
    assert link.score == 1.0
    assert link.reasons == ["email:exact"]
    assert str(link.matched_record_id) == first["id"]
    assert link_of(database, tenant, first["id"]).method == "new"


def test_lead_links_to_contact_by_mobile(client: TestClient) -> None:
    contact = create(client, "contacts", {"name": "李娜", "mobile": "13812345678"})
    lead = create(client, "leads", {"name": "Li Na", "mobile": "+86 138 1234 5678"})

    assert lead["global_customer_id"] == contact["global_customer_id"]
    read = client.get(f"/api/v1/leads/{lead['id']}").json()
    assert read["global_customer_id"] == contact["global_customer_id"]


def test_different_people_stay_apart(client: TestClient) -> None:
    first = create(client, "contacts", {"name": "王芳", "mobile": "13900000001"})
    second = create(client, "contacts", {"name": "赵磊", "mobile": "13700000002"})

    assert first["global_customer_id"] != second["global_customer_id"]


def test_accounts_link_by_credit_code(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    code = "91110000802100433B"
    first = create(
        client, "accounts", {"name": "北京知客科技有限公司", "unified_social_credit_code": code}
    )
    second = create(
        client, "accounts", {"name": "知客科技(北京)", "unified_social_credit_code": code.lower()}
    )
    contact = create(client, "contacts", {"name": "北京知客科技有限公司"})

    assert second["global_customer_id"] == first["global_customer_id"]
    assert link_of(database, tenant, second["id"]).reasons == ["credit_code:exact"]
    # People and companies never share a global customer.
    assert contact["global_customer_id"] != first["global_customer_id"]


def test_probabilistic_link_above_threshold(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    account = create(client, "accounts", {"name": "上海云图信息技术有限公司"})
    first = create(
        client,
        "contacts",
        {"name": "陈静", "account_id": account["id"], "city": "上海", "mobile": "13512345678"},
    )
    # Same name, company and city, and a mobile one digit off: no strong identifier agrees.
    second = create(
        client,
        "contacts",
        {"name": "陈静", "account_id": account["id"], "city": "上海市", "mobile": "13512345679"},
    )

    assert second["global_customer_id"] == first["global_customer_id"]
    link = link_of(database, tenant, second["id"])
    assert link.method == "probabilistic"
    assert link.score is not None
    assert link.score >= 0.99
    assert "name:exact" in link.reasons
    assert "company:exact" in link.reasons
    assert "mobile:edits<=1" in link.reasons


def test_between_thresholds_queues_review(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    first = create(client, "contacts", {"name": "刘洋", "city": "杭州"})
    # Same name and city only: about 0.98 under the untrained model.
    second = create(client, "contacts", {"name": "刘洋", "city": "杭州"})

    assert second["global_customer_id"] != first["global_customer_id"]
    link = link_of(database, tenant, second["id"])
    assert link.method == "review"
    assert link.reasons == ["name:exact", "city:exact"]
    assert candidates(database, tenant) == [("contacts", *sorted((first["id"], second["id"])))]


def test_thresholds_change_the_decision(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    set_thresholds(client, auto=0.95, review=0.5)
    first = create(client, "contacts", {"name": "周杰", "city": "成都"})
    linked = create(client, "contacts", {"name": "周杰", "city": "成都"})
    set_thresholds(client, auto=1.0, review=0.999)
    apart = create(client, "contacts", {"name": "周杰", "city": "成都"})

    assert linked["global_customer_id"] == first["global_customer_id"]
    assert link_of(database, tenant, linked["id"]).method == "probabilistic"
    assert apart["global_customer_id"] != first["global_customer_id"]
    assert link_of(database, tenant, apart["id"]).method == "new"
    assert candidates(database, tenant) == []


def test_settings_reject_bad_thresholds(client: TestClient) -> None:
    response = client.put(
        "/api/v1/customers/identity-settings",
        json={"auto_link_threshold": 0.7, "review_threshold": 0.9},
    )

    assert response.status_code == 422
    assert "review_threshold 0.9 is above auto_link_threshold 0.7" in response.text
    stored = client.get("/api/v1/customers/identity-settings").json()
    assert stored == {"auto_link_threshold": 0.99, "review_threshold": 0.8}


def test_update_moves_lone_record(client: TestClient) -> None:
    first = create(client, "contacts", {"name": "孙丽", "email": "sun.li@example.cn"})
    other = create(client, "contacts", {"name": "孙丽", "mobile": "13611112222"})
    assert other["global_customer_id"] != first["global_customer_id"]

    etag = client.get(f"/api/v1/contacts/{other['id']}").headers["ETag"]
    response = client.patch(
        f"/api/v1/contacts/{other['id']}",
        json={"email": "SUN.LI@example.cn"},
        headers={"If-Match": etag},
    )

    assert response.status_code == 200, response.text
    assert response.json()["global_customer_id"] == first["global_customer_id"]
    profile = client.get(f"/api/v1/customers/{other['global_customer_id']}").json()
    assert profile["status"] == "merged"
    assert profile["merged_into_id"] == first["global_customer_id"]


def test_capture_records_channel_identity(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    contact = create(client, "contacts", {"name": "何敏", "mobile": "13811112222"})
    response = client.post(
        "/api/v1/leads/capture",
        json={"channel": "wecom", "name": "何敏", "mobile": "+86 138 1111 2222"},
    )
    assert response.status_code == 201, response.text
    lead_id = response.json()["lead_id"]

    link = link_of(database, tenant, lead_id)
    assert str(link.global_customer_id) == contact["global_customer_id"]
    assert link.source == "wecom"
    with database.session() as session:
        sources = session.execute(
            select(CustomerIdentity.source, CustomerIdentity.kind, CustomerIdentity.value).where(
                CustomerIdentity.tenant_id == tenant.tenant.id,
                CustomerIdentity.record_id == uuid.UUID(lead_id),
            )
        ).all()
    assert [tuple(row) for row in sources] == [("wecom", "mobile", "+8613811112222")]


def test_import_links_rows_of_one_file(database: Database, tenant: TenantInfo) -> None:
    actor = system_actor(tenant.tenant.id)
    with database.session() as session:
        writer = BulkWriter(
            session, actor, resolve_target("contacts"), stamp=NOW, key="external_id", source="crm"
        )
        writer.write(
            [
                BulkRow(1, {"name": "吴昊", "email": "wu.hao@example.cn", "external_id": "a"}),
                BulkRow(2, {"name": "吴 昊", "email": "WU.HAO@example.cn", "external_id": "b"}),
                BulkRow(3, {"name": "郑爽", "mobile": "13322223333", "external_id": "c"}),
            ]
        )
    with database.session() as session:
        links = {
            row.record_id: row
            for row in session.scalars(
                select(CustomerLink).where(CustomerLink.tenant_id == tenant.tenant.id)
            )
        }
        customers = session.scalar(
            select(GlobalCustomer.id).where(GlobalCustomer.tenant_id == tenant.tenant.id).limit(1)
        )
        from zhike.customers.models import Contact

        contacts = {
            row.external_id: row
            for row in session.scalars(select(Contact).where(Contact.tenant_id == tenant.tenant.id))
        }
        external = session.execute(
            select(CustomerIdentity.value, CustomerIdentity.external_source).where(
                CustomerIdentity.tenant_id == tenant.tenant.id,
                CustomerIdentity.kind == "external_id",
            )
        ).all()

    assert customers is not None
    assert contacts["a"].global_customer_id == contacts["b"].global_customer_id
    assert contacts["c"].global_customer_id != contacts["a"].global_customer_id
    assert {links[contact.id].source for contact in contacts.values()} == {"import"}
    assert links[contacts["b"].id].method == "deterministic"
    assert sorted(tuple(row) for row in external) == [
        ("crm:a", "crm"),
        ("crm:b", "crm"),
        ("crm:c", "crm"),
    ]


def test_large_import_links_through_reclustering(database: Database, tenant: TenantInfo) -> None:
    from zhike.customers.identity import INLINE_LINK_ROWS
    from zhike.customers.jobs import run_recluster
    from zhike.customers.models import Contact

    actor = system_actor(tenant.tenant.id)
    count = INLINE_LINK_ROWS + 10
    rows = [
        BulkRow(
            number,
            {
                "name": f"批量客户{number}",
                "email": f"bulk{number}@example.cn",
                "external_id": f"bulk-{number}",
            },
        )
        for number in range(1, count + 1)
    ]
    # The last row repeats the first person's e-mail, so re-clustering must join them.
    rows.append(
        BulkRow(
            count + 1, {"name": "批量客户1", "email": "BULK1@example.cn", "external_id": "bulk-x"}
        )
    )
    with database.session() as session:
        writer = BulkWriter(
            session, actor, resolve_target("contacts"), stamp=NOW, key="external_id", source="crm"
        )
        writer.write(rows)

    def stored() -> dict[str, Contact]:
        with database.session() as session:
            return {
                row.external_id: row
                for row in session.scalars(
                    select(Contact).where(Contact.tenant_id == tenant.tenant.id)
                )
            }

    # Too many rows to link one by one inside the import: they wait for the queued job.
    assert {contact.global_customer_id for contact in stored().values()} == {None}
    run_recluster(database, tenant.tenant.id)
    contacts = stored()
    assert None not in {contact.global_customer_id for contact in contacts.values()}
    assert contacts["bulk-1"].global_customer_id == contacts["bulk-x"].global_customer_id
    assert contacts["bulk-2"].global_customer_id != contacts["bulk-1"].global_customer_id


def test_colleagues_with_similar_emails_stay_apart(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    account = create(
        client, "accounts", {"name": "杭州艾克美科技有限公司", "phone": "0571-88886666"}
    )
    shared = {"account_id": account["id"], "city": "杭州", "phone": "0571-88886666"}
    wang_lin = create(client, "contacts", {"name": "王琳", "email": "wanglin@acme.cn", **shared})
    wang_boping = create(
        client, "contacts", {"name": "王波平", "email": "wangbp@acme.cn", **shared}
    )
    wang_li = create(client, "contacts", {"name": "王丽", "email": "wangli@acme.cn", **shared})

    customers = {
        wang_lin["global_customer_id"],
        wang_boping["global_customer_id"],
        wang_li["global_customer_id"],
    }
    assert len(customers) == 3
    assert link_of(database, tenant, wang_boping["id"]).method == "new"
    assert link_of(database, tenant, wang_li["id"]).method == "new"
    assert candidates(database, tenant) == []


def test_free_mail_namesakes_stay_apart(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    first = create(client, "contacts", {"name": "王琳", "email": "wanglin@qq.com", "city": "杭州"})
    second = create(
        client, "contacts", {"name": "王琳", "email": "wanglin88@qq.com", "city": "杭州"}
    )

    assert second["global_customer_id"] != first["global_customer_id"]
    assert link_of(database, tenant, second["id"]).method == "new"
    assert candidates(database, tenant) == []


def test_same_mailbox_spelled_differently_links(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    account = create(client, "accounts", {"name": "杭州艾克美科技有限公司"})
    first = create(
        client,
        "contacts",
        {"name": "王琳", "email": "wang.lin@acme.cn", "account_id": account["id"]},
    )
    second = create(
        client,
        "contacts",
        {"name": "王琳", "email": "wanglin@acme.cn", "account_id": account["id"]},
    )

    assert second["global_customer_id"] == first["global_customer_id"]
    link = link_of(database, tenant, second["id"])
    assert link.method == "probabilistic"
    assert link.reasons == ["name:exact", "email:near_exact", "company:exact"]


def test_colleagues_sharing_a_team_mailbox_stay_apart(
    client: TestClient, database: Database, tenant: TenantInfo
) -> None:
    account = create(client, "accounts", {"name": "杭州艾克美科技有限公司"})
    shared = {"account_id": account["id"], "email": "Info@acme.cn", "city": "杭州"}
    first = create(client, "contacts", {"name": "王琳", **shared})
    second = create(client, "contacts", {"name": "赵磊", **shared})

    assert second["global_customer_id"] != first["global_customer_id"]
    assert link_of(database, tenant, second["id"]).method == "new"
    assert candidates(database, tenant) == []
