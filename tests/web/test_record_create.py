"""Creating records from their lists: the form, the server's reasons, and the new record's page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from zhike.core.db import Database

from .conftest import save_screenshot
from .web_support import add_user, choose_option, log_in

if TYPE_CHECKING:
    from testkit import TenantInfo

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def test_agent_creates_a_ticket(page: Any, database: Database, tenant: TenantInfo) -> None:
    page.goto("/tickets")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("create-record").click()
    dialog = page.get_by_test_id("create-dialog")
    expect(dialog).to_contain_text("新建工单")

    dialog.get_by_test_id("create-subject").fill("发票抬头开错了，需要重开")
    choose_option(page, dialog.get_by_test_id("create-priority"), "紧急")
    dialog.get_by_test_id("create-requester_phone").fill("138 1234 5678")
    save_screenshot(page, "ticket-create")
    dialog.get_by_test_id("create-save").click()

    expect(page.get_by_test_id("record-title")).to_have_text("发票抬头开错了，需要重开")
    expect(page.get_by_test_id("field-priority")).to_contain_text("紧急")
    # Stored normalised, and shown masked like any phone number until revealed.
    expect(page.get_by_test_id("field-requester_phone")).to_contain_text("138****5678")


def test_invalid_contact_is_refused_with_the_reason(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    page.goto("/contacts")
    log_in(page, tenant.slug, tenant.admin_email, tenant.admin_password)
    page.get_by_test_id("create-record").click()
    dialog = page.get_by_test_id("create-dialog")
    dialog.get_by_test_id("create-name").fill("周杰")
    dialog.get_by_test_id("create-mobile").fill("12345")
    dialog.get_by_test_id("create-save").click()

    expect(dialog.get_by_test_id("create-error")).to_contain_text("12345")
    dialog.get_by_test_id("create-mobile").fill("13912345678")
    dialog.get_by_test_id("create-save").click()
    expect(page.get_by_test_id("record-title")).to_have_text("周杰")


def test_role_without_create_sees_no_button(
    page: Any, database: Database, tenant: TenantInfo
) -> None:
    analyst = add_user(database, tenant, "zhao.analyst", "analyst")
    page.goto("/accounts")
    log_in(page, tenant.slug, analyst.email, "Browser-pass-2026")

    expect(page.get_by_test_id("list-total")).to_be_visible()
    expect(page.get_by_test_id("create-record")).to_have_count(0)
