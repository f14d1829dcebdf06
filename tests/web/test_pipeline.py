"""The pipeline board: drag an opportunity to another stage; the server keeps the rules."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database
from zhike.sales.models import Opportunity
from zhike.sales.stages import stages_by_key

from .conftest import save_screenshot
from .web_support import create_record, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_drag_an_opportunity_across_stages(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    account = create_record(database, tenant, "accounts", name="深圳前海数据有限公司")
    moved = create_record(
        database,
        tenant,
        "opportunities",
        name="数据平台二期",
        account_id=account["id"],
        stage="qualification",
        amount="120000.00",
        currency="CNY",
    )
    create_record(
        database,
        tenant,
        "opportunities",
        name="运维服务续约",
        account_id=account["id"],
        stage="qualification",
        amount="30000.00",
        currency="CNY",
    )

    page.goto("/pipeline")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    qualification = page.get_by_test_id("stage-qualification")
    engaging = page.get_by_test_id("stage-engaging")
    expect(qualification.get_by_test_id("stage-amount")).to_have_text("150,000")
    expect(engaging.get_by_test_id("stage-amount")).to_have_text("0")
    save_screenshot(page, "pipeline")

    qualification.get_by_test_id(f"card-{moved['id']}").drag_to(engaging)

    expect(engaging.get_by_test_id(f"card-{moved['id']}")).to_be_visible()
    expect(engaging.get_by_test_id("stage-amount")).to_have_text("120,000")
    expect(qualification.get_by_test_id("stage-amount")).to_have_text("30,000")
    with database.session() as session:
        stored = session.get(Opportunity, uuid.UUID(moved["id"]))
        assert stored is not None
        assert stored.stage_id == stages_by_key(session, tenant.tenant.id)["engaging"].id
