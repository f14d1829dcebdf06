"""Browser tests of the data-quality, duplicate review and customer profile screens."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.customers.merge_models import DuplicateCandidate
from zhike.customers.models import Account, Contact

from .conftest import save_screenshot
from .web_support import create_record, log_in

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_quality_screen_and_badge(page: Any, database: Database, tenant: TenantInfo) -> None:
    account = create_record(database, tenant, "accounts", name="杭州云帆科技有限公司")
    create_record(
        database,
        tenant,
        "contacts",
        name="王芳",
        mobile="13912345678",
        email="wang.fang@example.com",
        city="杭州",
        address="杭州市西湖区文三路 90 号",
        account_id=account["id"],
    )
    sparse = create_record(database, tenant, "contacts", name="只有名字")
    create_record(
        database,
        tenant,
        "contacts",
        name="李娜",
        mobile="13700137000",
        source="crm-old",
        external_id="X-1",
    )

    page.goto("/customers/quality")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="数据质量", exact=True)).to_be_visible()
    sources = page.get_by_test_id("quality-sources")
    expect(sources.get_by_text("直接录入（网页或 API）")).to_be_visible()
    expect(sources.get_by_text("crm-old")).to_be_visible()
    records = page.get_by_test_id("quality-records")
    expect(records.get_by_text("只有名字")).to_be_visible()
    expect(records.get_by_text("手机与电话均为空。")).to_be_visible()
    expect(records.get_by_text("王芳")).to_have_count(0)
    save_screenshot(page, "customers-quality")

    sources.get_by_test_id("source-crm-old").click()
    expect(page.get_by_text("来自 crm-old 的有问题记录")).to_be_visible()
    expect(records.get_by_text("李娜")).to_be_visible()
    expect(records.get_by_text("只有名字")).to_have_count(0)

    page.get_by_test_id("quality-all-sources").click()
    records.get_by_test_id(f"quality-record-{sparse['id']}").click()
    expect(page.get_by_test_id("record-title")).to_have_text("只有名字")
    badge = page.get_by_test_id("quality-badge")
    expect(page.get_by_test_id("quality-badge-score")).to_have_text("55")
    badge.hover()
    expect(page.get_by_text("城市为空。")).to_be_visible()
    save_screenshot(page, "customers-quality-badge")

    page.get_by_test_id("edit-city").click()
    page.get_by_test_id("field-city").get_by_test_id("inline-input").fill("上海")
    page.get_by_test_id("inline-save").click()
    expect(page.get_by_test_id("quality-badge-score")).to_have_text("60")


def test_review_merge_and_unmerge(page: Any, database: Database, tenant: TenantInfo) -> None:
    older = create_record(
        database,
        tenant,
        "contacts",
        name="张伟",
        mobile="13800138000",
        email="zhang.wei@example.com",
        city="上海",
    )
    newer = create_record(
        database,
        tenant,
        "contacts",
        name="張偉",
        mobile="+86 138 0013 8000",
        email="zhang.wei@example.com",
        title="采购经理",
    )

    page.goto("/customers/duplicates")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_role("heading", name="重复审核", exact=True)).to_be_visible()
    page.get_by_test_id("duplicates-scan").click()
    table = page.get_by_test_id("duplicates-table")
    expect(table.get_by_text("张伟")).to_be_visible()
    expect(table.get_by_text("强标识一致")).to_be_visible()
    save_screenshot(page, "customers-duplicates")

    with database.session() as session:
        candidate = session.scalars(
            select(DuplicateCandidate).where(DuplicateCandidate.tenant_id == tenant.tenant.id)
        ).one()
        candidate_id = candidate.id
    page.get_by_test_id(f"review-{candidate_id}").click()
    drawer = page.get_by_test_id("merge-drawer")
    expect(drawer.get_by_test_id("merge-survivor")).to_have_text("张伟")
    preview = drawer.get_by_test_id("merge-preview")
    expect(preview.get_by_test_id("why-title")).to_have_text("最近更新: 保留的记录没有值")
    expect(preview.get_by_test_id("why-city")).to_have_text("最近更新: 并入的记录没有值")
    expect(preview.get_by_test_id("why-name")).to_have_text("最近更新: 这个值更新得更晚")
    preview.get_by_test_id("pick-survivor-name").click()
    expect(preview.get_by_test_id("why-name")).to_have_text("手动选择: 您选择了这个值")
    save_screenshot(page, "customers-merge-preview")
    drawer.get_by_test_id("merge-accept").click()
    expect(page.get_by_text(re.compile("已合并到"))).to_be_visible()
    expect(table.get_by_text("没有待审核的记录对")).to_be_visible()

    with database.session() as session:
        survivor = session.get(Contact, uuid.UUID(older["id"]))
        merged = session.get(Contact, uuid.UUID(newer["id"]))
        assert survivor is not None
        assert merged is not None
        assert (survivor.name, survivor.title, survivor.city) == ("张伟", "采购经理", "上海")
        assert merged.deleted_at is not None
        merge_id = session.scalars(
            select(DuplicateCandidate.merge_id).where(DuplicateCandidate.id == candidate_id)
        ).one()

    page.get_by_role("tab", name="合并历史").click()
    history = page.get_by_test_id("merge-history")
    expect(history.get_by_text("张伟")).to_be_visible()
    page.get_by_test_id(f"unmerge-{merge_id}").click()
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_text(re.compile("已撤销合并"))).to_be_visible()
    # An unmerged pair goes back to the queue, so it leaves the history.
    expect(page.get_by_test_id(f"unmerge-{merge_id}")).to_have_count(0)
    expect(page.get_by_role("tab", name="待审核（1）")).to_be_visible()

    with database.session() as session:
        survivor = session.get(Contact, uuid.UUID(older["id"]))
        merged = session.get(Contact, uuid.UUID(newer["id"]))
        assert survivor is not None
        assert merged is not None
        assert (survivor.name, survivor.title) == ("张伟", None)
        assert merged.deleted_at is None


def test_reject_pair(page: Any, database: Database, tenant: TenantInfo) -> None:
    create_record(database, tenant, "contacts", name="刘洋", mobile="13600136000")
    create_record(database, tenant, "contacts", name="刘洋", mobile="13600136000")

    page.goto("/customers/duplicates")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("duplicates-scan").click()
    expect(page.get_by_test_id("pair-score")).to_have_count(1)
    page.get_by_test_id("duplicates-table").get_by_role("button", name="审核").click()
    page.get_by_test_id("merge-reject").click()
    expect(page.get_by_text("已标记为不同客户")).to_be_visible()

    with database.session() as session:
        statuses = session.scalars(
            select(DuplicateCandidate.status).where(
                DuplicateCandidate.tenant_id == tenant.tenant.id
            )
        ).all()
        live = session.scalars(
            select(Contact.id).where(
                Contact.tenant_id == tenant.tenant.id, Contact.deleted_at.is_(None)
            )
        ).all()
    assert statuses == ["rejected"]
    assert len(live) == 2


def test_profile_from_record_page(page: Any, database: Database, tenant: TenantInfo) -> None:
    account = create_record(database, tenant, "accounts", name="上海云图信息技术有限公司")
    contact = create_record(
        database,
        tenant,
        "contacts",
        name="陈静",
        mobile="13500135000",
        email="chen.jing@example.com",
        account_id=account["id"],
    )
    with database.session() as session:
        global_id = session.scalar(
            select(Contact.global_customer_id).where(Contact.id == uuid.UUID(contact["id"]))
        )
    assert global_id is not None

    page.goto(f"/contacts/{contact['id']}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    expect(page.get_by_test_id("record-title")).to_have_text("陈静")
    fields = page.get_by_test_id("record-fields")
    expect(fields.get_by_text("全局客户", exact=True)).to_be_visible()
    expect(fields.get_by_text("global_customer_id")).to_have_count(0)
    expect(page.get_by_test_id("field-global_customer_id")).to_have_text("查看客户画像")
    expect(fields.get_by_text(str(global_id))).to_have_count(0)
    page.get_by_test_id("customer-profile-link").click()
    expect(page).to_have_url(re.compile(f"/customers/{global_id}$"))
    expect(page.get_by_test_id("profile-name")).to_have_text("陈静")
    attributes = page.get_by_test_id("profile-attributes")
    expect(attributes.get_by_text("客户", exact=True)).to_be_visible()
    account_link = page.get_by_test_id("attribute-account_id").get_by_role("link")
    expect(account_link).to_have_text("上海云图信息技术有限公司")
    expect(account_link).to_have_attribute("href", f"/accounts/{account['id']}")
    expect(attributes.get_by_text(account["id"])).to_have_count(0)
    records = page.get_by_test_id("profile-records")
    expect(records.get_by_text("陈静")).to_be_visible()
    expect(page.get_by_test_id("profile-quality-record")).to_have_count(1)
    expect(page.get_by_test_id("profile-quality")).to_be_visible()
    save_screenshot(page, "customers-profile")

    page.get_by_role("radiogroup", name="界面语言").get_by_text("English").click()
    expect(attributes.get_by_text("Account", exact=True)).to_be_visible()
    expect(account_link).to_have_text("上海云图信息技术有限公司")
    page.go_back()
    expect(page.get_by_test_id("record-title")).to_have_text("陈静")
    expect(fields.get_by_text("Global customer", exact=True)).to_be_visible()
    expect(page.get_by_test_id("field-global_customer_id")).to_have_text("Open customer profile")

    page.goto(f"/customers/{uuid.uuid4()}")
    expect(page.get_by_test_id("profile-error")).to_contain_text("This customer was not found")


def test_profile_amount_shows_currency(page: Any, database: Database, tenant: TenantInfo) -> None:
    account = create_record(
        database,
        tenant,
        "accounts",
        name="杭州远帆科技有限公司",
        annual_revenue="1234567",
        currency="CNY",
    )
    with database.session() as session:
        global_id = session.scalar(
            select(Account.global_customer_id).where(Account.id == uuid.UUID(account["id"]))
        )
    assert global_id is not None

    page.goto(f"/customers/{global_id}")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    revenue = page.get_by_test_id("attribute-annual_revenue")
    expect(revenue).to_have_text("¥1,234,567.00")
    save_screenshot(page, "customers-profile-amount")

    page.get_by_role("radiogroup", name="界面语言").get_by_text("English").click()
    expect(revenue).to_have_text("CN¥1,234,567.00")
