"""Browser tests of the segment, journey, consent and campaign result screens."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.marketing.consent import ConsentInput, record_consent
from zhike.marketing.journeys import JourneyBody, save_journey
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService

from .conftest import save_screenshot
from .web_support import log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _contacts(database: Database, tenant: TenantInfo) -> str:
    with database.session() as session:
        service = RecordService(session, tenant.actor, get_object("contacts"))
        first = service.create({"name": "林晓", "city": "杭州", "email": "linxiao@example.com"})
        service.create({"name": "许晴", "city": "杭州"})
        service.create({"name": "高远", "city": "上海"})
        record_consent(
            session,
            tenant.actor,
            ConsentInput(first.id, "email", "marketing", "granted", "web_form", "2026-01", {}),
        )
        return str(first.id)


def test_segment_preview_and_save(page: Any, database: Database, tenant: TenantInfo) -> None:
    _contacts(database, tenant)

    page.goto("/marketing/segments")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="客户细分")).to_be_visible()
    page.get_by_label("名称").fill("杭州联系人")
    page.get_by_label("字段").fill("city")
    page.get_by_label("值").fill("杭州")
    page.get_by_role("button", name="预览人数").click()
    expect(page.get_by_test_id("segment-size")).to_have_text("当前有 2 条记录符合")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("segments").get_by_text("杭州联系人")).to_be_visible()
    save_screenshot(page, "marketing-segments")


def test_consent_ledger_and_journeys(page: Any, database: Database, tenant: TenantInfo) -> None:
    contact = _contacts(database, tenant)
    with database.session() as session:
        save_journey(
            session,
            tenant.actor,
            JourneyBody(
                name="新客欢迎",
                graph={
                    "trigger": {"kind": "manual"},
                    "start": "split",
                    "steps": [
                        {
                            "type": "split",
                            "id": "split",
                            "branches": [{"name": "A", "next": "a"}, {"name": "B", "next": "b"}],
                        },
                        {"type": "send", "id": "a", "channel": "email", "body": "甲"},
                        {"type": "send", "id": "b", "channel": "email", "body": "乙"},
                    ],
                },
            ),
        )

    page.goto(f"/marketing/consents?contact={contact}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    ledger = page.get_by_test_id("consent-ledger")
    expect(ledger.get_by_text("已同意")).to_be_visible()
    expect(ledger.get_by_text("web_form")).to_be_visible()
    save_screenshot(page, "marketing-consents")

    page.goto("/marketing/journeys")
    journeys = page.get_by_test_id("journeys")
    expect(journeys.get_by_text("新客欢迎")).to_be_visible()
    journeys.get_by_role("button", name="启用").click()
    expect(journeys.get_by_text("运行中")).to_be_visible()
    journeys.get_by_role("button", name="A/B 测试").click()
    expect(page.get_by_test_id("ab-test").first).to_be_visible()
    save_screenshot(page, "marketing-journeys")

    page.goto("/marketing/measurement")
    expect(page.get_by_role("heading", name="赢单收入归因")).to_be_visible()
    save_screenshot(page, "marketing-measurement")
