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
from zhike.sales import pools
from zhike.sales.models import Lead
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
