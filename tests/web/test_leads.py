"""Browser tests of the pool, lead conversion and assignment rule screens."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.customers.models import Account
from zhike.platform.objects import get_object
from zhike.platform.records import RecordService
from zhike.sales import handover, pools
from zhike.sales.models import Lead
from zhike.sales.pool_models import LeadCaptureForm, SalesPool
from zhike.sales.pool_schemas import PoolWrite

from .conftest import save_screenshot
from .web_support import USER_PASSWORD, add_user, log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _pool_with_lead(database: Database, tenant: TenantInfo) -> uuid.UUID:
    with database.session() as session:
        pool = pools.create_pool(
            session, tenant.actor, PoolWrite(name="华东公海", max_owned_per_user=5)
        )
        lead = RecordService(session, tenant.actor, get_object("leads")).create(
            {"name": "周杰", "company": "宁波海曙电子有限公司", "mobile": "13912345678"}
        )
        pools.move_to_pool(session, tenant.actor, pool.id, [lead.id], "新线索入池")
        lead_id: uuid.UUID = lead.id
        return lead_id


def test_rep_claims_and_converts_from_pool(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    lead_id = _pool_with_lead(database, tenant)
    rep = add_user(database, tenant, "rep-zhou", "sales_rep")

    page.goto("/sales/pools")
    log_in(page, tenant.slug, rep.email, USER_PASSWORD)
    expect(page.get_by_role("heading", name="公海", exact=True)).to_be_visible()
    waiting = page.get_by_test_id("pool-items")
    expect(waiting.get_by_text("周杰")).to_be_visible()
    expect(waiting.get_by_text("****5678")).to_be_visible()
    expect(waiting.get_by_text("13912345678")).to_have_count(0)
    save_screenshot(page, "leads-pool")

    waiting.get_by_role("button", name="领取").click()
    page.get_by_role("dialog").get_by_role("textbox").fill("客户来电咨询")
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_text("已领取 周杰")).to_be_visible()
    mine = page.get_by_test_id("my-records")
    expect(mine.get_by_text("周杰")).to_be_visible()
    expect(waiting.get_by_text("周杰")).to_have_count(0)

    mine.get_by_role("button", name="转化").click()
    dialog = page.get_by_role("dialog", name="转化线索：周杰")
    dialog.get_by_label("预计金额（可选）").fill("80000")
    save_screenshot(page, "leads-convert")
    dialog.get_by_role("button", name="转化").click()
    expect(page.get_by_text("转化完成")).to_be_visible()
    expect(mine.get_by_text("周杰")).to_have_count(0)

    with database.session() as session:
        status = session.scalar(select(Lead.status).where(Lead.id == lead_id))
        accounts = session.scalars(
            select(Account.name).where(Account.tenant_id == tenant.tenant.id)
        ).all()
    assert status == "converted"
    assert accounts == ["宁波海曙电子有限公司"]


def test_admin_edits_assignment_rule(page: Any, database: Database, tenant: TenantInfo) -> None:
    add_user(database, tenant, "rep-li", "sales_rep")
    page.goto("/sales/assignment-rules")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="线索分配规则")).to_be_visible()

    page.get_by_role("button", name="新建规则").click()
    dialog = page.get_by_role("dialog", name="新建规则")
    dialog.get_by_label("名称").fill("华东区域")
    dialog.get_by_test_id("rule-provinces").click()
    page.keyboard.type("浙江")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name="添加成员").click()
    dialog.get_by_test_id("member-user-0").click()
    page.get_by_role("option", name="rep-li").click()
    save_screenshot(page, "leads-rule-editor")
    dialog.get_by_role("button", name="保存").click()

    rules = page.get_by_test_id("rules")
    expect(rules.get_by_text("华东区域")).to_be_visible()
    expect(rules.get_by_text("浙江")).to_be_visible()
    expect(rules.get_by_text("rep-li")).to_be_visible()


def test_admin_configures_pool_and_handover(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    page.goto("/sales/pool-settings")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="公海设置")).to_be_visible()

    page.get_by_role("button", name="新建公海").click()
    dialog = page.get_by_role("dialog", name="新建公海")
    dialog.get_by_label("名称").fill("华南客户公海")
    dialog.get_by_text("客户", exact=True).click()
    dialog.get_by_test_id("pool-provinces").click()
    page.keyboard.type("广东")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    dialog.get_by_label("每人最多持有").fill("20")
    dialog.get_by_label("每人每天最多领取").fill("5")
    dialog.get_by_label("未跟进多少天后退回").fill("15")
    dialog.get_by_label("提前几天提醒负责人").fill("3")
    save_screenshot(page, "leads-pool-settings")
    dialog.get_by_role("button", name="保存").click()

    table = page.get_by_test_id("pool-settings")
    expect(table.get_by_text("华南客户公海")).to_be_visible()
    expect(table.get_by_text("最多同时持有 20 条，每天最多领取 5 条")).to_be_visible()
    expect(table.get_by_text("未跟进：15 天后；无进展：不退回；提前 3 天提醒")).to_be_visible()

    page.get_by_test_id("handover-mode").get_by_text("从公海领取的记录退回原公海").click()
    expect(page.get_by_text("已保存移交设置")).to_be_visible()

    with database.session() as session:
        stored = session.scalars(
            select(SalesPool).where(SalesPool.tenant_id == tenant.tenant.id)
        ).one()
        mode = handover.handover_mode(session, tenant.tenant.id)
    assert stored.object_name == "accounts"
    assert stored.provinces == ["广东"]
    assert stored.max_owned_per_user == 20
    assert stored.max_claims_per_day == 5
    assert stored.return_after_days_without_activity == 15
    assert stored.return_after_days_without_progress is None
    assert stored.warn_days_before == 3
    assert mode == "pool"

    table.get_by_role("button", name="编辑公海").click()
    dialog = page.get_by_role("dialog", name="编辑公海")
    dialog.get_by_label("每人最多持有").fill("25")
    dialog.get_by_role("button", name="保存").click()
    expect(table.get_by_text("最多同时持有 25 条，每天最多领取 5 条")).to_be_visible()


def test_admin_creates_web_form_and_sees_snippet(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    page.goto("/sales/lead-forms")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="线索表单")).to_be_visible()

    page.get_by_role("button", name="新建表单").click()
    dialog = page.get_by_role("dialog", name="新建表单")
    dialog.get_by_label("名称").fill("官网试用申请")
    dialog.get_by_text("职务").click()
    dialog.get_by_label("单个 IP 每分钟上限").fill("3")
    dialog.get_by_role("button", name="保存").click()

    forms = page.get_by_test_id("lead-forms")
    expect(forms.get_by_text("官网试用申请")).to_be_visible()
    expect(forms.get_by_text("姓名、公司、手机、邮箱、职务")).to_be_visible()
    expect(forms.get_by_text("每 IP 3 次/分")).to_be_visible()
    embed = page.get_by_test_id("form-embed")
    with database.session() as session:
        form = session.scalars(
            select(LeadCaptureForm).where(LeadCaptureForm.tenant_id == tenant.tenant.id)
        ).one()
    expect(embed.get_by_test_id("form-endpoint")).to_contain_text(
        f"/api/v1/public/forms/{form.form_key}"
    )
    expect(embed.get_by_test_id("form-snippet")).to_contain_text(
        f"/api/v1/public/forms/{form.form_key}/embed"
    )
    save_screenshot(page, "leads-web-form")
    assert form.max_per_minute_per_ip == 3
    assert form.fields == ["name", "company", "mobile", "email", "title"]

    response = page.request.get(f"/api/v1/public/forms/{form.form_key}")
    assert response.status == 200
    assert response.json()["fields"] == ["name", "company", "mobile", "email", "title"]
