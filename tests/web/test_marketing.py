"""Browser tests of the segment, journey, consent and campaign result screens."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.timeutil import utc_now
from zhike.customers.models import Contact
from zhike.marketing.automation_models import Journey, JourneyStepCost
from zhike.marketing.automation_schemas import SendCost, SettingsPatch
from zhike.marketing.consent import ConsentInput, record_consent, tenant_settings
from zhike.marketing.journey_engine import run_due
from zhike.marketing.journeys import JourneyBody, enroll_manually, save_journey
from zhike.marketing.sending import dispatch_due
from zhike.marketing.settings import patch_settings
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService

from .conftest import save_screenshot
from .web_support import USER_PASSWORD, add_user, log_in

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

    with database.session() as session:
        journey_id = session.scalars(
            select(Journey.id).where(Journey.tenant_id == tenant.tenant.id)
        ).one()
        contact_ids = list(
            session.scalars(select(Contact.id).where(Contact.tenant_id == tenant.tenant.id))
        )
        enroll_manually(session, tenant.actor, journey_id, contact_ids)
    while run_due(database):
        pass
    while dispatch_due(database):
        pass

    journeys.get_by_role("button", name="效果").click()
    step_metrics = page.get_by_test_id("step-metrics")
    expect(step_metrics.get_by_text("a · 发送消息")).to_be_visible()
    # The two contacts without an email address are blocked, and the reason is shown.
    expect(page.get_by_test_id("step-metrics-total")).to_contain_text("请求发送 3")
    expect(page.get_by_test_id("step-metrics-blocked")).to_contain_text("无地址 2")
    expect(page.get_by_test_id("branch-metrics").get_by_text("split")).to_have_count(2)
    page.get_by_test_id("edit-cost-a").click()
    page.get_by_label("金额").fill("100")
    page.get_by_role("dialog").get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("edit-cost-a")).to_have_text("¥100.00")
    expect(page.get_by_test_id("step-metrics-total")).to_contain_text("成本 ¥100.00")
    with database.session() as session:
        stored = session.execute(
            select(JourneyStepCost.step_id, JourneyStepCost.amount, JourneyStepCost.currency)
            .join(Journey, Journey.id == JourneyStepCost.journey_id)
            .where(Journey.tenant_id == tenant.tenant.id)
        ).all()
    assert [tuple(row) for row in stored] == [("a", Decimal("100.00"), "CNY")]
    save_screenshot(page, "marketing-journey-step-metrics")

    page.goto("/marketing/measurement")
    expect(page.get_by_role("heading", name="赢单收入归因")).to_be_visible()
    save_screenshot(page, "marketing-measurement")


def test_marketing_settings_screen(page: Any, database: Database, tenant: TenantInfo) -> None:
    marketer = add_user(database, tenant, "marketer", "marketer")
    with database.session() as session:
        patch_settings(
            session,
            tenant.actor,
            SettingsPatch(
                frequency_cap=3,
                channels={
                    "email": {
                        "host": "smtp.example.com",
                        "port": 465,
                        "from_address": "market@example.com",
                        "password": "smtp-secret",
                    }
                },
                send_costs={"email": SendCost(amount=Decimal("0.01"), currency="CNY")},
            ),
        )
        encrypted = tenant_settings(session, tenant.tenant.id).channels["email"]["password"]

    page.goto("/marketing/settings")
    log_in(page, tenant.slug, marketer.email, USER_PASSWORD)
    expect(page.get_by_role("heading", name="营销设置")).to_be_visible()
    expect(page.get_by_label("邮件 金额")).to_have_value("0.01")
    page.get_by_label("短信 金额").fill("0.045")
    page.get_by_label("频次上限").fill("5")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("营销设置已保存")).to_be_visible()
    save_screenshot(page, "marketing-settings")

    with database.session() as session:
        stored = tenant_settings(session, tenant.tenant.id)
        assert stored.send_costs == {
            "email": {"amount": "0.01", "currency": "CNY"},
            "sms": {"amount": "0.045", "currency": "CNY"},
        }
        assert stored.frequency_cap == 5
        assert stored.channels["email"]["password"] == encrypted
        assert stored.channels["email"]["host"] == "smtp.example.com"

    page.get_by_label("短信 金额").fill("abc")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("settings-error")).to_contain_text("短信的金额必须是不小于 0 的数字")

    page.get_by_role("radiogroup", name="界面语言").get_by_text("English").click()
    expect(page.get_by_role("heading", name="Marketing settings")).to_be_visible()
    expect(page.get_by_text("Cost per delivered message")).to_be_visible()


def test_campaign_results_per_currency(page: Any, database: Database, tenant: TenantInfo) -> None:
    marketer = add_user(database, tenant, "marketer", "marketer")
    with database.session() as session:
        contacts = RecordService(session, tenant.actor, get_object("contacts"))
        buyer = contacts.create({"name": "周岚", "email": "zhoulan@example.com"})
        campaign = RecordService(session, tenant.actor, get_object("campaigns")).create(
            {"name": "春季展会", "channel": "event", "budget": "1000.00", "currency": "CNY"}
        )
        RecordService(session, tenant.actor, get_object("campaign_members")).create(
            {
                "campaign_id": campaign.id,
                "contact_id": buyer.id,
                "touched_at": utc_now() - timedelta(days=3),
            }
        )
        opportunities = RecordService(session, tenant.actor, get_object("opportunities"))
        for amount, currency in (("5000.00", "CNY"), ("800.00", "USD")):
            opportunities.create(
                {
                    "name": f"展会订单 {currency}",
                    "contact_id": buyer.id,
                    "stage": "won",
                    "amount": amount,
                    "currency": currency,
                    "closed_on": utc_now().date(),
                }
            )

    page.goto("/marketing/measurement")
    log_in(page, tenant.slug, marketer.email, USER_PASSWORD)
    metrics = page.get_by_test_id("campaign-metrics")
    expect(metrics).to_contain_text("¥5,000.00 + US$800.00")
    expect(metrics).to_contain_text("收入币种与预算不同")
    expect(page.get_by_test_id("attribution-summary")).to_contain_text("2 个赢单商机")
    expect(page.get_by_test_id("attribution").get_by_text("USD")).to_be_visible()
    save_screenshot(page, "marketing-campaign-currencies")
