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
    create_record(
        database,
        tenant,
        "opportunities",
        name="新加坡分部试点",
        account_id=account["id"],
        stage="proposal",
        amount="5000.00",
        currency="USD",
    )
    create_record(
        database,
        tenant,
        "opportunities",
        name="华南渠道拓展",
        account_id=account["id"],
        stage="proposal",
        amount="8000.00",
        currency="CNY",
    )

    page.goto("/pipeline")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    qualification = page.get_by_test_id("stage-qualification")
    engaging = page.get_by_test_id("stage-engaging")
    expect(qualification.get_by_test_id("stage-amount")).to_have_text("¥150,000.00")
    expect(engaging.get_by_test_id("stage-amount")).to_have_text("0")
    # Deals in two currencies are summed per currency, never added into one figure.
    proposal = page.get_by_test_id("stage-proposal")
    expect(proposal.get_by_test_id("stage-amount")).to_have_text("¥8,000.00 + US$5,000.00")
    save_screenshot(page, "pipeline")

    qualification.get_by_test_id(f"card-{moved['id']}").drag_to(engaging)

    expect(engaging.get_by_test_id(f"card-{moved['id']}")).to_be_visible()
    expect(engaging.get_by_test_id("stage-amount")).to_have_text("¥120,000.00")
    expect(qualification.get_by_test_id("stage-amount")).to_have_text("¥30,000.00")
    with database.session() as session:
        stored = session.get(Opportunity, uuid.UUID(moved["id"]))
        assert stored is not None
        assert stored.stage_id == stages_by_key(session, tenant.tenant.id)["engaging"].id
