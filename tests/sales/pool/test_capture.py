"""Lead capture: duplicates flagged on every path, and the public form's spam protection."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from testkit import TenantInfo

from zhike.api.app import create_app
from zhike.core.db import Database
from zhike.ingestion.targets import resolve_target
from zhike.platform.bulk import BulkRow, BulkWriter
from zhike.sales.capture import issue_form_token
from zhike.sales.models import Lead
from zhike.sales.pool_models import LeadDuplicate
from zhike.security.context import system_actor

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _seed(client: TestClient) -> tuple[str, str, str]:
    account = client.post("/api/v1/accounts", json={"name": "上海云帆科技有限公司"}).json()["id"]
    contact = client.post(
        "/api/v1/contacts",
        json={"name": "张伟", "mobile": "13800001111", "account_id": account},
    ).json()["id"]
    lead = client.post("/api/v1/leads", json={"name": "李娜", "email": "li.na@example.cn"}).json()[
        "id"
    ]
    return account, contact, lead


def _duplicates(client: TestClient, lead_id: str) -> set[tuple[str, str, str]]:
    response = client.get(f"/api/v1/leads/{lead_id}/duplicates")
    assert response.status_code == 200, response.text
    return {
        (item["matched_object"], item["matched_id"], item["rule"])
        for item in response.json()["items"]
    }


def test_record_api_flags_duplicates(client: TestClient) -> None:
    account, contact, lead = _seed(client)
    created = client.post(
        "/api/v1/leads",
        json={"name": "张伟", "mobile": "138-0000-1111", "company": "上海云帆科技（集团）有限公司"},
    )
    assert created.status_code == 201
    assert _duplicates(client, created.json()["id"]) == {
        ("contacts", contact, "mobile"),
        ("accounts", account, "company"),
    }
    again = client.post("/api/v1/leads", json={"name": "Li Na", "email": "LI.NA@example.cn"})
    assert _duplicates(client, again.json()["id"]) == {("leads", lead, "email")}


def test_capture_api_keeps_and_links_duplicate(client: TestClient) -> None:
    _account, contact, _lead = _seed(client)
    response = client.post(
        "/api/v1/leads/capture",
        json={"channel": "wecom", "name": "张伟", "mobile": "+86 138 0000 1111"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [
        (item["matched_object"], item["matched_id"], item["channel"]) for item in body["duplicates"]
    ] == [("contacts", contact, "wecom")]
    assert client.get(f"/api/v1/leads/{body['lead_id']}").json()["lead_source"] == "wecom"


def test_import_batch_flags_duplicates(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    _account, contact, _lead = _seed(client)
    actor = system_actor(tenant.tenant.id)
    with database.session() as session:
        writer = BulkWriter(
            session, actor, resolve_target("leads"), stamp=NOW, key="external_id", source="csv"
        )
        writer.write(
            [
                BulkRow(1, {"name": "张伟", "mobile": "13800001111", "external_id": "a"}),
                BulkRow(2, {"name": "赵敏", "email": "zm@example.cn", "external_id": "b"}),
                BulkRow(3, {"name": "赵敏", "email": "zm@example.cn", "external_id": "c"}),
            ]
        )
        rows = session.execute(
            select(
                Lead.external_id,
                LeadDuplicate.matched_object,
                LeadDuplicate.matched_id,
                LeadDuplicate.rule,
            )
            .join(LeadDuplicate, LeadDuplicate.lead_id == Lead.id)
            .where(Lead.tenant_id == tenant.tenant.id)
            .order_by(Lead.external_id)
        ).all()
        first_zhao = session.scalar(
            select(Lead.id).where(Lead.tenant_id == tenant.tenant.id, Lead.external_id == "b")
        )
    assert [(row[0], row[1], str(row[2]), row[3]) for row in rows] == [
        ("a", "contacts", contact, "mobile"),
        ("c", "leads", str(first_zhao), "email"),
    ]


def _form(client: TestClient, per_ip: int = 3) -> str:
    response = client.post(
        "/api/v1/sales/lead-forms",
        json={
            "name": "官网留言",
            "fields": ["name", "mobile", "company"],
            "max_per_minute_per_ip": per_ip,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["form_key"])


def _leads(database: Database, tenant: TenantInfo) -> int:
    with database.session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(Lead).where(Lead.tenant_id == tenant.tenant.id)
            )
            or 0
        )


def test_web_form_spam_is_dropped(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    key = _form(client)
    public = TestClient(create_app())
    public.app.state.clock = lambda: NOW  # type: ignore[attr-defined]
    before = _leads(database, tenant)
    token = issue_form_token(key, NOW - timedelta(seconds=30))

    honeypot = public.post(
        f"/api/v1/public/forms/{key}",
        json={
            "name": "Bot",
            "mobile": "13900002222",
            "website": "http://spam.example",
            "form_token": token,
        },
    )
    assert honeypot.status_code == 202
    too_fast = public.post(
        f"/api/v1/public/forms/{key}",
        json={"name": "Bot", "form_token": issue_form_token(key, NOW - timedelta(seconds=1))},
    )
    assert too_fast.status_code == 202
    forged = public.post(f"/api/v1/public/forms/{key}", json={"name": "Bot", "form_token": "1.abc"})
    assert forged.status_code == 202
    assert honeypot.json() == too_fast.json() == forged.json()
    assert _leads(database, tenant) == before


def test_web_form_stores_person_and_rate_limits(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    _account, contact, _lead = _seed(client)
    key = _form(client)
    public = TestClient(create_app())
    moment = NOW + timedelta(minutes=uuid.uuid4().int % 10_000)
    public.app.state.clock = lambda: moment  # type: ignore[attr-defined]
    token = issue_form_token(key, moment - timedelta(seconds=20))
    before = _leads(database, tenant)

    form_post = public.post(
        f"/api/v1/public/forms/{key}",
        data={
            "name": "张伟",
            "mobile": "13800001111",
            "company": "",
            "website": "",
            "form_token": token,
        },
    )
    assert form_post.status_code == 202, form_post.text
    assert _leads(database, tenant) == before + 1
    with database.session() as session:
        lead_id = session.scalar(
            select(Lead.id).where(
                Lead.tenant_id == tenant.tenant.id, Lead.lead_source == "web_form"
            )
        )
    assert ("contacts", contact, "mobile") in _duplicates(client, str(lead_id))

    statuses = [
        public.post(
            f"/api/v1/public/forms/{key}",
            json={
                "name": f"访客{n}",
                "form_token": issue_form_token(key, moment - timedelta(seconds=20)),
            },
        ).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429]
    assert _leads(database, tenant) == before + 3


def test_embed_page_has_trap_and_token(client: TestClient) -> None:
    key = _form(client)
    page = TestClient(create_app()).get(f"/api/v1/public/forms/{key}/embed")
    assert page.status_code == 200
    assert 'name="website"' in page.text
    assert 'name="form_token"' in page.text
    assert "手机" in page.text
    assert TestClient(create_app()).get("/api/v1/public/forms/nope/embed").status_code == 404


def test_web_form_token_is_single_use(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    key = _form(client, per_ip=10)
    public = TestClient(create_app())
    clock = [NOW + timedelta(minutes=uuid.uuid4().int % 10_000)]
    public.app.state.clock = lambda: clock[0]  # type: ignore[attr-defined]
    shown = public.get(f"/api/v1/public/forms/{key}")
    other = public.get(f"/api/v1/public/forms/{key}")
    token = shown.json()["form_token"]
    clock[0] += timedelta(seconds=20)
    before = _leads(database, tenant)

    first = public.post(f"/api/v1/public/forms/{key}", json={"name": "王芳", "form_token": token})
    again = public.post(f"/api/v1/public/forms/{key}", json={"name": "王芳", "form_token": token})
    again_en = public.post(
        f"/api/v1/public/forms/{key}",
        json={"name": "Wang Fang", "form_token": token},
        headers={"Accept-Language": "en"},
    )
    fresh = public.post(
        f"/api/v1/public/forms/{key}",
        json={"name": "李雷", "form_token": other.json()["form_token"]},
    )

    assert shown.json()["form_token"] != other.json()["form_token"]
    assert first.status_code == 202, first.text
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "capture_token_used"
    assert again.json()["detail"] == "此表单已提交过一次。如需再次提交，请刷新页面后重新填写。"
    assert again_en.status_code == 409
    assert again_en.json()["detail"] == (
        "This form was already sent once. Reload the page to send another submission."
    )
    assert fresh.status_code == 202, fresh.text
    assert _leads(database, tenant) == before + 2


def test_rejected_submission_keeps_token_usable(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    key = _form(client)
    public = TestClient(create_app())
    moment = NOW + timedelta(minutes=uuid.uuid4().int % 10_000)
    public.app.state.clock = lambda: moment  # type: ignore[attr-defined]
    token = issue_form_token(key, moment - timedelta(seconds=20))
    before = _leads(database, tenant)

    unnamed = public.post(f"/api/v1/public/forms/{key}", json={"name": " ", "form_token": token})
    corrected = public.post(
        f"/api/v1/public/forms/{key}", json={"name": "赵敏", "form_token": token}
    )

    assert unnamed.status_code == 400
    assert unnamed.json()["code"] == "capture_name_required"
    assert corrected.status_code == 202, corrected.text
    assert _leads(database, tenant) == before + 1


def test_embed_page_token_is_submitted_once(
    database: Database, tenant: TenantInfo, client: TestClient
) -> None:
    key = _form(client)
    public = TestClient(create_app())
    clock = [NOW + timedelta(minutes=uuid.uuid4().int % 10_000)]
    public.app.state.clock = lambda: clock[0]  # type: ignore[attr-defined]
    pages = [public.get(f"/api/v1/public/forms/{key}/embed").text for _ in range(2)]
    tokens = [
        re.search(r'name="form_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        for page in pages
    ]
    clock[0] += timedelta(seconds=20)
    before = _leads(database, tenant)

    first = public.post(
        f"/api/v1/public/forms/{key}", data={"name": "孙丽", "form_token": tokens[0]}
    )
    repeated = public.post(
        f"/api/v1/public/forms/{key}", data={"name": "孙丽", "form_token": tokens[0]}
    )

    assert tokens[0] != tokens[1]
    assert first.status_code == 202, first.text
    assert repeated.status_code == 409
    assert repeated.json()["code"] == "capture_token_used"
    assert _leads(database, tenant) == before + 1
